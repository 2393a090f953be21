"""Tree shape of every thread at once, by path arithmetic: the numbers thread_stats needs.

The nodes are the current comments ("real" nodes, one per row of ``comments``) and the
placeholders. A node's labels are its path without the root: its ancestors, then
itself; their number is its depth. s(v), the nodes in v's subtree, is the number of
nodes whose labels contain v: exploding every real node's labels once and counting per
label gives s over real nodes for every label at once; placeholders (rare) add their
own few labels. A node is keyed by (thread number, label) packed into one integer.

Used by ``fedithreads.analysis.stats``; the formulas are stated in its ``thread_stats``.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

THREAD = ["instance", "post_id"]
TID = "_tid"
"""The column of thread numbers: each (instance, post_id) numbered 0, 1, … in order."""


class Index:
    """Row numbers of unique integer keys, found by binary search."""

    def __init__(self, keys: pl.Series) -> None:
        self.order = keys.arg_sort()
        self.sorted = keys.gather(self.order)

    def rows(self, probe: pl.Series) -> pl.Series:
        """The row holding each probed key, null where there is none (or the probe is)."""
        if self.sorted.is_empty():
            return pl.Series(values=[None] * len(probe), dtype=pl.UInt32)
        pos = self.sorted.search_sorted(probe.fill_null(0)).clip(upper_bound=len(self.sorted) - 1)
        hit = (self.sorted.gather(pos) == probe).fill_null(False)
        return pl.select(pl.when(hit).then(self.order.gather(pos))).to_series()


@dataclass(frozen=True, slots=True)
class Tree:
    """The real nodes of every thread: thread numbers, labels and integer node keys."""

    comments: pl.DataFrame
    threads: int
    tid: pl.Series  # per comment
    labels: pl.Series  # per comment: list of labels
    codes: pl.Series | None  # sorted distinct labels, when labels do not fit in 32 bits
    keys: pl.Series  # per comment: its node key
    index: Index  # node key → comment row

    @staticmethod
    def of(comments: pl.DataFrame, threads: pl.DataFrame) -> Tree:
        tid = comments.select(THREAD).join(threads, on=THREAD, how="left", maintain_order="left")
        labels = comments["path"].str.split(".").list.slice(1).cast(pl.List(pl.Int64))
        values = pl.concat(
            [comments["comment_id"], comments["parent_id"].drop_nulls(), labels.explode()]
        ).drop_nulls()
        codes = None if bit_width(values) in range(33) else values.unique().sort()
        keys = _node_key(tid[TID], comments["comment_id"], codes)
        return Tree(comments, threads.height, tid[TID], labels, codes, keys, Index(keys))

    def key(self, tid: pl.Series, label: pl.Series) -> pl.Series:
        """(thread, label) as one Int64; null where ``label`` is."""
        return _node_key(tid, label, self.codes)

    def flat(self, rows: pl.Series | None = None) -> pl.DataFrame:
        """One row per (node, label of its path) for the comments at ``rows`` (all by
        default): the node's row, the label's position and its key."""
        rows = pl.int_range(len(self.labels), dtype=pl.UInt32, eager=True) if rows is None else rows
        labels = self.labels.gather(rows)
        frame = pl.DataFrame({"_row": rows, "_label": labels}).with_columns(
            pl.int_ranges(0, pl.col("_label").list.len(), dtype=pl.UInt32).alias("_pos")
        )
        frame = frame.explode("_label", "_pos")
        return frame.with_columns(
            self.key(self.tid.gather(frame["_row"]), frame["_label"]).alias("_key")
        )


def _node_key(tid: pl.Series, label: pl.Series, codes: pl.Series | None) -> pl.Series:
    """Thread number in the high 32 bits, the label (or its rank in ``codes``) below."""
    code = label if codes is None else codes.search_sorted(label.fill_null(0))
    code = pl.select(pl.when(label.is_not_null()).then(code)).to_series()
    return tid.cast(pl.Int64) * (1 << 32) + code.cast(pl.Int64)


def shape(tree: Tree) -> pl.DataFrame:
    """Per-thread tree shape: width, branching, virality and the child_count shortfall."""
    flat = tree.flat()
    own = flat["_label"] == tree.comments["comment_id"].gather(flat["_row"])
    above = flat.filter(~own).group_by("_key").agg(pl.len().alias("_s_real"))
    real = pl.DataFrame(
        {
            TID: tree.tid,
            "_key": tree.keys,
            "_depth": tree.labels.list.len(),
            "_parent": tree.labels.list.get(-2, null_on_oob=True),
            "_cc": tree.comments["child_count"],
            "_under_real": _under_real(tree),
            "_s_real": _own_count(tree, flat.filter(own))
            + above["_s_real"].gather(Index(above["_key"]).rows(tree.keys)).fill_null(0),
        }
    ).with_columns(pl.col("_s_real").replace(0, None))
    missing = above.filter(~pl.col("_key").is_in(tree.keys.implode()))
    holders = _placeholders(tree, flat.filter(~own), missing)
    nodes = pl.concat(
        [real.select(TID, "_depth", "_parent"), holders.select(TID, "_depth", "_parent")]
    )
    n = pl.col("_n")
    return (
        _counts_and_width(nodes)
        .join(_subtree_sums(real, holders, _holder_keys(tree, holders)), on=TID, how="left")
        .with_columns(
            ((n * pl.col("_s1") - pl.col("_s2")) / (n * (n - 1) / 2)).alias("structural_virality")
        )
    )


def _own_count(tree: Tree, own: pl.DataFrame) -> pl.Series:
    """How often each comment's path names the comment itself (1, or 0 for a path that
    does not end in its id; more only if the path repeats it)."""
    last = tree.labels.list.last() == tree.comments["comment_id"]
    count = last.fill_null(False).cast(pl.Int64)
    depth = tree.labels.list.len().gather(own["_row"])
    repeats = own.filter(own["_pos"] != depth - 1).group_by("_row").agg(pl.len())
    if repeats.is_empty():
        return count
    return count.scatter(repeats["_row"], count.gather(repeats["_row"]) + repeats["len"])


def _under_real(tree: Tree) -> pl.Series:
    """Per comment: whether another label of its path is a real node (a collected
    ancestor). The parent decides for almost every comment; only those whose parent is
    missing have their other labels looked up."""
    node = tree.comments["comment_id"]
    parent = tree.labels.list.get(-2, null_on_oob=True)
    found = tree.index.rows(tree.key(tree.tid, parent)).is_not_null()
    under = (found & (parent != node)).fill_null(False)
    undecided = (~under & (tree.labels.list.len() >= 2)).arg_true()
    flat = tree.flat(undecided)
    flat = flat.filter(pl.col("_label") != node.gather(flat["_row"]))
    above = flat.filter(tree.index.rows(flat["_key"]).is_not_null())["_row"].unique()
    return under.scatter(above, True) if len(above) else under


def _placeholders(tree: Tree, above: pl.DataFrame, missing: pl.DataFrame) -> pl.DataFrame:
    """The labels no real node has (``missing``, with their ``_s_real``), as nodes: their
    labels (a prefix of the first path naming them), depth, parent and whether a real node
    is above them. ``above``: the flat rows of labels that are not the comment itself."""
    first = (
        above.filter(pl.col("_key").is_in(missing["_key"].implode()))
        .group_by("_key")
        .agg(pl.col("_row").first(), pl.col("_pos").first())
    )
    missing = missing.join(first, on="_key", how="left")
    owner, pos = missing["_row"], missing["_pos"]
    labels = pl.select(
        pl.lit(tree.labels.gather(owner)).list.head(pl.lit(pos).cast(pl.Int64) + 1)
    ).to_series()
    holders = pl.DataFrame(
        {
            TID: tree.tid.gather(owner),
            "_key": missing["_key"],
            "_s_real": missing["_s_real"],
            "_labels": labels,
            "_depth": (pos + 1).cast(pl.UInt32),
            "_parent": labels.list.get(-2, null_on_oob=True),
            "_node": labels.list.get(-1, null_on_oob=True),
        }
    ).with_row_index("_h")
    flat = holders.select("_h", TID, "_node", pl.col("_labels").alias("_label")).explode("_label")
    flat = flat.filter(pl.col("_label") != pl.col("_node"))
    real = tree.index.rows(tree.key(flat[TID], flat["_label"])).is_not_null()
    under = flat.filter(real)["_h"].unique()
    return holders.with_columns(pl.col("_h").is_in(under.implode()).alias("_under_real"))


def _counts_and_width(nodes: pl.DataFrame) -> pl.DataFrame:
    """Per thread: n (nodes + the post), mean branching and max width."""
    width = (
        nodes.group_by(TID, "_depth")
        .agg(pl.len().alias("_w"))
        .group_by(TID)
        .agg(pl.col("_w").max().cast(pl.Int64).alias("max_width"))
    )
    counts = nodes.group_by(TID).agg(
        (pl.len() + 1).cast(pl.Int64).alias("_n"),
        (pl.len() / pl.col("_parent").n_unique()).alias("mean_branching"),
    )
    return counts.join(width, on=TID, how="left")


def _subtree_sums(real: pl.DataFrame, holders: pl.DataFrame, extra: pl.DataFrame) -> pl.DataFrame:
    """Per thread: Σ s(v), Σ s(v)² over nodes, and the shortfall (see ``thread_stats``).

    s(v) = real nodes naming v (``_s_real``; null for a real node no path names, which
    adds nothing) + placeholders naming v (``extra``)."""
    counts = extra.group_by("_key").agg(pl.len().alias("_s_extra"))
    s = (pl.col("_s_real") + pl.col("_s_extra").fill_null(0)).cast(pl.Int64)
    short_real = (
        pl.when(pl.col("_under_real"))
        .then(0)
        .otherwise((pl.col("_cc") - (pl.col("_s_real").cast(pl.Int64) - 1)).clip(lower_bound=0))
    )
    short_holder = (~pl.col("_under_real")).cast(pl.Int64)
    per_node = pl.concat(
        [
            real.select(TID, "_key", pl.col("_s_real").cast(pl.Int64), short_real.alias("_short")),
            holders.select(
                TID, "_key", pl.col("_s_real").cast(pl.Int64), short_holder.alias("_short")
            ),
        ]
    )
    if not counts.is_empty():
        per_node = per_node.join(counts, on="_key", how="left")
    else:
        per_node = per_node.with_columns(pl.lit(None, pl.UInt32).alias("_s_extra"))
    return per_node.group_by(TID).agg(
        s.sum().alias("_s1"),
        (s * s).sum().alias("_s2"),
        pl.col("_short").sum().cast(pl.Int64).alias("_shortfall"),
    )


def _holder_keys(tree: Tree, holders: pl.DataFrame) -> pl.DataFrame:
    flat = holders.select(TID, pl.col("_labels").alias("_label")).explode("_label")
    return pl.DataFrame({"_key": tree.key(flat[TID], flat["_label"])})


def bit_width(column: pl.Series) -> int | None:
    """Bits holding every value of an integer column, or None if one is negative."""
    low, high = column.cast(pl.Int64).min(), column.cast(pl.Int64).max()
    if not isinstance(low, int) or not isinstance(high, int):
        return 1  # all null
    return None if low < 0 else max(1, high.bit_length())
