"""The run's record of finished threads: saved by a worker thread between two of its
own saves, never going back to older news, and a failure there not lost."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fedithreads.collect.ledger import Finished, Ledger
from fedithreads.collect.state import State, ThreadSeen
from fedithreads.errors import StoreError
from fedithreads.storage.objects import Location
from tests.fakes import FakeClock


def ledger_at(tmp_path: Path, clock: FakeClock) -> tuple[Ledger, State]:
    state = State()
    run, _ = state.begin(datetime(2026, 12, 1, tzinfo=UTC))
    return Ledger(tmp_path, state, run, clock), state


def done(text: bytes) -> int:
    """How many threads a state.json's bytes record as done."""
    return len(json.loads(text)["run"]["done"])


def finished(key: str) -> Finished:
    return Finished(key, {"key": key}, ThreadSeen(3, None, "2026-12-01T00:00:00", True))


def test_a_commit_leaves_its_save_to_the_worker_and_the_next_save_comes_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``commit`` returns while its save is still being written (held here until the
    test lets it go); ``save`` waits for it and writes after it: state.json ends with
    every thread, never with the older news."""
    clock = FakeClock()
    ledger, state = ledger_at(tmp_path, clock)
    release, writing = threading.Event(), threading.Event()
    real_write = State.write
    order: list[int] = []

    def write(self: State, books: Location, text: bytes) -> None:
        if not order:
            writing.set()
            assert release.wait(10)
        order.append(done(text))
        real_write(self, books, text)

    monkeypatch.setattr(State, "write", write)
    ledger.commit([finished("a/1")])
    assert writing.wait(10)  # the save is under way, and commit has returned
    ledger.commit([finished("a/2")])  # within the interval: no save of its own
    saving = threading.Thread(target=ledger.save)
    saving.start()
    saving.join(0.2)
    assert saving.is_alive()  # save waits for the save under way
    release.set()
    saving.join(10)
    ledger.close()

    assert order == [1, 2]
    assert set(State.load(tmp_path).run.done) == {"a/1", "a/2"}  # type: ignore[union-attr]
    assert state.run is not None


def test_a_save_that_failed_in_the_worker_is_raised_by_the_next_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit's save failing (a full disk) stops the run at its next save, with the
    store's own error, not a lost record."""
    clock = FakeClock()
    ledger, _ = ledger_at(tmp_path, clock)

    def full(self: State, books: Location, text: bytes) -> None:
        raise StoreError("disk full writing state.json; free space and re-run")

    monkeypatch.setattr(State, "write", full)
    ledger.commit([finished("a/1")])
    monkeypatch.undo()
    with pytest.raises(StoreError, match="disk full"):
        ledger.save()
    ledger.close()


def test_commits_within_the_interval_save_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At most one save a ``SAVE_INTERVAL``: the first commit saves, the next ones not
    until the interval has passed."""
    clock = FakeClock()
    ledger, _ = ledger_at(tmp_path, clock)
    writes: list[bytes] = []
    real_write = State.write

    def write(self: State, books: Location, text: bytes) -> None:
        writes.append(text)
        real_write(self, books, text)

    monkeypatch.setattr(State, "write", write)
    ledger.commit([finished("a/1")])
    ledger.commit([finished("a/2")])
    clock.t += Ledger.SAVE_INTERVAL
    ledger.commit([finished("a/3")])
    ledger.close()

    assert [done(w) for w in writes] == [1, 3]
