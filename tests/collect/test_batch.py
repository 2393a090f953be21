"""Small threads are written together, announced before and recorded after their part."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from fedithreads.collect.batch import Finished, PartBatch
from fedithreads.storage.tables import table_files
from tests.factories import hand_thread
from tests.fakes import FakeClock

pytestmark = pytest.mark.anyio


def staged(data_dir: Path) -> list[Path]:
    """The comments parts a run under way has written (``staging/``)."""
    return sorted((data_dir / "staging" / "comments").glob("instance=*/*.parquet"))


async def test_a_full_batch_is_announced_written_then_reported(tmp_path: Path) -> None:
    """At max_rows the part is written between its announcement and its report."""
    _, comments = hand_thread()
    events: list[tuple[str, str, int]] = []

    def files() -> int:
        return len(staged(tmp_path))

    batch = PartBatch(
        tmp_path,
        "run-1",
        on_pending=lambda part, items: events.append(("pending", part, files())),
        on_written=lambda part, items: events.append(("written", part, files())),
        clock=FakeClock(),
        max_rows=5,
    )

    await batch.add(Finished("a/1", {}), comments[:3])
    assert events == []
    await batch.add(Finished("a/2", {}), comments[3:6])

    assert [(e[0], e[2]) for e in events] == [("pending", 0), ("written", 1)]
    assert events[0][1] == events[1][1]
    assert sum(pl.read_parquet(p).height for p in staged(tmp_path)) == 6
    assert table_files(tmp_path, "comments") == []  # a run's parts are published at its end


async def test_an_old_batch_is_flushed_by_the_next_thread_and_at_the_end(tmp_path: Path) -> None:
    """After max_seconds the next thread flushes; flush() writes what is left."""
    _, comments = hand_thread()
    clock = FakeClock()
    written: list[list[str]] = []
    batch = PartBatch(
        tmp_path,
        "run-1",
        on_pending=lambda p, i: None,
        on_written=lambda p, items: written.append([f.key for f in items]),
        clock=clock,
    )

    await batch.add(Finished("a/1", {}), comments[:1])
    clock.t += 5
    await batch.add(Finished("a/2", {}), comments[1:2])
    await batch.add(Finished("a/3", {}), [])
    await batch.flush()

    assert written == [["a/1", "a/2"], ["a/3"]]
    (part,) = staged(tmp_path)
    assert pl.read_parquet(part)["comment_id"].sort().to_list() == [1, 2]
