"""The first, straightforward Polars version of the metrics, kept as an oracle.

fedithreads.analysis.derived.analyze computes the same tables faster (integer keys, one sort of the
snapshots, subtree sizes from one explode); tests/analysis/test_equivalence.py checks
that the two agree on random snapshot tables. The formulas are documented there.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from fedithreads.core import schema

THREAD = ["instance", "post_id"]


@dataclass(frozen=True, slots=True)
class Analysis:
    thread_stats: pl.DataFrame
    activity: pl.DataFrame
    vote_history: pl.DataFrame


def analyze(posts: pl.LazyFrame, comments: pl.LazyFrame, *, bucket: str = "1h") -> Analysis:
    """All three derived tables from the posts and comments snapshot tables."""
    cur_posts = current(posts, "post_id")
    cur_comments = current(comments, "comment_id")
    stats, activity_, votes = pl.collect_all(
        [
            thread_stats(cur_posts, cur_comments),
            activity(cur_comments, bucket=bucket),
            vote_history(posts, comments),
        ]
    )
    # one row per copy: threads here are never collected from two instances (the union
    # rows of fedithreads.analysis.union are pinned in tests/analysis/test_federation.py)
    copies = stats.with_columns(pl.lit("instance").alias("scope"), pl.lit(True).alias("canonical"))
    return Analysis(
        schema.conform(copies, "thread_stats"),
        schema.conform(activity_, "activity"),
        schema.conform(votes, "vote_history"),
    )


def current(snapshots: pl.LazyFrame, id_column: str) -> pl.LazyFrame:
    """The latest snapshot per (instance, id): greatest ``collected_at``, then last row."""
    return (
        snapshots.with_row_index("_row")
        .sort("collected_at", "_row")
        .unique(["instance", id_column], keep="last")
        .drop("_row")
    )


def thread_stats(posts: pl.LazyFrame, comments: pl.LazyFrame) -> pl.LazyFrame:
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
      W = Σ_v s(v)·(n − s(v)) over nodes v, s(v) = nodes in v's subtree (itself included).
      Null when n < 2.
    * ``post_score``/``post_upvotes``/``post_downvotes``: the post's current counts;
      ``comment_score``/``comment_upvotes``/``comment_downvotes``: sums over comments.
    * ``first_reply_seconds``: first comment's published − post published.
    * ``median_reply_latency_seconds``: median of (published − parent's published) over
      comments whose parent is known (the post for top-level comments).
    * ``lifespan_seconds``: last comment's published − post published.
    * ``deleted`` / ``removed``: collected comments flagged so.
    * ``op_replies``: comments by the post's author.
    """
    threads = pl.concat([posts.select(THREAD), comments.select(THREAD)], how="vertical").unique()
    post_cols = posts.select(
        *THREAD,
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
    replies = _reply_facts(posts, comments)
    counts = _comment_counts(replies)
    shape = _shape(comments)
    seconds = 1_000_000.0
    return (
        threads.join(post_cols, on=THREAD, how="left")
        .join(counts, on=THREAD, how="left")
        .join(shape, on=THREAD, how="left")
        .with_columns(
            pl.coalesce("_post_collected", "_last_collected").alias("collected_at"),
            *[
                pl.col(c).fill_null(0)
                for c in (
                    "comments_collected",
                    "comments_visible",
                    "orphans",
                    "authors",
                    "top_level",
                    "comment_score",
                    "comment_upvotes",
                    "comment_downvotes",
                    "deleted",
                    "removed",
                    "op_replies",
                    "_shortfall",
                    "max_width",
                )
            ],
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
        .join(discussion(posts, comments), on=THREAD, how="left")
        .sort(THREAD)
    )


def _reply_facts(posts: pl.LazyFrame, comments: pl.LazyFrame) -> pl.LazyFrame:
    """Each current comment with its parent's published time (post's for top level)."""
    parents = comments.select(
        *THREAD,
        pl.col("comment_id").alias("parent_id"),
        pl.col("published").alias("_parent_published"),
    )
    post_times = posts.select(
        *THREAD, pl.col("published").alias("_post_published"), pl.col("author_ap_id").alias("_op")
    )
    return (
        comments.join(parents, on=[*THREAD, "parent_id"], how="left")
        .join(post_times, on=THREAD, how="left")
        .with_columns(
            (pl.col("parent_id").is_not_null() & pl.col("_parent_published").is_null()).alias(
                "_orphan"
            ),
            pl.when(pl.col("parent_id").is_null())
            .then(pl.col("_post_published"))
            .otherwise(pl.col("_parent_published"))
            .alias("_replied_to"),
        )
    )


def _comment_counts(replies: pl.LazyFrame) -> pl.LazyFrame:
    """Per-thread counts, sums, depths and times over current comments."""
    latency = (pl.col("published") - pl.col("_replied_to")).dt.total_microseconds() / 1e6
    visible = ~pl.col("deleted") & ~pl.col("removed")
    return replies.group_by(THREAD).agg(
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


def _nodes(comments: pl.LazyFrame) -> pl.LazyFrame:
    """Tree nodes: current comments plus placeholders, each with its label list.

    ``labels`` is the path without the root: the node's ancestors, then itself; its
    length is the node's depth.
    """
    labels = pl.col("path").str.split(".").list.slice(1).cast(pl.List(pl.Int64))
    real = comments.select(
        *THREAD,
        pl.col("comment_id").alias("node"),
        labels.alias("labels"),
        pl.lit(True).alias("real"),
    )
    named = (
        real.select(
            *THREAD,
            pl.col("node").alias("_child"),
            pl.col("labels").alias("label"),
            pl.int_ranges(0, pl.col("labels").list.len()).alias("pos"),
        )
        .explode("label", "pos")
        .join(
            real.select(*THREAD, pl.col("node").alias("label")), on=[*THREAD, "label"], how="anti"
        )
        .unique([*THREAD, "label"], keep="first")
    )
    placeholders = named.join(
        real.select(*THREAD, pl.col("node").alias("_child"), "labels"),
        on=[*THREAD, "_child"],
        how="left",
    ).select(
        *THREAD,
        pl.col("label").alias("node"),
        pl.col("labels").list.head(pl.col("pos") + 1).alias("labels"),
        pl.lit(False).alias("real"),
    )
    return pl.concat([real, placeholders], how="vertical")


def _shape(comments: pl.LazyFrame) -> pl.LazyFrame:
    """Per-thread tree shape: width, branching, virality and the child_count shortfall."""
    nodes = _nodes(comments).with_columns(
        pl.col("labels").list.len().alias("depth"),
        pl.col("labels").list.get(-2, null_on_oob=True).alias("parent"),
    )
    # One row per (node, ancestor-or-self): the subtree of v is every row whose anc is v.
    pairs = (
        nodes.select(*THREAD, "node", "real", pl.col("labels").alias("anc"))
        .explode("anc")
        .join(
            nodes.select(*THREAD, pl.col("node").alias("anc"), pl.col("real").alias("anc_real")),
            on=[*THREAD, "anc"],
            how="left",
        )
    )
    sizes = pairs.group_by([*THREAD, "anc"]).agg(
        pl.len().alias("s"), pl.col("real").sum().alias("s_real")
    )
    topmost = (
        pairs.filter(pl.col("anc") != pl.col("node"))
        .group_by([*THREAD, "node"])
        .agg(pl.col("anc_real").any().alias("_under_real"))
    )
    child_counts = comments.select(*THREAD, pl.col("comment_id").alias("node"), "child_count")
    per_node = (
        nodes.join(sizes.rename({"anc": "node"}), on=[*THREAD, "node"], how="left")
        .join(topmost, on=[*THREAD, "node"], how="left")
        .join(child_counts, on=[*THREAD, "node"], how="left")
        .with_columns(
            pl.when(pl.col("_under_real").fill_null(False))
            .then(0)
            .when(pl.col("real"))
            .then((pl.col("child_count") - (pl.col("s_real") - 1)).clip(lower_bound=0))
            .otherwise(1)
            .alias("_short")
        )
    )
    width = (
        nodes.group_by([*THREAD, "depth"])
        .agg(pl.len().alias("w"))
        .group_by(THREAD)
        .agg(pl.col("w").max().cast(pl.Int64).alias("max_width"))
    )
    n = pl.len() + 1
    wiener = (pl.col("s") * (n - pl.col("s"))).sum()
    agg = per_node.group_by(THREAD).agg(
        (pl.len() / pl.col("parent").n_unique()).alias("mean_branching"),
        (wiener / (n * (n - 1) / 2)).alias("structural_virality"),
        pl.col("_short").sum().cast(pl.Int64).alias("_shortfall"),
    )
    return agg.join(width, on=THREAD, how="left")


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


def vote_history(posts: pl.LazyFrame, comments: pl.LazyFrame) -> pl.LazyFrame:
    """Every snapshot's counts, posts and comments alike: one row per (kind, id, collected_at).

    ``comments`` is the post's server count (null for comments); ``child_count`` the
    comment's descendant count (null for posts).
    """
    post_rows = posts.select(
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
    comment_rows = comments.select(
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
    return (
        pl.concat([post_rows, comment_rows], how="vertical")
        .unique(["instance", "kind", "id", "collected_at"], keep="last", maintain_order=True)
        .sort("instance", "kind", "id", "collected_at")
    )


def discussion(posts: pl.LazyFrame, comments: pl.LazyFrame) -> pl.LazyFrame:
    """The measures of discussion (formulas: fedithreads.analysis.stats.thread_stats),
    each by joins on ids: one row per thread that has a post or a comment."""
    threads = pl.concat([posts.select(THREAD), comments.select(THREAD)]).unique()
    parts = [
        _h_index(comments),
        _reciprocity(posts, comments),
        _reentry(posts, comments),
        _timing(posts, comments),
        _controversy(posts),
    ]
    out = threads
    for part in parts:
        out = out.join(part, on=THREAD, how="left")
    return out.with_columns(pl.col("h_index", "reentry_authors").fill_null(0))


def _h_index(comments: pl.LazyFrame) -> pl.LazyFrame:
    at_depth = comments.group_by(*THREAD, "depth").agg(pl.len().alias("n"))
    return (
        at_depth.filter(pl.col("n") >= pl.col("depth"))
        .group_by(THREAD)
        .agg(pl.col("depth").max().cast(pl.Int64).alias("h_index"))
    )


def _edges(posts: pl.LazyFrame, comments: pl.LazyFrame) -> pl.LazyFrame:
    """Distinct (thread, replier, replied-to) author pairs, self-replies left out."""
    parents = comments.select(
        *THREAD, pl.col("comment_id").alias("parent_id"), pl.col("author_ap_id").alias("_to")
    )
    ops = posts.select(*THREAD, pl.col("author_ap_id").alias("_op"))
    return (
        comments.select(*THREAD, "parent_id", pl.col("author_ap_id").alias("_from"))
        .join(parents, on=[*THREAD, "parent_id"], how="left")
        .join(ops, on=THREAD, how="left")
        .with_columns(
            pl.when(pl.col("parent_id").is_null()).then(pl.col("_op")).otherwise("_to").alias("_to")
        )
        .filter(pl.col("_to").is_not_null() & (pl.col("_from") != pl.col("_to")))
        .select(*THREAD, "_from", "_to")
        .unique()
    )


def _reciprocity(posts: pl.LazyFrame, comments: pl.LazyFrame) -> pl.LazyFrame:
    edges = _edges(posts, comments)
    reverse = edges.select(*THREAD, pl.col("_to").alias("_from"), pl.col("_from").alias("_to"))
    answered = edges.join(
        reverse.with_columns(pl.lit(True).alias("_back")), on=[*THREAD, "_from", "_to"], how="left"
    )
    return answered.group_by(THREAD).agg(
        (pl.col("_back").is_not_null().sum() / pl.len()).alias("reciprocity")
    )


def _reentry(posts: pl.LazyFrame, comments: pl.LazyFrame) -> pl.LazyFrame:
    contributions = pl.concat(
        [posts.select(*THREAD, "author_ap_id"), comments.select(*THREAD, "author_ap_id")]
    )
    return (
        contributions.drop_nulls("author_ap_id")
        .group_by(*THREAD, "author_ap_id")
        .agg(pl.len().alias("n"))
        .group_by(THREAD)
        .agg((pl.col("n") >= 2).sum().alias("reentry_authors"))
    )


def _timing(posts: pl.LazyFrame, comments: pl.LazyFrame) -> pl.LazyFrame:
    """Root share, the 90th percentile of reply latency, and the times to half and 90 %."""
    published = comments.select(
        *THREAD, pl.col("comment_id").alias("parent_id"), pl.col("published").alias("_parent_at")
    )
    post_at = posts.select(*THREAD, pl.col("published").alias("_post_at"))
    rows = (
        comments.select(*THREAD, "parent_id", "published", "depth")
        .join(published, on=[*THREAD, "parent_id"], how="left")
        .join(post_at, on=THREAD, how="left")
        .with_columns(
            pl.when(pl.col("parent_id").is_null())
            .then(pl.col("_post_at"))
            .otherwise("_parent_at")
            .alias("_replied_to")
        )
    )
    seconds = (pl.col("published") - pl.col("_replied_to")).dt.total_microseconds() / 1e6
    since_post = (pl.col("published") - pl.col("_post_at")).dt.total_microseconds() / 1e6
    ordered = since_post.sort()
    n = pl.len()
    return rows.group_by(THREAD).agg(
        ((pl.col("depth") == 1).sum() / n).alias("root_reply_share"),
        seconds.quantile(0.9, "linear").alias("p90_reply_latency_seconds"),
        ordered.get(((n * 0.5).ceil() - 1).cast(pl.UInt32)).alias("time_to_half_seconds"),
        ordered.get(((n * 0.9).ceil() - 1).cast(pl.UInt32)).alias("time_to_90pct_seconds"),
    )


def _controversy(posts: pl.LazyFrame) -> pl.LazyFrame:
    up = pl.col("upvotes").cast(pl.Float64)
    down = pl.col("downvotes").cast(pl.Float64)
    rank = (
        pl.when((up > 0) & (down > 0))
        .then((up + down).pow(pl.min_horizontal(up, down) / pl.max_horizontal(up, down)))
        .otherwise(0.0)
    )
    return posts.select(*THREAD, rank.alias("controversy"))
