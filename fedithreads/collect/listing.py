"""A listing of posts, newest first, cut to what a target asks: its window, ``max_posts``.

A community's posts (``post/list?community_name=…&sort=New``), an instance's local posts
(``type_=Local``) and a user's posts are all read the same way: page after page until
the listing ends, brings nothing new, has given ``max_posts`` unpinned posts of the
window, or has passed the window's start (an unpinned post older than ``since``: New
order, so every later page is older still). Pinned posts head every page whatever their
age, so they never end a listing. What is kept: the posts published in the window
(pinned ones too), and of the unpinned ones only the newest ``max_posts``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from fedithreads.collect.api import Token
from fedithreads.core.records import Page, PostRecord
from fedithreads.core.window import Window
from fedithreads.errors import FedithreadsError, StoreError

Pages = Callable[[Token], Awaitable[tuple[Page, Token]]]
"""token → one page of the listing and the token of the next (``None``: the end)."""


@dataclass(frozen=True, slots=True)
class Scope:
    """What of a listing a target wants."""

    window: Window | None = None
    max_posts: int | None = None

    def keeps(self, post: PostRecord) -> bool:
        return self.window is None or self.window.holds(post.published)

    def passed(self, page: Page) -> bool:
        """Whether the listing has gone past the window's start on ``page``."""
        window = self.window
        return window is not None and any(
            window.passed(p.published) for p in page.posts if not p.featured
        )

    def enough(self, found: Iterable[PostRecord]) -> bool:
        """Whether ``max_posts`` unpinned posts of the window are in."""
        if self.max_posts is None:
            return False
        return sum(1 for p in found if not p.featured and self.keeps(p)) >= self.max_posts

    def cut(self, found: Iterable[PostRecord]) -> list[PostRecord]:
        """The posts kept, in listing order."""
        posts = [p for p in found if self.keeps(p)]
        if self.max_posts is None:
            return posts
        newest = [p.post_id for p in posts if not p.featured][: self.max_posts]
        return [p for p in posts if p.featured or p.post_id in set(newest)]


@dataclass(slots=True)
class ListedPosts:
    """What a listing gave: the posts kept, the requests it took, why it stopped early."""

    posts: list[PostRecord]
    requests: int
    error: str | None = None


async def list_posts(pages: Pages, scope: Scope, *, max_pages: int) -> ListedPosts:
    """Read a listing newest first as the module says. A page that fails after the first
    ends it: the posts found so far are kept, and ``error`` says where it stopped."""
    found: dict[int, PostRecord] = {}
    token: Token = None
    read, error = 0, None
    for _ in range(max_pages):
        try:
            page, token = await pages(token)
        except StoreError:  # the disk, not the server: the whole run stops
            raise
        except FedithreadsError as exc:
            if not found:
                raise
            error = f"post list stopped after {len(found)} posts: {exc}"
            break
        read += 1
        new = [p for p in page.posts if p.post_id not in found]
        found.update((p.post_id, p) for p in new)
        if token is None or not new or scope.enough(found.values()) or scope.passed(page):
            break
    return ListedPosts(scope.cut(found.values()), read, error)
