"""A collection run over its targets (``fedithreads collect``): the order of its steps.

lock (the shard's, with ``--shard``: only the targets of its hosts) → state (resume an
interrupted run, or start one) → for every target, concurrently
across hosts: detect the host's dialect, list a community's posts or fetch the post, and
hand each thread to the ThreadRunner (fedithreads.collect.thread), which decides whether
it needs crawling and writes it, and with ``--across`` each other instance's copy of it too
(fedithreads.collect.views) → flush the last batch and write the resolutions asked →
compact the run's parts → manifest → state.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

import httpx

from fedithreads.analysis.frames import build_tables
from fedithreads.collect.api import ThreadApi
from fedithreads.collect.batch import PartBatch
from fedithreads.collect.client import Client, Fetched
from fedithreads.collect.detect import Detector
from fedithreads.collect.ledger import Ledger
from fedithreads.collect.outcome import RunReport, TargetOutcome, ViewOutcome, write_manifest
from fedithreads.collect.shards import Shard
from fedithreads.collect.state import RunInProgress, RunLock, State
from fedithreads.collect.targets import (
    ApIdTarget,
    CommunityTarget,
    PostTarget,
    Target,
    likely_ap_id,
    target_key,
)
from fedithreads.collect.thread import Progress, ThreadRunner
from fedithreads.collect.views import Views, known_copies
from fedithreads.config import Settings
from fedithreads.core.records import PostRecord
from fedithreads.core.units import Clock, Sleep, utcnow
from fedithreads.errors import FedithreadsError, StoreError
from fedithreads.storage.atomic import safe_name, spool_root
from fedithreads.storage.books import shard_dir
from fedithreads.storage.objects import Location, open_data_dir
from fedithreads.storage.raw import RawArchive
from fedithreads.storage.tables import append_snapshots, compact_run, scan_table


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
        if shard is not None:
            self.books = shard_dir(self.data_dir, shard.index, shard.count)

    async def run(self, targets: Sequence[Target]) -> RunReport:
        """Collect ``targets`` (with a shard, those of its hosts) in one run."""
        if self.shard is not None:
            targets = [t for t in targets if self.shard.holds(t.host)]
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
            self.settings, self.ledger, batch, full=self.full, now=self.now, progress=self.progress
        )
        async with self._client(archive) as client:
            report.targets = await self._targets(client, run.run_id, targets)
            report.hosts = client.stats
        await batch.flush()
        if self.views.resolutions:
            append_snapshots(self.data_dir, run.run_id, "resolutions", self.views.frame())
        self.ledger.save()  # every written thread recorded before compacting
        compact_run(self.data_dir, run.run_id)
        shutil.rmtree(spool_root(self.data_dir) / safe_name(run.run_id), True)
        report.finished_at = self.now().isoformat()
        write_manifest(self.data_dir, report)
        state.run = None
        self.ledger.save()
        return report

    async def _targets(
        self, client: Client, run_id: str, targets: Sequence[Target]
    ) -> list[TargetOutcome]:
        """Every target at once; a stopped run stops every lookup and crawl first."""
        detector = Detector(client)
        self.views = Views(
            lambda base_url, ask: self._asking_early(client, detector, base_url, ask),
            detector,
            self.threads,
            run_id,
            self.now,
            self._known_copies(targets),
        )
        try:
            done = await asyncio.gather(*(self._target(client, detector, t) for t in targets))
        except asyncio.CancelledError:  # stopped: the threads keep what they had
            await self.views.stop()
            await self.threads.stop()
            await detector.stop()
            raise
        await self.views.stop()  # lookups sent early for targets that failed
        await detector.stop()  # hosts started for targets that failed before asking
        return list(done)

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
            if isinstance(target, CommunityTarget):
                api = await self._api(client, detector, target.base_url)
                await self._community(api, target, outcome)
            else:
                early = self._look_early(target)
                api, post = await self._api_and_post(client, detector, target)
                thread, views = await asyncio.gather(
                    self.threads.run(api, post, with_post=True), self._views(post, target, early)
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
        self, post: PostRecord, target: Target, early: str | None = None
    ) -> list[ViewOutcome]:
        """The copies of ``post``'s thread on the other instances ``target`` names."""
        return await self.views.of(post, target.across, early) if target.across else []

    async def _api(self, client: Client, detector: Detector, base_url: str) -> ThreadApi:
        server = await detector.server(base_url)
        self.ledger.state.note_server(server.host, server.software, server.dialect, server.version)
        return ThreadApi(client, server, self.ledger.run_id)

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
        ask: Callable[[ThreadApi], Awaitable[PostRecord]],
    ) -> tuple[ThreadApi, PostRecord]:
        """The host's api and the post ``ask`` fetches, asked as soon as nodeinfo has named
        the dialect and version, while /site (the rate limit) is still on its way: one
        round trip less."""
        early = await detector.sighted(base_url)
        if early is None:  # the version, part of every row, has to come from /site
            api = await self._api(client, detector, base_url)
            return api, await ask(api)
        asking = asyncio.ensure_future(ask(ThreadApi(client, early, self.ledger.run_id)))
        try:
            api = await self._api(client, detector, base_url)
        except BaseException:
            asking.cancel()
            await asyncio.gather(asking, return_exceptions=True)
            raise
        return api, await asking

    async def _post(self, api: ThreadApi, target: PostTarget | ApIdTarget) -> PostRecord:
        if isinstance(target, PostTarget):
            return await api.fetch_post(target.post_id)
        return await api.fetch_resolved_post(target.url)

    async def _community(
        self, api: ThreadApi, target: CommunityTarget, outcome: TargetOutcome
    ) -> None:
        posts, error = await self._list_posts(api, target)
        outcome.error = error
        frame = build_tables(posts, []).posts
        append_snapshots(self.data_dir, self.ledger.run_id, "posts", frame, f"list-{target.name}")
        self.progress("threads", len(posts))
        threads = asyncio.gather(*(self.threads.run(api, p, with_post=False) for p in posts))
        views = asyncio.gather(*(self._views(p, target) for p in posts))
        crawled, copies = await asyncio.gather(threads, views)
        outcome.threads = list(crawled)
        outcome.views = [v for post_views in copies for v in post_views]

    async def _list_posts(
        self, api: ThreadApi, target: CommunityTarget
    ) -> tuple[list[PostRecord], str | None]:
        """Newest first until the end, ``max_posts`` unpinned posts, or a page of no news.

        A page that fails after the first ends the listing: the posts found so far are
        still crawled, and the error is returned for the target's outcome."""
        found: dict[int, PostRecord] = {}
        token = None
        error: str | None = None
        for _ in range(self.settings.limits.max_pages):
            try:
                page, token = await api.fetch_posts(target.name, token)
            except StoreError:  # the disk, not the server: the whole run stops
                raise
            except FedithreadsError as exc:
                if not found:
                    raise
                error = f"post list stopped after {len(found)} posts: {exc}"
                break
            new = [p for p in page.posts if p.post_id not in found]
            found.update((p.post_id, p) for p in new)
            unpinned = sum(1 for p in found.values() if not p.featured)
            if target.max_posts is not None and unpinned >= target.max_posts:
                break
            if token is None or not new:
                break
        posts = list(found.values())
        if target.max_posts is not None:
            keep = {p.post_id for p in [p for p in posts if not p.featured][: target.max_posts]}
            posts = [p for p in posts if p.featured or p.post_id in keep]
        return posts, error
