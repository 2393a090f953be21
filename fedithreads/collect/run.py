"""The order of steps of one collection run (``fedithreads collect``).

lock → state (resume an interrupted run, or start one) → for every target, concurrently
across hosts: detect the host's dialect, list a community's posts or fetch the post,
decide which threads need crawling, crawl them completely, write each finished thread as
a part file → compact the run's parts → manifest → state. A thread is re-crawled when
it is new to us, changed (``comments`` or ``newest_comment_time``), was incomplete last
time, or is younger than ``resnapshot_window``; otherwise it costs no comment request.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import httpx

from fedithreads.analysis.frames import build_tables, posts_frame
from fedithreads.collect.api import ThreadApi
from fedithreads.collect.batch import Finished, PartBatch
from fedithreads.collect.client import Client, Fetched
from fedithreads.collect.crawl import ThreadCrawler
from fedithreads.collect.detect import Detector, Server
from fedithreads.collect.outcome import RunReport, TargetOutcome, ThreadOutcome, write_manifest
from fedithreads.collect.spool import Spool
from fedithreads.collect.state import RunInProgress, RunLock, State, ThreadSeen
from fedithreads.collect.targets import ApIdTarget, CommunityTarget, PostTarget, Target, target_key
from fedithreads.config import Settings
from fedithreads.core.records import PostRecord
from fedithreads.core.units import Clock, Sleep, duration_seconds, utcnow
from fedithreads.errors import FedithreadsError
from fedithreads.storage.atomic import SPOOL_DIR, safe_name
from fedithreads.storage.raw import RawArchive
from fedithreads.storage.tables import append_snapshots, compact_run, part_path

STATE_SAVE_INTERVAL = 1.0
"""Seconds between saves of the run's progress to state.json while threads finish."""

Progress = Callable[[str, int], None]
"""Told ``("threads", n)`` when n more threads are known, ``("done", 1)`` per finished one."""


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
    ) -> None:
        self.settings = settings
        self.full = full
        self.transport = transport
        self.now, self.clock, self.sleep = now, clock, sleep
        self.progress = progress or (lambda _what, _n: None)
        self.data_dir = settings.data_dir
        self.state = State()
        self.run_state = RunInProgress("", "")
        self._threads_in_flight: dict[str, asyncio.Semaphore] = {}
        self._threads: dict[str, asyncio.Future[ThreadOutcome]] = {}
        self._saved_at = float("-inf")

    async def run(self, targets: Sequence[Target]) -> RunReport:
        with RunLock(self.data_dir):
            self.state = State.load(self.data_dir)
            self.run_state, resumed = self.state.begin(self.now())
            self.state.save(self.data_dir)
            report = RunReport(self.run_state.run_id, resumed, self.run_state.started_at)
            if resumed:
                self._settle_pending()
            self.batch = PartBatch(
                self.data_dir,
                self.run_state.run_id,
                on_pending=self._announce,
                on_written=self._written,
                clock=self.clock,
            )
            archive = RawArchive(self.data_dir, self.run_state.run_id)
            async with Client(
                self.settings,
                transport=self.transport,
                clock=self.clock,
                sleep=self.sleep,
                now=self.now,
                archive=self._archiver(archive) if self.settings.keep_raw else None,
            ) as client:
                detector = Detector(client)
                report.targets = list(
                    await asyncio.gather(*(self._target(client, detector, t) for t in targets))
                )
                report.hosts = client.stats
            await self.batch.flush()
            self.state.save(self.data_dir)  # every written thread recorded before compacting
            compact_run(self.data_dir, self.run_state.run_id)
            shutil.rmtree(self.data_dir / SPOOL_DIR / safe_name(self.run_state.run_id), True)
            report.finished_at = self.now().isoformat()
            write_manifest(self.data_dir, report)
            self.state.run = None
            self.state.save(self.data_dir)
            return report

    @staticmethod
    def _archiver(archive: RawArchive) -> Callable[[str, Fetched], None]:
        def keep(host: str, f: Fetched) -> None:
            archive.write(host, f.url, f.status, f.fetched_at, f.body)

        return keep

    # ------------------------------------------------------------------ targets
    async def _target(self, client: Client, detector: Detector, target: Target) -> TargetOutcome:
        outcome = TargetOutcome(target.raw, target_key(target))
        try:
            if isinstance(target, CommunityTarget):
                api = await self._api(client, detector, target)
                await self._community(api, target, outcome)
            else:
                api, post = await self._api_and_post(client, detector, target)
                outcome.threads.append(await self._thread(api, post, with_post=True))
        except FedithreadsError as exc:
            outcome.error = str(exc)
        return outcome

    async def _api(self, client: Client, detector: Detector, target: Target) -> ThreadApi:
        server = await detector.server(target.base_url)
        self.state.note_server(server.host, server.software, server.dialect, server.version)
        return ThreadApi(client, server, self.run_state.run_id)

    async def _api_and_post(
        self, client: Client, detector: Detector, target: PostTarget | ApIdTarget
    ) -> tuple[ThreadApi, PostRecord]:
        """The post is asked for as soon as nodeinfo has named the dialect and version,
        while /site (the rate limit) is still on its way: one round trip less."""
        early = await detector.sighted(target.base_url)
        if early is None:  # the version, part of every row, has to come from /site
            api = await self._api(client, detector, target)
            return api, await self._post(api, target)
        asking = asyncio.ensure_future(
            self._post(ThreadApi(client, early, self.run_state.run_id), target)
        )
        try:
            api = await self._api(client, detector, target)
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
        append_snapshots(
            self.data_dir, self.run_state.run_id, "posts", frame, f"list-{target.name}"
        )
        self.progress("threads", len(posts))
        outcome.threads = list(
            await asyncio.gather(*(self._thread(api, p, with_post=False) for p in posts))
        )

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

    # ------------------------------------------------------------------ threads
    async def _thread(self, api: ThreadApi, post: PostRecord, *, with_post: bool) -> ThreadOutcome:
        """Each thread once per run, however many targets name it."""
        key = f"{post.instance}/{post.post_id}"
        if key not in self._threads:
            self._threads[key] = asyncio.ensure_future(self._thread_once(api, post, with_post))
        return await asyncio.shield(self._threads[key])

    async def _thread_once(
        self, api: ThreadApi, post: PostRecord, with_post: bool
    ) -> ThreadOutcome:
        key = f"{post.instance}/{post.post_id}"
        done = self.run_state.done.get(key)
        if done is not None:
            self.progress("done", 1)
            return ThreadOutcome(**done)
        reason = self._reason(key, post)
        async with self._thread_slots(post.instance):
            if reason is None:
                outcome = self._skip(post, with_post)
                self._commit([Finished(key, outcome.as_dict())])
            else:
                outcome = await self._crawl(api, post, reason, with_post)
        self.progress("done", 1)
        return outcome

    def _announce(self, part: str, finished: list[Finished]) -> None:
        """Record a batch before its part is written (saved at once)."""
        self.run_state.pending[part] = {
            f.key: {"outcome": f.outcome, "seen": asdict(f.seen) if f.seen else None}
            for f in finished
        }
        self.state.save(self.data_dir)

    def _written(self, part: str, finished: list[Finished]) -> None:
        self.run_state.pending.pop(part, None)
        self._commit(finished)

    def _settle_pending(self) -> None:
        """Batches a killed run announced: done if their part made it to disk, else
        forgotten (their threads are crawled again)."""
        run = safe_name(self.run_state.run_id)
        comments = self.data_dir / "tables" / "comments"
        compacted = any(comments.glob(f"instance=*/{run}.parquet"))  # holds every written part
        for part, threads in list(self.run_state.pending.items()):
            name = f"{run}--{safe_name(part)}.parquet"
            if compacted or any(comments.glob(f"instance=*/{name}")):
                self._commit(
                    [
                        Finished(k, v["outcome"], ThreadSeen(**v["seen"]) if v["seen"] else None)
                        for k, v in threads.items()
                    ]
                )
            del self.run_state.pending[part]
        self.state.save(self.data_dir)

    def _commit(self, finished: list[Finished]) -> None:
        """Threads whose rows are on disk: done for this run, their counts remembered."""
        for item in finished:
            self.run_state.done[item.key] = item.outcome
            if item.seen is not None:
                self.state.threads[item.key] = item.seen
        self._save_state_soon()

    def _save_state_soon(self) -> None:
        """Record finished threads at most once a second (and always at the end of the
        run). A kill loses at most that second's record: those threads are crawled again
        and their part files rewritten under the same names, never doubled."""
        now = self.clock()
        if now - self._saved_at >= STATE_SAVE_INTERVAL:
            self.state.save(self.data_dir)
            self._saved_at = now

    def _thread_slots(self, host: str) -> asyncio.Semaphore:
        """Threads crawled at once on one host (hosts do not wait for each other; the
        host's limiter paces the requests themselves)."""
        if host not in self._threads_in_flight:
            conf = self.settings.hosts.get(host)
            slots = (
                conf.concurrency if conf else None
            ) or self.settings.limits.per_host_concurrency
            self._threads_in_flight[host] = asyncio.Semaphore(slots)
        return self._threads_in_flight[host]

    def _reason(self, key: str, post: PostRecord) -> str | None:
        """Why the thread needs crawling this run, or None to skip it."""
        seen = self.state.threads.get(key)
        window = timedelta(seconds=duration_seconds(self.settings.resnapshot_window))
        if self.full:
            return "full"
        if seen is None:
            return "new"
        if not seen.complete:
            return "incomplete before"
        if seen.comments != post.comments or seen.newest_comment_time != _iso(
            post.newest_comment_time
        ):
            return "changed"
        if self.now() - post.published < window:
            return "young"
        return None

    def _skip(self, post: PostRecord, with_post: bool) -> ThreadOutcome:
        if with_post:
            self._write_post(post)
        return ThreadOutcome.skipped(post)

    async def _crawl(
        self, api: ThreadApi, post: PostRecord, reason: str, with_post: bool
    ) -> ThreadOutcome:
        server: Server = api.server
        conf = self.settings.hosts.get(server.host)
        ceiling = (conf.page_ceiling if conf else None) or server.page_ceiling
        run_id = self.run_state.run_id
        spool = Spool(
            self.data_dir
            / SPOOL_DIR
            / safe_name(run_id)
            / safe_name(f"{post.instance}-{post.post_id}")
        )
        crawler = ThreadCrawler(
            api,
            max_pages=self.settings.limits.max_pages,
            ceiling=ceiling,
            window=2 * api.client.limiter(server.host).concurrency,
            sink=spool.add,
        )
        key = f"{post.instance}/{post.post_id}"
        try:
            result = await crawler.crawl(post.post_id, post)
        except FedithreadsError as exc:
            spool.discard()
            outcome = ThreadOutcome.failed(post, reason, str(exc))
            self._commit([Finished(key, outcome.as_dict())])
            return outcome
        del crawler  # its columns: the rows themselves are in the spool
        verdict = result.completeness
        if with_post:
            self._write_post(result.post)
        outcome = ThreadOutcome.from_result(result, reason, len(verdict.rejected))
        seen = ThreadSeen(
            result.post.comments,
            _iso(result.post.newest_comment_time),
            self.now().isoformat(),
            verdict.complete,
        )
        finished = Finished(key, outcome.as_dict(), seen)
        small = spool.buffered(verdict.rejected)
        if small is not None:  # written with other small threads, done once written
            spool.discard()
            await self.batch.add(finished, small)
        else:
            part = f"thread-{post.post_id}"
            target = part_path(self.data_dir, "comments", post.instance, run_id, part)
            await asyncio.to_thread(spool.write, target, verdict.rejected)  # off the loop
            self._commit([finished])
        return outcome

    def _write_post(self, post: PostRecord) -> None:
        """The post row of a thread that a target named (communities list theirs)."""
        frame = posts_frame([post])
        part = f"thread-{post.post_id}"
        append_snapshots(self.data_dir, self.run_state.run_id, "posts", frame, part)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None
