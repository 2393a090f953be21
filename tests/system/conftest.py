"""What the whole-system suites share: the long-run test's model of the tables.

``Expected`` is what the tables must hold, worked out from the replay server's truth. It
follows the collector's documented rules (README "Incremental") with the dataset as the
only source of truth: every run snapshots each listed post; a thread is re-crawled when
it is new, its ``comments`` or ``newest_comment_time`` changed since its last crawl, it
is younger than ``resnapshot_window``, or the run is ``--full``; a crawl snapshots every
comment the server has at that moment. ``posts``/``comments`` are the current rows the
tables must hold, ``history`` the vote_history rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from msgspec.structs import asdict

from fedithreads.analysis.history import vote_history
from fedithreads.analysis.snapshots import current
from fedithreads.core import schema
from fedithreads.core.records import CommentRecord, PostRecord
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.tables import read_table, scan_table
from fedithreads.synth.generate import generate_thread

COMMUNITY_START = datetime(2026, 3, 1, tzinfo=UTC)


def community(posts: int = 40) -> ReplayDataset:
    """``posts`` threads of 5-40 comments, all older than the re-snapshot window."""
    return ReplayDataset.from_threads(
        generate_thread(
            300 + i,
            instance="lemmy.ca",
            n_comments=5 + (i * 7) % 36,
            depth=5,
            post_id=9000 + i,
            comment_id_base=20_000_000 + i * 1_000_000,
            start=COMMUNITY_START + timedelta(hours=i),
        )
        for i in range(posts)
    )


PROVENANCE = ("instance", "dialect", "server_version", "collected_at", "run_id")
"""Columns a server does not send: where and when the snapshot was taken."""

Row = dict[str, Any]

ORDINARY = dict.fromkeys(schema.CREATOR_COLUMNS, False)
"""The creator's flags as the replay server shows every author: an ordinary account."""


def post_row(post: PostRecord) -> Row:
    """A post as the server (0.19.20) shows it, in the posts table's columns minus
    provenance: ``newest_comment_time`` is the post's own time until a comment arrives."""
    raw = asdict(post) | ORDINARY
    raw["newest_comment_time"] = post.newest_comment_time or post.published
    return {k: raw[k] for k in schema.POSTS if k not in PROVENANCE}


def comment_row(comment: CommentRecord) -> Row:
    """A comment as the server (0.19.20) shows it: deleted and removed text blanked;
    ``parent_id`` and ``depth`` read off ``path`` by hand."""
    raw = asdict(comment) | ORDINARY
    labels = comment.path.split(".")
    raw["parent_id"] = int(labels[-2]) if len(labels) > 2 else None
    raw["depth"] = len(labels) - 1
    if comment.deleted or comment.removed:
        raw["content"] = None
    return {k: raw[k] for k in schema.COMMENTS if k not in PROVENANCE}


def history_row(kind: str, row: Row, when: datetime) -> tuple[Any, ...]:
    """One vote_history row (minus instance) for a snapshot ``row`` taken at ``when``."""
    key = "post_id" if kind == "post" else "comment_id"
    counts = (row["comments"], None) if kind == "post" else (None, row["child_count"])
    return (kind, row[key], when, row["score"], row["upvotes"], row["downvotes"], *counts)


@dataclass
class Expected:
    """The tables a correct collector leaves after each run, and what they lag behind."""

    window: timedelta
    seen: dict[int, tuple[int, datetime | None]] = field(default_factory=dict)
    posts: dict[int, Row] = field(default_factory=dict)
    comments: dict[int, Row] = field(default_factory=dict)
    history: list[tuple[Any, ...]] = field(default_factory=list)

    def reason(self, post: PostRecord, now: datetime, *, full: bool) -> str | None:
        """Why the thread is due a re-crawl this run (the collector's words), or None."""
        seen = self.seen.get(post.post_id)
        if full:
            return "full"
        if seen is None:
            return "new"
        if seen != (post.comments, post.newest_comment_time):
            return "changed"
        return "young" if now - post.published < self.window else None

    def due(self, listed: list[PostRecord], now: datetime, *, full: bool) -> dict[int, str]:
        """Each listed thread due a re-crawl, with its reason."""
        reasons = {p.post_id: self.reason(p, now, full=full) for p in listed}
        return {k: v for k, v in reasons.items() if v is not None}

    def take(
        self,
        data: ReplayDataset,
        listed: list[PostRecord],
        due: dict[int, str],
        *,
        now: datetime,
    ) -> None:
        """Record the snapshots a run takes at ``now``: every listed post, every comment
        of a due thread, all as the server holds them."""
        for post in listed:
            self.posts[post.post_id] = row = post_row(post)
            self.history.append(history_row("post", row, now))
        for post_id in due:
            crawled = data.post(post_id)
            assert crawled is not None
            self.seen[post_id] = (crawled.comments, crawled.newest_comment_time)
            for comment in data.comments_of(post_id):
                self.comments[comment.comment_id] = row = comment_row(comment)
                self.history.append(history_row("comment", row, now))

    def comments_of(self, posts: set[int]) -> set[int]:
        """Ids of the expected comments of some threads."""
        return {k for k, row in self.comments.items() if row["post_id"] in posts}

    def stale(self, data: ReplayDataset) -> set[int]:
        """Comments whose expected current row differs from what the server holds now."""
        out = set()
        for comment_id, row in self.comments.items():
            truth = data.comment(comment_id)
            if truth is not None and comment_row(truth) != row:
                out.add(comment_id)
        return out


def manifest_reasons(data_dir: Path, run_id: str) -> tuple[dict[int, str], set[int], int]:
    """From the run's manifest: crawled post id → reason, the threads its targets named,
    and how many crawls were not complete."""
    doc = json.loads((data_dir / "runs" / f"{run_id}.json").read_text())
    threads = [t for target in doc["targets"] for t in target["threads"]]
    crawled = {t["post_id"]: t["reason"] for t in threads if t["crawled"]}
    incomplete = sum(1 for t in threads if t["crawled"] and not t["complete"])
    return crawled, {t["post_id"] for t in threads}, incomplete


def current_rows(data_dir: Path, table: str) -> dict[int, Row]:
    """The tables' latest snapshot of each object, minus provenance, by id."""
    key = "post_id" if table == "posts" else "comment_id"
    rows = current(read_table(data_dir, table).lazy(), key).collect().drop(PROVENANCE)
    return {row[key]: row for row in rows.to_dicts()}


def history_found(data_dir: Path) -> list[tuple[object, ...]]:
    """vote_history as ``analyze`` computes it from the data dir, minus instance/ap_id."""
    rows = vote_history(scan_table(data_dir, "posts"), scan_table(data_dir, "comments"))
    return sorted(rows.drop("instance", "ap_id").rows(), key=lambda r: r[:3])


def usage(data_dir: Path) -> dict[str, tuple[int, int]]:
    """Files and bytes per part of the data dir; ``parts``: unmerged part files."""
    out: dict[str, tuple[int, int]] = {}
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file() and p.name != ".lock"):
        rel = path.relative_to(data_dir).parts
        area = "/".join(rel[:2]) if rel[0] == "tables" else rel[0]
        if "--" in path.name:
            area = "parts"
        files, size = out.get(area, (0, 0))
        out[area] = (files + 1, size + path.stat().st_size)
    return out


def at(moment: datetime) -> Callable[[], datetime]:
    """A clock stopped at ``moment``: every row of one run shares its ``collected_at``."""
    return lambda: moment


def comment_requests(server: ReplayServer) -> set[int]:
    """The posts whose comments the server was asked for since the last call."""
    asked = {
        int(e.params["post_id"])
        for e in server.log.entries()
        if e.path.endswith("/comment/list") and "post_id" in e.params
    }
    server.reset_log()
    return asked


def differences(found: dict[int, Row], expected: dict[int, Row], limit: int = 5) -> list[str]:
    """Ids missing, extra or different between two id → row maps (the first few)."""
    out = [f"missing {k}" for k in sorted(expected.keys() - found.keys())]
    out += [f"extra {k}" for k in sorted(found.keys() - expected.keys())]
    for key in sorted(expected.keys() & found.keys()):
        diff = {c: (found[key][c], v) for c, v in expected[key].items() if found[key][c] != v}
        if diff:
            out.append(f"{key}: (table, expected) {diff}")
    return out[:limit]
