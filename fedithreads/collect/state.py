"""The data dir's run bookkeeping: the lock, incremental state, resumable runs.

* ``RunLock``: an exclusive ``flock`` on ``<data_dir>/.lock`` held for the whole run. The
  kernel drops it when the process dies, even by SIGKILL, so a killed run never leaves a
  lock behind; a second run meanwhile gets LockHeldError (exit 75) at once. In object
  storage the lock is a lease (fedithreads.storage.lease): a killed run's lease blocks
  the next runs until it expires. A shard of ``collect --shard I/N`` has a lock and a
  state.json of its own, under ``shards/I-of-N/``.
* ``State`` (``state.json``, written atomically): what each thread looked like when last
  crawled (the server's ``comments`` and ``newest_comment_time``), and the run in
  progress with the threads it has finished. A run killed half-way is resumed under the
  same run id: finished threads are not fetched again, and every thread ends with
  exactly one snapshot for the run.
* ``State.servers``: the software, dialect and version each host ran when last seen.
  Local ids mean something only to the software that gave them, so when a host turns
  out to run other software (or another dialect) than last time, ``note_server`` forgets
  every thread seen there: each is collected afresh instead of being compared with
  counts from a different server.

Taking the lock also sweeps temporary files a killed writer left behind. A data dir
that cannot be created or written is a StoreError naming the path, never a traceback.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from fedithreads.errors import LockHeldError, StoreError
from fedithreads.storage.atomic import save_atomic, sweep_temporaries
from fedithreads.storage.books import LOCK_FILE, STATE_FILE
from fedithreads.storage.lease import Lease
from fedithreads.storage.objects import Location, ObjectPath


class RunLock:
    """``with RunLock(data_dir):`` — exclusive for one run, released by the kernel on death
    (in object storage: a lease that lapses ``lease_seconds`` after a killed run).

    ``books``: where the lock lives, a shard's directory or the data dir itself. Only a
    run holding the data dir's own lock sweeps what killed writers left in it: shards
    share the tables and the spool, which another shard may be writing."""

    def __init__(
        self, data_dir: Location, *, books: Location | None = None, lease_seconds: float = 600.0
    ) -> None:
        self.data_dir = data_dir
        books = data_dir if books is None else books
        self.path = books / LOCK_FILE
        self.sweeps = books == data_dir
        self.lease = Lease(self.path, lease_seconds) if isinstance(self.path, ObjectPath) else None
        self._fh: IO[str] | None = None

    def ensure_held(self) -> None:
        """Raise StoreError if the lease was lost (never, for a lock on a disk)."""
        if self.lease is not None:
            self.lease.ensure_held()

    def __enter__(self) -> RunLock:
        if self.lease is not None:
            self.lease.acquire()
            return self
        assert isinstance(self.path, Path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fh = self.path.open("a+", encoding="utf-8")
        except OSError as exc:
            raise StoreError(
                f"{self.path}: cannot create the lock file ({exc.strerror or exc}); "
                "check that the data dir exists and is writable"
            ) from None
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read(200).strip().splitlines()[:1] or ["another process"]
            fh.close()
            raise LockHeldError(
                f"{self.path}: another run holds the lock ({holder[0]}); nothing was done"
            ) from None
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()}\n")
            fh.flush()
        except OSError:
            pass  # the pid is only a courtesy for the message above; the flock is held
        self._fh = fh
        if self.sweeps:
            sweep_temporaries(self.data_dir)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.lease is not None:
            self.lease.release()
        if self._fh is not None:
            try:
                self._fh.seek(0)
                self._fh.truncate()
            except OSError:
                pass
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


def new_run_id(now: datetime) -> str:
    """Sortable and unique: ``20261127T201500Z-3f2a9c``."""
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


@dataclass(slots=True)
class ThreadSeen:
    """A thread as the last crawl saw it."""

    comments: int
    newest_comment_time: str | None
    crawled_at: str
    complete: bool


@dataclass(slots=True)
class RunInProgress:
    run_id: str
    started_at: str
    done: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Finished work of this run by key (a thread or a listing), with its summary."""
    pending: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    """Batches being written: part name → thread key → {"outcome", "seen"}. Recorded
    before the part is written, so that a resumed run can tell whether it was."""


@dataclass(slots=True)
class ServerSeen:
    """What a host ran when last seen, and what its page limit turned out to be there."""

    software: str
    dialect: str
    version: str
    page_ceiling: int | None = None
    """The last page a crawl was answered before the host refused the next one."""
    pages_beyond: int | None = None
    """The furthest page answered past the ceiling expected of the host: no wall there."""


@dataclass(slots=True)
class State:
    threads: dict[str, ThreadSeen] = field(default_factory=dict)
    run: RunInProgress | None = None
    servers: dict[str, ServerSeen] = field(default_factory=dict)
    etag: str | None = field(default=None, compare=False)
    """In object storage: the version of state.json this run read or wrote last. Each
    save replaces only that version (``If-Match``), so a run whose lease another run has
    taken over cannot overwrite the newer run's state."""

    @classmethod
    def load(cls, books: Location) -> State:
        """The state.json in ``books`` (the data dir, or a shard's directory)."""
        path = books / STATE_FILE
        try:
            data, etag = path.read_versioned() if isinstance(path, ObjectPath) else (None, None)
            raw = json.loads(data if data is not None else path.read_bytes())
            threads = {k: ThreadSeen(**v) for k, v in raw.get("threads", {}).items()}
            run = RunInProgress(**raw["run"]) if raw.get("run") else None
            servers = {k: ServerSeen(**v) for k, v in (raw.get("servers") or {}).items()}
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise StoreError(
                f"{path}: unreadable state ({exc}); move it aside to start afresh "
                "(the next run then re-collects every thread once)"
            ) from None
        return cls(threads, run, servers, etag)

    def save(self, books: Location) -> None:
        self.write(books, self.encode())

    def encode(self) -> bytes:
        """state.json's bytes as the state is now (``write`` can write them later)."""
        doc = {
            "version": 1,
            "threads": {k: _plain(v) for k, v in sorted(self.threads.items())},
            "run": _plain(self.run) if self.run else None,
            "servers": {k: _plain(v) for k, v in sorted(self.servers.items())},
        }
        return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()  # C encoder

    def write(self, books: Location, text: bytes) -> None:
        """Write ``text`` (from ``encode``) as state.json in ``books``, atomically."""
        path = books / STATE_FILE
        if isinstance(path, ObjectPath):
            self._replace(path, text)
        else:
            save_atomic(path, lambda fh: fh.write(text))

    def _replace(self, path: ObjectPath, text: bytes) -> None:
        """Write state.json in object storage over the version last seen, and only that."""
        etag = path.put_new(text) if self.etag is None else path.put_over(text, self.etag)
        if etag is None:
            raise StoreError(
                f"{path}: changed by another run since this run read it (this run's lease "
                "lapsed and another took the data dir over); this run stops without writing "
                "its state, and the next run resumes it"
            )
        self.etag = etag

    def note_server(self, host: str, software: str, dialect: str, version: str) -> bool:
        """Record what ``host`` runs now. When its software or dialect differs from what
        was seen last time, forget every thread of the host (their ids and counts came
        from another server) and return True."""
        seen = self.servers.get(host)
        now = ServerSeen(software, dialect, version)
        if seen is not None and (seen.software, seen.dialect, seen.version) == (
            software,
            dialect,
            version,
        ):
            now = seen  # what its page limit turned out to be still holds
        self.servers[host] = now
        if seen is None or (seen.software, seen.dialect) == (software, dialect):
            return False
        prefix = f"{host}/"
        self.threads = {k: v for k, v in self.threads.items() if not k.startswith(prefix)}
        return True

    def page_limits(self, host: str, expected: int | None) -> tuple[int | None, int | None]:
        """``(hint, ceiling)`` for crawling ``host``: a ceiling met before (at this software
        and version) is a wall; else ``expected`` (from the version or config) is a hint
        to probe, unless a page past it was answered before."""
        seen = self.servers.get(host)
        if seen is not None and seen.page_ceiling:
            return None, seen.page_ceiling
        if seen is not None and expected and (seen.pages_beyond or 0) > expected:
            return None, None
        return expected, None

    def note_page_limits(self, host: str, ceiling: int | None, beyond: int | None) -> None:
        """Remember a ceiling a crawl met on ``host``, or a page answered past the one
        expected; the newer observation wins."""
        seen = self.servers.get(host)
        if seen is None:
            return
        if ceiling:
            seen.page_ceiling, seen.pages_beyond = ceiling, None
        elif beyond:
            seen.pages_beyond = max(seen.pages_beyond or 0, beyond)
            if seen.page_ceiling and seen.page_ceiling < beyond:
                seen.page_ceiling = None

    def begin(self, now: datetime) -> tuple[RunInProgress, bool]:
        """The run to do: the interrupted one if there is one (True), else a new one."""
        if self.run is not None:
            return self.run, True
        self.run = RunInProgress(new_run_id(now), now.isoformat())
        return self.run, False


def _plain(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}
