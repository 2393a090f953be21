"""`collect` ends its process at once when it is done (no interpreter teardown), with its
lines printed, its exit status, and everything it wrote in place; other commands do not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.tables import read_table
from fedithreads.synth.generate import generate_thread

RUN = """
import atexit, sys
atexit.register(lambda: print("teardown ran", flush=True))
from fedithreads.cli import main
sys.argv[0] = "fedithreads"
main()
"""


def fedithreads(*args: str) -> subprocess.CompletedProcess[str]:
    """The console script's ``main`` in a child process, an atexit hook registered."""
    return subprocess.run([sys.executable, "-c", RUN, *args], capture_output=True, text=True)


def test_collect_exits_at_once_with_its_lines_status_and_files(tmp_path: Path) -> None:
    """The hook registered before never runs (the process ended past atexit); the
    target's line reached the pipe, the status is the run's, the tables are whole."""
    thread = generate_thread(4, instance="lemmy.ca", n_comments=60, post_id=41)
    config = tmp_path / "config.toml"
    config.write_text('contact = "tests@example.org"\n')
    data = tmp_path / "data"
    quirks = Quirks(published_rate_limit=(60_000, 60))
    with ReplayServer(ReplayDataset.from_threads([thread]), quirks=quirks) as server:
        done = fedithreads(
            "collect",
            f"{server.base_url}/post/41",
            "--config",
            str(config),
            "--data-dir",
            str(data),
        )
        missing = fedithreads(
            "collect",
            f"{server.base_url}/post/999",
            "--config",
            str(config),
            "--data-dir",
            str(data),
        )

    assert done.returncode == 0, done.stderr
    assert "teardown ran" not in done.stdout
    assert "/post/41" in done.stdout
    assert set(read_table(data, "comments")["comment_id"]) == {
        c.comment_id for c in thread.comments
    }
    assert missing.returncode == 1
    assert "teardown ran" not in missing.stdout
    assert "/post/999" in missing.stdout


def test_other_commands_end_as_usual(tmp_path: Path) -> None:
    """`analyze` (not allowed to) goes through the interpreter's teardown: the hook runs."""
    done = fedithreads("analyze", str(tmp_path / "nothing-here"))

    assert done.returncode == 2
    assert "teardown ran" in done.stdout
