"""A strict fast path for the hottest document: a Lemmy 0.19 ``/comment/list`` page.

The pydantic models are the contract: they accept every tolerated variant and name the
JSON path of every problem. Most pages, though, are exactly what Lemmy 0.19 writes, and
for those the models' generality is the cost. This path decodes such a page with msgspec
into the few fields a record needs (the rest of each view, the post and community
repeated 50 times, is checked as JSON but never built as Python objects), with strict
types: ``int`` not ``"3"`` or ``3.0``, ``bool`` or null flags, ids and counts in 64
bits (no negative count), ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` timestamps, valid UTF-8
throughout. Anything else (a renamed field, a number as a string, a 0.18 naive or a
nanosecond timestamp, a missing key) makes it give up (``None``) and the models take the
whole page, so the records are always those the models would give (a property test
holds the two to it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, Struct

from fedithreads.core.hosts import handle
from fedithreads.core.records import CommentRecord, Provenance

_I64 = 2**63 - 1

Id = Annotated[int, Meta(ge=0, le=_I64)]
Score = Annotated[int, Meta(ge=-_I64, le=_I64)]
Count = Annotated[int, Meta(ge=0, le=_I64)]
"""As the models' (fedithreads.dialects.common): a count is never negative."""


class _Comment(Struct):
    id: Id
    post_id: Id
    ap_id: str
    path: str
    content: str | None
    published: str
    updated: str | None = None
    deleted: bool | None = None
    removed: bool | None = None
    distinguished: bool | None = None
    language_id: Id | None = None
    updated_at: Any = UNSET
    """Present only on other shapes (the models would read it when ``updated`` is missing)."""


class _Creator(Struct):
    name: str
    actor_id: str
    banned: bool | None = None
    bot_account: bool | None = None
    deleted: bool | None = None
    display_name: str | None = None


class _Counts(Struct):
    score: Score
    upvotes: Count
    downvotes: Count
    child_count: Count | None = None


class _Post(Struct):
    ap_id: str


class _View(Struct):
    comment: _Comment
    creator: _Creator
    counts: _Counts
    post: _Post | None = None


class _Page(Struct):
    comments: list[_View]


_DECODER = msgspec.json.Decoder(_Page)


class _Decline(Exception):
    """The page is not in the canonical shape: leave it to the models."""


def comment_list_v3(
    body: bytes | str, prov: Provenance, *, utf8_checked: bool = False
) -> tuple[CommentRecord, ...] | None:
    """The records of a canonical 0.19 comment list, or ``None`` to use the models.

    ``utf8_checked``: the caller has already found ``body`` to be valid UTF-8 (decoding a
    page costs more than msgspec's typed decode of it, so it is done once)."""
    try:
        if isinstance(body, bytes) and not utf8_checked and not body.isascii():
            body.decode()  # msgspec checks only the strings it builds; the models, all
        page = _DECODER.decode(body)
        return tuple([_record(view, prov) for view in page.comments])
    except (_Decline, msgspec.DecodeError, ValueError, RecursionError):  # ValueError: a bad date
        return None


def _record(view: _View, prov: Provenance) -> CommentRecord:
    c, creator, counts = view.comment, view.creator, view.counts
    if c.updated_at is not UNSET:
        raise _Decline
    return CommentRecord(
        prov.instance,
        c.id,
        c.post_id,
        c.ap_id,
        None if view.post is None else view.post.ap_id,
        c.path,
        handle(creator.name, creator.actor_id),
        creator.actor_id,
        c.content or None,
        _time(c.published),
        None if c.updated is None else _time(c.updated),
        bool(c.deleted),
        bool(c.removed),
        bool(c.distinguished),
        counts.score,
        counts.upvotes,
        counts.downvotes,
        counts.child_count or 0,
        prov.dialect,
        prov.server_version,
        prov.collected_at,
        prov.run_id,
        creator.banned,
        creator.bot_account,
        creator.deleted,
        c.language_id,
        creator.display_name or None,
    )


_STAMP_LENGTHS = frozenset({20, 22, 23, 24, 25, 26, 27})
"""``YYYY-MM-DDTHH:MM:SSZ``, or with a ``.`` and 1 to 6 digits before the ``Z``."""


def _time(value: str) -> datetime:
    """The timestamp, strictly ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``: the separators are
    checked here (a regular expression took 3× as long), the digits by ``fromisoformat``
    (ASCII digits only, else a ValueError: the page goes to the models)."""
    if not (
        len(value) in _STAMP_LENGTHS
        and value[4:17:3] == "--T::"  # the separators at 4, 7, 10, 13 and 16
        and value[-1] == "Z"
        and (len(value) == 20 or value[19] == ".")
        and value.isascii()
    ):
        raise _Decline
    return datetime.fromisoformat(value)  # "Z": already UTC (datetime.UTC)
