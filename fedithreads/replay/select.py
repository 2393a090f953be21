"""Which posts and comments a listing returns, in which order, and how pages cut it.

A query is a frozen value (``CommentQuery``, ``PostQuery``) that the dialect modules fill
from request parameters; ``Selector`` answers it from a ``ReplayDataset`` with the rows
and their sort keys, cached per dataset version (paging through a big thread sorts it
once). The page helpers cut an ordered listing by page number or after/before a cursor
row's key. Nothing here knows a dialect's wire format.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from fedithreads.core.hosts import host_of
from fedithreads.core.records import CommentRecord, PostRecord
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.order import Key, comment_key, in_subtree, nlevel, post_key

R = TypeVar("R", CommentRecord, PostRecord)
_CACHE_SIZE = 64


@dataclass(frozen=True, slots=True)
class CommentQuery:
    """A comment listing. ``parent_path`` limits it to that subtree (the parent included);
    ``max_level`` keeps paths of at most that many labels; ``tree`` orders by the parent
    path first; ``local_only`` drops comments of posts in communities not local to the
    server; ``since_seconds`` keeps comments newer than that (before ``reference_time``)."""

    sort: str
    post_id: int | None = None
    parent_path: str | None = None
    community: str | None = None
    local_only: bool = False
    omit_deleted: bool = False
    distinguished_first: bool = True
    max_level: int | None = None
    tree: bool = False
    since_seconds: int | None = None
    creator: str | None = None
    """Only the comments of the person with this actor URL (a person's content)."""


@dataclass(frozen=True, slots=True)
class PostQuery:
    """A post listing: never deleted or removed posts; ``nsfw`` is ``exclude``,
    ``include`` or ``only``; ``since_seconds`` is a Top* window or v4 time range;
    ``creator`` an author's actor URL."""

    sort: str
    community: str | None = None
    local_only: bool = False
    nsfw: str = "exclude"
    since_seconds: int | None = None
    creator: str | None = None


@dataclass(frozen=True, slots=True)
class Listing(Generic[R]):
    """Ordered rows with their sort keys (ascending), for cursors to ``bisect`` into."""

    rows: tuple[R, ...]
    keys: tuple[Key, ...]

    def page(self, number: int, limit: int) -> tuple[R, ...]:
        """Page ``number`` (from 1) of ``limit`` rows."""
        return self.rows[(number - 1) * limit : number * limit]

    def after(self, key: Key) -> int:
        """The index of the first row sorting after ``key``."""
        return bisect_right(self.keys, key)

    def before(self, key: Key) -> int:
        """The index of the first row sorting at or after ``key`` (rows before it precede)."""
        return bisect_left(self.keys, key)


def _listing(rows: list[R], key: Callable[[R], Key]) -> Listing[R]:
    keyed = sorted(((key(r), r) for r in rows), key=lambda pair: pair[0])
    return Listing(tuple(r for _, r in keyed), tuple(k for k, _ in keyed))


class Selector:
    """Answers listing queries for one dataset as seen by one served instance."""

    def __init__(self, dataset: ReplayDataset, instance: str) -> None:
        self.dataset = dataset
        self.instance = instance
        self._lock = threading.Lock()
        self._comments: dict[tuple[int, CommentQuery], Listing[CommentRecord]] = {}
        self._posts: dict[tuple[int, PostQuery], Listing[PostRecord]] = {}

    def is_local(self, post: PostRecord) -> bool:
        """Whether the post's community lives on the served instance."""
        return host_of(post.community_ap_id) == self.instance

    def comment_key(self, q: CommentQuery) -> Callable[[CommentRecord], Key]:
        """The key function of a comment query (also places a cursor's row)."""
        now = self.dataset.reference_time
        return comment_key(q.sort, now, distinguished_first=q.distinguished_first, tree=q.tree)

    def post_key(self, q: PostQuery) -> Callable[[PostRecord], Key]:
        """The key function of a post query."""
        return post_key(q.sort, self.dataset.reference_time)

    def comments(self, q: CommentQuery) -> Listing[CommentRecord]:
        """The ordered comments of ``q`` (cached per dataset version)."""
        with self.dataset.lock:
            slot = (self.dataset.version, q)
            with self._lock:
                found = self._comments.get(slot)
            if found is None:
                rows = [c for c in self._comment_candidates(q) if self._keep_comment(q, c)]
                found = _listing(rows, self.comment_key(q))
                with self._lock:
                    _store(self._comments, slot, found)
            return found

    def posts(self, q: PostQuery) -> Listing[PostRecord]:
        """The ordered posts of ``q`` (cached per dataset version)."""
        with self.dataset.lock:
            slot = (self.dataset.version, q)
            with self._lock:
                found = self._posts.get(slot)
            if found is None:
                rows = [p for p in self.dataset.posts() if self._keep_post(q, p)]
                found = _listing(rows, self.post_key(q))
                with self._lock:
                    _store(self._posts, slot, found)
            return found

    def _comment_candidates(self, q: CommentQuery) -> Sequence[CommentRecord]:
        if q.post_id is not None:
            return self.dataset.comments_of(q.post_id)
        return self.dataset.all_comments()

    def _keep_comment(self, q: CommentQuery, c: CommentRecord) -> bool:
        post = self.dataset.post(c.post_id)
        if post is None:
            return False
        checks = (
            q.parent_path is None or in_subtree(c.path, q.parent_path),
            q.community is None or post.community_ap_id == q.community,
            not q.local_only or self.is_local(post),
            not q.omit_deleted or not (c.deleted or c.removed),
            q.max_level is None or nlevel(c.path) <= q.max_level,
            q.since_seconds is None or self._recent(c.published, q.since_seconds),
            q.creator is None or c.author_ap_id == q.creator,
        )
        return all(checks)

    def _keep_post(self, q: PostQuery, p: PostRecord) -> bool:
        checks = (
            not (p.deleted or p.removed),
            q.community is None or p.community_ap_id == q.community,
            not q.local_only or self.is_local(p),
            q.nsfw == "include" or (q.nsfw == "only") == p.nsfw,
            q.since_seconds is None or self._recent(p.published, q.since_seconds),
            q.creator is None or p.author_ap_id == q.creator,
        )
        return all(checks)

    def _recent(self, when: datetime, seconds: int) -> bool:
        return when >= self.dataset.reference_time - timedelta(seconds=seconds)


K = TypeVar("K")
V = TypeVar("V")


def _store(cache: dict[K, V], slot: K, value: V) -> None:
    """Remember ``value``; a full cache starts over (old versions are never asked again)."""
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[slot] = value


__all__ = ["CommentQuery", "Listing", "PostQuery", "Selector"]
