"""build_tables skips the tree builder only when the tree builder would reject nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from fedithreads.analysis import frames
from fedithreads.core.records import CommentRecord
from tests.factories import T0, comment, post

CORRUPTIONS = ("none", "letters", "no-root", "not-own", "repeat", "other-parent", "other-post")


@st.composite
def comment_records(draw: st.DrawFn) -> list[CommentRecord]:
    """Comments of posts 100 and 200 from random trees, in two runs, some corrupted."""
    out: list[CommentRecord] = []
    paths: dict[int, str] = {}
    for i in range(1, draw(st.integers(1, 30)) + 1):
        parent = draw(st.sampled_from([0, *paths]))
        path = f"{paths[parent] if parent else '0'}.{i}"
        paths[i] = path
        post_id = 200 if parent == 0 and draw(st.integers(0, 4)) == 0 else 100
        if parent:
            post_id = next(c.post_id for c in out if c.comment_id == parent)
        path, post_id = _corrupt(draw, path, post_id, i)
        for run in range(draw(st.integers(1, 2))):
            when = T0 + timedelta(days=10 + run)
            out.append(comment(i, path, post_id=post_id, collected_at=when, run_id=f"run-{run}"))
    return draw(st.permutations(out))


def _corrupt(draw: st.DrawFn, path: str, post_id: int, i: int) -> tuple[str, int]:
    kind = draw(st.sampled_from(CORRUPTIONS)) if draw(st.integers(0, 5)) == 0 else "none"
    labels = path.split(".")
    if kind == "letters":
        return path + "x", post_id
    if kind == "no-root":
        return path[2:] or "1", post_id
    if kind == "not-own":
        return f"{path}0", post_id
    if kind == "repeat" and len(labels) > 2:
        return ".".join([*labels[:-1], labels[1], labels[-1]]), post_id
    if kind == "other-parent" and len(labels) > 2:
        return f"0.{labels[-2]}.{i}" if len(labels) > 3 else f"0.1.{i}", post_id
    if kind == "other-post":
        return path, 300
    return path, post_id


@settings(max_examples=200, deadline=None)
@given(comment_records())
def test_fast_path_gives_what_the_tree_builder_gives(comments: list[CommentRecord]) -> None:
    """Same tables and rejections with and without the vectorised shortcut."""
    posts = [post(100), post(200)]

    fast = frames.build_tables(posts, comments)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(frames, "paths_agree", lambda _frame: False)
        slow = frames.build_tables(posts, comments)

    assert_frame_equal(fast.posts, slow.posts)
    assert_frame_equal(fast.comments, slow.comments)
    assert fast.rejected == slow.rejected


def test_a_clean_thread_takes_the_fast_path() -> None:
    """Well-formed, agreeing paths are accepted without building trees."""
    comments = [comment(1, "0.1"), comment(2, "0.1.2"), comment(3, "0.3")]

    assert frames.paths_agree(frames.comments_frame(comments))


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        ([(1, "0.1"), (2, "0.1.x2")], "a label is not an integer"),
        ([(1, "0.1"), (2, "1.2")], "a path does not start at 0"),
        ([(1, "0.1"), (2, "0.1.3")], "a path does not end in its own id"),
        ([(1, "0.1"), (2, "0.1.1.2")], "a path repeats a label"),
        ([(1, "0.1"), (3, "0.3"), (4, "0.1.3.4")], "two paths give 3 different parents"),
    ],
)
def test_any_doubt_takes_the_tree_builder(rows: list[tuple[int, str]], reason: str) -> None:
    """Each problem the tree builder rejects for defeats the shortcut."""
    comments = [comment(comment_id, path) for comment_id, path in rows]

    assert not frames.paths_agree(frames.comments_frame(comments)), reason


def test_a_parent_in_another_post_takes_the_tree_builder() -> None:
    """A path naming a comment of another post as parent defeats the shortcut."""
    comments = [comment(1, "0.1", post_id=200), comment(2, "0.1.2")]

    assert not frames.paths_agree(frames.comments_frame(comments))


def test_a_path_of_words_is_a_rejected_row_not_an_error() -> None:
    """Framing every row before validation never fails on a label that is not a number."""
    comments = [comment(1, "0.1"), comment(2, "0.x.y")]

    tables = frames.build_tables([post()], comments)

    assert tables.comments["comment_id"].to_list() == [1]
    assert [r.record.comment_id for r in tables.rejected] == [2]
