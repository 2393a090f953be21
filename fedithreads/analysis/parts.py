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

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import polars as pl

from fedithreads.analysis.history import activity, history_rows
from fedithreads.analysis.snapshots import (
    COMMENT_COLUMNS,
    POST_COLUMNS,
    by_object,
    in_table_order,
    path_reader,
)
from fedithreads.analysis.stats import thread_stats
from fedithreads.core import schema
from fedithreads.core.treeshape import THREAD

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Part:
    """One instance's rows of the derived tables, each conformed to its schema; with
    ``tables``, its current posts and comments too (``None`` otherwise)."""

    thread_stats: pl.DataFrame
    activity: pl.DataFrame
    vote_history: pl.DataFrame
    posts: pl.DataFrame | None = None
    comments: pl.DataFrame | None = None


def instance_parts(
    posts: pl.LazyFrame,
    comments: pl.LazyFrame,
    *,
    bucket: str,
    tables: Sequence[str] | None = None,
    workers: int = 1,
) -> Iterator[Part]:
    """Each instance's Part, in the order of the instances' names (rows without one
    first), ``workers`` instances analysed at a time (``tables`` as for
    ``instance_part``)."""
    hosts = (
        pl.concat([posts.select("instance"), comments.select("instance")])
        .unique()
        .sort("instance")
        .collect(engine="streaming")["instance"]
        .to_list()
    )
    if len(hosts) < 2:
        yield instance_part(posts, comments, bucket=bucket, tables=tables)
        return

    def one(host: str | None) -> Part:
        mine = pl.col("instance").eq_missing(host)
        return instance_part(
            posts.filter(mine), comments.filter(mine), bucket=bucket, tables=tables
        )

    yield from ordered_map(one, hosts, workers)


def ordered_map(work: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """``work`` of each item, in the items' order, at most ``workers`` under way (and
    waiting to be taken) at once."""
    if workers < 2:
        yield from map(work, items)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="fedithreads-analysis") as pool:
        pending: deque[Future[R]] = deque()
        for item in items:
            if len(pending) >= workers:
                yield pending.popleft().result()
            pending.append(pool.submit(work, item))
        while pending:
            yield pending.popleft().result()


def instance_part(
    posts: pl.LazyFrame,
    comments: pl.LazyFrame,
    *,
    bucket: str,
    tables: Sequence[str] | None = None,
) -> Part:
    """The derived rows of the snapshots ``posts`` and ``comments`` (one instance's, or
    any with one pass over all), read once. With ``tables`` (comment columns), the
    current posts (every column) and comments (those columns) are kept too."""
    wanted = COMMENT_COLUMNS + [c for c in tables or () if c not in COMMENT_COLUMNS]
    post_rows, comment_rows = pl.collect_all(
        [posts if tables is not None else posts.select(POST_COLUMNS), comments.select(wanted)],
        engine="streaming",
    )
    instances = pl.concat([post_rows["instance"], comment_rows["instance"]]).unique().sort()
    post_authors, comment_authors = _author_codes(post_rows, comment_rows)
    post_rows, comment_rows = (
        post_rows.with_columns(post_authors),
        comment_rows.with_columns(comment_authors),
    )
    post_order = by_object(_metric(post_rows, POST_COLUMNS), "post_id", instances)
    comment_order = by_object(_metric(comment_rows, COMMENT_COLUMNS), "comment_id", instances)
    cur_posts = in_table_order(post_rows.filter(post_order.newest()), instances, THREAD)
    cur_comments = in_table_order(
        comment_rows.filter(comment_order.newest()), instances, [*THREAD, "comment_id"]
    )
    metric_comments = _metric(cur_comments, COMMENT_COLUMNS)
    stats = thread_stats(
        _metric(cur_posts, POST_COLUMNS), metric_comments, paths=path_reader(comments)
    )
    part = Part(
        schema.conform(
            stats.with_columns(pl.lit("instance").alias("scope"), pl.lit(True).alias("canonical")),
            "thread_stats",
        ),
        schema.conform(activity(metric_comments, bucket=bucket), "activity"),
        schema.conform(history_rows(post_order, comment_order), "vote_history"),
    )
    if tables is None:
        return part
    return Part(
        part.thread_stats,
        part.activity,
        part.vote_history,
        cur_posts.drop(_AUTHOR),
        cur_comments.select(tables),
    )


_AUTHOR = "_author"
"""The column of authors' integer codes, beside ``author_ap_id`` (kept for the tables)."""


def _metric(rows: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """The ``columns`` the metrics read, authors as their codes (no copy)."""
    return rows.select(
        pl.col(_AUTHOR).alias(c) if c == "author_ap_id" else pl.col(c) for c in columns
    )


def _author_codes(posts: pl.DataFrame, comments: pl.DataFrame) -> list[pl.Series]:
    """``author_ap_id`` of both as integer codes, the same author the same code: the
    metrics only count and compare authors, and integers are grouped and moved several
    times faster than strings. (The codes hold while a categorical column uses them:
    both are cast before either is turned into integers.)"""
    codes = pl.Categorical(pl.Categories.random())
    cast = [rows["author_ap_id"].cast(codes) for rows in (posts, comments)]
    return [column.to_physical().alias(_AUTHOR) for column in cast]
