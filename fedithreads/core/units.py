"""Durations and clocks: how config spells a span of time, and the time sources code takes.

A **duration** is a whole number and a unit, ``s``, ``m``, ``h``, ``d`` or ``w``
(``"30m"``, ``"1h"``, ``"7d"``): Polars' duration syntax with whole units only, so the same
string serves as a truncation width. Code that waits or stamps takes its ``Clock``,
``Sleep`` and ``Now`` as arguments, so tests pass fakes and never really wait.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from fedithreads.errors import UsageError

Clock = Callable[[], float]
"""Monotonic seconds (``time.monotonic``)."""
Sleep = Callable[[float], Awaitable[None]]
"""An awaitable sleep (``asyncio.sleep``)."""
Now = Callable[[], datetime]
"""The wall-clock time, UTC-aware (``utcnow``)."""

_DURATION = re.compile(r"^[1-9][0-9]*(s|m|h|d|w)$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def utcnow() -> datetime:
    """Now, UTC-aware."""
    return datetime.now(UTC)


def valid_duration(value: str) -> str:
    """``value`` if it is a duration, else a ValueError saying how to write one."""
    if not _DURATION.match(value):
        raise ValueError('must be a whole number and a unit s, m, h, d or w, e.g. "1h"')
    return value


def check_duration(value: str, flag: str) -> str:
    """Validate a duration given on the command line, or raise a UsageError naming it."""
    try:
        return valid_duration(value)
    except ValueError as exc:
        raise UsageError(f"{flag} {value!r}: {exc}") from None


def duration_seconds(value: str) -> int:
    """``"1h"`` → 3600."""
    return int(value[:-1]) * _SECONDS[value[-1]]
