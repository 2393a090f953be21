"""The copies' crawls start as soon as their post is known, and lookups are news once.

Views is driven here with fakes for what it calls: the lookups (``ask_early``), which
answer when the test says so, and the ThreadRunner, which records which copies were
started and when their views came to run them.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from fedithreads.collect.api import ThreadApi
from fedithreads.collect.detect import Detector, Server
from fedithreads.collect.instances import Instance
from fedithreads.collect.outcome import ThreadOutcome
from fedithreads.collect.thread import ThreadRunner
from fedithreads.collect.views import Views
from fedithreads.core.records import PostRecord
from fedithreads.core.units import utcnow
from tests import factories

pytestmark = pytest.mark.anyio

HOME = "https://a.example/post/100"


def server(host: str) -> Server:
    return Server(f"https://{host}", host, "lemmy", "0.19.13", "lemmy-v3", None, None)


class Answers:
    """``ask_early``: each host's copy of the post, once the test releases that host."""

    def __init__(self, *hosts: str) -> None:
        self.released = {host: asyncio.Event() for host in hosts}

    async def __call__(self, base_url: str, ask: Any) -> tuple[ThreadApi, PostRecord]:
        host = base_url.removeprefix("https://")
        await self.released[host].wait()
        api = cast(ThreadApi, type("Api", (), {"server": server(host)})())
        return api, factories.post(7, instance=host, ap_id=HOME)


class Threads:
    """The ThreadRunner as Views sees it: what was started, what was run, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self._started: dict[str, asyncio.Future[ThreadOutcome]] = {}

    def start(
        self, api: ThreadApi, post: PostRecord, *, with_post: bool
    ) -> asyncio.Future[ThreadOutcome]:
        self.calls.append(("start", post.instance))
        if post.instance not in self._started:
            self._started[post.instance] = asyncio.get_running_loop().create_future()
            self._started[post.instance].set_result(ThreadOutcome.skipped(post))
        return self._started[post.instance]

    async def run(self, api: ThreadApi, post: PostRecord, *, with_post: bool) -> ThreadOutcome:
        self.calls.append(("run", post.instance))
        return await self.start(api, post, with_post=with_post)


def views(answers: Answers, threads: Threads) -> Views:
    return Views(
        lambda base_url, ask: answers(base_url, ask),
        cast(Detector, None),
        cast(ThreadRunner, threads),
        "run-1",
        utcnow,
    )


MIRRORS = [Instance("b.example", "https://b.example"), Instance("c.example", "https://c.example")]


def two_mirrors_asked_early(answers: Answers, threads: Threads) -> tuple[Views, list[Instance]]:
    """Views whose two mirrors were asked early for the home's post."""
    copies = views(answers, threads)
    copies.look_early(HOME, MIRRORS)
    return copies, MIRRORS


async def turns(n: int = 10) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_a_copy_found_early_is_started_before_the_views_take_a_turn() -> None:
    """When the target's post arrives and a mirror has already answered the early lookup
    with that post's ap_id, its crawl is started in the same step, before any view runs
    (each turn of the event loop before it would be another host's requests sent first);
    a copy still being looked up starts from its view, as before."""
    answers, threads = Answers("b.example", "c.example"), Threads()
    copies, mirrors = two_mirrors_asked_early(answers, threads)
    answers.released["b.example"].set()
    await turns()
    post = factories.post(100, ap_id=HOME, community_ap_id="https://a.example/c/test")
    of = asyncio.ensure_future(copies.of(post, mirrors, HOME))
    await asyncio.sleep(0)  # one step of ``of``: no view has run yet
    assert threads.calls == [("start", "b.example")]

    answers.released["c.example"].set()
    found = await of
    assert [v.found for v in found] == [True, True]
    assert [kind for kind, host in threads.calls if host == "b.example"][:2] == ["start", "run"]
    assert next(kind for kind, host in threads.calls if host == "c.example") == "run"


async def test_lookups_are_news_only_once_the_early_ones_are_answered_too() -> None:
    """``news`` (the hosts' tables are written then) waits for every lookup under way,
    those sent early included: a view taking an early answer that came first does not
    make news while the other host's early lookup is still out."""
    answers, threads = Answers("b.example", "c.example"), Threads()
    copies, mirrors = two_mirrors_asked_early(answers, threads)
    news = asyncio.ensure_future(copies.news())
    answers.released["b.example"].set()
    post = factories.post(100, ap_id=HOME, community_ap_id="https://a.example/c/test")
    of = asyncio.ensure_future(copies.of(post, mirrors, HOME))
    await turns()
    assert not news.done()
    assert [r["instance"] for r in copies.resolutions] == ["b.example"]

    answers.released["c.example"].set()
    assert await news is False
    await of
    assert sorted(r["instance"] for r in copies.resolutions) == ["b.example", "c.example"]


async def test_a_wrong_early_guess_is_dropped_and_is_no_longer_under_way() -> None:
    """Early lookups for a guess that was not the post's ap_id are dropped: they count
    as answered, so the real lookups alone decide when there is news."""
    answers, threads = Answers("b.example"), Threads()
    copies = views(answers, threads)
    mirror = Instance("b.example", "https://b.example")
    copies.look_early("https://a.example/post/999", [mirror])
    news = asyncio.ensure_future(copies.news())
    post = factories.post(100, ap_id=HOME, community_ap_id="https://a.example/c/test")
    of = asyncio.ensure_future(copies.of(post, [mirror], "https://a.example/post/999"))
    await turns()
    assert not news.done()  # the real lookup is out
    answers.released["b.example"].set()
    assert await news is False
    (view,) = await of
    assert view.found
