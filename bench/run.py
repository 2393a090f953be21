"""Run every benchmark and print one table: measure, ours, baseline or floor, ratio, target.

    python bench/run.py            # sizes that finish in minutes on a 2-core machine
    python bench/run.py --full     # the big sizes (10M comments, 10,000-comment threads…)
    python bench/run.py --huge     # also 100M comments (generated, ~4 GB, deleted after)
    python bench/run.py --only startup|collect|federation|resume|storage|analysis
    python bench/run.py --markdown # the table as Markdown, for docs/benchmarks.md
    python bench/run.py --timeline # also each federation host's request timeline

Needs the bench extra (`pip install -e '.[bench]'`) for the pandas baseline. Baselines
and floors are measured in the same run as ours, so the ratios hold on any machine.
Without ``--only``, each section runs in a process of its own (this script with
``--only NAME --rows-json``): what one section leaves in its process (a heap of
hundreds of thousands of objects for the garbage collector to walk, imports, threads)
never weighs on the timings of the next, which measure the collector in-process as
a user's process runs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import collect_bench
import federation_bench
import resume_bench
import startup_bench

Row = tuple[str, str, str, str, str, bool]


def storage_rows(full: bool) -> list[Row]:
    try:
        import moto  # noqa: F401  (the S3 server the bench stores into)
    except ImportError as exc:
        return [("storage benchmarks", "not run", str(exc), "", "pip install -e '.[dev]'", False)]
    import storage_bench

    return list(storage_bench.run_all(full=full))


def analysis_rows(full: bool, huge: bool) -> list[Row]:
    try:
        import analysis_bench
    except ImportError as exc:  # pandas missing: say how to get it
        return [
            ("analysis benchmarks", "not run", str(exc), "", "pip install -e '.[bench]'", False)
        ]
    return list(analysis_bench.run_all(full=full, huge=huge))


def section(name: str, rows: Callable[[], list[Row]]) -> list[Row]:
    """A section's rows, or one failed row saying why: the others' rows are kept."""
    try:
        return list(rows())
    except Exception as exc:  # a bench section's failure is one of the results
        print(f"{name} benchmarks failed: {exc}", file=sys.stderr)
        return [(f"{name} benchmarks", "failed", str(exc).splitlines()[0], "", "run", False)]


def isolated(name: str, argv: list[str]) -> list[Row]:
    """A section's rows, measured by this script in a child process of its own (its
    other output passed on as it comes), or one failed row saying why."""
    flags = [a for a in argv if a in ("--full", "--huge", "--timeline")]
    args = [sys.executable, __file__, "--only", name, "--rows-json", *flags]
    done = subprocess.run(args, stdout=subprocess.PIPE, text=True, check=False)
    *lines, last = done.stdout.splitlines() or [""]
    if lines:
        print("\n".join(lines), flush=True)
    try:
        return [tuple(row) for row in json.loads(last)]
    except ValueError:
        why = f"exit {done.returncode}, no rows (see above)"
        return [(f"{name} benchmarks", "failed", why, "", "run", False)]


def markdown(rows: list[Row]) -> str:
    lines = [
        "| measure | ours | baseline / floor | ratio | target | pass |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {m} | {o} | {b} | {r} | {t} | {'yes' if p else 'NO'} |" for m, o, b, r, t, p in rows
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    full = "--full" in argv
    only = argv[argv.index("--only") + 1] if "--only" in argv else None
    started = time.perf_counter()
    rows: list[Row] = []
    huge = "--huge" in argv
    sections: dict[str, Callable[[], list[Row]]] = {
        "startup": lambda: startup_bench.run_all(full=full),
        "collect": lambda: collect_bench.run_all(full=full),
        "federation": lambda: federation_bench.run_all(
            full=full, show_timeline="--timeline" in argv
        ),
        "resume": lambda: resume_bench.run_all(full=full),
        "storage": lambda: storage_rows(full),
        "analysis": lambda: analysis_rows(full, huge),
    }
    for name, measure in sections.items():
        if only is None:
            rows += isolated(name, argv)
        elif only == name:
            rows += section(name, measure)
    if "--rows-json" in argv:  # a section's child process: its rows for the parent
        print(json.dumps(rows))
        return 0
    if "--markdown" in argv:
        print(markdown(rows))
    else:
        collect_bench.print_table(rows)
    failed = sum(1 for r in rows if not r[5])
    print(f"{len(rows)} measures, {failed} below target, {time.perf_counter() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
