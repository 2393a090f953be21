"""The seeded mutation schedule: deterministic, every kind as its method says, rules kept."""

from __future__ import annotations

from collections import Counter

import pytest

from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.mutations import RATES, MutationSchedule
from tests.replay.conftest import dataset_of, make_thread


def community() -> ReplayDataset:
    """Four small threads in one community."""
    return dataset_of(*(make_thread(i, n_comments=6 + i, post_id=100 + i) for i in range(4)))


def test_the_same_seed_and_step_give_the_same_changes() -> None:
    """Two equal datasets changed by one seed for ten steps end equal; another seed not."""
    a, b, c = community(), community(), community()

    done_a = [MutationSchedule(5).step(a, i) for i in range(10)]
    done_b = [MutationSchedule(5).step(b, i) for i in range(10)]
    done_c = [MutationSchedule(6).step(c, i) for i in range(10)]

    assert done_a == done_b
    assert (a.posts(), a.all_comments()) == (b.posts(), b.all_comments())
    assert done_a != done_c


@pytest.mark.parametrize("kind", list(RATES))
def test_each_kind_applies_once_at_rate_one(kind: str) -> None:
    """With only ``kind`` at rate 1, one step makes exactly one change of that kind."""
    dataset = community()
    before = (dataset.posts(), dataset.all_comments())

    done = MutationSchedule(1, rates={kind: 1}).step(dataset, 0)

    assert [m.kind for m in done] == [kind]
    assert (dataset.posts(), dataset.all_comments()) != before


def test_counts_follow_the_changes_as_lemmy_triggers_do() -> None:
    """After 20 steps each post's ``comments`` is its comments neither deleted nor removed,
    and each comment's ``child_count`` its descendants, deleted ones included."""
    dataset = community()
    schedule = MutationSchedule(3, rates={"comment": 2, "reply": 3, "delete": 1, "remove": 1})
    kinds = Counter(m.kind for i in range(20) for m in schedule.step(dataset, i))
    comments = dataset.all_comments()

    assert set(kinds) == {"comment", "reply", "delete", "remove"}
    for post in dataset.posts():
        mine = dataset.comments_of(post.post_id)
        assert post.comments == sum(1 for c in mine if not (c.deleted or c.removed))
    for c in comments:
        below = [d for d in comments if d.path.startswith(c.path + ".")]
        assert c.child_count == len(below)


def test_locked_removed_and_protected_posts_are_treated_as_a_server_would() -> None:
    """No comment lands on a locked post, nothing touches a removed one, and a protected
    post is never removed."""
    dataset = community()
    dataset.lock_post(100)
    dataset.remove_post(101)
    rates = {"comment": 3, "reply": 3, "edit": 2, "post_votes": 2, "remove_post": 1}
    schedule = MutationSchedule(9, rates=rates, protected=frozenset({100, 102, 103}))

    done = [m for i in range(10) for m in schedule.step(dataset, i)]

    assert not [m for m in done if m.post_id == 101]
    assert not [m for m in done if m.post_id == 100 and m.kind in ("comment", "reply")]
    assert not [m for m in done if m.kind == "remove_post"]


def test_new_posts_appear_in_the_chosen_community_at_reference_time() -> None:
    """A new post has the next id, no comments, and is published "now"."""
    dataset = community()
    schedule = MutationSchedule(2, rates={"new_post": 1}, communities=("asklemmy@lemmy.ml",))

    (made,) = schedule.step(dataset, 0)
    post = dataset.post(made.post_id)

    assert post is not None
    assert made.post_id == 104
    assert (post.community, post.comments, post.published) == (
        "asklemmy@lemmy.ml",
        0,
        dataset.reference_time,
    )


def test_an_unknown_kind_is_refused() -> None:
    """A typo in ``rates`` is an error naming the known kinds."""
    with pytest.raises(ValueError, match="unknown mutation kinds"):
        MutationSchedule(1, rates={"vote": 1.0})
