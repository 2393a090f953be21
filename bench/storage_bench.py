"""The data dir in object storage against the local disk: collect and analyze, same run.

Scenario (b)'s community (200 threads of 20-500 comments, 100 ms latency, 60 requests/s)
is collected twice from the same replay server, into a local data dir and into a bucket
of moto's S3 server on loopback (tests/s3server.py, its own process), raw archive kept in
both; then each data dir is analysed. Collection is paced by the server, so the store
should cost next to nothing: the target is the bucket's wall time within 1.1× the disk's.
The rounds alternate (disk, bucket, disk, bucket) and the best of each is compared, as
this VM's speed moves between runs. The bucket's tables must equal the disk's, id by id.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
from collect_bench import Row, community_spec, print_table, row, servers, warm_up

from fedithreads.analysis.pipeline import analyze, load_snapshots
from fedithreads.collect.run import Collector
from fedithreads.collect.targets import parse_target
from fedithreads.config import Settings, data_location, parse_settings
from fedithreads.storage.objects import Location, open_data_dir
from fedithreads.storage.tables import scan_table

REPO = Path(__file__).resolve().parent.parent


@contextmanager
def s3_server() -> Iterator[str]:
    """moto's S3 server in its own process (as the tests start it): its endpoint, with
    the AWS variables set for this process while it runs."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.s3server"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdin is not None
    endpoint = f"http://127.0.0.1:{proc.stdout.readline().strip()}"
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_REGION": "us-east-1",
        "AWS_ALLOW_HTTP": "true",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield endpoint
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        proc.stdin.close()
        proc.stdout.close()
        proc.wait(timeout=30)


def settings_at(where: str) -> Settings:
    raw: dict[str, Any] = {"contact": "bench@example.org", "keep_raw": True}
    conf = parse_settings(raw, "bench")
    return replace(conf, data_dir=data_location(where))


def collect_into(where: str, target: str) -> tuple[float, Location]:
    conf = settings_at(where)
    started = time.perf_counter()
    report = asyncio.run(Collector(conf).run([parse_target(target)]))
    seconds = time.perf_counter() - started
    assert report.ok, [t.summary() for t in report.targets]
    return seconds, open_data_dir(conf)


def analyze_seconds(data_dir: Location) -> float:
    started = time.perf_counter()
    analyze(load_snapshots([], data_dir), bucket="1h")
    return time.perf_counter() - started


def comment_keys(data_dir: Location) -> set[tuple[str, int, str]]:
    frame = scan_table(data_dir, "comments").select("instance", "comment_id", "ap_id").collect()
    return {(i, c, a) for i, c, a in frame.iter_rows()}


def bench_storage(tmp: Path, rounds: int = 2) -> list[Row]:
    """(s) the 200-thread community into a bucket vs onto the disk."""
    disk: list[float] = []
    bucket: list[float] = []
    with s3_server() as endpoint, servers([community_spec()]) as s:
        target = f"{s.urls[0]}/c/technology@lemmy.world"
        for n in range(rounds):
            seconds, local = collect_into(str(tmp / f"disk-{n}"), target)
            disk.append(seconds)
            name = f"bench-{n}"
            httpx.put(f"{endpoint}/{name}").raise_for_status()
            seconds, remote = collect_into(f"s3://{name}/data", target)
            bucket.append(seconds)
        analysed = (analyze_seconds(local), analyze_seconds(remote))
        same = comment_keys(local) == comment_keys(remote)
    label = "(s) 200 threads collected, raw kept"
    return [
        row(
            f"{label}: s3 (moto) vs local disk, best of {rounds}",
            min(bucket),
            min(disk),
            "≤ 1.1",
            min(bucket) <= 1.1 * min(disk),
        ),
        row(
            "(s) analyze the collected tables: s3 vs local disk",
            analysed[1],
            analysed[0],
            "(for reference)",
            True,
        ),
        ("(s) tables in the bucket equal the disk's, id by id", str(same), "", "", "equal", same),
    ]


def run_all(full: bool = False) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="fedithreads-bench-") as tmp:
        base = Path(tmp)
        warm_up(base)
        return bench_storage(base, rounds=3 if full else 2)


if __name__ == "__main__":
    print_table(run_all(full="--full" in sys.argv))
