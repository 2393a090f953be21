"""Files that appear whole or not at all, under names that cannot leave their directory.

A file is written to a temporary name in the same directory, flushed to disk and renamed
into place, so a reader (or a later run) sees the whole file or none of it, and the
directory entry is synced too. Temporary files left by a killed writer start with ``.``
and end with ``TEMP_SUFFIX``; nothing reads them, and ``sweep_temporaries`` removes them
under the run lock. Any write that fails (a full disk, a read-only directory) is one
StoreError naming the file; what was there before stays as it was.

On object storage (``storage.objects``) a write is one PUT, visible whole or not at all:
the bytes are gathered in memory (a big Parquet stream in a local temporary file) and
uploaded, and no temporary name ever appears in the bucket.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

from fedithreads.errors import StoreError
from fedithreads.storage.objects import Location, ObjectPath

if TYPE_CHECKING:
    import polars as pl

TEMP_SUFFIX = ".tmp"


SPOOL_DIR = ".spool"
"""Where a crawl spills a thread's pages (fedithreads.collect.spool); never read by scans."""


def spool_root(data_dir: Location) -> Path:
    """Where a run's crawls spill their pages: ``<data_dir>/.spool``, or, for a data dir
    in object storage, a directory of the machine's temporary space named after it."""
    if isinstance(data_dir, Path):
        return data_dir / SPOOL_DIR
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"fedithreads-spool-{digest}"


ROW_GROUP = 8192
"""Rows per Parquet row group when streaming: small enough to keep writers lean."""


_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def safe_name(text: str) -> str:
    """A file-name-safe form of a host or run id: never a path separator or ``..``."""
    cleaned = _SAFE.sub("_", text).lstrip(".")
    return cleaned or "_"


_KEEP = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def host_dir(host: str) -> str:
    """The directory name of a host's files (``instance=<this>`` in the tables, and in
    the raw archive): every byte but letters, digits, ``.``, ``_`` and ``-`` (and a
    leading dot) percent-encoded, as Hive escapes partition values, so that DuckDB,
    Polars and Spark read ``instance=127.0.0.1%3A8536`` back as ``127.0.0.1:8536``, the
    rows' own ``instance``. Never a path separator or ``..``; a plain host name is itself.
    """
    data = host.encode()
    out = [
        chr(b) if b in _KEEP and not (i == 0 and b == 0x2E) else f"%{b:02X}"
        for i, b in enumerate(data)
    ]
    return "".join(out) or "_"


def write_atomic(path: Location, write: Callable[[IO[bytes]], object]) -> None:
    """Create ``path`` via a temp file + fsync + rename; nothing partial is ever visible.

    On failure the temporary file is removed, the old file (if any) is left as it was,
    and the error is raised as it came (``save_atomic`` makes it a StoreError). In object
    storage: the bytes written, in one PUT.
    """
    if isinstance(path, ObjectPath):
        buffer = io.BytesIO()
        write(buffer)
        path.write_bytes(buffer.getvalue())
        return
    make_dirs(path.parent)
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


def save_atomic(path: Location, write: Callable[[IO[bytes]], object]) -> None:
    """``write_atomic``, with a failure to write (a full disk, no permission, also a
    Polars writer's I/O error) turned into one StoreError line naming ``path``."""
    try:
        write_atomic(path, write)
    except Exception as exc:
        if isinstance(exc, OSError) or _is_io_error(exc):
            raise cannot_write(path, exc) from None
        raise


def sink_atomic(frame: pl.LazyFrame, path: Location, *, row_group_size: int = ROW_GROUP) -> None:
    """Stream ``frame`` into a Parquet file at ``path``, atomically (temp, fsync, rename),
    without holding all its rows in memory (the writer holds a few row groups). In object
    storage: streamed into a local temporary file, then uploaded whole."""
    save_streamed(
        path, lambda tmp: frame.sink_parquet(tmp, row_group_size=row_group_size, statistics=True)
    )


def save_streamed(path: Location, write: Callable[[Path], object]) -> None:
    """Have ``write`` make a file at the temporary path it is given, then put that at
    ``path`` as ``save_atomic`` does (fsync, rename, one StoreError for a failed write),
    without the file's bytes ever held in memory: in object storage it is written to the
    machine's temporary space, then uploaded whole."""
    if isinstance(path, ObjectPath):
        _save_uploaded(path, write)
        return
    try:
        make_dirs(path.parent)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise cannot_write(path, exc) from None
    tmp = Path(name)
    try:
        write(tmp)
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        tmp.replace(path)
        _fsync_dir(path.parent)
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) or _is_io_error(exc):
            raise cannot_write(path, exc) from None
        raise


def _save_uploaded(path: ObjectPath, write: Callable[[Path], object]) -> None:
    fd, name = tempfile.mkstemp(prefix="fedithreads-", suffix=".parquet")
    os.close(fd)
    local = Path(name)
    try:
        write(local)
        path.upload(local)
    finally:
        local.unlink(missing_ok=True)


def move_atomic(source: Location, target: Location) -> None:
    """Rename a finished file into place (its directory made if need be, on the same file
    system), and sync both directories (in object storage: a copy, whole, then the
    source deleted)."""
    if isinstance(source, ObjectPath) and isinstance(target, ObjectPath):
        source.replace(target)
        return
    if not (isinstance(source, Path) and isinstance(target, Path)):
        raise TypeError(f"cannot move {source} to {target}: one is local, one is not")
    try:
        make_dirs(target.parent)
        source.replace(target)
        _fsync_dir(target.parent)
        if source.parent != target.parent:
            _fsync_dir(source.parent)
    except OSError as exc:
        raise cannot_write(target, exc) from None


_POLARS_IO = re.compile(r"\(os error (\d+)\)|\[Errno (\d+)\]|transport error")
"""How a Polars writer's message says the file system failed it: ``(os error 28)``
writing to a path, ``[Errno 28]`` writing to a Python file handle (the OSError the
handle raised, as text), ``Invalid thrift: transport error`` when its Parquet footer
could not be written."""


def _is_io_error(exc: BaseException) -> bool:
    """A Polars writer error that is really the file system's (``_POLARS_IO``); with
    Polars not yet loaded, no error can be one of its own."""
    polars = sys.modules.get("polars")
    if polars is None:
        return False
    return isinstance(exc, polars.exceptions.PolarsError) and bool(_POLARS_IO.search(str(exc)))


_WHY = {
    errno.ENOSPC: ("disk full", "free space"),
    errno.EDQUOT: ("disk quota exceeded", "free space or raise the quota"),
    errno.EROFS: ("read-only file system", "make it writable (or give another --data-dir)"),
    errno.EACCES: ("permission denied", "fix the permissions"),
    errno.EPERM: ("permission denied", "fix the permissions"),
}
"""The causes of a failed write a user can mend, in words, and what to do."""


def cannot_write(path: Location, exc: BaseException) -> StoreError:
    """One line for a write that failed: the cause, the file, that nothing half-written is
    visible (temporaries are never read; a raw archive's cut-off line is skipped), and
    what to do. ``exc`` is an OSError or a Polars writer's I/O error (``os error 28``)."""
    code = (
        (exc.errno if isinstance(exc, OSError) else None)
        or _polars_errno(exc)
        or _no_space_left(path)
    )
    what, fix = _WHY.get(code or 0, (None, "fix it"))
    if what is None:
        what = f"cannot write ({_cause(exc)})"
    return StoreError(f"{what} writing {path}; nothing half-written is visible; {fix} and re-run")


def _polars_errno(exc: BaseException) -> int | None:
    """The errno in a Polars I/O message (its OSErrors may carry none of their own)."""
    found = _POLARS_IO.search(str(exc))
    number = found and (found.group(1) or found.group(2))
    return int(number) if number else None


def _no_space_left(path: Location) -> int | None:
    """ENOSPC when the file system under ``path`` has no block left: a Polars writer whose
    message kept no errno (its Parquet footer failing: ``transport error``) was refused
    by a full disk."""
    if not isinstance(path, Path):
        return None
    try:
        free = os.statvfs(next(p for p in path.parents if p.exists())).f_bavail
    except (OSError, StopIteration):
        return None
    return errno.ENOSPC if free == 0 else None


def _cause(exc: BaseException) -> str:
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return text.rsplit("IO error: ", 1)[-1].split(" (os error")[0]  # a path's message


def make_dirs(directory: Path) -> None:
    """Make ``directory`` and its missing parents, each new one's entry synced in its
    parent: a file synced in a new directory (a new ``instance=…`` partition, say) is
    not lost with the directory's own entry when the machine goes down."""
    missing = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    if missing:
        missing[0].mkdir(parents=True, exist_ok=True)
        for made in reversed(missing):
            _fsync_dir(made.parent)


def _fsync_dir(directory: Path) -> None:
    sync_path(directory)


def sync_path(path: Path) -> None:
    """fsync the file or directory at ``path`` (opened for it, then closed)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def stray_temporaries(data_dir: Location) -> list[Path]:
    """The temporary files a killed writer can have left: where atomic writes happen
    (state.json at the top, manifests in ``runs/``, files anywhere under ``tables/`` and
    ``staging/``);
    none in object storage, where no write goes through a temporary name."""
    if isinstance(data_dir, ObjectPath):
        return []
    found: list[Path] = []
    for top in (data_dir, data_dir / "runs", data_dir / "tables", data_dir / "staging"):
        if top.is_dir():
            pattern = f".*{TEMP_SUFFIX}"
            found += (
                top.glob(pattern) if top in (data_dir, data_dir / "runs") else top.rglob(pattern)
            )
    return sorted(found)


def sweep_temporaries(data_dir: Location) -> int:
    """Delete temporary files a killed writer left in the data dir, and its spilled
    pages; how many files.

    Call only while holding the run lock (no writer is alive then); readers never
    look at them anyway.
    """
    swept = 0
    spool = spool_root(data_dir)
    if spool.is_dir():
        swept += sum(1 for p in spool.rglob("*") if p.is_file())
        shutil.rmtree(spool, ignore_errors=True)
    for tmp in stray_temporaries(data_dir):
        try:
            tmp.unlink()
            swept += 1
        except OSError:
            pass
    return swept
