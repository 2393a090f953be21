"""Lemmy 0.18/0.19 (``/api/v3``) read responses → neutral records.

Only the fields fedithreads uses are declared; everything else is ignored. 0.18 writes
naive timestamps and extra aggregate keys; 0.19.0/0.19.1 omit ``newest_comment_time``;
both shapes validate here (see reference/lemmy-api.md §1.3).
"""

from __future__ import annotations

from fedithreads.dialects.common import Model, UtcDatetime, blank_to_none
from fedithreads.records import CommentRecord, PostRecord, Provenance, handle

DIALECT = "lemmy-v3"


class Person(Model):
    name: str
    actor_id: str


class Community(Model):
    name: str
    actor_id: str


class Post(Model):
    id: int
    name: str
    url: str | None = None
    body: str | None = None
    published: UtcDatetime
    updated: UtcDatetime | None = None
    deleted: bool = False
    removed: bool = False
    locked: bool = False
    nsfw: bool = False
    featured_community: bool = False
    featured_local: bool = False
    ap_id: str


class PostCounts(Model):
    comments: int
    score: int
    upvotes: int
    downvotes: int
    newest_comment_time: UtcDatetime | None = None


class PostView(Model):
    post: Post
    creator: Person
    community: Community
    counts: PostCounts

    def to_record(self, prov: Provenance) -> PostRecord:
        p, c = self.post, self.counts
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
            deleted=p.deleted,
            removed=p.removed,
            locked=p.locked,
            nsfw=p.nsfw,
            featured=p.featured_community or p.featured_local,
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


class Comment(Model):
    id: int
    post_id: int
    content: str | None = None
    published: UtcDatetime
    updated: UtcDatetime | None = None
    deleted: bool = False
    removed: bool = False
    distinguished: bool = False
    ap_id: str
    path: str


class CommentCounts(Model):
    score: int
    upvotes: int
    downvotes: int
    child_count: int = 0


class PostRef(Model):
    ap_id: str


class CommentView(Model):
    comment: Comment
    creator: Person
    post: PostRef | None = None
    counts: CommentCounts

    def to_record(self, prov: Provenance) -> CommentRecord:
        c, n = self.comment, self.counts
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
            deleted=c.deleted,
            removed=c.removed,
            distinguished=c.distinguished,
            score=n.score,
            upvotes=n.upvotes,
            downvotes=n.downvotes,
            child_count=n.child_count,
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
