"""Thread trees from paths: depth, order, orphans, placeholders, duplicates, rejections."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from fedithreads.core import tree
from fedithreads.core.records import CommentRecord
from fedithreads.core.tree import build_thread, build_threads, path_problem
from tests.factories import T0, comment, hand_thread, post
from tests.strategies import comment_records


def test_depth_and_parent_come_from_the_path() -> None:
    """Depth is labels − 1 and the parent is the second-to-last label."""
    p, comments = hand_thread()

    thread = build_thread(p, comments)

    depths = {n.comment_id: n.depth for n in thread.walk()}
    parents = {n.comment_id: n.parent_id for n in thread.walk()}
    assert depths == {1: 1, 2: 2, 4: 3, 3: 2, 5: 1, 6: 2, 7: 3, 8: 1}
    assert parents == {1: None, 2: 1, 4: 2, 3: 1, 5: None, 6: 5, 7: 6, 8: None}


def test_children_are_ordered_by_published_time_whatever_the_input_order() -> None:
    """Siblings come out oldest first, pre-order, even from shuffled input."""
    p, comments = hand_thread()
    shuffled = comments[::-1]

    thread = build_thread(p, shuffled)

    assert [n.comment_id for n in thread.walk()] == [1, 2, 4, 3, 5, 6, 7, 8]
    assert thread.roots == [1, 5, 8]


def test_orphans_are_kept_under_placeholders_for_every_missing_ancestor() -> None:
    """A reply whose parent and grandparent were not collected keeps depth 3."""
    p = post()
    orphan = comment(9, "0.3.5.9", minutes=5)

    thread = build_thread(p, [orphan])

    assert [(n.comment_id, n.depth, n.placeholder, n.orphan) for n in thread.walk()] == [
        (3, 1, True, False),
        (5, 2, True, False),
        (9, 3, False, True),
    ]
    assert [n.comment_id for n in thread.orphans] == [9]
    assert len(thread.comments) == 1


def test_a_placeholder_sorts_by_its_earliest_descendant() -> None:
    """A missing comment's branch takes the place of its oldest collected reply."""
    p = post()
    early_orphan = comment(20, "0.7.20", minutes=5)
    later_top = comment(8, "0.8", minutes=10)

    thread = build_thread(p, [later_top, early_orphan])

    assert thread.roots == [7, 8]


def test_duplicates_merge_keeping_the_latest_snapshot() -> None:
    """The same comment seen twice keeps the counts of the later collection."""
    p = post()
    old = comment(1, "0.1", score=1, collected_at=T0 + timedelta(days=1))
    new = comment(1, "0.1", score=7, collected_at=T0 + timedelta(days=2))

    for order in ([old, new], [new, old]):
        thread = build_thread(p, order)
        assert [n.record.score for n in thread.comments if n.record] == [7]


def test_invalid_paths_are_rejected_one_by_one_and_the_rest_builds() -> None:
    """Each kind of bad path is left out with its reason; good comments stay."""
    p = post()
    other_post_parent = comment(50, "0.50", post_id=200)
    bad = [
        comment(11, "0.x.11"),
        comment(12, "0.1.13"),
        comment(14, "0.1.14.1.14"),
        comment(15, "1.15"),
        comment(16, "0.50.16"),
        comment(17, ""),
    ]
    good = [comment(1, "0.1"), comment(2, "0.1.2")]

    threads = build_threads([p], [*good, *bad, other_post_parent])

    thread = threads[("a.example", 100)]
    reasons = {r.record.comment_id: r.reason for r in thread.rejected}
    assert sorted(reasons) == [11, 12, 14, 15, 16, 17]
    assert "not dot-separated integers" in reasons[11]
    assert "does not end in the comment's own id 12" in reasons[12]
    assert "repeats a label" in reasons[14]
    assert "does not start at the root label 0" in reasons[15]
    assert "parent 50 belongs to post 200, not 100" in reasons[16]
    assert [n.comment_id for n in thread.walk()] == [1, 2]


def test_a_path_that_contradicts_an_earlier_one_is_rejected() -> None:
    """Two paths may not give the same missing comment different parents."""
    p = post()
    first = comment(9, "0.3.5.9")
    contradicting = comment(10, "0.4.5.10")

    thread = build_thread(p, [first, contradicting])

    assert [r.record.comment_id for r in thread.rejected] == [10]
    assert "another path" in thread.rejected[0].reason


def test_path_problem_accepts_a_well_formed_path() -> None:
    """A path from root 0 to the comment's own id, labels unique, is fine."""
    assert path_problem(comment(7, "0.3.5.7")) is None


# --- properties ---------------------------------------------------------------------


@st.composite
def random_threads(draw: st.DrawFn) -> list[CommentRecord]:
    """A random reply tree of 1-60 comments with ids increasing in publish order."""
    n = draw(st.integers(1, 60))
    parents = [draw(st.integers(-1, i - 1)) for i in range(n)]  # -1 = the post
    paths: list[str] = []
    out = []
    for i, parent in enumerate(parents):
        cid = i + 1
        path = f"0.{cid}" if parent < 0 else f"{paths[parent]}.{cid}"
        paths.append(path)
        out.append(comment(cid, path, minutes=i))
    return out


def _shape(thread_comments: list[CommentRecord], page_size: int, seed: int) -> object:
    arrival = thread_comments[:]
    random.Random(seed).shuffle(arrival)
    pages = [arrival[i : i + page_size] for i in range(0, len(arrival), page_size)]
    # the last page is delivered twice, as a retried request would
    delivered = [c for page in pages for c in page] + pages[-1]
    thread = build_thread(post(), delivered)
    return [(n.comment_id, n.parent_id, n.depth, tuple(n.children)) for n in thread.walk()]


@settings(max_examples=150, deadline=None)
@given(random_threads(), st.integers(1, 50), st.integers(0, 2**32))
def test_any_page_size_and_arrival_order_give_the_same_tree(
    comments: list[CommentRecord], page_size: int, seed: int
) -> None:
    """Shuffled, paged and partly repeated delivery builds the identical tree."""
    assert _shape(comments, page_size, seed) == _shape(comments, len(comments), 0)


@settings(max_examples=150, deadline=None)
@given(random_threads())
def test_depth_is_the_number_of_ancestors(comments: list[CommentRecord]) -> None:
    """Walking parent links from any node reaches the post in exactly depth steps."""
    thread = build_thread(post(), comments)

    for node in thread.walk():
        steps, parent = 1, node.parent_id
        while parent is not None:
            steps, parent = steps + 1, thread.nodes[parent].parent_id
        assert steps == node.depth


@settings(max_examples=150, deadline=None)
@given(random_threads(), st.data())
def test_subtree_sizes_sum_correctly(comments: list[CommentRecord], data: st.DataObject) -> None:
    """A subtree is its root plus its children's subtrees; the roots' subtrees cover all."""
    dropped = data.draw(st.sets(st.sampled_from([c.comment_id for c in comments])))
    kept = [c for c in comments if c.comment_id not in dropped] or comments[:1]
    thread = build_thread(post(), kept)

    for node in thread.walk():
        assert thread.subtree_size(node.comment_id) == 1 + sum(
            thread.subtree_size(k) for k in node.children
        )
    assert sum(thread.subtree_size(r) for r in thread.roots) == len(thread.nodes)
    assert len(thread.comments) == len(kept)
    assert {n.comment_id for n in thread.orphans} == {
        c.comment_id
        for c in kept
        if c.path.count(".") > 1 and int(c.path.split(".")[-2]) not in {k.comment_id for k in kept}
    }


def test_records_are_immutable_so_merging_never_changes_the_input() -> None:
    """Building a tree leaves the records it was given untouched."""
    p, comments = hand_thread()
    before = [replace(c) for c in comments]

    build_thread(p, comments)

    assert comments == before


@settings(max_examples=200, deadline=None)
@given(comment_records(), st.booleans())
def test_placing_without_parsing_builds_what_parsing_builds(
    comments: list[CommentRecord], zero_padded: bool
) -> None:
    """The shortcut for well-formed paths gives the same trees and rejections as the
    full path check, on corrupted paths too (and zero-padded labels, which it leaves
    to the full check)."""
    if zero_padded:
        comments = [replace(c, path=c.path.replace(".", ".0")) for c in comments]
    posts = [post(100), post(200)]

    fast = build_threads(posts, comments)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tree, "_placed_at_once", lambda _thread, _c: False)
        slow = build_threads(posts, comments)

    assert fast == slow


def test_ids_that_are_not_positive_never_take_the_shortcut() -> None:
    """``0.0`` repeats the root label and ``0.-5`` is not integers: both rejected."""
    thread = build_thread(post(100), [comment(0, "0.0"), comment(-5, "0.-5")])

    assert thread.nodes == {}
    assert sorted(r.record.comment_id for r in thread.rejected) == [-5, 0]
