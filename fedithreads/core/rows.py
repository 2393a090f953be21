"""Neutral records → rows of the posts and comments tables, in the schema's columns, and
rows back into records (``frame_records``).

The one conversion every writer of the snapshot tables uses: the analysis
(``analysis.frames.build_tables``), the collector's part files, and the rebuild of a
damaged part from the raw archive (``storage.rebuild``), which must write exactly the rows
the collector wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import TypeVar

import polars as pl

from fedithreads.core import schema
from fedithreads.core.records import CommentRecord, ModAction, PostRecord

_POST_FIELDS = list(schema.POSTS)
_COMMENT_FIELDS = [c for c in schema.COMMENTS if c not in ("parent_id", "depth")]


def posts_frame(posts: Sequence[PostRecord]) -> pl.DataFrame:
    """Rows in the posts schema, sorted by (instance, post_id, collected_at)."""
    frame = pl.DataFrame([_column(posts, f, schema.POSTS[f]) for f in _POST_FIELDS])
    return frame.sort("instance", "post_id", "collected_at")


def comments_frame(comments: Sequence[CommentRecord], *, sort: bool = True) -> pl.DataFrame:
    """Rows in the comments schema; ``parent_id`` and ``depth`` come from ``path``
    (labels − 1 deep; the parent is the second-to-last label, none at top level).

    With ``sort=False`` the rows keep the order of ``comments``. Callers pass comments
    whose paths are valid (see ``tree.path_problem``); a label that
    is not an integer gives a null ``parent_id`` rather than an error (``build_tables``
    frames every row before it knows which ones the tree builder rejects).
    """
    frame = pl.DataFrame([_column(comments, f, schema.COMMENTS[f]) for f in _COMMENT_FIELDS])
    labels = pl.col("path").str.split(".")
    frame = frame.with_columns(
        pl.when(labels.list.len() > 2)
        .then(labels.list.get(-2, null_on_oob=True).cast(pl.Int64, strict=False))
        .alias("parent_id"),
        (labels.list.len() - 1).cast(pl.Int32).alias("depth"),
    )
    frame = frame.select(list(schema.COMMENTS))
    return frame.sort("instance", "post_id", "comment_id", "collected_at") if sort else frame


def moderation_frame(actions: Sequence[ModAction]) -> pl.DataFrame:
    """Rows in the moderation schema, sorted by (instance, action, log_id, collected_at)."""
    if not actions:
        return schema.empty("moderation")
    frame = pl.DataFrame([_column(actions, f, t) for f, t in schema.MODERATION.items()])
    return frame.sort("instance", "action", "log_id", "collected_at")


R = TypeVar("R", PostRecord, CommentRecord)


def frame_records(frame: pl.DataFrame, kind: type[R]) -> list[R]:
    """Table rows back into records (columns the record lacks, like depth, are dropped)."""
    names = set(kind.__struct_fields__)
    rows = frame.iter_rows(named=True)
    return [kind(**{k: v for k, v in row.items() if k in names}) for row in rows]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _column(
    records: Sequence[PostRecord | CommentRecord | ModAction], field: str, dtype: pl.DataType
) -> pl.Series:
    """One field of every record as a Series of ``dtype``. Aware timestamps go through
    integer microseconds, several times faster than converting datetime objects."""
    values = list(map(attrgetter(field), records))
    if dtype == schema.TS:
        try:
            micros = _micros(values)
        except TypeError:  # a naive datetime: let Polars convert it
            return pl.Series(field, values, dtype=dtype)
        return pl.Series(field, micros, dtype=pl.Int64).cast(dtype)
    return pl.Series(field, values, dtype=dtype)


def _micros(values: list[datetime | None]) -> list[int | None]:
    """Microseconds since the epoch of aware timestamps; a value repeated throughout (a
    page's ``collected_at``) is converted once."""
    distinct = set(values) if values and values[0] == values[-1] else values
    if len(distinct) * 8 <= len(values):
        known = {v: None if v is None else (v - _EPOCH) // _MICROSECOND for v in distinct}
        return list(map(known.__getitem__, values))
    return [None if v is None else (v - _EPOCH) // _MICROSECOND for v in values]
