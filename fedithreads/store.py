"""The data dir and output dirs on disk: atomic writes, snapshot tables, scans.

Layout (DESIGN.md "Files on disk")::

    <data_dir>/tables/<table>/instance=<host>/<run_id>.parquet

A file is written to a temporary name in the same directory, flushed to disk and renamed
into place, so a reader (or a later run) sees the whole file or none of it. Temporary
files left by a killed writer start with ``.`` and are never read.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

import polars as pl

from fedithreads import schema
from fedithreads.errors import StoreError

FORMATS = ("parquet", "csv", "jsonl")
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def safe_name(text: str) -> str:
    """A file-name-safe form of a host or run id: never a path separator or ``..``."""
    cleaned = _SAFE.sub("_", text).lstrip(".")
    return cleaned or "_"


def write_atomic(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Create ``path`` via a temp file + fsync + rename; nothing partial is ever visible."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_frame(frame: pl.DataFrame, path: Path, fmt: str = "parquet") -> None:
    """Write one table atomically as parquet, csv or jsonl."""
    try:
        if fmt == "parquet":
            write_atomic(path, lambda fh: frame.write_parquet(fh, statistics=True))
        elif fmt == "csv":
            write_atomic(path, lambda fh: frame.write_csv(fh))
        elif fmt == "jsonl":
            write_atomic(path, lambda fh: frame.write_ndjson(fh))
        else:
            raise StoreError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    except OSError as exc:
        raise StoreError(
            f"{path}: cannot write ({exc.strerror or exc}); free space or pick another --out"
        ) from None


def write_tables(tables: dict[str, pl.DataFrame], out: Path, fmt: str = "parquet") -> list[Path]:
    """Write each table to ``out/<table>.<fmt>``; return the paths written."""
    written = []
    for name, frame in tables.items():
        path = out / f"{name}.{fmt}"
        write_frame(frame, path, fmt)
        written.append(path)
    return written


def is_data_dir(path: Path) -> bool:
    """Whether ``path`` looks like a data dir (it has ``tables/`` or ``runs/``)."""
    return (path / "tables").is_dir() or (path / "runs").is_dir()


def append_snapshots(data_dir: Path, run_id: str, table: str, frame: pl.DataFrame) -> list[Path]:
    """Add one run's rows of a snapshot table, one atomic file per instance."""
    written = []
    for (instance,), part in frame.partition_by("instance", as_dict=True).items():
        directory = data_dir / "tables" / table / f"instance={safe_name(str(instance))}"
        path = directory / f"{safe_name(run_id)}.parquet"
        write_frame(schema.conform(part, table), path)
        written.append(path)
    return written


def table_files(data_dir: Path, table: str) -> list[Path]:
    """The finished Parquet files of one table (temporary files are skipped)."""
    root = data_dir / "tables" / table
    if not root.is_dir():
        return []
    return sorted(p for p in root.glob("instance=*/*.parquet") if not p.name.startswith("."))


def scan_table(data_dir: Path, table: str) -> pl.LazyFrame:
    """All runs of one table as a LazyFrame in the table's schema (empty if none)."""
    files = table_files(data_dir, table)
    if not files:
        return schema.empty(table).lazy()
    return pl.scan_parquet(files, schema=schema.TABLES[table], hive_partitioning=False)
