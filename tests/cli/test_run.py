"""collect, serve and demo as a user runs them: lines, exit codes, files."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import polars as pl
from click.testing import CliRunner, Result

from fedithreads.cli.main import main
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.synth.generate import generate_thread
from tests.conftest import TLS

QUICK = (60_000, 60)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def config(tmp_path: Path, seeds: str = "seeds") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'data_dir = "data"\nseeds_dir = "{seeds}"\ncontact = "tests@example.org"\n'
        "[limits]\ndefault_requests_per_second = 2000\n"
    )
    return path


def test_collect_prints_one_line_per_target_and_exits_0(tmp_path: Path) -> None:
    """A complete thread: one summary line on stdout, nothing on stderr, exit 0."""
    thread = generate_thread(3, instance="lemmy.ca", n_comments=80)
    quirks = Quirks(published_rate_limit=QUICK)
    with ReplayServer(ReplayDataset.from_threads([thread]), quirks=quirks) as server:
        url = f"{server.base_url}/post/{thread.post.post_id}"
        result = run("collect", url, "--config", config(tmp_path))

    assert result.exit_code == 0, result.stderr
    reported = thread.post.comments
    line = f"{url}: 80 comments ({reported} reported by the server), complete; 2 requests\n"
    assert result.stdout == line
    assert result.stderr == ""
    assert len(list((tmp_path / "data" / "runs").glob("*.json"))) == 1


def test_collect_reads_the_seed_files_next_to_the_config(tmp_path: Path) -> None:
    """Without TARGETs the seeds_dir of the config is read, wherever the command runs."""
    thread = generate_thread(3, instance="lemmy.ca", n_comments=10)
    quirks = Quirks(published_rate_limit=QUICK)
    with ReplayServer(ReplayDataset.from_threads([thread]), quirks=quirks) as server:
        (tmp_path / "seeds").mkdir()
        (tmp_path / "seeds" / "a.toml").write_text(
            f'[[targets]]\ntarget = "{server.base_url}/post/{thread.post.post_id}"\n'
        )
        result = run("collect", "--config", config(tmp_path))

    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("\n") == 1


def test_an_incomplete_thread_exits_1_and_says_what_is_missing(tmp_path: Path) -> None:
    """Behind a 1-page ceiling a 300-comment thread cannot be had whole: exit 1."""
    thread = generate_thread(3, instance="lemmy.ca", n_comments=300, top_level_fraction=0.9)
    quirks = Quirks(published_rate_limit=QUICK, page_ceiling=1, max_depth_cap=20)
    with ReplayServer(ReplayDataset.from_threads([thread]), quirks=quirks) as server:
        result = run(
            "collect", f"{server.base_url}/post/{thread.post.post_id}", "--config", config(tmp_path)
        )

    assert result.exit_code == 1
    assert "INCOMPLETE" in result.stdout
    assert " missing" in result.stdout


def test_nothing_to_collect_is_a_usage_error(tmp_path: Path) -> None:
    """No TARGET and no seed files: exit 2 and name where seeds are looked for."""
    result = run("collect", "--config", config(tmp_path))

    assert result.exit_code == 2
    assert "nothing to collect" in result.stderr
    assert str(tmp_path / "seeds") in result.stderr


def test_a_bad_target_is_a_usage_error(tmp_path: Path) -> None:
    """A target that is not a thread or a community is refused before anything runs."""
    result = run("collect", "ftp://lemmy.example/post/1", "--config", config(tmp_path))

    assert result.exit_code == 2
    assert result.stderr.startswith("fedithreads: error: target 'ftp://lemmy.example/post/1'")
    assert not (tmp_path / "data").exists()


def test_demo_runs_the_whole_pipeline_offline(tmp_path: Path) -> None:
    """demo serves, collects, analyses and shows the seed thread, all complete."""
    result = run("demo", "--data-dir", tmp_path / "demo")

    assert result.exit_code == 0, result.stderr
    assert "LittleSpoon@lemmygrad.ml · 9 points (▲9 ▼0)" in result.stdout
    assert result.stdout.count("server), complete;") == 3
    assert "1 threads, 1 crawled, 0 unchanged; all complete" in result.stdout
    assert (tmp_path / "demo" / "out" / "thread_stats.parquet").exists()


def test_demo_ends_with_one_thread_across_three_instances(tmp_path: Path) -> None:
    """The federation part: the copies found, and one federation row per instance whose
    missing counts add up (each instance holds the union less what it misses)."""
    result = run("demo", "--data-dir", tmp_path / "demo")

    assert result.exit_code == 0, result.stderr
    assert "copies on 2 other instances: 2 found (2 crawled)" in result.stdout
    federation = pl.read_parquet(tmp_path / "demo" / "out" / "federation.parquet")
    assert federation.height == 3
    assert federation["is_home"].sum() == 1
    held = federation["comments_collected"] + federation["missing_vs_union"]
    assert held.to_list() == federation["comments_union"].to_list()
    assert federation["missing_vs_union"].min() > 0
    home = federation.filter("is_home").row(0, named=True)
    assert f"{home['instance']} (home)" in result.stdout


def test_serve_answers_on_loopback_until_interrupted(tmp_path: Path) -> None:
    """serve prints its address, answers nodeinfo there, and stops on Ctrl-C."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "fedithreads", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        base = first.split(" at ")[1].strip()
        answer = httpx.get(f"{base}/nodeinfo/2.1", verify=TLS, timeout=10)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)

    assert first.startswith("serving ")
    assert base.startswith("http://127.0.0.1:")
    assert answer.json()["software"]["name"] == "lemmy"
    assert proc.returncode == 0
