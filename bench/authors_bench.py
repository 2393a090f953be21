"""What the authors table costs the reading commands: ``pipeline.analyze`` with and without it.

    python bench/authors_bench.py [--dir DIR] [--rounds 3]

On the 1M-comment corpus (``bench/corpus.py``, generated into ``--dir`` if needed, as
``bench/analysis_bench.py`` does), each round runs ``pipeline.analyze`` twice in fresh
child processes, once as it is and once with the authors table left out, alternating so
that a busy machine weighs on both alike. Prints the medians of wall time, CPU time and
peak RSS (VmHWM), and each ratio with/without. No target: the table is new; the ratio is
what it adds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import corpus  # noqa: E402

SMALL = corpus.Spec(comments=1_000_000, threads=10_000)


def _child(mode: str, data_dir: Path) -> dict[str, Any]:
    """One ``pipeline.analyze`` in this process; ``mode`` "without" leaves authors out."""
    from fedithreads.analysis import pipeline
    from fedithreads.core import schema

    if mode == "without":
        pipeline.authors_table = lambda posts, comments: schema.empty("authors")
    snapshots = pipeline.load_snapshots([data_dir], data_dir)
    started, cpu = time.perf_counter(), time.process_time()
    tables = pipeline.analyze(snapshots, bucket="1h")
    with Path("/proc/self/status").open() as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    return {
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "rss_mb": kib / 1024,
        "authors": tables["authors"].height,
    }


def measure(mode: str, data_dir: Path) -> dict[str, Any]:
    args = [sys.executable, __file__, "--child", mode, "--data", str(data_dir)]
    done = subprocess.run(args, capture_output=True, text=True, check=False, env=dict(os.environ))
    if done.returncode != 0:
        raise RuntimeError(f"{mode} failed:\n{done.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="where the corpus is generated and kept")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child, args.data)))
        return 0
    root = args.dir or Path(os.environ.get("FEDITHREADS_BENCH_DIR", "/tmp/fedithreads-bench"))
    data_dir = corpus.ensure_corpus(root, SMALL)
    runs: dict[str, list[dict[str, Any]]] = {"without": [], "with": []}
    for _ in range(args.rounds):
        for mode in runs:
            runs[mode].append(measure(mode, data_dir))
    print(f"pipeline.analyze, 1M comments, {runs['with'][0]['authors']:,} author rows")
    print(f"{'measure':<12}{'with':>12}{'without':>12}{'ratio':>9}")
    for key, unit in (("seconds", "s"), ("cpu", "s"), ("rss_mb", "MB")):
        a = statistics.median(r[key] for r in runs["with"])
        b = statistics.median(r[key] for r in runs["without"])
        print(f"{key:<12}{a:>10.2f}{unit:>2}{b:>10.2f}{unit:>2}{a / b:>8.2f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
