"""Compacting a run: posts published first, the other parts moved at once, all or the error."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import polars as pl
import pytest

from fedithreads.core import schema
from fedithreads.errors import StoreError
from fedithreads.storage.atomic import move_atomic as real_move
from fedithreads.storage.objects import Location
from fedithreads.storage.tables import append_snapshots, compact_run, table_files

INSTANCES = ("a.example", "b.example", "c.example")


def stage_one_part_each(data_dir: Path) -> None:
    """One part per (table, instance) of run r1: each is moved, none merged."""
    for table in ("posts", "comments", "languages"):
        rows = [{"instance": i, "run_id": "r1"} for i in INSTANCES]
        frame = pl.DataFrame(rows).with_columns(
            pl.lit(None, dtype).alias(c)
            for c, dtype in schema.SCHEMAS[table].items()
            if c not in ("instance", "run_id")
        )
        append_snapshots(data_dir, "r1", table, schema.conform(frame, table), "thread-1")


def test_posts_are_published_before_any_other_part_and_the_rest_move_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every posts part is in ``tables/`` before the first other part moves (a reader
    never meets a comment of the run without its post); the other parts move in
    several threads at once (each waits on its directory syncs)."""
    stage_one_part_each(tmp_path)
    events: list[tuple[str, str]] = []
    running, most = [0], [0]
    lock = threading.Lock()

    def move(source: Location, target: Location) -> None:
        table = target.parent.parent.name
        with lock:
            events.append(("start", table))
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)  # a directory sync's wait
        real_move(source, target)
        with lock:
            running[0] -= 1
            events.append(("end", table))

    monkeypatch.setattr("fedithreads.storage.tables.move_atomic", move)
    compact_run(tmp_path, "r1")

    last_posts_end = max(i for i, e in enumerate(events) if e == ("end", "posts"))
    first_other = min(i for i, e in enumerate(events) if e[1] != "posts")
    assert last_posts_end < first_other
    assert most[0] >= 2
    for table in ("posts", "comments", "languages"):
        assert len(table_files(tmp_path, table)) == len(INSTANCES)
    assert not list((tmp_path / "staging").rglob("*.parquet"))


def test_a_move_that_fails_is_raised_once_the_others_have_ended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One move fails (a full disk): compact_run raises its error, and only after every
    other move of that step has ended (none goes on writing behind the error)."""
    stage_one_part_each(tmp_path)
    ended: list[str] = []

    def move(source: Location, target: Location) -> None:
        if target.parent.parent.name == "comments" and "b.example" in str(target):
            raise StoreError("disk full writing the part; free space and re-run")
        time.sleep(0.05)
        real_move(source, target)
        ended.append(str(target))

    monkeypatch.setattr("fedithreads.storage.tables.move_atomic", move)
    with pytest.raises(StoreError, match="disk full"):
        compact_run(tmp_path, "r1")
    assert len(ended) == 3 + 5  # the posts, then every other move but the failed one
