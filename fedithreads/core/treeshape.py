"""Tree shape of every thread at once, from parent links: the numbers thread_stats needs.

The nodes are the current comments ("real" nodes, one per row of ``comments``), the
**placeholders** (ancestors a comment's path names that were not collected) and, as the
root of each thread, its post. A real node's parent is the comment its ``parent_id``
names, when that was collected; only the paths of **orphans** (comments whose parent was
not collected) are read, for the placeholders they name. Subtree sizes then come from
one Euler tour of all the trees at once (fedithreads.core.forest). Work and memory grow
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

from fedithreads.core.forest import subtree_totals
from fedithreads.core.keys import KeyIndex, name_codes, pack, widths

THREAD = ["instance", "post_id"]
TID = "_tid"
"""The column of thread numbers: each (instance, post_id) numbered 0, 1, … in order."""
I64_MAX = 2**63 - 1

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
    orphan_paths = (
        comments["path"].filter(orphan)
        if paths is None
        else paths(comments.select("instance", "comment_id").filter(orphan))
    )
    named = _orphan_labels(real, orphan_paths, orphan, in_real)
    holders = _placeholders(named, start=real.height)
    in_holders = _Lookup(holders)
    roots = real.height + holders.height
    post = pl.col(TID) + roots
    under = real["_row"].is_in(named.filter("_real")["_orow"].implode())
    comment_nodes = real.select(
        TID,
        "_id",
        pl.coalesce(parent, in_holders.above(real, "_pid"), post).alias("_parent"),
        "_depth",
        pl.lit(True).alias("_real"),
        (parent.is_not_null() | under).alias("_under_real"),
        "_cc",
    )
    holder_nodes = holders.select(
        TID,
        "_id",
        pl.coalesce(
            in_real.above(holders, "_prev"), in_holders.above(holders, "_prev"), post
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
    """Nodes found by their thread and id (binary search on packed keys)."""

    def __init__(self, among: pl.DataFrame) -> None:
        self.among = among
        self.index = KeyIndex(among, [TID, "_id"])

    def above(self, rows: pl.DataFrame, label: str) -> pl.Series:
        """For each of ``rows``: the row (``_row``) of the node of its thread whose id is
        ``rows[label]``, one level above it; null where there is none."""
        if self.among.is_empty():
            return pl.repeat(None, rows.height, dtype=pl.Int64, eager=True)
        at = self.index.find(rows.select(TID, label))
        one_up = self.among["_depth"].gather(at) == rows["_depth"] - 1
        found = self.among["_row"].cast(pl.Int64).gather(at)
        return pl.select(pl.when(one_up).then(found)).to_series().alias("_found")


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


def shape(nodes: Nodes) -> pl.DataFrame:
    """Per thread (``_tid``): ``_n`` (nodes + the post), ``mean_branching``,
    ``max_width``, ``_s1`` = Σ s(v) and ``_s2`` = Σ s(v)² over the nodes (s(v): nodes in
    v's subtree, itself included), ``structural_virality`` and ``_shortfall`` (see
    fedithreads.analysis.stats.thread_stats; saturating at the largest 64-bit integer)."""
    frame = nodes.frame
    is_root = pl.int_range(frame.height, eager=True) >= nodes.roots
    body = frame.with_columns(_subtree_sizes(frame, is_root)).head(nodes.roots)
    short = (
        pl.when(pl.col("_under_real"))
        .then(0)
        .when(pl.col("_real"))
        .then((pl.col("_cc") - (pl.col("_s_real") - 1)).clip(lower_bound=0))
        .otherwise(1)
    )
    big = pl.Int128
    per_thread = body.group_by(TID).agg(
        (pl.len() + 1).cast(pl.Int64).alias("_n"),
        # the distinct parents: the nodes with a reply (s > 1), and the post
        (pl.len() / ((pl.col("_s") > 1).sum() + 1)).alias("mean_branching"),
        pl.col("_s").cast(big).sum().alias("_s1"),
        (pl.col("_s").cast(big) * pl.col("_s").cast(big)).sum().alias("_s2"),
        short.cast(big).sum().clip(upper_bound=I64_MAX).cast(pl.Int64).alias("_shortfall"),
    )
    n = pl.col("_n").cast(pl.Float64)
    wiener = (pl.col("_n").cast(big) * pl.col("_s1") - pl.col("_s2")).cast(pl.Float64)
    return (
        per_thread.join(_widths(body), on=TID, how="left")
        .with_columns((wiener / (n * (n - 1) / 2)).alias("structural_virality"))
        .with_columns(pl.col(TID).cast(pl.UInt32))
    )


_HALF = 1 << 32


def _subtree_sizes(frame: pl.DataFrame, is_root: pl.Series) -> list[pl.Series]:
    """``_s`` (nodes in each node's subtree, itself included; the posts not counted)
    and ``_s_real`` (the collected comments among them). Both are added up as one
    Int64, ``_s`` in the high 32 bits (they fit: fewer nodes than 2³¹), which halves
    the work of ``subtree_totals``."""
    if frame.height >= _HALF // 2:
        sums = subtree_totals(
            frame["_parent"], frame["_depth"], {"_s": ~is_root, "_s_real": frame["_real"]}
        )
        return [sums["_s"], sums["_s_real"]]
    both = (~is_root).cast(pl.Int64) * _HALF + frame["_real"].cast(pl.Int64)
    packed = subtree_totals(frame["_parent"], frame["_depth"], {"_both": both})["_both"]
    return [(packed // _HALF).alias("_s"), (packed % _HALF).alias("_s_real")]


def _widths(body: pl.DataFrame) -> pl.DataFrame:
    """``max_width`` per thread: the most nodes at one depth (counted on one packed key)."""
    levels = body.select(TID, "_depth")
    bits = widths(levels)
    if bits is None:
        counts = levels.group_by(TID, "_depth").agg(pl.len().alias("_w"))
    else:
        key = pack([TID, "_depth"], bits)
        counts = levels.group_by(key.alias("_k")).agg(pl.len().alias("_w"))
        counts = counts.select((pl.col("_k") // (1 << bits[1])).alias(TID), "_w")
    return counts.group_by(TID).agg(pl.col("_w").max().cast(pl.Int64).alias("max_width"))
