"""A host's /site and first ask go out with its nodeinfo, in a guessed dialect
(collect.guess): kept when the guess was right, dropped unarchived when it was not."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fedithreads.collect.client import Client
from fedithreads.collect.detect import Detector
from fedithreads.collect.firstask import GuessingApi
from fedithreads.collect.outcome import RunReport
from fedithreads.collect.run import Collector
from fedithreads.collect.targets import parse_target
from fedithreads.errors import FetchError
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.tables import scan_table
from fedithreads.synth.generate import generate_thread
from tests.collect.conftest import collected_ids, settings_for
from tests.system.conftest import community

QUICK = Quirks(published_rate_limit=(60_000, 60))


class Recording(httpx.AsyncBaseTransport):
    """The real transport; every request's path recorded in the order sent, and
    ``canned`` paths answered with that body instead (a v3 layer, say), with
    ``status`` and ``headers``."""

    def __init__(
        self,
        canned: dict[str, object] | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[str] = []
        self.canned = canned or {}
        self.status, self.headers = status, headers or {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.url.path)
        if request.url.path in self.canned:
            body = self.canned[request.url.path]
            return httpx.Response(self.status, json=body, headers=self.headers)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


Served = tuple[ReplayServer, int, set[int]]


def serve(dialect: str, version: str, n: int = 120) -> Iterator[Served]:
    thread = generate_thread(3, instance="lemmy.ca", n_comments=n)
    dataset = ReplayDataset.from_threads([thread])
    with ReplayServer(dataset, dialect=dialect, server_version=version, quirks=QUICK) as server:
        yield server, thread.post.post_id, {c.comment_id for c in thread.comments}


@pytest.fixture
def v3() -> Iterator[Served]:
    yield from serve("lemmy-v3", "0.19.13")


@pytest.fixture
def piefed() -> Iterator[Served]:
    yield from serve("piefed", "1.3.0")


@pytest.fixture
def v4() -> Iterator[Served]:
    yield from serve("lemmy-v4", "1.0.0")


def run(tmp_path: Path, url: str, transport: Recording) -> RunReport:
    target = parse_target(url)
    return asyncio.run(Collector(settings_for(tmp_path), transport=transport).run([target]))


def archived_paths(data_dir: Path) -> list[str]:
    """The paths of every answer the raw archive holds, in the order kept."""
    paths = []
    for file in sorted(data_dir.glob("raw/*/*/*.jsonl.gz")):
        for line in gzip.decompress(file.read_bytes()).decode().splitlines():
            paths.append(httpx.URL(json.loads(line)["url"]).path)
    return paths


def test_a_lemmy_v3_host_is_asked_at_once_and_its_archive_starts_with_nodeinfo(
    tmp_path: Path, v3: Served
) -> None:
    """The guess (lemmy-v3) is right: /site and /post go out before nodeinfo answers,
    each once; the archive puts nodeinfo first, as a run's raw answers expect."""
    server, post_id, truth = v3
    transport = Recording()

    report = run(tmp_path, f"{server.base_url}/post/{post_id}", transport)

    assert report.ok
    assert set(transport.sent[:3]) == {"/nodeinfo/2.1", "/api/v3/site", "/api/v3/post"}
    assert transport.sent.count("/api/v3/site") == transport.sent.count("/api/v3/post") == 1
    kept = archived_paths(tmp_path)
    assert kept[0] == "/nodeinfo/2.1"
    assert sorted(kept[1:3]) == ["/api/v3/post", "/api/v3/site"]
    assert collected_ids(tmp_path) == truth
    assert scan_table(tmp_path, "posts").collect()["server_version"].to_list() == ["0.19.13"]


def test_a_piefed_host_drops_the_guessed_answers_and_asks_again_in_its_dialect(
    tmp_path: Path, piefed: Served
) -> None:
    """The guess is wrong (PieFed answers /api/v3 with 404): nothing of it is archived or
    read, and the post comes from /api/alpha."""
    server, post_id, truth = piefed
    transport = Recording()

    report = run(tmp_path, f"{server.base_url}/post/{post_id}", transport)

    assert report.ok
    assert transport.sent.count("/api/v3/site") == transport.sent.count("/api/v3/post") == 1
    assert transport.sent.count("/api/alpha/post") == 1
    assert not [p for p in archived_paths(tmp_path) if p.startswith("/api/v3")]
    assert collected_ids(tmp_path) == truth
    assert scan_table(tmp_path, "posts").collect()["dialect"].to_list() == ["piefed"]


def test_a_wrong_guess_answered_200_is_dropped_too(tmp_path: Path, v4: Served) -> None:
    """Lemmy 1.0 answers part of /api/v3: those answers, 200s in the wrong dialect, are
    neither read nor archived; the post is read from /api/v4."""
    server, post_id, truth = v4
    transport = Recording({"/api/v3/site": {"version": "1.0.0"}, "/api/v3/post": {"x": 1}})

    report = run(tmp_path, f"{server.base_url}/post/{post_id}", transport)

    assert report.ok
    assert not [p for p in archived_paths(tmp_path) if p.startswith("/api/v3")]
    assert collected_ids(tmp_path) == truth
    assert scan_table(tmp_path, "posts").collect()["dialect"].to_list() == ["lemmy-v4"]


def test_a_host_an_earlier_run_saw_is_guessed_as_it_was_then(
    tmp_path: Path, piefed: Served
) -> None:
    """The second run asks a PieFed host in its own dialect straight away: no /api/v3."""
    server, post_id, _ = piefed
    url = f"{server.base_url}/post/{post_id}"
    run(tmp_path, url, Recording())
    again = Recording()

    report = run(tmp_path, url, again)

    assert report.ok
    assert set(again.sent[:3]) == {"/nodeinfo/2.1", "/api/alpha/site", "/api/alpha/post"}
    assert not [p for p in again.sent if p.startswith("/api/v3")]


def test_an_error_answer_to_a_right_guess_is_the_answer(tmp_path: Path, v3: Served) -> None:
    """A post the host does not have: asked once, its 404 archived once, the target failed."""
    server, _, _ = v3
    transport = Recording()

    report = run(tmp_path, f"{server.base_url}/post/424242", transport)

    (target,) = report.targets
    assert target.error is not None
    assert "couldnt_find_post" in target.error
    assert transport.sent.count("/api/v3/post") == 1
    assert archived_paths(tmp_path).count("/api/v3/post") == 1


@pytest.mark.parametrize(
    ("dialect", "version", "root"),
    [("lemmy-v3", "0.19.13", "/api/v3"), ("piefed", "1.3.0", "/api/alpha")],
)
def test_a_community_listing_starts_with_nodeinfo_on_the_guess(
    tmp_path: Path, dialect: str, version: str, root: str
) -> None:
    """A community's first post-list page goes with nodeinfo (lemmy-v3 guessed): kept on
    Lemmy 0.19, dropped and asked again on PieFed; either way every thread is collected
    and no answer in another dialect is archived."""
    dataset = community(6)
    with ReplayServer(dataset, dialect=dialect, server_version=version, quirks=QUICK) as server:
        transport = Recording()
        report = run(tmp_path, f"{server.base_url}/c/technology@lemmy.world", transport)

    assert report.ok
    assert set(transport.sent[:3]) == {"/nodeinfo/2.1", "/api/v3/site", "/api/v3/post/list"}
    assert transport.sent.count(f"{root}/post/list") == 1
    assert not [p for p in archived_paths(tmp_path) if not p.startswith((root, "/nodeinfo"))]
    truth = set().union(*(dataset.comment_ids(p) for p in dataset.post_ids()))
    assert collected_ids(tmp_path) == truth


def test_after_an_error_answer_to_the_guess_the_next_request_knows_the_host(
    tmp_path: Path, v3: Served
) -> None:
    """A known id that names nothing now (404 on the guess), then resolve_object: the post
    it finds carries the version nodeinfo named, not the guess's blank one."""
    server, post_id, _ = v3

    async def look_up() -> tuple[str | None, str]:
        async with Client(settings_for(tmp_path)) as client:
            detector = Detector(client)
            sighting = asyncio.ensure_future(detector.server(server.base_url))
            api = GuessingApi(client, detector.guess(server.base_url), sighting, "run")
            with pytest.raises(FetchError):
                await api.fetch_post(424242)
            ap_id = (await api.fetch_post(post_id)).ap_id
            found = await api.fetch_resolved_post(ap_id)
            await detector.stop()
            return found.server_version, found.dialect

    assert asyncio.run(look_up()) == ("0.19.13", "lemmy-v3")


def test_a_wrong_guess_is_given_up_at_once_whatever_its_retries(
    tmp_path: Path, piefed: Served
) -> None:
    """PieFed answering the guessed /api/v3 with "rate limited, retry in 1 s": nodeinfo
    names piefed first, and the guessed requests are dropped, not retried."""
    server, post_id, truth = piefed
    limited = {"error": "rate_limit_error"}
    transport = Recording(
        {"/api/v3/site": limited, "/api/v3/post": limited}, status=429, headers={"Retry-After": "1"}
    )

    report = run(tmp_path, f"{server.base_url}/post/{post_id}", transport)

    assert report.ok
    assert transport.sent.count("/api/v3/site") == transport.sent.count("/api/v3/post") == 1
    assert collected_ids(tmp_path) == truth
