"""The program as a user runs it: process start to first request, to exit (issue 16).

Every measure runs the ``fedithreads`` console script as a child process, timed from just
before it is started (``time.monotonic``, the clock the replay servers in
bench/replay_host.py log with, shared by every process on the machine) to its exit or to
the first request a server logged:

* ``--help`` of the group and of every command, median of 5, beside ``python -c pass``;
* the first HTTP request of ``collect`` (a server without latency, so its log time is the
  arrival), median of 3: ≤ 0.4 s after the process starts; beside it what importing the
  HTTP stack alone and all of collect's modules cost (medians of 5);
* a cron run that finds nothing new (a 50-thread community collected once before): its
  wall time against the span of its own requests, which are what it cannot avoid;
* the 10,000-comment thread of collect_bench's (a), 100 ms latency and 60 requests/s, as
  one process from start to exit, against the floor of its requests: ≤ 1.2×, without a
  page ceiling and behind a 100-page one.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import collect_bench as cb

Row = cb.Row
LATENCY = 0.1
PACE = 0.9
"""``limits.rate_fraction`` by default: the collector asks for 90 % of a published limit
(at 100 % this server refuses some requests as rate-limited, and their retries cost more
than the margin), so the floor of its own pace is 1.11 × the server's."""


def command() -> list[str]:
    """The console script beside this interpreter, as a user runs it."""
    script = Path(sys.executable).with_name("fedithreads")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fedithreads"]


def wall(args: list[str], *, cwd: Path | None = None) -> tuple[float, float]:
    """Run ``args`` to its end: (monotonic start, seconds)."""
    started = time.monotonic()
    done = subprocess.run(args, capture_output=True, text=True, check=False, cwd=cwd)
    if done.returncode != 0:
        raise RuntimeError(f"{args[1:3]} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return started, time.monotonic() - started


def median_wall(args: list[str], times: int = 5) -> float:
    return statistics.median(wall(args)[1] for _ in range(times))


def help_rows() -> list[Row]:
    from fedithreads.cli.main import main

    floor = median_wall([sys.executable, "-c", "pass"])
    seconds = {"(group)": median_wall([*command(), "--help"])}
    seconds |= {name: median_wall([*command(), name, "--help"]) for name in main.commands}
    slowest = max(seconds, key=seconds.__getitem__)
    return [
        (
            f"--help, slowest of {len(seconds)} ({slowest}; median of 5)",
            f"{seconds[slowest]:.3f}s",
            f"{floor:.3f}s (python -c pass)",
            f"{seconds[slowest] / floor:.1f}",
            "≤ 0.3 s",
            seconds[slowest] <= 0.3,
        ),
        (
            "--help, mean of every command",
            f"{statistics.mean(seconds.values()):.3f}s",
            f"{floor:.3f}s (python -c pass)",
            f"{statistics.mean(seconds.values()) / floor:.1f}",
            "≤ 0.3 s",
            max(seconds.values()) <= 0.3,
        ),
    ]


def collect_args(url: str, data_dir: Path, *extra: str) -> list[str]:
    config = data_dir.with_suffix(".toml")
    config.write_text('contact = "bench@example.org"\nkeep_raw = false\n')
    return [
        *command(),
        "collect",
        url,
        "--config",
        str(config),
        "--data-dir",
        str(data_dir),
        *extra,
    ]


def first_request_row(tmp: Path) -> Row:
    spec = cb.big_thread_scenario(1_000, {}, "0.19.13")
    starts = []
    with cb.servers([spec]) as s:
        for i in range(3):
            starts.append(wall(collect_args(f"{s.urls[0]}/post/900001", tmp / f"first-{i}"))[0])
    firsts = [min(t for t, *_ in s.logs[0] if t >= start) - start for start in starts]
    delay = statistics.median(firsts)
    floor = median_wall([sys.executable, "-c", "pass"])
    http = median_wall([sys.executable, "-c", "import asyncio, httpx"])
    modules = median_wall([sys.executable, "-c", "import fedithreads.cli.collecting"])
    return (
        "collect: first HTTP request after process start (median of 3)",
        f"{delay:.3f}s",
        f"python -c pass {floor:.3f}s; importing asyncio+httpx {http:.3f}s, "
        f"collect's modules {modules:.3f}s",
        f"{delay / floor:.1f}",
        "≤ 0.4 s",
        delay <= 0.4,
    )


def cron_row(tmp: Path) -> Row:
    """The second run over a community whose threads have not changed."""
    spec = cb.community_spec(threads=50)
    with cb.servers([spec]) as s:
        args = collect_args(f"{s.urls[0]}/c/technology@lemmy.world", tmp / "cron")
        wall(args)
        start, seconds = wall(args)
    log = [t for t, *_ in s.logs[0] if t >= start]
    span = max(log) - (min(log) - LATENCY)
    own = seconds - span
    return (
        f"cron re-run, nothing new: wall ({len(log)} requests)",
        f"{seconds:.2f}s",
        f"{span:.2f}s (its requests' span)",
        f"{seconds / span:.2f}",
        "requests + < 0.5 s",
        own < 0.5,
    )


def thread_rows(tmp: Path, n: int = 10_000) -> list[Row]:
    rows: list[Row] = []
    quick = {"latency_seconds": LATENCY, "rate_limit": [60, 1]}
    concurrency = cb.settings(tmp).limits.per_host_concurrency
    for label, version, ceiling in (
        ("no ceiling, 0.19.13", "0.19.13", None),
        ("ceiling 100, 0.19.20", "0.19.20", 100),
    ):
        spec = cb.big_thread_scenario(n, {**quick, "page_ceiling": ceiling}, version)
        with cb.servers([spec]) as s:
            args = collect_args(f"{s.urls[0]}/post/900001", tmp / f"e2e-{version}")
            _, seconds = wall(args)
            truth = s.truth[0][900001]
        requests = len(s.logs[0])
        floor = cb.floor_seconds(requests, 60, LATENCY, concurrency)
        pace = cb.floor_seconds(requests, 60 * PACE, LATENCY, concurrency)
        complete = cb.collected(tmp / f"e2e-{version}") == truth
        rows.append(
            (
                f"(a) {n} comments, {label}, process start to exit: wall vs floor",
                f"{seconds:.2f}s",
                f"{floor:.2f}s ({requests} requests; {pace:.2f}s at our pace, "
                f"{seconds / pace:.2f}×)",
                f"{seconds / floor:.2f}",
                "≤ 1.2, complete",
                seconds <= 1.2 * floor and complete,
            )
        )
    return rows


def compile_package() -> None:
    """Write the package's bytecode first, as an installed copy has it: in a checkout run
    with PYTHONDONTWRITEBYTECODE set, every child process would compile each module it
    imports again (~0.03 s on ``--help``, ~0.04 s before the first request)."""
    import compileall

    import fedithreads

    compileall.compile_dir(Path(fedithreads.__file__).parent, quiet=1)


def run_all(full: bool = False) -> list[Row]:
    import tempfile

    compile_package()
    with tempfile.TemporaryDirectory(prefix="fedithreads-startup-") as tmp:
        base = Path(tmp)
        return [*help_rows(), first_request_row(base), cron_row(base), *thread_rows(base)]


if __name__ == "__main__":
    cb.print_table(run_all())
