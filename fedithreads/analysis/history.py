"""Activity over time and votes over collections: activity and vote_history.

``activity`` buckets the current comments of each thread by publication time;
``vote_history`` keeps every snapshot's counts, so a post's or comment's votes can be
followed across collections. Both are vectorised Polars, one group-by or one sort each.
"""

from __future__ import annotations

import polars as pl

from fedithreads.analysis.snapshots import COMMENT_COLUMNS, POST_COLUMNS, by_object
from fedithreads.core.treeshape import THREAD


def activity(comments: pl.LazyFrame, *, bucket: str = "1h") -> pl.LazyFrame:
    """Comments and distinct authors per thread per time bucket, with a running total.

    ``bucket_start`` = published truncated to the bucket width (UTC); only buckets with at
    least one comment get a row; ``cumulative_comments`` = comments in this and earlier
    buckets of the thread.
    """
    return (
        comments.with_columns(pl.col("published").dt.truncate(bucket).alias("bucket_start"))
        .group_by([*THREAD, "bucket_start"])
        .agg(
            pl.len().cast(pl.Int64).alias("comments"),
            pl.col("author_ap_id").n_unique().cast(pl.Int64).alias("authors"),
        )
        .sort([*THREAD, "bucket_start"])
        .with_columns(pl.col("comments").cum_sum().over(THREAD).alias("cumulative_comments"))
    )


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


def history_rows(posts: pl.DataFrame, comments: pl.DataFrame) -> pl.DataFrame:
    """vote_history from ``by_object`` rows: comments before posts on each instance."""
    no_count = pl.lit(None, pl.Int64)
    post_rows = _snapshots(posts, "post", "post_id", "comments", no_count.alias("child_count"))
    comment_rows = _snapshots(
        comments, "comment", "comment_id", no_count.alias("comments"), "child_count"
    )
    rows = pl.concat([comment_rows, post_rows])
    instance = rows["instance"].unique().sort()
    return (
        rows.with_columns(pl.col("instance").cast(pl.Enum(instance.drop_nulls())).alias("_key"))
        .sort("_key", maintain_order=True, nulls_last=False)
        .drop("_key")
    )


def _snapshots(
    rows: pl.DataFrame, kind: str, id_column: str, *counts: str | pl.Expr
) -> pl.DataFrame:
    """One kind's vote_history rows: one per (object, collected_at), the later row kept;
    ``counts`` are its ``comments`` and ``child_count`` columns, in that order."""
    same_as_next = pl.col("_key").eq_missing(pl.col("_key").shift(-1)) & pl.col(
        "collected_at"
    ).eq_missing(pl.col("collected_at").shift(-1))
    return rows.filter(~same_as_next).select(
        "_key",
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
