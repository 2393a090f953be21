"""A person's content: ``GET /user`` (Lemmy 0.19; PieFed with ``include_content``) and
Lemmy 1.0's ``GET /person/content``.

``username`` is ``name`` (a person of the served instance) or ``name@host``; an unknown
one is the dialect's not-found. Posts and comments are the person's, newest first
(Lemmy's ``sort=New``, the order collectors ask for; ``Old`` reverses it). v3 and PieFed
cut both lists by the same ``page`` and ``limit``; PieFed lists none without
``include_content=true``. v4 merges them newest first, tagged by kind, and pages them
with a cursor (an offset, opaque to clients).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from fedithreads.core.hosts import host_of
from fedithreads.core.records import CommentRecord, PostRecord
from fedithreads.replay.api.base import Api
from fedithreads.replay.api.params import Paging
from fedithreads.replay.encode.documents import actor_name, decode_cursor, encode_cursor
from fedithreads.replay.encode.shapes import Json
from fedithreads.replay.http import ApiError, Params
from fedithreads.replay.select import CommentQuery, PostQuery

Item = PostRecord | tuple[CommentRecord, PostRecord]
T = TypeVar("T")


def find_person(api: Api, username: str | None) -> str:
    """The actor URL of ``username`` among the dataset's authors."""
    if not username:
        raise ApiError(400, "no_id_given")
    wanted = username.lower()
    authors = {p.author_ap_id: p.author for p in api.data.posts()}
    authors.update((c.author_ap_id, c.author) for c in api.data.all_comments())
    for url, handle in authors.items():
        name = handle.lower()
        if wanted == name or (wanted == name.split("@")[0] and host_of(url) == api.enc.instance):
            return url
    raise api.not_found("person")


def content(api: Api, author: str, sort: str) -> tuple[list[PostRecord], list[Item]]:
    """The person's posts, and their comments with each one's post, newest first."""
    posts = list(api.select.posts(PostQuery("new", creator=author, nsfw="include")).rows)
    query = CommentQuery("new", creator=author, distinguished_first=False)
    comments: list[Item] = [(api.shown(c), api.post_of(c)) for c in api.select.comments(query).rows]
    if sort.lower() == "old":
        posts.reverse()
        comments.reverse()
    return posts, comments


def person_details(api: Api, params: Params, paging: Paging, *, listed: bool = True) -> Json:
    """``GET /user``: one page of each list (``listed`` False: none, PieFed without
    ``include_content``)."""
    author = find_person(api, params.text("username"))
    limit, page = paging.read(params)
    posts, comments = content(api, author, params.text("sort") or "New")
    if not listed:
        posts, comments = [], []
    cut = slice((page - 1) * limit, page * limit)
    pairs = [c for c in comments[cut] if isinstance(c, tuple)]
    return api.enc.person_details(author, actor_name(author), posts[cut], pairs)


def person_content(api: Api, params: Params, paging: Paging) -> Json:
    """``GET /person/content``: posts and comments merged newest first, cursor pages."""
    author = find_person(api, params.text("username"))
    limit, _ = paging.read(params)
    posts, comments = content(api, author, "new")
    items: list[Item] = sorted([*posts, *comments], key=_published, reverse=True)
    rows, next_page = offset_page(items, params.text("page_cursor"), limit)
    return api.enc.person_items(rows, next_page=next_page)


def offset_page(
    rows: Sequence[T], cursor: str | None, limit: int
) -> tuple[Sequence[T], str | None]:
    """``limit`` rows from the offset ``cursor`` names (none: the start), and the cursor
    of the next page while more rows remain (v4's end signal: no ``next_page``)."""
    start = _offset(cursor)
    page = rows[start : start + limit]
    more = start + limit < len(rows) and len(page) == limit
    return page, encode_cursor(start + limit) if more else None


def _published(item: Item) -> datetime:
    return item.published if isinstance(item, PostRecord) else item[0].published


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        offset, _ = decode_cursor(cursor)
    except ValueError:
        raise ApiError(400, "couldnt_parse_pagination_token") from None
    return offset


__all__ = ["find_person", "offset_page", "person_content", "person_details"]
