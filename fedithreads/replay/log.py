"""The replay server's request log: what was asked and how it was answered, for tests.

Every request becomes one ``LoggedRequest`` (monotonic time, path, query parameters,
status, outcome). Outcomes: ``ok``, ``error`` (an API error document), ``rate_limited``,
``fault:<kind>``, ``crash`` (an exception in the server: a bug). Safe across threads.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """One answered (or dropped: ``status`` None) request."""

    time: float
    path: str
    params: Mapping[str, str]
    status: int | None
    outcome: str


class RequestLog:
    """An append-only, thread-safe list of ``LoggedRequest`` with counting helpers."""

    def __init__(self) -> None:
        self._entries: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def add(self, entry: LoggedRequest) -> None:
        """Record one request."""
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LoggedRequest]:
        """A copy of every entry, oldest first."""
        with self._lock:
            return list(self._entries)

    def reset(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()

    def count(self, path_prefix: str = "", *, outcome: str | None = None) -> int:
        """How many requests had a path starting with ``path_prefix`` (and ``outcome``)."""
        return len(self.matching(path_prefix, outcome=outcome))

    def matching(self, path_prefix: str = "", *, outcome: str | None = None) -> list[LoggedRequest]:
        """The entries with a path starting with ``path_prefix`` (and that ``outcome``)."""
        return [
            e
            for e in self.entries()
            if e.path.startswith(path_prefix) and (outcome is None or e.outcome == outcome)
        ]

    def outcomes(self) -> list[str]:
        """Every entry's outcome, oldest first."""
        return [e.outcome for e in self.entries()]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


__all__ = ["LoggedRequest", "RequestLog"]
