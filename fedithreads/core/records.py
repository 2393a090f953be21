"""Neutral records: one post or comment as seen at one moment, whatever the dialect.

The dialect models (fedithreads.dialects) turn API documents into these; the tree builder,
the table writers and the replay encoder all speak them. A record carries its provenance
(instance, dialect, server_version, collected_at, run_id) so that every table row can say
where and when it was seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any, ClassVar

from msgspec import Struct

API_ROOTS = {"lemmy-v3": "/api/v3", "lemmy-v4": "/api/v4", "piefed": "/api/alpha"}
"""Each dialect (a Provenance's ``dialect``) and where its API lives on a host: what the
collector asks and raw URLs show."""


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where and when a page was seen: shared by every record parsed from it."""

    instance: str
    dialect: str
    server_version: str | None
    collected_at: datetime
    run_id: str


_UNCOMPARED = frozenset({"author_banned", "author_bot", "author_deleted", "author_display_name"})
"""Fields that are not part of a snapshot's identity: records that differ only in them
compare equal and hash alike (the creator's flags and display name as one page showed
them)."""


class _Snapshot(Struct, frozen=True, gc=False):
    """A record: immutable, hashable, equal by the value of its fields but
    ``_UNCOMPARED``.

    A ``msgspec.Struct`` rather than a frozen dataclass because parsing builds one per
    comment: a frozen dataclass sets each field through ``object.__setattr__``, which made
    building the records a third of parsing a page (docs/benchmarks.md). ``gc=False``: a
    record holds only scalars, strings and datetimes, never a cycle. Copy with
    ``msgspec.structs.replace``; the fields are ``__struct_fields__``.
    """

    _identity: ClassVar[Any]
    """The compared fields of a record as a tuple (set for each kind below)."""

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return bool(self._identity(self) == self._identity(other))

    def __hash__(self) -> int:
        return hash(self._identity(self))


class PostRecord(_Snapshot, frozen=True, gc=False):
    """A post snapshot. ``post_id`` is local to ``instance``; ``ap_id`` is global."""

    instance: str
    post_id: int
    ap_id: str
    community: str
    community_ap_id: str
    author: str
    author_ap_id: str
    title: str
    url: str | None
    body: str | None
    published: datetime
    updated: datetime | None
    deleted: bool
    removed: bool
    locked: bool
    nsfw: bool
    comments: int
    score: int
    upvotes: int
    downvotes: int
    newest_comment_time: datetime | None
    dialect: str
    server_version: str | None
    collected_at: datetime
    run_id: str
    featured: bool = False
    """Pinned in its community or instance (kept for crawling; not a table column)."""
    author_banned: bool | None = None
    author_bot: bool | None = None
    author_deleted: bool | None = None
    """The creator's flags as the page showed them (``None``: not shown): banned from the
    instance, a bot account, the account deleted. Columns of the posts and comments
    tables (``schema.CREATOR_COLUMNS``), which the authors table is built from; not part
    of the snapshot's identity (records compare without them)."""
    language_id: int | None = None
    """The site's number of the language it is written in (``None``: not given)."""
    author_display_name: str | None = None
    """The name the creator shows beside the handle, where the page gave one (not part
    of the snapshot's identity, as the flags)."""


class CommentRecord(_Snapshot, frozen=True, gc=False):
    """A comment snapshot. ``path`` holds ``instance``-local ids: ``0.<ancestors>.<id>``.

    ``content`` is ``None`` when the server blanked it (deleted or removed on Lemmy 0.19.4+,
    PieFed, 1.0): an empty string from the server means "unknown", not "empty comment".
    ``post_ap_id`` is ``None`` when the page did not carry the post (v4 slim lists).
    """

    instance: str
    comment_id: int
    post_id: int
    ap_id: str
    post_ap_id: str | None
    path: str
    author: str
    author_ap_id: str
    content: str | None
    published: datetime
    updated: datetime | None
    deleted: bool
    removed: bool
    distinguished: bool
    score: int
    upvotes: int
    downvotes: int
    child_count: int
    dialect: str
    server_version: str | None
    collected_at: datetime
    run_id: str
    author_banned: bool | None = None
    author_bot: bool | None = None
    author_deleted: bool | None = None
    language_id: int | None = None
    author_display_name: str | None = None
    """As ``PostRecord``'s: the creator's flags where the page showed them, the
    language (``schema.LANGUAGE_COLUMN``) and the creator's display name."""


for _kind in (PostRecord, CommentRecord):
    _kind._identity = attrgetter(*(f for f in _kind.__struct_fields__ if f not in _UNCOMPARED))

CREATOR_FLAGS = ("author_banned", "author_bot", "author_deleted")
"""The creator's flags every post and comment record carries."""


@dataclass(frozen=True, slots=True)
class ModAction:
    """One entry of an instance's moderation log, as that instance shows it.

    ``action`` is Lemmy 1.0's name of the kind (``mod_remove_comment``,
    ``mod_remove_post``, ``mod_lock_post``, ``mod_ban_from_community``, ``admin_ban``, …);
    ``reverted`` marks its undoing (a restore, an unban, an unlock). ``log_id`` is local to
    ``instance`` (in Lemmy 0.19 and PieFed, to the kind). The moderator is ``None`` where
    the log hides names (anonymous readers of Lemmy, by default); the targets are ap_ids:
    the post, the comment, the person acted on (banned, added, or the author of what was
    removed), the community."""

    instance: str
    log_id: int
    action: str
    reverted: bool
    moderator: str | None
    moderator_ap_id: str | None
    post_ap_id: str | None
    comment_ap_id: str | None
    person_ap_id: str | None
    community_ap_id: str | None
    reason: str | None
    expires: datetime | None
    acted_at: datetime
    dialect: str
    server_version: str | None
    collected_at: datetime
    run_id: str


@dataclass(frozen=True, slots=True)
class Page:
    """What one API document held, parsed: posts, comments, moderation log entries and
    the next-page token."""

    endpoint: str
    posts: tuple[PostRecord, ...] = ()
    comments: tuple[CommentRecord, ...] = ()
    next_page: str | None = None
    server_version: str | None = None
    actions: tuple[ModAction, ...] = ()
    not_utf8: int = 0
    """Bytes of the body that were not UTF-8, each read as U+FFFD (the page is kept)."""
    languages: tuple[tuple[int, str, str], ...] = ()
    """A ``/site`` answer's languages: (id, code, name)."""
