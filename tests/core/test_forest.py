"""Subtree sums and walk order of many trees at once, from parent links alone."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fedithreads.core import forest
from fedithreads.core.forest import subtree_sums, subtree_totals


def test_a_hand_forest_gives_subtree_sizes_and_walk_positions() -> None:
    """Trees 0 → (1 → 3, 2) and 4: sizes 4, 2, 1, 1, 1; walked 0 1 3 2 | 4."""
    parent = pl.Series([None, 0, 0, 1, None], dtype=pl.Int64)
    ones = pl.Series([1, 1, 1, 1, 1])
    odd = pl.Series([0, 1, 0, 1, 0])

    sums = subtree_sums(parent, {"n": ones, "odd": odd})

    assert sums["n"].to_list() == [4, 2, 1, 1, 1]
    assert sums["odd"].to_list() == [2, 2, 0, 1, 0]
    walked_before = [4 - f for f in sums["n_from"][:4]] + [1 - sums["n_from"][4]]
    assert walked_before == [0, 1, 3, 2, 0]


def test_siblings_are_walked_in_the_order_given() -> None:
    """With order 5 for node 1 and 1 for node 2, node 2 (and not 1) comes right after 0."""
    parent = pl.Series([None, 0, 0, 1], dtype=pl.Int64)

    sums = subtree_sums(parent, {"n": pl.Series([1, 1, 1, 1])}, order=pl.Series([0, 5, 1, 0]))

    before = [sums["n_from"][0] - f for f in sums["n_from"]]
    assert before == [0, 2, 1, 3]


def test_a_chain_ten_thousand_deep_is_one_tree() -> None:
    """Node k of a 10,000-long chain holds 10,000 − k nodes and is walked k-th."""
    n = 10_000
    parent = pl.Series([None, *range(n - 1)], dtype=pl.Int64)

    sums = subtree_sums(parent, {"n": pl.repeat(1, n, eager=True)})

    assert sums["n"].to_list() == list(range(n, 0, -1))
    assert (sums["n_from"][0] - sums["n_from"]).to_list() == list(range(n))


@st.composite
def forests(draw: st.DrawFn) -> tuple[list[int | None], list[int], list[int]]:
    """Random forests (each node's parent an earlier node, or none), weights and orders."""
    size = draw(st.integers(1, 60))
    parent = [None if i == 0 else draw(st.none() | st.integers(0, i - 1)) for i in range(size)]
    weights = draw(st.lists(st.integers(-5, 5), min_size=size, max_size=size))
    order = draw(st.lists(st.integers(0, 3), min_size=size, max_size=size))
    return parent, weights, order


def _walk(parent: list[int | None], order: list[int]) -> list[int]:
    """Depth-first order of the nodes, roots by row (each tree is walked on its own),
    siblings by (order, row); no recursion."""
    kids: dict[int | None, list[int]] = {}
    for node, up in enumerate(parent):
        kids.setdefault(up, []).append(node)
    walked: list[int] = []
    stack = list(reversed(kids.get(None, [])))
    while stack:
        node = stack.pop()
        walked.append(node)
        stack.extend(sorted(kids.get(node, []), key=lambda k: (order[k], k), reverse=True))
    return walked


@settings(max_examples=300, deadline=None)
@given(forests())
def test_any_forest_agrees_with_a_plain_walk(
    case: tuple[list[int | None], list[int], list[int]],
) -> None:
    """Subtree sums and the sums walked from each node equal a plain depth-first walk's."""
    parent, weights, order = case
    walked = _walk(parent, order)
    position = {node: i for i, node in enumerate(walked)}
    subtree = {v: [v] for v in walked}
    for v in reversed(walked):
        if parent[v] is not None:
            subtree[parent[v]] += subtree[v]
    root_of = {}
    for v in walked:
        root_of[v] = v if parent[v] is None else root_of[parent[v]]
    tree_end = {}
    for v in walked:
        tree_end[root_of[v]] = position[v] + 1

    sums = subtree_sums(
        pl.Series(parent, dtype=pl.Int64), {"w": pl.Series(weights)}, order=pl.Series(order)
    )

    for v in range(len(parent)):
        assert sums["w"][v] == sum(weights[u] for u in subtree[v])
        rest = walked[position[v] : tree_end[root_of[v]]]
        assert sums["w_from"][v] == sum(weights[u] for u in rest)


def _depths(parent: list[int | None]) -> list[int]:
    """Each node's depth (a root's is 0); parents come before their children."""
    depth: list[int] = []
    for up in parent:
        depth.append(0 if up is None else depth[up] + 1)
    return depth


@pytest.mark.parametrize("levels", [64, 2])
@settings(max_examples=200, deadline=None)
@given(case=forests())
def test_level_totals_agree_with_the_tour(
    case: tuple[list[int | None], list[int], list[int]], levels: int
) -> None:
    """Subtree totals added level by level equal the tour's subtree sums, also when the
    trees go deeper than the levels added one at a time (the tour sums those)."""
    parent, weights, _ = case
    series = pl.Series(parent, dtype=pl.Int64)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(forest, "LEVELS", levels)
        totals = subtree_totals(series, pl.Series(_depths(parent)), {"w": pl.Series(weights)})

    assert totals["w"].to_list() == subtree_sums(series, {"w": pl.Series(weights)})["w"].to_list()


def test_a_chain_deeper_than_the_levels_has_every_subtree_size() -> None:
    """Node k of a 10,000-long chain holds 10,000 − k nodes, the levels below 64 summed
    by the tour and handed up."""
    n = 10_000
    parent = pl.Series([None, *range(n - 1)], dtype=pl.Int64)

    totals = subtree_totals(parent, pl.int_range(n, eager=True), {"n": pl.repeat(1, n, eager=True)})

    assert totals["n"].to_list() == list(range(n, 0, -1))


def test_each_weight_keeps_its_own_totals() -> None:
    """Two weights over one forest come back as two different columns, each its own."""
    parent = pl.Series([None, 0, 0, 1], dtype=pl.Int64)

    totals = subtree_totals(
        parent,
        pl.Series([0, 1, 1, 2]),
        {"n": pl.Series([1, 1, 1, 1]), "odd": pl.Series([0, 1, 0, 1])},
    )

    assert totals["n"].to_list() == [4, 2, 1, 1]
    assert totals["odd"].to_list() == [2, 2, 0, 1]
