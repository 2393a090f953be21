"""The authors table and the author graph, against values worked out by hand."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from hypothesis import given, settings
from msgspec.structs import replace
from polars.testing import assert_frame_equal

from fedithreads.analysis import pipeline
from fedithreads.analysis.authors import authors_table
from fedithreads.analysis.frames import build_tables
from fedithreads.analysis.replies import author_edges, replied_to
from fedithreads.core import schema
from fedithreads.core.records import CommentRecord, PostRecord
from tests.analysis import reference
from tests.analysis.test_equivalence import snapshot_tables
from tests.factories import T0, comment, hand_thread


def tables(
    posts: list[PostRecord], comments: list[CommentRecord]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    built = build_tables(posts, comments)
    return built.posts, built.comments


def by_author(table: pl.DataFrame, *columns: str) -> dict[str, tuple[object, ...]]:
    return {row[0]: row[1:] for row in table.select("author", *columns).iter_rows()}


def minutes(n: int) -> object:
    return T0 + timedelta(minutes=n)


def test_hand_worked_authors_of_the_eight_comment_thread() -> None:
    """Posts, comments, threads, first/last seen, host and replies given and received of
    every author of tests/factories.hand_thread, in the order they first appear."""
    p, comments = hand_thread()

    table = authors_table(*tables([p], comments))

    # op: the post (T0) and #3 (+30); answered by #1, #5, #8; answers alice (#3)
    # alice: #1 (+10) → op, #4 (+50) → bob; answered by #2 (bob), #3 (op)
    # bob: #2 (+20) → alice, #7 (+180) → dave; answered by #4 (alice)
    # carol: #5 (+70) → op, answered by #6; dave: #6 (+125) → carol, answered by #7
    # erin: #8 (+1440) → op, answered by nobody
    assert by_author(table, "posts", "comments", "threads", "first_seen", "last_seen") == {
        "op@a.example": (1, 1, 1, T0, minutes(30)),
        "alice@a.example": (0, 2, 1, minutes(10), minutes(50)),
        "bob@b.example": (0, 2, 1, minutes(20), minutes(180)),
        "carol@b.example": (0, 1, 1, minutes(70), minutes(70)),
        "dave@c.example": (0, 1, 1, minutes(125), minutes(125)),
        "erin@c.example": (0, 1, 1, minutes(1440), minutes(1440)),
    }
    assert by_author(table, "replies_given", "replies_received", "host", "local") == {
        "op@a.example": (1, 3, "a.example", True),
        "alice@a.example": (2, 2, "a.example", True),
        "bob@b.example": (2, 1, "b.example", False),
        "carol@b.example": (1, 1, "b.example", False),
        "dave@c.example": (1, 1, "c.example", False),
        "erin@c.example": (1, 0, "c.example", False),
    }
    assert table.schema == pl.Schema(schema.AUTHORS)
    assert table["author"].to_list()[:3] == ["op@a.example", "alice@a.example", "bob@b.example"]


def test_hand_worked_author_graph_of_the_eight_comment_thread() -> None:
    """One edge per comment, from its author to the author of what it answers."""
    p, comments = hand_thread()

    edges = author_edges(replied_to(*tables([p], comments)))

    u = "https://{}.example/u/{}".format
    op, alice, bob = u("a", "op"), u("a", "alice"), u("b", "bob")
    carol, dave, erin = u("b", "carol"), u("c", "dave"), u("c", "erin")
    assert set(edges.select("source", "target", "weight", "threads").iter_rows()) == {
        (alice, op, 1, 1),  # 1
        (bob, alice, 1, 1),  # 2
        (op, alice, 1, 1),  # 3
        (alice, bob, 1, 1),  # 4
        (carol, op, 1, 1),  # 5
        (dave, carol, 1, 1),  # 6
        (bob, dave, 1, 1),  # 7
        (erin, op, 1, 1),  # 8
    }
    assert edges["instance"].unique().to_list() == ["a.example"]


def test_self_replies_orphans_and_a_missing_post_give_no_replies_and_flags_are_the_latest() -> None:
    """alice answers the post (not collected) and then herself; bob answers a comment that
    was not collected: no reply given or received, one loop in the graph. alice's flags
    are the latest each page showed; bob's were never shown (null)."""
    day = timedelta(days=1)
    comments = [
        comment(1, "0.1", post_id=200, collected_at=T0 + day, author_bot=False,
                author_banned=False),
        comment(2, "0.1.2", post_id=200, collected_at=T0 + 2 * day, minutes=5, author_bot=True),
        comment(4, "0.3.4", post_id=200, author="bob", minutes=9),
    ]  # fmt: skip
    posts, rows = tables([], comments)

    table = authors_table(posts, rows)
    edges = author_edges(replied_to(posts, rows))

    assert by_author(table, "comments", "replies_given", "replies_received", "bot", "banned") == {
        "alice@a.example": (2, 0, 0, True, False),
        "bob@a.example": (1, 0, 0, None, None),
    }
    alice = "https://a.example/u/alice"
    assert edges.select("source", "target", "weight").rows() == [(alice, alice, 1)]


def test_each_instance_has_its_own_rows() -> None:
    """The same thread held by two instances: each copy's authors are counted in it, and
    an author is local only on their own host."""
    p, comments = hand_thread()
    copies = [replace(c, instance="b.example") for c in comments]

    table = authors_table(*tables([p, replace(p, instance="b.example")], [*comments, *copies]))

    local = table.filter(pl.col("author") == "op@a.example").select("instance", "local")
    assert local.rows() == [("a.example", True), ("b.example", False)]
    assert table.group_by("instance").agg(pl.col("comments").sum()).sort("instance").rows() == [
        ("a.example", 8),
        ("b.example", 8),
    ]


def test_the_display_name_is_the_latest_one_a_page_gave() -> None:
    """alice showed "Alice" on day 1 and "Alice B." on day 2, then no name on day 3 (a
    page that did not say): "Alice B."; bob never showed one: null."""
    day = timedelta(days=1)
    comments = [
        comment(1, "0.1", collected_at=T0 + day, author_display_name="Alice"),
        comment(2, "0.2", collected_at=T0 + 2 * day, author_display_name="Alice B."),
        comment(3, "0.3", collected_at=T0 + 3 * day),
        comment(4, "0.4", author="bob"),
    ]
    posts, rows = tables([], comments)

    table = authors_table(posts, rows)

    assert by_author(table, "display_name") == {
        "alice@a.example": ("Alice B.",),
        "bob@a.example": (None,),
    }


def test_of_two_display_names_shown_at_one_time_the_later_row_wins() -> None:
    """alice showed "A" then "B" in rows collected at the same instant, and "Z" a day
    earlier: "B"; carol's only name is in her earliest row: that one."""
    day = timedelta(days=1)
    comments = [
        comment(1, "0.1", collected_at=T0 + day, author_display_name="Z"),
        comment(2, "0.2", collected_at=T0 + 2 * day, author_display_name="A"),
        comment(3, "0.3", collected_at=T0 + 2 * day, author_display_name="B"),
        comment(4, "0.4", collected_at=T0, author="carol", author_display_name="C"),
        comment(5, "0.5", collected_at=T0 + day, author="carol"),
    ]
    posts, rows = tables([], comments)

    table = authors_table(posts, rows)

    assert by_author(table, "display_name") == {
        "alice@a.example": ("B",),
        "carol@a.example": ("C",),
    }


@settings(max_examples=40, deadline=None)
@given(snapshot_tables())
def test_per_instance_authors_equal_the_table_of_all_rows(
    tables: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    """pipeline.analyze's authors, computed per instance on integer codes, are exactly
    authors_table of all current posts and comments at once, rows in the same order."""
    posts, comments = tables
    keys = ["instance", "post_id"]
    current_posts = reference.current(posts.lazy(), "post_id").collect().sort(keys)
    current_comments = reference.current(comments.lazy(), "comment_id").collect()

    ours = pipeline.analyze(pipeline.Snapshots(posts.lazy(), comments.lazy(), ()), bucket="1h")[
        "authors"
    ]

    expected = authors_table(current_posts, current_comments.sort([*keys, "comment_id"]))
    assert_frame_equal(ours, expected)
