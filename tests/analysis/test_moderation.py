"""Removals joined from the moderation log: the latest removal or restore per ap_id."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
from polars.testing import assert_frame_equal

from fedithreads.analysis.moderation import current_actions, with_removals
from fedithreads.core import schema


def t(day: int) -> datetime:
    return datetime(2026, 3, day, tzinfo=UTC)


def log(*entries: tuple[str, int, str, bool, str | None, int, int]) -> pl.DataFrame:
    """(instance, log_id, comment ap_id, reverted, reason, acted day, collected day)."""
    rows = [
        {"instance": i, "log_id": n, "action": "mod_remove_comment", "reverted": rev,
         "comment_ap_id": ap, "reason": why, "acted_at": t(day), "collected_at": t(seen),
         "run_id": f"r{seen}"}
        for i, n, ap, rev, why, day, seen in entries
    ]  # fmt: skip
    return (
        pl.DataFrame(rows)
        .with_columns(
            [
                pl.lit(None, dtype).alias(c)
                for c, dtype in schema.MODERATION.items()
                if c not in rows[0]
            ]
        )
        .select(schema.MODERATION.keys())
        .cast(schema.MODERATION)
    )  # type: ignore[arg-type]


def test_a_removed_comment_gets_the_reason_and_time_of_its_latest_removal() -> None:
    """a: removed, restored, removed again (on another instance): the last removal's;
    b: removed, then restored but removed again without a log entry: null; c: not
    removed, though the log removed and restored it: null; d: no entry: null."""
    actions = current_actions(
        log(
            ("x", 1, "a", False, "spam", 1, 9),
            ("x", 2, "a", True, "appeal", 2, 9),
            ("y", 7, "a", False, "off topic", 3, 9),
            ("x", 3, "b", False, "rude", 1, 9),
            ("x", 4, "b", True, None, 2, 9),
            ("x", 5, "c", False, "oops", 1, 9),
            ("x", 6, "c", True, None, 2, 9),
        ).lazy()
    )
    comments = pl.DataFrame({"ap_id": ["a", "b", "c", "d"], "removed": [True, True, False, True]})

    out = with_removals(comments, actions, "comments")

    expected = comments.with_columns(
        pl.Series("removal_reason", ["off topic", None, None, None], pl.String),
        pl.Series("removed_at", [t(3), None, None, None], schema.TS),
    )
    assert_frame_equal(out, expected)


def test_an_entry_read_again_by_a_later_run_is_one_row_its_latest() -> None:
    """The same (instance, kind, id) read by two runs: one row, the later snapshot."""
    actions = current_actions(
        log(("x", 1, "a", False, "old words", 1, 5), ("x", 1, "a", False, "edited", 1, 6)).lazy()
    )

    assert actions.select("log_id", "reason", "run_id").rows() == [(1, "edited", "r6")]
