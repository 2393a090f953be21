"""``collect`` stopped by SIGTERM (a service manager) or SIGINT (Ctrl-C) mid-thread.

The run is cancelled rather than killed: the thread under way writes what it fetched, the
command says so in one line and exits 128 + the signal's number, and the next run resumes
the same run and ends complete, no comment stored twice.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.tables import read_table
from fedithreads.synth.generate import generate_thread

QUICK = (60_000, 60)
CONFIG = (
    'contact = "tests@example.org"\n[limits]\ndefault_requests_per_second = 2000\n'
    "per_host_concurrency = 1\n"
)


def collect_cmd(target: str, data_dir: Path, config: Path) -> list[str]:
    return [sys.executable, "-m", "fedithreads", "collect", target,
            "--data-dir", str(data_dir), "--config", str(config)]  # fmt: skip


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_mid_thread_keeps_what_was_fetched_and_the_next_run_completes(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    """Stopped after a few comment pages: one line naming the signal, exit 128+N, the
    pages so far kept (in staging/, where readers do not look, until the run is
    finished); run again, the thread is whole and no row doubled."""
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    data = tmp_path / "data"
    thread = generate_thread(41, instance="lemmy.ca", n_comments=300, post_id=77)
    quirks = Quirks(published_rate_limit=QUICK, latency_seconds=0.02)
    with ReplayServer(ReplayDataset.from_threads([thread]), quirks=quirks) as server:
        cmd = collect_cmd(f"{server.base_url}/post/77", data, config)
        run = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while server.log.count("/api/v3/comment/list") < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        run.send_signal(sig)
        _, stderr = run.communicate(timeout=60)
        kept = pl.concat(
            [pl.read_parquet(p) for p in (data / "staging" / "comments").rglob("*.parquet")]
        )
        again = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)

    lines = [line for line in stderr.splitlines() if line]
    assert run.returncode == code
    assert len(lines) == 1, lines
    assert f"stopped by {sig.name}" in lines[0]
    assert 0 < kept.height < 300
    assert again.returncode == 0, again.stderr
    final = read_table(data, "comments")
    assert set(final["comment_id"]) == {c.comment_id for c in thread.comments}
    assert final.height == final["comment_id"].n_unique()
