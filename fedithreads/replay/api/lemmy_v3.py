"""Lemmy 0.18/0.19 ``/api/v3`` reads, with the quirks collectors trip over.

From reference/lemmy-api.md: flat ``comment/list`` pages by ``limit`` (1-50, default 10)
and ``page`` (≥ 1, at most ``Quirks.page_ceiling``), distinguished comments first when a
post or parent is given (0.19+), ``parent_id`` lists the parent and its whole subtree
(§2.2); ``max_depth`` filters by level, orders by parent path and returns at most
``Quirks.max_depth_cap`` rows whatever ``limit`` and ``page`` say (§2.1); without
``type_`` the site default applies, and ``Local`` hides comments of remote-community posts
(§2.3). ``post/list`` puts featured posts first, pages by ``page`` or the ``P<hex id>``
cursor, and sends ``next_page`` whenever the page is non-empty (§1.5). Errors are
``{"error": …}``; not-found is 404 before 0.19.4 and 400 from it (§3.3); a refused
request gets 400 ``rate_limit_error`` with no Retry-After (§3.2). ``Quirks.v3_repeat_pages``
plays Lemmy 1.0's v3 layer: ``page`` and ``page_cursor`` are ignored, no ``next_page``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from fedithreads.core.records import PostRecord
from fedithreads.replay.api.base import Api, Handler, patched
from fedithreads.replay.encode.shapes import Json
from fedithreads.replay.http import TEXT, ApiError, Params, Response
from fedithreads.replay.limits import Decision
from fedithreads.replay.order import nlevel
from fedithreads.replay.select import CommentQuery, PostQuery

HOUR, DAY = 3600, 86_400
FETCH_LIMIT_MAX = 50
COMMENT_SORTS = {
    "Hot": "hot",
    "Top": "top",
    "New": "new",
    "Old": "old",
    "Controversial": "controversial",
}
POST_SORTS: Mapping[str, tuple[str, int | None]] = {
    "Active": ("active", None),
    "Hot": ("hot", None),
    "New": ("new", None),
    "Old": ("old", None),
    "MostComments": ("most_comments", None),
    "NewComments": ("new_comments", None),
    "Controversial": ("controversial", None),
    "Scaled": ("scaled", None),
    "TopAll": ("top", None),
    "TopHour": ("top", HOUR),
    "TopSixHour": ("top", 6 * HOUR),
    "TopTwelveHour": ("top", 12 * HOUR),
    "TopDay": ("top", DAY),
    "TopWeek": ("top", 7 * DAY),
    "TopMonth": ("top", 30 * DAY),
    "TopThreeMonths": ("top", 90 * DAY),
    "TopSixMonths": ("top", 180 * DAY),
    "TopNineMonths": ("top", 270 * DAY),
    "TopYear": ("top", 365 * DAY),
}
RECORD_NOT_FOUND = ApiError(404, "unknown", "Record not found")


class LemmyV3Api(Api):
    """``/api/v3`` of a Lemmy 0.18/0.19 server."""

    dialect = "lemmy-v3"
    listings: ClassVar[Mapping[str, str]] = {
        "All": "all",
        "Local": "local",
        "Subscribed": "none",
        "ModeratorView": "none",
    }

    def routes(self) -> Mapping[str, Handler]:
        """The read endpoints."""
        return {
            "/api/v3/site": lambda _: self.site_document(),
            "/api/v3/post": self.get_post,
            "/api/v3/post/list": self.post_list,
            "/api/v3/comment": self.get_comment,
            "/api/v3/comment/list": self.comment_list,
            "/api/v3/community": self.community_document,
            "/api/v3/resolve_object": lambda params: dict([self.resolve(params)]),
        }

    # ------------------------------------------------------------------ dialect traits
    def error_document(self, err: ApiError) -> Json:
        """``{"error": type}`` plus ``message`` for the variants that carry one."""
        doc: Json = {"error": err.error}
        if err.message is not None:
            doc["message"] = err.message
        return doc

    def error_response(self, err: ApiError) -> Response:
        """Framework errors (a bad query string) are plain text; the rest JSON."""
        if err.plain:
            body = (err.message or err.error).encode()
            return Response(err.status, body, content_type=TEXT, outcome="error")
        return super().error_response(err)

    def not_found(self, kind: str) -> ApiError:
        """``couldnt_find_<kind>``: 404 for communities and before 0.19.4, else 400."""
        old = self.version < (0, 19, 4) and kind in ("post", "comment")
        return ApiError(404 if old or kind == "community" else 400, f"couldnt_find_{kind}")

    def rate_limited(self, decision: Decision) -> Response:
        """HTTP 400 ``rate_limit_error``, no Retry-After, no rate-limit headers."""
        body = self.enc.dumps({"error": "rate_limit_error"})
        return Response(400, body, outcome="rate_limited")

    def blanks_deleted(self) -> bool:
        """0.19.4+ blank deleted/removed text; 0.19.0-0.19.3 leak it."""
        return self.version >= (0, 19, 4)

    # ------------------------------------------------------------------ endpoints
    def site_document(self) -> Json:
        """``/site`` reporting the quirks' message rate limit and default listing type."""
        requests, seconds = self.quirks.published
        doc = patched(
            self.enc.site(),
            ("site_view", "local_site_rate_limit"),
            {"message": requests, "message_per_second": seconds},
        )
        listing = {"default_post_listing_type": self.quirks.default_listing}
        return patched(doc, ("site_view", "local_site"), listing)

    def get_post(self, params: Params) -> Json:
        """``GET /post?id=`` (or ``comment_id=``)."""
        post_id, comment_id = params.integer("id"), params.integer("comment_id")
        if post_id is None and comment_id is not None:
            post_id = self.find_comment(comment_id).post_id
        if post_id is None:
            raise self.not_found("post")
        post = self.visible_post(post_id)
        return self.enc.get_post(post, cross_posts=self.cross_posts(post))

    def get_comment(self, params: Params) -> Json:
        """``GET /comment?id=``."""
        comment = self.find_comment(params.required_integer("id"))
        return self.enc.get_comment(self.shown(comment), self.post_of(comment))

    def comment_list(self, params: Params) -> Json:
        """``GET /comment/list``: flat pages, or one capped ``max_depth`` tree page."""
        tree = params.integer("max_depth") is not None
        limit, page = (0, 1) if tree else self.limit_and_page(params, "couldnt_get_comments")
        query = self.comment_query(params)
        if query is None:
            return self.comment_page([])
        listing = self.select.comments(query)
        if tree:
            return self.comment_page(listing.rows[: self.quirks.max_depth_cap])
        return self.comment_page(listing.page(page, limit))

    def post_list(self, params: Params) -> Json:
        """``GET /post/list``: featured first; ``page`` and the ``P<hex>`` cursor."""
        limit, page = self.limit_and_page(params, "couldnt_get_posts")
        sort, window = POST_SORTS[params.choice("sort", POST_SORTS, "Active")]
        community = self.community_filter(params, missing=RECORD_NOT_FOUND)
        listing = self.listing(params, forced_all=community is not None)
        if listing == "none":
            return self.enc.post_list([])
        shows_nsfw = bool(params.boolean("show_nsfw")) and self.version >= (0, 19, 6)
        nsfw = "include" if shows_nsfw else "exclude"
        query = PostQuery(sort, community, listing == "local", nsfw, window)
        posts = self.select.posts(query)
        cursor = params.text("page_cursor")
        paged = self.version >= (0, 19, 0) and not self.quirks.v3_repeat_pages
        start = 0
        if cursor is not None and paged:
            start = posts.after(self.select.post_key(query)(self.cursor_post(cursor)))
        rows = posts.rows[start + (page - 1) * limit : start + page * limit]
        next_page = f"P{rows[-1].post_id:x}" if rows and paged else None
        return self.enc.post_list(rows, next_page=next_page)

    # ------------------------------------------------------------------ parameters
    def limit_and_page(self, params: Params, error: str) -> tuple[int, int]:
        """``limit`` 1-50 (default 10), ``page`` ≥ 1 up to the ceiling, else 400 ``error``;
        under ``v3_repeat_pages`` every page is page 1."""
        limit, page = params.integer("limit"), params.integer("page")
        limit = 10 if limit is None else limit
        page = 1 if page is None else page
        ceiling = self.quirks.page_ceiling
        if not 1 <= limit <= FETCH_LIMIT_MAX or page < 1 or (ceiling and page > ceiling):
            raise ApiError(400, error)
        return limit, 1 if self.quirks.v3_repeat_pages else page

    def comment_query(self, params: Params) -> CommentQuery | None:
        """The listing a ``comment/list`` request asks for (``None``: nothing visible)."""
        post_id, parent_id, max_depth = (
            params.integer(n) for n in ("post_id", "parent_id", "max_depth")
        )
        sort = COMMENT_SORTS[params.choice("sort", COMMENT_SORTS, "Hot")]
        community = self.community_filter(params, missing=RECORD_NOT_FOUND)
        listing = self.listing(params, forced_all=community is not None)
        if listing == "none":
            return None
        parent = None if parent_id is None else self.find_comment(parent_id)
        v19 = self.version >= (0, 19, 0)
        if parent is not None and post_id is None:
            post_id = parent.post_id
        max_level = None
        if max_depth is not None:
            max_level = (nlevel(parent.path) if parent else 1) + max_depth
        return CommentQuery(
            sort=sort,
            post_id=post_id,
            parent_path=None if parent is None else parent.path,
            community=community,
            local_only=listing == "local",
            omit_deleted=self.quirks.omit_deleted,
            distinguished_first=v19 and post_id is not None,
            max_level=max_level,
            tree=max_depth is not None and (v19 or sort != "top"),
        )

    def cursor_post(self, cursor: str) -> PostRecord:
        """The post a ``P<hex id>`` cursor names."""
        try:
            post_id = int(cursor[1:], 16) if cursor.startswith("P") else None
        except ValueError:
            post_id = None
        if post_id is None:
            raise ApiError(400, "couldnt_parse_pagination_token")
        post = self.data.post(post_id)
        if post is None:
            raise self.not_found("post")
        return post


__all__ = ["COMMENT_SORTS", "POST_SORTS", "LemmyV3Api"]
