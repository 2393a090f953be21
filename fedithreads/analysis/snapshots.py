"""Snapshots as the metrics read them: the current row of each object, in one sort.

Words (see DESIGN.md): a **snapshot** is an object's counts as seen at one
``collected_at``; **current** is the latest snapshot of each post/comment. The metrics read
the snapshot tables once, with only the columns they use (``POST_COLUMNS``,
``COMMENT_COLUMNS``), and order them once by (instance, id, collected_at) on one packed
integer key (``by_object``): the current rows (``Ordered.newest``) and vote_history both
come from that order. Only integers are sorted; the rows are then filtered (current) or
gathered once (vote_history).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from fedithreads.core.keys import name_codes, ordered_key
from fedithreads.core.treeshape import THREAD

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


@dataclass(frozen=True, slots=True)
class Ordered:
    """Snapshot rows of one kind as read, with their order by object and time: ``key``,
    each row's (instance, id) as one ordered integer, and ``order``, the row numbers
    sorted by (key, collected_at), read order among equals (the later row wins)."""

    rows: pl.DataFrame
    key: pl.Series
    order: pl.Series

    def newest(self) -> pl.Series:
        """The row numbers of the objects' current snapshots, one per object, in the
        order of their keys."""
        ranked = self.key.gather(self.order)
        last = ranked.ne_missing(ranked.shift(-1)).fill_null(True)
        return self.order.filter(last)

    def distinct_snapshots(self) -> pl.Series:
        """The row numbers, in order, of one row per (object, collected_at): the later."""
        ranked = pl.DataFrame(
            {"k": self.key.gather(self.order), "t": self.rows["collected_at"].gather(self.order)}
        )
        same = pl.col("k").eq_missing(pl.col("k").shift(-1)) & pl.col("t").eq_missing(
            pl.col("t").shift(-1)
        )
        return self.order.filter(ranked.select(~same).to_series())


def by_object(rows: pl.DataFrame, id_column: str, instances: pl.Series) -> Ordered:
    """``rows`` ordered by (instance, id, collected_at): one stable sort of the packed
    (instance, id), which is that order when each object's snapshots were read oldest
    first (as the files of successive runs usually are); else one sort of the
    two columns (which took 1.8× as long)."""
    key = ordered_key(rows.select(instance_codes(instances), id_column))
    frame = pl.DataFrame({"k": key, "t": rows["collected_at"]})
    by_key = frame.select(pl.arg_sort_by("k", maintain_order=True, nulls_last=False))
    if not rows["collected_at"].null_count() and _oldest_first(frame, by_key.to_series()):
        return Ordered(rows, key, by_key.to_series())
    order = frame.select(pl.arg_sort_by("k", "t", maintain_order=True, nulls_last=False))
    return Ordered(rows, key, order.to_series())


def _oldest_first(frame: pl.DataFrame, order: pl.Series) -> bool:
    """Whether, in ``order`` (by ``k``), no row's ``t`` is earlier than that of the row
    before it of the same ``k``."""
    ranked = frame.select(pl.all().gather(order))
    same, earlier = pl.col("k").eq_missing(pl.col("k").shift(1)), pl.col("t") < pl.col("t").shift(1)
    return not ranked.select((same & earlier).any()).item()


def instance_codes(instances: pl.Series) -> pl.Expr:
    """Each row's instance as its number among ``instances`` (the sorted names of all the
    rows' instances): a constant for one instance (one part)."""
    return name_codes("instance", instances)


def in_table_order(
    rows: pl.DataFrame, at: pl.Series, instances: pl.Series, order: Sequence[str]
) -> pl.DataFrame:
    """The rows numbered ``at`` sorted by ``order`` (instance first, then integer
    columns, unique among those rows), by one packed key: one gather of the rows, no
    copy of them in between."""
    columns = rows.select(instance_codes(instances), *order[1:])
    key = ordered_key(columns.select(pl.all().gather(at)))
    return gather(rows, at if key.is_sorted() else at.gather(key.arg_sort()))


def gather(rows: pl.DataFrame, at: pl.Series) -> pl.DataFrame:
    """The rows numbered ``at``, in that order. The frame is made contiguous first: rows
    read from several files come in chunks, and gathering across chunks took 5× as long
    as copying them together (strings are views: their bytes are not copied) and then
    gathering."""
    return rows.rechunk().select(pl.all().gather(at))


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


def path_reader(comments: pl.LazyFrame) -> Callable[[pl.DataFrame], pl.Series]:
    """A reader of the paths of a few comments (``instance``, ``comment_id`` rows) from the
    snapshot table ``comments``, for metrics that hold rows without paths (a comment's
    path is the same in every snapshot)."""

    def read(keys: pl.DataFrame) -> pl.Series:
        if keys.is_empty():
            return pl.Series("path", [], pl.String)
        wanted = pl.col("comment_id").is_in(keys["comment_id"].unique().implode())
        found = (
            comments.filter(wanted)  # the ids first: the paths of other rows never built
            .select("instance", "comment_id", "path")
            .collect(engine="streaming")
            .join(keys.select("instance", "comment_id"), on=["instance", "comment_id"], how="semi")
            .unique(["instance", "comment_id"])
        )
        return keys.join(found, on=["instance", "comment_id"], how="left", maintain_order="left")[
            "path"
        ]

    return read
