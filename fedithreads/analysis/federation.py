"""One thread across the fediverse: its copies on several instances, compared by ap_id.

Words (see DESIGN.md, reference/lemmy-api.md §2.7): a **copy** is a thread as one
instance holds it, (instance, local post_id), with the post's ap_id as the thread's
identity; local ids and paths belong to the copy. The **home instance** is the host of
the post's community (``community_ap_id``; the host of the post's ap_id when no post row
names a community): the community relays every comment, so its copy is the reference. A
comment's identity is its ap_id (a comment without one stands for itself only).

A thread is **federated** when copies of it were collected from more than one instance or
``collect --across`` asked another instance about it (the resolutions table, latest row
per (instance, ap_id)). ``federate`` finds those threads from the copies' thread_stats
rows (one per copy, with the post's ap_id), and only when there are any reads their
rows; it returns the ``federation`` and ``comment_presence`` tables and the union rows
of thread_stats (fedithreads.analysis.union).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from fedithreads.analysis import union
from fedithreads.analysis.coverage import federation_table, home_instances, presence_table
from fedithreads.analysis.snapshots import current
from fedithreads.analysis.union import KEY, THREAD_AP
from fedithreads.core import schema
from fedithreads.core.treeshape import THREAD

__all__ = ["Federation", "UnionParts", "federate", "thread_copies", "union_of", "union_parts"]


@dataclass(frozen=True, slots=True)
class Federation:
    """The two federation tables, the union rows of thread_stats, and the copies of the
    threads held by several instances ((instance, post_id), whose instance rows are not
    canonical)."""

    federation: pl.DataFrame
    comment_presence: pl.DataFrame
    union_stats: pl.DataFrame
    shared: pl.DataFrame

    @staticmethod
    def none() -> Federation:
        shared = pl.DataFrame(schema={"instance": pl.String(), "post_id": pl.Int64()})
        return Federation(
            schema.empty("federation"),
            schema.empty("comment_presence"),
            schema.empty("thread_stats"),
            shared,
        )


def thread_copies(posts: pl.LazyFrame, comments: pl.LazyFrame) -> pl.LazyFrame:
    """Every copy (instance, post_id) with its thread's ap_id (``_thread``): the post
    row's ap_id, else the ``post_ap_id`` its comments name; copies without either are
    left out (nothing identifies them across instances)."""
    keys = pl.concat(
        [
            posts.select(*THREAD, pl.col("ap_id").alias(THREAD_AP), pl.lit(0).alias("_from")),
            comments.select(
                *THREAD, pl.col("post_ap_id").alias(THREAD_AP), pl.lit(1).alias("_from")
            ),
        ]
    )
    return (
        keys.drop_nulls(THREAD_AP)
        .unique([*THREAD, THREAD_AP, "_from"])
        .sort("_from")
        .unique(THREAD, keep="first")
        .select(*THREAD, THREAD_AP)
    )


def federate(
    posts: pl.LazyFrame,
    comments: pl.LazyFrame,
    resolutions: pl.LazyFrame,
    instance_stats: pl.DataFrame,
) -> Federation:
    """The federation tables and union stats of the snapshot tables (every snapshot).

    ``instance_stats`` are the thread_stats rows of the single copies: their keys and
    ap_ids name the copies (``_stats_copies``), their ``complete`` decides the union's.
    Without a thread on two instances and without resolutions, this returns the empty
    tables after reading only the resolutions and, for threads without a post row, the
    post_ap_id of their comments."""
    asked = current(resolutions, "ap_id").collect()
    keys = _stats_copies(instance_stats, comments)
    counts = keys.group_by(THREAD_AP).agg(pl.col("instance").n_unique().alias("_n"))
    multi = counts.filter(pl.col("_n") > 1)[THREAD_AP]
    if multi.is_empty() and asked.is_empty():
        return Federation.none()
    wanted = pl.concat([multi, asked["ap_id"].rename(THREAD_AP)]).unique()
    copies = (
        keys.filter(pl.col(THREAD_AP).is_in(wanted.implode()))
        .sort(*THREAD)
        .unique([THREAD_AP, "instance"], keep="first", maintain_order=True)
    )
    cur_posts, cur_comments = _current_rows(posts, comments, copies)
    copies = _rank_copies(copies, cur_posts, cur_comments, wanted)
    several = copies.filter(pl.col("_copies") > 1)
    shared = keys.filter(pl.col(THREAD_AP).is_in(multi.implode())).select(THREAD)
    return Federation(
        federation_table(copies, cur_posts, cur_comments, asked),
        presence_table(copies, cur_comments),
        union.union_stats(several, cur_posts, cur_comments, instance_stats, _failed(asked, copies)),
        shared,
    )


def _failed(asked: pl.DataFrame, copies: pl.DataFrame) -> pl.Series:
    """The ap_ids of threads whose lookup failed on an instance that holds no copy of it
    (its latest answer: found null): their union may lack what only that instance has."""
    held = copies.select(pl.col(THREAD_AP).alias("ap_id"), "instance")
    failed = asked.filter(pl.col("found").is_null()).join(
        held, on=["ap_id", "instance"], how="anti"
    )
    return failed["ap_id"].unique()


def _stats_copies(stats: pl.DataFrame, comments: pl.LazyFrame) -> pl.DataFrame:
    """``thread_copies`` from thread_stats rows: their ap_id (the post row's), else the
    post_ap_id of the thread's comments (only those threads' comments are read)."""
    known = stats.drop_nulls("ap_id").select(*THREAD, pl.col("ap_id").alias(THREAD_AP))
    unknown = stats.filter(pl.col("ap_id").is_null()).select(THREAD)
    if unknown.is_empty():
        return known
    named = (
        comments.filter(pl.col("post_id").is_in(unknown["post_id"].implode()))
        .select(*THREAD, pl.col("post_ap_id").alias(THREAD_AP))
        .drop_nulls(THREAD_AP)
        .unique(maintain_order=True)
        .collect()
        .join(unknown, on=THREAD, how="semi")
        .unique(THREAD, keep="first")
    )
    return pl.concat([known, named])


def union_of(posts: pl.LazyFrame, comments: pl.LazyFrame, ap_id: str) -> pl.DataFrame:
    """The union of the comments of the thread ``ap_id`` over every copy the snapshot
    tables hold, as ``fedithreads.analysis.union.union_comments`` gives it (one copy
    gives its own comments; no copy, an empty frame)."""
    return union_parts(posts, comments, ap_id).union


@dataclass(frozen=True, slots=True)
class UnionParts:
    """One thread's copies (ranked: instance, post_id, home_instance, is_home, ``_held``
    comments, ``_prio``, ``_home_post``), their current post rows, and their union."""

    copies: pl.DataFrame
    posts: pl.DataFrame
    union: pl.DataFrame


def union_parts(posts: pl.LazyFrame, comments: pl.LazyFrame, ap_id: str) -> UnionParts:
    """``union_of`` with the copies it was made of and their post rows."""
    keys = thread_copies(posts, comments).filter(pl.col(THREAD_AP) == ap_id).collect()
    copies = keys.sort(*THREAD).unique([THREAD_AP, "instance"], keep="first", maintain_order=True)
    cur_posts, cur_comments = _current_rows(posts, comments, copies)
    copies = _rank_copies(copies, cur_posts, cur_comments, copies[THREAD_AP])
    return UnionParts(copies, cur_posts, union.union_comments(copies, cur_comments))


def _current_rows(
    posts: pl.LazyFrame, comments: pl.LazyFrame, copies: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The current post and comment rows of ``copies``, with ``_thread`` and, for
    comments, the identity ``_key`` (ap_id, or "instance comment_id" without one)."""
    some = copies.lazy()
    cur_posts, cur_comments = pl.collect_all(
        [
            current(posts.join(some, on=THREAD, how="semi"), "post_id").join(some, on=THREAD),
            current(comments.join(some, on=THREAD, how="semi"), "comment_id").join(some, on=THREAD),
        ]
    )
    own = pl.concat_str(pl.col("instance"), pl.col("comment_id").cast(pl.String), separator=" ")
    return cur_posts, cur_comments.with_columns(pl.coalesce("ap_id", own).alias(KEY))


def _rank_copies(
    copies: pl.DataFrame, posts: pl.DataFrame, comments: pl.DataFrame, wanted: pl.Series
) -> pl.DataFrame:
    """Each copy with its thread's home instance, ``is_home``, its comment count, the
    number of copies of its thread and ``_prio``: the order in which copies lend a
    comment to the union (home first, then most comments, then instance name)."""
    held = comments.group_by(THREAD_AP, "instance").agg(pl.len().cast(pl.Int64).alias("_held"))
    return (
        copies.join(home_instances(posts, wanted), on=THREAD_AP, how="left")
        .join(held, on=[THREAD_AP, "instance"], how="left")
        .with_columns(
            (pl.col("instance") == pl.col("home_instance")).alias("is_home"),
            pl.col("_held").fill_null(0),
            pl.len().over(THREAD_AP).alias("_copies"),
        )
        .sort(
            THREAD_AP, pl.col("is_home"), "_held", "instance", descending=[False, True, True, False]
        )
        .with_columns(pl.int_range(pl.len()).over(THREAD_AP).alias("_prio"))
        .with_columns(
            pl.col("post_id").filter(pl.col("is_home")).first().over(THREAD_AP).alias("_home_post")
        )
    )
