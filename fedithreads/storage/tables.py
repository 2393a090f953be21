"""The data dir and output dirs on disk: atomic writes, snapshot tables, scans.

Layout (DESIGN.md "Files on disk")::

    <data_dir>/tables/<table>/instance=<host>/<run_id>.parquet
    <data_dir>/tables/<table>/instance=<host>/<run_id>--<part>.parquet   (run under way)
    <data_dir>/raw/<host>/<date>/<run_id>.jsonl.gz

A file is written to a temporary name in the same directory, flushed to disk and renamed
into place, so a reader (or a later run) sees the whole file or none of it. Temporary
files left by a killed writer start with ``.`` and are never read. While a run is under
way each finished thread is its own part file (rewritten, never duplicated, if the run
is resumed); at the end of the run its parts are compacted into one file per instance.
A scan ignores the parts of a run once its compacted file exists.

Readers and the writer share the directory without a lock. A reader never sees a partial
file, but a file it listed can vanish before it is read (compaction removes the parts it
merged): ``read_table`` lists and reads again when that happens, and scanners that hold a
LazyFrame should do the same on ``FileNotFoundError``. Any write that fails (a full disk,
a read-only directory) is a StoreError naming the file; what was written before stays.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import shutil
import tempfile
import zlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO

import polars as pl

from fedithreads.core import schema
from fedithreads.errors import StoreError

FORMATS = ("parquet", "csv", "jsonl")
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def safe_name(text: str) -> str:
    """A file-name-safe form of a host or run id: never a path separator or ``..``."""
    cleaned = _SAFE.sub("_", text).lstrip(".")
    return cleaned or "_"


TEMP_SUFFIX = ".tmp"


def write_atomic(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Create ``path`` via a temp file + fsync + rename; nothing partial is ever visible.

    On failure the temporary file is removed, the old file (if any) is left as it was,
    and the error is raised as it came (``save_atomic`` makes it a StoreError).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
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


def save_atomic(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """``write_atomic``, with a failure to write (a full disk, no permission, also a
    Polars writer's I/O error) turned into one StoreError line naming ``path``."""
    try:
        write_atomic(path, write)
    except Exception as exc:
        if isinstance(exc, OSError) or _is_io_error(exc):
            raise _cannot_write(path, exc) from None
        raise


def _is_io_error(exc: BaseException) -> bool:
    """A Polars writer error that is really the file system's (``os error 28``)."""
    return isinstance(exc, pl.exceptions.PolarsError) and "os error" in str(exc)


def _cannot_write(path: Path, exc: BaseException) -> StoreError:
    if isinstance(exc, OSError):
        cause = exc.strerror or str(exc)
    else:
        cause = str(exc).rsplit("IO error: ", 1)[-1].split(" (os error")[0]
    return StoreError(
        f"{path}: cannot write ({cause}); nothing earlier was changed; "
        "free space (or fix permissions) and run again"
    )


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


SPOOL_DIR = ".spool"
"""Where a crawl spills a thread's pages (fedithreads.collect.spool); never read by scans."""


def sweep_temporaries(data_dir: Path) -> int:
    """Delete temporary files a killed writer left in the data dir, and its spilled
    pages; how many files.

    Call only while holding the run lock (no writer is alive then); readers never
    look at them anyway.
    """
    swept = 0
    spool = data_dir / SPOOL_DIR
    if spool.is_dir():
        swept += sum(1 for p in spool.rglob("*") if p.is_file())
        shutil.rmtree(spool, ignore_errors=True)
    for top in (data_dir, data_dir / "runs", data_dir / "tables"):
        if not top.is_dir():
            continue
        found = (
            top.rglob(f".*{TEMP_SUFFIX}") if top.name == "tables" else top.glob(f".*{TEMP_SUFFIX}")
        )
        for tmp in found:
            try:
                tmp.unlink()
                swept += 1
            except OSError:
                pass
    return swept


def write_frame(frame: pl.DataFrame, path: Path, fmt: str = "parquet") -> None:
    """Write one table atomically as parquet, csv or jsonl."""
    if fmt == "parquet":
        save_atomic(path, lambda fh: frame.write_parquet(fh, statistics=True))
    elif fmt == "csv":
        save_atomic(path, lambda fh: frame.write_csv(fh))
    elif fmt == "jsonl":
        save_atomic(path, lambda fh: frame.write_ndjson(fh))
    else:
        raise StoreError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


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


KEYS = {
    "posts": ["instance", "post_id", "run_id"],
    "comments": ["instance", "comment_id", "run_id"],
}
"""One row per key in a snapshot table: one snapshot per object per run."""


ROW_GROUP = 8192
"""Rows per Parquet row group when streaming: small enough to keep writers lean."""


def sink_atomic(frame: pl.LazyFrame, path: Path, *, row_group_size: int = ROW_GROUP) -> None:
    """Stream ``frame`` into a Parquet file at ``path``, atomically (temp, fsync, rename),
    without holding all its rows in memory (the writer holds a few row groups)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        frame.sink_parquet(tmp, row_group_size=row_group_size, statistics=True)
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        tmp.replace(path)
        _fsync_dir(path.parent)
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) or _is_io_error(exc):
            raise _cannot_write(path, exc) from None
        raise


def part_path(data_dir: Path, table: str, instance: str, run_id: str, part: str | None) -> Path:
    """Where one instance's rows of a run go: ``<run>.parquet``, or a part of the run."""
    name = safe_name(run_id) + (f"--{safe_name(part)}" if part else "")
    return data_dir / "tables" / table / f"instance={safe_name(instance)}" / f"{name}.parquet"


def append_snapshots(
    data_dir: Path, run_id: str, table: str, frame: pl.DataFrame, part: str | None = None
) -> list[Path]:
    """Add rows of a run to a snapshot table, one atomic file per instance.

    With ``part``, the rows go to the run's part file of that name (replacing an earlier
    write of the same part); ``compact_run`` later merges the parts.
    """
    written = []
    for (instance,), rows in frame.partition_by("instance", as_dict=True).items():
        path = part_path(data_dir, table, str(instance), run_id, part)
        write_frame(schema.conform(rows, table), path)
        written.append(path)
    return written


def compact_run(data_dir: Path, run_id: str) -> None:
    """Merge a run's part files into ``<run_id>.parquet`` per instance, then drop them.

    One part is simply renamed. Comment parts (one per thread) never share a row, so
    they are streamed together; post parts may (a listing and a post target name the
    same post), and a compacted file left with parts by a killed compaction may too:
    those are merged in memory keeping one row per key, the later part winning.
    """
    run = safe_name(run_id)
    for table in schema.SNAPSHOT_TABLES:
        for directory in sorted((data_dir / "tables" / table).glob("instance=*")):
            parts = sorted(directory.glob(f"{run}--*.parquet"))
            target = directory / f"{run}.parquet"
            if not parts:
                continue
            if len(parts) == 1 and not target.exists():
                try:
                    parts[0].replace(target)
                    _fsync_dir(directory)
                except OSError as exc:
                    raise _cannot_write(target, exc) from None
                continue
            if table == "comments" and not target.exists():
                sink_atomic(pl.scan_parquet(parts).select(list(schema.COMMENTS)), target)
            else:
                sources = ([target] if target.exists() else []) + parts
                merged = pl.concat([pl.read_parquet(p) for p in sources]).unique(
                    KEYS[table], keep="last", maintain_order=True
                )
                write_frame(schema.conform(merged, table), target)
            for p in parts:
                p.unlink()


def table_files(data_dir: Path, table: str) -> list[Path]:
    """The finished Parquet files of one table: no temporary files, and no part files
    of a run that has been compacted."""
    root = data_dir / "tables" / table
    if not root.is_dir():
        return []
    files = [p for p in root.glob("instance=*/*.parquet") if not p.name.startswith(".")]
    compacted = {(p.parent, p.stem) for p in files if "--" not in p.stem}
    return sorted(
        p for p in files if "--" not in p.stem or (p.parent, p.stem.split("--")[0]) not in compacted
    )


def scan_table(data_dir: Path, table: str) -> pl.LazyFrame:
    """All runs of one table as a LazyFrame in the table's schema (empty if none)."""
    files = table_files(data_dir, table)
    if not files:
        return schema.empty(table).lazy()
    return pl.scan_parquet(files, schema=schema.TABLES[table], hive_partitioning=False)


READ_ATTEMPTS = 5


def read_table(data_dir: Path, table: str) -> pl.DataFrame:
    """All runs of one table, read now; safe while a run is writing the data dir.

    A file that vanishes between listing and reading (compaction merged it) makes it
    list and read again, up to ``READ_ATTEMPTS`` times.
    """
    for attempt in range(READ_ATTEMPTS):
        try:
            return scan_table(data_dir, table).collect()
        except FileNotFoundError:
            if attempt == READ_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


class RawArchive:
    """Every answer as received, one JSON line each: url, status, fetched_at, body.

    Lines go to ``raw/<host>/<date>/<run_id>.jsonl.gz``, each its own gzip member, so a
    killed run leaves at most a cut-off last line. A body that is not UTF-8 is kept as
    ``body_base64``.
    """

    def __init__(self, data_dir: Path, run_id: str) -> None:
        self.root = data_dir / "raw"
        self.run = safe_name(run_id)

    def write(self, host: str, url: str, status: int, fetched_at: datetime, body: bytes) -> None:
        record: dict[str, object] = {"url": url, "status": status}
        record["fetched_at"] = fetched_at.isoformat()
        try:
            record["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            record["body_base64"] = base64.b64encode(body).decode()
        path = (
            self.root / safe_name(host) / fetched_at.strftime("%Y-%m-%d") / f"{self.run}.jsonl.gz"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(record, ensure_ascii=False).encode() + b"\n"
        try:
            with path.open("ab") as fh:
                fh.write(gzip.compress(line, mtime=0))
        except OSError as exc:
            raise StoreError(f"{path}: cannot write ({exc.strerror or exc}); free space") from None


_GZIP_MAGIC = b"\x1f\x8b\x08"


def read_raw(path: Path) -> list[dict[str, object]]:
    """The records of one raw archive file.

    Each record is its own gzip member. A member cut off by a killed run or a full disk
    is skipped, and reading goes on with the next whole member (a resumed run appends
    after the broken one), so one bad write never hides the records after it.
    """
    data = path.read_bytes()
    out: list[dict[str, object]] = []
    start = 0
    while start < len(data):
        member = zlib.decompressobj(wbits=31)
        try:
            text = member.decompress(data[start:])
            whole = member.eof
        except zlib.error:
            text, whole = b"", False
        if whole:
            out.extend(_records(text))
            start = len(data) - len(member.unused_data)
        else:
            found = data.find(_GZIP_MAGIC, start + 1)
            start = len(data) if found < 0 else found
    return out


def _records(text: bytes) -> list[dict[str, object]]:
    records = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records
