"""Validated documents of any dialect → neutral records: the one mapping path.

The models of every dialect share the neutral classes of ``models``, so one function
builds a ``PostRecord`` and one a ``CommentRecord``; what differs between dialects was
settled when the document was read, except which counts win (``own_counts_first``).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple, TypedDict

from fedithreads.core.hosts import handle
from fedithreads.core.records import CommentRecord, Page, PostRecord, Provenance
from fedithreads.dialects.common import Model, blank_to_none
from fedithreads.dialects.models import (
    CommentCountFields,
    CommentCounts,
    CommentList,
    CommentView,
    GetComment,
    GetPost,
    PagedCommentList,
    Person,
    PersonContent,
    PostCountFields,
    PostCounts,
    PostList,
    PostView,
)


def page_records(doc: Model, endpoint: str, prov: Provenance) -> Page:
    """The neutral records of a validated document (a ``models`` document class)."""
    if isinstance(doc, GetPost):
        return Page(endpoint=endpoint, posts=(post_record(doc.post_view, prov),))
    if isinstance(doc, GetComment):
        return Page(endpoint=endpoint, comments=(comment_record(doc.comment_view, prov),))
    if isinstance(doc, PostList):
        posts = tuple([post_record(v, prov) for v in doc.views])
        return Page(endpoint=endpoint, posts=posts, next_page=doc.next_page)
    if isinstance(doc, PersonContent):
        posts = tuple([post_record(v, prov) for v in doc.posts])
        comments = tuple([comment_record(v, prov) for v in doc.comments])
        return Page(endpoint=endpoint, posts=posts, comments=comments, next_page=doc.next_page)
    assert isinstance(doc, CommentList)
    comments = tuple([comment_record(v, prov) for v in doc.views])
    cursor = doc.next_page if isinstance(doc, PagedCommentList) else None
    return Page(endpoint=endpoint, comments=comments, next_page=cursor)


def post_record(view: PostView, prov: Provenance) -> PostRecord:
    """The record of one post view."""
    p, c = view.post, post_counts(view.post, view.counts, own_first=view.own_counts_first)
    return PostRecord(
        instance=prov.instance,
        post_id=p.id,
        ap_id=p.ap_id,
        community=handle(view.community.name, view.community.ap_id),
        community_ap_id=view.community.ap_id,
        author=handle(view.creator.name, view.creator.ap_id),
        author_ap_id=view.creator.ap_id,
        title=p.title,
        url=p.url,
        body=p.body,
        published=p.published,
        updated=p.updated,
        deleted=bool(p.deleted),
        removed=bool(p.removed),
        locked=bool(p.locked),
        nsfw=bool(p.nsfw),
        language_id=p.language_id,
        featured=bool(p.pinned_community or p.pinned_instance),
        comments=c.comments,
        score=c.score,
        upvotes=c.upvotes,
        downvotes=c.downvotes,
        newest_comment_time=c.newest_comment_time,
        dialect=prov.dialect,
        server_version=prov.server_version,
        collected_at=prov.collected_at,
        run_id=prov.run_id,
        **creator_flags(view.creator, view.creator_banned),
    )


class CreatorFields(TypedDict):
    """What a record keeps of its creator beyond the handle."""

    author_banned: bool | None
    author_bot: bool | None
    author_deleted: bool | None
    author_display_name: str | None


def creator_flags(creator: Person, view_banned: bool | None) -> CreatorFields:
    """A record's ``author_*`` fields: the person's flags (the view's ban where it keeps
    it, v4) and display name."""
    banned = view_banned if view_banned is not None else creator.banned
    return {
        "author_banned": banned,
        "author_bot": creator.bot,
        "author_deleted": creator.deleted,
        "author_display_name": creator.display_name or None,
    }


def comment_record(view: CommentView, prov: Provenance) -> CommentRecord:
    """The record of one comment view."""
    c = view.comment
    n = comment_counts(c, view.counts, own_first=view.own_counts_first)
    return CommentRecord(
        instance=prov.instance,
        comment_id=c.id,
        post_id=c.post_id,
        ap_id=c.ap_id,
        post_ap_id=view.post.ap_id if view.post else None,
        path=c.path,
        author=handle(view.creator.name, view.creator.ap_id),
        author_ap_id=view.creator.ap_id,
        content=blank_to_none(c.content),
        published=c.published,
        updated=c.updated,
        deleted=bool(c.deleted),
        removed=bool(c.removed),
        distinguished=bool(c.distinguished),
        language_id=c.language_id,
        score=n.score,
        upvotes=n.upvotes,
        downvotes=n.downvotes,
        child_count=n.child_count,
        dialect=prov.dialect,
        server_version=prov.server_version,
        collected_at=prov.collected_at,
        run_id=prov.run_id,
        **creator_flags(view.creator, view.creator_banned),
    )


class Tally(NamedTuple):
    """Counts as a record needs them, wherever the document kept them."""

    score: int
    upvotes: int
    downvotes: int
    comments: int = 0
    newest_comment_time: datetime | None = None
    child_count: int = 0


def post_counts(on_object: PostCountFields, counts: PostCounts | None, *, own_first: bool) -> Tally:
    """The counts object if there is one, else the counts on the post (with ``own_first``,
    the counts on the post if it has them, else the object); ValueError if the chosen
    place holds none (parse_page makes it a ParseError)."""
    c: PostCounts | PostCountFields = on_object
    if counts is not None and not (own_first and on_object.comments is not None):
        c = counts
    if c.comments is None or c.score is None or c.upvotes is None or c.downvotes is None:
        raise ValueError("a post without counts (neither a counts object nor counts on it)")
    return Tally(c.score, c.upvotes, c.downvotes, c.comments, c.newest_comment_time)


def comment_counts(
    on_object: CommentCountFields, counts: CommentCounts | None, *, own_first: bool
) -> Tally:
    """As ``post_counts``, for a comment (whose own counts are judged by its score)."""
    c: CommentCounts | CommentCountFields = on_object
    if counts is not None and not (own_first and on_object.score is not None):
        c = counts
    if c.score is None or c.upvotes is None or c.downvotes is None:
        raise ValueError("a comment without counts (neither a counts object nor counts on it)")
    return Tally(c.score, c.upvotes, c.downvotes, child_count=c.child_count or 0)
