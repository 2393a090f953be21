"""The other instances' copies of a thread (``collect --across``): find each, crawl each.

A thread lives on its home instance (the host of its community's actor id) and on every
instance with a subscriber, each copy with its own local ids, votes and holes. For each
thread a target names, ``Views.of`` asks the home instance and every ``--across`` host for
their copy by ``resolve_object`` on the post's ap_id, concurrently, and hands each copy
found to the ThreadRunner: the same crawler, verdicts, pacing per host, incremental rule
and resume as any thread. Anonymous resolve finds only what an instance already holds
(reference/lemmy-api.md §2.7), so "not federated there" is an answer, recorded as such in
the ``resolutions`` table; a host that cannot be read (unknown software, unreachable,
refusing the lookup) is a one-line error naming it, and the other copies are still read.
A copy an earlier run found is asked for by its local id (``/post?id=``) instead: Lemmy
1.0 counts ``resolve_object`` against its small search bucket.

A post target's ap_id is not known until its post arrives, and each copy's lookup would
wait for it, one round trip late. ``look_early`` sends the lookups at once with the ap_id
the target most likely has (``targets.likely_ap_id``: a post's own URL on the instance that
wrote it): right whenever the target names a post on its home instance, and then the
copies are crawled a round trip sooner; wrong otherwise, and then each across host has had
one lookup for nothing and is asked again with the real ap_id. A copy whose early lookup
has answered when the post arrives is started at once, before the home's own crawl and
before the views run (fedithreads.collect.ratelimit: each host's pacing runs from its
first token, so no host should wait for the others' first requests to be sent).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from fedithreads.collect.api import ThreadApi
from fedithreads.collect.detect import Detector, Server
from fedithreads.collect.instances import Instance, instance_of
from fedithreads.collect.outcome import ViewOutcome
from fedithreads.collect.tasks import cancel_and_wait
from fedithreads.collect.thread import ThreadRunner
from fedithreads.core.records import PostRecord
from fedithreads.core.units import Now
from fedithreads.errors import FedithreadsError, FetchError, StoreError

if TYPE_CHECKING:
    import polars as pl

Ask = Callable[[ThreadApi], Awaitable[PostRecord]]
AskEarly = Callable[[str, Ask], Awaitable[tuple[ThreadApi, PostRecord]]]
"""(base URL, ask) → the detected host's ThreadApi and the post ``ask`` fetched there,
asked with the host's nodeinfo, in the dialect guessed for it (``Collector._asking_early``,
fedithreads.collect.guess)."""

_NOT_HELD = ("couldnt_find", "not_found", "object_not_found")
"""Error codes meaning "this instance does not hold that object"."""


class Views:
    """Every other copy of the threads of one run; ``resolutions`` are what was asked."""

    def __init__(
        self,
        ask_early: AskEarly,
        detector: Detector,
        threads: ThreadRunner,
        run_id: str,
        now: Now,
        known: Mapping[tuple[str, str], int] | None = None,
    ) -> None:
        """``known``: (instance, ap_id) → the local post id an earlier run found there."""
        self.ask_early = ask_early
        self.known = dict(known or {})
        self.detector = detector
        self.threads = threads
        self.run_id = run_id
        self.now = now
        self.resolutions: list[dict[str, Any]] = []
        self._asked: dict[tuple[str, str], asyncio.Future[ViewOutcome]] = {}
        self._early: dict[tuple[str, str], asyncio.Future[tuple[ThreadApi, PostRecord]]] = {}
        self._stopped = False
        self._looking = 0
        self._news = asyncio.Event()
        self._closing = False

    def look_early(self, ap_id: str, across: Sequence[Instance]) -> None:
        """Start looking ``ap_id`` up on each of ``across`` now, before the post whose
        copies they are has arrived; ``of`` takes the answers if the post's ap_id is
        ``ap_id`` and drops them otherwise."""
        for where in across:
            key = (where.host, ap_id)
            if key not in self._early and key not in self._asked:
                self._early[key] = asyncio.ensure_future(self._ask(where, ap_id))
                self._looking += 1  # under way until its view takes it, or it is dropped

    async def of(
        self, post: PostRecord, across: Sequence[Instance], early: str | None = None
    ) -> list[ViewOutcome]:
        """The copies of ``post``'s thread on its home instance and on ``across`` (not on
        the instance it came from), in that order, read concurrently. ``early``: the ap_id
        ``look_early`` was given for this post, whose lookups are dropped if it was wrong."""
        if early is not None and early != post.ap_id:
            self._drop([self._early.pop((w.host, early), None) for w in across])
        home = instance_of(post.community_ap_id)
        wanted: dict[str, Instance] = {}
        for where in ([home] if home else []) + list(across):
            if where.host != post.instance:
                wanted.setdefault(where.host, where)
        for where in wanted.values():
            self._start_found(where, post)
        home_host = home.host if home else None
        return list(
            await asyncio.gather(
                *(self._once(where, post, where.host == home_host) for where in wanted.values())
            )
        )

    async def news(self) -> bool:
        """Wait until the lookups under way (those sent early included) have all been
        answered (``resolutions`` has news), or the run is closing; whether it is."""
        await self._news.wait()
        self._news.clear()
        return self._closing

    def close(self) -> None:
        """No lookup comes after this: ``news`` says so."""
        self._closing = True
        self._news.set()

    async def stop(self) -> None:
        """Cancel the copies still being looked up and wait for them: none starts a crawl
        after this, and the ThreadRunner's own ``stop`` then ends the crawls under way."""
        self._stopped = True
        await cancel_and_wait([*self._asked.values(), *self._early.values()])
        self._drop(self._early.values())
        self._early.clear()

    def _start_found(self, where: Instance, post: PostRecord) -> None:
        """Start crawling the copy an early lookup has already found, now: its view,
        a few turns of the event loop later, finds it under way. Each turn is one more
        host's first requests sent before it, and a host's pacing runs from its first."""
        early = self._early.get((where.host, post.ap_id))
        if self._stopped or early is None or not early.done() or early.cancelled():
            return
        if early.exception() is None:
            api, local = early.result()
            if local.ap_id == post.ap_id:
                self.threads.start(api, local, with_post=True)

    async def _once(self, where: Instance, post: PostRecord, is_home: bool) -> ViewOutcome:
        """Each (instance, ap_id) once per run, however many targets name it."""
        key = (where.host, post.ap_id)
        if key not in self._asked:
            self._asked[key] = asyncio.ensure_future(self._view(where, post, is_home))
        return await asyncio.shield(self._asked[key])

    async def _view(self, where: Instance, post: PostRecord, is_home: bool) -> ViewOutcome:
        view = ViewOutcome(where.host, post.ap_id, None, home=is_home)
        if (where.host, post.ap_id) not in self._early:  # else it counts already
            self._looking += 1
        try:
            copy = await self._look(view, where, post)
        finally:
            self._answered()
        if copy is None:
            return view
        if self._stopped:
            raise asyncio.CancelledError
        view.thread = await self.threads.run(*copy, with_post=True)
        return view

    def _answered(self) -> None:
        """One lookup less under way; none left: news (for ``news``)."""
        self._looking -= 1
        if not self._looking:
            self._news.set()

    def _drop(self, lookups: Iterable[asyncio.Future[Any] | None]) -> None:
        """Early lookups whose answers are not wanted (``_drop``): no longer under way,
        and no news (what the run learns comes from the lookups made instead)."""
        self._looking -= len(_drop(lookups))

    async def _look(
        self, view: ViewOutcome, where: Instance, post: PostRecord
    ) -> tuple[ThreadApi, PostRecord] | None:
        """The copy of ``post`` on ``where``, if it holds one; ``view`` and the
        resolutions say what the lookup found."""
        try:
            early = self._early.pop((where.host, post.ap_id), None)
            api, local = await (early or self._ask(where, post.ap_id))
        except StoreError:
            raise
        except FedithreadsError as exc:
            server = await self._detected(where)
            if _not_held(exc):
                view.found = False
            else:  # the lookup failed, or (no server) the host's detection did
                what = "cannot look the post up there" if server else None
                view.error = _naming(where.host, exc, what)
            self._note(view, server)
            return None
        if local.ap_id != post.ap_id:  # another post: not a copy of this thread
            view.error = f"{where.host}: resolve_object answered with another post ({local.ap_id})"
            self._note(view, api.server)
            return None
        view.found, view.post_id = True, local.post_id
        self._note(view, api.server)
        return api, local

    async def _ask(self, where: Instance, ap_id: str) -> tuple[ThreadApi, PostRecord]:
        """The detected host's api and its copy of the post ``ap_id``."""
        return await self.ask_early(where.base_url, lambda api: self._look_up(api, where, ap_id))

    async def _look_up(self, api: ThreadApi, where: Instance, ap_id: str) -> PostRecord:
        """The instance's copy of the post ``ap_id``: by the local id an earlier run found
        (``/post?id=``, cheap: Lemmy 1.0 counts resolve_object against its search bucket),
        else, or when that id now names nothing or another post, by ``resolve_object``."""
        post_id = self.known.get((where.host, ap_id))
        if post_id is not None:
            try:
                local = await api.fetch_post(post_id)
            except FetchError as exc:
                if exc.kind != "not_found":
                    raise
            else:
                if local.ap_id == ap_id:
                    return local
        return await api.fetch_resolved_post(ap_id)

    async def _detected(self, where: Instance) -> Server | None:
        """The host as detected (also when the lookup was sent before detection ended),
        or None when its detection failed."""
        try:
            return await self.detector.server(where.base_url)
        except FedithreadsError:
            return None

    def _note(self, view: ViewOutcome, server: Server | None) -> None:
        self.resolutions.append(
            {
                "instance": view.instance,
                "ap_id": view.ap_id,
                "found": view.found,
                "post_id": view.post_id,
                "dialect": server.dialect if server else None,
                "server_version": (server.version or None) if server else None,
                "error": view.error,
                "collected_at": self.now(),
                "run_id": self.run_id,
            }
        )

    def frame(self, first: int | None = None) -> pl.DataFrame:
        """The resolutions asked so far (the ``first`` of them), in the table's schema."""
        import polars as pl

        from fedithreads.core import schema

        rows = self.resolutions[:first]
        if not rows:
            return schema.empty("resolutions")
        return pl.DataFrame(rows, schema=schema.RESOLUTIONS)


def _drop(lookups: Iterable[asyncio.Future[Any] | None]) -> list[asyncio.Future[Any]]:
    """Lookups whose answers are not wanted: cancelled if under way, their outcome
    (an answer or an error) taken if done, so that none is reported as never retrieved;
    those there were."""
    dropped = [lookup for lookup in lookups if lookup is not None]
    for lookup in dropped:
        if not lookup.done():
            lookup.cancel()
        elif not lookup.cancelled():
            lookup.exception()
    return dropped


def _not_held(exc: FedithreadsError) -> bool:
    """Whether the instance answered that it holds no such object (Lemmy's
    ``couldnt_find_object``, v4's ``not_found``), rather than failing to look."""
    if not isinstance(exc, FetchError) or exc.kind != "not_found":
        return False
    return (exc.error or "").startswith(_NOT_HELD)


def _naming(host: str, exc: Exception, what: str | None = None) -> str:
    """One line naming ``host``: the error's own text, prefixed where it lacks the host."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if what:
        text = f"{what}: {text}"
    return text if host in text else f"{host}: {text}"


def known_copies(resolutions: pl.LazyFrame) -> dict[tuple[str, str], int]:
    """(instance, ap_id) → local post id, where the latest answer found the post."""
    import polars as pl

    latest = (
        resolutions.sort("collected_at")
        .unique(["instance", "ap_id"], keep="last")
        .filter(pl.col("found") & pl.col("post_id").is_not_null())
        .collect()
    )
    return {(i, a): p for i, a, p in latest.select("instance", "ap_id", "post_id").rows()}
