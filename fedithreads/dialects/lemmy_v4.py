"""Lemmy 1.0 (``/api/v4``) read responses → neutral records.

v4 renames timestamps to ``*_at``, ``actor_id`` to ``ap_id``, puts the counts on the
objects themselves and wraps lists in ``PagedResponse`` (``items``, ``next_page``). The
slim comment list omits ``post`` and ``community`` (reference/lemmy-api.md §4).
"""

from __future__ import annotations

from fedithreads.core.hosts import handle
from fedithreads.core.records import CommentRecord, PostRecord, Provenance
from fedithreads.dialects.common import (
    CommentCountFields,
    CommentCounts,
    Flag,
    Id,
    Model,
    PostCountFields,
    PostCounts,
    UtcDatetime,
    blank_to_none,
    comment_counts,
    either,
    either_or,
    post_counts,
)

DIALECT = "lemmy-v4"


class Person(Model):
    name: str
    ap_id: str = either("ap_id", "actor_id")


class Community(Model):
    name: str
    ap_id: str = either("ap_id", "actor_id")


class Post(PostCountFields):
    id: Id
    name: str = either("name", "title")
    url: str | None = None
    body: str | None = None
    published_at: UtcDatetime = either("published_at", "published")
    updated_at: UtcDatetime | None = either_or(None, "updated_at", "updated")
    deleted: Flag = False
    removed: Flag = False
    locked: Flag = False
    nsfw: Flag = False
    featured_community: Flag = False
    featured_local: Flag = False
    ap_id: str


class PostView(Model):
    post: Post
    creator: Person
    community: Community
    counts: PostCounts | None = None
    """Only in early 1.0 alphas; the post's own counts win when it has them."""

    def to_record(self, prov: Provenance) -> PostRecord:
        p = self.post
        c = post_counts(p, None if p.comments is not None else self.counts)
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
            deleted=bool(p.deleted),
            removed=bool(p.removed),
            locked=bool(p.locked),
            nsfw=bool(p.nsfw),
            featured=bool(p.featured_community or p.featured_local),
            comments=c.comments,
            score=c.score,
            upvotes=c.upvotes,
            downvotes=c.downvotes,
            newest_comment_time=c.newest_comment_time,
            dialect=prov.dialect,
            server_version=prov.server_version,
            collected_at=prov.collected_at,
            run_id=prov.run_id,
        )


class Comment(CommentCountFields):
    id: Id
    post_id: Id
    content: str | None = either_or(None, "content", "body")
    published_at: UtcDatetime = either("published_at", "published")
    updated_at: UtcDatetime | None = either_or(None, "updated_at", "updated")
    deleted: Flag = False
    removed: Flag = False
    distinguished: Flag = False
    ap_id: str
    path: str


class PostRef(Model):
    ap_id: str


class CommentView(Model):
    """A full or slim comment view: ``post`` is absent from ``/comment/list/slim``."""

    comment: Comment
    creator: Person
    post: PostRef | None = None
    counts: CommentCounts | None = None
    """Only in early 1.0 alphas; the comment's own counts win when it has them."""

    def to_record(self, prov: Provenance) -> CommentRecord:
        c = self.comment
        n = comment_counts(c, None if c.score is not None else self.counts)
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
            deleted=bool(c.deleted),
            removed=bool(c.removed),
            distinguished=bool(c.distinguished),
            score=n.score,
            upvotes=n.upvotes,
            downvotes=n.downvotes,
            child_count=n.child_count or 0,
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
