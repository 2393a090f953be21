"""build_tables skips the tree builder only when the tree builder would reject nothing."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from polars.testing import assert_frame_equal

from fedithreads.analysis import frames
from fedithreads.analysis.pipeline import load_snapshots
from fedithreads.core.records import CommentRecord
from fedithreads.core.rows import comments_frame
from tests.factories import comment, post
from tests.strategies import comment_records


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

    assert frames.paths_agree(comments_frame(comments))


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

    assert not frames.paths_agree(comments_frame(comments)), reason


def test_a_parent_in_another_post_takes_the_tree_builder() -> None:
    """A path naming a comment of another post as parent defeats the shortcut."""
    comments = [comment(1, "0.1", post_id=200), comment(2, "0.1.2")]

    assert not frames.paths_agree(comments_frame(comments))


def test_a_path_of_words_is_a_rejected_row_not_an_error() -> None:
    """Framing every row before validation never fails on a label that is not a number."""
    comments = [comment(1, "0.1"), comment(2, "0.x.y")]

    tables = frames.build_tables([post()], comments)

    assert tables.comments["comment_id"].to_list() == [1]
    assert [r.record.comment_id for r in tables.rejected] == [2]


def test_the_creators_flags_reach_the_posts_and_comments_tables() -> None:
    """The test instance's bot accounts (``bot_account`` in the saved post list) are the
    posts table's ``author_bot`` rows; no author there is banned or deleted."""
    capture = Path(__file__).parents[2] / "fixtures/real/lemmy-0.19.18-test-instance"
    doc = json.loads((capture / "post-list__test-instance.json").read_text())
    bots = {v["post"]["id"] for v in doc["posts"] if v["creator"]["bot_account"]}

    snapshots = load_snapshots([capture], capture)
    posts = snapshots.posts.collect()
    comments = snapshots.comments.collect()

    assert bots
    assert set(posts.filter("author_bot")["post_id"]) == bots
    assert posts.select(pl.col("author_banned", "author_deleted").any()).row(0) == (False, False)
    assert comments.height > 0
    assert comments["author_bot"].null_count() == 0
