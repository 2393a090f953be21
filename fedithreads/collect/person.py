"""A person's threads: the posts they wrote and the threads they commented in.

Their content is read newest first (``ThreadApi.fetch_person_content``: posts and
comments side by side on each page, each list in its own time order) until both lists
have ended or passed the window's start, or until the ``max_posts`` newest threads are
certain: no later page can hold a newer one. A thread's time is its post's publication
for the person's own posts, else the person's newest comment in it; the threads are kept
newest first. A thread known only by a comment is fetched as a post (``/post?id=``) for
its counts; one that is gone (deleted or removed since) is left out.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from fedithreads.collect.api import ThreadApi, Token
from fedithreads.collect.listing import ListedPosts, Scope
from fedithreads.core.records import Page, PostRecord
from fedithreads.errors import FedithreadsError, FetchError, StoreError


@dataclass(slots=True)
class _Seen:
    """What the pages so far gave: posts by id, the newest comment time per thread, and
    the oldest time each list has reached."""

    posts: dict[int, PostRecord] = field(default_factory=dict)
    commented: dict[int, datetime] = field(default_factory=dict)
    frontier: datetime | None = None

    def add(self, page: Page, scope: Scope) -> None:
        for post in page.posts:
            if scope.keeps(post):
                self.posts.setdefault(post.post_id, post)
        for c in page.comments:
            if scope.window is None or scope.window.holds(c.published):
                newest = self.commented.get(c.post_id)
                self.commented[c.post_id] = (
                    c.published if newest is None else max(newest, c.published)
                )
        ends = [items[-1].published for items in (page.posts, page.comments) if items]
        self.frontier = max(ends) if ends else self.frontier

    def times(self) -> dict[int, datetime]:
        """Each thread's time: its post's, or the person's newest comment in it."""
        out = dict(self.commented)
        out.update((i, p.published) for i, p in self.posts.items())
        return out

    def passed(self, page: Page, scope: Scope) -> bool:
        """Both lists of ``page`` have ended or gone past the window's start."""
        window = scope.window
        if window is None:
            return False
        return all(
            not items or window.passed(items[-1].published) for items in (page.posts, page.comments)
        )

    def certain(self, scope: Scope) -> bool:
        """``max_posts`` threads are newer than anything a later page can bring."""
        if scope.max_posts is None or self.frontier is None:
            return False
        frontier = self.frontier
        return sum(1 for t in self.times().values() if t >= frontier) >= scope.max_posts


async def list_person_threads(
    api: ThreadApi, name: str, scope: Scope, *, max_pages: int
) -> ListedPosts:
    """The person's threads on ``api``'s host, as the module says."""
    seen = _Seen()
    token: Token = None
    read, error = 0, None
    for _ in range(max_pages):
        try:
            page, token = await api.fetch_person_content(name, token)
        except StoreError:
            raise
        except FedithreadsError as exc:
            if not read:
                raise
            error = f"the person's content stopped after {read} pages: {exc}"
            break
        read += 1
        seen.add(page, scope)
        if token is None or seen.passed(page, scope) or seen.certain(scope):
            break
    times = seen.times()
    chosen = sorted(times, key=lambda i: times[i], reverse=True)[: scope.max_posts]
    posts = await _posts(api, [i for i in chosen if i not in seen.posts])
    found = {**seen.posts, **posts}
    return ListedPosts([found[i] for i in chosen if i in found], read + len(posts), error)


async def _posts(api: ThreadApi, post_ids: list[int]) -> dict[int, PostRecord]:
    """The posts of threads known by a comment; those that are gone are left out."""

    async def one(post_id: int) -> PostRecord | None:
        try:
            return await api.fetch_post(post_id)
        except FetchError as exc:
            if exc.kind == "not_found":
                return None
            raise

    found = await asyncio.gather(*(one(i) for i in post_ids))
    return {p.post_id: p for p in found if p is not None}
