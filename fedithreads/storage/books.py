"""The data dir's run bookkeeping, read as plain JSON: run manifests and state.json.

The collector writes them (fedithreads.collect.outcome, fedithreads.collect.state);
storage sits below the collector, so ``check`` and ``repair`` read the same files here
as documents: which runs exist, which threads each wrote on which instance, which run is
in progress. A file that is not JSON, or not shaped as the collector writes it, is noted
as a problem of that file, never raised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fedithreads.storage.atomic import safe_name
from fedithreads.storage.objects import Location, glob

STATE_FILE = "state.json"
"""The collector's bookkeeping (fedithreads.collect.state reads and writes it)."""
LOCK_FILE = ".lock"
"""Held by a run for its whole length (fedithreads.collect.state.RunLock)."""
RUNS_DIR = "runs"
"""Where each run's manifest goes (fedithreads.collect.outcome)."""
SHARDS_DIR = "shards"
"""Where each shard of ``collect --shard I/N`` keeps its own state.json and lock."""
LOST_KEY = "manifest_lost"
"""The key of the note ``repair`` leaves in place of a manifest it moved to quarantine."""


@dataclass(frozen=True, slots=True)
class ThreadNote:
    """What a manifest or state.json says one thread of a run did."""

    instance: str
    post_id: int
    crawled: bool
    collected: int
    error: str | None


@dataclass(frozen=True, slots=True)
class TargetNote:
    """One target of a finished run: its key (``community:host:name``, ``post:…``) and
    the threads it kept."""

    key: str
    threads: tuple[ThreadNote, ...]


@dataclass(frozen=True, slots=True)
class RunNote:
    """One run as its manifest (finished) or state.json (in progress) describes it."""

    run_id: str
    finished: bool
    source: Location
    threads: tuple[ThreadNote, ...]
    targets: tuple[TargetNote, ...] | None
    """``None`` when the run's targets are not known (in progress, or a lost manifest)."""

    @property
    def name(self) -> str:
        """The run as file names spell it."""
        return safe_name(self.run_id)


@dataclass(frozen=True, slots=True)
class BookProblem:
    """A manifest or state.json that cannot be read, and why."""

    path: Location
    what: str


@dataclass(slots=True)
class Books:
    """Every run the data dir's bookkeeping knows, by file-name spelling of its id."""

    runs: dict[str, RunNote] = field(default_factory=dict)
    problems: list[BookProblem] = field(default_factory=list)
    in_progress: set[str] = field(default_factory=set)
    """The runs state.json (and each shard's) says are under way (or were killed), as file
    names spell them."""

    def known(self, run_name: str) -> bool:
        """Whether some manifest or state.json names the run (unreadable manifests
        included: their files are not strangers)."""
        return run_name in self.runs or any(p.path.stem == run_name for p in self.problems)


def shard_dir(data_dir: Location, index: int, count: int) -> Location:
    """Where shard ``index`` of ``count`` keeps its state.json and lock."""
    return data_dir / SHARDS_DIR / f"{index}-of-{count}"


def read_books(data_dir: Location) -> Books:
    """The manifests under ``runs/`` and the run in progress of state.json (and of each
    shard's state.json)."""
    books = Books()
    for path in glob(data_dir / RUNS_DIR, "*.json"):
        _add(books, path, _manifest)
    for state in [data_dir / STATE_FILE, *glob(data_dir / SHARDS_DIR, f"*/{STATE_FILE}")]:
        if state.is_file():
            _add(books, state, _state_run)
    return books


def _add(books: Books, path: Location, read: Any) -> None:
    try:
        doc = json.loads(path.read_bytes())
    except FileNotFoundError:
        return
    except (OSError, ValueError, RecursionError) as exc:
        books.problems.append(BookProblem(path, f"not valid JSON ({_short(exc)})"))
        return
    try:
        note = read(path, doc)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        books.problems.append(BookProblem(path, f"not shaped as fedithreads writes it ({exc})"))
        return
    if note is None:
        return
    books.runs[note.name] = note
    if not note.finished:
        books.in_progress.add(note.name)


def _manifest(path: Location, doc: dict[str, Any]) -> RunNote:
    run_id = _text(doc["run_id"])
    if LOST_KEY in doc:
        return RunNote(run_id, True, path, (), None)
    targets = tuple(
        TargetNote(_text(t["key"]), tuple(_thread(x) for x in t["threads"])) for t in doc["targets"]
    )
    threads = tuple(x for t in targets for x in t.threads)
    return RunNote(run_id, True, path, threads, targets)


def _state_run(path: Location, doc: dict[str, Any]) -> RunNote | None:
    if not isinstance(doc.get("threads", {}), dict):
        raise TypeError("threads is not an object")
    run = doc.get("run")
    if run is None:
        return None
    done = run["done"].values()
    threads = tuple(_thread(x) for x in done if isinstance(x, dict) and "post_id" in x)
    return RunNote(_text(run["run_id"]), False, path, threads, None)


def _thread(doc: dict[str, Any]) -> ThreadNote:
    post_id, collected = doc["post_id"], doc.get("collected", 0)
    if not (isinstance(post_id, int) and isinstance(collected, int)):
        raise TypeError(f"post_id {post_id!r} or collected {collected!r} is not a number")
    error = doc.get("error")
    return ThreadNote(
        _text(doc["instance"]), post_id, bool(doc["crawled"]), collected, _opt_text(error)
    )


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not a string")
    return value


def _opt_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if len(text) <= 100 else text[:99] + "…"


def lost_manifest(run_id: str, quarantined: str) -> bytes:
    """The note ``repair`` writes in place of an unreadable manifest it moved aside."""
    doc = {
        "run_id": run_id,
        "status": "unknown",
        LOST_KEY: f"the manifest was unreadable; repair moved it to {quarantined}",
        "targets": [],
    }
    return json.dumps(doc, indent=1).encode()
