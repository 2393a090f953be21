"""The tables for other engines: Parquet partitioned by instance, as Hive lays it out.

``export --partitioned`` writes (every table has an ``instance`` column today)::

    DIR/<table>/instance=<host_dir(instance)>/part-0.parquet   one file per instance
    DIR/<table>/part-0.parquet     a table with no rows: no partition, its columns only
    DIR/<table>.parquet            a table without an ``instance`` column, unpartitioned

so that DuckDB (``read_parquet('DIR/comments/**/*.parquet', hive_partitioning = true)``),
Spark (``spark.read.parquet('DIR/comments')``) and Polars read each table as one. Host
directories are percent-encoded as Hive escapes partition values (``host_dir``), and each
file keeps the ``instance`` column too, so a reader with hive partitioning off gets it
as well. A table with no rows still has a file, so every table reads back with its columns.

Every file is written atomically (``tables.write_frame``). Exporting into the same DIR
again replaces the export: each table's files are rewritten, then the files of instances
the table no longer holds are removed, with the temporaries a killed export left. A
reader during an export may see some instances from the previous export and some from
this one; after it, only this one. A DIR holding anything else (a data dir, another
export's files, notes) is refused before anything is written, so nothing of the user's
is ever deleted.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

import polars as pl

from fedithreads.errors import UsageError
from fedithreads.storage.atomic import TEMP_SUFFIX, host_dir
from fedithreads.storage.tables import write_frame

PARTITION = "instance"
"""The column every partitioned table is split by."""

PART = "part-0.parquet"
"""The one file of each partition (Spark's and Hive's name for the first part)."""


def write_partitioned(tables: Mapping[str, pl.DataFrame], out: Path) -> list[Path]:
    """Write each table under ``out`` partitioned by instance (the layout above); the
    paths written. ``out`` must be new, empty, or a partitioned export of these tables."""
    writer = PartitionedWriter(out, {name: frame.columns for name, frame in tables.items()})
    for name, frame in tables.items():
        writer.add(name, frame)
    return writer.close()


class PartitionedWriter:
    """A partitioned export written as its rows come, a table's instances one call or
    several (``analyze --streaming --out``: each instance's rows once they are
    computed): the files ``write_partitioned`` writes, the same checks before and the
    same clean-up after (``close``). Several threads may ``add`` at once, each the rows of
    its own instances (``analyze --streaming --out --jobs N``): no file has two writers."""

    def __init__(self, out: Path, tables: Mapping[str, Collection[str]]) -> None:
        refuse_foreign(out, tables)
        self.out = out
        self.written: dict[str, list[Path]] = {name: [] for name in tables}
        self.schemas: dict[str, pl.Schema] = {}

    def add(self, name: str, frame: pl.DataFrame) -> None:
        """Write ``frame``'s rows of table ``name``: a file per instance it holds (an
        instance written before is replaced), or the table's one file."""
        self.schemas.setdefault(name, frame.schema)
        if PARTITION not in frame.columns:
            path = self.out / f"{name}.parquet"
            write_frame(frame, path)
            self.written[name].append(path)
            return
        for (value,), rows in frame.partition_by(PARTITION, as_dict=True).items():
            path = self.out / name / partition_dir(value) / PART
            write_frame(rows, path)
            self.written[name].append(path)

    def close(self) -> list[Path]:
        """Give every partitioned table without rows its file of columns, remove what the
        previous export left that this one did not write; the paths written."""
        for name, paths in self.written.items():
            schema = self.schemas.get(name)
            if schema is None or PARTITION not in schema:
                continue
            if not paths:
                write_frame(pl.DataFrame(schema=schema), self.out / name / PART)
                paths.append(self.out / name / PART)
            remove_stale(self.out / name, keep=set(paths))
        return [path for paths in self.written.values() for path in paths]


def write_table(frame: pl.DataFrame, out: Path, name: str) -> list[Path]:
    """One table: a file per instance (or one with no rows), stale files removed after."""
    writer = PartitionedWriter(out, {name: frame.columns})
    writer.add(name, frame)
    return writer.close()


def partition_dir(value: object) -> str:
    """``instance=<value>``, percent-encoded as Hive does. No table has a row without an
    instance; Hive's null directory would not do for one (DuckDB reads its name as text)."""
    if not isinstance(value, str):
        raise ValueError(f"a row to export has instance {value!r}, not a host")
    return f"{PARTITION}={host_dir(value)}"


def remove_stale(root: Path, keep: set[Path]) -> None:
    """Remove the part files and temporaries under a table's directory that are not in
    ``keep`` (instances the table no longer holds), and the partitions left empty."""
    for entry in sorted(root.iterdir()):
        if entry.is_dir():
            remove_stale(entry, keep)
            if not any(entry.iterdir()):
                entry.rmdir()
        elif entry not in keep and _is_ours(entry.name):
            entry.unlink()


def refuse_foreign(out: Path, tables: Mapping[str, Collection[str]]) -> None:
    """A UsageError if ``out`` holds anything a partitioned export of ``tables`` (table
    name → its columns) does not write: an export into it deletes only its own files."""
    foreign = foreign_entry(out, tables)
    if foreign is not None:
        raise UsageError(
            f"{out}: {foreign} is not a file `export --partitioned` writes; give a new or "
            "empty directory, or one a partitioned export wrote (its files are replaced)"
        )


def foreign_entry(out: Path, tables: Mapping[str, Collection[str]]) -> Path | None:
    """The first file or directory in ``out`` that a partitioned export of ``tables``
    (table name → its columns) does not write, or ``None``."""
    if not out.is_dir():
        return None
    for entry in sorted(out.iterdir()):
        if _is_temporary(entry.name):
            continue
        if not _is_table_entry(entry, tables):
            return entry
        found = _foreign_in_table(entry) if entry.is_dir() else None
        if found is not None:
            return found
    return None


def _is_table_entry(entry: Path, tables: Mapping[str, Collection[str]]) -> bool:
    """A partitioned table's directory, or an unpartitioned table's file."""
    if entry.is_dir():
        columns = tables.get(entry.name)
        return columns is not None and PARTITION in columns
    stem = entry.name.removesuffix(".parquet") if entry.suffix == ".parquet" else None
    columns = tables.get(stem) if stem else None
    return columns is not None and PARTITION not in columns


def _foreign_in_table(root: Path) -> Path | None:
    """The first entry of a table's directory that is not a part file in its place."""
    for entry in sorted(root.iterdir()):
        if not entry.is_dir():
            if not _is_ours(entry.name):
                return entry
        elif not entry.name.startswith(f"{PARTITION}="):
            return entry
        else:
            inside = sorted(entry.iterdir())
            stray = next((p for p in inside if p.is_dir() or not _is_ours(p.name)), None)
            if stray is not None:
                return stray
    return None


def _is_ours(name: str) -> bool:
    """A part file, or a temporary a killed export left."""
    return name == PART or _is_temporary(name)


def _is_temporary(name: str) -> bool:
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)
