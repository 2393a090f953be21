"""The run lock of a data dir in object storage: a lease, taken and kept by conditional writes.

There is no ``flock`` across machines. A run takes ``<data_dir>/.lock`` by creating it
with ``If-None-Match: *``: of two runs starting at once, exactly one PUT succeeds. The
object says who holds it and until when (``seconds`` from now, 10 minutes by default).
While the run lasts, a thread renews it every third of that with ``If-Match`` on the
version the run wrote last, so the lease never lapses under a live run, and a run that
finds its version replaced knows it lost the lease (``ensure_held`` then stops it before
its next write of bookkeeping).

A run killed without letting go (SIGKILL, a machine that vanished) leaves its lease
behind, and other runs find it held until it expires: then the next run takes it over,
again with ``If-Match`` on the expired version it read, so of two runs that find it
expired only one gets it. Expiry is judged by the clocks of the machines, so they must
agree to well within the lease (NTP keeps them within a second).
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fedithreads.core.units import utcnow
from fedithreads.errors import LockHeldError, StoreError
from fedithreads.storage.objects import ObjectPath

Now = Callable[[], datetime]


class Lease:
    """``lease.acquire()`` … ``lease.release()``: one run's hold on a data dir."""

    def __init__(
        self,
        path: ObjectPath,
        seconds: float,
        *,
        now: Now = utcnow,
        renew: bool = True,
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        """``renew=False``: no renewing thread (tests renew by hand). ``wait(seconds)``:
        how the thread waits between renewals, True when it should stop (tests pass a
        fake; by default the release's event, waited for with a timeout)."""
        self.path = path
        self.seconds = seconds
        self.now = now
        self.holder = f"{socket.gethostname()} pid {os.getpid()}"
        self._etag: str | None = None
        self._until: datetime | None = None
        self._auto = renew
        self._stop = threading.Event()
        self._wait = wait or self._stop.wait
        self._lost = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> None:
        """Take the lease, or raise LockHeldError naming who holds it and until when."""
        etag = self.path.put_new(self._document())
        if etag is None:
            etag = self._take_over()
        self._etag = etag
        if self._auto:
            self._thread = threading.Thread(target=self._keep, name="fedithreads-lease")
            self._thread.daemon = True
            self._thread.start()

    def renew(self) -> bool:
        """Extend the lease; False when another run has replaced it (it is lost then)."""
        if self._etag is None or self._lost.is_set():
            return False
        etag = self.path.put_over(self._document(), self._etag)
        if etag is None:
            self._lost.set()
            return False
        self._etag = etag
        return True

    def ensure_held(self) -> None:
        """Raise StoreError when the lease was lost: another run holds the data dir."""
        if self._lost.is_set() or (self._until is not None and self.now() >= self._until):
            raise StoreError(
                f"{self.path}: this run lost its lease (it was not renewed in time, and another "
                "run may hold the data dir now); it stops here, and the next run resumes it"
            )

    def release(self) -> None:
        """Stop renewing and delete the lease, if it is still this run's."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._etag is not None and not self._lost.is_set() and self.path.etag() == self._etag:
            self.path.unlink(missing_ok=True)
        self._etag = None

    def _document(self) -> bytes:
        self._until = self.now() + timedelta(seconds=self.seconds)
        doc = {"holder": self.holder, "expires_at": self._until.isoformat()}
        return json.dumps(doc).encode()

    def _take_over(self) -> str:
        """The lease another run left: taken when it has expired, else LockHeldError."""
        held = read_lease(self.path)
        if held is None:  # let go between our PUT and our read: try once more
            etag = self.path.put_new(self._document())
            if etag is not None:
                return etag
            held = read_lease(self.path)
        if held is not None and held.expires_at > self.now():
            raise LockHeldError(
                f"{self.path}: another run holds the lease ({held.holder}) until "
                f"{held.expires_at:%Y-%m-%d %H:%M:%S} UTC; nothing was done"
            )
        etag = self.path.put_over(self._document(), held.etag) if held is not None else None
        if etag is None:
            raise LockHeldError(
                f"{self.path}: another run took the lease just now; nothing was done"
            )
        return etag

    def _keep(self) -> None:
        """Renew every third of the lease until released or lost; a renewal that fails
        on the network is tried again at the next turn (the lease still runs meanwhile)."""
        while not self._wait(self.seconds / 3) and not self._stop.is_set():
            try:
                if not self.renew():
                    return
            except StoreError:
                continue


class Held:
    """A lease as read: its holder, its expiry and its version."""

    def __init__(self, holder: str, expires_at: datetime, etag: str) -> None:
        self.holder = holder
        self.expires_at = expires_at
        self.etag = etag


def read_lease(path: ObjectPath) -> Held | None:
    """The lease at ``path``, or None when there is none. A lease whose document
    cannot be read is taken to name no holder and to have expired."""
    try:
        data, etag = path.read_versioned()
    except FileNotFoundError:
        return None
    if etag is None:
        return None
    try:
        doc = json.loads(data)
        return Held(str(doc["holder"]), datetime.fromisoformat(doc["expires_at"]), etag)
    except (ValueError, KeyError, TypeError):
        return Held("an unreadable lease", datetime.min.replace(tzinfo=UTC), etag)


def lease_held(path: ObjectPath, now: Now = utcnow) -> bool:
    """Whether a run holds the lease at ``path`` now."""
    held = read_lease(path)
    return held is not None and held.expires_at > now()
