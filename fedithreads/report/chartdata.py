"""Frames shaped for charts: the analysed tables aggregated and capped in Polars.

Pure functions of Polars frames, no plotting: every chart of the report (fedithreads.report.charts)
draws one of these frames as it is, so a chart never holds more rows than a cap says,
however large the corpus. Caps:

* activity is bucketed at the analysis bucket width, or at the smallest coarser width of
  ``BUCKET_LADDER`` that keeps a thread (or the corpus) under ``MAX_BUCKETS`` bars;
* reply depth is drawn in at most ``MAX_DEPTH_BARS`` bars (a bar per depth, or per
  equal range of depths in a deeper thread);
* the thread shape is drawn for threads of at most ``SHAPE_CAP`` nodes (comments plus
  placeholders for ancestors that were not collected), a cap checked before any work;
* corpus charts show the ``TOP_THREADS`` largest threads, the scatter ``SCATTER_CAP``;
* vote charts keep at most ``MAX_SNAPSHOTS`` evenly spaced collection times, the last one
  always among them, and the corpus's at most ``MAX_ROWS`` points in all.

So no frame reaches Altair's own limit of 5,000 rows (``MAX_ROWS`` stays under it).

A thread's copies on other instances (``copies_frame``) are its rows of the federation
table: one per instance, few.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from fedithreads.analysis.history import activity
from fedithreads.core.forest import subtree_sums
from fedithreads.core.treeshape import THREAD, TID, build_nodes
from fedithreads.core.units import duration_seconds

MAX_BUCKETS = 240
MAX_DEPTH_BARS = 120
SHAPE_CAP = 3000
TOP_THREADS = 25
SCATTER_CAP = 2000
MAX_SNAPSHOTS = 400
MAX_ROWS = 4000
BUCKET_LADDER = ("1m", "5m", "15m", "30m", "1h", "3h", "6h", "12h", "1d", "7d", "30d", "365d")

STATUS_ORDER = ("post", "visible", "deleted", "removed", "not collected")
"""Colour categories of comments: what the reader sees in place of each one."""


def thread_label(instance: str, post_id: int) -> str:
    """``"lemmy.ml/post/123"``: how the report names a thread."""
    return f"{instance}/post/{post_id}"


def choose_bucket(span_seconds: float, base: str, cap: int = MAX_BUCKETS) -> str:
    """The analysis width ``base``, or the first coarser ladder width giving ≤ ``cap`` buckets."""
    base_seconds = duration_seconds(base)
    if span_seconds / base_seconds < cap:
        return base
    for width in BUCKET_LADDER:
        seconds = duration_seconds(width)
        if seconds > base_seconds and span_seconds / seconds < cap:
            return width
    return BUCKET_LADDER[-1]


def status() -> pl.Expr:
    """``visible``/``deleted``/``removed`` of a comment row (removed wins over deleted)."""
    return (
        pl.when(pl.col("removed"))
        .then(pl.lit("removed"))
        .when(pl.col("deleted"))
        .then(pl.lit("deleted"))
        .otherwise(pl.lit("visible"))
    )


def activity_frame(
    comments: pl.DataFrame, base: str, *, since: datetime | None = None
) -> tuple[pl.DataFrame, str]:
    """Comments, distinct authors and the running total per bucket of ``comments``.

    All rows are taken as one timeline (one thread, or a whole corpus); the bucket width
    is chosen by ``choose_bucket`` from the span of ``published`` (from ``since``, the
    post's publication, when given: its bucket then opens the timeline with 0 comments).
    Returns the frame (bucket_start, bucket_end, comments, authors, cumulative_comments)
    and the width used.
    """
    if comments.height == 0:
        return pl.DataFrame(schema=_ACTIVITY), base
    first, last = comments.select(pl.min("published"), pl.max("published").alias("last")).row(0)
    start = min(first, since) if since is not None else first
    width = choose_bucket((last - start).total_seconds(), base)
    one_line = comments.with_columns(instance=pl.lit(""), post_id=pl.lit(0, pl.Int64))
    frame = activity(one_line, bucket=width).select(_BUCKETED)
    opening = _opening(start, width)
    if since is not None and opening["bucket_start"][0] < frame["bucket_start"][0]:
        frame = pl.concat([opening, frame])
    end = pl.col("bucket_start").dt.offset_by(width).alias("bucket_end")
    return frame.with_columns(end).select(list(_ACTIVITY)), width


def _opening(start: datetime, width: str) -> pl.DataFrame:
    """An empty bucket at ``start`` (truncated to the width), in activity's columns."""
    row = {"bucket_start": [start], "comments": [0], "authors": [0], "cumulative_comments": [0]}
    schema = {k: _ACTIVITY[k] for k in _BUCKETED}
    return pl.DataFrame(row, schema=schema).with_columns(pl.col("bucket_start").dt.truncate(width))


_BUCKETED = ["bucket_start", "comments", "authors", "cumulative_comments"]
_ACTIVITY = {
    "bucket_start": pl.Datetime("us", "UTC"),
    "bucket_end": pl.Datetime("us", "UTC"),
    "comments": pl.Int64(),
    "authors": pl.Int64(),
    "cumulative_comments": pl.Int64(),
}


def depth_frame(comments: pl.DataFrame) -> pl.DataFrame:
    """Collected comments per (depth, status), depth ascending, statuses in STATUS_ORDER.

    A thread deeper than ``MAX_DEPTH_BARS`` is counted in bars of equal width: ``depth``
    is a bar's first depth and ``depth_end`` its last (equal when each depth is a bar).
    """
    width = max(1, -(-_deepest(comments) // MAX_DEPTH_BARS))
    first = (pl.col("depth").cast(pl.Int64) - 1) // width * width + 1
    return (
        comments.group_by(first.alias("depth"), status().alias("status"))
        .agg(pl.len().cast(pl.Int64).alias("comments"))
        .sort("depth", pl.col("status").replace_strict(_STATUS_RANK, return_dtype=pl.Int8))
        .with_columns((pl.col("depth") + width - 1).alias("depth_end"))
    )


def _deepest(comments: pl.DataFrame) -> int:
    deepest = comments.select(pl.col("depth").max()).item()
    return int(deepest or 0)


_STATUS_RANK = {s: i for i, s in enumerate(STATUS_ORDER)}


def shape_frame(comments: pl.DataFrame, *, cap: int | None = None) -> pl.DataFrame | None:
    """An icicle layout of one thread's reply tree, or ``None`` above ``cap`` nodes.

    ``cap`` defaults to ``SHAPE_CAP``, the post counting as a node. The cap is checked
    before any work: more comments than the cap, or a path deeper than it (it names that
    many nodes), and there is no layout; else the nodes are found from parent links
    (fedithreads.core.treeshape), in time and memory linear in the thread's size.

    One rectangle per node, the post included: rows ``depth``..``depth + 1`` and columns
    ``x0``..``x1``. Nodes are numbered in pre-order (siblings by id, the post 0), so a
    subtree occupies the contiguous range x0 = rank, x1 = rank + nodes in the subtree
    (itself included): each node spans all its descendants. Ancestors a path names but
    that were not collected appear as ``not collected`` placeholders, as in analysis.
    """
    cap = SHAPE_CAP if cap is None else cap
    if comments.height + 1 > cap or _deepest(comments) >= cap:
        return None
    threads = comments.select(THREAD).unique().with_row_index(TID)
    nodes = build_nodes(comments, threads)
    if nodes.roots + 1 > cap:
        return None
    frame = nodes.frame
    walk = subtree_sums(
        frame["_parent"], {"_n": pl.repeat(1, frame.height, eager=True)}, order=frame["_id"]
    )
    everything = walk["_n_from"][nodes.roots]  # the post's: every node
    attributes = comments.select(
        pl.col("comment_id").alias("node"), "author", "score", "published", status().alias("status")
    )
    layout = frame.select(
        pl.col("_id").fill_null(0).alias("node"),
        pl.col("_depth").alias("depth"),
        (everything - walk["_n_from"]).alias("x0"),
        (everything - walk["_n_from"] + walk["_n"]).alias("x1"),
    ).head(nodes.roots + 1)
    joined = layout.join(attributes, on="node", how="left", maintain_order="left")
    is_post = pl.col("depth") == 0
    return (
        joined.with_columns(
            pl.when(is_post)
            .then(pl.lit("post"))
            .otherwise(pl.col("status").fill_null("not collected"))
            .alias("status")
        )
        .sort("x0")
        .select("node", "depth", "x0", "x1", "status", "author", "score", "published")
    )


def votes_frame(vote_history: pl.DataFrame, instance: str, post_id: int) -> pl.DataFrame:
    """The post's score, upvotes and downvotes at each collection, long: one row per count."""
    return (
        vote_history.filter(
            (pl.col("kind") == "post")
            & (pl.col("instance") == instance)
            & (pl.col("id") == post_id)
        )
        .pipe(thin_times)
        .sort("collected_at")
        .unpivot(["score", "upvotes", "downvotes"], index="collected_at", variable_name="count")
    )


def thin_times(frame: pl.DataFrame, cap: int = MAX_SNAPSHOTS) -> pl.DataFrame:
    """Rows at no more than ``cap`` distinct ``collected_at`` times, evenly spaced, last kept."""
    times = frame.select(pl.col("collected_at").unique().sort())
    if times.height <= cap:
        return frame
    step = -(-times.height // cap)
    index = pl.int_range(pl.len())
    kept = times.filter((index % step == 0) | (index == pl.len() - 1))
    return frame.join(kept, on="collected_at", how="semi")


def completeness_frame(stats: pl.DataFrame) -> pl.DataFrame:
    """Per thread: comments collected and known missing, as stacked parts (long form).

    ``thread`` is the thread's label; ``part`` is ``collected`` or ``missing``; threads
    keep the order of ``stats``.
    """
    labelled = stats.with_row_index("order").with_columns(_label().alias("thread"))
    return (
        labelled.select("order", "thread", "complete", "comments_collected", "missing")
        .unpivot(
            ["comments_collected", "missing"],
            index=["order", "thread", "complete"],
            variable_name="part",
            value_name="comments",
        )
        .with_columns(pl.col("part").replace({"comments_collected": "collected"}))
        .sort("order", "part")
        .drop("order")
    )


def top_threads(stats: pl.DataFrame, n: int = TOP_THREADS) -> pl.DataFrame:
    """The ``n`` largest threads by max(collected, reported), largest first, ties by key."""
    size = pl.max_horizontal("comments_collected", pl.col("comments_reported").fill_null(0))
    return stats.sort(size, "instance", "post_id", descending=[True, False, False]).head(n)


def scatter_frame(stats: pl.DataFrame, cap: int = SCATTER_CAP) -> pl.DataFrame:
    """One point per thread with comments (the ``cap`` largest): size, depth, authors."""
    with_comments = stats.filter(pl.col("comments_collected") > 0)
    return top_threads(with_comments, cap).select(
        _label().alias("thread"),
        "title",
        "comments_collected",
        "max_depth",
        "authors",
        "structural_virality",
        "complete",
    )


def corpus_votes_frame(vote_history: pl.DataFrame, threads: pl.DataFrame) -> pl.DataFrame:
    """Post score at each collection for the given threads (long: thread, collected_at)."""
    keys = threads.select("instance", pl.col("post_id").alias("id"))
    cap = min(MAX_SNAPSHOTS, MAX_ROWS // max(1, threads.height))
    return (
        vote_history.filter(pl.col("kind") == "post")
        .join(keys, on=["instance", "id"], how="semi")
        .pipe(thin_times, cap)
        .select(pl.format("{}/post/{}", "instance", "id").alias("thread"), "collected_at", "score")
        .sort("thread", "collected_at")
    )


def copies_frame(federation: pl.DataFrame, instance: str, post_id: int) -> pl.DataFrame | None:
    """The copies of one thread (its federation rows with a copy), home first, then by
    instance; ``None`` for fewer than two. Adds ``copy`` (the instance, the home and the
    copy (instance, post_id) of the page marked), ``comments_home`` (the home copy's
    comments collected) and ``shared_with_home`` (collected − extra_vs_home), both null
    without a home copy."""
    copies = federation.filter(pl.col("found") & pl.col("comments_collected").is_not_null())
    if copies.height < 2:
        return None
    this = (pl.col("instance") == instance) & (pl.col("post_id") == post_id)
    marks = pl.concat_list(
        pl.when("is_home").then(pl.lit("home")), pl.when(this).then(pl.lit("this page"))
    ).list.drop_nulls()
    label = pl.when(marks.list.len() > 0).then(
        pl.format("{} ({})", "instance", marks.list.join(", "))
    )
    return copies.sort("is_home", "instance", descending=[True, False]).with_columns(
        label.otherwise("instance").alias("copy"),
        pl.col("comments_collected").filter("is_home").first().alias("comments_home"),
        (pl.col("comments_collected") - pl.col("extra_vs_home")).alias("shared_with_home"),
    )


def _label() -> pl.Expr:
    return pl.format("{}/post/{}", "instance", "post_id")
