"""What the collector's tests share: loopback settings, one run, what a run stored.

The whole-system suites (tests/system) run the collector through these too.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl

from fedithreads.collect.outcome import RunReport
from fedithreads.collect.run import Collector
from fedithreads.collect.targets import parse_target
from fedithreads.config import Settings, parse_settings
from fedithreads.storage.tables import scan_table

FAST = {
    "limits": {"default_requests_per_second": 2000},
    "retry": {"backoff_initial_seconds": 0.01, "backoff_max_seconds": 0.05},
}


def settings_for(data_dir: Path, **overrides: Any) -> Settings:
    """Collector settings for loopback tests: a data dir, fast defaults, no long waits."""
    raw: dict[str, Any] = {"contact": "tests@example.org", **FAST, **overrides}
    parsed = parse_settings(raw, "test settings")
    return replace(parsed, data_dir=data_dir)


def collect(settings: Settings, *targets: str, full: bool = False) -> RunReport:
    """One run of the collector over ``targets``."""
    return asyncio.run(Collector(settings, full=full).run([parse_target(t) for t in targets]))


def collected_ids(data_dir: Path, table: str = "comments") -> set[int]:
    column = "comment_id" if table == "comments" else "post_id"
    return set(scan_table(data_dir, table).collect()[column].to_list())


def tables_without_run_columns(data_dir: Path) -> dict[str, pl.DataFrame]:
    """The snapshot tables minus what differs between two runs (when, which run)."""
    out = {}
    for table, key in (("posts", "post_id"), ("comments", "comment_id")):
        frame = scan_table(data_dir, table).collect()
        out[table] = frame.drop("collected_at", "run_id").sort("instance", key)
    return out
