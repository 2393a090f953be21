"""Neutral records → the posts and comments tables (one row per snapshot).

A snapshot is one record per (instance, id, run_id): within a run the latest
``collected_at`` wins (ties to the later arrival); across runs every snapshot is kept, so
votes can be followed over time. Comments are validated by the tree builder first: those it
rejects are returned apart with their reasons and never reach the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import TypeVar

import polars as pl

from fedithreads.core.records import CommentRecord, PostRecord
from fedithreads.core.rows import comments_frame, posts_frame
from fedithreads.core.tree import Rejected, build_threads

__all__ = ["Tables", "build_tables", "latest_per_run", "paths_agree"]


@dataclass(frozen=True, slots=True)
class Tables:
    """The snapshot tables of some records, and the comments left out."""

    posts: pl.DataFrame
    comments: pl.DataFrame
    rejected: tuple[Rejected, ...]


R = TypeVar("R", PostRecord, CommentRecord)


def latest_per_run(records: Iterable[R], id_field: str) -> list[R]:
    """Keep one record per (instance, id, run_id): the latest, ties to the later arrival."""
    records = list(records)
    keys = list(map(attrgetter("instance", id_field, "run_id"), records))
    if len(set(keys)) == len(keys):  # each seen once (the usual case): nothing to choose
        return records
    best: dict[tuple[str, int, str], R] = {}
    for key, r in zip(keys, records, strict=True):
        seen = best.get(key)
        if seen is None or r.collected_at >= seen.collected_at:
            best[key] = r
    return list(best.values())


def build_tables(posts: Iterable[PostRecord], comments: Iterable[CommentRecord]) -> Tables:
    """Records of any number of runs → validated, de-duplicated snapshot tables.

    When every path is well-formed and all paths agree (``paths_agree``), the tree
    builder could reject nothing, so the rows are kept without building the trees.
    """
    post_rows = latest_per_run(posts, "post_id")
    comment_rows = latest_per_run(comments, "comment_id")
    posts_df = posts_frame(post_rows)
    frame = comments_frame(comment_rows)
    if paths_agree(frame):
        return Tables(posts_df, _fill_post_ap_id(frame, posts_df), ())
    threads = build_threads(post_rows, comment_rows)
    rejected = tuple(r for t in threads.values() for r in t.rejected)
    bad = {(r.record.instance, r.record.comment_id) for r in rejected}
    kept = [c for c in comment_rows if (c.instance, c.comment_id) not in bad]
    return Tables(posts_df, _fill_post_ap_id(comments_frame(kept), posts_df), rejected)


_PATH = r"^[0-9]+(?:\.[0-9]+)*$"


def paths_agree(comments: pl.DataFrame) -> bool:
    """Whether the tree builder would accept every row (a vectorised, sufficient test).

    True when every path is ``0.<ids>.<own id>`` with no label twice, every comment id
    belongs to one post, a parent named by a path belongs to the comment's post, and no
    label of a thread is given two different parents by two paths. The tree builder
    rejects only comments breaking one of these (tree.py), so it would reject none.
    """
    if comments.is_empty():
        return True
    split = pl.col("path").str.split(".").cast(pl.List(pl.Int64), strict=False)
    comments = comments.select("instance", "post_id", "comment_id", "path", split.alias("_labels"))
    labels = pl.col("_labels")
    checks = comments.select(
        pl.col("path").str.contains(_PATH).all().alias("ints"),
        (labels.list.first() == 0).all().alias("root"),
        (labels.list.len() >= 2).all().alias("deep"),
        (labels.list.last() == pl.col("comment_id")).all().alias("own"),
        (labels.list.n_unique() == labels.list.len()).all().alias("unique"),
    )
    if not all(checks.row(0)):
        return False
    posts = comments.select("instance", "comment_id", "post_id").unique()
    if posts.select(pl.struct("instance", "comment_id").is_duplicated().any()).item():
        return False
    # every path starts at label 0 (checked above), so the label before any other label
    # in the exploded column is its parent: no list shift (several times slower) needed
    chains = (
        comments.select("instance", "post_id", labels.alias("_label"))
        .explode("_label")
        .with_columns(pl.col("_label").shift(1).alias("_parent"))
    )
    links = chains.filter(pl.col("_label") != 0).unique()
    if links.select(pl.struct("instance", "post_id", "_label").is_duplicated().any()).item():
        return False
    parents = comments.select(
        "instance", pl.col("comment_id").alias("_label"), pl.col("post_id").alias("_owner")
    )
    named = links.filter(pl.col("_parent") != 0).select(
        "instance", "post_id", pl.col("_parent").alias("_label")
    )
    wrong = named.join(parents, on=["instance", "_label"], how="inner").filter(
        pl.col("post_id") != pl.col("_owner")
    )
    return wrong.is_empty()


def _fill_post_ap_id(comments: pl.DataFrame, posts: pl.DataFrame) -> pl.DataFrame:
    """Slim v4 pages omit the post: take its ap_id from the posts table when known."""
    if comments.is_empty() or comments["post_ap_id"].null_count() == 0:
        return comments
    known = posts.select("instance", "post_id", pl.col("ap_id").alias("_post_ap")).unique(
        ["instance", "post_id"], keep="last"
    )
    return (
        comments.join(known, on=["instance", "post_id"], how="left")
        .with_columns(pl.coalesce("post_ap_id", "_post_ap").alias("post_ap_id"))
        .drop("_post_ap")
    )
