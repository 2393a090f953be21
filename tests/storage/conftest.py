"""What the check and repair tests share: a collected data dir, copies, and damage.

A collected dir is a real run over HTTP from the replay server: a community with
``max_posts`` (small threads, written in batches) and a post target of a 2,100-comment
thread (more than the spool buffers, so it is written as its own part), compacted at
the end of the run as usual. Damage is done to copies.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fedithreads.collect.outcome import RunReport
from fedithreads.collect.run import Collector
from fedithreads.collect.targets import CommunityTarget, parse_target
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.tables import read_table
from fedithreads.synth.generate import generate_thread
from tests.collect.conftest import settings_for

START = datetime(2026, 3, 1, tzinfo=UTC)
QUICK = (60_000, 60)
BIG = 777
MAX_POSTS = 6


def dataset(big: int = 2100) -> ReplayDataset:
    """Eight small threads in technology@lemmy.world and one big thread elsewhere."""
    small = [
        generate_thread(
            100 + i,
            instance="lemmy.ca",
            n_comments=5 + (i * 7) % 36,
            depth=5,
            post_id=5000 + i,
            comment_id_base=10_000_000 + i * 1_000_000,
            start=START + timedelta(hours=i),
        )
        for i in range(8)
    ]
    large = generate_thread(
        7, instance="lemmy.ca", n_comments=big, post_id=BIG, comment_id_base=90_000_000,
        community="other@lemmy.ca",
    )  # fmt: skip
    return ReplayDataset.from_threads([*small, large])


def collect_into(
    data_dir: Path, dialect: str = "lemmy-v3", *, big: int = 2100, **settings: Any
) -> RunReport:
    """One run of the community (max_posts) and the big thread into ``data_dir``."""
    quirks = Quirks(published_rate_limit=QUICK, page_ceiling=settings.pop("ceiling", None))
    with ReplayServer(dataset(big), dialect=dialect, quirks=quirks) as server:
        community = parse_target(f"{server.base_url}/c/technology@lemmy.world")
        assert isinstance(community, CommunityTarget)
        targets = [
            replace(community, max_posts=MAX_POSTS),
            parse_target(f"{server.base_url}/post/{BIG}"),
        ]
        collector = Collector(settings_for(data_dir, **settings))
        return asyncio.run(collector.run(targets))


def kill_compaction(monkeypatch: pytest.MonkeyPatch) -> None:
    """The run dies where it would compact its parts: parts and state.json's run stay."""

    def die(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("fedithreads.collect.run.compact_run", die)


def copy_of(data_dir: Path, where: Path) -> Path:
    """A copy of a data dir, to damage."""
    shutil.copytree(data_dir, where, symlinks=True)
    return where


def parts(data_dir: Path, table: str, pattern: str = "*.parquet") -> list[Path]:
    """A table's files: finished runs' (``tables/``) and a run's under way (``staging/``)."""
    found = [
        p
        for root in ("tables", "staging")
        for p in (data_dir / root / table).glob(f"instance=*/{pattern}")
    ]
    return sorted(found)


def truncate(path: Path) -> None:
    """Cut a file to its first half, as a full disk or a bad copy leaves it."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def garble(path: Path) -> None:
    """Overwrite the middle half of a file with garbage, its footer left whole."""
    data = bytearray(path.read_bytes())
    start, stop = len(data) // 8, len(data) * 5 // 8
    data[start:stop] = (b"garbage!" * len(data))[: stop - start]
    path.write_bytes(bytes(data))


def reschema(path: Path) -> None:
    """Rewrite a part with a column of the wrong type (an older or foreign writer)."""
    frame = pl.read_parquet(path)
    frame.with_columns(pl.col("score").cast(pl.Int32)).write_parquet(path)


def assert_same_tables(expected: Path, actual: Path) -> None:
    """posts and comments of two data dirs are equal: every column, id by id."""
    for table, key in (("posts", "post_id"), ("comments", "comment_id")):
        want = read_table(expected, table).sort("instance", key, "run_id")
        got = read_table(actual, table).sort("instance", key, "run_id")
        assert_frame_equal(got, want)
