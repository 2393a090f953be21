"""What issue 17's additions cost the reading commands: ``pipeline.analyze`` with and without.

    python bench/cost_bench.py [--dir DIR] [--rounds 3]

On the 1M-comment corpus (``bench/corpus.py``, generated into ``--dir`` if needed, as
``bench/analysis_bench.py`` does), each round runs ``pipeline.analyze`` in fresh child
processes five ways, alternating so that a busy machine weighs on all alike: as it is
("all"); without the measures of discussion in thread_stats ("no-metrics": h-index,
reciprocity, re-entry, root share, p90 latency, times to 50/90 %, controversy, their
functions replaced by nulls); without the plain text columns ("no-text": content_text,
body_text); without the authors table ("no-authors"); and without any of these ("before",
the analysis as it was before issue 17). Prints the medians of wall time, CPU time and
peak RSS (VmHWM) and the ratio of "all" to each. Target (issue 17): the metrics cost < 20 % more,
all / no-metrics < 1.20 in wall and CPU time.
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
    """One ``pipeline.analyze`` in this process, with what ``mode`` leaves out."""
    import polars as pl

    from fedithreads.analysis import parts, pipeline, stats
    from fedithreads.analysis.plaintext import TEXT_OF
    from fedithreads.core import schema
    from fedithreads.core.treeshape import TID

    if mode in ("no-metrics", "before"):
        measures = {"h_index": pl.Int64, "reciprocity": pl.Float64, "reentry_authors": pl.Int64}
        stats.answered_authors = lambda comments, of_post, rows: None
        stats.discussion = lambda replies, answered: pl.DataFrame(
            schema={TID: pl.UInt32, **measures}
        )
        stats.kth_published = lambda share: pl.lit(None, schema.TS)
        stats.latency_tail = lambda latency: pl.lit(None, pl.Float64)
        stats.controversy = lambda up, down: pl.lit(None, pl.Float64)
    if mode in ("no-text", "before"):
        pipeline.with_plain_text = lambda rows, table: rows.with_columns(
            pl.lit(None, pl.String).alias(TEXT_OF[table][1])
        )
    if mode in ("no-authors", "before"):  # each instance's worker makes them (analysis.parts)
        parts.authors_table = lambda posts, comments, codes="": schema.empty("authors")
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
        "h_index": tables["thread_stats"]["h_index"].sum(),
        "texts": tables["comments"]["content_text"].count(),
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
    modes = ("all", "no-metrics", "no-text", "no-authors", "before")
    runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in modes}
    for _ in range(args.rounds):
        for mode in modes:
            runs[mode].append(measure(mode, data_dir))
    assert runs["all"][0]["h_index"]
    assert not runs["no-metrics"][0]["h_index"]
    assert runs["all"][0]["texts"]
    assert not runs["no-text"][0]["texts"]
    print(f"pipeline.analyze, 1M comments, medians of {args.rounds} rounds; all / each")
    print(f"{'measure':<9}" + "".join(f"{m:>18}" for m in modes))
    passed = True
    for key, unit in (("seconds", "s"), ("cpu", "s"), ("rss_mb", "MB")):
        median = {m: statistics.median(r[key] for r in runs[m]) for m in modes}
        cells = [f"{median[m]:.2f}{unit} {median['all'] / median[m]:.2f}×" for m in modes]
        passed &= key == "rss_mb" or median["all"] / median["no-metrics"] < 1.2
        print(f"{key:<9}" + "".join(f"{c:>18}" for c in cells))
    print(f"metrics (all / no-metrics) < 1.20× in time: {'pass' if passed else 'MISS'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
