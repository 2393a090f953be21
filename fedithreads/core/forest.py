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
levels up from the deepest, one group-by per level, ~4× faster than the tour on
threads as they are (a few dozen levels); below ``LEVELS`` levels deep the tour takes
over, so a chain 10,000 deep still costs what 10,000 comments cost.

Pure Polars, no I/O; used by fedithreads.core.treeshape (thread_stats) and the report's
icicle (fedithreads.report.chartdata).
"""

from __future__ import annotations

from collections.abc import Mapping

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
    sums going to the parents above it; the subtrees of nodes deeper than that are summed
    by the tour first and handed to their parents the same way.
    """
    rows = pl.int_range(len(parent), dtype=pl.Int64, eager=True)
    links = pl.DataFrame({"_row": rows, "_parent": parent.cast(pl.Int64), "_depth": depth})
    links = links.filter(pl.col("_parent").is_not_null())
    sums = pl.DataFrame({name: w.cast(pl.Int64).fill_null(0) for name, w in weights.items()})
    deep = links.filter(pl.col("_depth") > LEVELS)
    if not deep.is_empty():
        sums = _deep_subtrees(sums, deep)
        links = links.filter(pl.col("_depth") <= LEVELS).vstack(_deep_tops(deep))
    for _, level in sorted(links.group_by("_depth"), key=lambda g: -int(g[0][0])):
        sums = _hand_up(sums, level["_row"], level["_parent"])
    return sums


def _hand_up(sums: pl.DataFrame, rows: pl.Series, parents: pl.Series) -> pl.DataFrame:
    """``sums`` with the sums of ``rows`` added to their ``parents``' (several rows may
    share a parent)."""
    moved = (
        sums.select(pl.all().gather(rows))
        .with_columns(parents.alias("_to"))
        .group_by("_to")
        .agg(pl.all().sum())
    )
    to = moved["_to"]
    return sums.with_columns(
        sums[name].scatter(to, sums[name].gather(to) + moved[name]) for name in sums.columns
    )


def _deep_subtrees(sums: pl.DataFrame, deep: pl.DataFrame) -> pl.DataFrame:
    """``sums`` with every node below ``LEVELS`` holding its subtree's sums (by the tour,
    over those nodes alone: the topmost of them are its roots)."""
    rows = deep["_row"]
    local = pl.DataFrame({"_row": rows}).with_row_index("_local")
    up = deep.select("_parent").join(
        local, left_on="_parent", right_on="_row", how="left", maintain_order="left"
    )["_local"]
    tour = subtree_sums(up, {name: sums[name].gather(rows) for name in sums.columns})
    return sums.with_columns(sums[name].scatter(rows, tour[name]) for name in sums.columns)


def _deep_tops(deep: pl.DataFrame) -> pl.DataFrame:
    """The links of the topmost nodes below ``LEVELS`` to their parents above: the only
    ones whose (already complete) sums still have to be handed up."""
    below = deep["_parent"].is_in(deep["_row"].implode())
    return deep.filter(~below).with_columns(pl.lit(LEVELS + 1, pl.Int64).alias("_depth"))
