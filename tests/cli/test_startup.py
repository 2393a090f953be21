"""What the command line loads: `--help` the click group and the commands' options, nothing
heavy; `collect` what it needs for its first request, the rest while the answers come."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("polars", "pydantic", "duckdb", "httpx", "msgspec", "fedithreads.analysis")


def test_the_command_line_loads_no_heavy_library_before_a_command_runs() -> None:
    """Importing the click group (all `--help` needs) imports no Polars, pydantic, DuckDB,
    HTTP client, msgspec or analysis, and not importlib.metadata (the version is a literal)."""
    code = (
        "import sys, fedithreads.cli.main; "
        f"print(sorted(m for m in {(*HEAVY, 'importlib.metadata')!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "[]"


def test_version_printed_is_the_installed_distributions() -> None:
    """`fedithreads --version` prints the installed distribution's version."""
    from importlib.metadata import version

    done = subprocess.run(
        [sys.executable, "-m", "fedithreads", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )

    assert done.stdout.strip() == f"fedithreads, version {version('fedithreads')}"


def test_the_version_written_in_the_package_is_the_installed_distributions() -> None:
    """`fedithreads._version` (what the User-Agent says, read without a metadata lookup)
    and the installed distribution's version are one: pyproject.toml reads the file."""
    from importlib.metadata import version

    from fedithreads._version import __version__

    assert __version__ == version("fedithreads")


FIRST_REQUEST = """
import json, os, sys

import httpx

LATER = ("polars", "pydantic", "fedithreads.dialects", "fedithreads.analysis")

def first(self, request):
    loaded = [m for m in LATER if m in sys.modules]
    print(json.dumps({"url": str(request.url), "loaded": loaded}), flush=True)
    os._exit(0)

httpx.AsyncHTTPTransport.handle_async_request = first
from fedithreads.cli.main import main
main(sys.argv[1:])
"""


def test_collect_sends_its_first_request_before_loading_polars_or_the_models(
    tmp_path: Path,
) -> None:
    """`fedithreads collect` reads its settings, takes the lock, opens its state and sends
    its first request (nodeinfo) with neither Polars, pydantic, the dialect models nor the
    analysis imported: they load while the answers are awaited (issue 16)."""
    config = tmp_path / "config.toml"
    config.write_text('contact = "tests@example.org"\n')
    args = ["collect", "http://127.0.0.1:9/post/1", "--config", str(config)]
    args += ["--data-dir", str(tmp_path / "data")]

    done = subprocess.run(
        [sys.executable, "-c", FIRST_REQUEST, *args], capture_output=True, text=True, check=True
    )

    first = json.loads(done.stdout)
    assert first["url"] == "http://127.0.0.1:9/nodeinfo/2.1"
    assert first["loaded"] == []


def test_importing_the_collector_loads_no_polars() -> None:
    """Importing what `collect` runs (cli.collecting, the collector and its storage) loads
    neither Polars nor the dialect models."""
    code = (
        "import sys, fedithreads.cli.collecting; "
        "print(sorted(m for m in ('polars', 'fedithreads.dialects') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "[]"


def test_collect_imports_httpx_without_its_command_line_client() -> None:
    """httpx's own `httpx` command (which loads rich) is not imported with collect's modules,
    and still imports for whoever asks for it afterwards."""
    script = (
        "import importlib, json, sys\n"
        "import fedithreads.cli.collecting\n"
        "before = [m for m in ('httpx._main', 'rich') if m in sys.modules]\n"
        "main = importlib.import_module('httpx._main').main\n"
        "print(json.dumps({'before': before, 'after': main.name}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )

    assert json.loads(done.stdout) == {"before": [], "after": "main"}


ALLOCATOR = """
import os, sys, types
from fedithreads.cli import run
def run_collect(*args, **kwargs):
    print(os.environ.get("_RJEM_MALLOC_CONF"), "polars" in sys.modules)
fake = types.ModuleType("fedithreads.cli.collecting")
fake.run_collect = run_collect
sys.modules["fedithreads.cli.collecting"] = fake
run.collect.main(["x.example"], standalone_mode=False)
"""


def test_collect_configures_polars_allocator_before_polars_loads() -> None:
    """`collect` asks Polars' allocator to hand freed pages back at once (its memory
    peak), before Polars is loaded; a configuration from the environment is kept."""
    from fedithreads.cli.run import LEAN_ALLOCATOR

    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    plain = subprocess.run(
        [sys.executable, "-c", ALLOCATOR], capture_output=True, text=True, check=True, env=env
    )
    own = subprocess.run(
        [sys.executable, "-c", ALLOCATOR],
        capture_output=True,
        text=True,
        check=True,
        env={**env, "_RJEM_MALLOC_CONF": "narenas:1"},
    )

    assert plain.stdout.split() == [LEAN_ALLOCATOR, "False"]
    assert own.stdout.split() == ["narenas:1", "False"]
