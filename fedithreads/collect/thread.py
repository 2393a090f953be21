"""One thread's life in a run: skip it, or crawl it, spool its rows and hand them on.

A thread is crawled when it is new to us, changed (``comments`` or
``newest_comment_time``), was incomplete last time, is younger than
``resnapshot_window``, or ``--full`` asks; otherwise it costs no comment request. Each
thread runs once per run however many targets name it, at most ``per_host_concurrency``
threads of a host at once. A crawled thread's rows go to its own part file, or, when they
fit the spool's buffer, to a batch with other small threads; the ledger records it as
done only once its rows are on disk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fedithreads.collect.api import ThreadApi
from fedithreads.collect.batch import PartBatch
from fedithreads.collect.crawl import ThreadCrawler, ThreadResult
from fedithreads.collect.ledger import Finished, Ledger
from fedithreads.collect.outcome import ThreadOutcome
from fedithreads.collect.resume import Earlier, EarlierPages
from fedithreads.collect.spool import FRAMED_UP_TO, Spool
from fedithreads.collect.spoolfeed import SpoolFeed, SpoolFeeds
from fedithreads.collect.state import ThreadSeen
from fedithreads.collect.tasks import all_of, cancel_and_wait
from fedithreads.config import Settings
from fedithreads.core.records import CommentRecord, PostRecord
from fedithreads.core.units import Now, duration_seconds
from fedithreads.errors import FedithreadsError, StoreError
from fedithreads.storage.atomic import safe_name, spool_root
from fedithreads.storage.objects import Location
from fedithreads.storage.tables import append_snapshots, part_path

Progress = Callable[[str, int], None]
"""Told ``("threads", n)`` when n more threads are known, ``("done", 1)`` per finished
one; within a crawl, ``("comments_expected", n)`` when it starts (the server's count)
and ``("comments", n)`` as each page brings n comments it had not seen."""


class ThreadRunner:
    """The threads of one run: ``await runner.run(api, post, with_post=…)`` per thread."""

    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        batch: PartBatch,
        *,
        full: bool,
        now: Now,
        progress: Progress,
        earlier: EarlierPages | None = None,
    ) -> None:
        """``earlier``: the pages interrupted attempts of this run fetched (a resumed run)."""
        self.settings = settings
        self.ledger = ledger
        self.batch = batch
        self.full = full
        self.now = now
        self.progress = progress
        self.earlier = earlier
        self.data_dir = ledger.data_dir
        self._in_flight: dict[str, asyncio.Semaphore] = {}
        self._threads: dict[str, asyncio.Future[ThreadOutcome]] = {}
        self.feeds = SpoolFeeds()

    async def run(self, api: ThreadApi, post: PostRecord, *, with_post: bool) -> ThreadOutcome:
        """Each thread once per run, however many targets name it."""
        return await asyncio.shield(self.start(api, post, with_post=with_post))

    def start(
        self, api: ThreadApi, post: PostRecord, *, with_post: bool
    ) -> asyncio.Future[ThreadOutcome]:
        """The thread under way (started now if it was not): ``run`` without waiting."""
        key = f"{post.instance}/{post.post_id}"
        if key not in self._threads:
            self._threads[key] = asyncio.ensure_future(self._once(api, post, with_post))
        return self._threads[key]

    async def stop(self) -> None:
        """Cancel every thread still under way and wait until each has kept what it
        fetched: a stopped run leaves no crawl running after it, on a closed client."""
        await cancel_and_wait(self._threads.values())

    def close(self) -> None:
        """End the worker thread that fed the spools (once no crawl is under way)."""
        self.feeds.close()

    async def _once(self, api: ThreadApi, post: PostRecord, with_post: bool) -> ThreadOutcome:
        key = f"{post.instance}/{post.post_id}"
        done = self.ledger.done(key)
        if done is not None:
            self.progress("done", 1)
            return ThreadOutcome(**done)
        reason = self._reason(key, post)
        async with self._slots(post.instance):
            if reason is None:
                outcome = self._skip(post, with_post)
                self.ledger.commit([Finished(key, outcome.as_dict())])
            else:
                outcome = await self._crawl(api, post, reason, with_post)
        self.progress("done", 1)
        return outcome

    def _slots(self, host: str) -> asyncio.Semaphore:
        """Threads crawled at once on one host (hosts do not wait for each other; the
        host's limiter paces the requests themselves)."""
        if host not in self._in_flight:
            conf = self.settings.hosts.get(host)
            slots = (
                conf.concurrency if conf else None
            ) or self.settings.limits.per_host_concurrency
            self._in_flight[host] = asyncio.Semaphore(slots)
        return self._in_flight[host]

    def _reason(self, key: str, post: PostRecord) -> str | None:
        """Why the thread needs crawling this run, or None to skip it."""
        seen = self.ledger.state.threads.get(key)
        return crawl_reason(seen, post, self.settings, now=self.now(), full=self.full)

    def _skip(self, post: PostRecord, with_post: bool) -> ThreadOutcome:
        if with_post:
            self._write_post(post)
        return ThreadOutcome.skipped(post)

    async def _crawl(
        self, api: ThreadApi, post: PostRecord, reason: str, with_post: bool
    ) -> ThreadOutcome:
        """Crawl the thread, its rows spooled off the event loop and its post row written
        in a worker thread meanwhile (neither holds other hosts' requests, nor, at the end,
        the thread's own finishing); then keep what was fetched.

        The post row waits until the crawl's first window of pages is in (or its end,
        for a shorter one): a worker thread building a frame holds the GIL in turns with
        the event loop, which at a crawl's start is sending its first requests and then
        reading the first answers to free their slots, each late by what it waits, while
        the host's bucket is full or filling (what it cannot hold is lost). Once the pages
        come at the bucket's pace, the bucket holds what a late turn did not spend."""
        spool = Spool(
            spool_root(self.data_dir)
            / safe_name(self.ledger.run_id)
            / safe_name(f"{post.instance}-{post.post_id}"),
            framed=post.comments <= FRAMED_UP_TO,  # a quick end; a big thread's, less memory
        )
        feed = self.feeds.feed(spool)
        kept = await self.earlier.of_thread(post.instance, post.post_id) if self.earlier else None
        posting: list[asyncio.Future[None]] = []
        pages = [0]
        window = _window(api)

        def write_post(at_end: bool = False) -> None:
            pages[0] += 1
            if with_post and not posting and (at_end or pages[0] >= window):
                posting.append(asyncio.ensure_future(asyncio.to_thread(self._write_post, post)))

        crawler = self._crawler(api, feed, kept.page if kept else None, write_post)
        self.progress("comments_expected", post.comments)
        error = None
        try:
            result = await crawler.crawl(post.post_id, post)
        except StoreError:  # the disk, not the server: the whole run stops
            await cancel_and_wait(posting)
            raise
        except FedithreadsError as exc:  # keep what was fetched, marked incomplete
            result, error = crawler.so_far(post), str(exc)
        except asyncio.CancelledError:  # the run is stopping: keep what was fetched
            for write in posting:  # its worker thread goes on; written again below
                write.cancel()
            self._keep_interrupted(crawler.so_far(post), feed, with_post)
            raise
        del crawler  # its columns: the rows themselves are in the spool
        write_post(at_end=True)  # if fewer pages came
        await all_of(feed.settled(), *posting)  # every row handed on, the post written
        return await self._keep(result, spool, reason, error)

    async def _keep(
        self, result: ThreadResult, spool: Spool, reason: str, error: str | None
    ) -> ThreadOutcome:
        """Write a crawled thread's rows (its post row is written already) and record it
        done once they are on disk; a failed crawl's rows too, its thread recorded
        incomplete (the next run crawls it)."""
        post, completeness = result.post, result.completeness
        self.ledger.state.note_page_limits(post.instance, result.ceiling, result.beyond)
        outcome = ThreadOutcome.from_result(result, reason, len(completeness.rejected), error)
        seen = ThreadSeen(
            post.comments,
            _iso(post.newest_comment_time),
            self.now().isoformat(),
            completeness.complete and error is None,
        )
        finished = Finished(f"{post.instance}/{post.post_id}", outcome.as_dict(), seen)
        target = self._part(post)
        small = spool.buffered(completeness.rejected)
        if small is not None and not target.exists():  # with other small threads
            spool.discard()
            await self.batch.add(finished, small)
        else:  # its own part (also when an interrupted try of this run wrote one)
            await asyncio.to_thread(spool.write, target, completeness.rejected)  # off the loop
            self.ledger.commit([finished])
        return outcome

    def _keep_interrupted(self, result: ThreadResult, feed: SpoolFeed, with_post: bool) -> None:
        """What an interrupted crawl fetched, written at once (the run is being torn down)
        as the thread's own part, and not recorded as done: the resumed run crawls the
        thread again and writes the same parts, so no row is ever doubled."""
        try:
            feed.settle_now()
            if with_post:  # again: the worker thread's write may not have ended
                self._write_post(result.post)
            feed.spool.write(self._part(result.post), result.completeness.rejected)
        except FedithreadsError:  # the disk is full too: the next run crawls it anyway
            feed.spool.discard()

    def _part(self, post: PostRecord) -> Location:
        """The thread's own comments part of this run."""
        part = f"thread-{post.post_id}"
        return part_path(self.data_dir, "comments", post.instance, self.ledger.run_id, part)

    def _crawler(
        self,
        api: ThreadApi,
        feed: SpoolFeed,
        earlier: Earlier | None,
        on_page: Callable[[], None] = lambda: None,
    ) -> ThreadCrawler:
        """A crawler paced for the host; the page ceiling configured or known from the
        version is a hint to probe, one met on the host before is a wall; ``earlier``:
        the pages an interrupted attempt fetched; ``on_page`` is called with every page."""
        server = api.server
        conf = self.settings.hosts.get(server.host)
        expected = (conf.page_ceiling if conf else None) or server.page_ceiling
        hint, ceiling = self.ledger.state.page_limits(server.host, expected)
        return ThreadCrawler(
            api,
            max_pages=self.settings.limits.max_pages,
            hint=hint,
            ceiling=ceiling,
            window=_window(api),
            sink=lambda rows, replaced: self._sink(feed, rows, replaced, on_page),
            earlier=earlier,
        )

    def _sink(
        self,
        feed: SpoolFeed,
        rows: list[CommentRecord],
        replaced: list[int],
        on_page: Callable[[], None],
    ) -> None:
        """A page's new or newer comments to the spool, and how many were new to the bar."""
        on_page()
        feed.add(rows, replaced)
        if len(rows) > len(replaced):
            self.progress("comments", len(rows) - len(replaced))

    def _write_post(self, post: PostRecord) -> None:
        """The post row of a thread that a target named (communities list theirs)."""
        from fedithreads.core.rows import posts_frame  # Polars: not before it is used

        frame = posts_frame([post])
        part = f"thread-{post.post_id}"
        append_snapshots(self.data_dir, self.ledger.run_id, "posts", frame, part)


def _window(api: ThreadApi) -> int:
    """Pages a crawl asks for ahead: twice the requests its host may have in flight."""
    return 2 * api.client.limiter(api.server.host).concurrency


def crawl_reason(
    seen: ThreadSeen | None, post: PostRecord, settings: Settings, *, now: datetime, full: bool
) -> str | None:
    """Why a thread needs crawling (``full``, ``new``, ``incomplete before``, ``changed``,
    ``young``), given how the last crawl ``seen`` it, or None to skip it."""
    window = timedelta(seconds=duration_seconds(settings.resnapshot_window))
    if full:
        return "full"
    if seen is None:
        return "new"
    if not seen.complete:
        return "incomplete before"
    if seen.comments != post.comments or seen.newest_comment_time != _iso(post.newest_comment_time):
        return "changed"
    if now - post.published < window:
        return "young"
    return None


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None
