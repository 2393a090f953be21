"""What `fedithreads --help` loads: the click group and the commands' options, nothing heavy."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("polars", "pydantic", "duckdb", "httpx", "msgspec", "fedithreads.analysis")


def test_the_command_line_loads_no_heavy_library_before_a_command_runs() -> None:
    """Importing the click group (all `--help` needs) imports no Polars, pydantic, DuckDB,
    HTTP client, msgspec or analysis, and not importlib.metadata (only `--version` reads it)."""
    code = (
        "import sys, fedithreads.cli.main; "
        f"print(sorted(m for m in {(*HEAVY, 'importlib.metadata')!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "[]"


def test_version_is_read_from_the_installed_metadata_when_asked() -> None:
    """`fedithreads --version` prints the installed distribution's version."""
    from importlib.metadata import version

    done = subprocess.run(
        [sys.executable, "-m", "fedithreads", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )

    assert done.stdout.strip() == f"fedithreads, version {version('fedithreads')}"
