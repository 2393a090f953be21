"""A spool fed from the run's worker thread: pages in their order, failures not lost."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from msgspec.structs import replace

from fedithreads.collect.spool import Spool
from fedithreads.collect.spoolfeed import SpoolFeeds
from fedithreads.core.records import CommentRecord
from fedithreads.errors import StoreError
from tests.factories import hand_thread

pytestmark = pytest.mark.anyio


class Recording(Spool):
    """A spool that notes which thread each add ran on."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory, flush_rows=3)
        self.threads: list[str] = []

    def add(self, comments: Sequence[CommentRecord], replaced: Iterable[int] = ()) -> None:
        self.threads.append(threading.current_thread().name)
        super().add(comments, replaced)


class Failing(Spool):
    """A spool whose second add fails as a full disk does."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.adds = 0

    def add(self, comments: Sequence[CommentRecord], replaced: Iterable[int] = ()) -> None:
        self.adds += 1
        if self.adds == 2:
            raise StoreError("cannot write spool/00000.msgpack: no space left on device")
        super().add(comments, replaced)


async def test_pages_reach_the_spool_in_their_order_off_the_event_loop(tmp_path: Path) -> None:
    """Each page's rows are added on the worker thread, in the order the pages came, so a
    comment sent again keeps its newer row once the feed has settled."""
    _, comments = hand_thread()
    later = replace(comments[0], score=40, collected_at=comments[0].collected_at + timedelta(1))
    spool = Recording(tmp_path / "s")
    feeds = SpoolFeeds()
    feed = feeds.feed(spool)

    feed.add(comments[:4])
    feed.add(comments[4:])
    feed.add([later], replaced=[later.comment_id])
    await feed.settled()
    spool.write(tmp_path / "part.parquet", frozenset())
    feeds.close()

    rows = pl.read_parquet(tmp_path / "part.parquet").sort("comment_id")
    assert rows["comment_id"].to_list() == [1, 2, 3, 4, 5, 6, 7, 8]
    assert rows.filter(pl.col("comment_id") == 1)["score"].to_list() == [40]
    assert len(spool.threads) == 3
    assert threading.current_thread().name not in spool.threads


async def test_a_failed_add_stops_the_next_page_and_the_settling(tmp_path: Path) -> None:
    """An add that failed (a full disk) is raised on the event loop by the next add and by
    ``settled``, and the spool takes no page after it."""
    _, comments = hand_thread()
    spool = Failing(tmp_path / "s")
    feeds = SpoolFeeds()
    feed = feeds.feed(spool)
    feed.add(comments[:2])
    feed.add(comments[2:4])
    feeds.close()  # both adds have run

    with pytest.raises(StoreError, match="no space left"):
        feed.add(comments[4:])
    with pytest.raises(StoreError, match="no space left"):
        await feed.settled()
    assert spool.adds == 2
