"""The three derived tables together: ``analyze(posts, comments)`` → Analysis.

``analyze`` reads the snapshot tables once (fedithreads.analysis.snapshots), then computes
thread_stats (analysis.stats), activity and vote_history (analysis.history) from that
one read, each conformed to its schema (fedithreads.core.schema). ``streaming=True`` runs
it one instance at a time for corpora larger than memory, with the same results.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from fedithreads.analysis.history import activity, history_rows
from fedithreads.analysis.snapshots import COMMENT_COLUMNS, POST_COLUMNS, by_object, latest
from fedithreads.analysis.stats import thread_stats
from fedithreads.core import schema


@dataclass(frozen=True, slots=True)
class Analysis:
    thread_stats: pl.DataFrame
    activity: pl.DataFrame
    vote_history: pl.DataFrame


def analyze(
    posts: pl.LazyFrame, comments: pl.LazyFrame, *, bucket: str = "1h", streaming: bool = False
) -> Analysis:
    """All three derived tables from the posts and comments snapshot tables.

    The snapshots are read once (only the columns the metrics need) and sorted once by
    object and time; the current rows and vote_history both come from that order.

    ``streaming=True`` is for tables larger than memory: one instance at a time (every
    metric is per instance: threads, ids and paths never cross one), each streamed from
    the files with its rows only in memory. Since all three tables are sorted by
    instance first, the parts are concatenated in instance order: the results are
    exactly those of one pass over everything.
    """
    if not streaming:
        return _analyze(posts, comments, bucket=bucket)
    hosts = (
        pl.concat([posts.select("instance"), comments.select("instance")])
        .unique()
        .sort("instance")
        .collect(engine="streaming")["instance"]
    )
    if hosts.len() < 2:
        return _analyze(posts, comments, bucket=bucket)
    parts = [
        _analyze(
            posts.filter(pl.col("instance").eq_missing(host)),
            comments.filter(pl.col("instance").eq_missing(host)),
            bucket=bucket,
        )
        for host in hosts
    ]
    return Analysis(
        pl.concat([p.thread_stats for p in parts]),
        pl.concat([p.activity for p in parts]),
        pl.concat([p.vote_history for p in parts]),
    )


def _analyze(posts: pl.LazyFrame, comments: pl.LazyFrame, *, bucket: str) -> Analysis:
    """The three tables, the needed columns read by Polars' streaming engine."""
    post_rows, comment_rows = pl.collect_all(
        [posts.select(POST_COLUMNS), comments.select(COMMENT_COLUMNS)], engine="streaming"
    )
    instances = pl.concat([post_rows["instance"], comment_rows["instance"]]).unique().sort()
    post_rows = by_object(post_rows, "post_id", instances)
    comment_rows = by_object(comment_rows, "comment_id", instances)
    cur_comments = latest(comment_rows)
    stats = thread_stats(latest(post_rows), cur_comments).with_columns(
        pl.lit("instance").alias("scope"), pl.lit(True).alias("canonical")
    )
    return Analysis(
        schema.conform(stats, "thread_stats"),
        schema.conform(activity(cur_comments.lazy(), bucket=bucket).collect(), "activity"),
        schema.conform(history_rows(post_rows, comment_rows), "vote_history"),
    )
