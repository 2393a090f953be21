"""The spool: comment rows spilled to disk and streamed into one part, latest batch first."""

from __future__ import annotations

import ctypes
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from msgspec.structs import replace

from fedithreads.collect import spool as spool_module
from fedithreads.collect.spool import Spool
from fedithreads.core.schema import COMMENTS
from tests.factories import hand_thread


def test_a_resent_comment_keeps_its_newer_row_and_dropped_ids_are_left_out(tmp_path: Path) -> None:
    """A comment sent again with newer counts keeps only that row; rejected ids are gone."""
    _, comments = hand_thread()
    later = replace(comments[0], score=40, collected_at=comments[0].collected_at + timedelta(1))
    spool = Spool(tmp_path / "s", flush_rows=3)

    spool.add(comments[:4])
    spool.add([later, *comments[4:]], replaced=[later.comment_id])
    spool.write(tmp_path / "part.parquet", frozenset({8}))

    merged = pl.read_parquet(tmp_path / "part.parquet").sort("comment_id")
    assert merged["comment_id"].to_list() == [1, 2, 3, 4, 5, 6, 7]
    assert merged.filter(pl.col("comment_id") == 1)["score"].to_list() == [40]
    assert dict(merged.schema) == COMMENTS


def test_rows_beyond_the_buffer_are_spilled_and_cleaned_up(tmp_path: Path) -> None:
    """Past flush_rows the rows go to disk; writing removes every spilled file."""
    _, comments = hand_thread()
    spool = Spool(tmp_path / "s", flush_rows=2)

    for c in comments:
        spool.add([c])
    spilled = sorted(p.name for p in (tmp_path / "s").iterdir())
    wrote = spool.write(tmp_path / "part.parquet", frozenset())

    assert spilled == ["00000.arrow", "00001.arrow", "00002.arrow", "00003.arrow"]
    assert wrote
    assert pl.read_parquet(tmp_path / "part.parquet").height == 8
    assert not (tmp_path / "s").exists()


def test_a_killed_runs_leftovers_are_cleared_and_an_empty_spool_writes_nothing(
    tmp_path: Path,
) -> None:
    """A spool dir left by a killed run never leaks into the next attempt."""
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "00000.arrow").write_bytes(b"half a file")

    spool = Spool(tmp_path / "s")
    wrote = spool.write(tmp_path / "part.parquet", frozenset())

    assert not wrote
    assert not (tmp_path / "part.parquet").exists()


def test_batches_stay_with_their_rows_when_one_spill_holds_several(tmp_path: Path) -> None:
    """Out-of-order ids from several pages in one buffer: the resent one keeps its newest."""
    _, comments = hand_thread()
    c1, c3, c5 = comments[0], comments[2], comments[4]
    newer = replace(c3, score=77, collected_at=c3.collected_at + timedelta(hours=1))
    spool = Spool(tmp_path / "s", flush_rows=100)

    spool.add([c5, c3])
    spool.add([newer, c1], replaced=[3])
    spool.write(tmp_path / "part.parquet", frozenset())

    merged = pl.read_parquet(tmp_path / "part.parquet").sort("comment_id")
    assert merged.select("comment_id", "score").rows() == [(1, c1.score), (3, 77), (5, c5.score)]


def test_the_freed_heap_is_handed_back_where_libc_can_and_skipped_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """glibc's malloc_trim is asked to free everything it can; a C library without it
    (musl, macOS) leaves the write to go on."""
    calls: list[int] = []

    class Glibc:
        def malloc_trim(self, pad: int) -> int:
            calls.append(pad)
            return 1

    monkeypatch.setattr(ctypes, "CDLL", lambda _name: Glibc())
    spool_module.release_freed_heap()
    monkeypatch.setattr(ctypes, "CDLL", lambda _name: object())
    spool_module.release_freed_heap()

    assert calls == [0]
