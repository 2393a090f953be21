"""thread_stats: one row per thread, from the current posts and comments, in vectorised Polars.

No Python loop per comment: subtree sizes and virality come from parent links, level by
level (fedithreads.core.treeshape, treesums), whatever the depth. Every formula is stated
once, in the docstring of ``thread_stats``. Words (see DESIGN.md):

* **current**: the latest snapshot of each post/comment (by ``collected_at``).
* **node**: a comment of the reply tree. The tree holds the collected comments plus a
  **placeholder** for every ancestor that a collected comment's ``path`` names but that
  was not collected, so orphans keep their true depth and distances.
* **n**: the number of nodes plus one for the post itself.

How it stays fast (1M comments in a few seconds): the current rows come from one sort
(fedithreads.analysis.snapshots); threads get numbers (``_tid``) and tree nodes integer
keys (thread, label), so joins become binary searches and group-bys run on integers.
``tests/reference_analysis.py`` keeps the first, plainer version; a property test checks
both agree.
"""

from __future__ import annotations

import polars as pl

from fedithreads.analysis.discussion import (
    controversy,
    discussion,
    kth_published,
    latency_tail,
)
from fedithreads.analysis.replies import answered_authors
from fedithreads.core.keys import name_codes
from fedithreads.core.treeshape import THREAD, TID, Nodes, PathReader, build_nodes
from fedithreads.core.treesums import shape


def thread_stats(
    posts: pl.DataFrame,
    comments: pl.DataFrame,
    *,
    paths: PathReader | None = None,
    instances: pl.Series | None = None,
) -> pl.DataFrame:
    """One row per thread (every post, and every post_id comments name), from current rows.

    * ``comments_collected``: collected comments, deleted and removed included.
    * ``comments_visible``: collected comments neither deleted nor removed: what the
      server's ``comments`` count counts (reference/lemmy-api.md §2.8).
    * ``comments_reported``: the post's ``comments`` count as the server reported it.
    * ``missing``: a lower bound of comments the server has and we lack:
      max(reported − visible, Σ shortfall(r) over collected comments r with no collected
      ancestor + placeholders with no collected ancestor), where shortfall(r) =
      max(0, child_count(r) − collected descendants of r); ``child_count`` counts deleted
      and removed descendants too. 0 when nothing is known to be missing; at most
      2⁶³ − 1 (the shortfalls' sum saturates rather than wraps).
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
      ``comment_score``/``comment_upvotes``/``comment_downvotes``: sums over comments,
      added up in 128 bits; null when a sum does not fit 64 bits.
    * ``first_reply_seconds``: first comment's published − post published.
    * ``median_reply_latency_seconds``: median of (published − parent's published) over
      comments whose parent is known (the post for top-level comments).
    * ``lifespan_seconds``: last comment's published − post published.
    * ``deleted`` / ``removed``: collected comments flagged so.
    * ``op_replies``: comments by the post's author.

    Measures of discussion from the literature (fedithreads.analysis.discussion):

    * ``h_index``: the largest h such that depth h holds at least h collected comments; 0
      without comments (Gómez, Kaltenbrunner & López 2008, "Statistical analysis of the
      social network and discussion threads in Slashdot").
    * ``reciprocity``: of the distinct ordered pairs of authors (A, B), A ≠ B, where A
      wrote a comment answering B (B being the post's author at top level), the share
      whose reverse (B, A) is such a pair too; a comment whose parent was not collected,
      or whose author is unknown, makes no pair. Null when there is no pair.
    * ``reentry_authors``: authors with two contributions or more to the thread, the
      post counting as one of its author's: those who came back.
    * ``root_reply_share``: top_level / comments_collected, the replies to the root
      against those deeper down. Null without comments.
    * ``p90_reply_latency_seconds``: the 90th percentile of the latencies
      ``median_reply_latency_seconds`` takes (linear interpolation between the two
      nearest ranks).
    * ``time_to_half_seconds`` / ``time_to_90pct_seconds``: from the post's publication
      to that of the ⌈0.5·n⌉-th / ⌈0.9·n⌉-th collected comment in time (n =
      comments_collected). Null without a post row or comments.
    * ``controversy``: Lemmy's controversy rank of the post's current votes, as its
      database computes it: (up + down) ^ (min(up, down) / max(up, down)), 0 when either
      is 0: many votes, evenly split, rank highest.

    ``posts`` and ``comments`` hold current rows (one per id; see ``current``), with at
    least the columns the formulas read; ``path`` only for orphans (comments whose parent
    was not collected), read by ``paths`` when the rows leave it out. ``instances``: the
    sorted names of the rows' instances, when the caller knows them.
    """
    threads = _threads(posts, comments, instances)
    post_rows = _by_thread(posts, threads)
    nodes = build_nodes(comments, threads, paths)
    replies = _reply_facts(post_rows, comments, nodes, threads.height)
    answered = answered_authors(replies, replies["_op"], nodes.parent_comment)
    counts = _comment_counts(replies).join(discussion(replies, answered), on=TID, how="left")
    return _finish(
        threads.join(post_rows, on=TID, how="left")
        .join(counts, on=TID, how="left")
        .join(shape(nodes), on=TID, how="left")
        .sort(TID)
    )


def _threads(
    posts: pl.DataFrame, comments: pl.DataFrame, instances: pl.Series | None
) -> pl.DataFrame:
    """Every (instance, post_id) the rows name, sorted and numbered (``_tid``): found
    on integers, each instance as its number among the sorted names."""
    if instances is None:
        instances = pl.concat([posts["instance"], comments["instance"]]).unique().sort()
    codes = name_codes("instance", instances)
    keys = pl.concat([posts.select(codes, "post_id"), comments.select(codes, "post_id")])
    numbered = keys.unique().sort(THREAD)
    names = instances.drop_nulls().alias("instance")
    return numbered.with_columns(names.gather(numbered["instance"])).with_row_index(TID)


_ZERO_IF_NONE = (
    *("comments_collected", "comments_visible", "orphans", "authors", "top_level"),
    *("comment_score", "comment_upvotes", "comment_downvotes", "deleted", "removed"),
    *("op_replies", "_shortfall", "max_width", "h_index", "reentry_authors"),
)
"""Counts and sums of a thread without comments: 0 (a sum that overflowed stays null)."""


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
    return (
        joined.with_columns(
            pl.coalesce("_post_collected", "_last_collected").alias("collected_at"),
            *[
                pl.when(pl.col("comments_collected").is_null()).then(0).otherwise(c).alias(c)
                for c in _ZERO_IF_NONE
            ],
            _seconds(pl.col("_first") - pl.col("published")).alias("first_reply_seconds"),
            _seconds(pl.col("_last") - pl.col("published")).alias("lifespan_seconds"),
            _seconds(pl.col("_half") - pl.col("published")).alias("time_to_half_seconds"),
            _seconds(pl.col("_ninety") - pl.col("published")).alias("time_to_90pct_seconds"),
            (pl.col("top_level") / pl.col("comments_collected")).alias("root_reply_share"),
            controversy("post_upvotes", "post_downvotes").alias("controversy"),
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


def _reply_facts(
    post_rows: pl.DataFrame, comments: pl.DataFrame, nodes: Nodes, threads: int
) -> pl.DataFrame:
    """Each current comment with its thread number, whether its parent (``parent_id``)
    is missing, what it replied to (the parent's or, at top level, the post's published
    time) and the post's author."""
    parent_row, tid = nodes.parent_comment, nodes.tid
    per_thread = pl.DataFrame({TID: pl.int_range(threads, dtype=pl.UInt32, eager=True)})
    post = per_thread.join(post_rows, on=TID, how="left", maintain_order="left")
    top = comments["parent_id"].is_null()
    return comments.with_columns(
        _flag_sorted(tid.cast(pl.UInt32)).alias(TID),
        (~top & parent_row.is_null()).alias("_orphan"),
        pl.when(top)
        .then(post["published"].gather(tid))
        .otherwise(comments["published"].gather(parent_row))
        .alias("_replied_to"),
        post["_op"].gather(tid).alias("_op"),
    )


def _flag_sorted(tid: pl.Series) -> pl.Series:
    """``tid`` marked sorted when it is (comments in table order are: Polars then groups
    by contiguous slices, about twice as fast as by gathered rows)."""
    return tid.set_sorted() if tid.is_sorted() else tid


def _comment_counts(replies: pl.DataFrame) -> pl.DataFrame:
    """Per-thread counts, sums, depths and times over current comments."""
    latency = _seconds(pl.col("published") - pl.col("_replied_to"))
    visible = ~pl.col("deleted") & ~pl.col("removed")
    return replies.group_by(TID).agg(
        pl.len().cast(pl.Int64).alias("comments_collected"),
        visible.sum().cast(pl.Int64).alias("comments_visible"),
        pl.col("_orphan").sum().cast(pl.Int64).alias("orphans"),
        pl.col("author_ap_id").n_unique().cast(pl.Int64).alias("authors"),
        (pl.col("depth") == 1).sum().cast(pl.Int64).alias("top_level"),
        pl.col("depth").max().alias("max_depth"),
        pl.col("depth").mean().alias("mean_depth"),
        _sum64("score").alias("comment_score"),
        _sum64("upvotes").alias("comment_upvotes"),
        _sum64("downvotes").alias("comment_downvotes"),
        latency.median().alias("median_reply_latency_seconds"),
        latency_tail(latency).alias("p90_reply_latency_seconds"),
        kth_published(0.5).alias("_half"),
        kth_published(0.9).alias("_ninety"),
        pl.col("published").min().alias("_first"),
        pl.col("published").max().alias("_last"),
        pl.col("collected_at").max().alias("_last_collected"),
        pl.col("deleted").sum().cast(pl.Int64).alias("deleted"),
        pl.col("removed").sum().cast(pl.Int64).alias("removed"),
        (pl.col("author_ap_id") == pl.col("_op")).sum().cast(pl.Int64).alias("op_replies"),
    )


def _seconds(span: pl.Expr) -> pl.Expr:
    """A duration in seconds, to the microsecond. (Polars divides a column by a number as
    a product with its inverse, except in a frame of one row: the same span could differ
    in the last bit between frames; this is the same product everywhere.)"""
    return span.dt.total_seconds(fractional=True)


def _sum64(column: str) -> pl.Expr:
    """The sum of a 64-bit column, added up in 128 bits: null where it does not fit 64
    bits (never wrapped around to a wrong number)."""
    return pl.col(column).cast(pl.Int128).sum().cast(pl.Int64, strict=False)
