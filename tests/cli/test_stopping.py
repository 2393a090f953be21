"""Ctrl-C and SIGTERM in any command: one line and exit 130 or 143, never "Aborted!"."""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from fedithreads.analysis import pipeline
from fedithreads.cli import demo as demo_module
from fedithreads.cli.main import main

REAL = Path(__file__).parents[2] / "fixtures" / "real"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def interrupted(*_: Any, **__: Any) -> Any:
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("args", "after"),
    [
        (["analyze", REAL], "files are written whole or not at all; run it again"),
        (["report", REAL, "--out", "r"], "files are written whole or not at all; run it again"),
        (["export", REAL, "--out", "x"], "files are written whole or not at all; run it again"),
        (["show", "180", REAL], "nothing was written"),
    ],
)
def test_ctrl_c_is_one_line_and_exit_130(
    monkeypatch: pytest.MonkeyPatch, args: list[str | Path], after: str
) -> None:
    """Ctrl-C while a command reads its sources ends it with exit 130 and one line
    saying what is left (click said "Aborted!" and exited 1, the code of a failed run)."""
    monkeypatch.setattr(pipeline, "load_snapshots", interrupted)

    result = run(*args)

    assert result.exit_code == 130
    assert result.stderr == f"fedithreads: {args[0]} stopped by SIGINT; {after}\n"
    assert "Aborted" not in result.output


def test_sigterm_is_one_line_and_exit_143(monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM (a service manager, kill) ends a command like Ctrl-C, with 143, after its
    cleanup has run; the handler before it is back afterwards."""
    before = signal.getsignal(signal.SIGTERM)

    def terminated(*_: Any, **__: Any) -> Any:
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("SIGTERM did not stop the command")

    monkeypatch.setattr(pipeline, "load_snapshots", terminated)

    result = run("analyze", REAL)

    assert result.exit_code == 143
    assert result.stderr.startswith("fedithreads: analyze stopped by SIGTERM; ")
    assert signal.getsignal(signal.SIGTERM) == before


def test_demo_leaves_no_temporary_data_dir_behind_done_or_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """demo without --data-dir collects into a temporary dir and removes it at the end,
    and also when Ctrl-C stops it (every run used to leave one behind)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    done = run("demo")
    assert done.exit_code == 0, done.output
    assert "removed at the end" in done.stdout
    assert list(tmp_path.iterdir()) == []

    monkeypatch.setattr(demo_module, "run_demo", interrupted)
    stopped = run("demo")
    assert stopped.exit_code == 130
    assert "temporary data dir removed" in stopped.stderr
    assert list(tmp_path.iterdir()) == []
