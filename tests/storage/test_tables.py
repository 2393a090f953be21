"""Writing and scanning tables: round trips, atomic files, safe partition names."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fedithreads.analysis.frames import build_tables
from fedithreads.core import schema
from fedithreads.errors import StoreError
from fedithreads.storage.atomic import save_atomic, write_atomic
from fedithreads.storage.tables import append_snapshots, scan_table, table_files, write_frame
from tests.factories import hand_thread


def tiny_comments() -> pl.DataFrame:
    p, comments = hand_thread()
    return build_tables([p], comments[:3]).comments


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_a_table_round_trips_through_each_format(tmp_path: Path, fmt: str) -> None:
    """Writing then reading gives the same rows; parquet keeps the exact dtypes."""
    frame = tiny_comments()

    write_frame(frame, tmp_path / f"comments.{fmt}", fmt)

    path = tmp_path / f"comments.{fmt}"
    if fmt == "parquet":
        assert_frame_equal(pl.read_parquet(path), frame)
    elif fmt == "csv":
        back = pl.read_csv(path, schema=schema.COMMENTS)
        assert_frame_equal(back, frame)
    else:
        back = pl.read_ndjson(path, schema=schema.COMMENTS)
        assert_frame_equal(back, frame)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    """If writing dies half-way, readers still see the previous whole file."""
    target = tmp_path / "t.bin"
    write_atomic(target, lambda fh: fh.write(b"old"))

    def explode(fh: object) -> None:
        fh.write(b"partial")  # type: ignore[attr-defined]
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        write_atomic(target, explode)

    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.bin"]


def test_a_full_disk_is_a_store_error_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OS write errors become one StoreError line with the path and a fix."""

    def no_space(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", no_space)

    with pytest.raises(StoreError, match=r"^disk full writing .*t\.parquet; .*free space"):
        write_frame(tiny_comments(), tmp_path / "t.parquet")


class _FullDisk(io.RawIOBase):
    """A file handle that refuses every byte as a full disk does."""

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("fmt", ["parquet", "ipc"])
def test_polars_writing_to_a_full_disks_handle_is_one_disk_full_line(
    tmp_path: Path, fmt: str
) -> None:
    """Polars writing into a file handle that the disk refuses (its Parquet writer turns the
    handle's OSError into its own error, as text) is the same one line as any full disk."""
    frame = tiny_comments()
    write = frame.write_parquet if fmt == "parquet" else frame.write_ipc
    real_statvfs = os.statvfs

    def no_block_left(path: object) -> object:
        stats = real_statvfs(path)  # type: ignore[arg-type]
        return type("Full", (), {"f_bavail": 0, "f_blocks": stats.f_blocks})()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "statvfs", no_block_left)
        with pytest.raises(StoreError, match=r"^disk full writing .*part; .*free space"):
            save_atomic(tmp_path / "part", lambda fh: write(_FullDisk()))

    assert list(tmp_path.iterdir()) == []


def test_a_polars_write_error_without_errno_on_a_disk_with_room_names_its_cause(
    tmp_path: Path,
) -> None:
    """The same refused write where the disk has room left is still one line, naming the
    file and Polars' own words, never a traceback."""
    frame = tiny_comments()

    with pytest.raises(StoreError, match=r"^cannot write \(.*transport error\) writing .*part;"):
        save_atomic(tmp_path / "part", lambda fh: frame.write_parquet(_FullDisk()))


def test_snapshots_append_per_instance_and_scan_back(tmp_path: Path) -> None:
    """Each run adds one file per instance; a scan returns every row in the schema."""
    frame = tiny_comments()
    other = frame.with_columns(pl.lit("b.example").alias("instance"))

    append_snapshots(tmp_path, "run-1", "comments", frame)
    append_snapshots(tmp_path, "run-2", "comments", other)

    files = table_files(tmp_path, "comments")
    assert [f.relative_to(tmp_path).as_posix() for f in files] == [
        "tables/comments/instance=a.example/run-1.parquet",
        "tables/comments/instance=b.example/run-2.parquet",
    ]
    scanned = scan_table(tmp_path, "comments").collect().sort("instance", "comment_id")
    assert_frame_equal(scanned, pl.concat([frame, other]).sort("instance", "comment_id"))


def test_scans_skip_temporary_files_and_missing_tables(tmp_path: Path) -> None:
    """A half-written dot file is invisible; an absent table scans as empty."""
    append_snapshots(tmp_path, "run-1", "comments", tiny_comments())
    part = tmp_path / "tables/comments/instance=a.example"
    (part / ".run-2.parquet.x.tmp").write_bytes(b"PAR1 half")

    assert scan_table(tmp_path, "comments").collect().height == 3
    assert scan_table(tmp_path, "posts").collect().schema == pl.Schema(schema.POSTS)


@pytest.mark.parametrize("hostile", ["../../etc", "a/b", "..", ".hidden", "x\\y", "a b"])
def test_partition_names_never_escape_the_data_dir(tmp_path: Path, hostile: str) -> None:
    """Instance names and run ids become plain file names inside tables/."""
    frame = tiny_comments().with_columns(pl.lit(hostile).alias("instance"))

    written = append_snapshots(tmp_path, hostile, "comments", frame)

    root = (tmp_path / "tables" / "comments").resolve()
    for path in written:
        assert path.resolve().parent.parent == root
        assert not path.name.startswith(".")


HOSTS = ["lemmy.ml", "127.0.0.1:8536", "[::1]:8080", "xn--bcher-kva.example"]
"""Instance keys as targets spell them: a name, a port, IPv6, punycode."""


def instances_written(tmp_path: Path) -> list[str]:
    """Write one comment per host of ``HOSTS`` into the tables; the instances, sorted."""
    frame = tiny_comments().head(1)
    for host in HOSTS:
        append_snapshots(tmp_path, "run-1", "comments", frame.with_columns(instance=pl.lit(host)))
    return sorted(HOSTS)


@pytest.mark.parametrize("hive", [True, False])
def test_polars_reads_the_partition_value_back_as_the_rows_instance(
    tmp_path: Path, hive: bool
) -> None:
    """``instance=<dir>`` decodes to exactly the rows' ``instance``, hive or not."""
    expected = instances_written(tmp_path)
    glob = str(tmp_path / "tables" / "comments" / "**" / "*.parquet")

    got = pl.scan_parquet(glob, hive_partitioning=hive).select("instance").collect()

    assert sorted(got["instance"].to_list()) == expected


@pytest.mark.parametrize("hive", [True, False])
def test_duckdb_reads_the_partition_value_back_as_the_rows_instance(
    tmp_path: Path, hive: bool
) -> None:
    """DuckDB's hive partitioning gives the same ``instance`` as the rows, so a join of
    the tables with anything keyed by instance matches every row."""
    import duckdb

    expected = instances_written(tmp_path)
    glob = str(tmp_path / "tables" / "comments" / "**" / "*.parquet")

    rows = duckdb.sql(
        f"SELECT instance FROM read_parquet('{glob}', hive_partitioning = {str(hive).lower()})"
    ).fetchall()

    assert sorted(r[0] for r in rows) == expected
