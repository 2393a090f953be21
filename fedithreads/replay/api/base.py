"""What every dialect's API shares: dispatch, lookups, the shared endpoints.

``Api`` is the base of ``LemmyV3Api``, ``LemmyV4Api`` and ``PieFedApi``. A subclass gives
its route table (``fedithreads.replay.api.routes.route_table``: full path → endpoint taking
the API and ``Params`` and returning a JSON document), its list endpoints, how its errors
and refusals look, and uses what is here for what does not differ: ``site``, ``post``,
``comment``, ``community``; finding posts, comments and communities, blanking deleted
text, building list pages with the ``Encoder``. Endpoints raise ``ApiError``; ``handle``
turns it into the dialect's body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

import msgspec

from fedithreads.core.hosts import host_of
from fedithreads.core.records import CommentRecord, PostRecord
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.encode.documents import Encoder
from fedithreads.replay.encode.shapes import Json
from fedithreads.replay.http import ApiError, Headers, Params, Request, Response
from fedithreads.replay.limits import Decision
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.select import Selector

Handler = Callable[[Params], Json]
Endpoint = Callable[["Api", Params], Json]


@dataclass(frozen=True, slots=True)
class Context:
    """Everything an API needs: the data, the encoder bound to the served instance, the
    listing selector and the quirks."""

    dataset: ReplayDataset
    encoder: Encoder
    selector: Selector
    quirks: Quirks
    base_url: str


def patched(doc: Json, path: Sequence[str], updates: Mapping[str, Any]) -> Json:
    """A copy of ``doc`` with ``updates`` applied to the object at ``path`` (the encoder's
    documents share sub-dicts, so they are copied along the path, never mutated)."""
    if not path:
        return {**doc, **updates}
    head, *rest = path
    return {**doc, head: patched(doc[head], rest, updates)}


def lemmy_error(err: ApiError) -> Json:
    """Lemmy's error body: ``{"error": type}`` plus ``message`` for the variants with one."""
    doc: Json = {"error": err.error}
    if err.message is not None:
        doc["message"] = err.message
    return doc


class Api:
    """Routes and shared behaviour of one dialect's read API."""

    dialect: ClassVar[str]
    routes: ClassVar[Mapping[str, Endpoint]]  # built once per class by route_table
    listings: ClassVar[Mapping[str, str]]  # wire value of type_ → all | local | none
    # the names /site gives the quirks' message rate limit (requests, interval); None: none
    site_rate_limit: ClassVar[tuple[str, str] | None] = None

    def __init__(self, ctx: Context) -> None:
        """Bind the class's route table to this API (a test may swap one handler)."""
        self.ctx = ctx
        self.data = ctx.dataset
        self.enc = ctx.encoder
        self.quirks = ctx.quirks
        self.select = ctx.selector
        self.version = ctx.encoder.version
        self._routes: dict[str, Handler] = {p: partial(e, self) for p, e in self.routes.items()}

    # ------------------------------------------------------------------ per dialect
    def comment_list(self, params: Params) -> Json:
        """``GET /comment/list``."""
        raise NotImplementedError

    def post_list(self, params: Params) -> Json:
        """``GET /post/list``."""
        raise NotImplementedError

    def resolve_object(self, params: Params) -> Json:
        """``GET /resolve_object?q=``, as the dialect wraps ``resolve``."""
        raise NotImplementedError

    def error_document(self, err: ApiError) -> Json:
        """The body of an error response."""
        raise NotImplementedError

    def not_found(self, kind: str) -> ApiError:
        """The error for a missing ``post``, ``comment``, ``community`` or ``object``."""
        raise NotImplementedError

    def rate_limited(self, decision: Decision) -> Response:
        """The response to a request refused by the rate limiter."""
        raise NotImplementedError

    def allowed_headers(self, decision: Decision) -> Headers:
        """Headers added to an allowed response (v4 sends ``x-ratelimit-*``)."""
        return ()

    def blanks_deleted(self) -> bool:
        """Whether deleted/removed comments are listed with empty text."""
        return True

    # ------------------------------------------------------------------ dispatch
    def handle(self, req: Request) -> Response:
        """Answer one request: the handler's document, or the dialect's error."""
        handler = self._routes.get(req.path) if req.method == "GET" else None
        try:
            if handler is None:
                raise self.unknown_path(req.path)
            return Response(200, self.enc.dumps(handler(Params(req.params))))
        except ApiError as err:
            return self.error_response(err)

    def unknown_path(self, path: str) -> ApiError:
        """A path the server does not route."""
        return ApiError(404, "not_found", f"no route for {path}")

    def error_response(self, err: ApiError) -> Response:
        """An ``ApiError`` as this dialect sends it."""
        return Response(err.status, self.enc.dumps(self.error_document(err)), outcome="error")

    # ------------------------------------------------------------------ lookups
    def visible_post(self, post_id: int) -> PostRecord:
        """A post anonymous callers may see (deleted and removed ones are not found)."""
        post = self.data.post(post_id)
        if post is None or post.deleted or post.removed:
            raise self.not_found("post")
        return post

    def find_comment(self, comment_id: int) -> CommentRecord:
        """A comment by id, or the dialect's not-found error."""
        comment = self.data.comment(comment_id)
        if comment is None:
            raise self.not_found("comment")
        return comment

    def post_of(self, comment: CommentRecord) -> PostRecord:
        """The post a stored comment belongs to (the dataset keeps no comment without)."""
        post = self.data.post(comment.post_id)
        assert post is not None, f"comment {comment.comment_id} has no post"
        return post

    def shown(self, comment: CommentRecord) -> CommentRecord:
        """The comment as listed: text blanked when deleted or removed (if the version
        blanks it)."""
        gone = comment.deleted or comment.removed
        if gone and comment.content is not None and self.blanks_deleted():
            return msgspec.structs.replace(comment, content=None)
        return comment

    def cross_posts(self, post: PostRecord) -> list[PostRecord]:
        """Other visible posts linking the same URL."""
        if post.url is None:
            return []
        return [
            p
            for p in self.data.posts()
            if p.url == post.url and p.post_id != post.post_id and not (p.deleted or p.removed)
        ]

    def listing(self, params: Params, *, forced_all: bool) -> str:
        """``all``, ``local`` or ``none`` (anonymous Subscribed and the like): ``type_``,
        else ``All`` when a community is named, else the site default."""
        default = "all" if forced_all else self.quirks.default_listing
        return self.listings[params.choice("type_", self.listings, self.wire_listing(default))]

    def wire_listing(self, listing: str) -> str:
        """The dialect's spelling of ``All`` or ``Local``."""
        return next(k for k in self.listings if k.lower() == listing.lower())

    # ------------------------------------------------------------------ communities
    def community_ids(self) -> dict[int, str]:
        """The served instance's community id → community ap_id."""
        return {self.enc.local_id("community", ap): ap for ap in self.data.communities()}

    def find_community(self, name: str) -> str | None:
        """The ap_id of ``name@host`` (or of a bare ``name`` local to the server)."""
        wanted = name.lower()
        for ap, post in self.data.communities().items():
            plain, host = post.community.split("@", 1)[0].lower(), host_of(ap)
            if wanted == f"{plain}@{host}" or (wanted == plain and host == self.enc.instance):
                return ap
        return None

    def community_filter(self, params: Params, *, missing: ApiError) -> str | None:
        """The community ap_id named by ``community_id``/``community_name``; an unknown id
        matches nothing (``""``), an unknown name raises ``missing``."""
        community_id = params.integer("community_id")
        if community_id is not None:
            return self.community_ids().get(community_id, "")
        name = params.text("community_name")
        if name is None:
            return None
        found = self.find_community(name)
        if found is None:
            raise missing
        return found

    def community_document(self, params: Params) -> Json:
        """``GET /community?id=|name=``: the view, its moderators, no languages."""
        community_id, name = params.integer("id"), params.text("name")
        if community_id is None and name is None:
            raise ApiError(400, "no_id_given")
        if community_id is not None:
            ap = self.community_ids().get(community_id)
        else:
            ap = self.find_community(name or "")
        post = self.data.communities().get(ap or "")
        if post is None:
            raise self.not_found("community")
        return {
            "community_view": self.enc.community_view(post),
            "moderators": self.enc.moderator_views(post),
            "discussion_languages": [],
        }

    # ------------------------------------------------------------------ endpoints
    def site_document(self) -> Json:
        """``GET /site`` as the encoder writes it, with the quirks' message rate limit and
        default listing type where the dialect reports them."""
        if self.site_rate_limit is None:
            return self.enc.site()
        requests_name, interval_name = self.site_rate_limit
        requests, interval = self.quirks.published
        limits = {requests_name: requests, interval_name: interval}
        doc = patched(self.enc.site(), ("site_view", "local_site_rate_limit"), limits)
        listing = {"default_post_listing_type": self.wire_listing(self.quirks.default_listing)}
        return patched(doc, ("site_view", "local_site"), listing)

    def get_post(self, params: Params) -> Json:
        """``GET /post``: the post ``requested_post_id`` names, with its cross-posts."""
        post = self.visible_post(self.requested_post_id(params))
        return self.enc.get_post(post, cross_posts=self.cross_posts(post))

    def requested_post_id(self, params: Params) -> int:
        """Lemmy's ``id``, else the post of ``comment_id``; with neither, no post."""
        post_id, comment_id = params.integer("id"), params.integer("comment_id")
        if post_id is None and comment_id is not None:
            post_id = self.find_comment(comment_id).post_id
        if post_id is None:
            raise self.not_found("post")
        return post_id

    def get_comment(self, params: Params) -> Json:
        """``GET /comment?id=``."""
        comment = self.find_comment(params.required_integer("id"))
        return self.enc.get_comment(self.shown(comment), self.post_of(comment))

    # ------------------------------------------------------------------ documents
    def comment_page(
        self,
        rows: Sequence[CommentRecord],
        *,
        next_page: str | None = None,
        prev_page: str | None = None,
    ) -> Json:
        """A ``comment/list`` document of ``rows``."""
        posts = {c.post_id: self.post_of(c) for c in rows}
        shown = [self.shown(c) for c in rows]
        return self.enc.comment_list(shown, posts, next_page=next_page, prev_page=prev_page)

    def resolve(self, params: Params) -> tuple[str, Json]:
        """``resolve_object?q=``: the kind and view of a known object with that ap_id."""
        q = params.text("q")
        if q is None:
            raise ApiError(400, "unknown", "Query deserialize error: missing field `q`", plain=True)
        found = self.data.find_ap_id(q)
        if isinstance(found, PostRecord) and not (found.deleted or found.removed):
            return "post", self.enc.post_view(found)
        if isinstance(found, CommentRecord):
            return "comment", self.enc.comment_view(self.shown(found), self.post_of(found))
        post = self.data.communities().get(q)
        if post is not None:
            return "community", self.enc.community_view(post)
        raise self.not_found("object")


__all__ = ["Api", "Context", "Endpoint", "Handler", "lemmy_error", "patched"]
