"""Lemmy 1.0 ``/api/v4`` reads: cursor pages, snake_case enums, 404 ``not_found``.

From reference/lemmy-api.md §4.2: lists are ``{"items", "next_page"?, "prev_page"?}``;
``next_page`` (an opaque cursor, ``fedithreads.replay.encode.documents.encode_cursor``) is
omitted when a page has fewer than ``limit`` rows; ``limit`` is 1-50 (default 20), else 400
``invalid_fetch_limit``; ``time_range_seconds`` 0 means none; ``old``/``new`` comment
orders are by publish time only, other sorts put distinguished comments first; a
``max_depth`` tree page holds up to ``Quirks.max_depth_cap`` rows and a full one has a
``next_page``; ``type_=local`` no longer hides the comments of a given post. Errors are
``{"error", "cause"}``, a missing row 404 ``not_found``; refusals are 429
``too_many_requests`` with ``retry-after``, and allowed responses carry
``x-ratelimit-limit``/``-remaining``/``-reset`` (§3.2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar

from fedithreads.core.records import CommentRecord, PostRecord
from fedithreads.replay.api import modlog
from fedithreads.replay.api.base import Api, lemmy_error
from fedithreads.replay.api.params import Paging, ThreadParams
from fedithreads.replay.api.people import person_content
from fedithreads.replay.api.routes import route_table
from fedithreads.replay.encode.documents import decode_cursor, encode_cursor
from fedithreads.replay.encode.shapes import Json
from fedithreads.replay.http import ApiError, Headers, Params, Response
from fedithreads.replay.limits import Decision
from fedithreads.replay.order import COMMENT_SORTS, POST_SORTS, Key
from fedithreads.replay.select import CommentQuery, Listing, PostQuery, R

PAGES = Paging(20, "invalid_fetch_limit", page_names=())  # cursors, no page numbers


def bad_cursor() -> ApiError:
    """A cursor that names no row; a new error each time (a raised one keeps its frames)."""
    return ApiError(400, "couldnt_parse_pagination_token")


class LemmyV4Api(Api):
    """``/api/v4`` of a Lemmy 1.0 server."""

    dialect = "lemmy-v4"
    routes = route_table(
        "/api/v4",
        adds={
            "person/content": lambda api, params: person_content(api, params, PAGES),
            "modlog": lambda api, params: modlog.items(api, params, PAGES),
        },
    )
    listings: ClassVar[Mapping[str, str]] = {
        "all": "all",
        "local": "local",
        "subscribed": "none",
        "moderator_view": "none",
        "suggested": "none",
    }
    site_rate_limit = ("message_max_requests", "message_interval_seconds")

    # ------------------------------------------------------------------ dialect traits
    def error_document(self, err: ApiError) -> Json:
        """``{"error", "message"?, "cause"}``: 1.0 also wraps framework errors in JSON."""
        return {**lemmy_error(err), "cause": err.message or err.error}

    def not_found(self, kind: str) -> ApiError:
        """A missing row of any kind: 404 ``not_found``."""
        return ApiError(404, "not_found", None)

    def rate_limited(self, decision: Decision) -> Response:
        """429 ``too_many_requests`` with ``retry-after``."""
        body = self.enc.dumps({"error": "too_many_requests"})
        headers = (("retry-after", str(decision.retry_after)),)
        return Response(429, body, headers=headers, outcome="rate_limited")

    def allowed_headers(self, decision: Decision) -> Headers:
        """``x-ratelimit-limit``, ``-remaining`` and ``-reset`` (seconds)."""
        return (
            ("x-ratelimit-limit", str(decision.limit)),
            ("x-ratelimit-remaining", str(decision.remaining)),
            ("x-ratelimit-reset", str(decision.reset_seconds)),
        )

    # ------------------------------------------------------------------ endpoints
    def resolve_object(self, params: Params) -> Json:
        """``resolve_object``: the view, tagged with ``type_``."""
        kind, view = self.resolve(params)
        return {"type_": kind, **view}

    def comment_list(self, params: Params) -> Json:
        """``GET /comment/list``: cursor pages, flat or ``max_depth`` tree."""
        limit, _ = PAGES.read(params)
        query = self.comment_query(params)
        if query is None:
            return self.comment_page([])
        size = self.quirks.max_depth_cap if query.tree else limit
        listing = self.select.comments(query)
        key = self.select.comment_key(query)
        rows, next_page, prev_page = cursor_page(
            listing, params.text("page_cursor"), size, lambda i: key(self.find_comment_cursor(i))
        )
        return self.comment_page(rows, next_page=next_page, prev_page=prev_page)

    def post_list(self, params: Params) -> Json:
        """``GET /post/list``: featured first, cursor pages."""
        limit, _ = PAGES.read(params)
        sort = params.choice("sort", POST_SORTS, "active")
        community = self.community_filter(params, missing=self.not_found("community"))
        listing = self.listing(params, forced_all=community is not None)
        if listing == "none":
            return self.enc.post_list([])
        nsfw = "include" if params.boolean("show_nsfw") else "exclude"
        window = self.time_range(params)
        query = PostQuery(sort, community, listing == "local", nsfw, window)
        posts = self.select.posts(query)
        key = self.select.post_key(query)
        rows, next_page, prev_page = cursor_page(
            posts, params.text("page_cursor"), limit, lambda i: key(self.find_post_cursor(i))
        )
        return self.enc.post_list(rows, next_page=next_page, prev_page=prev_page)

    # ------------------------------------------------------------------ parameters
    def time_range(self, params: Params) -> int | None:
        """``time_range_seconds``: absent or 0 means no range."""
        seconds = params.integer("time_range_seconds")
        return seconds if seconds else None

    def comment_query(self, params: Params) -> CommentQuery | None:
        """The listing a ``comment/list`` request asks for (``None``: nothing visible)."""
        thread = ThreadParams.read(params)
        sort = params.choice("sort", COMMENT_SORTS, "hot")
        community = self.community_filter(params, missing=self.not_found("community"))
        thread = thread.located(self.find_comment)
        given = community is not None or thread.post_id is not None
        listing = self.listing(params, forced_all=given)
        if listing == "none" and not given:
            return None
        return CommentQuery(
            sort=sort,
            post_id=thread.post_id,
            parent_path=thread.parent_path,
            community=community,
            local_only=listing == "local" and not given,
            distinguished_first=sort not in ("old", "new"),
            max_level=thread.max_level(top=1),
            tree=thread.max_depth is not None,
            since_seconds=self.time_range(params),
        )

    def find_comment_cursor(self, item_id: int) -> CommentRecord:
        """The comment a cursor points at."""
        found = self.data.comment(item_id)
        if found is None:
            raise bad_cursor()
        return found

    def find_post_cursor(self, item_id: int) -> PostRecord:
        """The post a cursor points at."""
        found = self.data.post(item_id)
        if found is None:
            raise bad_cursor()
        return found


def cursor_page(
    listing: Listing[R], raw: str | None, size: int, key_of: Callable[[int], Key]
) -> tuple[Sequence[R], str | None, str | None]:
    """``size`` rows after (or, for a back cursor, before) the ``raw`` cursor's row, with
    the cursors of the next and previous pages (``None`` where there is none)."""
    if raw is None:
        rows = listing.rows[:size]
        return rows, _next(rows, size), None
    try:
        item_id, back = decode_cursor(raw)
    except ValueError:
        raise bad_cursor() from None
    if back:
        end = listing.before(key_of(item_id))
        rows = listing.rows[max(0, end - size) : end]
        prev = encode_cursor(_id(rows[0]), back=True) if rows and end > size else None
        return rows, _next(rows, 1), prev
    start = listing.after(key_of(item_id))
    rows = listing.rows[start : start + size]
    return rows, _next(rows, size), encode_cursor(_id(rows[0]) if rows else item_id, back=True)


def _id(row: CommentRecord | PostRecord) -> int:
    return row.comment_id if isinstance(row, CommentRecord) else row.post_id


def _next(rows: Sequence[R], size: int) -> str | None:
    """The next-page cursor: only after a full page."""
    return encode_cursor(_id(rows[-1])) if rows and len(rows) >= size else None


__all__ = ["COMMENT_SORTS", "POST_SORTS", "LemmyV4Api", "cursor_page"]
