"""Resume inside a thread: a 10,000-comment crawl killed half-way, then resumed.

    python bench/resume_bench.py

The replay server runs in its own process (bench/replay_host.py) at 100 ms latency and
60 requests/s, as scenario (a) of collect_bench. ``fedithreads collect`` runs as a real
process and is sent SIGKILL right after the 100th comment page reached the raw archive
(of the 201 an uninterrupted crawl asks). The resumed run's comment requests are
compared with the pages the killed run had not kept (its full ``sort=Old`` pages are
kept; every other page, the listing's last one included, is asked again): the claim is
that they are equal. The resumed tables are compared with those of a crawl never killed.
The resumed run starts 2 s after the kill (the server's one-second rate window has
refilled, as it would have by the next cron run).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from collect_bench import Row, big_thread_scenario, servers
from polars.testing import assert_frame_equal

from fedithreads.storage.raw import read_raw
from fedithreads.storage.tables import scan_table

POST = 900001
KILL_AFTER = 100
KILL_AT_PAGE = Path(__file__).resolve().parents[1] / "scripts" / "kill_after_pages.py"


def collect(url: str, data_dir: Path, config: Path, kill_after: int | None = None) -> float:
    """One ``fedithreads collect`` process; its wall time."""
    head = [sys.executable, "-m", "fedithreads"]
    if kill_after is not None:
        head = [sys.executable, str(KILL_AT_PAGE), str(kill_after)]
    started = time.perf_counter()
    subprocess.run(
        [*head, "collect", url, "--data-dir", str(data_dir), "--config", str(config)],
        capture_output=True,
        timeout=600,
        check=False,
    )
    return time.perf_counter() - started


def kept_old_pages(data_dir: Path) -> tuple[int, int]:
    """(comment pages in the raw archive, of which full ``sort=Old`` pages)."""
    pages = full = 0
    for path in (data_dir / "raw").rglob("*.jsonl.gz"):
        for record in read_raw(path):
            url = str(record["url"])
            if "/comment/list" not in url:
                continue
            pages += 1
            doc = json.loads(str(record["body"])) if record["status"] == 200 else {}
            full += "sort=Old" in url and len(doc.get("comments", [])) == 50
    return pages, full


def comment_requests(log: list[tuple[float, str, str]], since: float) -> int:
    return sum(1 for t, path, _ in log if t >= since and path.endswith("/comment/list"))


def comments(data_dir: Path) -> pl.DataFrame:
    frame = scan_table(data_dir, "comments").collect()
    return frame.drop("collected_at", "run_id").sort("comment_id")


def bench_resume(n: int, tmp: Path) -> list[Row]:
    """(r) ``n`` comments killed after KILL_AFTER pages, then resumed."""
    config = tmp / "config.toml"
    config.write_text('contact = "bench@example.org"\n')
    spec = big_thread_scenario(n, {"latency_seconds": 0.1, "rate_limit": [60, 1]}, "0.19.13")
    with servers([spec]) as s:
        url = f"{s.urls[0]}/post/{POST}"
        whole_seconds = collect(url, tmp / "whole", config)
        killed_at = time.monotonic()
        collect(url, tmp / "resumed", config, kill_after=KILL_AFTER)
        archived, kept = kept_old_pages(tmp / "resumed")
        time.sleep(2)  # as a next cron run would, after the server's rate window refilled
        resumed_at = time.monotonic()
        resumed_seconds = collect(url, tmp / "resumed", config)
    log = s.logs[0]
    whole = comment_requests(log, 0) - comment_requests(log, killed_at)
    resumed = comment_requests(log, resumed_at)
    remaining = whole - kept
    try:
        assert_frame_equal(comments(tmp / "resumed"), comments(tmp / "whole"))
        same = True
    except AssertionError:
        same = False
    return [
        (
            f"(r) {n} comments killed after {archived} of {whole} pages: "
            "resumed comment requests vs pages not kept",
            str(resumed),
            str(remaining),
            f"{resumed / remaining:.2f}",
            "= 1.00",
            resumed == remaining,
        ),
        (
            "(r) resumed run: wall vs an uninterrupted crawl",
            f"{resumed_seconds:.2f}s",
            f"{whole_seconds:.2f}s",
            f"{resumed_seconds / whole_seconds:.2f}",
            "(for reference)",
            True,
        ),
        (
            "(r) resumed comments equal an uninterrupted crawl's, id by id",
            "yes" if same else "no",
            "",
            "",
            "equal",
            same,
        ),
    ]


def run_all(full: bool = False) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="fedithreads-resume-") as tmp:
        return bench_resume(10_000, Path(tmp))


if __name__ == "__main__":
    from collect_bench import print_table

    print_table(run_all())
