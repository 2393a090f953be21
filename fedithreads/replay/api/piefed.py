"""PieFed's ``/api/alpha`` reads: page numbers, ``next_page`` as a string or null.

From reference/lemmy-api.md §5.1: ``comment/list`` defaults to ``sort=New`` and
``limit=10``, caps ``limit`` at ``PAGE_LENGTH`` (``Quirks.piefed_page_length``) and
honours ``max_depth`` together with paging, with PieFed's depth (a top-level reply is 0:
``max_depth=N`` keeps N+1 levels under a post, parent depth + N under a parent, whose
whole subtree is listed, the parent included); ``post/list`` defaults to ``sort=Hot``,
``limit=50``. ``next_page`` is the next page number while rows remain, else null. Errors
are ``{"code", "message", "status"}``; a refused request gets 429. With
``Quirks.piefed_api_disabled`` every ``/api/alpha`` path answers 400 "alpha api is not
enabled". Like PieFed, the server also answers a Lemmy-shaped ``/api/v3/site`` whose
``version`` is PieFed's (the trap of §4.5).
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import ClassVar

from fedithreads.core.records import PostRecord
from fedithreads.replay.api.base import Api, Handler
from fedithreads.replay.encode.documents import Encoder
from fedithreads.replay.encode.shapes import Json
from fedithreads.replay.http import ApiError, Params, Request, Response
from fedithreads.replay.limits import Decision
from fedithreads.replay.order import nlevel
from fedithreads.replay.select import CommentQuery, Listing, PostQuery, R

PREFIX = "/api/alpha"
COMMENT_SORTS = {
    "Hot": "hot",
    "Top": "top",
    "TopAll": "top",
    "New": "new",
    "Old": "old",
    "Controversial": "controversial",
}
_HOUR, _DAY = 3600, 86_400
POST_SORTS: Mapping[str, tuple[str, int | None]] = {
    "Hot": ("hot", None),
    "Top": ("top", None),
    "TopAll": ("top", None),
    "TopHour": ("top", _HOUR),
    "TopSixHour": ("top", 6 * _HOUR),
    "TopTwelveHour": ("top", 12 * _HOUR),
    "TopDay": ("top", _DAY),
    "TopWeek": ("top", 7 * _DAY),
    "TopMonth": ("top", 30 * _DAY),
    "TopThreeMonths": ("top", 90 * _DAY),
    "TopSixMonths": ("top", 180 * _DAY),
    "TopNineMonths": ("top", 270 * _DAY),
    "TopYear": ("top", 365 * _DAY),
    "New": ("new", None),
    "Old": ("old", None),
    "Scaled": ("scaled", None),
    "Active": ("active", None),
}
NSFW = {"Exclude": "exclude", "Include": "include", "Only": "only"}
DISABLED = ApiError(400, "disabled", "alpha api is not enabled")


class PieFedApi(Api):
    """``/api/alpha`` of a PieFed server."""

    dialect = "piefed"
    listings: ClassVar[Mapping[str, str]] = {
        "All": "all",
        "Local": "local",
        "Popular": "all",
        "Subscribed": "none",
        "Moderating": "none",
        "ModeratorView": "none",
    }

    def routes(self) -> Mapping[str, Handler]:
        """The read endpoints, and the Lemmy-shaped ``/api/v3/site``."""
        return {
            f"{PREFIX}/site": lambda _: self.enc.site(),
            f"{PREFIX}/site/version": lambda _: {"version": self.enc.server_version},
            f"{PREFIX}/post": self.get_post,
            f"{PREFIX}/post/list": self.post_list,
            f"{PREFIX}/comment": self.get_comment,
            f"{PREFIX}/comment/list": self.comment_list,
            f"{PREFIX}/community": self.community_document,
            "/api/v3/site": lambda _: self.lemmy_site(),
        }

    def handle(self, req: Request) -> Response:
        """Every ``/api/alpha`` request fails while the API is disabled."""
        if self.quirks.piefed_api_disabled and req.path.startswith(PREFIX):
            return self.error_response(DISABLED)
        return super().handle(req)

    # ------------------------------------------------------------------ dialect traits
    def error_document(self, err: ApiError) -> Json:
        """``{"code", "message", "status"}`` (the status phrase)."""
        phrase = HTTPStatus(err.status).phrase
        return {"code": err.status, "message": err.message or err.error, "status": phrase}

    def not_found(self, kind: str) -> ApiError:
        """PieFed answers 400 with a message for a missing object."""
        return ApiError(400, "not_found", f"{kind} not found")

    def unknown_path(self, path: str) -> ApiError:
        """Flask's 404."""
        return ApiError(404, "not_found", "Not Found")

    def rate_limited(self, decision: Decision) -> Response:
        """429 with flask-limiter's description of the limit."""
        limit = f"{decision.limit} per {decision.per_seconds:g} second"
        body = self.enc.dumps({"code": 429, "message": limit, "status": "Bad Request"})
        return Response(429, body, outcome="rate_limited")

    # ------------------------------------------------------------------ endpoints
    def lemmy_site(self) -> Json:
        """PieFed's Lemmy-compatible ``/api/v3/site``: Lemmy's shape, PieFed's version."""
        return Encoder(self.enc.instance, "lemmy-v3", self.enc.server_version).site()

    def get_post(self, params: Params) -> Json:
        """``GET /post?id=``."""
        post = self.visible_post(params.required_integer("id"))
        return self.enc.get_post(post, cross_posts=self.cross_posts(post))

    def get_comment(self, params: Params) -> Json:
        """``GET /comment?id=``."""
        comment = self.find_comment(params.required_integer("id"))
        return self.enc.get_comment(self.shown(comment), self.post_of(comment))

    def comment_list(self, params: Params) -> Json:
        """``GET /comment/list``: page numbers, ``max_depth`` honoured with paging."""
        limit, page = self.limit_and_page(params, default=10)
        comments = self.select.comments(self.comment_query(params))
        rows = comments.page(page, limit)
        return self.comment_page(rows, next_page=_next_page(comments, page, limit))

    def post_list(self, params: Params) -> Json:
        """``GET /post/list``: page numbers."""
        limit, page = self.limit_and_page(params, default=50)
        sort, window = POST_SORTS[params.choice("sort", POST_SORTS, "Hot")]
        community = self.community_filter(params, missing=self.not_found("community"))
        listing = self.listing(params, forced_all=True)
        nsfw = NSFW[params.choice("nsfw", NSFW, "Include")]
        query = PostQuery(sort, community, listing == "local", nsfw, window)
        posts = self.select.posts(query) if listing != "none" else Listing[PostRecord]((), ())
        rows = posts.page(page, limit)
        return self.enc.post_list(rows, next_page=_next_page(posts, page, limit))

    # ------------------------------------------------------------------ parameters
    def limit_and_page(self, params: Params, *, default: int) -> tuple[int, int]:
        """``limit`` (capped at the page length) and ``page`` (or ``page_cursor``) ≥ 1."""
        limit, page = params.integer("limit"), params.integer("page")
        if page is None:
            page = params.integer("page_cursor")
        limit = default if limit is None else limit
        page = 1 if page is None else page
        if limit < 1 or page < 1:
            raise ApiError(400, "bad_request", "limit and page must be positive")
        return min(limit, self.quirks.piefed_page_length), page

    def comment_query(self, params: Params) -> CommentQuery:
        """The listing a ``comment/list`` request asks for."""
        post_id, parent_id = params.integer("post_id"), params.integer("parent_id")
        max_depth = params.integer("max_depth")
        community = self.community_filter(params, missing=self.not_found("community"))
        if post_id is None and parent_id is None and community is None:
            raise ApiError(400, "bad_request", "missing parameters for reply")
        parent = None if parent_id is None else self.find_comment(parent_id)
        if parent is not None and post_id is None:
            post_id = parent.post_id
        listing = self.listing(params, forced_all=True)
        max_level = None
        if max_depth:  # PieFed tests truthiness: max_depth=0 means no limit
            max_level = (nlevel(parent.path) if parent else 2) + max_depth
        return CommentQuery(
            sort=COMMENT_SORTS[params.choice("sort", COMMENT_SORTS, "New")],
            post_id=post_id,
            parent_path=None if parent is None else parent.path,
            community=community,
            local_only=listing == "local" and post_id is None,
            distinguished_first=False,
            max_level=max_level,
        )


def _next_page(listing: Listing[R], page: int, limit: int) -> str | None:
    """The next page number while rows remain beyond this page, else ``None``."""
    return str(page + 1) if page * limit < len(listing.rows) else None


__all__ = ["COMMENT_SORTS", "POST_SORTS", "PieFedApi"]
