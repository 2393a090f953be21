"""Mending one table of one run on one instance: quarantine its damaged files, rebuild.

A **unit** is (table, instance, run): the damaged files ``check`` found there, or the
file a manifest or state.json says should be there and is not. Its damaged files are
moved to the quarantine first (fedithreads.storage.quarantine); then its rows are
derived again from the run's raw answers (fedithreads.storage.rebuild):

* a **finished** run (it has a manifest) is rebuilt whole, as its compacted file
  ``<run>.parquet``; a damaged part beside a healthy compacted file held nothing the
  compacted file lacks, and is only moved;
* the run **in progress** (state.json's, killed before its end) is rebuilt part by
  part, so that the resumed run finds what it left: a thread's own part
  (``thread-<id>``) from that thread's answers; a batch, the compacted file, or a file
  that is missing, from every thread state.json records as done, less the rows other
  parts of the run already hold (as ``<run>--repair-<n>.parquet``); a community's
  listing part is listed again by the resumed run and is only moved.

Where the raw archive cannot give the rows, the unit's files are still moved, and the
result says what is lost; no row is made up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from fedithreads.storage.atomic import host_dir
from fedithreads.storage.books import RunNote
from fedithreads.storage.objects import Location, glob
from fedithreads.storage.quarantine import quarantine
from fedithreads.storage.rebuild import (
    HostRows,
    comments_of,
    finished_posts,
    host_rows,
    posts_of,
    unavailable,
)
from fedithreads.storage.tables import KEYS, STAGING_DIR, TABLES_DIR, read_file, write_frame

_THREAD_PART = re.compile(r"--thread-([0-9]+)$")


@dataclass(slots=True)
class Unit:
    table: str
    host_dir: str
    run: str
    damaged: list[Location] = field(default_factory=list)
    moved: list[Location] = field(default_factory=list)
    """Where ``quarantine_damaged`` put each of ``damaged``."""

    def quarantine_damaged(self, data_dir: Location) -> None:
        """Move the damaged files aside (before any unit of the run is rebuilt)."""
        self.moved = [quarantine(data_dir, p) for p in self.damaged]

    def directory(self, data_dir: Location) -> Location:
        """Where the unit's finished run has its file (``tables/``)."""
        return data_dir / TABLES_DIR / self.table / f"instance={self.host_dir}"

    def staging(self, data_dir: Location) -> Location:
        """Where the unit's run in progress has its parts (``staging/``)."""
        return data_dir / STAGING_DIR / self.table / f"instance={self.host_dir}"


@dataclass(frozen=True, slots=True)
class Mended:
    """What mending a unit did: lines to print, and whether rows were lost."""

    lines: tuple[str, ...]
    lost: bool


@dataclass(frozen=True, slots=True)
class _Skip:
    """Nothing to write: why, and whether that loses rows."""

    why: str
    lost: bool


def mend(data_dir: Location, unit: Unit, run: RunNote | None, *, keep_raw: bool) -> Mended:
    """Quarantine the unit's damaged files and rebuild its rows (module docstring)."""
    if len(unit.moved) != len(unit.damaged):
        unit.quarantine_damaged(data_dir)
    moved = zip(unit.damaged, unit.moved, strict=True)
    lines = [f"{_rel(data_dir, p)}: moved to {_rel(data_dir, q)}" for p, q in moved]
    if not lines:
        lines = [f"{_rel(data_dir, unit.directory(data_dir) / unit.run)}*.parquet: missing"]
    if run is None:
        why = f"no manifest or state.json names run {unit.run}"
        return Mended((*lines, f"  not rebuilt: {why}"), True)
    raw, rows = host_rows(data_dir, unit.host_dir, run)
    built = _rows(data_dir, unit, run, rows)
    if isinstance(built, _Skip):
        return Mended((*lines, f"  not rebuilt: {built.why}"), built.lost)
    reason = unavailable(raw, unit.host_dir, run, keep_raw)
    if reason is not None:
        return Mended((*lines, "  not rebuilt: " + _loss(unit, run, reason)), True)
    frame, target = built
    if frame.is_empty():
        return Mended((*lines, "  nothing to rebuild: the raw answers hold no rows of it"), False)
    write_frame(frame, target)
    shown = _rel(data_dir, target)
    return Mended((*lines, f"  rebuilt {frame.height:,} rows from raw/ as {shown}"), False)


def _rows(
    data_dir: Location, unit: Unit, run: RunNote, rows: HostRows
) -> tuple[pl.DataFrame, Location] | _Skip:
    """The rows to write and where, or why there is nothing to write."""
    if unit.table not in ("posts", "comments"):
        why = f"{unit.table} rows are not derived from raw answers; the next collect asks again"
        return _Skip(why, True)
    compacted = unit.directory(data_dir) / f"{unit.run}.parquet"
    if not run.finished:
        return _resumable(data_dir, unit, run, rows)
    if compacted.exists():
        return _Skip(f"its rows are in {_rel(data_dir, compacted)}", False)
    if unit.table == "posts" and run.targets is None:
        why = "the run's manifest is lost, so which posts it kept is unknown"
        return _Skip(_loss(unit, run, why), True)
    frame = comments_of(rows) if unit.table == "comments" else finished_posts(rows, run)
    return frame, compacted


def _resumable(
    data_dir: Location, unit: Unit, run: RunNote, rows: HostRows
) -> tuple[pl.DataFrame, Location] | _Skip:
    """The run in progress: one part's rows, less what its other parts hold."""
    part = next((p for p in unit.damaged if "--" in p.stem), None)
    thread = _THREAD_PART.search(part.stem) if part is not None else None
    if part is not None and unit.table == "posts" and thread is None:
        return _Skip("the next collect resumes the run and lists the community again", False)
    if thread is not None:
        post_id = int(thread[1])
        frame = _thread_rows(unit.table, rows, post_id)
    else:
        frame = _done_rows(unit.table, rows, run)
    target = part if part is not None else _free_part(unit.staging(data_dir), unit.run)
    return _less_present(frame, unit, data_dir), target


def _thread_rows(table: str, rows: HostRows, post_id: int) -> pl.DataFrame:
    if table == "comments":
        return comments_of(rows, [post_id])
    post = rows.fetched.get(post_id)
    return posts_of({f"thread-{post_id}": [post] if post else []})


def _done_rows(table: str, rows: HostRows, run: RunNote) -> pl.DataFrame:
    """The rows of every thread state.json records as done on the instance."""
    done = [t for t in run.threads if t.instance == rows.instance]
    if table == "comments":
        return comments_of(rows, [t.post_id for t in done if t.crawled])
    fetched = {t.post_id: rows.fetched[t.post_id] for t in done if t.post_id in rows.fetched}
    return posts_of({f"thread-{i}": [p] for i, p in fetched.items()})


def _less_present(frame: pl.DataFrame, unit: Unit, data_dir: Location) -> pl.DataFrame:
    """``frame`` without the rows the run's other files on the instance already hold."""
    others = [
        p
        for d in (unit.directory(data_dir), unit.staging(data_dir))
        for p in glob(d, f"{unit.run}*.parquet")
    ]
    if frame.is_empty() or not others:
        return frame
    keys = KEYS[unit.table]
    present = pl.concat([read_file(p, columns=keys) for p in others])
    return frame.join(present, on=keys, how="anti", nulls_equal=True)


def _free_part(directory: Location, run: str) -> Location:
    n = 1
    while (directory / f"{run}--repair-{n}.parquet").exists():
        n += 1
    return directory / f"{run}--repair-{n}.parquet"


def _loss(unit: Unit, run: RunNote, reason: str) -> str:
    """One line: why the rows cannot be rebuilt, what is lost, what brings it back."""
    instances = sorted({t.instance for t in run.threads})
    on = next((i for i in instances if host_dir(i) == unit.host_dir), unit.host_dir)
    threads = [t for t in run.threads if t.instance == on]
    count = sum(t.collected for t in threads) if unit.table == "comments" else len(threads)
    what = "comments" if unit.table == "comments" else "posts"
    return (
        f"{reason}; run {run.run_id}'s snapshot of {count:,} {what} on {on} is lost "
        f"({len(threads):,} threads); the next `fedithreads collect --full` collects them again"
    )


def _rel(data_dir: Location, path: Location) -> str:
    return str(path.relative_to(data_dir))
