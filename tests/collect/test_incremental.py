"""Scheduled runs: incremental collection, overlapping runs, and a run killed mid-crawl."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from fedithreads.collect.state import RunLock
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.tables import scan_table
from fedithreads.synth.generate import generate_thread
from tests.collect.conftest import collect, collected_ids, settings_for, tables_without_run_columns

START = datetime(2026, 3, 1, tzinfo=UTC)
QUICK = (60_000, 60)


def community(posts: int = 120) -> ReplayDataset:
    """A community of ``posts`` threads of 5-40 comments, all older than a week."""
    threads = [
        generate_thread(
            100 + i,
            instance="lemmy.ca",
            n_comments=5 + (i * 7) % 36,
            depth=5,
            post_id=5000 + i,
            comment_id_base=10_000_000 + i * 1_000_000,
            start=START + timedelta(hours=i),
        )
        for i in range(posts)
    ]
    return ReplayDataset.from_threads(threads)


def comment_requests_by_post(server: ReplayServer) -> set[int]:
    return {
        int(e.params["post_id"])
        for e in server.log.entries()
        if e.path.endswith("/comment/list") and "post_id" in e.params
    }


def test_incremental_runs_recrawl_only_changed_threads(tmp_path: Path) -> None:
    """Run 2 right after run 1 asks for no comments; after replies land in 3 threads,
    run 3 re-crawls exactly those 3, and vote_history gains their new snapshots."""
    dataset = community()
    settings = settings_for(tmp_path)
    with ReplayServer(dataset, quirks=Quirks(published_rate_limit=QUICK)) as server:
        target = f"{server.base_url}/c/technology@lemmy.world"
        first = collect(settings, target)
        server.reset_log()

        second = collect(settings, target)
        second_comment_requests = server.count("/api/v3/comment/list")
        second_post_pages = server.count("/api/v3/post/list")
        server.reset_log()

        changed = [5003, 5050, 5117]
        for post_id in changed:
            dataset.add_comment(post_id, None, author="newcomer", content="late reply")
        dataset.set_votes("post", 5003, 99, 1)
        third = collect(settings, target)
        recrawled = comment_requests_by_post(server)

    assert len(first.targets[0].threads) == 120
    assert all(t.crawled and t.complete for t in first.targets[0].threads)
    assert second_comment_requests == 0
    assert second_post_pages == 3
    assert not any(t.crawled for t in second.targets[0].threads)
    assert sorted(t.post_id for t in third.targets[0].threads if t.crawled) == changed
    assert recrawled == set(changed)
    assert collected_ids(tmp_path) == set().union(
        *(dataset.comment_ids(p) for p in dataset.post_ids())
    )
    history = scan_table(tmp_path, "posts").collect().filter(pl.col("post_id") == 5003)
    scores = history.sort("collected_at")["score"].to_list()
    assert scores == [scores[0], scores[0], 98]  # runs 1 and 2 alike, run 3 the new votes
    assert scores[0] != 98


def test_a_second_run_while_one_holds_the_lock_exits_75_at_once(tmp_path: Path) -> None:
    """cron overlap: the second run does nothing and says another run holds the lock."""
    with RunLock(tmp_path):
        started = time.monotonic()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "fedithreads",
                "collect",
                "https://lemmy.example/post/1",
                "--data-dir",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        elapsed = time.monotonic() - started

    assert done.returncode == 75
    assert "another run holds the lock" in done.stderr
    assert done.stderr.count("\n") == 1
    assert elapsed < 10
    assert not (tmp_path / "tables").exists()


def write_config(path: Path) -> Path:
    config = path / "config.toml"
    config.write_text(
        'contact = "tests@example.org"\n[limits]\ndefault_requests_per_second = 2000\n'
        "[retry]\nbackoff_initial_seconds = 0.01\nbackoff_max_seconds = 0.05\n"
    )
    return config


def run_cli(target: str, data_dir: Path, config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fedithreads",
            "collect",
            target,
            "--data-dir",
            str(data_dir),
            "--config",
            str(config),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_run_killed_mid_crawl_and_run_again_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    """SIGKILL half-way, rerun: the tables hold exactly the rows of a run never killed."""
    dataset = community(60)
    config = write_config(tmp_path)
    quirks = Quirks(published_rate_limit=QUICK, latency_seconds=0.01)
    with ReplayServer(dataset, quirks=quirks) as server:
        target = f"{server.base_url}/c/technology@lemmy.world"
        killed_dir = tmp_path / "killed"
        proc = run_cli(target, killed_dir, config)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.count("/api/v3/comment/list") < 15:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        crawled_at_kill = server.count("/api/v3/comment/list")

        rerun = run_cli(target, killed_dir, config)
        _rerun_out, rerun_err = rerun.communicate(timeout=120)
        clean = run_cli(target, tmp_path / "clean", config)
        clean.communicate(timeout=120)

    assert 15 <= crawled_at_kill < 60, "the kill must land mid-crawl"
    assert rerun.returncode == 0, rerun_err
    killed, uninterrupted = (
        tables_without_run_columns(killed_dir),
        tables_without_run_columns(tmp_path / "clean"),
    )
    for table in ("posts", "comments"):
        assert_frame_equal(killed[table], uninterrupted[table])
    runs = list((killed_dir / "runs").glob("*.json"))
    assert len(runs) == 1, "the rerun resumes the killed run instead of starting another"
    assert not list(killed_dir.rglob("*--*.parquet")), "parts are compacted at the end"
