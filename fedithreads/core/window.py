"""Date windows: which posts (and moderation actions) a target covers, by when they were
published.

A ``Window`` runs from ``since`` (included) to ``until`` (left out); either end may be
open. A bound is written as a date (``2026-01-01``, midnight UTC), a date and time
(``2026-01-01T12:00``, ``…Z`` or ``…+02:00``; without an offset it is UTC), or a span back
from now (``7d``, ``12h``, ``2w``: a duration, see ``core.units``). ``read_bound`` turns
one into a UTC time or raises ``WindowProblem`` (what is wrong, and the fix); whoever read
the text names the flag or the seed key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from fedithreads.core.units import duration_seconds

_SPAN = re.compile(r"^[1-9][0-9]{0,5}(s|m|h|d|w)$")
FIX = "write a date (2026-01-01), a date and time (2026-01-01T12:00Z) or a span back from now (7d)"


class WindowProblem(ValueError):
    """Why a bound or a window is refused, what to do, and which bound (``since`` or
    ``until``) the message should name."""

    def __init__(self, problem: str, fix: str = FIX, bound: str = "since") -> None:
        super().__init__(f"{problem}; {fix}")
        self.problem = problem
        self.fix = fix
        self.bound = bound


@dataclass(frozen=True, slots=True)
class Window:
    """Published at or after ``since`` and before ``until`` (``None``: open)."""

    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise WindowProblem(
                f"the window starts ({_shown(self.since)}) at or after its end "
                f"({_shown(self.until)})",
                "give a start before the end",
            )

    def holds(self, when: datetime) -> bool:
        """Whether ``when`` falls inside the window."""
        return (self.since is None or when >= self.since) and (
            self.until is None or when < self.until
        )

    def passed(self, when: datetime) -> bool:
        """Whether ``when`` lies before the window's start: a listing newest first that
        reaches it has nothing more for the window."""
        return self.since is not None and when < self.since

    def describe(self) -> str:
        """``2026-01-01 → 2026-02-01`` (an open end is ``…``)."""
        start = _shown(self.since) if self.since else "…"
        return f"{start} → {_shown(self.until) if self.until else '…'}"


def read_bound(value: object, now: datetime) -> datetime:
    """A window bound as a UTC time: a string as the module says, or a TOML date or
    date-time (seed files)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str):
        raise WindowProblem(f"must be a date or a span, not {type(value).__name__}")
    text = value.strip()
    if _SPAN.match(text):
        return now - timedelta(seconds=duration_seconds(text))
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise WindowProblem(f"{text[:40]!r} is not a date") from None
    return read_bound(parsed if "T" in text or " " in text else parsed.date(), now)


def read_window(since: object, until: object, now: datetime) -> Window | None:
    """The window of two bounds as given (``None``: that end open), or None when both are
    open; a WindowProblem names the bound at fault."""
    if since is None and until is None:
        return None
    bounds: dict[str, datetime | None] = {"since": None, "until": None}
    for name, value in (("since", since), ("until", until)):
        if value is not None:
            try:
                bounds[name] = read_bound(value, now)
            except WindowProblem as exc:
                raise WindowProblem(exc.problem, exc.fix, name) from None
    return Window(bounds["since"], bounds["until"])


def _shown(when: datetime) -> str:
    """A bound as a user wrote it: the date alone at midnight, else to the second."""
    if (when.hour, when.minute, when.second, when.microsecond) == (0, 0, 0, 0):
        return when.date().isoformat()
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")
