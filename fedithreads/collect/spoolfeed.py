"""A thread's spool fed from a worker thread: its spills never hold the event loop.

The crawler hands each page's new rows to its sink on the event loop. ``Spool.add``
keeps them in memory until a few thousand have gathered, then spills them (Polars
builds a frame, writes an Arrow file, fsyncs it): tens of milliseconds during which
no host's answer is read and no request sent, so that every host paced by a token
bucket loses the tokens it could not use. ``SpoolFeeds`` runs every ``add`` on one
worker thread of the run instead, in the order the pages came (one worker: first in,
first out), and ``SpoolFeed.settled`` waits until the spool has taken them all, before
its rows are read or written. An ``add`` that failed (a full disk) is raised by the
next ``add`` on the event loop, which stops the crawl as a failing spill always did,
and by ``settled``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from fedithreads.collect.spool import Spool
from fedithreads.core.records import CommentRecord


class SpoolFeeds:
    """The run's worker thread for every spool; ``close`` once the run's crawls ended."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="fedithreads-spool")

    def feed(self, spool: Spool) -> SpoolFeed:
        return SpoolFeed(spool, self._pool)

    def close(self) -> None:
        """Wait for the adds still queued, then end the worker thread."""
        self._pool.shutdown(wait=True)


class SpoolFeed:
    """One spool, fed through the run's worker: ``add`` returns at once."""

    def __init__(self, spool: Spool, pool: ThreadPoolExecutor) -> None:
        self.spool = spool
        self._pool = pool
        self._last: Future[None] | None = None
        self._error: BaseException | None = None

    def add(self, comments: Sequence[CommentRecord], replaced: Iterable[int] = ()) -> None:
        """Queue one page's rows for ``Spool.add``; raises what an earlier add raised."""
        if self._error is not None:
            raise self._error
        self._last = self._pool.submit(self._add, comments, list(replaced))

    def _add(self, comments: Sequence[CommentRecord], replaced: list[int]) -> None:
        if self._error is None:  # after a failure the spool takes nothing more
            try:
                self.spool.add(comments, replaced)
            except BaseException as exc:
                self._error = exc

    async def settled(self) -> None:
        """Wait until every queued add is done; raise the first that failed."""
        if self._last is not None:
            await asyncio.shield(asyncio.wrap_future(self._last))  # cancelled: it still runs
        if self._error is not None:
            raise self._error

    def settle_now(self) -> None:
        """``settled`` blocking (a run being torn down cannot wait on the loop)."""
        if self._last is not None:
            self._last.result()
        if self._error is not None:
            raise self._error
