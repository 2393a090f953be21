"""Activity over time and votes over collections: activity and vote_history.

``activity`` buckets the current comments of each thread by publication time;
``vote_history`` keeps every snapshot's counts, so a post's or comment's votes can be
followed across collections. Both are vectorised Polars, one group-by or one sort each.
"""

from __future__ import annotations

import polars as pl

from fedithreads.analysis.snapshots import (
    COMMENT_COLUMNS,
    POST_COLUMNS,
    Ordered,
    by_object,
    gather,
    instance_codes,
)
from fedithreads.core.keys import pack, widths
from fedithreads.core.treeshape import THREAD
from fedithreads.core.units import duration_seconds


def activity(
    comments: pl.DataFrame, *, bucket: str = "1h", instances: pl.Series | None = None
) -> pl.DataFrame:
    """Comments and distinct authors per thread per time bucket, with a running total.

    ``bucket_start`` = published truncated to the bucket width (UTC); only buckets with at
    least one comment get a row; ``cumulative_comments`` = comments in this and earlier
    buckets of the thread. Sorted by (instance, post_id, bucket_start).

    The groups are counted on one packed integer (instance, post_id, bucket) where the
    numbers fit 63 bits, else on the three columns. ``instances``: the sorted names of
    the rows' instances, when the caller knows them.
    """
    rows = comments.select(
        *THREAD, pl.col("published").dt.truncate(bucket).alias("bucket_start"), "author_ap_id"
    )
    key = _bucket_key(rows, bucket, instances)
    counts = [
        pl.len().cast(pl.Int64).alias("comments"),
        pl.col("author_ap_id").n_unique().cast(pl.Int64).alias("authors"),
    ]
    if key is None:
        grouped = (
            rows.group_by([*THREAD, "bucket_start"]).agg(counts).sort([*THREAD, "bucket_start"])
        )
    else:
        firsts = [pl.col(c).first() for c in (*THREAD, "bucket_start")]
        grouped = (
            rows.with_columns(key).group_by("_key").agg(*firsts, *counts).sort("_key").drop("_key")
        )
    return grouped.with_columns(
        pl.col("comments").cum_sum().over(THREAD).alias("cumulative_comments")
    )


def _bucket_key(rows: pl.DataFrame, bucket: str, instances: pl.Series | None) -> pl.Series | None:
    """(instance, post_id, bucket) as one Int64 that sorts as they do, or None when the
    numbers do not fit: instances by their sorted names, buckets counted from the first
    (truncated starts lie whole widths apart)."""
    if rows.is_empty() or rows["instance"].null_count() or rows["bucket_start"].null_count():
        return None
    names = rows["instance"].unique().sort() if instances is None else instances
    since = rows["bucket_start"].min()
    width = duration_seconds(bucket) * 1_000_000
    offset = (pl.col("bucket_start") - pl.lit(since)).dt.total_microseconds()
    parts = rows.select(
        instance_codes(names).alias("i"),
        "post_id",
        (offset // width).alias("b"),
        (offset % width == 0).alias("whole"),
    )
    bits = widths(parts.drop("whole"))
    if bits is None or not parts["whole"].all():
        return None
    return parts.select(pack(["i", "post_id", "b"], bits).alias("_key")).to_series()


def vote_history(posts: pl.LazyFrame, comments: pl.LazyFrame) -> pl.DataFrame:
    """Every snapshot's counts, posts and comments alike: one row per (kind, id, collected_at).

    ``comments`` is the post's server count (null for comments); ``child_count`` the
    comment's descendant count (null for posts). Of two snapshots of one object with the
    same ``collected_at`` the later row is kept. Sorted by (instance, kind, id,
    collected_at).
    """
    post_rows, comment_rows = pl.collect_all(
        [posts.select(POST_COLUMNS), comments.select(COMMENT_COLUMNS)]
    )
    instances = pl.concat([post_rows["instance"], comment_rows["instance"]]).unique().sort()
    return history_rows(
        by_object(post_rows, "post_id", instances),
        by_object(comment_rows, "comment_id", instances),
    )


def history_rows(posts: Ordered, comments: Ordered) -> pl.DataFrame:
    """vote_history from ``by_object`` orders: comments before posts on each instance."""
    no_count = pl.lit(None, pl.Int64)
    post_rows = _snapshots(posts, "post", "post_id", "comments", no_count.alias("child_count"))
    comment_rows = _snapshots(
        comments, "comment", "comment_id", no_count.alias("comments"), "child_count"
    )
    rows = pl.concat([comment_rows, post_rows])
    instance = rows["instance"].unique().sort()
    if instance.len() < 2:  # one instance's rows (analysis.parts): already in order
        return rows
    return (
        rows.with_columns(pl.col("instance").cast(pl.Enum(instance.drop_nulls())).alias("_key"))
        .sort("_key", maintain_order=True, nulls_last=False)
        .drop("_key")
    )


def _snapshots(ordered: Ordered, kind: str, id_column: str, *counts: str | pl.Expr) -> pl.DataFrame:
    """One kind's vote_history rows: one per (object, collected_at), the later row kept;
    ``counts`` are its ``comments`` and ``child_count`` columns, in that order."""
    rows = ordered.rows.select(
        "instance",
        pl.lit(kind).alias("kind"),
        pl.col(id_column).alias("id"),
        "ap_id",
        "collected_at",
        "score",
        "upvotes",
        "downvotes",
        *counts,
    )
    return gather(rows, ordered.distinct_snapshots())
