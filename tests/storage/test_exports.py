"""The partitioned export: its layout, what a second export into the same DIR leaves, and
the directories it refuses to write into."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fedithreads.analysis.frames import build_tables
from fedithreads.core import schema
from fedithreads.errors import UsageError
from fedithreads.storage.exports import write_partitioned, write_table
from tests.factories import hand_thread


def comments_on(*hosts: str) -> pl.DataFrame:
    """The hand thread's first three comments, once per host."""
    p, comments = hand_thread()
    frame = build_tables([p], comments[:3]).comments
    return pl.concat(frame.with_columns(instance=pl.lit(h)) for h in hosts)


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_each_instance_is_one_file_under_its_hive_directory(tmp_path: Path) -> None:
    """A table is split by instance into ``instance=<percent-encoded host>/part-0.parquet``."""
    frame = comments_on("lemmy.ml", "127.0.0.1:8536")

    write_table(frame, tmp_path, "comments")

    assert files_under(tmp_path) == [
        "comments/instance=127.0.0.1%3A8536/part-0.parquet",
        "comments/instance=lemmy.ml/part-0.parquet",
    ]


def test_each_file_keeps_the_instance_column_for_readers_without_hive(tmp_path: Path) -> None:
    """Read without hive partitioning, the files give back every row and column."""
    frame = comments_on("lemmy.ml", "127.0.0.1:8536")

    write_table(frame, tmp_path, "comments")

    got = pl.read_parquet(tmp_path / "comments" / "**" / "*.parquet", hive_partitioning=False)
    assert_frame_equal(got, frame, check_row_order=False)


def test_a_table_with_no_rows_is_one_file_of_its_columns(tmp_path: Path) -> None:
    """An empty table still reads back, with its schema, from ``<table>/part-0.parquet``."""
    write_table(schema.empty("federation"), tmp_path, "federation")

    assert files_under(tmp_path) == ["federation/part-0.parquet"]
    got = pl.read_parquet(tmp_path / "federation" / "**" / "*.parquet", hive_partitioning=True)
    assert got.schema == pl.Schema(schema.FEDERATION)
    assert got.height == 0


def test_a_table_without_an_instance_column_is_one_unpartitioned_file(tmp_path: Path) -> None:
    """A table that has no ``instance`` is written whole as ``<table>.parquet``."""
    frame = pl.DataFrame({"kind": ["post", "comment"], "n": [1, 2]})

    write_partitioned({"kinds": frame}, tmp_path)

    assert files_under(tmp_path) == ["kinds.parquet"]
    assert_frame_equal(pl.read_parquet(tmp_path / "kinds.parquet"), frame)


def test_a_second_export_leaves_only_the_instances_it_holds(tmp_path: Path) -> None:
    """Instances gone since the previous export lose their files; the others are rewritten."""
    write_partitioned({"comments": comments_on("a.example", "b.example")}, tmp_path)
    again = comments_on("b.example", "c.example").with_columns(score=pl.lit(99, pl.Int64))

    write_partitioned({"comments": again}, tmp_path)

    assert files_under(tmp_path) == [
        "comments/instance=b.example/part-0.parquet",
        "comments/instance=c.example/part-0.parquet",
    ]
    got = pl.read_parquet(tmp_path / "comments" / "**" / "*.parquet")
    assert_frame_equal(got, again, check_row_order=False)


def test_rows_after_an_empty_export_replace_its_file_of_columns_and_back(tmp_path: Path) -> None:
    """Between an empty and a filled table, the export keeps one layout, never both."""
    write_table(schema.empty("comments"), tmp_path, "comments")
    write_table(comments_on("a.example"), tmp_path, "comments")
    filled = files_under(tmp_path)

    write_table(schema.empty("comments"), tmp_path, "comments")

    assert filled == ["comments/instance=a.example/part-0.parquet"]
    assert files_under(tmp_path) == ["comments/part-0.parquet"]


def test_temporaries_a_killed_export_left_are_removed_by_the_next(tmp_path: Path) -> None:
    """A dot temporary inside a table's directory is not refused, and is swept away."""
    partition = tmp_path / "comments" / "instance=gone.example"
    partition.mkdir(parents=True)
    (partition / ".part-0.parquet.x1.tmp").write_bytes(b"PAR1 half")

    write_partitioned({"comments": comments_on("a.example")}, tmp_path)

    assert files_under(tmp_path) == ["comments/instance=a.example/part-0.parquet"]


@pytest.mark.parametrize(
    "stray",
    [
        "notes.txt",
        "comments.parquet",
        "tables/posts/instance=a.example/run-1.parquet",
        "comments/instance=a.example/run-1.parquet",
        "comments/instance=a.example/sub/part-0.parquet",
        "comments/extra/part-0.parquet",
        "comments/README",
    ],
)
def test_a_directory_holding_other_files_is_refused_before_anything_is_written(
    tmp_path: Path, stray: str
) -> None:
    """A DIR with a file no partitioned export writes is a UsageError naming it, and the
    export writes and deletes nothing there."""
    (tmp_path / stray).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / stray).write_bytes(b"mine")
    before = files_under(tmp_path)

    with pytest.raises(UsageError, match=r"is not a file `export --partitioned` writes; give"):
        write_partitioned({"comments": comments_on("b.example")}, tmp_path)

    assert files_under(tmp_path) == before


def test_a_row_without_an_instance_is_a_bug_not_a_directory(tmp_path: Path) -> None:
    """A null instance has no partition every engine reads back, so it is refused."""
    frame = comments_on("a.example").with_columns(instance=pl.lit(None, pl.String))

    with pytest.raises(ValueError, match="instance None, not a host"):
        write_table(frame, tmp_path, "comments")
