"""What the format tests share: the tables ``export`` writes, from a few records."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from fedithreads.analysis import pipeline
from fedithreads.analysis.frames import build_tables
from fedithreads.core.records import CommentRecord, PostRecord

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def analysed(posts: list[PostRecord], comments: list[CommentRecord]) -> dict[str, pl.DataFrame]:
    """The tables ``export`` writes (``pipeline.analyze``) of some records."""
    built = build_tables(posts, comments)
    snapshots = pipeline.Snapshots(built.posts.lazy(), built.comments.lazy(), built.rejected)
    return pipeline.analyze(snapshots, bucket="1h")


def of_fixtures() -> dict[str, pl.DataFrame]:
    """The tables of every bundled fixture thread (real and synthetic captures)."""
    snapshots = pipeline.load_snapshots([FIXTURES], FIXTURES)
    return pipeline.analyze(snapshots, bucket="1h")
