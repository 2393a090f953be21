"""Analysis at scale on one machine: ``analyze(streaming=True)`` on 10M and 100M comments.

``scale_rows(work_dir, huge=False)`` (``bench/analysis_bench.py --full``) measures the
10M-comment corpus (100,000 threads over six instances): ≤ 10 s and ≤ 1.5 GB peak RSS.
With ``huge=True`` (``--huge``) it also measures the 100M-comment corpus (1M threads over
100 instances sharing them evenly, ~4.3 GB of Parquet), generated into the work dir unless
it is there already and deleted after, the way such a corpus is analysed:
``analyze --streaming --out`` (``pipeline.analyze_into``: every table written, partitioned
by instance, as each instance's rows are computed), against the same at 1M and 10M:
≤ 4 GB peak and ≤ 12× the 10M run's wall time, and the curve 1M → 10M → 100M; and the
10M corpus spread over 100 instances against the same over six (≤ 1.25×: instances
must not multiply the work). Then the same two runs with ``--jobs 2`` (two instances
analysed at once, each written by its own worker), 100M against 10M: the same targets.
(``analyze(streaming=True)`` returns its tables in memory, and vote_history keeps every
snapshot: 113M rows at 100M comments, about 12 GB by the 1M corpus's 122 MB per 1.1M
rows, more than the 4 GB allowed whatever the engine.) Each run is a child process of its
own (``analysis_bench.measure``), its peak RSS read from VmHWM; written results are
deleted after each.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import analysis_bench as ab
import corpus


def scale_rows(work_dir: Path, *, huge: bool = False) -> list[ab.Row]:
    ten = ab.measure("streaming", corpus.ensure_corpus(work_dir, ab.FULL))
    rows = [
        ab._row(
            "analyze(streaming=True), 10M comments: wall",
            ten["seconds"],
            10,
            "s",
            "≤ 10 s",
            most=True,
        ),
        ab._row(
            "analyze(streaming=True), 10M comments: peak RSS",
            ten["rss_mb"],
            1536,
            "MB",
            "≤ 1.5 GB",
            most=True,
        ),
    ]
    if huge:
        one = into(corpus.ensure_corpus(work_dir, ab.SMALL))
        ten_into = into(corpus.ensure_corpus(work_dir, ab.FULL))
        ten_jobs = into(corpus.ensure_corpus(work_dir, ab.FULL), jobs=2)
        rows += [
            *spread_rows(work_dir, ten_into, ten_jobs),
            *huge_rows(work_dir, one, ten_into, ten_jobs),
        ]
    return rows


SPREAD = corpus.Spec(comments=10_000_000, threads=100_000, instances=100)
"""The 10M corpus over 100 instances: what the 100M corpus's spread costs, at 10M."""


def spread_rows(work_dir: Path, ten: dict[str, Any], ten_jobs: dict[str, Any]) -> list[ab.Row]:
    """``analyze --streaming --out`` of 10M comments over 100 instances against the same
    over six (``ten``), then both with ``--jobs 2``: each instance reads its own files, so
    the cost per comment should not grow with the instances (it grew as instances × files
    before: issue 16)."""
    data_dir = corpus.ensure_corpus(work_dir, SPREAD)
    try:
        spread = into(data_dir)
        spread_jobs = into(data_dir, jobs=2)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    rows = []
    for name, (a, b) in {"": (spread, ten), " --jobs 2": (spread_jobs, ten_jobs)}.items():
        rows.append(
            ab.Row(
                f"analyze --streaming --out{name}, 10M comments over 100 instances vs over 6: wall",
                f"{a['seconds']:,.1f} s, {a['rss_mb']:,.0f} MB",
                f"{b['seconds']:.1f} s, {b['rss_mb']:,.0f} MB",
                f"{a['seconds'] / b['seconds']:.2f}×",
                "≤ 1.25× (per comment, instances cost little)",
                a["seconds"] / b["seconds"] <= 1.25,
            )
        )
    return rows


def into(data_dir: Path, jobs: int = 1) -> dict[str, Any]:
    """``analyze --streaming --out --jobs N`` of ``data_dir`` in a child; its output
    deleted after."""
    report = ab.measure(f"into-{jobs}", data_dir)
    shutil.rmtree(Path(report["out"]).with_suffix(".d"), ignore_errors=True)
    return report


def huge_rows(
    work_dir: Path, one: dict[str, Any], ten: dict[str, Any], ten_jobs: dict[str, Any]
) -> list[ab.Row]:
    """The 100M corpus against the 10M run of the same bench run, and the curve; then
    both with ``--jobs 2``."""
    data_dir = corpus.ensure_corpus(work_dir, ab.HUGE)
    try:
        made = json.loads((data_dir / "corpus.json").read_text())
        hundred = into(data_dir)
        hundred_jobs = into(data_dir, jobs=2)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    growth = hundred["seconds"] / ten["seconds"]
    curve = [one, ten, hundred]
    return [
        ab._row(
            "analyze --streaming --out, 100M comments: peak RSS",
            hundred["rss_mb"],
            4096,
            "MB",
            "≤ 4 GB",
            most=True,
        ),
        ab.Row(
            "analyze --streaming --out, 100M comments: wall vs 10M",
            f"{hundred['seconds']:,.1f} s",
            f"{ten['seconds']:.1f} s (10M)",
            f"{growth:.1f}×",
            "≤ 12× (linear or better)",
            growth <= 12,
        ),
        ab.Row(
            "curve 1M → 10M → 100M (--streaming --out): wall",
            " → ".join(f"{r['seconds']:,.1f} s" for r in curve),
            f"generated in {made['seconds']:,.0f} s, {made['rows']['comments']:,} rows",
            " → ".join(f"{r['seconds'] / one['seconds']:,.0f}×" for r in curve),
            "(the curve)",
            True,
        ),
        ab.Row(
            "curve 1M → 10M → 100M (--streaming --out): peak RSS",
            " → ".join(f"{r['rss_mb']:,.0f} MB" for r in curve),
            "-",
            " → ".join(f"{r['rss_mb'] / one['rss_mb']:,.1f}×" for r in curve),
            "(the curve)",
            True,
        ),
        ab._row(
            "analyze --streaming --out --jobs 2, 100M comments: peak RSS",
            hundred_jobs["rss_mb"],
            4096,
            "MB",
            "≤ 4 GB",
            most=True,
        ),
        ab.Row(
            "analyze --streaming --out --jobs 2, 100M comments: wall vs the same on 10M",
            f"{hundred_jobs['seconds']:,.1f} s",
            f"{ten_jobs['seconds']:.1f} s, {ten_jobs['rss_mb']:,.0f} MB (10M, --jobs 2)",
            f"{hundred_jobs['seconds'] / ten_jobs['seconds']:.1f}×",
            "≤ 12× (linear or better)",
            hundred_jobs["seconds"] / ten_jobs["seconds"] <= 12,
        ),
    ]


def main(argv: list[str]) -> int:
    """``python bench/scale_bench.py [--huge] [--dir DIR]``: these rows alone."""
    import os

    work_dir = Path(os.environ.get("FEDITHREADS_BENCH_DIR", "/tmp/fedithreads-bench"))
    if "--dir" in argv:
        work_dir = Path(argv[argv.index("--dir") + 1])
    table = scale_rows(work_dir, huge="--huge" in argv)
    print(ab.format_table(table))
    return 0 if all(r.passed for r in table) else 1


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
