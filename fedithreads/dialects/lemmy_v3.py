"""Lemmy 0.18/0.19 (``/api/v3``) read responses → neutral records.

Only the fields fedithreads uses are declared; everything else is ignored. 0.18 writes
naive timestamps and extra aggregate keys; 0.19.0/0.19.1 omit ``newest_comment_time``;
both shapes validate here (see reference/lemmy-api.md §1.3).
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

DIALECT = "lemmy-v3"


class Person(Model):
    name: str
    actor_id: str = either("actor_id", "ap_id")


class Community(Model):
    name: str
    actor_id: str = either("actor_id", "ap_id")


class Post(PostCountFields):
    id: Id
    name: str = either("name", "title")
    url: str | None = None
    body: str | None = None
    published: UtcDatetime = either("published", "published_at")
    updated: UtcDatetime | None = either_or(None, "updated", "updated_at")
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

    def to_record(self, prov: Provenance) -> PostRecord:
        p, c = self.post, post_counts(self.post, self.counts)
        return PostRecord(
            instance=prov.instance,
            post_id=p.id,
            ap_id=p.ap_id,
            community=handle(self.community.name, self.community.actor_id),
            community_ap_id=self.community.actor_id,
            author=handle(self.creator.name, self.creator.actor_id),
            author_ap_id=self.creator.actor_id,
            title=p.name,
            url=p.url,
            body=p.body,
            published=p.published,
            updated=p.updated,
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
    published: UtcDatetime = either("published", "published_at")
    updated: UtcDatetime | None = either_or(None, "updated", "updated_at")
    deleted: Flag = False
    removed: Flag = False
    distinguished: Flag = False
    ap_id: str
    path: str


class PostRef(Model):
    ap_id: str


class CommentView(Model):
    comment: Comment
    creator: Person
    post: PostRef | None = None
    counts: CommentCounts | None = None

    def to_record(self, prov: Provenance) -> CommentRecord:
        c, n = self.comment, comment_counts(self.comment, self.counts)
        return CommentRecord(
            instance=prov.instance,
            comment_id=c.id,
            post_id=c.post_id,
            ap_id=c.ap_id,
            post_ap_id=self.post.ap_id if self.post else None,
            path=c.path,
            author=handle(self.creator.name, self.creator.actor_id),
            author_ap_id=self.creator.actor_id,
            content=blank_to_none(c.content),
            published=c.published,
            updated=c.updated,
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
    """``GET /api/v3/post``."""

    post_view: PostView


class PostList(Model):
    """``GET /api/v3/post/list``; ``next_page`` exists from 0.19.0."""

    posts: list[PostView]
    next_page: str | None = None


class GetComment(Model):
    """``GET /api/v3/comment``."""

    comment_view: CommentView


class CommentList(Model):
    """``GET /api/v3/comment/list``: no cursor in 0.19."""

    comments: list[CommentView]
