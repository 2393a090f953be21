"""Collecting over real HTTP on 127.0.0.1: completeness against the server's ground truth."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import pytest

from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.raw import read_raw
from fedithreads.synth.generate import SynthThread, generate_thread
from tests.collect.conftest import collect, collected_ids, settings_for
from tests.conftest import TLS
from tests.replay.conftest import ALL, PREFIX

QUICK = (60_000, 60)  # a published limit high enough not to slow the tests down


def big_thread(n: int = 3000, seed: int = 5, **kw: object) -> SynthThread:
    """A 3,000-comment thread in a community remote to the serving instance."""
    return generate_thread(seed, instance="lemmy.ca", n_comments=n, **kw)  # type: ignore[arg-type]


def test_3000_comments_behind_a_30_page_ceiling_are_all_collected(tmp_path: Path) -> None:
    """Flat pages stop at page 30 (1,500 comments), the listing defaults to Local and
    max_depth caps at 300: the collected ids still equal the server's, one by one."""
    thread = big_thread()
    dataset = ReplayDataset.from_threads([thread])
    quirks = Quirks(page_ceiling=30, default_listing="Local", published_rate_limit=QUICK)
    with ReplayServer(dataset, dialect="lemmy-v3", quirks=quirks) as server:
        report = collect(settings_for(tmp_path), f"{server.base_url}/post/{thread.post.post_id}")
        comment_requests = server.count("/api/v3/comment/list")

    assert collected_ids(tmp_path) == dataset.comment_ids(thread.post.post_id)
    (outcome,) = report.targets[0].threads
    assert (outcome.complete, outcome.missing, outcome.collected) == (True, 0, 3000)
    assert report.ok
    assert comment_requests <= 1.3 * 60 + 10
    manifest = json.loads((tmp_path / "runs" / f"{report.run_id}.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["targets"][0]["threads"][0]["ceiling"] == 30


def test_behind_a_10_page_ceiling_everything_reachable_is_collected_and_the_rest_counted(
    tmp_path: Path,
) -> None:
    """Reply-less top-level comments in the middle of every order are out of reach of any
    query; all others are collected, and the verdict counts exactly the unreachable."""
    thread = big_thread(top_level_fraction=0.6, depth=8)
    dataset = ReplayDataset.from_threads([thread])
    paths = {c.comment_id: c.path for c in thread.comments}
    sizes = Counter(p.split(".")[1] for p in paths.values())
    assert max(sizes.values()) < 1000, "branches must fit in two ceilings for this test"
    quirks = Quirks(page_ceiling=10, published_rate_limit=QUICK)
    with ReplayServer(dataset, dialect="lemmy-v3", quirks=quirks) as server:
        reachable = branches_touching(paths, post_level_reach(server, thread.post.post_id, 10))
        report = collect(settings_for(tmp_path), f"{server.base_url}/post/{thread.post.post_id}")

    unreachable = set(paths) - reachable
    visible_unreachable = [
        c for c in thread.comments if c.comment_id in unreachable and not (c.deleted or c.removed)
    ]
    assert len(unreachable) > 100
    assert collected_ids(tmp_path) == reachable
    (outcome,) = report.targets[0].threads
    assert outcome.complete is False
    assert outcome.missing == len(visible_unreachable)
    assert not report.ok


@pytest.mark.parametrize("dialect", ["lemmy-v4", "piefed"])
def test_v4_cursors_and_piefed_pages_collect_every_comment(tmp_path: Path, dialect: str) -> None:
    """The same 3,000-comment thread served as Lemmy 1.0 or PieFed is collected whole."""
    thread = big_thread()
    dataset = ReplayDataset.from_threads([thread])
    quirks = Quirks(published_rate_limit=QUICK)
    with ReplayServer(dataset, dialect=dialect, quirks=quirks) as server:
        report = collect(settings_for(tmp_path), f"{server.base_url}/post/{thread.post.post_id}")

    assert collected_ids(tmp_path) == dataset.comment_ids(thread.post.post_id)
    assert report.targets[0].threads[0].complete is True


@pytest.mark.slow
def test_a_rate_limited_faulty_server_is_still_collected_completely(tmp_path: Path) -> None:
    """5 requests/s and 5 % faults (HTML 502, cut-off JSON, resets): complete, retries
    counted, and the limiter never trips the server's limit."""
    thread = big_thread()
    dataset = ReplayDataset.from_threads([thread])
    quirks = Quirks(
        rate_limit=(5, 1),
        page_ceiling=100,
        fault_rate=0.05,
        fault_kinds=("html_502", "truncated", "reset"),
        fault_seed=3,
    )
    with ReplayServer(dataset, dialect="lemmy-v3", quirks=quirks) as server:
        report = collect(settings_for(tmp_path), f"{server.base_url}/post/{thread.post.post_id}")
        faults = sum(1 for e in server.log.entries() if e.outcome.startswith("fault"))
        limited = server.count("", outcome="rate_limited")

    assert collected_ids(tmp_path) == dataset.comment_ids(thread.post.post_id)
    assert report.ok
    stats = next(iter(report.hosts.values()))
    assert faults > 0
    assert stats.retries >= faults
    assert limited == 0
    manifest = json.loads((tmp_path / "runs" / f"{report.run_id}.json").read_text())
    assert next(iter(manifest["hosts"].values()))["retries"] == stats.retries


def test_every_answer_is_archived_raw_and_archiving_can_be_turned_off(tmp_path: Path) -> None:
    """raw/<host>/<date>/<run>.jsonl.gz holds url, status, fetched_at and body of each answer."""
    thread = big_thread(120)
    dataset = ReplayDataset.from_threads([thread])
    with ReplayServer(dataset, quirks=Quirks(published_rate_limit=QUICK)) as server:
        url = f"{server.base_url}/post/{thread.post.post_id}"
        report = collect(settings_for(tmp_path / "kept"), url)
        requests = server.count("")
        collect(settings_for(tmp_path / "not", keep_raw=False), url)

    (archive,) = (tmp_path / "kept" / "raw").rglob("*.jsonl.gz")
    assert archive.name == f"{report.run_id}.jsonl.gz"
    records = read_raw(archive)
    assert len(records) == requests
    assert {r["status"] for r in records} == {200}
    pages = [r for r in records if "/comment/list" in str(r["url"])]
    assert sum(len(json.loads(str(r["body"]))["comments"]) for r in pages) == 120
    assert not (tmp_path / "not" / "raw").exists()


def test_a_missing_post_is_recorded_once_and_not_retried(tmp_path: Path) -> None:
    """couldnt_find_post is permanent: one request, the target marked failed, exit status 1."""
    dataset = ReplayDataset.from_threads([big_thread(10)])
    with ReplayServer(dataset, quirks=Quirks(published_rate_limit=QUICK)) as server:
        report = collect(settings_for(tmp_path), f"{server.base_url}/post/424242")
        post_requests = server.count("/api/v3/post")

    (target,) = report.targets
    assert target.error is not None
    assert "couldnt_find_post" in target.error
    assert post_requests == 1
    assert report.status == "failed"
    assert "failed: " in target.summary()


def test_hosts_are_collected_at_once_each_within_its_own_limit(tmp_path: Path) -> None:
    """Three hosts limited to 10 requests/s each: their requests interleave in time and
    none of them ever answers 'rate limited'."""
    threads = [big_thread(400, seed=s) for s in (1, 2, 3)]
    quirks = Quirks(rate_limit=(10, 1))
    servers = [ReplayServer(ReplayDataset.from_threads([t]), quirks=quirks) for t in threads]
    for s in servers:
        s.start()
    try:
        urls = [
            f"{s.base_url}/post/{t.post.post_id}" for s, t in zip(servers, threads, strict=True)
        ]
        report = collect(settings_for(tmp_path), *urls)
        spans = [
            (min(e.time for e in s.log.entries()), max(e.time for e in s.log.entries()))
            for s in servers
        ]
        limited = [s.count("", outcome="rate_limited") for s in servers]
    finally:
        for s in servers:
            s.stop()

    assert report.ok
    assert limited == [0, 0, 0]
    first_end = min(end for _, end in spans)
    assert all(start < first_end for start, _ in spans), "hosts must overlap in time"


def test_a_thread_just_past_the_ceiling_costs_a_few_pages_more_not_another_ceiling(
    tmp_path: Path,
) -> None:
    """1,580 comments behind a 30-page ceiling: Old brings 1,500, New the last 80 and
    stops where the two ends meet, within 1.3 × ceil(N / 50) + 10 comment requests."""
    thread = big_thread(1580, seed=8)
    dataset = ReplayDataset.from_threads([thread])
    quirks = Quirks(page_ceiling=30, published_rate_limit=QUICK)
    with ReplayServer(dataset, dialect="lemmy-v3", quirks=quirks) as server:
        report = collect(settings_for(tmp_path), f"{server.base_url}/post/{thread.post.post_id}")
        comment_requests = server.count("/api/v3/comment/list")

    assert collected_ids(tmp_path) == dataset.comment_ids(thread.post.post_id)
    (outcome,) = report.targets[0].threads
    assert outcome.complete
    assert comment_requests <= 1.3 * 32 + 10


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
