"""What the report's tests share: the hand thread's tables as the report receives them
(see tests/factories.hand_thread)."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from msgspec.structs import replace

from fedithreads.analysis import pipeline
from fedithreads.analysis.frames import build_tables
from fedithreads.core.records import CommentRecord, PostRecord
from tests.factories import T0, hand_thread


def snapshots_of(posts: list[PostRecord], comments: list[CommentRecord]) -> pipeline.Snapshots:
    """Snapshot tables of records, as load_snapshots gives them for fixtures."""
    tables = build_tables(posts, comments)
    return pipeline.Snapshots(tables.posts.lazy(), tables.comments.lazy(), tables.rejected)


def hand_snapshots() -> pipeline.Snapshots:
    """The hand thread collected twice: the post at 10 (▲12 ▼2) on day 9, 15 (▲18 ▼3) on day 10."""
    p, comments = hand_thread()
    earlier = replace(p, collected_at=T0 + timedelta(days=9), run_id="run-0")
    later = replace(p, score=15, upvotes=18, downvotes=3)
    return snapshots_of([earlier, later], comments)


def hand_tables() -> dict[str, pl.DataFrame]:
    """The five analysed tables of ``hand_snapshots`` (1 h buckets)."""
    return pipeline.analyze(hand_snapshots(), bucket="1h")
