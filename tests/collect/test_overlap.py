"""A post target's post is asked for while /site (the rate limit) is still on its way:
both go out with the host's nodeinfo, in the dialect guessed for it (collect.guess)."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fedithreads.collect.outcome import RunReport
from fedithreads.collect.run import Collector
from fedithreads.collect.targets import parse_target
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.tables import scan_table
from fedithreads.synth.generate import generate_thread
from tests.collect.conftest import collected_ids, settings_for

QUICK = Quirks(published_rate_limit=(60_000, 60))


class Watching(httpx.AsyncBaseTransport):
    """The real transport, but the /site of API ``root`` waits (2 s at most) for that
    API's post to be asked for, and every request's path is recorded in the order sent.
    ``nodeinfo_version`` or ``site_status`` change what the server says."""

    def __init__(
        self,
        *,
        root: str = "/api/v3",
        nodeinfo_version: str | None = None,
        site_status: int = 200,
    ) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.root = root
        self.sent: list[str] = []
        self.post_asked = asyncio.Event()
        self.site_waited_for_post: bool | None = None
        self.nodeinfo_version = nodeinfo_version
        self.site_status = site_status

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.sent.append(path)
        if path == self.root + "/post":
            self.post_asked.set()
        if path == self.root + "/site":
            try:
                await asyncio.wait_for(self.post_asked.wait(), 2)
                self.site_waited_for_post = True
            except TimeoutError:
                self.site_waited_for_post = False
            if self.site_status != 200:
                return httpx.Response(self.site_status, json={"error": "unknown"})
        answer = await self.inner.handle_async_request(request)
        if path.startswith("/nodeinfo") and self.nodeinfo_version is not None:
            doc = json.loads(await answer.aread())
            doc["software"]["version"] = self.nodeinfo_version
            return httpx.Response(200, json=doc)
        return answer

    async def aclose(self) -> None:
        await self.inner.aclose()


def run(tmp_path: Path, server: ReplayServer, transport: Watching, post_id: int) -> RunReport:
    target = parse_target(f"{server.base_url}/post/{post_id}")
    return asyncio.run(Collector(settings_for(tmp_path), transport=transport).run([target]))


Served = tuple[ReplayServer, int, set[int]]


def serve(dialect: str, version: str) -> Iterator[Served]:
    thread = generate_thread(3, instance="lemmy.ca", n_comments=120)
    dataset = ReplayDataset.from_threads([thread])
    with ReplayServer(dataset, dialect=dialect, server_version=version, quirks=QUICK) as server:
        yield server, thread.post.post_id, {c.comment_id for c in thread.comments}


@pytest.fixture
def thread_server() -> Iterator[Served]:
    yield from serve("lemmy-v3", "0.19.13")


@pytest.fixture
def piefed_server() -> Iterator[Served]:
    yield from serve("piefed", "1.3.0")


def test_the_post_is_asked_for_before_site_answers(tmp_path: Path, thread_server: Served) -> None:
    server, post_id, truth = thread_server
    transport = Watching()

    report = run(tmp_path, server, transport, post_id)

    assert transport.site_waited_for_post is True
    assert set(transport.sent[:3]) == {"/nodeinfo/2.1", "/api/v3/site", "/api/v3/post"}
    assert transport.sent.count("/api/v3/post") == transport.sent.count("/api/v3/site") == 1
    assert report.targets[0].error is None
    assert collected_ids(tmp_path) == truth
    versions = scan_table(tmp_path, "posts").collect()["server_version"].to_list()
    assert versions == ["0.19.13"]


def test_without_a_version_in_nodeinfo_the_post_waits_for_site(
    tmp_path: Path, piefed_server: Served
) -> None:
    """(PieFed; Lemmy must say its version.) The version in every row then comes from
    /site, so the post is asked for after it."""
    server, post_id, truth = piefed_server
    transport = Watching(root="/api/alpha", nodeinfo_version="")

    report = run(tmp_path, server, transport, post_id)

    assert transport.site_waited_for_post is False
    assert transport.sent.index("/api/alpha/site") < transport.sent.index("/api/alpha/post")
    # the guesses (a host never seen: lemmy-v3) went with nodeinfo, and were dropped
    assert set(transport.sent[:3]) == {"/nodeinfo/2.1", "/api/v3/site", "/api/v3/post"}
    assert report.targets[0].error is None
    assert collected_ids(tmp_path) == truth
    for table in ("posts", "comments"):
        versions = scan_table(tmp_path, table).collect()["server_version"].unique()
        assert versions.to_list() == ["1.3.0"]


def test_a_failing_site_fails_the_target_and_leaves_no_stray_task(
    tmp_path: Path, thread_server: Served, caplog: pytest.LogCaptureFixture
) -> None:
    server, post_id, _ = thread_server
    transport = Watching(site_status=404)

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        report = run(tmp_path, server, transport, post_id)
        gc.collect()

    error = report.targets[0].error
    assert error is not None
    assert "/api/v3/site" in error
    assert "/api/v3/comment/list" not in transport.sent
    assert [r.getMessage() for r in caplog.records] == []
