"""Subtree sums and pre-order positions of many trees at once, from parent pointers.

A reply chain 10,000 deep has paths of 10,000 labels: anything that expands every path
into its labels does ~50 million rows of work and memory for 10,000 comments. This
module needs only each node's parent, and its work and memory grow with the number of
nodes, whatever the depth, with no Python loop per node:

* **Euler tour.** Walking a tree depth-first enters and leaves each node once. Entries
  are numbered ``2v`` (enter v) and ``2v + 1`` (leave v); each entry's successor in the
  walk is v's first child, else leaving v; after leaving v, v's next sibling, else
  leaving v's parent; after leaving a root, the end. Siblings are walked in the order of
  ``order`` (row order by default).
* **List ranking by pointer jumping.** Give each "enter" a weight. Every entry's sum of
  the weights from it to the end of its walk comes from ⌈log2(2 × the largest tree)⌉
  rounds of ``sum += sum[next]; next = next[next]`` over all entries at once.
* A node's subtree sum is then (sum at entering it) − (sum at leaving it), and the
  weighted nodes walked before it are (sum at entering its root) − (sum at entering it).

``subtree_totals`` needs only the subtree sums and knows each node's depth: it adds the
levels up from the deepest, each level one ``numpy.add.at`` of its nodes' sums onto
their parents (one pass over the nodes in all, after one sort by depth: ~10× faster
than the tour, and than a group-by per level, on threads as they are); below
``LEVELS`` levels deep the tour takes over, so a chain 10,000 deep still costs what
10,000 comments cost.

Polars and numpy, no I/O; used by fedithreads.core.treesums (thread_stats) and the
report's icicle (fedithreads.report.chartdata).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl


def subtree_sums(
    parent: pl.Series, weights: Mapping[str, pl.Series], *, order: pl.Series | None = None
) -> pl.DataFrame:
    """Per node (row of ``parent``): for each weight ``w``, ``w`` = the sum of ``w`` over
    the node's subtree (itself included), and ``w_from`` = over the nodes walked from it
    to the end of its tree's walk (depth-first, siblings by ``order``, ties by row): the
    nodes walked before v are ``root's w_from − v's w_from``.

    ``parent`` holds each node's parent's row (null for a root); ``weights`` one value per
    node. Every parent chain must end at a root (no cycles: callers build trees).
    """
    size = len(parent)
    succ = _successors(parent.cast(pl.Int64), order)
    end = 2 * size
    sums = {name: _on_entries(w, size) for name, w in weights.items()}
    step = succ
    while (step != end).any():
        sums = {name: s + s.gather(step) for name, s in sums.items()}
        step = step.gather(step)
    out = {}
    for name, s in sums.items():
        enter, leave = s.gather_every(2)[:size], s.gather_every(2, offset=1)[:size]
        out[name] = enter - leave
        out[f"{name}_from"] = enter
    return pl.DataFrame(out)


def _on_entries(weight: pl.Series, size: int) -> pl.Series:
    """The weight on every "enter" entry, 0 on "leave" entries and on the end."""
    return _interleave(weight.cast(pl.Int64).fill_null(0), pl.zeros(size, pl.Int64, eager=True), 0)


def _interleave(enter: pl.Series, leave: pl.Series, end: int) -> pl.Series:
    """Entries ``2v`` from ``enter``, ``2v + 1`` from ``leave``, then ``end``."""
    size = len(enter)
    out = pl.repeat(end, 2 * size + 1, dtype=pl.Int64, eager=True)
    evens = pl.int_range(0, 2 * size, 2, dtype=pl.Int64, eager=True)
    return out.scatter(evens, enter).scatter(evens + 1, leave)


def _successors(parent: pl.Series, order: pl.Series | None) -> pl.Series:
    """The next entry of every entry of the walk (length 2n + 1, the end last)."""
    size = len(parent)
    rows = pl.int_range(size, dtype=pl.Int64, eager=True)
    kids = pl.DataFrame({"_row": rows, "_parent": parent}).filter(pl.col("_parent").is_not_null())
    if order is None:
        kids = kids.sort("_parent", maintain_order=True)
    else:
        kids = kids.with_columns(order.filter(parent.is_not_null()).alias("_order"))
        kids = kids.sort("_parent", "_order", maintain_order=True)
    mother, child = kids["_parent"], kids["_row"]
    same = (mother.shift(-1) == mother).fill_null(False)
    opens = (mother.shift(1) != mother).fill_null(True)
    first = _nulls(size).scatter(mother.filter(opens), child.filter(opens))
    after = _nulls(size).scatter(child.filter(same), child.shift(-1).filter(same))
    enter = (2 * first).fill_null(2 * rows + 1)
    leave = (2 * after).fill_null(2 * parent + 1).fill_null(2 * size)
    return _interleave(enter, leave, 2 * size)


def _nulls(size: int) -> pl.Series:
    return pl.repeat(None, size, dtype=pl.Int64, eager=True)


LEVELS = 64
"""Levels ``subtree_totals`` adds one at a time; the nodes below them go by the tour."""


def subtree_totals(
    parent: pl.Series, depth: pl.Series, weights: Mapping[str, pl.Series]
) -> pl.DataFrame:
    """Per node (row of ``parent``): for each weight, its sum over the node's subtree
    (itself included), as ``subtree_sums`` gives it, without the walk positions.

    ``depth`` is each node's depth: a root's is 0 and every other node's is greater than
    its parent's. Levels up to ``LEVELS`` are added from the deepest up, each level's
    sums scattered onto the parents above it (``numpy.add.at``: one pass over the
    level's nodes, integers exact); the subtrees of nodes deeper than that are summed by
    the tour first and handed to their parents the same way.
    """
    import numpy as np

    up = parent.cast(pl.Int64).fill_null(-1).to_numpy()
    level = depth.cast(pl.Int64).to_numpy()
    sums = {name: w.cast(pl.Int64).fill_null(0).to_numpy().copy() for name, w in weights.items()}
    deep = level > LEVELS
    handed = up >= 0
    if deep.any():
        rows = np.flatnonzero(deep & handed)
        tops = _deep_subtrees(sums, rows, up[rows])
        handed &= ~deep | tops
    step = np.where(handed, np.minimum(level, LEVELS + 1), 0).astype(np.uint16)
    order = np.argsort(step, kind="stable")
    ends = np.cumsum(np.bincount(step))
    for at in range(len(ends) - 1, 0, -1):
        seg = order[ends[at - 1] : ends[at]]
        to = up[seg]
        for s in sums.values():
            np.add.at(s, to, s[seg])
    return pl.DataFrame({name: pl.Series(name, s) for name, s in sums.items()})


def _deep_subtrees(sums: dict[str, Any], rows: Any, parents: Any) -> Any:
    """Put in ``sums`` (numpy arrays, changed in place) the subtree sums of the nodes
    ``rows`` below ``LEVELS`` (by the tour, over those nodes alone: the topmost of them
    are its roots); return, per node, whether it is such a topmost node (whose complete
    sums still have to be handed up to its parent above)."""
    import numpy as np

    local = np.full(len(next(iter(sums.values()))), -1, dtype=np.int64)
    local[rows] = np.arange(len(rows))
    up = local[parents]
    tour = subtree_sums(
        pl.Series(up).set(pl.Series(up < 0), None),
        {name: pl.Series(s[rows]) for name, s in sums.items()},
    )
    for name, s in sums.items():
        s[rows] = tour[name].to_numpy()
    tops = np.zeros(len(local), dtype=bool)
    tops[rows[up < 0]] = True
    return tops
