"""The report's first step: the analysed tables cut per page, every value a page shows.

``split_threads`` cuts the tables into one ``ThreadParts`` per thread (a copy of a thread
held by several instances is a thread of its own, with its thread's federation rows);
``thread_data`` and ``index_data`` then compute, from those rows, everything one page
shows: the frames its charts draw (fedithreads.report.chartdata), its facts, and for a
thread page the thread as styled lines (fedithreads.report.render), folded as a
``TREE_WIDTH``-column terminal shows them. The later steps only read these values: charts
draws the frames, pages lays out the page, html writes it.

The caps on what a page shows beyond the charts' own (chartdata) live here: the thread as
text is left out above ``TREE_CAP`` comments (wrapping it is the costliest part of a
page; ``show`` has no cap), and the index table lists the ``TABLE_CAP`` largest threads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from fedithreads.analysis import pipeline
from fedithreads.core.tree import Thread
from fedithreads.report import chartdata
from fedithreads.report.fold import fold_lines
from fedithreads.report.render import Line, render_thread

TREE_CAP = 500
TABLE_CAP = 5000
TREE_WIDTH = 100


@dataclass(frozen=True, slots=True)
class ThreadParts:
    """One thread's rows: thread_stats (one row), current comments, the post's votes, the
    federation rows of its thread (empty unless held or asked about elsewhere), its post
    row, and its tree when the caller has it (else ``tree()`` builds it, from the rows)."""

    stats_frame: pl.DataFrame
    comments: pl.DataFrame
    votes: pl.DataFrame
    posts: pl.DataFrame
    federation: pl.DataFrame
    given: Thread | None = None

    @property
    def stats(self) -> dict[str, Any]:
        return self.stats_frame.row(0, named=True)

    @property
    def author(self) -> str | None:
        """The post's author, ``None`` when the post was not collected."""
        return self.posts["author"][0] if self.posts.height else None

    def tree(self) -> Thread:
        """The thread's tree: built only for pages that show it (a record per comment)."""
        if self.given is not None:
            return self.given
        key = (self.stats["instance"], self.stats["post_id"])
        snapshots = pipeline.Snapshots(self.posts.lazy(), self.comments.lazy(), ())
        return pipeline.thread_from_tables(snapshots, *key)


@dataclass(frozen=True, slots=True)
class CommentFrames:
    """What is drawn from comments: activity at the width it was bucketed at, depth, shape."""

    activity: pl.DataFrame
    bucket: str
    depth: pl.DataFrame
    shape: pl.DataFrame | None = None
    """The icicle of a thread; ``None`` above the shape cap (and for the corpus)."""


@dataclass(frozen=True, slots=True)
class ThreadData:
    """Everything a thread's page shows; ``comments`` is ``None`` when none were collected."""

    stats: dict[str, Any]
    label: str
    author: str | None
    comments: CommentFrames | None
    shape_cap: int
    votes: pl.DataFrame
    completeness: pl.DataFrame
    tree: tuple[Line, ...] | None
    """The thread as text, ``None`` above ``tree_cap`` comments."""
    tree_cap: int
    copies: pl.DataFrame | None = None
    """The thread's copies on several instances (``chartdata.copies_frame``), or ``None``."""
    no_copy: tuple[tuple[str, bool | None], ...] = ()
    """Instances asked about the thread that gave no copy, and their answer (found: false
    = not there, null = the lookup failed)."""


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums over the corpus's threads."""

    threads: int
    comments: int
    complete: int
    missing: int
    authors: int


@dataclass(frozen=True, slots=True)
class IndexData:
    """Everything the index shows: totals, corpus frames and the largest threads' rows."""

    bucket: str
    totals: Totals
    completeness: pl.DataFrame
    top: int
    comments: CommentFrames | None
    scatter: pl.DataFrame
    votes: pl.DataFrame
    table: pl.DataFrame
    labels: list[str]
    table_cap: int


def split_threads(
    tables: dict[str, pl.DataFrame], trees: dict[tuple[str, int], Thread] | None = None
) -> Iterator[ThreadParts]:
    """Each thread's stats row, current comments, post snapshots and tree, in stats order.

    The tables are partitioned once, so the work is linear in the corpus. A tree is
    rebuilt from the current rows when a page shows it, unless ``trees`` gives it.
    """
    comments = _partition(tables["comments"], "post_id")
    posts = _partition(tables["posts"], "post_id")
    votes = _partition(tables["vote_history"].filter(pl.col("kind") == "post"), "id")
    names = ("comments", "posts", "vote_history", "federation")
    empty = {name: tables[name].clear() for name in names}
    federation, thread_of = _federation_parts(tables["federation"])
    stats = copy_rows(tables["thread_stats"])
    for i, (instance, post_id) in enumerate(stats.select("instance", "post_id").iter_rows()):
        key = (instance, post_id)
        yield ThreadParts(
            stats.slice(i, 1),
            comments.get(key, empty["comments"]),
            votes.get(key, empty["vote_history"]),
            posts.get(key, empty["posts"]),
            federation.get(thread_of.get(key, ""), empty["federation"]),
            (trees or {}).get(key),
        )


def _federation_parts(
    federation: pl.DataFrame,
) -> tuple[dict[str, pl.DataFrame], dict[tuple[str, int], str]]:
    """The federation rows per thread ap_id, and the ap_id of each copy (instance,
    post_id) they name (a copy without a post row has no ap_id in thread_stats)."""
    parts = federation.partition_by("ap_id", as_dict=True, maintain_order=True)
    copies = federation.filter(pl.col("found")).drop_nulls("post_id")
    thread_of = {(i, p): a for a, i, p in copies.select("ap_id", "instance", "post_id").rows()}
    return {str(k[0]): v for k, v in parts.items()}, thread_of


def copy_rows(stats: pl.DataFrame) -> pl.DataFrame:
    """The thread_stats rows of single copies: the union rows of threads held by several
    instances (``scope`` "union") have no page of their own yet."""
    return stats.filter(pl.col("scope") == "instance")


def _partition(frame: pl.DataFrame, id_column: str) -> dict[tuple[str, int], pl.DataFrame]:
    parts = frame.partition_by("instance", id_column, as_dict=True, maintain_order=True)
    return {(str(k[0]), int(k[1])): v for k, v in parts.items()}


def thread_data(parts: ThreadParts, *, bucket: str, tree_cap: int | None = None) -> ThreadData:
    """A thread page's values; no text above ``tree_cap`` comments (``TREE_CAP``; 0: no cap)."""
    stats = parts.stats
    cap = TREE_CAP if tree_cap is None else tree_cap
    shown = not cap or stats["comments_collected"] <= cap
    frames = _comment_frames(parts.comments, bucket, since=stats["published"], shape=True)
    return ThreadData(
        stats=stats,
        label=chartdata.thread_label(stats["instance"], stats["post_id"]),
        author=parts.author,
        comments=frames,
        shape_cap=chartdata.SHAPE_CAP,
        votes=chartdata.votes_frame(parts.votes, stats["instance"], stats["post_id"]),
        completeness=chartdata.completeness_frame(parts.stats_frame),
        tree=tree_lines(parts.tree()) if shown else None,
        tree_cap=cap,
        copies=chartdata.copies_frame(parts.federation, stats["instance"], stats["post_id"]),
        no_copy=tuple(
            parts.federation.filter(pl.col("comments_collected").is_null())
            .select("instance", "found")
            .rows()
        ),
    )


def tree_lines(tree: Thread) -> tuple[Line, ...]:
    """The thread as text, as a ``TREE_WIDTH``-column terminal shows it."""
    return fold_lines(render_thread(tree, width=TREE_WIDTH), TREE_WIDTH)


def index_data(tables: dict[str, pl.DataFrame], *, bucket: str) -> IndexData:
    """The index's values: totals, corpus frames, and the ``TABLE_CAP`` largest threads."""
    stats = copy_rows(tables["thread_stats"])
    top = chartdata.top_threads(stats)
    table = chartdata.top_threads(stats, TABLE_CAP)
    return IndexData(
        bucket=bucket,
        totals=_totals(stats),
        completeness=chartdata.completeness_frame(top),
        top=top.height,
        comments=_comment_frames(tables["comments"], bucket),
        scatter=chartdata.scatter_frame(stats),
        votes=chartdata.corpus_votes_frame(tables["vote_history"], top),
        table=table,
        labels=[chartdata.thread_label(*key) for key in table.select("instance", "post_id").rows()],
        table_cap=TABLE_CAP,
    )


def _totals(stats: pl.DataFrame) -> Totals:
    sums = stats.select(
        pl.col("complete", "comments_collected", "missing", "authors").cast(pl.Int128).sum()
    ).row(0, named=True)
    return Totals(
        threads=stats.height,
        comments=sums["comments_collected"],
        complete=sums["complete"],
        missing=sums["missing"],
        authors=sums["authors"],
    )


def _comment_frames(
    comments: pl.DataFrame, bucket: str, *, since: datetime | None = None, shape: bool = False
) -> CommentFrames | None:
    if not comments.height:
        return None
    activity, width = chartdata.activity_frame(comments, bucket, since=since)
    depth = chartdata.depth_frame(comments)
    return CommentFrames(activity, width, depth, chartdata.shape_frame(comments) if shape else None)
