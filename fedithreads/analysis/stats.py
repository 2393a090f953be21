"""Thread metrics as vectorised Polars: snapshot tables → thread_stats, activity, vote_history.

Pure functions of the snapshot tables (LazyFrames in, DataFrames out); no Python loop per
comment: depths, subtree sizes and virality come from path labels, one explode and integer
group-bys. Every formula is stated once, here, in the docstring of the function that
computes it. Words (see DESIGN.md):

* **current**: the latest snapshot of each post/comment (by ``collected_at``).
* **node**: a comment of the reply tree. The tree holds the collected comments plus a
  **placeholder** for every ancestor that a collected comment's ``path`` names but that
  was not collected, so orphans keep their true depth and distances.
* **n**: the number of nodes plus one for the post itself.

How it stays fast (1M comments in a few seconds): the snapshots are read once, with only
the columns used, and sorted once by (instance, id, collected_at) on one packed integer
key; threads get numbers (``_tid``) and tree nodes integer keys (thread, label), so joins
become binary searches and group-bys run on integers. ``tests/reference_analysis.py``
keeps the first, plainer version; a property test checks both agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from fedithreads.core import schema
from fedithreads.core.treeshape import THREAD, TID, Tree, bit_width, shape


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
        [posts.select(_POST_COLUMNS), comments.select(_COMMENT_COLUMNS)], engine="streaming"
    )
    instances = pl.concat([post_rows["instance"], comment_rows["instance"]]).unique().sort()
    post_rows = _by_object(post_rows, "post_id", instances)
    comment_rows = _by_object(comment_rows, "comment_id", instances)
    cur_comments = _latest(comment_rows)
    return Analysis(
        schema.conform(thread_stats(_latest(post_rows), cur_comments), "thread_stats"),
        schema.conform(activity(cur_comments.lazy(), bucket=bucket).collect(), "activity"),
        schema.conform(_history(post_rows, comment_rows), "vote_history"),
    )


_POST_COLUMNS = [
    *THREAD,
    *("ap_id", "title", "community", "published", "collected_at", "comments"),
    *("score", "upvotes", "downvotes", "author_ap_id"),
]
_COMMENT_COLUMNS = [
    *THREAD,
    *("comment_id", "ap_id", "parent_id", "path", "depth", "author_ap_id", "published"),
    *("deleted", "removed", "score", "upvotes", "downvotes", "child_count", "collected_at"),
]


def _by_object(rows: pl.DataFrame, id_column: str, instances: pl.Series) -> pl.DataFrame:
    """Snapshot rows sorted by (instance, id, collected_at), keeping the read order among
    equals, with ``_key``: (instance, id) as one ordered integer."""
    key = _ordered_key(
        rows.select(
            pl.col("instance").cast(pl.Enum(instances.drop_nulls())).to_physical(), id_column
        )
    )
    return rows.with_columns(key.alias("_key")).sort(
        "_key", "collected_at", maintain_order=True, nulls_last=False
    )


def _latest(by_object: pl.DataFrame) -> pl.DataFrame:
    """The last row of each object in ``_by_object`` order: what ``current`` keeps."""
    last = pl.col("_key").ne_missing(pl.col("_key").shift(-1))
    return by_object.filter(last)


def current(snapshots: pl.LazyFrame, id_column: str) -> pl.LazyFrame:
    """The latest snapshot per (instance, id): greatest ``collected_at``, then last row.

    Rows keep their relative order. (Two window filters, no sort: the whole table is never
    reordered, only the key columns are grouped.)
    """
    key = ["instance", id_column]
    latest = pl.col("collected_at").max().over(key)
    return (
        snapshots.with_row_index("_row")
        .filter(pl.col("collected_at").eq_missing(latest))
        .filter(pl.col("_row") == pl.col("_row").max().over(key))
        .drop("_row")
    )


def thread_stats(posts: pl.DataFrame, comments: pl.DataFrame) -> pl.DataFrame:
    """One row per thread (every post, and every post_id comments name), from current rows.

    * ``comments_collected``: collected comments, deleted and removed included.
    * ``comments_visible``: collected comments neither deleted nor removed: what the
      server's ``comments`` count counts (reference/lemmy-api.md §2.8).
    * ``comments_reported``: the post's ``comments`` count as the server reported it.
    * ``missing``: a lower bound of comments the server has and we lack:
      max(reported − visible, Σ shortfall(r) over collected comments r with no collected
      ancestor + placeholders with no collected ancestor), where shortfall(r) =
      max(0, child_count(r) − collected descendants of r); ``child_count`` counts deleted
      and removed descendants too. 0 when nothing is known to be missing.
    * ``complete``: a post row exists and ``missing`` = 0.
    * ``orphans``: collected comments whose parent was not collected.
    * ``authors``: distinct comment authors (by author_ap_id).
    * ``top_level``: collected comments at depth 1.
    * ``max_depth`` / ``mean_depth``: over collected comments (post = 0, top level = 1).
    * ``max_width``: the most nodes at any one depth.
    * ``mean_branching``: mean number of direct replies of the nodes that have any, the
      post included = nodes / distinct parents.
    * ``structural_virality``: mean distance between two distinct nodes of the tree, post
      included (Goel et al. 2016): W / C(n, 2) with the Wiener index
      W = Σ_v s(v)·(n − s(v)) = n·Σ_v s(v) − Σ_v s(v)² over nodes v, s(v) = nodes in v's
      subtree (itself included). Null when n < 2.
    * ``post_score``/``post_upvotes``/``post_downvotes``: the post's current counts;
      ``comment_score``/``comment_upvotes``/``comment_downvotes``: sums over comments.
    * ``first_reply_seconds``: first comment's published − post published.
    * ``median_reply_latency_seconds``: median of (published − parent's published) over
      comments whose parent is known (the post for top-level comments).
    * ``lifespan_seconds``: last comment's published − post published.
    * ``deleted`` / ``removed``: collected comments flagged so.
    * ``op_replies``: comments by the post's author.

    ``posts`` and ``comments`` hold current rows (one per id; see ``current``), with at
    least the columns the formulas read.
    """
    threads = (
        pl.concat([posts.select(THREAD), comments.select(THREAD)]).unique().sort(THREAD)
    ).with_row_index(TID)
    post_rows = _by_thread(posts, threads)
    tree = Tree.of(comments, threads)
    counts = _comment_counts(_reply_facts(post_rows, comments, tree))
    return _finish(
        threads.join(post_rows, on=TID, how="left")
        .join(counts, on=TID, how="left")
        .join(shape(tree), on=TID, how="left")
        .sort(TID)
    )


_ZERO_IF_NONE = (
    *("comments_collected", "comments_visible", "orphans", "authors", "top_level"),
    *("comment_score", "comment_upvotes", "comment_downvotes", "deleted", "removed"),
    *("op_replies", "_shortfall", "max_width"),
)


def _by_thread(posts: pl.DataFrame, threads: pl.DataFrame) -> pl.DataFrame:
    """The post columns thread_stats reports, keyed by thread number."""
    return posts.join(threads, on=THREAD, how="inner").select(
        TID,
        "ap_id",
        "title",
        "community",
        "published",
        pl.col("collected_at").alias("_post_collected"),
        pl.col("comments").alias("comments_reported"),
        pl.col("score").alias("post_score"),
        pl.col("upvotes").alias("post_upvotes"),
        pl.col("downvotes").alias("post_downvotes"),
        pl.col("author_ap_id").alias("_op"),
        pl.lit(True).alias("_has_post"),
    )


def _finish(joined: pl.DataFrame) -> pl.DataFrame:
    """Fill the counts of threads without comments; derive times, missing, complete."""
    seconds = 1_000_000.0
    return (
        joined.with_columns(
            pl.coalesce("_post_collected", "_last_collected").alias("collected_at"),
            *[pl.col(c).fill_null(0) for c in _ZERO_IF_NONE],
            ((pl.col("_first") - pl.col("published")).dt.total_microseconds() / seconds).alias(
                "first_reply_seconds"
            ),
            ((pl.col("_last") - pl.col("published")).dt.total_microseconds() / seconds).alias(
                "lifespan_seconds"
            ),
        )
        .with_columns(
            pl.max_horizontal(
                pl.col("comments_reported") - pl.col("comments_visible"),
                pl.col("_shortfall"),
                pl.lit(0),
            )
            .fill_null(pl.col("_shortfall"))
            .alias("missing")
        )
        .with_columns(
            (pl.col("_has_post").fill_null(False) & (pl.col("missing") == 0)).alias("complete")
        )
    )


def _reply_facts(post_rows: pl.DataFrame, comments: pl.DataFrame, tree: Tree) -> pl.DataFrame:
    """Each current comment with its thread number, whether its parent (``parent_id``)
    is missing, what it replied to (the parent's or, at top level, the post's published
    time) and the post's author."""
    parent_row = tree.index.rows(tree.key(tree.tid, comments["parent_id"]))
    per_thread = pl.DataFrame({TID: pl.int_range(tree.threads, dtype=pl.UInt32, eager=True)})
    post = per_thread.join(post_rows, on=TID, how="left", maintain_order="left")
    top = comments["parent_id"].is_null()
    return comments.with_columns(
        tree.tid.alias(TID),
        (~top & parent_row.is_null()).alias("_orphan"),
        pl.when(top)
        .then(post["published"].gather(tree.tid))
        .otherwise(comments["published"].gather(parent_row))
        .alias("_replied_to"),
        post["_op"].gather(tree.tid).alias("_op"),
    )


def _comment_counts(replies: pl.DataFrame) -> pl.DataFrame:
    """Per-thread counts, sums, depths and times over current comments."""
    latency = (pl.col("published") - pl.col("_replied_to")).dt.total_microseconds() / 1e6
    visible = ~pl.col("deleted") & ~pl.col("removed")
    return replies.group_by(TID).agg(
        pl.len().cast(pl.Int64).alias("comments_collected"),
        visible.sum().cast(pl.Int64).alias("comments_visible"),
        pl.col("_orphan").sum().cast(pl.Int64).alias("orphans"),
        pl.col("author_ap_id").n_unique().cast(pl.Int64).alias("authors"),
        (pl.col("depth") == 1).sum().cast(pl.Int64).alias("top_level"),
        pl.col("depth").max().alias("max_depth"),
        pl.col("depth").mean().alias("mean_depth"),
        pl.col("score").sum().alias("comment_score"),
        pl.col("upvotes").sum().alias("comment_upvotes"),
        pl.col("downvotes").sum().alias("comment_downvotes"),
        latency.median().alias("median_reply_latency_seconds"),
        pl.col("published").min().alias("_first"),
        pl.col("published").max().alias("_last"),
        pl.col("collected_at").max().alias("_last_collected"),
        pl.col("deleted").sum().cast(pl.Int64).alias("deleted"),
        pl.col("removed").sum().cast(pl.Int64).alias("removed"),
        (pl.col("author_ap_id") == pl.col("_op")).sum().cast(pl.Int64).alias("op_replies"),
    )


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
        [posts.select(_POST_COLUMNS), comments.select(_COMMENT_COLUMNS)]
    )
    instances = pl.concat([post_rows["instance"], comment_rows["instance"]]).unique().sort()
    return _history(
        _by_object(post_rows, "post_id", instances),
        _by_object(comment_rows, "comment_id", instances),
    )


def _history(posts: pl.DataFrame, comments: pl.DataFrame) -> pl.DataFrame:
    """vote_history from ``_by_object`` rows: comments before posts on each instance."""
    same_as_next = pl.col("_key").eq_missing(pl.col("_key").shift(-1)) & pl.col(
        "collected_at"
    ).eq_missing(pl.col("collected_at").shift(-1))
    post_rows = posts.filter(~same_as_next).select(
        "_key",
        "instance",
        pl.lit("post").alias("kind"),
        pl.col("post_id").alias("id"),
        "ap_id",
        "collected_at",
        "score",
        "upvotes",
        "downvotes",
        "comments",
        pl.lit(None, pl.Int64).alias("child_count"),
    )
    comment_rows = comments.filter(~same_as_next).select(
        "_key",
        "instance",
        pl.lit("comment").alias("kind"),
        pl.col("comment_id").alias("id"),
        "ap_id",
        "collected_at",
        "score",
        "upvotes",
        "downvotes",
        pl.lit(None, pl.Int64).alias("comments"),
        "child_count",
    )
    rows = pl.concat([comment_rows, post_rows])
    instance = rows["instance"].unique().sort()
    return (
        rows.with_columns(pl.col("instance").cast(pl.Enum(instance.drop_nulls())).alias("_key"))
        .sort("_key", maintain_order=True, nulls_last=False)
        .drop("_key")
    )


def _ordered_key(columns: pl.DataFrame) -> pl.Series:
    """One Int64 per row that sorts and compares as the row's columns (integers) do: the
    columns side by side in 63 bits when they are non-negative and fit, else the row's
    dense rank."""
    widths = [bit_width(column) for column in columns.iter_columns()]
    if None in widths or sum(w or 0 for w in widths) > 63:
        return columns.select(pl.struct(pl.all()).rank("dense").cast(pl.Int64)).to_series()
    key = pl.lit(0, pl.Int64)
    for name, width in zip(columns.columns, widths, strict=True):
        key = key * (1 << (width or 0)) + pl.col(name).cast(pl.Int64)
    return columns.select(key).to_series()
