"""The fast analysis agrees with the straightforward first version on random snapshots."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from fedithreads.analysis.derived import analyze, write_analysis
from fedithreads.analysis.parts import instance_parts
from fedithreads.analysis.snapshots import current
from fedithreads.core import schema
from tests.analysis import reference

T0 = datetime(2026, 1, 1, tzinfo=UTC)
INSTANCES = ("a.example", "b.example")


@st.composite
def snapshot_tables(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Posts and comments of a few threads on two instances: random trees, some comments
    never collected (orphans, placeholders), several snapshots per object (with equal
    collected_at now and then), threads without a post, ids past 32 bits or not."""
    base = draw(st.sampled_from([0, 1 << 33, 1 << 61]))
    next_id = base + 1
    posts: list[dict[str, Any]] = []
    comments: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 4))):
        instance = draw(st.sampled_from(INSTANCES))
        post_id = base + draw(st.integers(1, 5))
        if draw(st.booleans()) or not posts:
            for run in range(draw(st.integers(1, 2))):
                posts.append(_post(draw, instance, post_id, run))
        paths: list[str] = []
        for i in range(draw(st.integers(0, 25))):
            parent = draw(st.integers(-1, i - 1))
            path = f"{paths[parent] if parent >= 0 else '0'}.{next_id}"
            paths.append(path)
            if draw(st.integers(0, 9)) > 1:  # ~20 % never collected
                for run in range(draw(st.integers(1, 3))):
                    comments.append(_comment(draw, instance, post_id, next_id, path, run))
            next_id += 1
    order = draw(st.permutations(range(len(comments))))
    return (
        schema.conform(pl.DataFrame(posts, schema=schema.POSTS), "posts"),
        schema.conform(
            pl.DataFrame([comments[i] for i in order], schema=schema.COMMENTS), "comments"
        ),
    )


def _when(draw: st.DrawFn) -> datetime:
    return T0 + timedelta(days=10 + draw(st.integers(0, 2)))


def _post(draw: st.DrawFn, instance: str, post_id: int, run: int) -> dict[str, Any]:
    return {
        "instance": instance,
        "post_id": post_id,
        "ap_id": f"https://{instance}/post/{post_id}",
        "title": f"Post {post_id}",
        "community": f"c@{instance}",
        "author_ap_id": f"https://{instance}/u/{draw(st.sampled_from('abc'))}",
        "published": T0,
        "comments": draw(st.integers(0, 30)),
        "score": draw(st.integers(-3, 50)),
        "upvotes": draw(st.integers(0, 50)),
        "downvotes": draw(st.integers(0, 5)),
        "collected_at": _when(draw),
        "run_id": f"run-{run}",
    }


def _comment(
    draw: st.DrawFn, instance: str, post_id: int, comment_id: int, path: str, run: int
) -> dict[str, Any]:
    labels = path.split(".")
    return {
        "instance": instance,
        "comment_id": comment_id,
        "post_id": post_id,
        "ap_id": f"https://{instance}/comment/{comment_id}",
        "parent_id": int(labels[-2]) if len(labels) > 2 else None,
        "path": path,
        "depth": len(labels) - 1,
        "author_ap_id": f"https://{instance}/u/{draw(st.sampled_from('abcdop'))}",
        "published": T0 + timedelta(minutes=draw(st.integers(1, 3000))),
        "deleted": draw(st.integers(0, 9)) == 0,
        "removed": draw(st.integers(0, 9)) == 0,
        "score": draw(st.integers(-3, 20)),
        "upvotes": draw(st.integers(0, 20)),
        "downvotes": draw(st.integers(0, 5)),
        "child_count": draw(st.integers(0, 6)),
        "collected_at": _when(draw),
        "run_id": f"run-{run}",
    }


@settings(max_examples=150, deadline=None)
@given(snapshot_tables())
def test_all_derived_tables_match_the_first_version(
    tables: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    """thread_stats, activity and vote_history equal the oracle's, on any snapshots."""
    posts, comments = tables

    ours = analyze(posts.lazy(), comments.lazy())
    theirs = reference.analyze(posts.lazy(), comments.lazy())

    assert_frame_equal(ours.thread_stats, theirs.thread_stats, rel_tol=1e-12)
    assert_frame_equal(ours.activity, theirs.activity)
    assert_frame_equal(ours.vote_history, theirs.vote_history)


@settings(max_examples=60, deadline=None)
@given(snapshot_tables(), st.booleans())
def test_snapshots_read_oldest_or_newest_first_give_the_first_versions_tables(
    tables: tuple[pl.DataFrame, pl.DataFrame], newest_first: bool
) -> None:
    """Snapshots read in time order (one sort by object orders them) or against it (the
    time orders them too) give the oracle's thread_stats, activity and vote_history."""
    posts, comments = (
        t.sort("collected_at", descending=newest_first, maintain_order=True) for t in tables
    )

    ours = analyze(posts.lazy(), comments.lazy())
    theirs = reference.analyze(posts.lazy(), comments.lazy())

    assert_frame_equal(ours.thread_stats, theirs.thread_stats, rel_tol=1e-12)
    assert_frame_equal(ours.activity, theirs.activity)
    assert_frame_equal(ours.vote_history, theirs.vote_history)


@settings(max_examples=60, deadline=None)
@given(snapshot_tables())
def test_current_keeps_the_same_rows(tables: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    """current() picks the same snapshot per object as the first version: the latest
    collected_at, then the later row."""
    _, comments = tables
    keys = ["instance", "comment_id"]

    ours = current(comments.lazy(), "comment_id").collect().sort(keys)
    theirs = reference.current(comments.lazy(), "comment_id").collect().sort(keys)

    assert_frame_equal(ours, theirs)


@settings(max_examples=60, deadline=None)
@given(snapshot_tables())
def test_streaming_gives_the_same_tables(tables: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    """analyze(streaming=True) returns exactly what the in-memory run returns."""
    posts, comments = tables

    memory = analyze(posts.lazy(), comments.lazy())
    streaming = analyze(posts.lazy(), comments.lazy(), streaming=True)

    for name in ("thread_stats", "activity", "vote_history"):
        assert_frame_equal(getattr(memory, name), getattr(streaming, name))


@settings(max_examples=60, deadline=None)
@given(snapshot_tables())
def test_current_tables_are_the_latest_rows_in_table_order(
    tables: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    """The current posts and comments the parts keep (every column) are the first
    version's latest snapshots, sorted by (instance, post_id[, comment_id])."""
    posts, comments = tables

    parts = list(
        instance_parts(posts.lazy(), comments.lazy(), bucket="1h", tables=list(schema.COMMENTS))
    )
    ours_posts = pl.concat([p.posts for p in parts if p.posts is not None])
    ours_comments = pl.concat([p.comments for p in parts if p.comments is not None])

    keys = ["instance", "post_id"]
    theirs_posts = reference.current(posts.lazy(), "post_id").collect().sort(keys)
    theirs_comments = reference.current(comments.lazy(), "comment_id").collect()
    assert_frame_equal(ours_posts, theirs_posts)
    assert_frame_equal(ours_comments, theirs_comments.sort([*keys, "comment_id"]))


@settings(max_examples=30, deadline=None)
@given(snapshot_tables())
def test_written_analysis_reads_back_as_the_analysis(
    tables: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    """write_analysis (each instance's rows written as they come, partitioned by
    instance) writes exactly the tables analyze returns."""
    posts, comments = tables

    memory = analyze(posts.lazy(), comments.lazy())
    with tempfile.TemporaryDirectory() as out:
        write_analysis(Path(out), posts.lazy(), comments.lazy())
        for name in ("thread_stats", "activity", "vote_history", "federation"):
            files = sorted(Path(out, name).glob("**/*.parquet"))
            written = pl.concat([pl.read_parquet(f) for f in files])
            assert_frame_equal(written, getattr(memory, name))
