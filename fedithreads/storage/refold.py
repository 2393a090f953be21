"""A thread's comments as the crawler kept them, folded again from its raw answers.

The crawler (fedithreads.collect.crawl) reads each listing's pages in page order and
stops a listing at the dialect's end signal, at a page that brings no id the listing had
not returned (after the first page), at a missing page (a ceiling, a cap, a failure), or,
for the thread's ``New`` end behind a ceiling, at a page that brings nothing new at all.
Pages that were on their way when a listing stopped are archived but were never folded
in; they are passed over here too. Folded comments merge the crawler's way: the latest
``collected_at`` wins, a tie to the later page. The tree builder's rejections (invalid
paths) are left out, judged by the same ``verdict.columns.Columns`` on the same rows
in the same order, so the rows are the ones the collector streamed into the part file.

Nothing here depends on the crawl having succeeded: a thread whose crawl failed half-way
is folded as far as its answers go. A resumed run's crawl of a thread reused the
append-only pages (``sort=Old``, no ``max_depth``) its interrupted attempts had fetched,
all but those that ended their listing (fedithreads.collect.resume); ``with_earlier``
puts those pages back into the listings of the attempt that finished the thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from fedithreads.core.records import CommentRecord, Page, PostRecord
from fedithreads.storage.answers import Answer, Attempt
from fedithreads.verdict.columns import Columns

Token = int | str | None


@dataclass(frozen=True, slots=True)
class ListingKey:
    """One comment query of a crawl: a thread or a subtree, in one sort order."""

    post_id: int | None
    parent_id: int | None
    sort: str
    max_depth: int | None

    @classmethod
    def of(cls, answer: Answer) -> ListingKey:
        p = answer.params
        post_id, parent_id = _int(p.get("post_id")), _int(p.get("parent_id"))
        return cls(post_id, parent_id, p.get("sort", "").lower(), _int(p.get("max_depth")))


@dataclass(slots=True)
class Listing:
    """The pages one listing received, by the token that asked for each."""

    key: ListingKey
    chained: bool
    limit: int
    pages: dict[Token, Page] = field(default_factory=dict)

    def token(self, answer: Answer) -> Token:
        if self.chained:
            return answer.params.get("page_cursor")
        return _int(answer.params.get("page")) or 1


def thread_listings(attempt: Attempt) -> dict[int, list[Listing]]:
    """Every thread's comment listings in the attempt, in the order they began."""
    chained_dialect = attempt.prov.dialect == "lemmy-v4"
    by_key: dict[ListingKey, Listing] = {}
    owner: dict[ListingKey, int] = {}
    for answer, page in attempt.pages("comment/list"):
        key = ListingKey.of(answer)
        post_id = key.post_id if key.post_id is not None else _post_of(page)
        if key not in by_key:
            chained = chained_dialect or key.max_depth is not None
            limit = _int(answer.params.get("limit")) or 50
            by_key[key] = Listing(key, chained, limit)
        if post_id is not None:
            owner.setdefault(key, post_id)
        by_key[key].pages.setdefault(by_key[key].token(answer), page)
    threads: dict[int, list[Listing]] = {}
    for key, listing in by_key.items():
        if key in owner:
            threads.setdefault(owner[key], []).append(listing)
    return threads


@dataclass(slots=True)
class ThreadFold:
    """Folds one thread's listings as the crawler did; ``rows`` is what it wrote."""

    dialect: str
    seen_at: dict[int, datetime] = field(default_factory=dict)
    latest: dict[int, CommentRecord] = field(default_factory=dict)
    columns: Columns = field(default_factory=Columns)

    def fold(self, listings: Iterable[Listing]) -> None:
        exhausted = True
        for listing in listings:
            thread_level = listing.key.parent_id is None and listing.key.max_depth is None
            until_known = thread_level and listing.key.sort == "new" and not exhausted
            done = self._listing(listing, until_known=until_known)
            if thread_level and listing.key.sort == "old":
                exhausted = done

    def rows(self, post: PostRecord | None) -> list[CommentRecord]:
        """The comments kept, less those the verdict rejects for an invalid path."""
        rejected = self.columns.assess(post).rejected if post is not None else frozenset()
        return [c for cid, c in self.latest.items() if cid not in rejected]

    def _listing(self, listing: Listing, *, until_known: bool) -> bool:
        """Fold one listing's pages in order; whether it reached its end."""
        seen: set[int] = set()
        token: Token = None if listing.chained else 1
        number = 1
        while token in listing.pages:
            page = listing.pages[token]
            added = self._add(page)
            token = self._next(listing, page, token)
            if token is None:
                return not (listing.chained and listing.key.max_depth is not None)
            ids = {c.comment_id for c in page.comments}
            fresh, seen = ids - seen, seen | ids
            if not fresh and (listing.chained or number > 1):
                return False
            if until_known and added == 0:
                return False
            number += 1
        return False

    def _next(self, listing: Listing, page: Page, token: Token) -> Token:
        return next_token(self.dialect, listing, page, token)

    def _add(self, page: Page) -> int:
        """``collect.crawl.ThreadCrawler._add``: merge, latest wins; how many were new."""
        fresh: dict[int, CommentRecord] = {}
        replaced = 0
        for c in page.comments:
            seen = self.seen_at.get(c.comment_id)
            if seen is not None and c.collected_at < seen:
                continue
            if seen is not None and c.comment_id not in fresh:
                replaced += 1
            fresh[c.comment_id] = c
            self.seen_at[c.comment_id] = c.collected_at
        self.columns.add(fresh.values())
        self.latest.update(fresh)
        return len(fresh) - replaced


def next_token(dialect: str, listing: Listing, page: Page, token: Token) -> Token:
    """The token of the page after ``page``, or ``None`` at the listing's end
    (``collect.api.ThreadApi.next_token``)."""
    if dialect == "lemmy-v4":
        return page.next_page
    if listing.key.max_depth is not None:
        return None
    if dialect == "piefed":
        nxt = page.next_page
        return int(nxt) if nxt and nxt.isdigit() else None
    assert isinstance(token, int)
    return token + 1 if len(page.comments) >= listing.limit else None


def with_earlier(
    listings: Sequence[Listing], earlier: Mapping[ListingKey, Listing], dialect: str
) -> list[Listing]:
    """A thread's ``listings`` in one attempt, with the pages of ``earlier`` attempts its
    crawl reused: of append-only listings, those that did not end their listing, where
    the attempt has no page of its own. The thread's ``Old`` listing comes first (the
    crawl began with it, also when every page of it was reused)."""
    merged = {listing.key: listing for listing in listings}
    for key, before in earlier.items():
        if key.sort != "old" or key.max_depth is not None:
            continue
        kept = {
            t: p for t, p in before.pages.items() if next_token(dialect, before, p, t) is not None
        }
        if not kept:
            continue
        now = merged.get(key, Listing(key, before.chained, before.limit))
        merged[key] = Listing(key, now.chained, now.limit, {**kept, **now.pages})
    return sorted(merged.values(), key=lambda listing: not _thread_old(listing.key))


def _thread_old(key: ListingKey) -> bool:
    """Whether ``key`` is a thread's flat ``Old`` listing (not a subtree, not a tree)."""
    return key.parent_id is None and key.max_depth is None and key.sort == "old"


def thread_rows(
    listings: Iterable[Listing], dialect: str, post: PostRecord | None
) -> list[CommentRecord]:
    """The comment rows a crawl of these listings wrote."""
    fold = ThreadFold(dialect)
    fold.fold(listings)
    return fold.rows(post)


def _post_of(page: Page) -> int | None:
    return page.comments[0].post_id if page.comments else None


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and text.lstrip("-").isdigit() else None


def first_posts(pages: Iterable[Page]) -> Mapping[int, PostRecord]:
    """A community listing's posts, the first sighting of each id winning (as
    ``collect.run.Collector._list_posts`` keeps them)."""
    found: dict[int, PostRecord] = {}
    for page in pages:
        for post in page.posts:
            found.setdefault(post.post_id, post)
    return found
