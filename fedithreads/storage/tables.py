"""The snapshot tables on disk: one Parquet file per run and instance, scanned as one.

Layout (DESIGN.md "Files on disk")::

    <data_dir>/tables/<table>/instance=<host>/<run_id>.parquet            finished runs
    <data_dir>/staging/<table>/instance=<host>/<run_id>--<part>.parquet   a run under way

Every file is written atomically (fedithreads.storage.atomic). While a run is under way
each finished thread is its own part file in ``staging/`` (rewritten, never duplicated, if
the run is resumed); at the end of the run its parts are compacted into one file per
instance, published in ``tables/``. So ``tables/`` only ever holds whole runs: DuckDB,
Spark or Polars reading ``tables/**/*.parquet`` never meet a part that a later step
replaces, and neither do fedithreads' own scans (a killed run's rows appear when the run
that resumes it finishes). Data dirs written before staging existed may hold parts in
``tables/``; a scan ignores those of a run once its compacted file exists.

Polars and the table schemas are imported by the functions that use them, not with the
module: a collector's first requests leave before Polars has loaded (issue 16).

Readers and the writer share the directory without a lock. A reader never sees a partial
file, but a file it listed can vanish before it is read (compaction removes the parts it
merged): ``read_table`` lists and reads again when that happens, and scanners that hold a
LazyFrame should do the same on ``FileNotFoundError``. ``write_tables`` writes analysed
tables to an output dir in the format asked for.

A file damaged on disk (cut off, garbage bytes, another schema) makes Polars fail deep in
a query; ``naming_damage`` turns that into one StoreError naming the file, found by
``find_damage`` only once a read has failed (footers first, then pages).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING

from fedithreads.errors import StoreError
from fedithreads.storage.atomic import host_dir, move_atomic, safe_name, save_atomic, sink_atomic
from fedithreads.storage.formats import FORMATS
from fedithreads.storage.objects import Location, glob, polars_options, polars_source

if TYPE_CHECKING:
    import polars as pl

KEYS = {
    "posts": ["instance", "post_id", "run_id"],
    "comments": ["instance", "comment_id", "run_id"],
    "resolutions": ["instance", "ap_id", "run_id"],
    "moderation": ["instance", "action", "log_id", "run_id"],
    "languages": ["instance", "language_id", "run_id"],
}
"""One row per key in a snapshot table: one snapshot per object per run."""


def write_frame(frame: pl.DataFrame, path: Location, fmt: str = "parquet") -> None:
    """Write one table atomically as parquet, csv or jsonl."""
    if fmt == "parquet":
        save_atomic(path, lambda fh: frame.write_parquet(fh, statistics=True))
    elif fmt == "csv":
        save_atomic(path, lambda fh: frame.write_csv(fh))
    elif fmt == "jsonl":
        save_atomic(path, lambda fh: frame.write_ndjson(fh))
    else:
        raise StoreError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def write_tables(
    tables: dict[str, pl.DataFrame], out: Location, fmt: str = "parquet"
) -> list[Location]:
    """Write each table to ``out/<table>.<fmt>``; return the paths written."""
    written: list[Location] = []
    for name, frame in tables.items():
        path = out / f"{name}.{fmt}"
        write_frame(frame, path, fmt)
        written.append(path)
    return written


def is_data_dir(path: Location) -> bool:
    """Whether ``path`` looks like a data dir (it has ``tables/`` or ``runs/``)."""
    return (path / "tables").is_dir() or (path / "runs").is_dir()


TABLES_DIR = "tables"
"""Where finished runs' files are: what every reader reads."""
STAGING_DIR = "staging"
"""Where a run under way writes its parts, until it compacts them into ``tables/``."""


def part_path(
    data_dir: Location, table: str, instance: str, run_id: str, part: str | None
) -> Location:
    """Where one instance's rows of a run go: ``tables/…/<run>.parquet``, or a part of the
    run under ``staging/``."""
    root = STAGING_DIR if part else TABLES_DIR
    name = safe_name(run_id) + (f"--{safe_name(part)}" if part else "")
    return data_dir / root / table / f"instance={host_dir(instance)}" / f"{name}.parquet"


def append_snapshots(
    data_dir: Location, run_id: str, table: str, frame: pl.DataFrame, part: str | None = None
) -> list[Location]:
    """Add rows of a run to a snapshot table, one atomic file per instance.

    With ``part``, the rows go to the run's part file of that name (replacing an earlier
    write of the same part); ``compact_run`` later merges the parts.
    """
    from fedithreads.core import schema

    written: list[Location] = []
    for (instance,), rows in frame.partition_by("instance", as_dict=True).items():
        path = part_path(data_dir, table, str(instance), run_id, part)
        write_frame(schema.conform(rows, table), path)
        written.append(path)
    return written


def compact_run(data_dir: Location, run_id: str) -> None:
    """Merge a run's part files (in ``staging/``) into ``tables/…/<run_id>.parquet`` per
    instance, then drop them.

    One part is simply moved. Comment parts (one per thread) never share a row, so
    they are streamed together; post parts may (a listing and a post target name the
    same post), and a compacted file left with parts by a killed compaction may too:
    those are merged in memory keeping one row per key, the later part winning.

    The posts are published first, then every other table (so a reader never meets a
    run's comment whose post is not there yet). Within each step the moves, whose cost
    is waiting for two directory syncs each, run at once in worker threads, while the
    merges run one at a time in this thread (each holds its rows in memory or streams
    them: several at once would add their peaks up). A killed compaction leaves some
    (table, instance) pairs done and others not, each whole: the resumed run finishes it.
    """
    from fedithreads.core import schema

    run = safe_name(run_id)
    jobs = [
        (table, staged)
        for table in schema.SNAPSHOT_TABLES
        for staged in glob(data_dir / STAGING_DIR / table, "instance=*")
    ]
    first = [job for job in jobs if job[0] == "posts"]
    rest = [job for job in jobs if job[0] != "posts"]
    with ThreadPoolExecutor(MOVERS, thread_name_prefix="fedithreads-compact") as movers:
        for step in (first, rest):
            moving = []
            for table, staged in step:
                directory = data_dir / TABLES_DIR / table / staged.name
                parts = glob(staged, f"{run}--*.parquet")
                target = directory / f"{run}.parquet"
                if len(parts) == 1 and not target.exists():
                    moving.append(movers.submit(move_atomic, parts[0], target))
                elif parts:
                    _merge_parts(table, parts, target)
            for moved in moving:
                moved.result()  # raises what the move raised


MOVERS = 8
"""Parts moved at once by ``compact_run``: each move waits on two directory syncs."""


def _merge_parts(table: str, parts: list[Location], target: Location) -> None:
    """Several parts of one (table, instance) into its compacted file, then the parts
    dropped (see ``compact_run``)."""
    from fedithreads.core import schema

    types = schema.SCHEMAS[table]
    if table == "comments" and not target.exists():
        sink_atomic(scan_files(parts, types), target)
    else:
        sources = ([target] if target.exists() else []) + parts
        merged = (
            scan_files(sources, types)
            .collect()
            .unique(KEYS[table], keep="last", maintain_order=True)
        )
        write_frame(schema.conform(merged, table), target)
    for p in parts:
        p.unlink()


def part_on_disk(data_dir: Location, table: str, run_id: str, part: str) -> bool:
    """Whether a part of a run is on disk: its own file, or the run's compacted file
    (which holds every part written before compaction) on any instance."""
    run = safe_name(run_id)
    staged = data_dir / STAGING_DIR / table
    compacted = data_dir / TABLES_DIR / table
    return any(staged.glob(f"instance=*/{run}--{safe_name(part)}.parquet")) or any(
        compacted.glob(f"instance=*/{run}.parquet")
    )


def table_files(data_dir: Location, table: str) -> list[Location]:
    """The finished Parquet files of one table (``tables/``): no temporary files, and,
    in a data dir of before ``staging/``, no part files of a run that has been
    compacted."""
    root = data_dir / TABLES_DIR / table
    if not root.is_dir():
        return []
    files = [p for p in root.glob("instance=*/*.parquet") if not p.name.startswith(".")]
    compacted = {(p.parent, p.stem) for p in files if "--" not in p.stem}
    return sorted(
        (
            p
            for p in files
            if "--" not in p.stem or (p.parent, p.stem.split("--")[0]) not in compacted
        ),
        key=str,
    )


def scan_table(data_dir: Location, table: str) -> pl.LazyFrame:
    """All runs of one table as a LazyFrame in the table's schema (empty if none)."""
    from fedithreads.core import schema

    files = table_files(data_dir, table)
    if not files:
        return schema.empty(table).lazy()
    return scan_files(files, types=schema.SCHEMAS[table])


def scan_files(
    files: Sequence[Location], types: dict[str, pl.DataType] | None = None
) -> pl.LazyFrame:
    """Parquet files of one data dir, on disk or in object storage, as one LazyFrame.

    With ``types`` of a table that gained columns (``schema.LATER_COLUMNS``), a column a
    file lacks is read as nulls, so that files written before are read in today's schema
    (Polars cannot limit this to those columns: ``check`` reports a file lacking others)."""
    import polars as pl

    from fedithreads.core import schema

    later = types is not None and not schema.LATER_COLUMNS.isdisjoint(types)
    return pl.scan_parquet(
        [polars_source(f) for f in files],
        schema=types,
        hive_partitioning=False,
        storage_options=polars_options(files[0]),
        missing_columns="insert" if later else "raise",
    )


def read_file(path: Location, columns: list[str] | None = None) -> pl.DataFrame:
    """One Parquet file of a data dir, read now."""
    import polars as pl

    return pl.read_parquet(
        polars_source(path), columns=columns, storage_options=polars_options(path)
    )


READ_ATTEMPTS = 5


def read_table(data_dir: Location, table: str) -> pl.DataFrame:
    """All runs of one table, read now; safe while a run is writing the data dir.

    A file that vanishes between listing and reading (compaction merged it) makes it
    list and read again, up to ``READ_ATTEMPTS`` times. A damaged file is a StoreError
    naming it (``naming_damage``).
    """
    for attempt in range(READ_ATTEMPTS):
        try:
            with naming_damage([data_dir]):
                return scan_table(data_dir, table).collect()
        except FileNotFoundError:
            if attempt == READ_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def read_failures() -> tuple[type[BaseException], ...]:
    """What reading a damaged Parquet file raises (a truncated file, garbage bytes, a file
    of another schema): Polars' errors, a panic of its reader, the file system's."""
    import polars as pl

    return (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError)


def part_problem(path: Location, table: str) -> str | None:
    """Why a Parquet file cannot be read as a part of ``table``, or ``None``: its footer
    first (cheap), then its schema, then every page."""
    problem = _footer_problem(path, table)
    if problem is not None:
        return problem
    try:
        read_file(path)
    except FileNotFoundError:
        raise
    except read_failures() as exc:
        return f"damaged data ({_cause(exc)})"
    return None


def schema_mismatch(found: dict[str, pl.DataType], table: str) -> str | None:
    """How a file's columns differ from ``table``'s schema, or ``None``; a file written
    before a column was added may lack it (``schema.LATER_COLUMNS``)."""
    from fedithreads.core import schema

    expected = schema.SCHEMAS[table]
    missing = [c for c in expected if c not in found and c not in schema.LATER_COLUMNS]
    extra = [c for c in found if c not in expected]
    retyped = [f"{c} is {found[c]}, not {t}" for c, t in expected.items() if found.get(c, t) != t]
    if not (missing or extra or retyped):
        return None
    parts = [f"missing {', '.join(missing)}"] * bool(missing)
    parts += [f"unexpected {', '.join(extra)}"] * bool(extra) + retyped
    return f"not in the {table} schema ({'; '.join(parts)})"


def _cause(exc: BaseException) -> str:
    """The first line of a reader's error, cut to fit one message line."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text if len(text) <= 120 else text[:119] + "…"


def find_damage(data_dirs: Sequence[Location]) -> tuple[Location, str] | None:
    """The first damaged file a scan of ``data_dirs`` reads, and what is wrong with it:
    every footer and schema first, then every page; ``None`` if all read."""
    from fedithreads.core import schema

    files = [(p, t) for d in data_dirs for t in schema.SNAPSHOT_TABLES for p in table_files(d, t)]
    for only_footer in (True, False):
        for path, table in files:
            try:
                problem = _footer_problem(path, table) if only_footer else part_problem(path, table)
            except FileNotFoundError:
                continue  # compacted away since it was listed
            if problem is not None:
                return path, problem
    return None


def _footer_problem(path: Location, table: str) -> str | None:
    import polars as pl

    try:
        found = pl.scan_parquet(
            polars_source(path), storage_options=polars_options(path)
        ).collect_schema()
    except FileNotFoundError:
        raise
    except read_failures() as exc:
        return f"not a readable Parquet file ({_cause(exc)})"
    return schema_mismatch(dict(found), table)


@contextmanager
def naming_damage(data_dirs: Sequence[Location]) -> Iterator[None]:
    """Turn a reader's failure on a damaged file of ``data_dirs`` into one StoreError
    naming the file and the commands that find and mend damage; other failures (a bug)
    are raised as they came."""
    try:
        yield
    except FileNotFoundError:
        raise
    except read_failures():
        found = find_damage(data_dirs)
        if found is None:
            raise
        path, problem = found
        raise StoreError(
            f"{path}: {problem}; run `fedithreads check` to list every damaged file and "
            "`fedithreads repair` to rebuild them from the raw archive"
        ) from None
