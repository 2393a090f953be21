"""Resume inside a thread: a crawl killed (SIGKILL) half-way through a big thread goes on
at the pages it had not fetched, and ends with the rows of a crawl never killed.

Runs are real ``python -m fedithreads collect`` processes against a replay server on
127.0.0.1; the kill comes right after the N-th comment page reached the raw archive
(scripts/kill_after_pages.py), so the pages the killed run kept are known exactly.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.raw import read_raw
from fedithreads.storage.repair import repair_data_dir
from fedithreads.storage.tables import read_table
from fedithreads.synth.generate import generate_thread
from tests.collect.conftest import tables_without_run_columns
from tests.conftest import loopback_config

POST = 4242

KILL_AFTER_PAGES = Path(__file__).parents[2] / "scripts" / "kill_after_pages.py"


def big_thread(comments: int) -> ReplayDataset:
    thread = generate_thread(
        11, instance="lemmy.ca", n_comments=comments, post_id=POST, comment_id_base=70_000_000
    )
    return ReplayDataset.from_threads([thread])


def collect(
    server: ReplayServer, data_dir: Path, config: Path, *, kill_after: int | None = None
) -> subprocess.CompletedProcess[str]:
    head = [sys.executable, "-m", "fedithreads"]
    if kill_after is not None:
        head = [sys.executable, str(KILL_AFTER_PAGES), str(kill_after)]
    target = f"{server.base_url}/post/{POST}"
    command = [*head, "collect", target, "--data-dir", str(data_dir), "--config", str(config)]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def comment_requests(server: ReplayServer, last_page: int | None = None) -> int:
    """How many comment pages the server answered since its log was reset (not counting
    refusals past a ceiling: how many are in flight when the first comes back varies),
    nor pages numbered past ``last_page`` (see ``past_the_end``)."""
    return len(asked_pages(server)) - past_the_end(server, last_page)


def past_the_end(server: ReplayServer, last_page: int | None) -> int:
    """How many numbered pages past ``last_page`` the server answered. The crawler asks a
    page past its estimate of a listing's end together with the others (the estimate
    has a 1 % margin, so 2,000 comments make 41 pages); when the listing's own answer
    says it ended first, that request is cancelled, and whether it had left by then
    depends on timing. So runs are compared without it, and it is held to one."""
    if last_page is None:
        return 0
    return sum(1 for q in asked_pages(server) if int(q.get("page", 0)) > last_page)


def last_page(dialect: str, comments: int) -> int | None:
    """The last page of a ``sort=Old`` listing of ``comments``: PieFed's says that no page
    follows; Lemmy 0.19's last full page is followed by a short or empty one (asked, so
    counted); Lemmy 1.0 pages by cursor."""
    if dialect == "piefed":
        return -(-comments // 50)
    return comments // 50 + 1 if dialect == "lemmy-v3" else None


def asked_pages(server: ReplayServer) -> list[dict[str, str]]:
    """The query of every comment page answered since the log was reset (for a failure's
    message: which page was asked that the count did not expect)."""
    pages = server.log.matching(outcome="ok")
    return [dict(e.params) for e in pages if e.path.endswith("/comment/list")]


def archived_comment_pages(data_dir: Path) -> list[tuple[str, int, int]]:
    """(url, status, comments) of every comment page the raw archive holds."""
    out = []
    for path in sorted((data_dir / "raw").rglob("*.jsonl.gz")):
        for record in read_raw(path):
            url, status = str(record["url"]), int(str(record["status"]))
            if "/comment/list" in url:
                doc = json.loads(str(record["body"]))
                rows = doc.get("comments", doc.get("items", [])) if status == 200 else []
                out.append((url, status, len(rows)))
    return out


def old_full_pages(pages: list[tuple[str, int, int]]) -> int:
    """How many pages of ``sort=Old`` listings came back full (the listing went on)."""
    return sum(1 for url, status, rows in pages if "sort=old" in url.lower() and rows == 50)


@pytest.mark.parametrize(
    ("dialect", "ceiling", "comments", "kill_after"),
    [
        ("lemmy-v3", None, 2000, 20),
        ("lemmy-v4", None, 2000, 20),
        ("piefed", None, 2000, 20),
        ("lemmy-v3", 10, 700, 13),
    ],
    ids=["lemmy-v3", "lemmy-v4", "piefed", "lemmy-v3-page-ceiling"],
)
def test_a_thread_killed_half_way_resumes_at_the_pages_it_lacked(
    tmp_path: Path, dialect: str, ceiling: int | None, comments: int, kill_after: int
) -> None:
    """After a SIGKILL with a big thread's first pages fetched, the resumed run asks only
    the pages the archive lacks (the full pages of ``sort=Old`` are kept; the page that
    ended a listing and the other orders are asked again), and its tables equal those of
    a run never killed, id by id; repair rebuilds them from the two attempts' answers."""
    config = loopback_config(tmp_path)
    quirks = Quirks(published_rate_limit=(60_000, 60), page_ceiling=ceiling)
    with ReplayServer(big_thread(comments), dialect=dialect, quirks=quirks) as server:
        assert collect(server, tmp_path / "whole", config).returncode == 0
        last = last_page(dialect, comments)
        whole_pages = comment_requests(server, last)
        assert past_the_end(server, last) <= 1
        server.log.reset()
        killed = collect(server, tmp_path / "resumed", config, kill_after=kill_after)
        assert killed.returncode == -9
        kept = archived_comment_pages(tmp_path / "resumed")
        server.log.reset()

        resumed = collect(server, tmp_path / "resumed", config)

        assert resumed.returncode == 0, resumed.stderr
        assert len(kept) == kill_after
        assert comment_requests(server, last) == whole_pages - old_full_pages(kept), (
            f"asked {asked_pages(server)}; kept {[(url, rows) for url, _, rows in kept]}"
        )
        assert past_the_end(server, last) <= 1
        assert old_full_pages(kept) >= min(kill_after, ceiling or kill_after) - 2
    whole, again = (tables_without_run_columns(tmp_path / d) for d in ("whole", "resumed"))
    assert again["comments"].height == comments
    for table in ("posts", "comments"):
        assert_frame_equal(again[table], whole[table])
    before = read_table(tmp_path / "resumed", "comments")
    (part,) = (tmp_path / "resumed" / "tables" / "comments").rglob("*.parquet")
    part.write_bytes(part.read_bytes()[:100])
    repair_data_dir(tmp_path / "resumed", keep_raw=True)
    assert_frame_equal(read_table(tmp_path / "resumed", "comments"), before)
