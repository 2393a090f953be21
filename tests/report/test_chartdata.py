"""Chart frames aggregate the hand thread (tests/factories.hand_thread) as worked out by hand."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from msgspec.structs import replace

from fedithreads.analysis import pipeline
from fedithreads.report import chartdata
from tests.factories import T0, comment, hand_thread, post
from tests.report.conftest import hand_tables, snapshots_of


def test_depth_frame_counts_comments_per_depth_and_status() -> None:
    """Depth 1: 1, 5 visible and 8 removed; depth 2: 2, 3 visible and 6 deleted; depth 3: 4, 7."""
    comments = hand_tables()["comments"]

    frame = chartdata.depth_frame(comments)

    assert frame.select("depth", "status", "comments").rows() == [
        (1, "visible", 2),
        (1, "removed", 1),
        (2, "visible", 2),
        (2, "deleted", 1),
        (3, "visible", 2),
    ]


def test_shape_frame_lays_out_the_tree_as_an_icicle_in_pre_order() -> None:
    """Each node spans [pre-order rank, rank + subtree size); the post spans all 9 nodes."""
    comments = hand_tables()["comments"]

    frame = chartdata.shape_frame(comments)

    assert frame is not None
    spans = {
        node: (depth, x0, x1)
        for node, depth, x0, x1 in frame.select("node", "depth", "x0", "x1").rows()
    }
    # pre-order: P 1 2 4 3 5 6 7 8 → ranks 0..8; subtree sizes 9,4,2,1,1,3,2,1,1
    assert spans == {
        0: (0, 0, 9),
        1: (1, 1, 5),
        2: (2, 2, 4),
        4: (3, 3, 4),
        3: (2, 4, 5),
        5: (1, 5, 8),
        6: (2, 6, 8),
        7: (3, 7, 8),
        8: (1, 8, 9),
    }
    status = dict(frame.select("node", "status").rows())
    assert (status[0], status[6], status[8], status[7]) == ("post", "deleted", "removed", "visible")


def test_shape_frame_draws_missing_ancestors_and_stops_at_the_cap() -> None:
    """An orphan's missing parent is a 'not collected' node; above the cap there is no layout."""
    orphans = snapshots_of([post()], [comment(3, "0.1.2.3"), comment(4, "0.1.4")])
    comments = orphans.comments.collect()

    frame = chartdata.shape_frame(comments)

    assert frame is not None
    assert dict(frame.select("node", "status").rows()) == {
        0: "post",
        1: "not collected",
        2: "not collected",
        3: "visible",
        4: "visible",
    }
    assert chartdata.shape_frame(comments, cap=4) is None


def test_activity_frame_buckets_comments_authors_and_running_total() -> None:
    """1 h buckets: 4 comments by 3 authors in hour 0, then one each in hours 1, 2, 3 and 24."""
    frame, width = chartdata.activity_frame(hand_tables()["comments"], "1h")

    assert width == "1h"
    assert frame.select("comments", "authors", "cumulative_comments").rows() == [
        (4, 3, 4),
        (1, 1, 5),
        (1, 1, 6),
        (1, 1, 7),
        (1, 1, 8),
    ]
    hours = [T0 + timedelta(hours=h) for h in (0, 1, 2, 3, 24)]
    assert frame["bucket_start"].to_list() == hours
    assert frame["bucket_end"].to_list() == [h + timedelta(hours=1) for h in hours]


@pytest.mark.parametrize(
    ("span_days", "base", "expected"),
    [(1, "1h", "1h"), (30, "1h", "6h"), (30, "1d", "1d"), (400, "1h", "7d"), (10**6, "1h", "365d")],
)
def test_choose_bucket_keeps_activity_under_the_bar_cap(
    span_days: int, base: str, expected: str
) -> None:
    """The analysis width when it gives < 240 bars, else the first coarser ladder width."""
    assert chartdata.choose_bucket(span_days * 86400, base) == expected


def test_votes_frame_is_the_post_at_each_collection_in_long_form() -> None:
    """Two collections of the post → score, upvotes and downvotes at each, oldest first."""
    frame = chartdata.votes_frame(hand_tables()["vote_history"], "a.example", 100)

    day9, day10 = T0 + timedelta(days=9), T0 + timedelta(days=10)
    assert sorted(frame.rows()) == sorted(
        [
            (day9, "score", 10),
            (day9, "upvotes", 12),
            (day9, "downvotes", 2),
            (day10, "score", 15),
            (day10, "upvotes", 18),
            (day10, "downvotes", 3),
        ]
    )


def test_thin_times_keeps_evenly_spaced_collections_and_the_last() -> None:
    """10 collection times thinned to 4 keep every third time and the last one."""
    times = [T0 + timedelta(hours=h) for h in range(10)]
    frame = pl.DataFrame({"collected_at": times, "score": list(range(10))})

    kept = chartdata.thin_times(frame, cap=4)

    assert kept["score"].to_list() == [0, 3, 6, 9]


def test_completeness_frame_stacks_collected_and_missing_per_thread() -> None:
    """A thread reporting 6 more comments than were collected shows 6 missing."""
    p, comments = hand_thread()
    short = snapshots_of([replace(p, comments=12)], comments)
    stats = pipeline.analyze(short, bucket="1h")["thread_stats"]

    frame = chartdata.completeness_frame(stats)

    assert frame.rows() == [
        ("a.example/post/100", False, "collected", 8),
        ("a.example/post/100", False, "missing", 6),
    ]


def test_top_threads_orders_by_size_and_caps() -> None:
    """The largest threads first (by collected or reported comments), at most n."""
    stats = pl.DataFrame(
        {
            "instance": ["a", "b", "c"],
            "post_id": [1, 2, 3],
            "comments_collected": [5, 1, 9],
            "comments_reported": [5, 50, None],
        }
    )

    top = chartdata.top_threads(stats, 2)

    assert top["instance"].to_list() == ["b", "c"]


def test_activity_frame_opens_at_the_posts_bucket() -> None:
    """With ``since`` two hours before the first comment, an empty bucket opens the timeline."""
    comments = hand_tables()["comments"]

    frame, _ = chartdata.activity_frame(comments, "1h", since=T0 - timedelta(hours=2))
    same, _ = chartdata.activity_frame(comments, "1h", since=T0)

    assert frame.row(0) == (T0 - timedelta(hours=2), T0 - timedelta(hours=1), 0, 0, 0)
    assert frame.height == 6
    assert same.height == 5
