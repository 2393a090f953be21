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
from dataclasses import replace
from http import HTTPStatus
from typing import ClassVar

from fedithreads.core.records import PostRecord
from fedithreads.replay.api import modlog
from fedithreads.replay.api.base import Api
from fedithreads.replay.api.params import Paging, ThreadParams
from fedithreads.replay.api.people import person_details
from fedithreads.replay.api.routes import route_table
from fedithreads.replay.encode.documents import Encoder
from fedithreads.replay.encode.shapes import Json
from fedithreads.replay.http import ApiError, Params, Request, Response
from fedithreads.replay.limits import Decision
from fedithreads.replay.order import COMMENT_SORTS as COMMENT_ORDERS
from fedithreads.replay.order import windowed
from fedithreads.replay.select import CommentQuery, Listing, PostQuery, R

PREFIX = "/api/alpha"
COMMENT_SORTS = {order.title(): order for order in COMMENT_ORDERS} | {"TopAll": "top"}
POST_SORTS = windowed(
    {
        "Hot": "hot",
        "Top": "top",
        "TopAll": "top",
        "New": "new",
        "Old": "old",
        "Scaled": "scaled",
        "Active": "active",
    }
)
NSFW = {"Exclude": "exclude", "Include": "include", "Only": "only"}
COMMENT_PAGES = Paging(  # no limit is too big: PAGE_LENGTH caps it
    10,
    "bad_request",
    "limit and page must be positive",
    max_limit=None,
    page_names=("page", "page_cursor"),
)
POST_PAGES = replace(COMMENT_PAGES, default_limit=50)
USER_PAGES = replace(COMMENT_PAGES, default_limit=20)
DISABLED = ApiError(400, "disabled", "alpha api is not enabled")


def site_version(api: Api, _: Params) -> Json:
    """``GET /api/alpha/site/version``."""
    return {"version": api.enc.server_version}


def lemmy_site(api: Api, _: Params) -> Json:
    """PieFed's Lemmy-compatible ``/api/v3/site``: Lemmy's shape, PieFed's version."""
    return Encoder(api.enc.instance, "lemmy-v3", api.enc.server_version).site()


def user(api: Api, params: Params) -> Json:
    """``GET /api/alpha/user``: posts and comments only with ``include_content=true``."""
    listed = bool(params.boolean("include_content"))
    return person_details(api, params, USER_PAGES, listed=listed)


class PieFedApi(Api):
    """``/api/alpha`` of a PieFed server."""

    dialect = "piefed"
    routes = route_table(
        PREFIX,
        lacks=("resolve_object",),
        adds={
            "site/version": site_version,
            "/api/v3/site": lemmy_site,
            "user": user,
            "modlog": lambda api, params: modlog.lists(api, params, USER_PAGES),
        },
    )
    listings: ClassVar[Mapping[str, str]] = {
        "All": "all",
        "Local": "local",
        "Popular": "all",
        "Subscribed": "none",
        "Moderating": "none",
        "ModeratorView": "none",
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
    def requested_post_id(self, params: Params) -> int:
        """``id`` only, and it must be there."""
        return params.required_integer("id")

    def comment_list(self, params: Params) -> Json:
        """``GET /comment/list``: page numbers, ``max_depth`` honoured with paging."""
        limit, page = self.limit_and_page(params, COMMENT_PAGES)
        comments = self.select.comments(self.comment_query(params))
        rows = comments.page(page, limit)
        return self.comment_page(rows, next_page=_next_page(comments, page, limit))

    def post_list(self, params: Params) -> Json:
        """``GET /post/list``: page numbers."""
        limit, page = self.limit_and_page(params, POST_PAGES)
        sort, window = POST_SORTS[params.choice("sort", POST_SORTS, "Hot")]
        community = self.community_filter(params, missing=self.not_found("community"))
        listing = self.listing(params, forced_all=True)
        nsfw = NSFW[params.choice("nsfw", NSFW, "Include")]
        query = PostQuery(sort, community, listing == "local", nsfw, window)
        nothing: Listing[PostRecord] = Listing((), ())  # what anonymous callers see
        posts = self.select.posts(query) if listing != "none" else nothing
        rows = posts.page(page, limit)
        return self.enc.post_list(rows, next_page=_next_page(posts, page, limit))

    # ------------------------------------------------------------------ parameters
    def limit_and_page(self, params: Params, paging: Paging) -> tuple[int, int]:
        """``limit`` (capped at the page length) and ``page`` (or ``page_cursor``) ≥ 1."""
        limit, page = paging.read(params)
        return min(limit, self.quirks.piefed_page_length), page

    def comment_query(self, params: Params) -> CommentQuery:
        """The listing a ``comment/list`` request asks for; PieFed's depth counts from 0
        at the top level, and ``max_depth=0`` (falsy) means no limit."""
        thread = ThreadParams.read(params)
        community = self.community_filter(params, missing=self.not_found("community"))
        if thread.post_id is None and thread.parent_id is None and community is None:
            raise ApiError(400, "bad_request", "missing parameters for reply")
        thread = thread.located(self.find_comment)
        listing = self.listing(params, forced_all=True)
        return CommentQuery(
            sort=COMMENT_SORTS[params.choice("sort", COMMENT_SORTS, "New")],
            post_id=thread.post_id,
            parent_path=thread.parent_path,
            community=community,
            local_only=listing == "local" and thread.post_id is None,
            distinguished_first=False,
            max_level=thread.max_level(top=2) if thread.max_depth else None,
        )


def _next_page(listing: Listing[R], page: int, limit: int) -> str | None:
    """The next page number while rows remain beyond this page, else ``None``."""
    return str(page + 1) if page * limit < len(listing.rows) else None


__all__ = ["COMMENT_SORTS", "POST_SORTS", "PieFedApi"]
