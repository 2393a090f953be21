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
from fedithreads.replay.api import modlog
from fedithreads.replay.api.base import Api, lemmy_error
from fedithreads.replay.api.params import Paging, ThreadParams
from fedithreads.replay.api.people import person_details
from fedithreads.replay.api.routes import route_table
from fedithreads.replay.encode.shapes import Json
from fedithreads.replay.http import TEXT, ApiError, Params, Response
from fedithreads.replay.limits import Decision
from fedithreads.replay.order import COMMENT_SORTS as COMMENT_ORDERS
from fedithreads.replay.order import windowed
from fedithreads.replay.select import CommentQuery, PostQuery

COMMENT_SORTS = {order.title(): order for order in COMMENT_ORDERS}  # Hot, Top, New, …
POST_SORTS = windowed(
    {
        "Active": "active",
        "Hot": "hot",
        "New": "new",
        "Old": "old",
        "MostComments": "most_comments",
        "NewComments": "new_comments",
        "Controversial": "controversial",
        "Scaled": "scaled",
        "TopAll": "top",
    }
)
COMMENT_PAGES = Paging(10, "couldnt_get_comments")
USER_PAGES = Paging(10, "couldnt_get_posts")
POST_PAGES = Paging(10, "couldnt_get_posts")


def record_not_found() -> ApiError:
    """Lemmy 0.19's error for an unknown community name; a new one each time (a raised
    error keeps the frames it passed through)."""
    return ApiError(404, "unknown", "Record not found")


class LemmyV3Api(Api):
    """``/api/v3`` of a Lemmy 0.18/0.19 server."""

    dialect = "lemmy-v3"
    routes = route_table(
        "/api/v3",
        adds={
            "user": lambda api, params: person_details(api, params, USER_PAGES),
            "modlog": lambda api, params: modlog.lists(api, params, USER_PAGES),
        },
    )
    listings: ClassVar[Mapping[str, str]] = {
        "All": "all",
        "Local": "local",
        "Subscribed": "none",
        "ModeratorView": "none",
    }
    site_rate_limit = ("message", "message_per_second")

    # ------------------------------------------------------------------ dialect traits
    def error_document(self, err: ApiError) -> Json:
        """``{"error": type}`` plus ``message`` for the variants that carry one."""
        return lemmy_error(err)

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
    def resolve_object(self, params: Params) -> Json:
        """``resolve_object``: ``{kind: view}``."""
        kind, view = self.resolve(params)
        return {kind: view}

    def comment_list(self, params: Params) -> Json:
        """``GET /comment/list``: flat pages, or one capped ``max_depth`` tree page."""
        tree = params.integer("max_depth") is not None
        limit, page = (0, 1) if tree else self.limit_and_page(params, COMMENT_PAGES)
        query = self.comment_query(params)
        if query is None:
            return self.comment_page([])
        listing = self.select.comments(query)
        if tree:
            return self.comment_page(listing.rows[: self.quirks.max_depth_cap])
        return self.comment_page(listing.page(page, limit))

    def post_list(self, params: Params) -> Json:
        """``GET /post/list``: featured first; ``page`` and the ``P<hex>`` cursor."""
        limit, page = self.limit_and_page(params, POST_PAGES)
        sort, window = POST_SORTS[params.choice("sort", POST_SORTS, "Active")]
        community = self.community_filter(params, missing=record_not_found())
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
    def limit_and_page(self, params: Params, paging: Paging) -> tuple[int, int]:
        """``limit`` 1-50, ``page`` ≥ 1 up to the ceiling, else ``paging``'s 400; under
        ``v3_repeat_pages`` every page is page 1."""
        limit, page = paging.read(params, ceiling=self.quirks.page_ceiling)
        return limit, 1 if self.quirks.v3_repeat_pages else page

    def comment_query(self, params: Params) -> CommentQuery | None:
        """The listing a ``comment/list`` request asks for (``None``: nothing visible)."""
        thread = ThreadParams.read(params)
        sort = COMMENT_SORTS[params.choice("sort", COMMENT_SORTS, "Hot")]
        community = self.community_filter(params, missing=record_not_found())
        listing = self.listing(params, forced_all=community is not None)
        if listing == "none":
            return None
        thread = thread.located(self.find_comment)
        v19 = self.version >= (0, 19, 0)
        return CommentQuery(
            sort=sort,
            post_id=thread.post_id,
            parent_path=thread.parent_path,
            community=community,
            local_only=listing == "local",
            omit_deleted=self.quirks.omit_deleted,
            distinguished_first=v19 and thread.post_id is not None,
            max_level=thread.max_level(top=1),
            tree=thread.max_depth is not None and (v19 or sort != "top"),
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
