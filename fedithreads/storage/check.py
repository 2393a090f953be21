"""``fedithreads check``: verify a data dir the way restic's and borg's ``check`` do.

Reads, never writes, and holds the run lock only for the instant it takes to see
whether a run holds it. It looks at:

* **parts**: every Parquet file under ``tables/`` reads (footer, every page) and has its
  table's schema (fedithreads.core.schema);
* **bookkeeping**: every ``runs/*.json`` manifest and ``state.json`` parses; a run they
  say wrote rows on an instance has a file there; every file belongs to a run one of
  them names;
* **raw archive**: every member of every ``raw/`` file reads. A member cut off by a
  killed write (its bytes decompress cleanly but stop short) is expected, at the end of
  a file or before a resumed run's answers; one that does not decompress, or holds a
  line that is not a JSON record, is damage (fedithreads.storage.raw ``RawScan``);
* **temporaries**: ``.*.tmp`` files and a ``.spool/`` left by a killed writer, judged
  only when no run holds the lock (a running one is writing them).

A run in progress is not an error: files that vanish while they are read (compaction)
are passed over, and the report says a run was under way.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from dataclasses import dataclass, field

from fedithreads.core import schema
from fedithreads.storage.atomic import SPOOL_DIR, host_dir, safe_name, stray_temporaries
from fedithreads.storage.books import LOCK_FILE, Books, RunNote, read_books
from fedithreads.storage.lease import lease_held
from fedithreads.storage.objects import Location, ObjectPath, glob
from fedithreads.storage.quarantine import QUARANTINE_DIR
from fedithreads.storage.raw import scan_raw
from fedithreads.storage.tables import STAGING_DIR, TABLES_DIR, part_problem

REPAIR = "run `fedithreads repair`"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the data dir: the file, what is wrong, what to do."""

    kind: str
    """``part``, ``missing``, ``stranger``, ``manifest``, ``state``, ``raw``, ``temporary``."""
    path: Location
    what: str
    fix: str
    table: str | None = None
    run: str | None = None
    """The run as file names spell it (parts and missing files)."""

    def line(self, data_dir: Location) -> str:
        shown = self.path.relative_to(data_dir) if self.path.is_relative_to(data_dir) else self.path
        return f"{shown}: {self.what}; {self.fix}"


@dataclass(slots=True)
class CheckReport:
    data_dir: Location
    running: bool
    checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    books: Books = field(default_factory=Books)

    def summary(self) -> str:
        found = f"{len(self.problems)} problem(s)" if self.problems else "no problems"
        note = "; a run is in progress, its temporary files were not judged" * self.running
        return f"data dir {self.data_dir}: {self.checked} files checked, {found}{note}"


def run_in_progress(data_dir: Location) -> bool:
    """Whether a run holds the lock: tried without waiting and let go at once; the
    lock file is opened for reading only (never created)."""
    lock = data_dir / LOCK_FILE
    if isinstance(lock, ObjectPath):
        return lease_held(lock)
    try:
        fh = lock.open("rb")
    except FileNotFoundError:
        return False
    with fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    return False


def check_data_dir(data_dir: Location, *, running: bool | None = None) -> CheckReport:
    """Every problem of ``data_dir`` (see the module docstring)."""
    report = CheckReport(data_dir, run_in_progress(data_dir) if running is None else running)
    parts = part_files(data_dir)
    for path, table in parts:
        _check_part(report, path, table)
    report.books = read_books(data_dir)  # after listing: every listed file's run is in it
    report.problems += [_book_problem(data_dir, p.path, p.what) for p in report.books.problems]
    report.problems += _strangers(parts, report.books)
    for run in report.books.runs.values():
        report.problems += _missing(data_dir, run)
    for path in glob(data_dir / "raw", "*/*/*.jsonl.gz"):
        _check_raw(report, path)
    if not report.running:
        report.problems += temporaries(data_dir)
    return report


def part_files(data_dir: Location) -> list[tuple[Location, str]]:
    """Every finished Parquet file under ``tables/`` and ``staging/`` (parts of compacted
    runs too)."""
    return [
        (p, table)
        for table in schema.SNAPSHOT_TABLES
        for root in (TABLES_DIR, STAGING_DIR)
        for p in glob(data_dir / root / table, "instance=*/*.parquet")
        if not p.name.startswith(".")
    ]


def run_of(path: Location) -> str:
    """The run a part file belongs to, as file names spell it."""
    return path.stem.split("--")[0]


def _check_part(report: CheckReport, path: Location, table: str) -> None:
    try:
        problem = part_problem(path, table)
    except FileNotFoundError:
        return  # compacted away by a running run since it was listed
    report.checked += 1
    if problem is not None:
        fix = f"{REPAIR} (moves it to {QUARANTINE_DIR}/ and rebuilds its rows from raw/)"
        report.problems.append(Problem("part", path, problem, fix, table, run_of(path)))


def _book_problem(data_dir: Location, path: Location, what: str) -> Problem:
    if path.name == "state.json":
        fix = f"{REPAIR} (moves it to {QUARANTINE_DIR}/; the next collect crawls every thread once)"
        return Problem("state", path, what, fix)
    fix = f"{REPAIR} (moves it to {QUARANTINE_DIR}/ and leaves a note in its place)"
    return Problem("manifest", path, what, fix, run=path.stem)


def _strangers(parts: list[tuple[Location, str]], books: Books) -> Iterator[Problem]:
    for path, table in parts:
        run = run_of(path)
        if not books.known(run) and path.exists():
            what = f"a file of run {run}, which no manifest (runs/) nor state.json names"
            fix = (
                f"restore runs/{run}.json if you have it, or move the file out of tables/ "
                "if it does not belong there (repair leaves it alone)"
            )
            yield Problem("stranger", path, what, fix, table, run)


def _missing(data_dir: Location, run: RunNote) -> Iterator[Problem]:
    """A file for every instance the run says it wrote rows on."""
    wrote = {
        "posts": {t.instance for t in run.threads},
        "comments": {t.instance for t in run.threads if t.crawled and t.collected > 0},
    }
    for table, instances in wrote.items():
        for instance in sorted(instances):
            names = dict.fromkeys((host_dir(instance), safe_name(instance)))  # now, before
            directories = [
                data_dir / root / table / f"instance={n}"
                for n in names
                for root in (TABLES_DIR, STAGING_DIR)
            ]
            if any(_holds(data_dir, d, run.name) for d in directories):
                continue  # there, or repair moved it and said what was lost
            root = TABLES_DIR if run.finished else STAGING_DIR
            target = (
                data_dir / root / table / f"instance={host_dir(instance)}" / f"{run.name}.parquet"
            )
            source = run.source.relative_to(data_dir)
            what = (
                f"{source} says run {run.run_id} wrote {table} on {instance}, "
                "but there is no file of it"
            )
            fix = f"{REPAIR} to rebuild them from raw/"
            yield Problem("missing", target, what, fix, table, run.name)


def _holds(data_dir: Location, directory: Location, run: str) -> bool:
    """Whether a table's directory holds a file of ``run``, or repair moved one away."""
    moved = data_dir / QUARANTINE_DIR / directory.relative_to(data_dir)
    return any(directory.glob(f"{run}*.parquet")) or any(moved.glob(f"{run}*"))


def _check_raw(report: CheckReport, path: Location) -> None:
    try:
        scan = scan_raw(path)
    except FileNotFoundError:
        return
    report.checked += 1
    if scan.damaged:
        where = ", ".join(f"byte {b:,}" for b in scan.damaged[:3])
        what = (
            f"{len(scan.damaged)} damaged answer(s) (at {where}); {len(scan.records)} answers read"
        )
        fix = (
            f"{REPAIR} (moves the file to {QUARANTINE_DIR}/ and keeps the readable answers in "
            "its place); the tables are not affected"
        )
        report.problems.append(Problem("raw", path, what, fix, run=path.name.split(".")[0]))


def temporaries(data_dir: Location) -> list[Problem]:
    """Temporary files and spilled pages a killed writer left, as the next collect's
    lock sweeps them (an empty ``.spool/`` is what every finished run leaves, not a
    problem)."""
    what = "a temporary file left by a killed writer"
    fix = f"{REPAIR} (or the next collect) to remove it"
    found = [Problem("temporary", p, what, fix) for p in stray_temporaries(data_dir)]
    spool = data_dir / SPOOL_DIR
    if spool.is_dir() and any(p.is_file() for p in spool.rglob("*")):
        found.append(Problem("temporary", spool, "pages spilled by a killed crawl", fix))
    return found
