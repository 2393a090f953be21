"""Each instance's derived rows on their own: thread_stats, activity and vote_history, and,
when asked, its current posts and comments.

Every metric of a copy stays within its instance (threads, ids and paths never cross
one), so the snapshot tables are analysed one instance at a time: each instance's rows
are read (a data dir's hive partitions: only its files), ordered once by object and time
(``snapshots.by_object``) and measured. Working on one instance at a time keeps each
sort and group-by small, lets two instances be analysed at once on two cores (Polars
releases the GIL while it computes), and bounds memory by the largest instance's rows.
All tables are sorted by instance first, so the parts, taken in instance order, are
exactly the rows one pass over everything would give.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import polars as pl

from fedithreads.analysis.authors import authors_table
from fedithreads.analysis.history import activity, history_rows
from fedithreads.analysis.listed import Split
from fedithreads.analysis.snapshots import (
    COMMENT_COLUMNS,
    POST_COLUMNS,
    Ordered,
    by_object,
    in_table_order,
    path_reader,
)
from fedithreads.analysis.stats import thread_stats
from fedithreads.core import schema
from fedithreads.core.treeshape import THREAD

T = TypeVar("T")
R = TypeVar("R")
Sink = Callable[[str, pl.DataFrame], None]
"""Takes a table's rows (its name, the rows) as soon as they are computed."""
Finish = Callable[[str, pl.DataFrame], pl.DataFrame]
"""The current posts or comments (the table's name, the rows) as they are to be kept."""


@dataclass(frozen=True, slots=True)
class Part:
    """One instance's rows of the derived tables, each conformed to its schema; with
    ``tables``, its current posts and comments and its authors too (``None`` otherwise)."""

    thread_stats: pl.DataFrame
    activity: pl.DataFrame
    vote_history: pl.DataFrame
    posts: pl.DataFrame | None = None
    comments: pl.DataFrame | None = None
    authors: pl.DataFrame | None = None


def instance_parts(
    posts: pl.LazyFrame,
    comments: pl.LazyFrame,
    *,
    bucket: str,
    tables: Sequence[str] | None = None,
    workers: int = 1,
    sink: Sink | None = None,
    split: Split | None = None,
    finish: Finish | None = None,
) -> Iterator[Part]:
    """Each instance's Part, in the order of the instances' names (rows without one
    first), ``workers`` instances analysed at a time (``tables`` and ``sink`` as for
    ``instance_part``, as ``finish``). ``split`` gives an instance's rows (its own files,
    fedithreads.analysis.listed); without it they are ``posts`` and ``comments``
    filtered by instance."""
    hosts = (
        pl.concat([posts.select("instance"), comments.select("instance")])
        .unique()
        .sort("instance")
        .collect(engine="streaming")["instance"]
        .to_list()
    )
    if len(hosts) < 2:
        yield instance_part(posts, comments, bucket=bucket, tables=tables, sink=sink, finish=finish)
        return

    def one(host: str | None) -> Part:
        mine = pl.col("instance").eq_missing(host)
        own = split(host) if split else (posts.filter(mine), comments.filter(mine))
        return instance_part(*own, bucket=bucket, tables=tables, sink=sink, finish=finish)

    yield from ordered_map(one, hosts, workers)


def ordered_map(work: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """``work`` of each item, in the items' order, at most ``workers`` under way at once:
    the next item starts as soon as any is done (a result is kept until it is taken),
    so a large item never leaves a worker waiting for it to be taken."""
    if workers < 2:
        yield from map(work, items)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="fedithreads-analysis") as pool:
        futures = [pool.submit(work, item) for item in items]
        try:
            for future in futures:
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


def instance_part(
    posts: pl.LazyFrame,
    comments: pl.LazyFrame,
    *,
    bucket: str,
    tables: Sequence[str] | None = None,
    sink: Sink | None = None,
    finish: Finish | None = None,
) -> Part:
    """The derived rows of the snapshots ``posts`` and ``comments`` (one instance's, or
    any with one pass over all), read once. With ``tables`` (comment columns), the
    current posts (every column) and comments (those columns) are kept too, and the
    authors table of them (computed on the authors' integer codes); ``finish`` makes
    those posts and comments what is kept (in the worker: instances in parallel). With a
    ``sink``, activity, vote_history and those tables are handed to it as soon as each
    is computed, and the Part holds thread_stats alone.

    Memory is spent in stages: the snapshots are read with authors as integer codes and,
    without ``tables``, without the comments' ap_ids; vote_history is built first (its
    ap_ids read then), handed on, then the current rows are taken (one gather) and the
    snapshots let go before the thread statistics are computed."""
    kept: dict[str, pl.DataFrame] = {}
    emit = sink or kept.__setitem__
    post_rows, comment_rows = _read(posts, comments, tables)
    instances = pl.concat([post_rows["instance"], comment_rows["instance"]]).unique().sort()
    post_order = by_object(_metric(post_rows, POST_COLUMNS), "post_id", instances)
    ordered = COMMENT_COLUMNS if "ap_id" in comment_rows.columns else _COMMENT_METRICS
    comment_order = by_object(_metric(comment_rows, ordered), "comment_id", instances)
    newest = comment_order.newest()
    if "ap_id" not in ordered:
        comment_order = _with_ap_ids(comment_order, comments)
    emit("vote_history", schema.conform(history_rows(post_order, comment_order), "vote_history"))
    del comment_order
    cur_posts = in_table_order(post_rows, post_order.newest(), instances, THREAD)
    cur_comments = in_table_order(comment_rows, newest, instances, [*THREAD, "comment_id"])
    del comment_rows, newest
    if tables is not None:
        done = finish or _kept
        emit("posts", done("posts", cur_posts.drop(_AUTHOR)))
        emit("comments", done("comments", cur_comments.select(tables)))
        emit("authors", authors_table(cur_posts, cur_comments, codes=_AUTHOR))
    read_paths = "path" in cur_comments.columns  # else the orphans' paths are read again
    cur_comments = _metric(cur_comments, [*_COMMENT_METRICS, *(["path"] if read_paths else [])])
    stats = thread_stats(
        _metric(cur_posts, POST_COLUMNS),
        cur_comments,
        paths=None if read_paths else path_reader(comments),
    )
    counts = activity(cur_comments, bucket=bucket, instances=instances)
    emit("activity", schema.conform(counts, "activity"))
    return Part(
        schema.conform(
            stats.with_columns(pl.lit("instance").alias("scope"), pl.lit(True).alias("canonical")),
            "thread_stats",
        ),
        kept.get("activity", schema.empty("activity")),
        kept.get("vote_history", schema.empty("vote_history")),
        kept.get("posts"),
        kept.get("comments"),
        kept.get("authors"),
    )


def _kept(table: str, rows: pl.DataFrame) -> pl.DataFrame:
    return rows


_COMMENT_METRICS = [c for c in COMMENT_COLUMNS if c != "ap_id"]
"""What thread_stats and activity read of comments."""


def _read(
    posts: pl.LazyFrame, comments: pl.LazyFrame, tables: Sequence[str] | None
) -> list[pl.DataFrame]:
    """The posts and comments snapshots, each in one chunk (gathers across chunks are
    several times slower), with ``_author``: the authors as integer codes (``Categorical``
    codes, one per author named; the strings are dropped then unless ``tables`` asks for
    them). The metrics only compare authors, never order them. The codes are cast once
    the rows are read: cast by the streaming engine as the files are read, the same cast
    took three times as long."""
    if tables is None:
        wanted = [posts.select(POST_COLUMNS), comments.select(_COMMENT_METRICS)]
    else:
        columns = list(dict.fromkeys([*COMMENT_COLUMNS, *tables]))
        wanted = [posts, comments.select(columns)]
    frames = pl.collect_all(wanted, engine="streaming")
    # Both casts' results held at once: Polars drops its mapping of the strings when no
    # Categorical uses it, and a cast after that would number them afresh.
    authors = [f["author_ap_id"].cast(pl.Categorical) for f in frames]
    return [_coded(f, a, keep=tables is not None) for f, a in zip(frames, authors, strict=True)]


def _coded(rows: pl.DataFrame, authors: pl.Series, *, keep: bool) -> pl.DataFrame:
    """``rows`` in one chunk with ``_author`` (the codes of ``authors``) last,
    ``author_ap_id`` only if ``keep``."""
    codes = authors.to_physical().alias(_AUTHOR)
    return (rows if keep else rows.drop("author_ap_id")).with_columns(codes).rechunk()


def _with_ap_ids(order: Ordered, comments: pl.LazyFrame) -> Ordered:
    """``order`` with its rows' ap_ids, read again from ``comments`` (in the same order:
    their ids are checked)."""
    again = comments.select("comment_id", "ap_id").collect(engine="streaming").rechunk()
    if not again["comment_id"].equals(order.rows["comment_id"]):
        raise RuntimeError("the comments were read in another order the second time")
    return Ordered(order.rows.with_columns(again["ap_id"]), order.key, order.order)


_AUTHOR = "_author"
"""The column of authors' integer codes (beside ``author_ap_id`` when the tables need it)."""


def _metric(rows: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """The ``columns`` the metrics read, authors as their codes (no copy)."""
    return rows.select(
        pl.col(_AUTHOR).alias(c) if c == "author_ap_id" else pl.col(c) for c in columns
    )
