"""Helpers for collector integration tests (no tests here): settings, runs, ground truth."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import polars as pl

from fedithreads.collect.outcome import RunReport
from fedithreads.collect.run import Collector
from fedithreads.collect.targets import parse_target
from fedithreads.config import Settings, parse_settings
from fedithreads.replay.serve import ReplayServer
from fedithreads.storage.tables import scan_table
from tests.replay_support import ALL, PREFIX, TLS

FAST = {
    "limits": {"default_requests_per_second": 2000},
    "retry": {"backoff_initial_seconds": 0.01, "backoff_max_seconds": 0.05},
}


def settings_for(data_dir: Path, **overrides: Any) -> Settings:
    """Collector settings for loopback tests: a data dir, fast defaults, no long waits."""
    raw: dict[str, Any] = {"contact": "tests@example.org", **FAST, **overrides}
    parsed = parse_settings(raw, "test settings")
    return parsed.model_copy(update={"data_dir": data_dir})


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


def post_level_reach(server: ReplayServer, post_id: int, ceiling: int) -> set[int]:
    """Every comment some post-level query can return behind a page ceiling: flat pages
    (≤ ceiling) in every sort, and the 300-row max_depth=1 listings in every sort."""
    dialect = "lemmy-v3"
    sorts = ("Old", "New", "Top", "Hot", "Controversial")
    found: set[int] = set()
    with httpx.Client(base_url=server.base_url, verify=TLS, timeout=10) as http:
        for sort in sorts:
            for page in range(1, ceiling + 1):
                rows = _ids(http, dialect, post_id=post_id, sort=sort, limit=50, page=page)
                found |= rows
                if len(rows) < 50:
                    break
            found |= _ids(http, dialect, post_id=post_id, sort=sort, max_depth=1, limit=50)
    return found


def _ids(http: httpx.Client, dialect: str, **params: Any) -> set[int]:
    answer = http.get(f"{PREFIX[dialect]}/comment/list", params={"type_": ALL[dialect], **params})
    answer.raise_for_status()
    return {c["comment"]["id"] for c in answer.json()["comments"]}


def branches_touching(paths: dict[int, str], hit: Iterable[int]) -> set[int]:
    """All comments of the top-level branches that contain any comment of ``hit``."""
    top = {cid: path.split(".")[1] for cid, path in paths.items()}
    touched = {top[c] for c in hit}
    return {cid for cid, t in top.items() if t in touched}
