"""PieFed (``/api/alpha``) read responses → neutral records.

PieFed mimics Lemmy's view wrappers but renames fields: ``post.title``, ``user_id``,
``comment.body``, ``creator.user_name``, ``sticky``; it writes explicit nulls and pages
by number (``next_page: "2"``) (reference/lemmy-api.md §5.1).
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

DIALECT = "piefed"


class Person(Model):
    user_name: str = either("user_name", "name")
    actor_id: str = either("actor_id", "ap_id")


class Community(Model):
    name: str
    actor_id: str = either("actor_id", "ap_id")


class Post(PostCountFields):
    id: Id
    title: str = either("title", "name")
    url: str | None = None
    body: str | None = None
    published: UtcDatetime = either("published", "published_at")
    updated: UtcDatetime | None = either_or(None, "edited_at", "updated", "updated_at")
    deleted: Flag = False
    removed: Flag = False
    locked: Flag = False
    nsfw: Flag = False
    sticky: Flag = False
    instance_sticky: Flag = False
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
            author=handle(self.creator.user_name, self.creator.actor_id),
            author_ap_id=self.creator.actor_id,
            title=p.title,
            url=p.url,
            body=p.body,
            published=p.published,
            updated=p.updated,
            deleted=bool(p.deleted),
            removed=bool(p.removed),
            locked=bool(p.locked),
            nsfw=bool(p.nsfw),
            featured=bool(p.sticky or p.instance_sticky),
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
    body: str | None = either_or(None, "body", "content")
    published: UtcDatetime = either("published", "published_at")
    updated: UtcDatetime | None = either_or(None, "edited_at", "updated", "updated_at")
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
            author=handle(self.creator.user_name, self.creator.actor_id),
            author_ap_id=self.creator.actor_id,
            content=blank_to_none(c.body),
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
    """``GET /api/alpha/post``."""

    post_view: PostView


class PostList(Model):
    """``GET /api/alpha/post/list``: ``next_page`` is a page number or null."""

    posts: list[PostView]
    next_page: str | None = None


class GetComment(Model):
    """``GET /api/alpha/comment``."""

    comment_view: CommentView


class CommentList(Model):
    """``GET /api/alpha/comment/list``."""

    comments: list[CommentView]
    next_page: str | None = None
