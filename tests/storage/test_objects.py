"""A data dir in object storage: ObjectPath against a real S3 API (moto on loopback)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fedithreads.config import data_location, parse_settings
from fedithreads.errors import StorageAccessError, StoreError
from fedithreads.storage.atomic import move_atomic, save_atomic, sink_atomic
from fedithreads.storage.objects import ObjectPath, open_data_dir
from fedithreads.storage.tables import append_snapshots, compact_run, read_table, table_files
from tests.conftest import S3
from tests.storage.test_tables import tiny_comments


def data_dir(url: str, **storage: object) -> ObjectPath:
    """The data dir ``url`` names, opened as a command opens it."""
    settings = parse_settings({"data_dir": url, "storage": storage}, "test")
    opened = open_data_dir(settings)
    assert isinstance(opened, ObjectPath)
    return opened


def test_a_path_in_a_bucket_reads_back_what_was_written(s3: S3) -> None:
    """Bytes written are read back; names, parents and the URL are as for a path."""
    root = data_dir(s3.url("corpus/one"))
    state = root / "state.json"

    state.write_bytes(b'{"version": 1}')

    assert str(root) == f"s3://{s3.bucket}/corpus/one"
    assert str(state) == f"s3://{s3.bucket}/corpus/one/state.json"
    assert state.read_bytes() == b'{"version": 1}'
    assert (state.name, state.stem, state.parent) == ("state.json", "state", root)
    assert state.is_file()
    assert root.is_dir()
    assert not (root / "missing.json").exists()
    with pytest.raises(FileNotFoundError):
        (root / "missing.json").read_bytes()


def test_glob_finds_objects_and_directories_as_path_glob_does(s3: S3, tmp_path: Path) -> None:
    """The same patterns over the same files give the same relative names, in a bucket
    and on a disk."""
    root = data_dir(s3.url())
    names = [
        "tables/comments/instance=a.example/run-1.parquet",
        "tables/comments/instance=a.example/run-2--thread-7.parquet",
        "tables/comments/instance=b%3A80/run-1.parquet",
        "tables/posts/instance=a.example/run-1.parquet",
        "raw/a.example/2026-01-01/run-1.jsonl.gz",
        "runs/run-1.json",
    ]
    for name in names:
        (root / name).write_bytes(b"x")
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    patterns = [
        ("tables/comments", "instance=*"),
        ("tables/comments", "instance=*/*.parquet"),
        ("tables/comments", "instance=*/run-2--*.parquet"),
        ("raw", "*/*/*.jsonl.gz"),
        ("runs", "*.json"),
        ("", "**/*.json"),
        ("tables", "nothing-*"),
    ]

    for where, pattern in patterns:
        local = sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / where).glob(pattern))
        remote = sorted(str(p.relative_to(root)) for p in (root / where).glob(pattern))
        assert remote == local, pattern


def test_atomic_writes_and_moves_in_a_bucket(s3: S3) -> None:
    """save_atomic and sink_atomic leave one whole object; a move leaves the target only."""
    root = data_dir(s3.url())
    frame = tiny_comments()

    save_atomic(root / "a.bin", lambda fh: fh.write(b"whole"))
    sink_atomic(frame.lazy(), root / "t" / "x.parquet")
    move_atomic(root / "t" / "x.parquet", root / "t" / "y.parquet")

    assert (root / "a.bin").read_bytes() == b"whole"
    assert [p.name for p in (root / "t").glob("*")] == ["y.parquet"]
    back = pl.read_parquet(str(root / "t" / "y.parquet"), storage_options=root.bucket.polars)
    assert_frame_equal(back, frame)


def test_snapshot_tables_append_compact_and_scan_in_a_bucket(s3: S3) -> None:
    """A run's parts are compacted into one file per instance and scan back whole."""
    root = data_dir(s3.url())
    frame = tiny_comments()

    append_snapshots(root, "run-1", "comments", frame.head(2), part="thread-1")
    append_snapshots(root, "run-1", "comments", frame.tail(1), part="thread-2")
    compact_run(root, "run-1")

    files = [str(p.relative_to(root)) for p in table_files(root, "comments")]
    assert files == ["tables/comments/instance=a.example/run-1.parquet"]
    assert_frame_equal(read_table(root, "comments").sort("comment_id"), frame.sort("comment_id"))


def test_conditional_writes_create_once_and_replace_only_the_version_read(s3: S3) -> None:
    """put_new refuses an object that exists; put_over refuses a version replaced since."""
    lease = data_dir(s3.url()) / ".lock"

    first = lease.put_new(b"1")
    again = lease.put_new(b"2")
    assert first is not None
    second = lease.put_over(b"3", first)
    stale = lease.put_over(b"4", first)

    assert again is None
    assert second is not None
    assert stale is None
    assert lease.read_bytes() == b"3"


def test_a_bucket_that_does_not_exist_is_one_line_naming_it(s3: S3) -> None:
    """Reading a data dir in a bucket nobody made: StorageAccessError, exit 2."""
    root = data_dir("s3://no-such-bucket/data")

    with pytest.raises(StorageAccessError, match=r"bucket 'no-such-bucket' does not exist") as e:
        (root / "state.json").write_bytes(b"{}")

    assert e.value.exit_code == 2
    assert str(e.value).startswith("s3://no-such-bucket/data/state.json: ")


def test_an_endpoint_that_is_down_is_one_line_naming_it(
    s3: S3, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing listens at the endpoint: a StoreError (exit 1) saying so, soon."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    root = data_dir(s3.url(), timeout_seconds=2.0)

    with pytest.raises(
        StoreError, match=r"cannot reach the object store at http://127.0.0.1:9"
    ) as e:
        root.is_dir()

    assert e.value.exit_code == 1
    assert "testing-secret-key" not in str(e.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("s3://", "names no bucket"),
        ("s3:///data", "names no bucket"),
        ("gs://bucket/data", "gs:// is not supported"),
        ("s3://Bucket/data", "is not an S3 bucket name"),
        ("s3://bucket/a/../b", "has an empty, '.' or '..' part"),
    ],
)
def test_a_data_dir_url_that_names_no_bucket_is_refused(text: str, problem: str) -> None:
    """Each malformed URL is refused with what to write instead."""
    with pytest.raises(ValueError, match=problem):
        data_location(text)
