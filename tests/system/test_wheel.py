"""The package as pip installs it from a wheel (not ``pip install -e``): demo and serve
find the fixtures they replay inside the installed package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]


def sh(*args: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
def test_a_wheel_installed_in_a_fresh_venv_runs_demo(tmp_path: Path) -> None:
    """Build the wheel, install it (and its dependencies, from the package index pip is
    configured with) into a new venv, and run `fedithreads demo` outside the checkout: it
    exits 0 and shows the seed thread (the wheel had no fixtures: demo and serve failed)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    built = sh(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "-w",
        tmp_path / "dist",
        REPO,
        cwd=tmp_path,
        env=env,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("fedithreads-*.whl")
    venv = tmp_path / "venv"
    assert sh(sys.executable, "-m", "venv", venv, cwd=tmp_path, env=env).returncode == 0
    python = venv / "bin" / "python"
    installed = sh(python, "-m", "pip", "install", "-q", wheel, cwd=tmp_path, env=env)
    assert installed.returncode == 0, installed.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    demo = sh(venv / "bin" / "fedithreads", "demo", cwd=elsewhere, env=env)
    where = sh(
        python,
        "-c",
        "from fedithreads.cli.demo import fixtures_dir; print(fixtures_dir())",
        cwd=elsewhere,
        env=env,
    )

    assert demo.returncode == 0, demo.stderr
    assert "LittleSpoon@lemmygrad.ml" in demo.stdout
    assert Path(where.stdout.strip()).is_relative_to(venv)
    assert list(elsewhere.iterdir()) == []
