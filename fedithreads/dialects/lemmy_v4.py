"""Lemmy 1.0 (``/api/v4``) read responses → neutral records.

v4 renames timestamps to ``*_at``, ``actor_id`` to ``ap_id``, puts the counts on the
objects themselves and wraps lists in ``PagedResponse`` (``items``, ``next_page``). The
slim comment list omits ``post`` and ``community`` (reference/lemmy-api.md §4).
"""

from __future__ import annotations

from fedithreads.dialects.common import Model, UtcDatetime, blank_to_none
from fedithreads.records import CommentRecord, PostRecord, Provenance, handle

DIALECT = "lemmy-v4"


class Person(Model):
    name: str
    ap_id: str


class Community(Model):
    name: str
    ap_id: str


class Post(Model):
    id: int
    name: str
    url: str | None = None
    body: str | None = None
    published_at: UtcDatetime
    updated_at: UtcDatetime | None = None
    deleted: bool = False
    removed: bool = False
    locked: bool = False
    nsfw: bool = False
    featured_community: bool = False
    featured_local: bool = False
    ap_id: str
    comments: int
    score: int
    upvotes: int
    downvotes: int
    newest_comment_time_at: UtcDatetime | None = None


class PostView(Model):
    post: Post
    creator: Person
    community: Community

    def to_record(self, prov: Provenance) -> PostRecord:
        p = self.post
        return PostRecord(
            instance=prov.instance,
            post_id=p.id,
            ap_id=p.ap_id,
            community=handle(self.community.name, self.community.ap_id),
            community_ap_id=self.community.ap_id,
            author=handle(self.creator.name, self.creator.ap_id),
            author_ap_id=self.creator.ap_id,
            title=p.name,
            url=p.url,
            body=p.body,
            published=p.published_at,
            updated=p.updated_at,
            deleted=p.deleted,
            removed=p.removed,
            locked=p.locked,
            nsfw=p.nsfw,
            featured=p.featured_community or p.featured_local,
            comments=p.comments,
            score=p.score,
            upvotes=p.upvotes,
            downvotes=p.downvotes,
            newest_comment_time=p.newest_comment_time_at,
            dialect=prov.dialect,
            server_version=prov.server_version,
            collected_at=prov.collected_at,
            run_id=prov.run_id,
        )


class Comment(Model):
    id: int
    post_id: int
    content: str | None = None
    published_at: UtcDatetime
    updated_at: UtcDatetime | None = None
    deleted: bool = False
    removed: bool = False
    distinguished: bool = False
    ap_id: str
    path: str
    score: int
    upvotes: int
    downvotes: int
    child_count: int = 0


class PostRef(Model):
    ap_id: str


class CommentView(Model):
    """A full or slim comment view: ``post`` is absent from ``/comment/list/slim``."""

    comment: Comment
    creator: Person
    post: PostRef | None = None

    def to_record(self, prov: Provenance) -> CommentRecord:
        c = self.comment
        return CommentRecord(
            instance=prov.instance,
            comment_id=c.id,
            post_id=c.post_id,
            ap_id=c.ap_id,
            post_ap_id=self.post.ap_id if self.post else None,
            path=c.path,
            author=handle(self.creator.name, self.creator.ap_id),
            author_ap_id=self.creator.ap_id,
            content=blank_to_none(c.content),
            published=c.published_at,
            updated=c.updated_at,
            deleted=c.deleted,
            removed=c.removed,
            distinguished=c.distinguished,
            score=c.score,
            upvotes=c.upvotes,
            downvotes=c.downvotes,
            child_count=c.child_count,
            dialect=prov.dialect,
            server_version=prov.server_version,
            collected_at=prov.collected_at,
            run_id=prov.run_id,
        )


class GetPost(Model):
    """``GET /api/v4/post``."""

    post_view: PostView


class PostList(Model):
    """``GET /api/v4/post/list``: ``next_page`` is omitted on the last page."""

    items: list[PostView]
    next_page: str | None = None


class GetComment(Model):
    """``GET /api/v4/comment``."""

    comment_view: CommentView


class CommentList(Model):
    """``GET /api/v4/comment/list`` and ``/comment/list/slim``."""

    items: list[CommentView]
    next_page: str | None = None
