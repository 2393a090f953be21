"""Per-thread numbers of the tree shape, from the nodes ``treeshape.build_nodes`` finds.

Subtree sizes come from ``forest.subtree_totals`` (level by level from the deepest);
everything else is one pass over the nodes in thread order: the nodes are put in thread
order once (they usually are already: the comments come sorted by thread), each
thread's nodes are then one contiguous run, and every per-thread sum is one
``numpy.add.reduceat`` over those runs, every count one difference of run starts. No
hash group-by, no join.

Integers stay exact without 128 bits: a thread of n nodes (the post included) has
Σ s(v) ≤ n², Σ s(v)² ≤ n³ and n·Σ s(v) ≤ n³, all below 2⁶³ while n < ``EXACT``; the
(rare) threads at or above it have their Wiener index added up in 128 bits by Polars.
The shortfalls' sums go the same way when they could pass 2⁶³ (a child_count is any
64-bit number), then saturate at 2⁶³ − 1.

Used by ``fedithreads.analysis.stats.thread_stats``, whose docstring states the formulas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from fedithreads.core.forest import subtree_totals
from fedithreads.core.keys import ascending, run_starts
from fedithreads.core.treeshape import TID, Nodes

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Ints = npt.NDArray[np.int64]
    Flags = npt.NDArray[np.bool_]

I64_MAX = 2**63 - 1
EXACT = 2_097_151
"""Threads of fewer nodes than this (the post included) have n³ < 2⁶³: their sums of
subtree sizes are exact in 64 bits."""
SAFE_SUM = 2.0**62
"""A sum of non-negative 64-bit integers is added up in 64 bits when, as a float, it is
below this (the float's error is far below the 2⁶² margin left to 2⁶³)."""
TABLE_SLACK = 4
"""Widths are counted in a table of (thread, depth) cells when there are at most
``TABLE_SLACK`` × (nodes + 1024) cells; else by sorting the keys."""
_HALF = 1 << 32


def shape(nodes: Nodes) -> pl.DataFrame:
    """Per thread with nodes (``_tid``, UInt32): ``_n`` (nodes + the post),
    ``mean_branching``, ``max_width``, ``structural_virality`` (the Wiener index
    n·Σ s(v) − Σ s(v)² over C(n, 2)) and ``_shortfall`` (see
    fedithreads.analysis.stats.thread_stats; saturating at the largest 64-bit
    integer); s(v): the nodes in v's subtree, itself included."""
    import numpy as np

    frame = nodes.frame.head(nodes.roots)
    size, real = _subtree_sizes(nodes)
    runs = _Runs(frame[TID].to_numpy(), nodes.comments)
    n = runs.count + 1
    ordered = runs.sorted(size)
    wiener = (n * runs.total(ordered) - runs.total(ordered * ordered)).astype(np.float64)
    big = n >= EXACT
    if big.any():
        wiener[big] = _wiener_128(runs, ordered, big)
    branching = runs.total(ordered > 1)
    nf = n.astype(np.float64)
    return pl.DataFrame(
        {
            TID: pl.Series(runs.threads, dtype=pl.UInt32),
            "_n": n,
            "mean_branching": runs.count / (branching + 1),
            "max_width": _widths(runs, runs.sorted(frame["_depth"].to_numpy())),
            "structural_virality": wiener / (nf * (nf - 1) / 2),
            "_shortfall": _saturated(runs, runs.sorted(_shortfalls(frame, real))),
        }
    )


class _Runs:
    """The nodes in thread order: each thread's nodes one contiguous run."""

    def __init__(self, tid: Ints, head: int) -> None:
        import numpy as np

        self.order = _thread_order(tid, head)
        tid = self.sorted(tid)
        self.starts = run_starts(tid) if len(tid) else tid
        self.tid = tid
        self.threads = tid[self.starts]
        self.count = np.diff(np.r_[self.starts, len(tid)])

    def sorted(self, values: Ints) -> Ints:
        """``values`` (one per node) in thread order."""
        return values if self.order is None else values[self.order]

    def total(self, ordered: Ints | Flags) -> Ints:
        """Per thread, the sum of ``ordered`` (one per node, in thread order), in 64 bits
        (wrapping past them)."""
        import numpy as np

        if not len(self.starts):
            return np.zeros(0, dtype=np.int64)
        return np.add.reduceat(ordered, self.starts, dtype=np.int64)


def _subtree_sizes(nodes: Nodes) -> tuple[Ints, Ints]:
    """Per node but the posts: the nodes in its subtree (itself included) and the
    collected comments among them. Both are added up as one Int64, the size in the high
    32 bits (they fit: fewer nodes than 2³¹), which halves the work of
    ``subtree_totals``."""
    import numpy as np

    frame, body = nodes.frame, nodes.roots
    parent, depth = frame["_parent"], frame["_depth"]
    if frame.height >= _HALF // 2:
        weights = {"s": pl.int_range(frame.height, eager=True) < body, "r": frame["_real"]}
        sums = subtree_totals(parent, depth, weights)
        return sums["s"].to_numpy()[:body], sums["r"].to_numpy()[:body]
    both = frame["_real"].to_numpy().astype(np.int64)
    both[:body] += _HALF
    packed = subtree_totals(parent, depth, {"b": pl.Series(both)})["b"].to_numpy()[:body]
    return packed >> 32, packed & (_HALF - 1)


def _thread_order(tid: Ints, head: int) -> Ints | None:
    """The node rows in thread order (stable: by row within a thread), or None when they
    are in it already. The first ``head`` rows (the comments) usually are: then only the
    rest (the placeholders, few) is sorted and put in after its thread's comments."""
    import numpy as np

    lead = tid[:head]
    if not ascending(lead):
        return np.argsort(tid, kind="stable")
    if head == len(tid):
        return None
    tail = head + np.argsort(tid[head:], kind="stable")
    return np.insert(np.arange(head), np.searchsorted(lead, tid[tail], side="right"), tail)


def _shortfalls(frame: pl.DataFrame, real_size: Ints) -> Ints:
    """Per node: 0 under a collected comment; a collected comment's child_count less its
    collected descendants (never below 0; 0 without a child_count); else 1."""
    collected = pl.Series(real_size) - 1
    short = (
        pl.when(pl.col("_under_real"))
        .then(0)
        .when(pl.col("_real"))
        .then((pl.col("_cc") - collected).clip(lower_bound=0).fill_null(0))
        .otherwise(1)
    )
    return frame.select(short.cast(pl.Int64)).to_series().to_numpy()


def _saturated(runs: _Runs, short: Ints) -> Ints:
    """Per thread, the sum of ``short`` (≥ 0, in thread order), at most 2⁶³ − 1: in 64
    bits when the whole sum provably fits, else in 128 bits."""
    import numpy as np

    if float(short.astype(np.float64).sum()) < SAFE_SUM:
        return runs.total(short)
    summed = (
        pl.DataFrame({"t": runs.tid, "v": short})
        .group_by("t", maintain_order=True)
        .agg(pl.col("v").cast(pl.Int128).sum().clip(upper_bound=I64_MAX).cast(pl.Int64))
    )
    return summed["v"].to_numpy()


def _wiener_128(runs: _Runs, size: Ints, big: Flags) -> npt.NDArray[np.float64]:
    """The Wiener index n·Σ s − Σ s² of the threads ``big`` marks (``size``: per node in
    thread order), added up in 128 bits, as a float."""
    import numpy as np

    wanted = np.repeat(big, runs.count)
    s = pl.Series(size[wanted]).cast(pl.Int128)
    n = pl.Series(np.repeat(runs.count[big] + 1, runs.count[big])).cast(pl.Int128)
    frame = pl.DataFrame({"t": runs.tid[wanted], "s": s, "n": n})
    per = frame.group_by("t", maintain_order=True).agg(
        (pl.col("n").first() * pl.col("s").sum() - (pl.col("s") * pl.col("s")).sum())
        .cast(pl.Float64)
        .alias("w")
    )
    return per["w"].to_numpy()


def _widths(runs: _Runs, depth: Ints) -> Ints:
    """Per thread, the most nodes at one depth (``depth``: per node in thread order):
    counts of (thread, depth) in a table when it is small, else by sorting the (thread,
    depth) keys."""
    import numpy as np

    if not len(runs.starts):
        return np.zeros(0, dtype=np.int64)
    levels = int(depth.max()) + 1
    key = runs.tid * levels + depth
    cells = (int(runs.tid[-1]) + 1) * levels
    if cells <= TABLE_SLACK * (len(key) + 1024):
        table = np.bincount(key, minlength=cells).reshape(-1, levels)
        wide: Ints = table.max(axis=1)[runs.threads]
        return wide
    keys, counts = np.unique(key, return_counts=True)
    widest: Ints = np.maximum.reduceat(counts, run_starts(keys // levels))
    return widest
