"""Sort orders of post and comment listings, as Lemmy's SQL ``ORDER BY`` computes them.

Each order is a key function returning an ascending tuple (descending columns negated), so
that ``sorted`` reproduces the server's order and a cursor can ``bisect`` into it. Lemmy
has no final tiebreak on comments (rows with equal keys may move between pages,
reference/lemmy-api.md §2.2); the replay server breaks ties by id so that its pages are
deterministic: ascending, except ``new`` (newest first) and post orders (id descending).

Comment orders (§2.1, §2.2, §4.2): ``old`` = published ascending, ``new`` = published
descending, ``top`` = score descending, ``hot`` = hot rank then score, ``controversial``
= controversy rank. Flat lists of one post or subtree put distinguished comments first
(0.19+; not v4 ``old``/``new``); ``max_depth`` lists order by the parent path first, label
by label (compared as numbers here; PostgreSQL's ltree compares labels as text, which
differs only where ids of different lengths meet). Post orders (§1.5): featured first,
then the sort, then published descending and the id descending.

Ranks are computed at the dataset's fixed ``reference_time``, not the wall clock.

``COMMENT_SORTS`` and ``POST_SORTS`` name the orders as v4 spells them; v3 and PieFed
spell them in title case and add the ``Top*`` post sorts, ``top`` over the last hour to
year (``TOP_WINDOWS``; v4 sends ``time_range_seconds`` instead): ``windowed`` builds such a
table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from fedithreads.core.records import CommentRecord, PostRecord

Key = tuple[Any, ...]

COMMENT_SORTS = ("hot", "top", "new", "old", "controversial")
POST_SORTS = (
    "active",
    "hot",
    "new",
    "old",
    "top",
    "most_comments",
    "new_comments",
    "controversial",
    "scaled",
)
HOUR, DAY = 3600, 86_400
TOP_WINDOWS: Mapping[str, int] = {
    "TopHour": HOUR,
    "TopSixHour": 6 * HOUR,
    "TopTwelveHour": 12 * HOUR,
    "TopDay": DAY,
    "TopWeek": 7 * DAY,
    "TopMonth": 30 * DAY,
    "TopThreeMonths": 90 * DAY,
    "TopSixMonths": 180 * DAY,
    "TopNineMonths": 270 * DAY,
    "TopYear": 365 * DAY,
}
_HOT_WINDOW_HOURS = 168.0


def windowed(plain: Mapping[str, str]) -> Mapping[str, tuple[str, int | None]]:
    """A post sort table: wire name → (order, window seconds), the ``plain`` sorts (wire
    name → order) over all time, and the ``Top*`` windows."""
    unwindowed: dict[str, tuple[str, int | None]] = {w: (s, None) for w, s in plain.items()}
    return unwindowed | {wire: ("top", seconds) for wire, seconds in TOP_WINDOWS.items()}


def micros(when: datetime) -> int:
    """Microseconds since the epoch (exact, unlike ``timestamp()``)."""
    delta = when - datetime(1970, 1, 1, tzinfo=when.tzinfo)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def hot_rank(score: int, published: datetime, now: datetime) -> float:
    """Lemmy's hot rank: ``log10(max(2, score + 2)) / (hours + 2) ** 1.8`` for items
    younger than a week (and not from the future), else 0."""
    hours = (now - published).total_seconds() / 3600
    if not 0 < hours < _HOT_WINDOW_HOURS:
        return 0.0
    return float(math.log10(max(2, score + 2)) / (hours + 2) ** 1.8)


def controversy_rank(upvotes: int, downvotes: int) -> float:
    """Lemmy's controversy rank: ``(up + down) ** (min/max)``; 0 without votes both ways."""
    if upvotes <= 0 or downvotes <= 0:
        return 0.0
    return float((upvotes + downvotes) ** (min(upvotes, downvotes) / max(upvotes, downvotes)))


def labels(path: str) -> tuple[int, ...]:
    """The ltree labels of a comment path as numbers: ``0.5.9`` → ``(0, 5, 9)``."""
    return tuple(int(part) for part in path.split("."))


def nlevel(path: str) -> int:
    """PostgreSQL's ``nlevel``: the number of labels (a top-level comment has 2)."""
    return path.count(".") + 1


def in_subtree(path: str, root: str) -> bool:
    """``path <@ root``: the comment is ``root`` itself or one of its descendants."""
    return path == root or path.startswith(root + ".")


def _comment_sort(sort: str, now: datetime) -> Callable[[CommentRecord], Key]:
    if sort == "old":
        return lambda c: (micros(c.published), c.comment_id)
    if sort == "new":
        return lambda c: (-micros(c.published), -c.comment_id)
    if sort == "top":
        return lambda c: (-c.score, c.comment_id)
    if sort == "hot":
        return lambda c: (-hot_rank(c.score, c.published, now), -c.score, c.comment_id)
    if sort == "controversial":
        return lambda c: (-controversy_rank(c.upvotes, c.downvotes), c.comment_id)
    raise ValueError(f"unknown comment sort {sort!r}; use one of {COMMENT_SORTS}")


def comment_key(
    sort: str, now: datetime, *, distinguished_first: bool, tree: bool
) -> Callable[[CommentRecord], Key]:
    """The key of a comment listing: [parent path,] [distinguished first,] the sort, id."""
    by_sort = _comment_sort(sort, now)

    def key(c: CommentRecord) -> Key:
        head: Key = (labels(c.path)[:-1],) if tree else ()
        if distinguished_first:
            head += (not c.distinguished,)
        return head + by_sort(c)

    return key


def _post_sort(sort: str, now: datetime) -> Callable[[PostRecord], Key]:
    def newest(p: PostRecord) -> datetime:
        return p.newest_comment_time or p.published

    table: dict[str, Callable[[PostRecord], Key]] = {
        "new": lambda p: (),
        "old": lambda p: (micros(p.published), p.post_id),
        "hot": lambda p: (-hot_rank(p.score, p.published, now),),
        "scaled": lambda p: (-hot_rank(p.score, p.published, now),),
        "active": lambda p: (-hot_rank(p.score, newest(p), now),),
        "top": lambda p: (-p.score,),
        "most_comments": lambda p: (-p.comments,),
        "new_comments": lambda p: (-micros(newest(p)),),
        "controversial": lambda p: (-controversy_rank(p.upvotes, p.downvotes),),
    }
    if sort not in table:
        raise ValueError(f"unknown post sort {sort!r}; use one of {POST_SORTS}")
    return table[sort]


def post_key(sort: str, now: datetime) -> Callable[[PostRecord], Key]:
    """The key of a post listing: featured first, the sort, published and id descending."""
    by_sort = _post_sort(sort, now)

    def key(p: PostRecord) -> Key:
        return (not p.featured, *by_sort(p), -micros(p.published), -p.post_id)

    return key


__all__ = [
    "COMMENT_SORTS",
    "DAY",
    "HOUR",
    "POST_SORTS",
    "TOP_WINDOWS",
    "Key",
    "comment_key",
    "controversy_rank",
    "hot_rank",
    "in_subtree",
    "labels",
    "micros",
    "nlevel",
    "post_key",
    "windowed",
]
