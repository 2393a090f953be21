"""Neutral records → API documents exactly as a server of each dialect would send them.

The inverse of ``fedithreads.dialects``: ``parse_page(encoder.comment_list(…))`` gives back
the records that went in (same Provenance). Fixtures and the replay server are built on it.

An ``Encoder`` is bound to one serving instance, dialect and server version. Each object is
built in two steps: a neutral *context* dict (``fedithreads.replay.encode.context``, which also
derives the local ids, ``local`` flags and made-up figures no record holds), then the
dialect's *shape* (``fedithreads.replay.encode.shapes``) picks, renames and orders its keys. A
document is thus a pure function of the settings and records. Returned dicts share cached
sub-dicts (people, communities, posts): never mutate them; serialise with ``dumps``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime

from fedithreads.core.records import CommentRecord, PostRecord
from fedithreads.replay.encode.context import (
    Contexts,
    format_time,
    name_of,
    parse_version,
    stable_int,
)
from fedithreads.replay.encode.shapes import SHAPES, Json, compile_shape, project

DEFAULT_VERSIONS = {"lemmy-v3": "0.19.20", "lemmy-v4": "1.0.0-beta.1", "piefed": "1.7.0"}
_SITE_CREATED = datetime(2023, 1, 1, tzinfo=UTC)


def encode_cursor(item_id: int, *, back: bool = False) -> str:
    """An opaque v4-style page cursor (url-safe base64, no padding) pointing at an id."""
    raw = f"d={item_id}&b={int(back)}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> tuple[int, bool]:
    """``(id, back)`` of a cursor made by ``encode_cursor``; ValueError for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        fields = dict(part.split("=", 1) for part in raw.split("&"))
        return int(fields["d"]), fields["b"] == "1"
    except (ValueError, KeyError, UnicodeDecodeError) as exc:
        raise ValueError(f"not a page cursor: {cursor!r}") from exc


def dumps(document: Json, dialect: str) -> bytes:
    """Response bytes: compact JSON; Lemmy (serde) writes UTF-8, PieFed escapes non-ASCII."""
    text = json.dumps(document, ensure_ascii=dialect == "piefed", separators=(",", ":"))
    return text.encode()


def actor_name(actor_url: str) -> str:
    """The last path segment of an actor URL: ``https://h/u/alice`` → ``alice``."""
    return actor_url.rstrip("/").rsplit("/", 1)[-1]


class Encoder(Contexts):
    """Encodes records for one serving instance, dialect and server version."""

    def __init__(
        self,
        instance: str,
        dialect: str,
        server_version: str | None = None,
        *,
        downvotes: bool = True,
        moderators: Mapping[str, Sequence[str]] | None = None,
        admins: Iterable[str] = (),
        community_titles: Mapping[str, str] | None = None,
    ) -> None:
        """``moderators`` maps a community ap_id to its moderators' actor URLs, ``admins``
        lists the instance admins' actor URLs (both set the ``creator_is_*`` flags);
        ``downvotes=False`` is reported by ``/site`` (the records hold the counts)."""
        if dialect not in SHAPES:
            raise ValueError(f"unknown dialect {dialect!r}; use one of {', '.join(SHAPES)}")
        super().__init__(
            instance,
            dialect,
            server_version or DEFAULT_VERSIONS[dialect],
            downvotes=downvotes,
            moderators=moderators,
            admins=admins,
            community_titles=community_titles,
        )
        self.shapes = {k: compile_shape(v, self.tags) for k, v in SHAPES[dialect].items()}
        self._cache: dict[tuple[str, object], Json] = {}

    def _cached(self, kind: str, key: object, shape: str, ctx: Callable[[], Json]) -> Json:
        found = self._cache.get((kind, key))
        if found is None:
            found = self._cache[(kind, key)] = project(self.shapes[shape], ctx())
        return found

    # ------------------------------------------------------------------ shared objects
    def person(self, url: str, name: str) -> Json:
        """The person object of an actor URL (cached: it repeats in every view)."""
        return self._cached("person", url, "person", lambda: self._person(url, name))

    def community(self, post: PostRecord) -> Json:
        """The community object of a post (cached)."""
        url = post.community_ap_id
        return self._cached("community", url, "community", lambda: self._community(post))

    def comment_object(self, c: CommentRecord) -> Json:
        """The comment object of a record, as inside a view."""
        return project(self.shapes["comment"], self._comment(c))

    def post_object(self, p: PostRecord) -> Json:
        """The post object of a record (cached per record: it repeats in comment views)."""
        return self._cached("post", p, "post", lambda: self._post(p))

    # ------------------------------------------------------------------ documents
    def post_view(self, p: PostRecord) -> Json:
        """One PostView (as in post lists, ``GET /post`` and ``cross_posts``)."""
        ctx = self._flags(p.author_ap_id, p.community_ap_id)
        ctx.update(post=self.post_object(p), community=self.community(p), comments=p.comments)
        ctx["creator"] = self.person(p.author_ap_id, name_of(p.author))
        if "post_counts" in self.shapes:
            ctx["counts"] = project(self.shapes["post_counts"], self._post(p))
        return project(self.shapes["post_view"], ctx)

    def comment_view(self, c: CommentRecord, p: PostRecord) -> Json:
        """One CommentView; ``p`` is the comment's post (for ``post`` and ``community``)."""
        ctx = self._comment(c)
        view = self._flags(c.author_ap_id, p.community_ap_id)
        view.update(comment=project(self.shapes["comment"], ctx), post=self.post_object(p))
        view.update(creator=self.person(c.author_ap_id, name_of(c.author)))
        view["community"] = self.community(p)
        if "comment_counts" in self.shapes:
            view["counts"] = project(self.shapes["comment_counts"], ctx)
        return project(self.shapes["comment_view"], view)

    def community_view(self, p: PostRecord) -> Json:
        """The CommunityView of a post's community."""
        ctx: Json = {"community": self.community(p)}
        if "community_counts" in self.shapes:
            ctx["counts"] = project(self.shapes["community_counts"], self._community(p))
        return project(self.shapes["community_view"], ctx)

    def moderator_views(self, p: PostRecord) -> list[Json]:
        """``moderators`` of ``GET /post``: the community's moderators, in the given order."""
        community = self.community(p)
        mods = self.moderators.get(p.community_ap_id, ())
        return [{"community": community, "moderator": self.person(m, actor_name(m))} for m in mods]

    def get_post(self, p: PostRecord, *, cross_posts: Sequence[PostRecord] = ()) -> Json:
        """``GET /post?id=``: post_view, community_view, moderators, cross_posts."""
        ctx: Json = {"post_view": self.post_view(p), "community_view": self.community_view(p)}
        ctx["moderators"] = self.moderator_views(p)
        ctx["cross_posts"] = [self.post_view(x) for x in cross_posts]
        return project(self.shapes["get_post"], ctx)

    def get_comment(self, c: CommentRecord, p: PostRecord) -> Json:
        """``GET /comment?id=``."""
        return project(self.shapes["get_comment"], {"comment_view": self.comment_view(c, p)})

    def post_list(
        self,
        posts: Sequence[PostRecord],
        *,
        next_page: str | None = None,
        prev_page: str | None = None,
    ) -> Json:
        """``GET /post/list``: v3 ``next_page`` from 0.19 (``P<hex id>``); v4 as below."""
        views = [self.post_view(p) for p in posts]
        return project(self.shapes["post_list"], _page(views, next_page, prev_page))

    def comment_list(
        self,
        comments: Sequence[CommentRecord],
        posts: PostRecord | Mapping[int, PostRecord],
        *,
        next_page: str | None = None,
        prev_page: str | None = None,
    ) -> Json:
        """``GET /comment/list``. v3: ``{comments}``, no token; v4: ``{items}`` plus
        ``next_page``/``prev_page`` when given (see ``encode_cursor``); PieFed:
        ``{comments, next_page}`` with an explicit null. ``posts``: the post or a map."""
        by_id = {posts.post_id: posts} if isinstance(posts, PostRecord) else posts
        views = [self.comment_view(c, by_id[c.post_id]) for c in comments]
        return project(self.shapes["comment_list"], _page(views, next_page, prev_page))

    def person_details(
        self,
        url: str,
        name: str,
        posts: Sequence[PostRecord],
        comments: Sequence[tuple[CommentRecord, PostRecord]],
    ) -> Json:
        """v3's and PieFed's ``GET /user``: ``person_view``, ``comments`` (each with its
        post) and ``posts``, one page of each."""
        person = self._person(url, name)
        ids = {"counts_id": person["id"], "person_id": person["id"]}
        counts = project(self.shapes["person_counts"], {**person, **ids})
        view = {"person": self.person(url, name), "counts": counts}
        ctx: Json = {"person_view": project(self.shapes["person_view"], view), "site": None}
        ctx["comments"] = [self.comment_view(c, p) for c, p in comments]
        ctx["posts"] = [self.post_view(p) for p in posts]
        return project(self.shapes["person_content"], ctx)

    def person_items(
        self,
        items: Sequence[PostRecord | tuple[CommentRecord, PostRecord]],
        *,
        next_page: str | None = None,
    ) -> Json:
        """v4's ``GET /person/content``: ``items`` in the order given, each view tagged
        ``type_`` post or comment, and ``next_page``."""
        tagged = [
            {"type_": "post", **self.post_view(item)}
            if isinstance(item, PostRecord)
            else {"type_": "comment", **self.comment_view(*item)}
            for item in items
        ]
        ctx: Json = {"items": tagged, "next_page": next_page, "prev_page": None}
        return project(self.shapes["person_content"], ctx)

    def site(self, *, created: datetime = _SITE_CREATED) -> Json:
        """``GET /site``: ``version`` and, for Lemmy, the default rate limits
        (``message`` 180 per 60 s; v4 names them ``message_max_requests``/``…_seconds``)."""
        ctx = self._site_context(created)
        for part in ("site_object", "local_site", "local_site_rate_limit", "instance"):
            if part in self.shapes:
                ctx[part.removesuffix("_object")] = project(self.shapes[part], ctx)
        if "site_counts" in self.shapes:
            ctx["counts"] = project(self.shapes["site_counts"], ctx)
        if "site_view" in self.shapes:
            ctx["site_view"] = project(self.shapes["site_view"], ctx)
        return project(self.shapes["site"], ctx)

    def dumps(self, document: Json) -> bytes:
        """``document`` as this dialect's server writes it on the wire."""
        return dumps(document, self.dialect)


def _page(views: list[Json], next_page: str | None, prev_page: str | None) -> Json:
    return {"views": views, "next_page": next_page, "prev_page": prev_page}


__all__ = [
    "DEFAULT_VERSIONS",
    "SHAPES",
    "Encoder",
    "actor_name",
    "compile_shape",
    "decode_cursor",
    "dumps",
    "encode_cursor",
    "format_time",
    "parse_version",
    "project",
    "stable_int",
]
