"""New records for a replay dataset: a reply arriving on the served instance.

``ReplayDataset.add_comment`` plays a server receiving a comment; this module builds the
record it stores, the way that server would: a fresh local id, a path under the parent,
no replies yet, the post's provenance.
"""

from __future__ import annotations

from datetime import datetime

from fedithreads.core.records import CommentRecord, PostRecord


def reply_record(
    post: PostRecord,
    comment_id: int,
    path: str,
    *,
    author: str,
    content: str | None,
    published: datetime,
    author_ap_id: str | None = None,
    ap_id: str | None = None,
    distinguished: bool = False,
    votes: tuple[int, int] = (1, 0),
) -> CommentRecord:
    """A new comment of ``post``. ``author`` is ``name@host``; the actor URL defaults to
    ``https://host/u/name`` and the ap_id to ``https://<post instance>/comment/<id>``;
    ``votes`` is (upvotes, downvotes)."""
    name, _, host = author.partition("@")
    upvotes, downvotes = votes
    return CommentRecord(
        instance=post.instance,
        comment_id=comment_id,
        post_id=post.post_id,
        ap_id=ap_id or f"https://{post.instance}/comment/{comment_id}",
        post_ap_id=post.ap_id,
        path=path,
        author=author,
        author_ap_id=author_ap_id or f"https://{host or post.instance}/u/{name}",
        content=content,
        published=published,
        updated=None,
        deleted=False,
        removed=False,
        distinguished=distinguished,
        score=upvotes - downvotes,
        upvotes=upvotes,
        downvotes=downvotes,
        child_count=0,
        dialect=post.dialect,
        server_version=post.server_version,
        collected_at=max(post.collected_at, published),
        run_id=post.run_id,
    )


__all__ = ["reply_record"]
