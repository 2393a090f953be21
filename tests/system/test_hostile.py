"""Hostile or broken servers, over real HTTP on 127.0.0.1: what one bad byte costs."""

from __future__ import annotations

import json
from pathlib import Path

from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.tables import read_table
from fedithreads.synth.generate import generate_thread
from tests.collect.conftest import collect, settings_for

QUICK = (60_000, 60)


def test_a_byte_that_is_not_utf8_costs_one_character_not_the_page(tmp_path: Path) -> None:
    """The first comment page opens its first comment's text with 0xFF: the page is kept
    at once (no retry), that text reads U+FFFD + the text served, every other comment is
    as served, and the manifest and the run's notes name the host and the page."""
    thread = generate_thread(3, instance="lemmy.ca", n_comments=120, post_id=77)
    dataset = ReplayDataset.from_threads([thread])
    quirks = Quirks(
        published_rate_limit=QUICK, fault_paths=("/comment/list",), fault_schedule=("bad_byte",)
    )
    with ReplayServer(dataset, quirks=quirks) as server:
        report = collect(settings_for(tmp_path), f"{server.base_url}/post/77")
        pages = [e for e in server.log.entries() if "/comment/list" in e.path]

    assert report.ok
    stored = dict(read_table(tmp_path, "comments").select("comment_id", "content").rows())
    served = {c.comment_id: c.content for c in dataset.comments_of(77)}
    changed = {k for k in served if stored[k] != served[k]}
    assert len(changed) == 1
    (which,) = changed
    assert stored[which] == "\ufffd" + (served[which] or "")
    assert len(stored) == len(served)
    asked = [json.dumps(e.params, sort_keys=True) for e in pages]
    assert len(asked) == len(set(asked))  # no page asked twice
    host = f"127.0.0.1:{server.port}"
    runs = json.loads((tmp_path / "runs" / f"{report.run_id}.json").read_text())
    assert runs["hosts"][host]["not_utf8_pages"] == 1
    assert "/comment/list" in runs["hosts"][host]["not_utf8_first"]
    (note,) = report.notes()
    assert note.startswith(f"{host}: 1 page held bytes that are not UTF-8, kept with each")


def test_a_thread_that_fails_says_what_the_server_reported_and_what_was_asked(
    tmp_path: Path,
) -> None:
    """Every comment page answers 503 until the retries run out: the summary names the
    server's own count and the requests the crawl made, not "0 reported … 0 requests"
    (already so on main since failed crawls keep what they fetched: pinned here)."""
    thread = generate_thread(21, instance="lemmy.ca", n_comments=420, post_id=77)
    quirks = Quirks(
        published_rate_limit=QUICK,
        fault_paths=("/comment/list",),
        fault_schedule=("html_503",) * 40,
    )
    settings = settings_for(tmp_path, limits={"per_host_concurrency": 1}, retry={"max_attempts": 2})
    with ReplayServer(ReplayDataset.from_threads([thread]), quirks=quirks) as server:
        report = collect(settings, f"{server.base_url}/post/77")

    (outcome,) = report.targets[0].threads
    reported = thread.post.comments
    assert (outcome.reported, outcome.collected, outcome.complete) == (reported, 0, False)
    assert outcome.requests >= 1
    summary = report.targets[0].summary()
    assert f"0 comments ({reported} reported by the server), failed: " in summary
    assert summary.endswith(f"; {outcome.requests} requests")
    assert "HTTP 503" in summary
