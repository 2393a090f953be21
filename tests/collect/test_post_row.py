"""A target's post row is written once its crawl's first page is in, never before it.

At the start of a crawl the event loop is sending the host's first requests; a worker
thread building the post row's frame then would take the GIL in turns with it. So the
row waits for the first page, and a crawl that brings no page still writes it.
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


def test_the_post_row_is_written_after_the_first_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A post target's thread: the first page is handed on before the post row is
    written, and the row is in the posts table at the end, once."""
    events = record_order(monkeypatch)
    thread = generate_thread(3, instance="lemmy.ca", n_comments=120, post_id=41)
    with ReplayServer(
        ReplayDataset.from_threads([thread]), quirks=Quirks(published_rate_limit=QUICK)
    ) as server:
        report = collect(settings_for(tmp_path), f"{server.base_url}/post/41")

    assert report.ok
    assert events[0] == "page"
    assert events.count("post") == 1
    assert scan_table(tmp_path, "posts").collect().get_column("post_id").to_list() == [41]


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
