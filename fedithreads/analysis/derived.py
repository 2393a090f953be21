"""The derived tables together: ``analyze(posts, comments, resolutions=…)`` → Analysis.

``analyze`` reads the snapshot tables once (fedithreads.analysis.snapshots), then computes
thread_stats (analysis.stats), activity and vote_history (analysis.history) from that
one read, each conformed to its schema (fedithreads.core.schema). ``streaming=True`` runs
it one instance at a time for corpora larger than memory, with the same results.

Threads held by several instances are then compared across them
(fedithreads.analysis.federation): the federation and comment_presence tables, and one
more thread_stats row per such thread for the union of its copies. Without any, that
step is one query over the thread keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from fedithreads.analysis.federation import Federation, federate
from fedithreads.analysis.parts import Part, instance_parts
from fedithreads.core import schema
from fedithreads.core.treeshape import THREAD
from fedithreads.storage.exports import PartitionedWriter

WORKERS = 2
"""Instances analysed at once (``streaming``: one)."""


@dataclass(frozen=True, slots=True)
class Analysis:
    thread_stats: pl.DataFrame
    activity: pl.DataFrame
    vote_history: pl.DataFrame
    federation: pl.DataFrame
    comment_presence: pl.DataFrame


def analyze(
    posts: pl.LazyFrame,
    comments: pl.LazyFrame,
    *,
    bucket: str = "1h",
    streaming: bool = False,
    resolutions: pl.LazyFrame | None = None,
) -> Analysis:
    """All derived tables from the posts, comments and resolutions snapshot tables.

    thread_stats has one row per copy (``scope`` "instance") and, for a thread collected
    from several instances, one for their union (``scope`` "union"; see
    fedithreads.analysis.union), sorted by (instance, post_id, scope), nulls last;
    ``canonical`` marks the union row where there is one, else the single copy's row.

    The snapshots are read once (only the columns the metrics need) and sorted once by
    object and time; the current rows and vote_history both come from that order.

    ``streaming=True`` is for tables larger than memory: one instance at a time (every
    metric of a copy is per instance: threads, ids and paths never cross one), each
    streamed from the files with its rows only in memory. Since all three tables are
    sorted by instance first, the parts are concatenated in instance order: the results
    are exactly those of one pass over everything. The threads held by several instances
    are then read together, once.
    """
    parts = instance_parts(posts, comments, bucket=bucket, workers=workers(streaming))
    return combine(list(parts), posts, comments, resolutions)


def workers(streaming: bool) -> int:
    """Instances analysed at once: ``WORKERS``, or one when streaming (memory first)."""
    return 1 if streaming else WORKERS


def combine(
    parts: Sequence[Part],
    posts: pl.LazyFrame,
    comments: pl.LazyFrame,
    resolutions: pl.LazyFrame | None = None,
) -> Analysis:
    """The instances' parts (in instance order) as one Analysis, with the threads held by
    several instances compared (read from ``posts`` and ``comments``)."""
    stats = pl.concat([p.thread_stats for p in parts])
    compared = _compare(stats, posts, comments, resolutions)
    return Analysis(
        compared.thread_stats,
        pl.concat([p.activity for p in parts]),
        pl.concat([p.vote_history for p in parts]),
        compared.federation,
        compared.comment_presence,
    )


DERIVED = ("thread_stats", "activity", "vote_history", "federation", "comment_presence")
"""The tables ``analyze`` derives, in ``Analysis`` order."""


def write_analysis(
    out: Path,
    posts: pl.LazyFrame,
    comments: pl.LazyFrame,
    *,
    bucket: str = "1h",
    resolutions: pl.LazyFrame | None = None,
) -> pl.DataFrame:
    """``analyze(streaming=True)`` for snapshots too large for even its results to be
    held: each instance's activity and vote_history are written under ``out`` as soon as
    they are computed, partitioned by instance as ``export --partitioned`` writes them
    (``out/<table>/instance=<host>/part-0.parquet``), then thread_stats, federation and
    comment_presence. Memory holds one instance's rows and every thread's stats row.
    Returns thread_stats."""
    writer = PartitionedWriter(out, {t: list(schema.TABLES[t]) for t in DERIVED})
    parts = instance_parts(posts, comments, bucket=bucket, sink=writer.add)
    stats = write_compared(writer, parts, posts, comments, resolutions)
    writer.close()
    return stats


def write_compared(
    writer: PartitionedWriter,
    parts: Iterable[Part],
    posts: pl.LazyFrame,
    comments: pl.LazyFrame,
    resolutions: pl.LazyFrame | None = None,
) -> pl.DataFrame:
    """Take the thread_stats of ``parts`` (whose other tables went to ``writer`` as they
    were computed), compare the threads held by several instances, and write
    thread_stats, federation and comment_presence; thread_stats."""
    stats = pl.concat([part.thread_stats for part in parts])
    compared = _compare(stats, posts, comments, resolutions)
    for name in ("thread_stats", "federation", "comment_presence"):
        writer.add(name, getattr(compared, name))
    return compared.thread_stats


def _compare(
    stats: pl.DataFrame,
    posts: pl.LazyFrame,
    comments: pl.LazyFrame,
    resolutions: pl.LazyFrame | None,
) -> Analysis:
    """thread_stats with the union rows of the threads held by several instances, and
    the federation and comment_presence tables (activity and vote_history left empty)."""
    asked = schema.empty("resolutions").lazy() if resolutions is None else resolutions
    fed = federate(posts, comments, asked, stats)
    return Analysis(
        _with_union(stats, fed),
        schema.empty("activity"),
        schema.empty("vote_history"),
        fed.federation,
        fed.comment_presence,
    )


def _with_union(stats: pl.DataFrame, fed: Federation) -> pl.DataFrame:
    """The copies' rows and the union rows; a copy of a thread with a union row is not
    canonical."""
    if fed.union_stats.is_empty():
        return stats
    shared = fed.shared.unique().with_columns(pl.lit(False).alias("canonical"))
    local = (
        stats.drop("canonical")
        .join(shared, on=THREAD, how="left", maintain_order="left")
        .with_columns(pl.col("canonical").fill_null(True))
    )
    both = pl.concat([schema.conform(local, "thread_stats"), fed.union_stats])
    return both.sort("instance", "post_id", "scope", nulls_last=True, maintain_order=True)
