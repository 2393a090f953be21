"""serve --federation as a user runs it: N instances, what it prints, its usage errors."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx
import pytest
from click.testing import CliRunner

from fedithreads.cli.main import main
from fedithreads.cli.serving import federation_lines
from fedithreads.replay.federation import ReplayFederation
from tests.conftest import TLS


def test_serve_federation_prints_each_instance_and_the_collect_line() -> None:
    """Three instances on free ports: one line each, the home's post answers over HTTP and
    the printed collect line names the home's post and the two other instances."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "fedithreads", "serve", "--federation", "3", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(9)]
        command = lines[7].split()
        home_url, post_id = command[2].rsplit("/post/", 1)
        post = httpx.get(f"{home_url}/api/v3/post", params={"id": post_id}, verify=TLS)
        mirrors = command[4].split(",")
        sites = [httpx.get(f"http://{m}/api/v3/site", verify=TLS) for m in mirrors]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)

    assert (
        lines[0]
        == "serving 1 thread of 420 comments on 3 instances, each missing about 10% of them:\n"
    )
    assert [line.split()[2:4] for line in lines[1:4]] == [
        ["downvotes", "on"],
        ["downvotes", "on"],
        ["downvotes", "off"],
    ]
    assert all(" 378 of 420 comments" in line for line in lines[1:4])
    assert lines[1].strip().startswith(home_url)
    assert lines[1].endswith("(home)\n")
    assert command[:2] == ["fedithreads", "collect"]
    assert command[3] == "--across"
    assert post.json()["post_view"]["post"]["ap_id"].startswith(f"https://{home_url[7:]}/post/")
    assert [s.status_code for s in sites] == [200, 200]
    assert lines[8] == "Ctrl-C to stop\n"
    assert proc.returncode == 0


def test_federation_lines_name_every_thread_on_the_home() -> None:
    """Two threads: both home post URLs are listed and both go into one collect line."""
    with ReplayFederation(2, 0.5, seed=2, threads=2, comments=6) as fed:
        lines = federation_lines(fed)
        urls = [fed.home.post_url(0), fed.home.post_url(1)]
        mirror = fed.members[1].key

    assert lines[0].startswith("serving 2 threads of 12 comments on 2 instances")
    assert lines[4].startswith(f"  {urls[0]}  ")
    assert lines[5].startswith(f"  {urls[1]}  ")
    assert lines[-1] == f"  fedithreads collect {urls[0]} {urls[1]} --across {mirror}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--federation", "1"], "--federation 1: a federation has 2 instances or more"),
        (["--federation", "3", "--federation-loss", "1"], "--federation-loss 1.0: give a share"),
        (["--federation", "3", "--federation-loss", "-0.5"], "--federation-loss -0.5"),
        (["--federation-loss", "0.2"], "--federation-loss needs --federation N"),
        (["--federation", "2", "."], "--federation serves a synthetic thread: give it no"),
    ],
)
def test_bad_federation_arguments_are_one_line_usage_errors(args: list[str], message: str) -> None:
    """Impossible federations are refused before anything is bound: one line, exit 2."""
    result = CliRunner().invoke(main, ["serve", *args])

    assert result.exit_code == 2
    assert result.stderr.startswith(f"fedithreads: error: {message}")
    assert result.stderr.count("\n") == 1
