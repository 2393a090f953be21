"""A target's post row is written once its crawl's first window of pages is in.

At the start of a crawl the event loop is sending the host's first requests and then
reading their answers; a worker thread building the post row's frame then would take
the GIL in turns with it. So the row waits for the first window of pages (twice the
requests in flight: 16 by default), a shorter crawl writes it at its end, and a crawl
that brings no page still writes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fedithreads.collect.thread import ThreadRunner
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.tables import scan_table
from fedithreads.synth.generate import generate_thread
from tests.collect.conftest import collect, settings_for

QUICK = (60_000, 60)


def record_order(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``page`` for every page the crawler hands on, ``post`` when the post row is written."""
    events: list[str] = []
    write_post, sink = ThreadRunner._write_post, ThreadRunner._sink

    def writing(self: ThreadRunner, post: Any) -> None:
        events.append("post")
        write_post(self, post)

    def sinking(self: ThreadRunner, *args: Any) -> None:
        events.append("page")
        sink(self, *args)

    monkeypatch.setattr(ThreadRunner, "_write_post", writing)
    monkeypatch.setattr(ThreadRunner, "_sink", sinking)
    return events


def crawl_one(tmp_path: Path, n_comments: int) -> None:
    """Collect one post target, post 41 of ``n_comments`` comments, on a fresh server:
    complete, its post row in the table once."""
    thread = generate_thread(3, instance="lemmy.ca", n_comments=n_comments, post_id=41)
    with ReplayServer(
        ReplayDataset.from_threads([thread]), quirks=Quirks(published_rate_limit=QUICK)
    ) as server:
        report = collect(settings_for(tmp_path), f"{server.base_url}/post/41")
    assert report.ok
    assert scan_table(tmp_path, "posts").collect().get_column("post_id").to_list() == [41]


def test_the_post_row_waits_for_the_first_window_of_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 1,200-comment thread (24 pages): its post row is written once 16 pages have
    been handed on, not before, and once."""
    events = record_order(monkeypatch)
    crawl_one(tmp_path, 1_200)

    assert events.index("post") >= 16  # started then, written by a worker thread
    assert events.count("post") == 1
    assert events.count("page") >= 24


def test_a_shorter_crawl_writes_its_post_row_at_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 120-comment thread (3 pages): the post row after every page, once."""
    events = record_order(monkeypatch)
    crawl_one(tmp_path, 120)

    assert events[-1] == "post"
    assert events.count("post") == 1
    assert events.count("page") >= 3


def test_a_crawl_that_brings_no_page_still_writes_its_post_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every comment page fails: the crawl hands on no page, and the post row is written
    all the same (the thread is recorded failed, its post kept)."""
    events = record_order(monkeypatch)
    thread = generate_thread(4, instance="lemmy.ca", n_comments=80, post_id=42)
    faults = ("html_503",) * 40
    with ReplayServer(
        ReplayDataset.from_threads([thread]),
        quirks=Quirks(
            published_rate_limit=QUICK, fault_paths=("/comment/list",), fault_schedule=faults
        ),
    ) as server:
        settings = settings_for(
            tmp_path, retry={"max_attempts": 2, "backoff_initial_seconds": 0.01}
        )
        report = collect(settings, f"{server.base_url}/post/42")

    assert not report.ok
    assert events == ["post"]
    assert scan_table(tmp_path, "posts").collect().get_column("post_id").to_list() == [42]
