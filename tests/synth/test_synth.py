"""Synthetic threads: deterministic, realistic in shape, consistent in their own counts."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from fedithreads.core.hosts import host_of
from fedithreads.core.records import CommentRecord
from fedithreads.synth.generate import SynthThread, generate_thread, plan_thread, render_thread

SEEDS = [20260727, 7, 1]


def depth(c: CommentRecord) -> int:
    return c.path.count(".")


def big(seed: int) -> SynthThread:
    return generate_thread(seed, instance="lemmy.ca")


def test_same_arguments_give_the_same_records() -> None:
    """No clock, no global state: a seed reproduces the thread; another seed does not."""
    first, again, other = big(5), big(5), big(6)

    assert first == again
    assert first.comments != other.comments


@pytest.mark.parametrize("seed", SEEDS)
def test_big_thread_has_the_required_shape(seed: int) -> None:
    """~420 comments, depth ≥ 12, ≥ 40 authors on ≥ 6 hosts, in a remote community."""
    thread = big(seed)
    comments = thread.comments

    assert len(comments) == 420
    assert max(depth(c) for c in comments) == 14
    assert len({c.author for c in comments}) >= 40
    assert len({host_of(c.author_ap_id) for c in comments}) >= 6
    assert host_of(thread.post.community_ap_id) != "lemmy.ca"


@pytest.mark.parametrize("seed", SEEDS)
def test_deleted_removed_and_distinguished_proportions(seed: int) -> None:
    """3 % deleted and 1 % removed (blank text, rows kept); one distinguished mod comment."""
    thread = big(seed)
    comments = thread.comments
    gone = [c for c in comments if c.deleted or c.removed]
    (mod_note,) = [c for c in comments if c.distinguished]

    assert sum(c.deleted for c in comments) == 13
    assert sum(c.removed for c in comments) == 4
    assert all(c.content is None for c in gone)
    assert all(c.content for c in comments if not (c.deleted or c.removed))
    assert mod_note.author_ap_id in thread.moderators
    assert (depth(mod_note), mod_note.deleted, mod_note.removed) == (1, False, False)


@pytest.mark.parametrize("seed", SEEDS)
def test_counts_agree_with_the_tree(seed: int) -> None:
    """child_count = all descendants by path; post comments = visible; newest = last."""
    thread = big(seed)
    comments = thread.comments
    below: Counter[str] = Counter()
    for c in comments:
        for ancestor in c.path.split(".")[1:-1]:
            below[ancestor] += 1

    assert [c.child_count for c in comments] == [below[str(c.comment_id)] for c in comments]
    assert thread.post.comments == sum(not (c.deleted or c.removed) for c in comments)
    assert thread.post.newest_comment_time == max(c.published for c in comments)
    assert all(c.score == c.upvotes - c.downvotes for c in comments)


@pytest.mark.parametrize("seed", SEEDS)
def test_ids_and_paths_are_those_of_the_serving_instance(seed: int) -> None:
    """Ids grow with publish time; a path ends in the own id below an earlier parent."""
    comments = big(seed).comments
    by_id = {c.comment_id: c for c in comments}

    assert [c.comment_id for c in comments] == sorted(c.comment_id for c in comments)
    assert [c.published for c in comments] == sorted(c.published for c in comments)
    for c in comments:
        labels = [int(x) for x in c.path.split(".")]
        assert labels[0] == 0
        assert labels[-1] == c.comment_id
        if len(labels) > 2:
            assert by_id[labels[-2]].published < c.published


@pytest.mark.parametrize("seed", SEEDS)
def test_activity_comes_in_two_bursts(seed: int) -> None:
    """Most comments come in the first hours; a second burst a day or two later."""
    thread = big(seed)
    start = thread.post.published
    six_hours = Counter((c.published - start) // timedelta(hours=6) for c in thread.comments)

    second = max(six_hours[k] for k in range(4, 12))
    assert six_hours[0] >= 0.45 * len(thread.comments)
    assert second >= 2 * six_hours[3]
    assert second >= 0.08 * len(thread.comments)
    assert max(six_hours) >= 8  # a thin tail over several days


@pytest.mark.parametrize("seed", SEEDS)
def test_votes_are_heavy_tailed(seed: int) -> None:
    """The top comment has far more votes than the median one; some have downvotes."""
    ups = sorted(c.upvotes for c in big(seed).comments)

    assert ups[-1] >= 25 * ups[len(ups) // 2]
    assert ups[0] >= 1  # the author's own vote
    assert sum(c.downvotes for c in big(seed).comments) > 0


def test_an_instance_without_downvotes_shows_none() -> None:
    """Served by an instance that disables downvotes, every downvote count is 0."""
    thread = generate_thread(3, instance="beehaw.org")

    assert {c.downvotes for c in thread.comments} == {0}
    assert thread.post.score == thread.post.upvotes


def test_one_plan_served_by_three_instances() -> None:
    """Same ap_ids everywhere; local ids differ and match the ap_id of local comments."""
    plan = plan_thread(11, id_bases={"lemmy.ca": 26_000_000}, post_ids={"lemmy.ca": 41_000_000})

    views = [render_thread(plan, instance=h) for h in ("lemmy.ca", "lemmy.ml", "piefed.social")]

    assert len({tuple(c.ap_id for c in v.comments) for v in views}) == 1
    assert len({v.comments[0].comment_id for v in views}) == 3
    assert (views[0].post.post_id, views[0].comments[0].comment_id // 1_000_000) == (41_000_000, 26)
    for view in views:
        local = [c for c in view.comments if host_of(c.ap_id) == view.post.instance]
        assert local
        assert all(c.ap_id.endswith(f"/comment/{c.comment_id}") for c in local)


def test_shape_parameters_give_a_wide_shallow_thread() -> None:
    """3,000 comments, 60 % top level, depth 8: many top-level comments have no reply."""
    thread = generate_thread(
        4, instance="lemmy.ca", n_comments=3000, top_level_fraction=0.6, depth=8
    )
    top = [c for c in thread.comments if depth(c) == 1]

    assert len(thread.comments) == 3000
    assert max(depth(c) for c in thread.comments) == 8
    assert sum(c.child_count == 0 for c in top) >= 1000


@pytest.mark.parametrize("n", [0, 1, 2, 5, 30])
def test_tiny_threads_still_follow_the_rules(n: int) -> None:
    """Small sizes work: depth never exceeds the cap and the counts still agree."""
    thread = generate_thread(9, instance="lemmy.ca", n_comments=n, depth=3)

    assert len(thread.comments) == n
    assert all(1 <= depth(c) <= 3 for c in thread.comments)
    assert sum(c.distinguished for c in thread.comments) == (1 if n else 0)
    assert thread.post.comments == sum(not (c.deleted or c.removed) for c in thread.comments)
