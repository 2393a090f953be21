"""The parameters the dialects read alike: ``limit`` and ``page``, and the thread.

``Paging`` reads ``limit`` and ``page`` with a dialect's default, maximum and error as
data (v4's cursor pages read no page number; PieFed takes ``page_cursor`` for ``page``);
``ThreadParams`` reads ``comment/list``'s ``post_id``, ``parent_id`` and ``max_depth`` and
finds the parent. What stays with each dialect is what differs: when the parent is looked
up, how deep ``max_depth`` reaches, v3's page ceiling, PieFed's cap on ``limit``. Parsing
order is behaviour too: the first malformed parameter is the error a client sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from fedithreads.core.records import CommentRecord
from fedithreads.replay.http import ApiError, Params
from fedithreads.replay.order import nlevel

FETCH_LIMIT_MAX = 50  # Lemmy's largest ``limit``, v3 and v4 alike


@dataclass(frozen=True, slots=True)
class Paging:
    """How a list endpoint reads ``limit`` and ``page``: the default limit, the largest
    one accepted (``None``: any, the dialect caps it), the names a page number may come
    under, the first present winning (none: cursor pages), and the 400 for a value out
    of range (``error`` and ``message``)."""

    default_limit: int
    error: str
    message: str | None = None
    max_limit: int | None = FETCH_LIMIT_MAX
    page_names: tuple[str, ...] = ("page",)

    def read(self, params: Params, *, ceiling: int | None = None) -> tuple[int, int]:
        """``(limit, page)``, both parsed before either is checked: 1 ≤ limit ≤ the
        maximum, 1 ≤ page ≤ ``ceiling``."""
        limit, page = params.integer("limit"), self._page(params)
        limit = self.default_limit if limit is None else limit
        page = 1 if page is None else page
        too_big = self.max_limit is not None and limit > self.max_limit
        if limit < 1 or page < 1 or too_big or (ceiling is not None and page > ceiling):
            raise ApiError(400, self.error, self.message)
        return limit, page

    def _page(self, params: Params) -> int | None:
        for name in self.page_names:
            page = params.integer(name)
            if page is not None:
                return page
        return None


@dataclass(frozen=True, slots=True)
class ThreadParams:
    """The thread a ``comment/list`` asks for: ``post_id``, ``parent_id``, ``max_depth``,
    and once ``located``, the parent comment."""

    post_id: int | None
    parent_id: int | None
    max_depth: int | None
    parent: CommentRecord | None = None

    @classmethod
    def read(cls, params: Params) -> ThreadParams:
        """The three integers, parsed in that order."""
        integer = params.integer
        return cls(integer("post_id"), integer("parent_id"), integer("max_depth"))

    def located(self, find_comment: Callable[[int], CommentRecord]) -> ThreadParams:
        """With the parent found (``find_comment`` raises the dialect's not-found); the
        parent's post stands in for a missing ``post_id``."""
        if self.parent_id is None:
            return self
        parent = find_comment(self.parent_id)
        post_id = parent.post_id if self.post_id is None else self.post_id
        return replace(self, post_id=post_id, parent=parent)

    @property
    def parent_path(self) -> str | None:
        """The path of the located parent, if any."""
        return None if self.parent is None else self.parent.path

    def max_level(self, *, top: int) -> int | None:
        """The deepest ``nlevel`` kept: the parent's level (``top`` without one) plus
        ``max_depth``; ``None`` without ``max_depth``."""
        if self.max_depth is None:
            return None
        return (top if self.parent is None else nlevel(self.parent.path)) + self.max_depth


__all__ = ["FETCH_LIMIT_MAX", "Paging", "ThreadParams"]
