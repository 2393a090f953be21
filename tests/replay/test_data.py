"""The replay dataset: building it, mutating it between runs, and serving the changes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from msgspec.structs import replace

from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.order import nlevel
from tests.replay.conftest import dataset_of, get_comments, make_thread, serving

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_add_comment_updates_every_count_a_trigger_would() -> None:
    """A reply gets id max+1 and its parent's path; every ancestor's ``child_count`` and the
    post's ``comments`` grow by one; ``newest_comment_time`` moves to it."""
    thread = make_thread(n_comments=80)
    dataset = dataset_of(thread)
    parent = next(c for c in thread.comments if nlevel(c.path) == 4)
    ancestors = [int(label) for label in parent.path.split(".")[1:]]
    assert thread.post.newest_comment_time is not None
    when = thread.post.newest_comment_time + timedelta(hours=1)
    before = {i: dataset.comment(i).child_count for i in ancestors}  # type: ignore[union-attr]

    new = dataset.add_comment(
        thread.post.post_id,
        parent.comment_id,
        author="zed@lemmy.ca",
        content="Late.",
        published=when,
    )

    assert new.comment_id == max(c.comment_id for c in thread.comments) + 1
    assert new.path == f"{parent.path}.{new.comment_id}"
    assert new.author_ap_id == "https://lemmy.ca/u/zed"
    after = {i: dataset.comment(i).child_count for i in ancestors}  # type: ignore[union-attr]
    assert after == {i: n + 1 for i, n in before.items()}
    post = dataset.post(thread.post.post_id)
    assert post is not None
    assert post.comments == thread.post.comments + 1
    assert post.newest_comment_time == when
    assert new.comment_id in dataset.comment_ids(thread.post.post_id)


def test_served_lists_follow_mutations() -> None:
    """After a new comment, new votes and a deletion, the server shows the new state."""
    thread = make_thread(n_comments=10)
    dataset = dataset_of(thread)
    top = next(c for c in thread.comments if c.comment_id != thread.comments[-1].comment_id)
    with serving(dataset) as (_, client):
        query = {"post_id": thread.post.post_id, "type_": "All", "sort": "Old", "limit": 50}
        before, _, _ = get_comments(client, "lemmy-v3", **query)
        reply = dataset.add_comment(
            thread.post.post_id, top.comment_id, author="a@b.c", content="x"
        )
        dataset.set_votes("comment", top.comment_id, 40, 2)
        dataset.delete_comment(reply.comment_id)
        after, _, body = get_comments(client, "lemmy-v3", **query)
        post = client.get("/api/v3/post", params={"id": thread.post.post_id}).json()

    views = {v["comment"]["id"]: v for v in body["comments"]}
    assert after == [*before, reply.comment_id]
    assert views[top.comment_id]["counts"]["score"] == 38
    assert views[top.comment_id]["counts"]["child_count"] == top.child_count + 1
    assert views[reply.comment_id]["comment"]["deleted"] is True
    assert views[reply.comment_id]["comment"]["content"] == ""
    assert post["post_view"]["counts"]["comments"] == thread.post.comments


def test_an_edit_changes_the_text_and_updated_and_no_count() -> None:
    """An edited comment gets its new text and ``updated``; its post's ``comments`` and
    ``newest_comment_time`` and its ancestors' ``child_count`` stay; a post edit sets
    ``body``."""
    thread = make_thread(n_comments=40)
    dataset = dataset_of(thread)
    reply = next(c for c in thread.comments if nlevel(c.path) == 3)
    when = dataset.reference_time + timedelta(minutes=5)
    before = dataset.all_comments()

    dataset.edit("comment", reply.comment_id, "New text.", when=when)
    edited = dataset.comment(reply.comment_id)
    dataset.edit("post", thread.post.post_id, "A body now.")
    post = dataset.post(thread.post.post_id)

    assert edited is not None
    assert (edited.content, edited.updated) == ("New text.", when)
    assert [c for c in dataset.all_comments() if c.comment_id != reply.comment_id] == [
        c for c in before if c.comment_id != reply.comment_id
    ]
    assert post is not None
    assert (post.body, post.updated) == ("A body now.", dataset.reference_time)
    assert (post.comments, post.newest_comment_time) == (
        thread.post.comments,
        thread.post.newest_comment_time,
    )


def test_a_locked_post_is_still_served_and_a_removed_one_is_not_found() -> None:
    """``lock_post`` shows ``locked``; after ``remove_post`` anonymous callers neither
    fetch nor list the post, while its comments stay in the ground truth."""
    one, two = make_thread(1, n_comments=3), make_thread(2, n_comments=3)
    dataset = dataset_of(one, two)
    with serving(dataset) as (_, client):
        dataset.lock_post(one.post.post_id)
        locked = client.get("/api/v3/post", params={"id": one.post.post_id}).json()
        dataset.remove_post(two.post.post_id)
        gone = client.get("/api/v3/post", params={"id": two.post.post_id})
        listing = client.get("/api/v3/post/list", params={"type_": "All", "sort": "New"})

    assert locked["post_view"]["post"]["locked"] is True
    assert 400 <= gone.status_code < 500
    assert gone.json()["error"] == "couldnt_find_post"
    assert [v["post"]["id"] for v in listing.json()["posts"]] == [one.post.post_id]
    assert dataset.comment_ids(two.post.post_id) == {c.comment_id for c in two.comments}


def test_set_votes_on_a_post() -> None:
    """``set_votes`` replaces up/down votes and the score."""
    thread = make_thread(n_comments=1)
    dataset = dataset_of(thread)

    updated = dataset.set_votes("post", thread.post.post_id, 10, 3)

    assert (updated.upvotes, updated.downvotes, updated.score) == (10, 3, 7)
    assert dataset.post(thread.post.post_id) == updated


def test_bad_mutations_are_refused() -> None:
    """Replies to another post's comment, unknown posts and unknown kinds are errors."""
    one, two = make_thread(1, n_comments=3), make_thread(2, n_comments=3)
    dataset = dataset_of(one, two)
    with pytest.raises(ValueError, match="not a comment of post"):
        dataset.add_comment(one.post.post_id, two.comments[0].comment_id, author="a@b", content="x")
    with pytest.raises(KeyError):
        dataset.add_comment(12345, author="a@b", content="x")
    with pytest.raises(ValueError, match="kind"):
        dataset.set_votes("vote", 1, 1, 1)
    with pytest.raises(KeyError):
        dataset.edit("comment", 12345, "x")


def test_latest_snapshot_wins_and_orphans_are_dropped() -> None:
    """Built from records, the newest snapshot of each id is kept; comments whose post is
    not there are set aside in ``dropped``."""
    thread = make_thread(n_comments=5)
    first = thread.comments[0]
    newer = replace(first, score=99, collected_at=first.collected_at + timedelta(days=1))
    older = replace(first, score=-5, collected_at=first.collected_at - timedelta(days=1))
    orphan = replace(first, comment_id=1, post_id=2)

    dataset = ReplayDataset([thread.post], [newer, *thread.comments, older, orphan])

    stored = dataset.comment(first.comment_id)
    assert stored is not None
    assert stored.score == 99
    assert dataset.dropped == [orphan]
    assert dataset.comment_ids(thread.post.post_id) == {c.comment_id for c in thread.comments}


def test_from_fixtures_and_post_ids_by_community() -> None:
    """A fixture directory loads whole; ``post_ids`` filters by ``name@host`` or ap_id."""
    dataset = ReplayDataset.from_fixtures([FIXTURES / "lemmy-v3" / "big-thread"])
    (post,) = dataset.posts()

    assert len(dataset.comment_ids(post.post_id)) == 420
    assert dataset.post_ids("technology@lemmy.world") == {post.post_id}
    assert dataset.post_ids(post.community_ap_id) == {post.post_id}
    assert dataset.post_ids("other@lemmy.world") == set()
