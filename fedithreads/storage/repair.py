"""``fedithreads repair``: mend what ``check`` finds, moving every damaged file aside.

Call it holding the run lock (the CLI takes it, as collect does). In order:

1. temporary files and a ``.spool/`` a killed writer left are removed;
2. an unreadable ``state.json`` is moved to the quarantine (the next collect then
   crawls every thread once, as on a first run);
3. an unreadable manifest is moved to the quarantine and a note takes its place
   (``status: unknown``), so its run's files stay known;
4. a raw archive file with damaged answers is moved to the quarantine and its readable
   answers are written back in its place (the quarantined copy marks the run's raw
   answers as incomplete: its tables are not rebuilt from them);
5. each table of each run and instance with a damaged or missing file is mended
   (fedithreads.storage.mend): damaged files to the quarantine, rows rebuilt from raw.

Files of runs no manifest or state.json names are left alone: only their owner knows
whether they belong. Nothing is deleted but temporaries; nothing printed holds a
secret (raw answers hold none: the client redacts tokens before they are archived).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field

from fedithreads.storage.atomic import SPOOL_DIR, save_atomic
from fedithreads.storage.books import lost_manifest, read_books
from fedithreads.storage.check import CheckReport, Problem, check_data_dir
from fedithreads.storage.mend import Unit, mend
from fedithreads.storage.objects import Location
from fedithreads.storage.quarantine import quarantine
from fedithreads.storage.raw import scan_raw


@dataclass(slots=True)
class RepairReport:
    """What repair did, line by line; ``lost`` counts what it could not rebuild or mend."""

    data_dir: Location
    lines: list[str] = field(default_factory=list)
    repaired: int = 0
    lost: int = 0

    def summary(self) -> str:
        if not (self.repaired or self.lost):
            return f"data dir {self.data_dir}: nothing to repair"
        left = f", {self.lost} not rebuilt or left alone (see above)" if self.lost else ""
        return f"data dir {self.data_dir}: {self.repaired} problem(s) repaired{left}"


def repair_data_dir(
    data_dir: Location, *, keep_raw: bool, swept: Sequence[Problem] = ()
) -> RepairReport:
    """Mend ``data_dir`` (the module docstring); the caller holds the run lock.

    ``swept``: temporary files found before the lock was taken (taking it removes them);
    those now gone are reported as removed."""
    found = check_data_dir(data_dir, running=False)
    report = RepairReport(data_dir)
    for problem in swept:
        if not problem.path.exists():
            _remove_temporary(data_dir, problem, report)
    for problem in found.problems:
        _FIRST.get(problem.kind, _later)(data_dir, problem, report)
    books = read_books(data_dir)  # again: state.json and manifests may have moved
    units = _units(found)
    for unit in units:
        unit.quarantine_damaged(data_dir)
    for unit in units:
        mended = mend(data_dir, unit, books.runs.get(unit.run), keep_raw=keep_raw)
        report.lines += mended.lines
        report.lost += mended.lost
        report.repaired += not mended.lost
    return report


def _remove_temporary(data_dir: Location, problem: Problem, report: RepairReport) -> None:
    path = problem.path
    if path.name == SPOOL_DIR:
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
    report.lines.append(f"{_rel(data_dir, path)}: removed ({problem.what})")
    report.repaired += 1


def _move_state(data_dir: Location, problem: Problem, report: RepairReport) -> None:
    moved = quarantine(data_dir, problem.path)
    report.lines.append(
        f"{_rel(data_dir, problem.path)}: moved to {_rel(data_dir, moved)} ({problem.what}); "
        "the next collect crawls every thread once"
    )
    report.repaired += 1


def _move_manifest(data_dir: Location, problem: Problem, report: RepairReport) -> None:
    moved = quarantine(data_dir, problem.path)
    shown = _rel(data_dir, moved)
    note = lost_manifest(problem.path.stem, shown)
    save_atomic(problem.path, lambda fh: fh.write(note))
    report.lines.append(
        f"{_rel(data_dir, problem.path)}: moved to {shown} ({problem.what}); a note in its "
        "place keeps the run known; its verdicts are lost, its tables are not affected"
    )
    report.repaired += 1


def _mend_raw(data_dir: Location, problem: Problem, report: RepairReport) -> None:
    scan = scan_raw(problem.path)
    moved = quarantine(data_dir, problem.path)
    if scan.members:
        whole = b"".join(scan.members)
        save_atomic(problem.path, lambda fh: fh.write(whole))
    report.lines.append(
        f"{_rel(data_dir, problem.path)}: moved to {_rel(data_dir, moved)}; its "
        f"{len(scan.records):,} readable answers are back in place, {len(scan.damaged)} "
        "damaged one(s) are lost (the run's tables are not rebuilt from this file)"
    )
    report.repaired += 1


def _later(data_dir: Location, problem: Problem, report: RepairReport) -> None:
    """Parts and missing files are mended by unit; strangers are left alone."""
    if problem.kind == "stranger":
        report.lines.append(f"{problem.line(data_dir)}")
        report.lost += 1


_FIRST = {
    "temporary": _remove_temporary,
    "state": _move_state,
    "manifest": _move_manifest,
    "raw": _mend_raw,
}


def _units(found: CheckReport) -> list[Unit]:
    """The units with a damaged or missing file: (table, instance, run) of a finished
    run; each file of the run in progress (its threads' own parts before the others,
    which are rebuilt less the rows those hold)."""
    units: dict[tuple[str, str, str, str], Unit] = {}
    for p in sorted(found.problems, key=_thread_parts_first):
        if p.kind not in ("part", "missing") or p.table is None or p.run is None:
            continue
        host_dir = p.path.parent.name.removeprefix("instance=")
        own = p.path.name if p.run in found.books.in_progress else ""
        key = (p.table, host_dir, p.run, own)
        unit = units.setdefault(key, Unit(p.table, host_dir, p.run))
        if p.kind == "part":
            unit.damaged.append(p.path)
    return list(units.values())


def _thread_parts_first(problem: Problem) -> bool:
    return "--thread-" not in problem.path.name


def _rel(data_dir: Location, path: Location) -> str:
    return str(path.relative_to(data_dir))
