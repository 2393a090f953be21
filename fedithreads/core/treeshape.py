"""The nodes of every thread's tree at once, from parent links, for thread_stats' numbers.

The nodes are the current comments ("real" nodes, one per row of ``comments``), the
**placeholders** (ancestors a comment's path names that were not collected) and, as the
root of each thread, its post. A real node's parent is the comment its ``parent_id``
names, when that was collected; only the paths of **orphans** (comments whose parent was
not collected) are read, for the placeholders they name. Subtree sizes and the numbers
of each thread then come from the nodes (fedithreads.core.treesums). Work and memory grow
with the number of nodes and the length of the orphans' paths, never with depth ×
comments: a reply chain 10,000 deep costs what 10,000 comments in a flat thread cost.

Rows hold valid paths (``0.<ancestors>.<own id>``; the tree builder rejects the others
before a row is written). A node is linked only to a parent exactly one level above it
(else it hangs under the post), so no input makes a cycle.

Used by ``fedithreads.analysis.stats``, whose ``thread_stats`` states the formulas, and
by the report's icicle (fedithreads.report.chartdata).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from fedithreads.core.keys import IdTable, KeyIndex, name_codes, or_null

THREAD = ["instance", "post_id"]
TID = "_tid"
"""The column of thread numbers: each (instance, post_id) numbered 0, 1, … in order."""

PathReader = Callable[[pl.DataFrame], pl.Series]
"""The paths of some comments, given their rows' ``instance`` and ``comment_id``, in order:
for callers whose comment rows leave the (long) paths out."""


@dataclass(frozen=True, slots=True)
class Nodes:
    """The nodes of every thread. Rows ``0 … comments − 1`` are the comments in their
    order, then come the placeholders, then one root (the post) per thread: thread t's
    at row ``roots + t``. Columns: ``_tid``; ``_id``, the label (null for a root);
    ``_parent``, a row (null for a root); ``_depth`` (a root's is 0); ``_real``;
    ``_under_real``, whether a collected comment is above it; ``_cc``, a comment's
    child_count."""

    frame: pl.DataFrame
    comments: int
    roots: int

    @property
    def parent_comment(self) -> pl.Series:
        """Per comment: the row of its parent comment; null at top level and for orphans."""
        parent = self.frame["_parent"].head(self.comments)
        return pl.select(pl.when(parent < self.comments).then(parent)).to_series()

    @property
    def tid(self) -> pl.Series:
        """Per comment: its thread number."""
        return self.frame[TID].head(self.comments)


def build_nodes(
    comments: pl.DataFrame, threads: pl.DataFrame, paths: PathReader | None = None
) -> Nodes:
    """The nodes of the threads ``threads`` numbers (``_tid`` by (instance, post_id)),
    from current comment rows: ``comment_id``, ``parent_id``, ``depth``,
    ``child_count``, the thread columns and ``path``, or ``paths`` to read the orphans'
    paths from."""
    real = _comment_rows(comments, threads)
    in_real = _Lookup(real)
    parent = in_real.above(real, "_pid")
    orphan = real["_pid"].is_not_null() & parent.is_null()
    if not orphan.any():  # no placeholders: every comment under its parent or its post
        nodes = _comment_nodes(real, parent, parent.is_not_null(), roots=real.height)
        frame = pl.concat([nodes, _post_nodes(threads.height)], how="vertical_relaxed")
        return Nodes(frame, real.height, real.height)
    orphan_paths = (
        comments["path"].filter(orphan)
        if paths is None
        else paths(comments.select("instance", "comment_id").filter(orphan))
    )
    named = _orphan_labels(real, orphan_paths, orphan, in_real)
    holders = _placeholders(named, start=real.height)
    in_holders = _Lookup(holders)
    roots = real.height + holders.height
    lost = real.filter(orphan)
    held = _nulls(real.height).scatter(lost["_row"], in_holders.above(lost, "_pid"))
    under = real["_row"].is_in(named.filter("_real")["_orow"].implode())
    comment_nodes = _comment_nodes(
        real, pl.coalesce(parent, held), parent.is_not_null() | under, roots=roots
    )
    holder_nodes = holders.select(
        TID,
        "_id",
        pl.coalesce(
            in_real.above(holders, "_prev"),
            in_holders.above(holders, "_prev"),
            pl.col(TID) + roots,
        ).alias("_parent"),
        "_depth",
        pl.lit(False).alias("_real"),
        "_under_real",
        pl.lit(None, pl.Int64).alias("_cc"),
    )
    frame = pl.concat(
        [comment_nodes, holder_nodes, _post_nodes(threads.height)], how="vertical_relaxed"
    )
    return Nodes(frame, real.height, roots)


def _comment_nodes(
    real: pl.DataFrame, parent: pl.Series | pl.Expr, under_real: pl.Series, *, roots: int
) -> pl.DataFrame:
    """The comments' node rows: under ``parent`` (a row), else under their post."""
    return real.select(
        TID,
        "_id",
        pl.coalesce(parent, pl.col(TID) + roots).alias("_parent"),
        "_depth",
        pl.lit(True).alias("_real"),
        under_real.alias("_under_real"),
        "_cc",
    )


def _nulls(size: int) -> pl.Series:
    return pl.repeat(None, size, dtype=pl.Int64, eager=True)


def _comment_rows(comments: pl.DataFrame, threads: pl.DataFrame) -> pl.DataFrame:
    """The comments as node rows: ``_row``, thread, id, parent id, depth, child_count.
    Each comment's thread is found by binary search on (instance number, post_id)."""
    codes = name_codes("instance", threads["instance"].unique().sort())
    index = KeyIndex(threads.select(codes, "post_id"), THREAD)
    at = index.find(comments.select(codes, "post_id"))
    return pl.DataFrame(
        {
            TID: threads[TID].cast(pl.Int64).gather(at),
            "_id": comments["comment_id"].cast(pl.Int64),
            "_pid": comments["parent_id"].cast(pl.Int64),
            "_depth": comments["depth"].cast(pl.Int64),
            "_cc": comments["child_count"].cast(pl.Int64),
        }
    ).with_row_index("_row")


def _post_nodes(threads: int) -> pl.DataFrame:
    """One root per thread: the post, at depth 0."""
    return pl.DataFrame({TID: pl.int_range(threads, dtype=pl.Int64, eager=True)}).with_columns(
        pl.lit(None, pl.Int64).alias("_id"),
        pl.lit(None, pl.Int64).alias("_parent"),
        pl.lit(0, pl.Int64).alias("_depth"),
        pl.lit(False).alias("_real"),
        pl.lit(False).alias("_under_real"),
        pl.lit(None, pl.Int64).alias("_cc"),
    )


class _Lookup:
    """Nodes found by their thread and id: in a table by id when the ids are distinct
    and dense (then checked to be of the same thread), else by binary search on packed
    (thread, id) keys."""

    def __init__(self, among: pl.DataFrame) -> None:
        self.among = among
        self.table = IdTable.build(among["_id"])
        self.index = KeyIndex(among, [TID, "_id"]) if self.table is None else None
        self.tid = among[TID].to_numpy()
        self.depth = among["_depth"].to_numpy()
        self.row = among["_row"].cast(pl.Int64).to_numpy()

    def above(self, rows: pl.DataFrame, label: str) -> pl.Series:
        """For each of ``rows``: the row (``_row``) of the node of its thread whose id is
        ``rows[label]``, one level above it; null where there is none."""
        import numpy as np

        if self.among.is_empty():
            return _nulls(rows.height)
        if self.index is not None:
            at = self.index.rows(rows.select(TID, label))
        elif self.table is not None:
            at = self.table.rows(rows[label])
            at = np.where(self.tid[np.maximum(at, 0)] == rows[TID].to_numpy(), at, -1)
        known = np.maximum(at, 0)
        one_up = (at >= 0) & (self.depth[known] == rows["_depth"].to_numpy() - 1)
        return or_null(np.where(one_up, self.row[known], -1)).alias("_found")


def _orphan_labels(
    real: pl.DataFrame, paths: pl.Series, orphan: pl.Series, in_real: _Lookup
) -> pl.DataFrame:
    """One row per ancestor an orphan's path names: the orphan's row (``_orow``), the
    thread, the label (``_id``) and its depth, the label before it (``_prev``, null at
    top level), whether it was collected (``_real``) and whether a collected comment
    comes before it in the path (``_above``)."""
    rows = real.filter(orphan)
    labels = paths.str.split(".").list.slice(1).cast(pl.List(pl.Int64), strict=False)
    flat = (
        pl.DataFrame({"_orow": rows["_row"], TID: rows[TID], "_id": labels})
        .with_columns(pl.int_ranges(1, pl.col("_id").list.len() + 1, dtype=pl.Int64).alias("_d"))
        .explode("_id", "_d")
        .drop_nulls("_id")
        .with_columns(pl.col("_id").shift(1).over("_orow").alias("_prev"))
        .join(rows.select("_row", pl.col("_depth").alias("_own")), left_on="_orow", right_on="_row")
        .filter(pl.col("_d") < pl.col("_own"))
        .select("_orow", TID, "_id", pl.col("_d").alias("_depth"), "_prev")
        .with_row_index("_row")
    )
    hit = in_real.above(flat.with_columns(pl.col("_depth") + 1), "_id").is_not_null()
    flat = flat.drop("_row").with_columns(hit.alias("_real"))
    above = pl.col("_real").cast(pl.Int64).cum_sum().over("_orow") - pl.col("_real").cast(pl.Int64)
    return flat.with_columns((above > 0).alias("_above"))


def _placeholders(named: pl.DataFrame, *, start: int) -> pl.DataFrame:
    """The labels orphans' paths name that were not collected, each once (as the first
    path naming it places it), numbered from row ``start``."""
    missing = named.filter(~pl.col("_real")).unique([TID, "_id"], keep="first", maintain_order=True)
    return missing.select(
        TID, "_id", "_depth", "_prev", pl.col("_above").alias("_under_real")
    ).with_row_index("_row", offset=start)
