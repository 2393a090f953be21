"""The baseline a researcher would write: pandas for the tables, a Python walk per thread.

``baseline_thread_stats(data_dir)`` reads the posts and comments Parquet files with pandas,
keeps the latest snapshot of each object, and then, thread by thread, builds the reply tree
from ``path`` (placeholders for ancestors that were not collected) and walks it
recursively for depths, subtree sizes, widths, branching, structural virality and the
child_count shortfall, with reply latencies looked up in dicts. It follows the formulas in
``fedithreads.analysis.stats.thread_stats`` so the two can be compared column by column.

Needs the ``bench`` extra (pandas, pyarrow): ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import itertools
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

try:
    import pandas as pd
except ImportError as exc:  # pragma: no cover - explained to the user
    raise ImportError(
        "the pandas baseline needs the bench extra: pip install -e '.[bench]' (pandas and pyarrow)"
    ) from exc

from fedithreads.storage.tables import table_files

sys.setrecursionlimit(100_000)


def read_table(data_dir: Path, table: str) -> pd.DataFrame:
    files = table_files(data_dir, table)
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def latest(frame: pd.DataFrame, id_column: str) -> pd.DataFrame:
    """Latest snapshot per (instance, id): greatest collected_at, then the later row."""
    ordered = frame.sort_values("collected_at", kind="stable", na_position="first")
    return ordered.drop_duplicates(["instance", id_column], keep="last")


def baseline_thread_stats(data_dir: Path) -> pd.DataFrame:
    posts = latest(read_table(data_dir, "posts"), "post_id")
    comments = latest(read_table(data_dir, "comments"), "comment_id")
    post_by_key = {(p["instance"], p["post_id"]): p for p in posts.to_dict("records")}
    rows = []
    seen = set()
    for key, group in comments.groupby(["instance", "post_id"], sort=False):
        seen.add(key)
        rows.append(thread_row(key, post_by_key.get(key), group.to_dict("records")))
    for key, post in post_by_key.items():
        if key not in seen:
            rows.append(thread_row(key, post, []))
    out = pd.DataFrame(rows)
    return out.sort_values(["instance", "post_id"], ignore_index=True)


def _seconds(later: Any, earlier: Any) -> float | None:
    if later is None or earlier is None or pd.isna(later) or pd.isna(earlier):
        return None
    return (later - earlier).total_seconds()


def thread_row(key: tuple[str, int], post: dict[str, Any] | None, comments: list[dict]) -> dict:
    instance, post_id = key
    row: dict[str, Any] = {"instance": instance, "post_id": post_id}
    p = post or {}
    row.update(
        ap_id=p.get("ap_id"),
        title=p.get("title"),
        community=p.get("community"),
        published=p.get("published"),
        comments_reported=p.get("comments"),
        post_score=p.get("score"),
        post_upvotes=p.get("upvotes"),
        post_downvotes=p.get("downvotes"),
    )
    row.update(_counts(p, comments))
    row.update(_tree(comments))
    reported, visible = row["comments_reported"], row["comments_visible"]
    if reported is None or pd.isna(reported):
        row["missing"] = row["_shortfall"]
    else:
        row["missing"] = max(reported - visible, row["_shortfall"], 0)
    row["complete"] = post is not None and row["missing"] == 0
    del row["_shortfall"]
    return row


def _counts(post: dict[str, Any], comments: list[dict]) -> dict[str, Any]:
    by_id = {c["comment_id"]: c for c in comments}
    latencies = []
    orphans = 0
    for c in comments:
        if c["parent_id"] is None or pd.isna(c["parent_id"]):
            replied_to = post.get("published")
        else:
            parent = by_id.get(int(c["parent_id"]))
            replied_to = parent["published"] if parent else None
            orphans += parent is None
        latency = _seconds(c["published"], replied_to)
        if latency is not None:
            latencies.append(latency)
    times = [c["published"] for c in comments]
    depths = [c["depth"] for c in comments]
    collected = post.get("collected_at")
    if collected is None or pd.isna(collected):
        collected = max((c["collected_at"] for c in comments), default=None)
    return {
        "collected_at": collected,
        "comments_collected": len(comments),
        "comments_visible": sum(not c["deleted"] and not c["removed"] for c in comments),
        "orphans": orphans,
        "authors": len({c["author_ap_id"] for c in comments}),
        "top_level": sum(d == 1 for d in depths),
        "max_depth": max(depths, default=None),
        "mean_depth": sum(depths) / len(depths) if depths else None,
        "comment_score": sum(c["score"] for c in comments),
        "comment_upvotes": sum(c["upvotes"] for c in comments),
        "comment_downvotes": sum(c["downvotes"] for c in comments),
        "first_reply_seconds": _seconds(min(times, default=None), post.get("published")),
        "median_reply_latency_seconds": statistics.median(latencies) if latencies else None,
        "lifespan_seconds": _seconds(max(times, default=None), post.get("published")),
        "deleted": sum(bool(c["deleted"]) for c in comments),
        "removed": sum(bool(c["removed"]) for c in comments),
        "op_replies": sum(c["author_ap_id"] == post.get("author_ap_id") for c in comments),
    }


def _tree(comments: list[dict]) -> dict[str, Any]:
    """Build the tree from paths (placeholders for missing ancestors) and walk it."""
    children: dict[int, list[int]] = defaultdict(list)
    real: dict[int, dict] = {c["comment_id"]: c for c in comments}
    known: set[int] = set()
    for c in comments:
        labels = [int(x) for x in c["path"].split(".")]
        for parent, child in itertools.pairwise(labels):
            if child not in known:
                known.add(child)
                children[parent].append(child)
    if not known:
        return {
            "max_width": 0,
            "mean_branching": None,
            "structural_virality": None,
            "_shortfall": 0,
        }
    size: dict[int, int] = {}
    real_size: dict[int, int] = {}
    widths: dict[int, int] = defaultdict(int)

    def walk(node: int, depth: int) -> None:
        size[node], real_size[node] = 1, int(node in real)
        widths[depth] += 1
        for child in children.get(node, ()):
            walk(child, depth + 1)
            size[node] += size[child]
            real_size[node] += real_size[child]

    for top in children[0]:
        walk(top, 1)
    n = len(size) + 1
    wiener = sum(s * (n - s) for s in size.values())

    def shortfall(node: int) -> int:
        if node in real:
            return max(0, int(real[node]["child_count"]) - (real_size[node] - 1))
        return 1 + sum(shortfall(child) for child in children.get(node, ()))

    parents = sum(1 for node in [0, *size] if children.get(node))
    return {
        "max_width": max(widths.values()),
        "mean_branching": len(size) / parents,
        "structural_virality": wiener / (n * (n - 1) / 2),
        "_shortfall": sum(shortfall(top) for top in children[0]),
    }
