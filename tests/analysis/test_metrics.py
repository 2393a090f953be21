"""Thread metrics against values worked out by hand (see tests/factories.hand_thread)."""

from __future__ import annotations

import itertools
from collections import deque
from datetime import timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fedithreads.analysis.derived import Analysis, analyze
from fedithreads.analysis.frames import build_tables
from fedithreads.core.records import CommentRecord, PostRecord
from fedithreads.core.schema import TABLES
from tests.factories import T0, comment, hand_thread, post


def run(posts: list[PostRecord], comments: list[CommentRecord], bucket: str = "1h") -> Analysis:
    tables = build_tables(posts, comments)
    return analyze(tables.posts.lazy(), tables.comments.lazy(), bucket=bucket)


def stats_row(result: Analysis) -> dict[str, object]:
    assert result.thread_stats.height == 1
    return result.thread_stats.row(0, named=True)


def test_hand_worked_thread_stats() -> None:
    """Every thread_stats column of the 8-comment thread matches the hand calculation."""
    p, comments = hand_thread()

    row = stats_row(run([p], comments))

    # collected 8; visible = 8 − deleted(6) − removed(8) = 6 = reported → complete.
    assert row["comments_collected"] == 8
    assert row["comments_visible"] == 6
    assert row["comments_reported"] == 6
    assert row["missing"] == 0
    assert row["complete"] is True
    assert row["orphans"] == 0
    # alice, bob, op, carol, dave, erin
    assert row["authors"] == 6
    assert row["top_level"] == 3
    assert row["max_depth"] == 3
    # depths 1,2,2,3,1,2,3,1 → 15/8
    assert row["mean_depth"] == pytest.approx(15 / 8)
    # per depth: 3 (1,5,8), 3 (2,3,6), 2 (4,7)
    assert row["max_width"] == 3
    # children: P 3, #1 2, #2 1, #5 1, #6 1 → 8 replies / 5 nodes with replies
    assert row["mean_branching"] == pytest.approx(1.6)
    # n = 9; subtree sizes 4,2,1,1,3,2,1,1 → W = 20+14+8+8+18+14+8+8 = 98; C(9,2) = 36
    assert row["structural_virality"] == pytest.approx(98 / 36)
    assert (row["post_score"], row["post_upvotes"], row["post_downvotes"]) == (10, 12, 2)
    assert (row["comment_score"], row["comment_upvotes"], row["comment_downvotes"]) == (9, 12, 3)
    assert row["first_reply_seconds"] == 600
    # latencies 600, 600, 1200, 1800, 4200, 3300, 3300, 86400 → median (1800+3300)/2
    assert row["median_reply_latency_seconds"] == 2550
    assert row["lifespan_seconds"] == 86400
    assert (row["deleted"], row["removed"], row["op_replies"]) == (1, 1, 1)
    assert row["title"] == "Post 100"
    assert row["collected_at"] == p.collected_at


def test_missing_comments_show_as_orphans_placeholders_and_a_shortfall() -> None:
    """Without comments 2 and 6 the thread is incomplete by 2, with 2 orphans."""
    p, comments = hand_thread()
    partial = [c for c in comments if c.comment_id not in (2, 6)]

    row = stats_row(run([p], partial))

    assert row["comments_collected"] == 6
    # By count: visible 5 (#8 is removed) vs reported 6 → 1. By child_count: #1 promises
    # 3 descendants and #3, #4 were collected → short 1 (#2); #5 promises 2 and #7 was
    # collected → short 1 (#6). The placeholders #2, #6 sit under collected comments, so
    # they are not counted again: max(1, 2) = 2.
    assert row["missing"] == 2
    assert row["complete"] is False
    assert row["orphans"] == 2
    # placeholders keep the shape: same nodes as the full thread
    assert row["max_width"] == 3
    assert row["structural_virality"] == pytest.approx(98 / 36)
    # depths 1,2,3,1,3,1 over collected comments
    assert row["mean_depth"] == pytest.approx(11 / 6)
    # known parents only: #1 600, #3 1200, #5 4200, #8 86400 → (1200+4200)/2
    assert row["median_reply_latency_seconds"] == 2700


def test_a_missing_top_level_branch_counts_once_per_placeholder() -> None:
    """An orphan under a missing top-level comment counts that comment as missing."""
    p = post(comments=2)
    orphan = comment(9, "0.3.9", minutes=5, child_count=0)

    row = stats_row(run([p], [orphan]))

    assert (row["comments_collected"], row["orphans"], row["missing"]) == (1, 1, 1)
    assert row["complete"] is False


def test_thread_without_comments() -> None:
    """A post with no comments is complete when it reports none, with null shape metrics."""
    row = stats_row(run([post()], []))

    assert (row["comments_collected"], row["missing"], row["complete"]) == (0, 0, True)
    assert row["structural_virality"] is None
    assert row["first_reply_seconds"] is None
    assert row["max_width"] == 0


def test_comments_without_their_post_are_never_complete() -> None:
    """Comments whose post was not collected make a thread row with no title."""
    row = stats_row(run([], [comment(1, "0.1")]))

    assert row["title"] is None
    assert row["comments_reported"] is None
    assert row["complete"] is False


def test_activity_buckets() -> None:
    """Hourly buckets of the hand thread: 4, 1, 1, 1 on day one, then 1 the next day."""
    p, comments = hand_thread()

    activity = run([p], comments).activity

    h = timedelta(hours=1)
    assert activity.select("bucket_start", "comments", "authors", "cumulative_comments").rows() == [
        (T0, 4, 3, 4),
        (T0 + h, 1, 1, 5),
        (T0 + 2 * h, 1, 1, 6),
        (T0 + 3 * h, 1, 1, 7),
        (T0 + 24 * h, 1, 1, 8),
    ]


def test_activity_bucket_width_is_configurable() -> None:
    """With 1-day buckets the hand thread has 7 comments on day one and 1 on day two."""
    p, comments = hand_thread()

    activity = run([p], comments, bucket="1d").activity

    assert activity["comments"].to_list() == [7, 1]


def test_vote_history_keeps_every_snapshot_and_stats_use_the_latest() -> None:
    """Two runs give two rows per object; thread stats read the later counts."""
    p, comments = hand_thread()
    later = T0 + timedelta(days=11)
    p2 = post(comments=6, score=15, upvotes=17, downvotes=2, collected_at=later, run_id="run-2")
    c2 = [
        comment(
            1,
            "0.1",
            minutes=10,
            upvotes=9,
            downvotes=1,
            score=8,
            child_count=3,
            collected_at=later,
            run_id="run-2",
        )
    ]

    result = run([p, p2], [*comments, *c2])

    history = result.vote_history.filter(pl.col("id") == 1)
    assert history.select("kind", "collected_at", "score", "child_count").rows() == [
        ("comment", p.collected_at, 4, 3),
        ("comment", later, 8, 3),
    ]
    post_rows = result.vote_history.filter(pl.col("kind") == "post")
    assert post_rows["score"].to_list() == [10, 15]
    assert post_rows["child_count"].null_count() == 2
    row = stats_row(result)
    assert (row["post_score"], row["comment_score"], row["collected_at"]) == (15, 13, later)


def test_tables_have_the_declared_schemas() -> None:
    """The derived tables carry exactly the columns and dtypes of fedithreads.core.schema."""
    p, comments = hand_thread()

    result = run([p], comments)

    for name in ("thread_stats", "activity", "vote_history"):
        assert dict(getattr(result, name).schema) == TABLES[name]


# --- the Polars metrics agree with a slow, obvious computation ----------------------


@st.composite
def random_trees(draw: st.DrawFn) -> list[CommentRecord]:
    n = draw(st.integers(1, 40))
    paths: list[str] = []
    out = []
    for i in range(n):
        parent = draw(st.integers(-1, i - 1))
        path = f"0.{i + 1}" if parent < 0 else f"{paths[parent]}.{i + 1}"
        paths.append(path)
        out.append(comment(i + 1, path, minutes=i * 7))
    return out


def brute_force(comments: list[CommentRecord]) -> tuple[float, int, float]:
    """Virality by BFS over all pairs, width and branching by counting: no formulas."""
    edges: dict[int, set[int]] = {0: set()}
    for c in comments:
        labels = [int(x) for x in c.path.split(".")]
        for a, b in itertools.pairwise(labels):
            edges.setdefault(a, set()).add(b)
            edges.setdefault(b, set()).add(a)
    nodes = list(edges)
    total = 0
    for src in nodes:
        dist, queue = {src: 0}, deque([src])
        while queue:
            u = queue.popleft()
            for v in edges[u]:
                if v not in dist:
                    dist[v] = dist[u] + 1
                    queue.append(v)
        total += sum(dist.values())
    n = len(nodes)
    virality = total / (n * (n - 1))
    depth = {0: 0}
    for c in sorted(comments, key=lambda c: c.path.count(".")):
        labels = [int(x) for x in c.path.split(".")]
        for i, label in enumerate(labels):
            depth[label] = i
    widths: dict[int, int] = {}
    for node, d in depth.items():
        if node:
            widths[d] = widths.get(d, 0) + 1
    parents = {
        node for node in nodes if any(depth.get(v, -1) == depth[node] + 1 for v in edges[node])
    }
    return virality, max(widths.values()), (n - 1) / len(parents)


@settings(max_examples=60, deadline=None)
@given(random_trees(), st.data())
def test_shape_metrics_match_brute_force(
    comments: list[CommentRecord], data: st.DataObject
) -> None:
    """Virality, width and branching equal pairwise BFS and counting, orphans included."""
    dropped = data.draw(st.sets(st.sampled_from([c.comment_id for c in comments])))
    kept = [c for c in comments if c.comment_id not in dropped] or comments[:1]

    row = stats_row(run([post()], kept))

    virality, width, branching = brute_force(kept)
    assert row["structural_virality"] == pytest.approx(virality)
    assert row["max_width"] == width
    assert row["mean_branching"] == pytest.approx(branching)
