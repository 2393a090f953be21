"""Analysis at scale on one machine: ``analyze(streaming=True)`` on 10M and 100M comments.

``scale_rows(work_dir, huge=False)`` (``bench/analysis_bench.py --full``) measures the
10M-comment corpus (100,000 threads over six instances): ≤ 10 s and ≤ 1.5 GB peak RSS.
With ``huge=True`` (``--huge``) it also measures the 100M-comment corpus (1M threads over
100 instances sharing them evenly, ~4 GB of Parquet), generated into the work dir unless
it is there already and deleted after: ≤ 4 GB peak and ≤ 12× the 10M run's wall time,
and prints the curve 1M → 10M → 100M. Each run is a child process of its own
(``analysis_bench.measure``), its peak RSS read from VmHWM.
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
        one = ab.measure("streaming", corpus.ensure_corpus(work_dir, ab.SMALL))
        rows += huge_rows(work_dir, one, ten)
    return rows


def huge_rows(work_dir: Path, one: dict[str, Any], ten: dict[str, Any]) -> list[ab.Row]:
    """The 100M corpus against the 10M run of the same bench run, and the curve."""
    data_dir = corpus.ensure_corpus(work_dir, ab.HUGE)
    try:
        made = json.loads((data_dir / "corpus.json").read_text())
        hundred = ab.measure("streaming", data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    growth = hundred["seconds"] / ten["seconds"]
    curve = [one, ten, hundred]
    return [
        ab._row(
            "analyze(streaming=True), 100M comments: peak RSS",
            hundred["rss_mb"],
            4096,
            "MB",
            "≤ 4 GB",
            most=True,
        ),
        ab.Row(
            "analyze(streaming=True), 100M comments: wall vs 10M run",
            f"{hundred['seconds']:,.1f} s",
            f"{ten['seconds']:.1f} s (10M)",
            f"{growth:.1f}×",
            "≤ 12× (linear or better)",
            growth <= 12,
        ),
        ab.Row(
            "curve 1M → 10M → 100M (streaming): wall",
            " → ".join(f"{r['seconds']:,.1f} s" for r in curve),
            f"generated in {made['seconds']:,.0f} s, {made['rows']['comments']:,} rows",
            " → ".join(f"{r['seconds'] / one['seconds']:,.0f}×" for r in curve),
            "(the curve)",
            True,
        ),
        ab.Row(
            "curve 1M → 10M → 100M (streaming): peak RSS",
            " → ".join(f"{r['rss_mb']:,.0f} MB" for r in curve),
            "-",
            " → ".join(f"{r['rss_mb'] / one['rss_mb']:,.1f}×" for r in curve),
            "(the curve)",
            True,
        ),
    ]
