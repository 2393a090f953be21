"""The per-thread shape numbers agree with a plain walk of the nodes, on every code path."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fedithreads.core import treesums
from fedithreads.core.treeshape import THREAD, TID, Nodes, build_nodes

FALLBACKS = {"EXACT": 0, "SAFE_SUM": -1.0, "TABLE_SLACK": 0}
"""Every rare path taken: Wiener indices in 128 bits, shortfalls summed in 128 bits,
widths by sorting keys."""


@st.composite
def forests(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Comment rows of a few threads (random trees, ~20 % never collected, so orphans
    and placeholders), in any row order, and the threads numbered."""
    rows: list[dict[str, Any]] = []
    next_id = 1
    post_ids = draw(st.lists(st.integers(1, 9), min_size=1, max_size=4, unique=True))
    for post_id in post_ids:
        paths: list[str] = []
        for i in range(draw(st.integers(0, 30))):
            parent = draw(st.integers(-1, i - 1))
            paths.append(f"{paths[parent] if parent >= 0 else '0'}.{next_id}")
            labels = paths[-1].split(".")
            if draw(st.integers(0, 4)):
                rows.append(
                    {
                        "instance": "a.example",
                        "post_id": post_id,
                        "comment_id": next_id,
                        "parent_id": int(labels[-2]) if len(labels) > 2 else None,
                        "depth": len(labels) - 1,
                        "child_count": draw(st.none() | st.integers(0, 5)),
                        "path": paths[-1],
                    }
                )
            next_id += 1
    order = draw(st.permutations(range(len(rows))))
    schema = {"post_id": pl.Int64, "comment_id": pl.Int64, "parent_id": pl.Int64}
    comments = pl.DataFrame([rows[i] for i in order], schema_overrides=schema)
    if comments.is_empty():
        comments = pl.DataFrame(
            schema={"instance": pl.String, **schema, "depth": pl.Int32}
            | {"child_count": pl.Int64, "path": pl.String}
        )
    threads = pl.DataFrame({"instance": "a.example", "post_id": sorted(post_ids)})
    return comments, threads.with_row_index(TID)


def plain_shape(nodes: Nodes) -> dict[int, dict[str, Any]]:
    """The numbers of ``shape`` by walking the node rows in Python, one thread at a time."""
    frame = nodes.frame.head(nodes.roots).to_dicts()
    size = [1] * len(frame)
    real = [int(row["_real"]) for row in frame]
    for v in sorted(range(len(frame)), key=lambda v: -frame[v]["_depth"]):
        up = frame[v]["_parent"]
        if up < nodes.roots:
            size[up] += size[v]
            real[up] += real[v]
    out: dict[int, dict[str, Any]] = {}
    for t in sorted({row[TID] for row in frame}):
        mine = [v for v, row in enumerate(frame) if row[TID] == t]
        n = len(mine) + 1
        wiener = n * sum(size[v] for v in mine) - sum(size[v] ** 2 for v in mine)
        depths = [frame[v]["_depth"] for v in mine]
        out[t] = {
            "_n": n,
            "mean_branching": len(mine) / (sum(size[v] > 1 for v in mine) + 1),
            "max_width": max(depths.count(d) for d in depths),
            "structural_virality": wiener / (n * (n - 1) / 2),
            "_shortfall": sum(_short(frame[v], real[v]) for v in mine),
        }
    return out


def _short(row: dict[str, Any], collected: int) -> int:
    if row["_under_real"]:
        return 0
    if not row["_real"]:
        return 1
    return 0 if row["_cc"] is None else max(0, row["_cc"] - (collected - 1))


@pytest.mark.parametrize("patched", [{}, FALLBACKS], ids=["common", "fallbacks"])
@settings(max_examples=150, deadline=None)
@given(case=forests())
def test_shape_equals_a_plain_walk(
    case: tuple[pl.DataFrame, pl.DataFrame], patched: dict[str, Any]
) -> None:
    """Sizes, widths, branching, virality and shortfalls per thread are those a plain
    walk of the same nodes finds, whether the rows come sorted or not and whichever
    path (64-bit sums, a table of widths, or their fallbacks) computes them."""
    comments, threads = case
    nodes = build_nodes(comments, threads)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in patched.items():
            patch.setattr(treesums, name, value)
        got = treesums.shape(nodes)

    expected = plain_shape(nodes)
    assert got[TID].to_list() == list(expected)
    for row in got.to_dicts():
        want = expected[row.pop(TID)]
        assert row.pop("structural_virality") == pytest.approx(want.pop("structural_virality"))
        assert row == want


def test_sorted_comments_give_the_same_shape_as_shuffled() -> None:
    """Comments in thread order (placeholders merged in after their thread's comments)
    and the same comments shuffled give equal per-thread numbers."""
    rows = [
        ("a.example", 1, 3, None, 1, "0.3"),
        ("a.example", 1, 5, 4, 3, "0.3.4.5"),  # orphan: 4 was not collected
        ("a.example", 2, 6, None, 1, "0.6"),
        ("a.example", 2, 9, 8, 3, "0.6.8.9"),  # orphan under placeholder 8
        ("a.example", 2, 10, 6, 2, "0.6.10"),
    ]
    names = ["instance", "post_id", "comment_id", "parent_id", "depth", "path"]
    comments = pl.DataFrame(rows, schema=names, orient="row").with_columns(
        pl.lit(0, pl.Int64).alias("child_count")
    )
    threads = comments.select(THREAD).unique().sort(THREAD).with_row_index(TID)

    in_order = treesums.shape(build_nodes(comments, threads))
    shuffled = treesums.shape(build_nodes(comments.reverse(), threads))

    assert in_order.equals(shuffled)
    assert in_order["max_width"].to_list() == [1, 2]


@settings(max_examples=200, deadline=None)
@given(
    lead=st.lists(st.integers(0, 6), max_size=30),
    tail=st.lists(st.integers(0, 6), max_size=8),
    sort=st.booleans(),
)
def test_thread_order_is_a_stable_sort(lead: list[int], tail: list[int], sort: bool) -> None:
    """The rows in thread order are those of a stable sort by thread, whether the first
    rows come sorted (only the rest sorted and merged in) or not."""
    head = sorted(lead) if sort else lead
    tid = np.array(head + tail, dtype=np.int64)

    order = treesums._thread_order(tid, len(head))

    expected = np.argsort(tid, kind="stable")
    assert (np.arange(len(tid)) if order is None else order).tolist() == expected.tolist()
