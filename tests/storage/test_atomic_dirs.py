"""A directory an atomic write makes is itself made durable: its entry synced in its parent."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedithreads.storage import atomic


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The directories fsynced, in order (the real fsync still runs)."""
    seen: list[Path] = []
    real = atomic._fsync_dir

    def record(directory: Path) -> None:
        seen.append(directory)
        real(directory)

    monkeypatch.setattr(atomic, "_fsync_dir", record)
    return seen


def test_a_write_into_new_directories_syncs_each_one_in_its_parent(
    tmp_path: Path, synced: list[Path]
) -> None:
    """tables/comments/instance=x made for a file: tmp, tables, comments each synced
    after the directory below it was made, then the file's own directory."""
    target = tmp_path / "tables" / "comments" / "instance=x" / "part.parquet"

    atomic.save_atomic(target, lambda fh: fh.write(b"rows"))

    assert target.read_bytes() == b"rows"
    assert synced == [
        tmp_path,
        tmp_path / "tables",
        tmp_path / "tables" / "comments",
        target.parent,
    ]


def test_a_move_into_a_new_partition_syncs_the_table_directory(
    tmp_path: Path, synced: list[Path]
) -> None:
    """move_atomic into a new instance=… directory syncs the table's directory too."""
    (tmp_path / "tables" / "posts").mkdir(parents=True)
    source = tmp_path / "staging.parquet"
    source.write_bytes(b"rows")
    target = tmp_path / "tables" / "posts" / "instance=y" / "part.parquet"

    atomic.move_atomic(source, target)

    assert target.read_bytes() == b"rows"
    assert synced == [tmp_path / "tables" / "posts", target.parent, tmp_path]


def test_a_write_into_an_existing_directory_syncs_only_that_directory(
    tmp_path: Path, synced: list[Path]
) -> None:
    """Nothing new made: one sync, of the file's directory, as before."""
    atomic.save_atomic(tmp_path / "state.json", lambda fh: fh.write(b"{}"))

    assert synced == [tmp_path]
