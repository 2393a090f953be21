"""Soak: ten replay instances, 200 threads, 5 % faults of every transient kind, three
consecutive runs in one process: every run complete, memory flat, no file handle,
socket or thread left behind."""

from __future__ import annotations

import gc
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.tables import read_table
from fedithreads.synth.generate import generate_thread
from tests.collect.conftest import collect, settings_for

INSTANCES = 10
THREADS_PER_INSTANCE = 20
START = datetime(2026, 1, 5, tzinfo=UTC)


def instance_dataset(index: int) -> ReplayDataset:
    """20 threads of 3-60 comments in one community."""
    return ReplayDataset.from_threads(
        generate_thread(
            1000 + index * 100 + i,
            instance="lemmy.ca",
            n_comments=3 + (i * 13 + index * 7) % 58,
            depth=6,
            post_id=100 + i,
            comment_id_base=10_000_000 + i * 1_000_000,
            start=START + timedelta(hours=i),
        )
        for i in range(THREADS_PER_INSTANCE)
    )


@dataclass(frozen=True)
class Usage:
    """What the process holds: resident memory, open descriptors, sockets, threads."""

    rss_kb: int
    fds: int
    sockets: int
    threads: int


def usage() -> Usage:
    gc.collect()
    status = Path("/proc/self/status").read_text()
    rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    fds = sockets = 0
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = str(fd.readlink())
        except OSError:
            continue
        fds += 1
        sockets += target.startswith("socket:")
    return Usage(rss, fds, sockets, threading.active_count())


def settled(baseline: Usage, deadline: float = 5.0) -> Usage:
    """Usage once server-side keep-alive connections the client closed have been reaped."""
    end = time.monotonic() + deadline
    while True:
        now = usage()
        if (now.fds, now.threads) <= (baseline.fds, baseline.threads) or time.monotonic() > end:
            return now
        time.sleep(0.05)


@pytest.mark.slow
def test_ten_instances_two_hundred_threads_three_runs(tmp_path: Path) -> None:
    """Three runs (new, then --full twice) over 10 faulty instances: 100 % complete each
    time, every comment stored, RSS within 20 MB of the first run's, descriptors the same
    after every run (the first adds Polars' one-time epoll handles), sockets and threads
    back to where they were."""
    datasets = [instance_dataset(i) for i in range(INSTANCES)]
    quirks = [
        Quirks(
            published_rate_limit=(60_000, 60),
            fault_rate=0.05,
            fault_seed=seed,
            slow_seconds=1.0,
            trickle_seconds=0.2,
            fault_retry_after=0,
        )
        for seed in range(INSTANCES)
    ]
    servers = [ReplayServer(d, quirks=q).start() for d, q in zip(datasets, quirks, strict=True)]
    settings = settings_for(
        tmp_path,
        http={"timeout_seconds": 0.5},
        retry={"max_attempts": 8, "backoff_initial_seconds": 0.01, "backoff_max_seconds": 0.05},
    )
    targets = [f"{s.base_url}/c/technology@lemmy.world" for s in servers]
    try:
        before = usage()
        reports, after = [], []
        for run in range(3):
            reports.append(collect(settings, *targets, full=run > 0))
            after.append(settled(before))
        faults = sum(1 for s in servers for e in s.log.entries() if e.outcome.startswith("fault:"))
    finally:
        for server in servers:
            server.stop()

    for report in reports:
        assert report.ok, [t.summary() for t in report.targets if not t.ok]
        threads = [t for target in report.targets for t in target.threads]
        assert len(threads) == INSTANCES * THREADS_PER_INSTANCE
        assert all(t.crawled and t.complete for t in threads)
    assert faults >= 20
    comments = read_table(tmp_path, "comments")
    assert comments.height == 3 * sum(len(d.comment_ids(p)) for d in datasets for p in d.post_ids())
    assert comments.select("instance", "comment_id", "run_id").is_duplicated().sum() == 0
    print(f"\nfaults {faults}; before {before}; after each run {after}")
    assert after[2].rss_kb - after[0].rss_kb < 20_000, after
    assert after[2].fds == after[1].fds == after[0].fds, after
    assert after[0].fds - before.fds <= 4, "only one-time runtime handles (epoll) are new"
    assert after[2].sockets == before.sockets, (before, after)
    assert after[2].threads == before.threads, (before, after)
