"""Date windows: how bounds are written, and what a window holds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from fedithreads.core.window import Window, WindowProblem, read_bound, read_window

NOW = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-01", datetime(2026, 1, 1, tzinfo=UTC)),
        ("2026-01-01T12:00", datetime(2026, 1, 1, 12, tzinfo=UTC)),
        ("2026-01-01T12:00Z", datetime(2026, 1, 1, 12, tzinfo=UTC)),
        ("2026-01-01T12:00+02:00", datetime(2026, 1, 1, 10, tzinfo=UTC)),
        ("7d", datetime(2026, 3, 3, 15, 30, tzinfo=UTC)),
        ("12h", datetime(2026, 3, 10, 3, 30, tzinfo=UTC)),
        ("2w", datetime(2026, 2, 24, 15, 30, tzinfo=UTC)),
        (date(2026, 1, 2), datetime(2026, 1, 2, tzinfo=UTC)),
        (datetime(2026, 1, 2, 3, 4), datetime(2026, 1, 2, 3, 4, tzinfo=UTC)),
    ],
)
def test_a_bound_is_a_date_a_time_or_a_span_back_from_now(text: object, expected: datetime) -> None:
    """Dates are midnight UTC, times without an offset are UTC, spans count back from now;
    TOML dates and date-times (seed files) read the same."""
    assert read_bound(text, NOW) == expected


@pytest.mark.parametrize("text", ["last week", "2026-13-01", "7 days", "0d", "-7d", "", "d7"])
def test_anything_else_is_a_problem_saying_how_to_write_one(text: str) -> None:
    """Words, impossible dates and malformed spans are refused with the fix."""
    with pytest.raises(WindowProblem) as caught:
        read_bound(text, NOW)
    assert "2026-01-01" in caught.value.fix


def test_a_window_holds_its_start_and_not_its_end() -> None:
    """[since, until): the start is in, the end is out; an open end holds everything."""
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    window = Window(start, end)
    assert window.holds(start)
    assert not window.holds(end)
    assert not window.holds(start - timedelta(microseconds=1))
    assert window.passed(start - timedelta(microseconds=1))
    assert not window.passed(start)
    assert Window(until=end).holds(datetime(1990, 1, 1, tzinfo=UTC))
    assert not Window(until=end).passed(datetime(1990, 1, 1, tzinfo=UTC))


def test_a_window_that_ends_before_it_starts_names_the_start() -> None:
    """since ≥ until is refused; the problem names the bound the message should point at."""
    with pytest.raises(WindowProblem) as caught:
        read_window("2026-02-01", "2026-01-01", NOW)
    assert caught.value.bound == "since"
    assert "2026-02-01" in caught.value.problem
    with pytest.raises(WindowProblem) as bad_end:
        read_window("2026-02-01", "soon", NOW)
    assert bad_end.value.bound == "until"
    assert read_window(None, None, NOW) is None
