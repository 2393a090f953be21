"""Snapshots as the metrics read them: the current row of each object, in one sort.

Words (see DESIGN.md): a **snapshot** is an object's counts as seen at one
``collected_at``; **current** is the latest snapshot of each post/comment. The metrics read
the snapshot tables once, with only the columns they use (``POST_COLUMNS``,
``COMMENT_COLUMNS``), and sort them once by (instance, id, collected_at) on one packed
integer key (``by_object``): the current rows (``latest``) and vote_history both come from
that order, and joins become binary searches on integers.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from fedithreads.core.treeshape import THREAD, bit_width

POST_COLUMNS = [
    *THREAD,
    *("ap_id", "title", "community", "published", "collected_at", "comments"),
    *("score", "upvotes", "downvotes", "author_ap_id"),
]


COMMENT_COLUMNS = [  # no path: a deep thread's paths hold depth × comments labels
    *THREAD,
    *("comment_id", "ap_id", "parent_id", "depth", "author_ap_id", "published"),
    *("deleted", "removed", "score", "upvotes", "downvotes", "child_count", "collected_at"),
]


def by_object(rows: pl.DataFrame, id_column: str, instances: pl.Series) -> pl.DataFrame:
    """Snapshot rows sorted by (instance, id, collected_at), keeping the read order among
    equals, with ``_key``: (instance, id) as one ordered integer."""
    key = ordered_key(
        rows.select(
            pl.col("instance").cast(pl.Enum(instances.drop_nulls())).to_physical(), id_column
        )
    )
    return rows.with_columns(key.alias("_key")).sort(
        "_key", "collected_at", maintain_order=True, nulls_last=False
    )


def latest(by_object: pl.DataFrame) -> pl.DataFrame:
    """The last row of each object in ``by_object`` order: what ``current`` keeps."""
    last = pl.col("_key").ne_missing(pl.col("_key").shift(-1))
    return by_object.filter(last)


def current(snapshots: pl.LazyFrame, id_column: str) -> pl.LazyFrame:
    """The latest snapshot per (instance, id): greatest ``collected_at``, then last row.

    Rows keep their relative order. (Two window filters, no sort: the whole table is never
    reordered, only the key columns are grouped.)
    """
    key = ["instance", id_column]
    latest = pl.col("collected_at").max().over(key)
    return (
        snapshots.with_row_index("_row")
        .filter(pl.col("collected_at").eq_missing(latest))
        .filter(pl.col("_row") == pl.col("_row").max().over(key))
        .drop("_row")
    )


def ordered_key(columns: pl.DataFrame) -> pl.Series:
    """One Int64 per row that sorts and compares as the row's columns (integers) do: the
    columns side by side in 63 bits when they are non-negative and fit, else the row's
    dense rank."""
    widths = [bit_width(column) for column in columns.iter_columns()]
    if None in widths or sum(w or 0 for w in widths) > 63:
        return columns.select(pl.struct(pl.all()).rank("dense").cast(pl.Int64)).to_series()
    key = pl.lit(0, pl.Int64)
    for name, width in zip(columns.columns, widths, strict=True):
        key = key * (1 << (width or 0)) + pl.col(name).cast(pl.Int64)
    return columns.select(key).to_series()


def path_reader(comments: pl.LazyFrame) -> Callable[[pl.DataFrame], pl.Series]:
    """A reader of the paths of a few comments (``instance``, ``comment_id`` rows) from the
    snapshot table ``comments``, for metrics that hold rows without paths (a comment's
    path is the same in every snapshot)."""

    def read(keys: pl.DataFrame) -> pl.Series:
        if keys.is_empty():
            return pl.Series("path", [], pl.String)
        found = (
            comments.join(keys.lazy(), on=["instance", "comment_id"], how="semi")
            .select("instance", "comment_id", "path")
            .unique(["instance", "comment_id"])
            .collect(engine="streaming")
        )
        return keys.join(found, on=["instance", "comment_id"], how="left", maintain_order="left")[
            "path"
        ]

    return read
