"""Neutral records: one post or comment as seen at one moment, whatever the dialect.

The dialect models (fedithreads.dialects) turn API documents into these; the tree builder,
the table writers and the replay encoder all speak them. A record carries its provenance
(instance, dialect, server_version, collected_at, run_id) so that every table row can say
where and when it was seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where and when a page was seen: shared by every record parsed from it."""

    instance: str
    dialect: str
    server_version: str | None
    collected_at: datetime
    run_id: str


@dataclass(frozen=True, slots=True)
class PostRecord:
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


@dataclass(frozen=True, slots=True)
class CommentRecord:
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


@dataclass(frozen=True, slots=True)
class Page:
    """What one API document held, parsed: posts, comments and the next-page token."""

    endpoint: str
    posts: tuple[PostRecord, ...] = ()
    comments: tuple[CommentRecord, ...] = ()
    next_page: str | None = None
    server_version: str | None = None
    not_utf8: int = 0
    """Bytes of the body that were not UTF-8, each read as U+FFFD (the page is kept)."""
