"""What every dialect's API shares: routing, error documents, lookups, ``/site``, nodeinfo.

``Api`` is the base of ``LemmyV3Api``, ``LemmyV4Api`` and ``PieFedApi``. A subclass lists
its routes (full path → handler taking ``Params`` and returning a JSON document), says how
its errors and refusals look, and uses the shared helpers here for what does not differ:
finding posts, comments and communities, blanking deleted text, building list pages with
the ``Encoder``. Handlers raise ``ApiError``; ``handle`` turns it into the dialect's body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

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
NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"


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


class Api:
    """Routes and shared behaviour of one dialect's read API."""

    dialect: ClassVar[str]
    listings: ClassVar[Mapping[str, str]]  # wire value of type_ → all | local | none

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.data = ctx.dataset
        self.enc = ctx.encoder
        self.quirks = ctx.quirks
        self.select = ctx.selector
        self.version = ctx.encoder.version
        self._routes = self.routes()

    # ------------------------------------------------------------------ per dialect
    def routes(self) -> Mapping[str, Handler]:
        """Full request path → handler."""
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
            return replace(comment, content=None)
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
        default = "all" if forced_all else self.quirks.default_listing.lower()
        default_wire = next(k for k in self.listings if k.lower() == default)
        return self.listings[params.choice("type_", self.listings, default_wire)]

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

    def site_document(self) -> Json:
        """``GET /site`` as the encoder writes it."""
        return self.enc.site()


def nodeinfo_links(base_url: str) -> Json:
    """``/.well-known/nodeinfo``."""
    return {"links": [{"rel": NODEINFO_SCHEMA, "href": f"{base_url}/nodeinfo/2.1"}]}


def nodeinfo(dialect: str, version: str, dataset: ReplayDataset) -> Json:
    """``/nodeinfo/2.1``: the software name and version clients detect the dialect by."""
    piefed = dialect == "piefed"
    users = len({c.author_ap_id for c in dataset.all_comments()})
    return {
        "version": "2.1",
        "software": {
            "name": "piefed" if piefed else "lemmy",
            "version": version,
            "repository": "https://codeberg.org/rimu/pyfedi"
            if piefed
            else "https://github.com/LemmyNet/lemmy",
            "homepage": "https://join.piefed.social" if piefed else "https://join-lemmy.org/",
        },
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": False,
        "usage": {
            "users": {"total": users, "activeHalfyear": users, "activeMonth": users},
            "localPosts": len(dataset.posts()),
            "localComments": len(dataset.all_comments()),
        },
        "metadata": {},
    }


__all__ = ["NODEINFO_SCHEMA", "Api", "Context", "Handler", "nodeinfo", "nodeinfo_links", "patched"]
