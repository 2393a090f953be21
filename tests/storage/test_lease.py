"""The run lock of a data dir in object storage: a lease on a real S3 API (moto)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fedithreads.errors import LockHeldError, StoreError
from fedithreads.storage import lease as lease_module
from fedithreads.storage.lease import Lease, lease_held, read_lease
from fedithreads.storage.objects import ObjectPath
from tests.conftest import S3
from tests.storage.test_objects import data_dir

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Clock:
    """A wall clock the test moves."""

    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at


def lock_of(s3: S3) -> ObjectPath:
    return data_dir(s3.url()) / ".lock"


def test_a_second_run_finds_the_lease_held_and_names_its_holder(s3: S3) -> None:
    """While a run holds the lease, another gets LockHeldError (exit 75) with the holder
    and the expiry, and the first run's lease is untouched."""
    clock = Clock()
    first = Lease(lock_of(s3), 600, now=clock, renew=False)
    first.acquire()
    before = lock_of(s3).read_bytes()

    with pytest.raises(LockHeldError, match=r"another run holds the lease \(.* pid \d+\)") as e:
        Lease(lock_of(s3), 600, now=clock, renew=False).acquire()

    assert e.value.exit_code == 75
    assert "until 2026-12-01 12:10:00 UTC; nothing was done" in str(e.value)
    assert lock_of(s3).read_bytes() == before
    assert lease_held(lock_of(s3), now=clock)


def test_a_killed_runs_lease_blocks_until_it_expires_then_is_taken_over(s3: S3) -> None:
    """A run that never let go (killed) holds the data dir for ``seconds``; after that
    the next run takes the lease over."""
    clock = Clock()
    Lease(lock_of(s3), 600, now=clock, renew=False).acquire()  # never released

    clock.at = T0 + timedelta(seconds=599)
    with pytest.raises(LockHeldError):
        Lease(lock_of(s3), 600, now=clock, renew=False).acquire()
    clock.at = T0 + timedelta(seconds=601)
    later = Lease(lock_of(s3), 600, now=clock, renew=False)
    later.acquire()

    held = read_lease(lock_of(s3))
    assert held is not None
    assert held.expires_at == T0 + timedelta(seconds=1201)
    later.ensure_held()


def test_of_two_runs_finding_the_lease_expired_only_one_takes_it(
    s3: S3, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both read the same expired version; the second's If-Match fails: LockHeldError."""
    clock = Clock()
    Lease(lock_of(s3), 600, now=clock, renew=False).acquire()
    clock.at = T0 + timedelta(hours=1)
    stale = read_lease(lock_of(s3))
    monkeypatch.setattr(lease_module, "read_lease", lambda _path: stale)  # both read it

    Lease(lock_of(s3), 600, now=clock, renew=False).acquire()
    with pytest.raises(LockHeldError, match="another run took the lease just now"):
        Lease(lock_of(s3), 600, now=clock, renew=False).acquire()


def test_renewals_keep_the_lease_and_a_replaced_lease_is_lost(s3: S3) -> None:
    """Each renewal moves the expiry on; once another run has replaced the lease, the
    renewal fails and ensure_held stops the run."""
    clock = Clock()
    held = Lease(lock_of(s3), 600, now=clock, renew=False)
    held.acquire()
    clock.at = T0 + timedelta(seconds=500)

    assert held.renew()
    renewed = read_lease(lock_of(s3))
    assert renewed is not None
    assert renewed.expires_at == T0 + timedelta(seconds=1100)
    lock_of(s3).write_bytes(
        b'{"holder": "someone else", "expires_at": "2030-01-01T00:00:00+00:00"}'
    )
    assert not held.renew()
    with pytest.raises(StoreError, match="this run lost its lease"):
        held.ensure_held()


def test_a_lease_not_renewed_in_time_stops_the_run(s3: S3) -> None:
    """Past its own expiry (the renewals failed), a run no longer trusts its lease."""
    clock = Clock()
    held = Lease(lock_of(s3), 600, now=clock, renew=False)
    held.acquire()
    clock.at = T0 + timedelta(seconds=600)

    with pytest.raises(StoreError, match="this run lost its lease"):
        held.ensure_held()


def test_the_renewing_thread_renews_every_third_of_the_lease(s3: S3) -> None:
    """The thread waits a third of the lease between renewals, until released."""
    clock = Clock()
    waited: list[float] = []

    def wait(seconds: float) -> bool:
        waited.append(seconds)
        clock.at += timedelta(seconds=seconds)
        return len(waited) > 3

    held = Lease(lock_of(s3), 600, now=clock, wait=wait)
    held.acquire()
    assert held._thread is not None
    held._thread.join(timeout=10)
    expiry = read_lease(lock_of(s3))
    held.release()

    assert waited == [200.0, 200.0, 200.0, 200.0]
    assert expiry is not None
    assert expiry.expires_at == T0 + timedelta(seconds=600 + 3 * 200)
    assert not lock_of(s3).exists()


def test_release_deletes_only_the_runs_own_lease(s3: S3) -> None:
    """A run that lost its lease leaves the new holder's lease in place."""
    clock = Clock()
    held = Lease(lock_of(s3), 600, now=clock, renew=False)
    held.acquire()
    lock_of(s3).write_bytes(
        b'{"holder": "the next run", "expires_at": "2030-01-01T00:00:00+00:00"}'
    )

    held.release()

    held_now = read_lease(lock_of(s3))
    assert held_now is not None
    assert held_now.holder == "the next run"


def test_state_in_a_bucket_is_never_written_over_another_runs(s3: S3) -> None:
    """state.json is replaced only at the version this run read or wrote: after another
    run has written it (this run's lease lapsed and was taken over), saving is a
    StoreError and the other run's state stays."""
    from fedithreads.collect.state import State, ThreadSeen

    root = data_dir(s3.url())
    mine = State.load(root)
    mine.save(root)
    theirs = State.load(root)
    theirs.threads["h/1"] = ThreadSeen(3, None, "2026-12-01T00:00:00+00:00", True)
    theirs.save(root)

    with pytest.raises(StoreError, match="changed by another run since this run read it"):
        mine.save(root)

    assert State.load(root).threads == theirs.threads
    mine.etag = State.load(root).etag
    mine.save(root)  # a run that reads it again may write
