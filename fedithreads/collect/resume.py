"""Resuming inside a thread: the comment pages an interrupted attempt of the run fetched.

A run killed (or failed, or stopped) half-way through a big thread is resumed under the
same run id, and every page it received is in the raw archive already
(``raw/<host>/<date>/<run>.jsonl.gz``, fedithreads.storage.raw). ``EarlierPages`` reads
them back for the resumed attempt, thread by thread, as the repair command reads them
(``storage.answers``, ``storage.refold``): each page parsed with the provenance the
earlier attempt gave it, so its rows are the rows that attempt would have written.

Only pages of **append-only** listings are handed back: ``sort=Old`` without
``max_depth``, of the whole thread or of a ``parent_id`` subtree. Their content stays put
while comments are added, so a page fetched an hour ago is the page the crawl would get
now. A page that *ended* its listing (a short page, no cursor) is never handed back: the
thread may have grown past it, so it is asked again. Every other listing (``New``, the
other sorts, tree pages) is asked afresh.

A run that kept no raw answers (``keep_raw = false``) has nothing to resume from: its
threads are crawled again from their first page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fedithreads.collect.api import Listing, Token
from fedithreads.core.records import Page
from fedithreads.storage.atomic import host_dir, safe_name
from fedithreads.storage.objects import Location

if TYPE_CHECKING:  # the archive's readers load when a resumed run reads it
    from fedithreads.storage.refold import ListingKey

Earlier = Callable[[Listing, Token], Page | None]
"""(listing, token) → the page an earlier attempt received for it (``ThreadPages.page``)."""


@dataclass(slots=True)
class ThreadPages:
    """The reusable pages of one thread: (listing key, token) → page."""

    pages: dict[tuple[ListingKey, Token], Page] = field(default_factory=dict)

    def page(self, listing: Listing, token: Token) -> Page | None:
        """The earlier page of an append-only ``listing`` at ``token``, if there is one
        (the crawler still asks again a page that ended its listing)."""
        if listing.sort != "old" or listing.max_depth is not None:
            return None
        return self.pages.get((listing_key(listing), token))


def listing_key(listing: Listing) -> ListingKey:
    """The key the raw archive's answers of ``listing`` are grouped under."""
    from fedithreads.storage.refold import ListingKey

    post_id = listing.post_id if listing.parent_id is None else None
    return ListingKey(post_id, listing.parent_id, listing.sort, listing.max_depth)


class EarlierPages:
    """What the interrupted attempts of run ``run_id`` fetched, per host and thread.

    A host's archive is read once, off the event loop, when its first thread asks, and
    every thread of the host waits for it before its first request: so no comment page
    of this attempt is in the archive yet when it is read (its own answers so far are
    detection and listings), and none is ever handed back to it.
    """

    def __init__(
        self, data_dir: Location, run_id: str, unfinished: Callable[[str, int], bool]
    ) -> None:
        """``unfinished(host, post_id)``: whether the run still has that thread to do
        (only those threads' pages are kept)."""
        self.data_dir = data_dir
        self.run_id = run_id
        self.unfinished = unfinished
        self._hosts: dict[str, asyncio.Future[dict[int, ThreadPages]]] = {}

    async def of_thread(self, host: str, post_id: int) -> ThreadPages | None:
        """The reusable pages of thread ``post_id`` on ``host`` (handed out once)."""
        if host not in self._hosts:
            self._hosts[host] = asyncio.ensure_future(asyncio.to_thread(self._read, host))
        threads = await asyncio.shield(self._hosts[host])
        return threads.pop(post_id, None)

    def _read(self, host: str) -> dict[int, ThreadPages]:
        """Every thread's append-only pages, later attempts' winning; nothing when the
        archive cannot be read (the threads are then crawled from their first page)."""
        from fedithreads.storage.answers import read_run
        from fedithreads.storage.refold import thread_listings

        try:
            raw = read_run(self.data_dir, host_dir(host), safe_name(self.run_id), self.run_id)
        except OSError:
            return {}
        threads: dict[int, ThreadPages] = {}
        for attempt in raw.attempts:
            for post_id, listings in thread_listings(attempt).items():
                if not self.unfinished(host, post_id):
                    continue
                pages = threads.setdefault(post_id, ThreadPages()).pages
                for listing in listings:
                    if listing.key.sort == "old" and listing.key.max_depth is None:
                        pages.update(((listing.key, t), p) for t, p in listing.pages.items())
        return threads
