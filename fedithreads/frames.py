"""Neutral records → the posts and comments tables (one row per snapshot).

A snapshot is one record per (instance, id, run_id): within a run the latest
``collected_at`` wins (ties to the later arrival); across runs every snapshot is kept, so
votes can be followed over time. Comments are validated by the tree builder first: those it
rejects are returned apart with their reasons and never reach the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import polars as pl

from fedithreads import schema
from fedithreads.records import CommentRecord, PostRecord
from fedithreads.tree import Rejected, build_threads, path_labels

_POST_FIELDS = list(schema.POSTS)
_COMMENT_FIELDS = [c for c in schema.COMMENTS if c not in ("parent_id", "depth")]


@dataclass(frozen=True, slots=True)
class Tables:
    """The snapshot tables of some records, and the comments left out."""

    posts: pl.DataFrame
    comments: pl.DataFrame
    rejected: tuple[Rejected, ...]


R = TypeVar("R", PostRecord, CommentRecord)


def latest_per_run(records: Iterable[R], id_field: str) -> list[R]:
    """Keep one record per (instance, id, run_id): the latest, ties to the later arrival."""
    best: dict[tuple[str, int, str], R] = {}
    for r in records:
        key = (r.instance, getattr(r, id_field), r.run_id)
        seen = best.get(key)
        if seen is None or r.collected_at >= seen.collected_at:
            best[key] = r
    return list(best.values())


def build_tables(posts: Iterable[PostRecord], comments: Iterable[CommentRecord]) -> Tables:
    """Records of any number of runs → validated, de-duplicated snapshot tables."""
    post_rows = latest_per_run(posts, "post_id")
    comment_rows = latest_per_run(comments, "comment_id")
    threads = build_threads(post_rows, comment_rows)
    rejected = tuple(r for t in threads.values() for r in t.rejected)
    bad = {(r.record.instance, r.record.comment_id) for r in rejected}
    kept = [c for c in comment_rows if (c.instance, c.comment_id) not in bad]
    posts_df = posts_frame(post_rows)
    return Tables(posts_df, _fill_post_ap_id(comments_frame(kept), posts_df), rejected)


def posts_frame(posts: Sequence[PostRecord]) -> pl.DataFrame:
    """Rows in the posts schema, sorted by (instance, post_id, collected_at)."""
    data = {f: [getattr(p, f) for p in posts] for f in _POST_FIELDS}
    frame = pl.DataFrame(data, schema=schema.POSTS)
    return frame.sort("instance", "post_id", "collected_at")


def comments_frame(comments: Sequence[CommentRecord]) -> pl.DataFrame:
    """Rows in the comments schema; ``parent_id`` and ``depth`` come from ``path``.

    Callers pass comments whose paths are valid (see ``tree.path_problem``).
    """
    data: dict[str, list[object]] = {f: [getattr(c, f) for c in comments] for f in _COMMENT_FIELDS}
    labels = [path_labels(c.path) or (0,) for c in comments]
    data["parent_id"] = [lab[-2] if len(lab) > 2 else None for lab in labels]
    data["depth"] = [len(lab) - 1 for lab in labels]
    frame = pl.DataFrame(data, schema={c: schema.COMMENTS[c] for c in data})
    return frame.select(list(schema.COMMENTS)).sort(
        "instance", "post_id", "comment_id", "collected_at"
    )


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
