"""The nodes of every thread from parent links: comments, placeholders for orphans, posts."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings

from fedithreads.core import keys
from fedithreads.core.treeshape import THREAD, TID, build_nodes
from tests.core.test_treesums import forests

NAMES = ["instance", "post_id", "comment_id", "parent_id", "depth", "path"]


def rows(*comments: tuple[int, int, int | None, int, str]) -> pl.DataFrame:
    """Comment rows on a.example from (post_id, comment_id, parent_id, depth, path)."""
    frame = pl.DataFrame(
        [("a.example", *c) for c in comments],
        schema=NAMES,
        orient="row",
        schema_overrides={"parent_id": pl.Int64},
    )
    return frame.with_columns(pl.lit(2, pl.Int64).alias("child_count"))


def numbered(comments: pl.DataFrame) -> pl.DataFrame:
    return comments.select(THREAD).unique().sort(THREAD).with_row_index(TID)


def no_paths(wanted: pl.DataFrame) -> pl.Series:
    raise AssertionError(f"a path was read for {wanted.height} comments")


def test_without_orphans_no_path_is_read_and_there_are_no_placeholders() -> None:
    """Comments 1 (top), 2 (under 1) and 3 (top) of post 7: three comment nodes, then the
    post at row 3; 1 and 3 hang under the post, 2 under row 0 (and a collected comment)."""
    comments = rows((7, 1, None, 1, "0.1"), (7, 2, 1, 2, "0.1.2"), (7, 3, None, 1, "0.3"))

    nodes = build_nodes(comments.drop("path"), numbered(comments), no_paths)

    assert (nodes.comments, nodes.roots) == (3, 3)
    frame = nodes.frame
    assert frame["_id"].to_list() == [1, 2, 3, None]
    assert frame["_parent"].to_list() == [3, 0, 3, None]
    assert frame["_under_real"].to_list() == [False, True, False, False]
    assert frame["_real"].to_list() == [True, True, True, False]
    assert nodes.parent_comment.to_list() == [None, 0, None]


def test_an_orphan_hangs_under_the_placeholders_its_path_names() -> None:
    """Comment 3 (top) collected, 4 not, 5 (path 0.3.4.5) collected: 5 is an orphan
    under a placeholder 4 (row 2), which hangs under 3 (row 0); only 5's path is read."""
    comments = rows((7, 3, None, 1, "0.3"), (7, 5, 4, 3, "0.3.4.5"))
    read: list[int] = []

    def paths(wanted: pl.DataFrame) -> pl.Series:
        read.extend(wanted["comment_id"])
        return wanted.join(comments, on=["instance", "comment_id"], how="left")["path"]

    nodes = build_nodes(comments.drop("path"), numbered(comments), paths)

    assert read == [5]
    assert (nodes.comments, nodes.roots) == (2, 3)
    frame = nodes.frame
    assert frame["_id"].to_list() == [3, 5, 4, None]
    assert frame["_parent"].to_list() == [3, 2, 0, None]
    assert frame["_depth"].to_list() == [1, 3, 2, 0]
    assert frame["_under_real"].to_list() == [False, True, True, False]
    assert nodes.parent_comment.to_list() == [None, None]


def test_an_id_in_two_threads_is_found_in_its_own() -> None:
    """Comment id 1 on posts 7 and 8 (ids repeat: no table by id), each with a reply 2
    or 3: each reply hangs under its own thread's comment 1."""
    comments = rows(
        (7, 1, None, 1, "0.1"), (8, 1, None, 1, "0.1"), (7, 2, 1, 2, "0.1.2"), (8, 3, 1, 2, "0.1.3")
    )

    nodes = build_nodes(comments, numbered(comments))

    assert nodes.frame["_parent"].to_list() == [4, 5, 0, 1, None, None]


@pytest.mark.parametrize("dense", [0, 4], ids=["binary-search", "id-table"])
@settings(max_examples=100, deadline=None)
@given(case=forests())
def test_the_id_table_and_the_binary_search_find_the_same_nodes(
    case: tuple[pl.DataFrame, pl.DataFrame], dense: int
) -> None:
    """Nodes found in a table by id equal those found by binary search on (thread, id),
    checked against the parents the paths name."""
    comments, threads = case
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keys, "DENSE", dense)
        nodes = build_nodes(comments, threads)

    frame = nodes.frame
    ids, parents = frame["_id"].to_list(), frame["_parent"].to_list()
    for row, path in enumerate(comments["path"]):
        labels = [int(label) for label in path.split(".")[1:]]
        up = parents[row]
        named = ids[up] if up < nodes.roots else None
        assert named == (labels[-2] if len(labels) > 1 else None)
        assert frame["_depth"][row] == len(labels)


def test_ids_far_apart_or_negative_are_found_by_binary_search() -> None:
    """Ids 2⁶² apart, or below 0, make no table by id; the rows are still found."""
    far = pl.Series([5, 2**62, 7])
    assert keys.IdTable.build(far) is None
    assert keys.IdTable.build(pl.Series([-1, 0, 1])) is None
    comments = rows((7, 5, None, 1, "0.5"), (7, 2**62, 5, 2, f"0.5.{2**62}"))

    nodes = build_nodes(comments, numbered(comments))

    assert nodes.frame["_parent"].to_list() == [2, 0, None]


def test_the_id_table_finds_rows_by_id_and_nothing_else() -> None:
    """Ids 12, 10, 11 in a table: 11 is row 2, 13, 9 and null are in no row."""
    table = keys.IdTable.build(pl.Series([12, 10, 11]))

    assert table is not None
    assert table.rows(pl.Series([11, 13, 9, None, 12])).tolist() == [2, -1, -1, -1, 0]
