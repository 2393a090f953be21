"""A crawl that fails or is interrupted keeps what it fetched; the next run completes it.

The rows of such a crawl are written like any other (its part, its post row), the thread
recorded incomplete; the next run crawls it again ("incomplete before"), and the current
tables then equal those of a run that never failed, id by id. A run that is interrupted
keeps its parts in ``staging/``, where no reader looks, until the run that resumes it
publishes them in ``tables/``.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from pathlib import Path
from typing import Any

import polars as pl
from polars.testing import assert_frame_equal

from fedithreads.analysis.pipeline import analyze, load_snapshots
from fedithreads.collect.outcome import RunReport
from fedithreads.collect.run import Collector
from fedithreads.collect.targets import parse_target
from fedithreads.config import Settings
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.tables import table_files
from fedithreads.synth.generate import generate_thread
from tests.collect.conftest import collect, settings_for

QUICK = (60_000, 60)
THREAD = generate_thread(21, instance="lemmy.ca", n_comments=420, post_id=77)
RUN_COLUMNS = ("collected_at", "run_id")


def one_at_a_time(data_dir: Path) -> Settings:
    """Settings with one request at a time per host: pages arrive in page order."""
    return settings_for(data_dir, limits={"per_host_concurrency": 1}, retry={"max_attempts": 2})


def server(port: int = 0, **quirks: Any) -> ReplayServer:
    return ReplayServer(
        ReplayDataset.from_threads([THREAD]),
        quirks=Quirks(published_rate_limit=QUICK, **quirks),
        port=port,
    )


def current(data_dir: Path) -> dict[str, pl.DataFrame]:
    """The current posts, comments and thread_stats, less when and by which run."""
    tables = analyze(load_snapshots([], data_dir), bucket="1h")
    return {
        name: tables[name].drop(c for c in (*RUN_COLUMNS, "_") if c in tables[name].columns)
        for name in ("posts", "comments", "thread_stats")
    }


def reference(tmp_path: Path, port: int) -> dict[str, pl.DataFrame]:
    """The tables of one run that nothing disturbed, served from the same host."""
    with server(port):
        report = collect(settings_for(tmp_path / "reference"), f"http://127.0.0.1:{port}/post/77")
    assert report.ok
    return current(tmp_path / "reference")


def assert_same_tables(got: dict[str, pl.DataFrame], want: dict[str, pl.DataFrame]) -> None:
    for name in want:
        assert_frame_equal(got[name], want[name], check_row_order=False)


def test_a_crawl_that_fails_midway_keeps_its_rows_and_the_next_run_completes_it(
    tmp_path: Path,
) -> None:
    """Pages 4 and on answer 503 until the retries run out: the three pages before are
    written, the thread is incomplete with its error; the next run completes it."""
    data = tmp_path / "data"
    faults = ("",) * 3 + ("html_503",) * 40
    with server(fault_paths=("/comment/list",), fault_schedule=faults) as first:
        port, target = first.port, f"{first.base_url}/post/77"
        failed = collect(one_at_a_time(data), target)
    kept = current(data)
    with server(port):
        again = collect(settings_for(data), target)

    (thread,) = failed.targets[0].threads
    assert thread.error is not None
    assert "HTTP 503" in thread.error
    assert thread.complete is False
    assert 0 < kept["comments"].height == thread.collected < 420
    assert kept["thread_stats"]["complete"].to_list() == [False]
    assert kept["thread_stats"]["comments_collected"].to_list() == [thread.collected]
    assert "failed: " in failed.targets[0].summary()
    assert again.targets[0].threads[0].reason == "incomplete before"
    assert again.ok
    assert_same_tables(current(data), reference(tmp_path, port))


def test_an_interrupted_crawl_keeps_its_rows_and_the_resumed_run_doubles_none(
    tmp_path: Path,
) -> None:
    """A run cancelled mid-thread (Ctrl-C, SIGTERM) writes the pages it had; the resumed
    run crawls the thread again into the same part, and the tables equal an undisturbed
    run's, with no comment twice."""
    data = tmp_path / "data"
    with server(latency_seconds=0.02) as first:
        port, target = first.port, f"{first.base_url}/post/77"
        asyncio.run(cancel_after(first, one_at_a_time(data), target, pages=3))
        published = table_files(data, "comments")
        kept = staged_rows(data, "comments")
        resumed = collect(settings_for(data), target)

    assert published == []  # readers see no part of a run under way
    assert 0 < kept < 420
    assert resumed.resumed
    assert resumed.ok
    comments = load_snapshots([], data).comments.collect()
    assert comments.height == comments["comment_id"].n_unique()  # one snapshot each
    assert_same_tables(current(data), reference(tmp_path, port))


def staged_rows(data_dir: Path, table: str) -> int:
    """The rows of a table's parts in ``staging/`` (a run under way or interrupted)."""
    return sum(pl.read_parquet(p).height for p in (data_dir / "staging" / table).rglob("*.parquet"))


async def cancel_after(server: ReplayServer, settings: Settings, target: str, pages: int) -> None:
    """Run the collector and cancel it once ``pages`` comment pages were answered."""
    run: asyncio.Task[RunReport] = asyncio.create_task(
        Collector(settings).run([parse_target(target)])
    )
    while server.log.count("/api/v3/comment/list") < pages:
        await asyncio.sleep(0.005)
    run.cancel()
    with suppress(asyncio.CancelledError):
        await run
