"""The spool: comment pages spilled to disk and merged into one part, latest snapshot first."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from fedithreads.records import Page
from fedithreads.schema import COMMENTS
from fedithreads.spool import Spool
from tests.factories import hand_thread


def test_pages_merge_to_one_row_per_comment_with_the_latest_snapshot(tmp_path: Path) -> None:
    """A comment seen on two pages keeps its later counts; dropped ids are left out."""
    _, comments = hand_thread()
    later = replace(comments[0], score=40, collected_at=comments[0].collected_at + timedelta(1))
    spool = Spool(tmp_path / "s", flush_rows=3)

    spool.add(Page("comment/list", comments=tuple(comments[:4])))
    spool.add(Page("comment/list", comments=(later, *comments[4:])))
    merged = spool.merged(frozenset({8}))

    assert merged["comment_id"].to_list() == [1, 2, 3, 4, 5, 6, 7]
    assert merged.filter(merged["comment_id"] == 1)["score"].to_list() == [40]
    assert dict(merged.schema) == COMMENTS


def test_rows_beyond_the_buffer_are_spilled_and_cleaned_up(tmp_path: Path) -> None:
    """Past flush_rows the rows go to disk; discard removes every spilled file."""
    _, comments = hand_thread()
    spool = Spool(tmp_path / "s", flush_rows=2)

    for c in comments:
        spool.add(Page("comment/list", comments=(c,)))
    spilled = sorted(p.name for p in (tmp_path / "s").iterdir())
    merged = spool.merged(frozenset())
    spool.discard()

    assert spilled == ["00000.parquet", "00001.parquet", "00002.parquet", "00003.parquet"]
    assert merged.height == 8
    assert not (tmp_path / "s").exists()


def test_a_killed_runs_leftovers_are_cleared_on_start(tmp_path: Path) -> None:
    """A spool dir left by a killed run never leaks into the next attempt."""
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "00000.parquet").write_bytes(b"half a file")

    spool = Spool(tmp_path / "s")

    assert spool.merged(frozenset()).height == 0
