"""PieFed (``/api/alpha``) read responses → neutral records.

PieFed mimics Lemmy's view wrappers but renames fields: ``post.title``, ``user_id``,
``comment.body``, ``creator.user_name``, ``sticky``; it writes explicit nulls and pages
by number (``next_page: "2"``) (reference/lemmy-api.md §5.1).
"""

from __future__ import annotations

from pydantic import AliasChoices, Field

from fedithreads.dialects.common import Model, UtcDatetime, blank_to_none
from fedithreads.records import CommentRecord, PostRecord, Provenance, handle

DIALECT = "piefed"


class Person(Model):
    user_name: str
    actor_id: str


class Community(Model):
    name: str
    actor_id: str


class Post(Model):
    id: int
    title: str
    url: str | None = None
    body: str | None = None
    published: UtcDatetime
    updated: UtcDatetime | None = Field(None, validation_alias=AliasChoices("edited_at", "updated"))
    deleted: bool = False
    removed: bool = False
    locked: bool = False
    nsfw: bool = False
    sticky: bool = False
    instance_sticky: bool = False
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
            author=handle(self.creator.user_name, self.creator.actor_id),
            author_ap_id=self.creator.actor_id,
            title=p.title,
            url=p.url,
            body=p.body,
            published=p.published,
            updated=p.updated,
            deleted=p.deleted,
            removed=p.removed,
            locked=p.locked,
            nsfw=p.nsfw,
            featured=p.sticky or p.instance_sticky,
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
    body: str | None = None
    published: UtcDatetime
    updated: UtcDatetime | None = Field(None, validation_alias=AliasChoices("edited_at", "updated"))
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
            author=handle(self.creator.user_name, self.creator.actor_id),
            author_ap_id=self.creator.actor_id,
            content=blank_to_none(c.body),
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
