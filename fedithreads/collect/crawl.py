"""Complete threads: flat pages, the page ceiling, subtrees, and a verdict.

Naive paging misses comments (reference/lemmy-api.md §2), so a thread is collected as:

1. **flat, oldest first**: ``sort=Old``, 50 a page, ``type_=All``, never ``max_depth``
   (it caps at 300 rows and ignores paging). Pages the post's own count promises are
   fetched concurrently; then one by one until the dialect's end signal. ``Old`` is
   append-only, so earlier pages stay put while the crawl runs.
2. if a **page ceiling** stopped it (``couldnt_get_comments`` past page 10/100 on Lemmy
   0.19.14+, or a configured cap): the other end, ``sort=New``, as many pages at once as
   the comments still missing fill, and only until a page brings nothing new (the two
   ends have met: a thread just past the ceiling costs a few pages, not another 100).
3. **gaps**: every collected comment whose ``child_count`` is not accounted for by its
   collected children, and every missing ancestor an orphan's path names, is fetched as a
   ``parent_id`` subtree (flat; it includes the parent), with the same rules, until no gap
   is left or a round finds nothing new.
4. still short of the post's count behind a ceiling: every other window the API offers
   (``Top``/``Hot``/``Controversial`` flat pages, v3 ``max_depth=1`` listings in five
   sorts), then the gaps again.

Guards on every pager: a hard page cap, and a page that brings no id the same listing has
not returned already ends it (Lemmy 1.0's v3 layer repeats page 1 forever; issue 5861).
Duplicates merge, the latest snapshot winning. The verdict (``verdict.assess``, computed
from columns by ``verdict.columns.Columns``) compares with the post's ``comments`` and every
``child_count``.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from fedithreads.collect.api import LIMIT, Listing, ThreadApi, Token
from fedithreads.collect.resume import Earlier
from fedithreads.core.records import CommentRecord, Page, PostRecord
from fedithreads.errors import FetchError
from fedithreads.verdict.assess import Completeness

if TYPE_CHECKING:
    from fedithreads.verdict.columns import Columns

OTHER_SORTS = ("top", "hot", "controversial")
TREE_SORTS = ("old", "new", "top", "hot", "controversial")


@dataclass(frozen=True, slots=True)
class ThreadResult:
    post: PostRecord
    completeness: Completeness
    strategy: tuple[str, ...]
    requests: int
    ceiling: int | None
    """The page ceiling the server refused past, if this crawl met one."""
    beyond: int | None = None
    """The furthest page answered past the ``hint``: the server has no ceiling there."""


@dataclass(slots=True)
class _Run:
    """What one listing did."""

    pages: int = 0
    new: int = 0
    exhausted: bool = False
    stopped_by: str = ""
    seen: set[int] = field(default_factory=set)
    rows: int = 0
    visible: int = 0
    until_known: bool = False
    """End at a page that brings nothing the crawl lacks: the other end of a thread whose
    oldest comments are in, once it reaches them (``New`` behind a ceiling)."""

    def fresh(self, page: Page) -> int:
        """How many of the page's comments this listing had not returned before."""
        ids = {c.comment_id for c in page.comments}
        fresh = len(ids - self.seen)
        self.seen |= ids
        return fresh


@dataclass(slots=True)
class ThreadCrawler:
    """Collects one thread completely, or says exactly how much is missing."""

    api: ThreadApi
    max_pages: int = 2000
    hint: int | None = None
    """The page ceiling the server is believed to have (its version, config, last runs):
    pages up to it are asked at once, and one page past it as a probe. If the probe is
    answered the hint was wrong and paging goes on; if it is refused, that is the ceiling.
    """
    ceiling: int | None = None
    """The ceiling this crawl met (the page before the first one refused)."""
    beyond: int | None = None
    window: int = 8
    sink: Callable[[list[CommentRecord], list[int]], None] | None = None
    """Given each page's new or newer comments and which of them replace earlier ones:
    the crawler itself keeps no record, only what the verdict reads (``columns``)."""
    earlier: Earlier | None = None
    """The pages an interrupted attempt of this run fetched (``collect.resume``): used
    instead of asking again, except a page that ended its listing."""
    reused: int = 0
    seen_at: dict[int, datetime] = field(default_factory=dict)
    """When the snapshot kept of each comment was collected (the latest wins)."""
    columns: Columns = field(default_factory=lambda: _columns())
    strategy: list[str] = field(default_factory=list)
    requests: int = 0

    async def crawl(self, post_id: int, post: PostRecord | None = None) -> ThreadResult:
        if post is None:
            self.requests += 1
            post = await self.api.fetch_post(post_id)
        first = await self.listing(Listing(post_id, "old"), expected=post.comments + 1)
        if not first.exhausted:
            rest = max(1, post.comments - first.visible)  # what the newest end should hold
            await self.listing(Listing(post_id, "new"), expected=rest + 1, until_known=True)
        completeness = await self.fill_gaps(post)
        if completeness.missing and not first.exhausted:
            await self.other_windows(post_id)
            completeness = await self.fill_gaps(post)
        self._note_reused()
        return ThreadResult(
            post, completeness, tuple(self.strategy), self.requests, self.ceiling, self.beyond
        )

    def so_far(self, post: PostRecord) -> ThreadResult:
        """The result of what has been fetched until now: for a crawl that failed or was
        interrupted, whose rows are kept all the same."""
        self._note_reused()
        self.strategy.append("stopped early")
        completeness = self.columns.assess(post)
        return ThreadResult(
            post, completeness, tuple(self.strategy), self.requests, self.ceiling, self.beyond
        )

    def _note_reused(self) -> None:
        if self.reused:
            self.strategy.append(f"{self.reused} pages kept from the interrupted attempt")

    # ------------------------------------------------------------------ windows
    async def fill_gaps(self, post: PostRecord) -> Completeness:
        """Fetch gap subtrees until none is left or a round brings nothing new."""
        tried: set[int] = set()
        while True:
            completeness = self.columns.assess(post)
            todo = [g for g in completeness.gaps if g not in tried]
            if not todo:
                return completeness
            tried.update(todo)
            before = len(self.seen_at)
            counts = self.columns.child_counts(todo)
            await asyncio.gather(*(self.subtree(post.post_id, g, counts.get(g)) for g in todo))
            self.strategy.append(f"subtrees: {len(todo)} ({len(self.seen_at) - before} new)")

    async def subtree(self, post_id: int, parent_id: int, child_count: int | None) -> None:
        """The comments under ``parent_id`` (``child_count`` of them if it was seen)."""
        expected = child_count + 1 if child_count is not None else LIMIT
        run = await self.listing(Listing(post_id, "old", parent_id=parent_id), expected=expected)
        if not run.exhausted:
            await self.listing(Listing(post_id, "new", parent_id=parent_id), expected=expected)

    async def other_windows(self, post_id: int) -> None:
        """Every other order the API can list a thread in (only behind a ceiling)."""
        for sort in OTHER_SORTS:
            await self.listing(Listing(post_id, sort), expected=LIMIT)
        if self.api.server.dialect == "lemmy-v3":
            for sort in TREE_SORTS:
                await self.listing(Listing(post_id, sort, max_depth=1), expected=LIMIT)

    # ------------------------------------------------------------------ pagers
    async def listing(self, listing: Listing, *, expected: int, until_known: bool = False) -> _Run:
        """Page through one listing; log what it did."""
        run = _Run(until_known=until_known)
        if self.api.server.dialect == "lemmy-v4" or listing.max_depth is not None:
            await self._chain(listing, run)
        else:
            await self._numbered(listing, run, expected)
        run.seen = set()  # only the listing's own guard needs it
        end = "end" if run.exhausted else run.stopped_by
        self.strategy.append(f"{listing.describe()}: {run.pages} pages, {run.new} new, {end}")
        return run

    async def _numbered(self, listing: Listing, run: _Run, expected: int) -> None:
        """Page numbers: up to ``window`` requests in flight over the pages the listing
        should have, then one at a time to the end; pages are folded in order. The
        window is small so that an unknown ceiling wastes few requests."""
        pending: dict[int, asyncio.Future[tuple[Page, Token]]] = {}
        ahead, page = 1, 1  # the next page to request, the next to fold in
        try:
            while not (run.exhausted or run.stopped_by):
                promised = _pages_expected(expected, run, listing.parent_id is None)
                while ahead - page < (self.window if ahead <= promised else 1) and self._room(
                    ahead
                ):
                    pending[ahead] = asyncio.ensure_future(self._fetch(listing, ahead))
                    ahead += 1
                if page not in pending:
                    run.stopped_by = "page ceiling" if self.ceiling else "page cap"
                    return
                answer: tuple[Page, Token] | BaseException
                try:
                    answer = await pending.pop(page)
                except FetchError as exc:
                    answer = exc
                if not self._take(listing, run, page, answer):
                    return
                page += 1
        finally:
            for task in pending.values():
                task.cancel()
            await asyncio.gather(*pending.values(), return_exceptions=True)

    def _room(self, page: int) -> bool:
        """Whether the page cap and the ceiling met still allow ``page``; an unconfirmed
        ``hint`` allows one page past it, the probe."""
        limit = self.ceiling or (self.hint + 1 if self.hint else self.max_pages)
        return page <= min(limit, self.max_pages)

    async def _fetch(self, listing: Listing, token: Token) -> tuple[Page, Token]:
        """One page: the interrupted attempt's, unless it ended the listing (the thread
        may have grown since), else asked of the server."""
        kept = self.earlier(listing, token) if self.earlier is not None else None
        if kept is not None:
            after = self.api.next_token(kept, token, listing)
            if after is not None:
                self.reused += 1
                return kept, after
        self.requests += 1
        return await self.api.fetch_comments(listing, token)

    def _take(
        self, listing: Listing, run: _Run, number: int, answer: tuple[Page, Token] | BaseException
    ) -> bool:
        """Fold one numbered page into the run; False when the listing is over."""
        if isinstance(answer, FetchError) and answer.kind == "page_ceiling" and number > 1:
            self.ceiling = min(self.ceiling or number - 1, number - 1)
            run.stopped_by = f"page ceiling at {self.ceiling}"
            return False
        if isinstance(answer, BaseException):
            raise answer
        if self.hint is not None and number > self.hint and not self.ceiling:
            self.beyond = max(self.beyond or 0, number)  # the probe was answered: no wall
            self.hint = None
            self.strategy.append(f"page {number} answered past the expected ceiling")
        page, token = answer
        added = self._add(page)
        run.new += added
        run.pages += 1
        run.rows += len(page.comments)
        run.visible += sum(1 for c in page.comments if not (c.deleted or c.removed))
        if token is None:
            run.exhausted = True
            return False
        return self._goes_on(run, page, added, repeats_end_it=number > 1)

    @staticmethod
    def _goes_on(run: _Run, page: Page, added: int, *, repeats_end_it: bool) -> bool:
        """Whether a listing that has more pages should be followed further."""
        if run.fresh(page) == 0 and repeats_end_it:
            run.stopped_by = "a page that repeats earlier ones"
        elif run.until_known and added == 0:
            run.stopped_by = "a page already collected"
        return not run.stopped_by

    async def _chain(self, listing: Listing, run: _Run) -> None:
        """Cursors (v4), or a single tree page (v3 ``max_depth``): strictly in sequence."""
        token: Token = None
        while run.pages < self.max_pages:
            page, token = await self._fetch(listing, token)
            added = self._add(page)
            run.new += added
            run.pages += 1
            if token is None:
                run.exhausted = listing.max_depth is None
                run.stopped_by = run.stopped_by or "one tree page"
                return
            if not self._goes_on(run, page, added, repeats_end_it=True):
                return
        run.stopped_by = "page cap"

    def _add(self, page: Page) -> int:
        """Merge a page's comments (latest snapshot wins); how many were new."""
        fresh: dict[int, CommentRecord] = {}
        replaced: list[int] = []
        for c in page.comments:
            seen = self.seen_at.get(c.comment_id)
            if seen is not None and c.collected_at < seen:
                continue
            if seen is not None and c.comment_id not in fresh:
                replaced.append(c.comment_id)
            fresh[c.comment_id] = c
            self.seen_at[c.comment_id] = c.collected_at
        kept = list(fresh.values())
        self.columns.add(kept)
        if self.sink is not None:
            self.sink(kept, replaced)
        return len(fresh) - len(replaced)


def _columns() -> Columns:
    """A crawl's running verdict; verdict.columns (and Polars with it) loads with the first
    crawl, after the run's first requests have left."""
    from fedithreads.verdict.columns import Columns

    return Columns()


def _pages_expected(expected: int, run: _Run, counts_visible_only: bool) -> int:
    """Pages a listing of ``expected`` rows should fill. A post's count leaves out deleted
    and removed comments, which lists still return: scale it by the share seen so far,
    with a margin of 1 % (half a page at most), so that an estimate a hair short does not
    leave the last page to be asked for alone, a round trip after all the others."""
    if not (counts_visible_only and run.rows):
        return max(1, math.ceil(expected / LIMIT))
    rows = expected / max(run.visible / run.rows, 0.5)
    return max(1, math.ceil((rows + min(rows * ESTIMATE_MARGIN, LIMIT / 2)) / LIMIT))


ESTIMATE_MARGIN = 0.01
