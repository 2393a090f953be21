"""A collection run over its targets (``fedithreads collect``): the order of its steps.

lock (the shard's, with ``--shard``: only the targets of its hosts) → state (resume an
interrupted run, or start one) → for every target, concurrently across hosts: detect the
host's dialect; list a community's, an instance's or a person's posts (``collect.lists``)
and read the community's or instance's moderation log (``collect.modlog``), or fetch the
post; and hand each thread to the ThreadRunner (fedithreads.collect.thread), which decides
whether it needs crawling and writes it (a resumed run reusing the pages its interrupted
attempt fetched, ``collect.resume``), and with ``--across`` each other instance's copy of
it too (fedithreads.collect.views) → flush the last batch and write the resolutions asked
→ record every written thread while the run's parts are compacted → manifest → state.
``dry_run`` stops after the listings (fedithreads.collect.plan).
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeVar

from fedithreads.collect.api import ThreadApi
from fedithreads.collect.batch import PartBatch
from fedithreads.collect.client import Client, Fetched
from fedithreads.collect.detect import Detector, Server
from fedithreads.collect.firstask import ask_first
from fedithreads.collect.hostparts import HostParts
from fedithreads.collect.lean_httpx import httpx
from fedithreads.collect.ledger import Ledger
from fedithreads.collect.listing import ListedPosts
from fedithreads.collect.lists import list_target
from fedithreads.collect.modlog import read_modlog
from fedithreads.collect.outcome import RunReport, TargetOutcome, ViewOutcome, write_manifest
from fedithreads.collect.plan import DryRun, plan_run
from fedithreads.collect.resume import EarlierPages
from fedithreads.collect.shards import Shard
from fedithreads.collect.state import RunInProgress, RunLock, State
from fedithreads.collect.targets import (
    ApIdTarget,
    CommunityTarget,
    ListingTarget,
    PostTarget,
    Target,
    UserTarget,
    likely_ap_id,
    target_key,
)
from fedithreads.collect.tasks import all_of, cancel_and_wait
from fedithreads.collect.thread import Progress, ThreadRunner
from fedithreads.collect.views import Views, known_copies
from fedithreads.collect.warmup import warm_up
from fedithreads.config import Settings
from fedithreads.core.records import PostRecord
from fedithreads.core.units import Clock, Sleep, utcnow
from fedithreads.errors import FedithreadsError, StoreError
from fedithreads.storage.atomic import safe_name, spool_root
from fedithreads.storage.books import shard_dir
from fedithreads.storage.objects import Location, open_data_dir
from fedithreads.storage.raw import RawArchive
from fedithreads.storage.tables import append_snapshots, compact_run, scan_table

T = TypeVar("T")


class Collector:
    """One run over some targets; ``await Collector(settings).run(targets)``."""

    def __init__(
        self,
        settings: Settings,
        *,
        full: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        now: Callable[[], datetime] = utcnow,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        progress: Progress | None = None,
        shard: Shard | None = None,
    ) -> None:
        self.settings = settings
        self.shard = shard
        self.full = full
        self.transport = transport
        self.now, self.clock, self.sleep = now, clock, sleep
        self.progress = progress or (lambda _what, _n: None)
        self.data_dir = open_data_dir(settings)
        self.books: Location = self.data_dir
        self.servers: list[Server] = []
        """The hosts detected in this run (once it has asked every target)."""
        if shard is not None:
            self.books = shard_dir(self.data_dir, shard.index, shard.count)

    async def run(self, targets: Sequence[Target]) -> RunReport:
        """Collect ``targets`` (with a shard, those of its hosts) in one run."""
        targets = self._mine(targets)
        lease = self.settings.storage.lease_seconds
        with RunLock(self.data_dir, books=self.books, lease_seconds=lease) as lock:
            state = State.load(self.books)
            run, resumed = state.begin(self.now())
            state.save(self.books)
            archive = RawArchive(self.data_dir, run.run_id)
            try:
                return await self._run(targets, state, run, resumed, lock, archive)
            finally:
                archive.flush()  # what a stopped run fetched: its answers are kept too

    async def _run(
        self,
        targets: Sequence[Target],
        state: State,
        run: RunInProgress,
        resumed: bool,
        lock: RunLock,
        archive: RawArchive,
    ) -> RunReport:
        """The run's order of steps, once its lock is held and its state read."""

        def before_save() -> None:  # threads are recorded done: their answers kept first
            lock.ensure_held()
            archive.flush()

        self.ledger = Ledger(
            self.data_dir, state, run, self.clock, books=self.books, before_save=before_save
        )
        try:
            return await self._steps(state, run, resumed, archive, targets)
        finally:
            self.ledger.close()

    async def _steps(
        self,
        state: State,
        run: RunInProgress,
        resumed: bool,
        archive: RawArchive,
        targets: Sequence[Target],
    ) -> RunReport:
        """The steps of ``_run`` once its ledger is made."""
        report = RunReport(run.run_id, resumed, run.started_at)
        report.shard = None if self.shard is None else str(self.shard)
        if resumed:
            self.ledger.settle_pending()
        batch = PartBatch(
            self.data_dir,
            run.run_id,
            on_pending=self.ledger.announce,
            on_written=self.ledger.written,
            clock=self.clock,
        )
        self.threads = ThreadRunner(
            self.settings,
            self.ledger,
            batch,
            full=self.full,
            now=self.now,
            progress=self.progress,
            earlier=self._earlier(run.run_id) if resumed else None,
        )
        try:
            async with self._client(archive) as client:
                report.targets = await self._targets(client, run.run_id, targets)
                report.hosts = client.stats
        finally:
            self.threads.close()
        self.views.close()
        await asyncio.gather(batch.flush(), self._hosts)  # the hosts' parts: if news, again
        await self._compact(run.run_id)
        report.finished_at = self.now().isoformat()
        write_manifest(self.data_dir, report)
        state.run = None
        self.ledger.save()
        return report

    async def _compact(self, run_id: str) -> None:
        """Every written thread recorded, while the run's parts are compacted: both wait
        on file syncs, so they run at once in worker threads. A run killed after the
        compaction and before the record re-crawls the threads it lacks, and compacting
        their parts again merges them with the compacted file, one row per key."""
        await all_of(  # a failure is raised once neither writes any more
            asyncio.to_thread(self.ledger.save),
            asyncio.to_thread(compact_run, self.data_dir, run_id),
        )
        shutil.rmtree(spool_root(self.data_dir) / safe_name(run_id), True)

    async def _targets(
        self, client: Client, run_id: str, targets: Sequence[Target]
    ) -> list[TargetOutcome]:
        """Every target at once; a stopped run stops every lookup and crawl first."""
        detector = Detector(client, self._seen_dialect)
        self.views = Views(
            lambda base_url, ask: self._asking_early(client, detector, base_url, ask),
            detector,
            self.threads,
            run_id,
            self.now,
            self._known_copies(targets),
        )
        parts = HostParts(self.data_dir, run_id, self.views, detector.found, self.now)
        self._hosts = asyncio.ensure_future(parts.keep())
        try:
            done = await asyncio.gather(*(self._target(client, detector, t) for t in targets))
        except asyncio.CancelledError:  # stopped: the threads keep what they had
            await cancel_and_wait([self._hosts])
            await self.views.stop()
            await self.threads.stop()
            await detector.stop()
            raise
        await self.views.stop()  # lookups sent early for targets that failed
        await detector.stop()  # hosts started for targets that failed before asking
        self.servers = detector.found()
        return list(done)

    async def dry_run(self, targets: Sequence[Target]) -> DryRun:
        """``collect --dry-run``: detect, read the post lists, judge the threads
        (fedithreads.collect.plan); no comment fetched, nothing written, no lock."""
        client = Client(
            self.settings,
            transport=self.transport,
            clock=self.clock,
            sleep=self.sleep,
            now=self.now,
        )
        return await plan_run(
            self.settings,
            client,
            self._mine(targets),
            full=self.full,
            now=self.now,
            books=self.books,
        )

    def _mine(self, targets: Sequence[Target]) -> Sequence[Target]:
        """The targets of this run: with a shard, those whose host is in it."""
        if self.shard is None:
            return targets
        return [t for t in targets if self.shard.holds(t.host)]

    def _earlier(self, run_id: str) -> EarlierPages | None:
        """A resumed run continues each interrupted thread at the pages it lacks, from
        the raw answers its earlier attempts kept (none when ``keep_raw`` is off)."""
        if not self.settings.keep_raw:
            return None
        ledger = self.ledger
        return EarlierPages(
            self.data_dir, run_id, lambda host, post: ledger.done(f"{host}/{post}") is None
        )

    def _known_copies(self, targets: Sequence[Target]) -> dict[tuple[str, str], int]:
        """The copies earlier runs found on other instances; read only when a target
        names other instances (a run without ``--across`` never needs them)."""
        if not any(t.across for t in targets):
            return {}
        return known_copies(scan_table(self.data_dir, "resolutions"))

    def _client(self, archive: RawArchive) -> Client:
        return Client(
            self.settings,
            transport=self.transport,
            clock=self.clock,
            sleep=self.sleep,
            now=self.now,
            archive=self._archiver(archive) if self.settings.keep_raw else None,
            on_first_request=warm_up,  # what reading the answers needs, while they come
        )

    @staticmethod
    def _archiver(archive: RawArchive) -> Callable[[str, Fetched], None]:
        def keep(host: str, f: Fetched) -> None:
            archive.write(host, f.url, f.status, f.fetched_at, f.body)

        return keep

    # ------------------------------------------------------------------ targets
    async def _target(self, client: Client, detector: Detector, target: Target) -> TargetOutcome:
        outcome = TargetOutcome(target.raw, target_key(target))
        for other in target.across:  # their copies are asked for once the post is known
            detector.start(other.base_url)
        try:
            if isinstance(target, ListingTarget):
                max_pages = self.settings.limits.max_pages
                api, listed = await self._asking_early(
                    client,
                    detector,
                    target.base_url,
                    lambda api: list_target(api, target, max_pages=max_pages),
                )
                await self._listed(api, listed, target, outcome)
            else:
                early = self._look_early(target)
                api, post = await self._api_and_post(client, detector, target)
                views, thread = await asyncio.gather(  # the copies found start first
                    self._views(post, target, early), self.threads.run(api, post, with_post=True)
                )
                outcome.threads.append(thread)
                outcome.views = views
        except StoreError:  # the disk, not the server: the whole run stops
            raise
        except FedithreadsError as exc:
            outcome.error = str(exc)
        return outcome

    def _look_early(self, target: PostTarget | ApIdTarget) -> str | None:
        """Start looking the target's post up on the other instances it names, by the
        ap_id it most likely has, before the post itself has arrived (``Views.look_early``);
        that ap_id, or None when the target names no other instance."""
        others = [where for where in target.across if where.host != target.host]
        if not others:
            return None
        guess = likely_ap_id(target)
        self.views.look_early(guess, others)
        return guess

    async def _views(
        self, post: PostRecord, target: Target | ListingTarget, early: str | None = None
    ) -> list[ViewOutcome]:
        """The copies of ``post``'s thread on the other instances ``target`` names."""
        return await self.views.of(post, target.across, early) if target.across else []

    async def _api(self, client: Client, detector: Detector, base_url: str) -> ThreadApi:
        server = await detector.server(base_url)
        self.ledger.state.note_server(server.host, server.software, server.dialect, server.version)
        return ThreadApi(client, server, self.ledger.run_id)

    def _seen_dialect(self, host: str) -> str | None:
        """The dialect ``host`` spoke when an earlier run saw it."""
        seen = self.ledger.state.servers.get(host)
        return seen.dialect if seen is not None else None

    async def _api_and_post(
        self, client: Client, detector: Detector, target: PostTarget | ApIdTarget
    ) -> tuple[ThreadApi, PostRecord]:
        return await self._asking_early(
            client, detector, target.base_url, lambda api: self._post(api, target)
        )

    async def _asking_early(
        self,
        client: Client,
        detector: Detector,
        base_url: str,
        ask: Callable[[ThreadApi], Awaitable[T]],
    ) -> tuple[ThreadApi, T]:
        """The host's api and what ``ask`` fetches (a post, a listing), asked while the
        host is detected: on a host not yet sighted its first request goes with the
        nodeinfo, in the dialect guessed for it (fedithreads.collect.guess, as its /site
        is); on one sighted already at once. Either way its /site (the rate limit) is in
        before the api is handed on."""
        run_id = self.ledger.run_id
        known = detector.sighted_now(base_url)
        sighting: list[asyncio.Future[Server]] = []
        if known is not None:
            asking = asyncio.ensure_future(ask(ThreadApi(client, known, run_id)))
        else:
            detector.start(base_url)  # nodeinfo (and the guessed /site) first in the queue
            sighting.append(asyncio.ensure_future(self._sighted(detector, base_url)))
            guess = detector.guess(base_url)
            asking = asyncio.ensure_future(ask_first(client, guess, sighting[0], run_id, ask))
        try:
            api = await self._api(client, detector, base_url)
        except BaseException:
            await cancel_and_wait([asking, *sighting])
            raise
        return api, await asking

    @staticmethod
    async def _sighted(detector: Detector, base_url: str) -> Server:
        """The host as nodeinfo names it, or, when nodeinfo names no version (the version
        is part of every row), as /site completes it."""
        return await detector.sighted(base_url) or await detector.server(base_url)

    async def _post(self, api: ThreadApi, target: PostTarget | ApIdTarget) -> PostRecord:
        if isinstance(target, PostTarget):
            return await api.fetch_post(target.post_id)
        return await api.fetch_resolved_post(target.url)

    async def _listed(
        self, api: ThreadApi, listed: ListedPosts, target: ListingTarget, outcome: TargetOutcome
    ) -> None:
        """The threads a community, an instance or a person lists: their posts written as
        one part (in a worker thread, while the moderation log is read: its file writes
        need not hold the round trips up), then each thread run (and its copies,
        ``--across``)."""
        outcome.error = listed.error
        posts = listed.posts
        writing = asyncio.ensure_future(
            asyncio.to_thread(self._write_posts, posts, listing_part(target))
        )
        try:
            await self._read_modlog(api, target, posts, outcome)
        finally:
            await writing  # written (or failed) before anything else is
        self.progress("threads", len(posts))
        threads = asyncio.gather(*(self.threads.run(api, p, with_post=False) for p in posts))
        views = asyncio.gather(*(self._views(p, target) for p in posts))
        crawled, copies = await asyncio.gather(threads, views)
        outcome.threads = list(crawled)
        outcome.views = [v for post_views in copies for v in post_views]

    def _write_posts(self, posts: list[PostRecord], part: str) -> None:
        from fedithreads.analysis.frames import build_tables  # Polars: after the first requests

        frame = build_tables(posts, []).posts
        append_snapshots(self.data_dir, self.ledger.run_id, "posts", frame, part)

    async def _read_modlog(
        self, api: ThreadApi, target: ListingTarget, posts: list[PostRecord], outcome: TargetOutcome
    ) -> None:
        """The listing's moderation log, written as one part; a failure to read it is the
        target's error (its threads are collected all the same)."""
        from fedithreads.core.rows import moderation_frame

        max_pages = self.settings.limits.max_pages
        try:
            actions = await read_modlog(api, target, posts, max_pages=max_pages)
        except StoreError:
            raise
        except FedithreadsError as exc:
            outcome.error = outcome.error or f"the moderation log could not be read: {exc}"
            return
        log = moderation_frame(actions)
        part = f"modlog-{listing_part(target)}"
        run_id = self.ledger.run_id
        await asyncio.to_thread(append_snapshots, self.data_dir, run_id, "moderation", log, part)


def listing_part(target: ListingTarget) -> str:
    """The name of the posts part a listing target writes (``storage.rebuild`` reads it)."""
    if isinstance(target, CommunityTarget):
        return f"list-{target.name}"
    if isinstance(target, UserTarget):
        return f"user-{target.name}"
    return "instance"
