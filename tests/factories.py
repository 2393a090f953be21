"""Small builders of neutral records for tests: every field has a plain default."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fedithreads.core.records import CommentRecord, PostRecord

T0 = datetime(2026, 1, 1, tzinfo=UTC)
INSTANCE = "a.example"


def post(post_id: int = 100, **overrides: Any) -> PostRecord:
    """A post on a.example published at T0 by op@a.example."""
    fields: dict[str, Any] = {
        "instance": INSTANCE,
        "post_id": post_id,
        "ap_id": f"https://{INSTANCE}/post/{post_id}",
        "community": f"test@{INSTANCE}",
        "community_ap_id": f"https://{INSTANCE}/c/test",
        "author": f"op@{INSTANCE}",
        "author_ap_id": f"https://{INSTANCE}/u/op",
        "title": f"Post {post_id}",
        "url": None,
        "body": None,
        "published": T0,
        "updated": None,
        "deleted": False,
        "removed": False,
        "locked": False,
        "nsfw": False,
        "comments": 0,
        "score": 0,
        "upvotes": 0,
        "downvotes": 0,
        "newest_comment_time": None,
        "dialect": "lemmy-v3",
        "server_version": "0.19.20",
        "collected_at": T0 + timedelta(days=10),
        "run_id": "run-1",
    }
    fields.update(overrides)
    return PostRecord(**fields)


def comment(
    comment_id: int,
    path: str,
    *,
    minutes: float = 0,
    author: str = "alice",
    host: str = INSTANCE,
    post_id: int = 100,
    **overrides: Any,
) -> CommentRecord:
    """A comment ``minutes`` after T0 by ``author@host`` on post ``post_id``."""
    fields: dict[str, Any] = {
        "instance": INSTANCE,
        "comment_id": comment_id,
        "post_id": post_id,
        "ap_id": f"https://{INSTANCE}/comment/{comment_id}",
        "post_ap_id": f"https://{INSTANCE}/post/{post_id}",
        "path": path,
        "author": f"{author}@{host}",
        "author_ap_id": f"https://{host}/u/{author}",
        "content": f"comment {comment_id}",
        "published": T0 + timedelta(minutes=minutes),
        "updated": None,
        "deleted": False,
        "removed": False,
        "distinguished": False,
        "score": 0,
        "upvotes": 0,
        "downvotes": 0,
        "child_count": 0,
        "dialect": "lemmy-v3",
        "server_version": "0.19.20",
        "collected_at": T0 + timedelta(days=10),
        "run_id": "run-1",
    }
    fields.update(overrides)
    return CommentRecord(**fields)


def hand_thread() -> tuple[PostRecord, list[CommentRecord]]:
    """The 8-comment thread whose metrics tests/analysis/test_metrics.py works out by hand.

    P (post 100, by op, T0; reports 6 comments; 10 points, ▲12 ▼2)
    ├─ 1  alice@a  +10 min   ▲5 ▼1   child_count 3
    │  ├─ 2  bob@b    +20 min  ▲2      child_count 1
    │  │  └─ 4  alice@a +50 min ▲1
    │  └─ 3  op@a     +30 min  ▲3
    ├─ 5  carol@b  +70 min   ▼2      child_count 2
    │  └─ 6  dave@c   +125 min deleted  child_count 1
    │     └─ 7  bob@b  +180 min ▲1
    └─ 8  erin@c   +1440 min removed
    """
    p = post(comments=6, score=10, upvotes=12, downvotes=2)
    b, c = "b.example", "c.example"
    comments = [
        comment(1, "0.1", minutes=10, upvotes=5, downvotes=1, score=4, child_count=3),
        comment(2, "0.1.2", minutes=20, author="bob", host=b, upvotes=2, score=2, child_count=1),
        comment(3, "0.1.3", minutes=30, author="op", upvotes=3, score=3),
        comment(4, "0.1.2.4", minutes=50, upvotes=1, score=1),
        comment(5, "0.5", minutes=70, author="carol", host=b, downvotes=2, score=-2, child_count=2),
        comment(
            6,
            "0.5.6",
            minutes=125,
            author="dave",
            host=c,
            deleted=True,
            content=None,
            child_count=1,
        ),
        comment(7, "0.5.6.7", minutes=180, author="bob", host=b, upvotes=1, score=1),
        comment(8, "0.8", minutes=1440, author="erin", host=c, removed=True, content=None),
    ]
    return p, comments


def chain(depth: int, *, missing: frozenset[int] = frozenset()) -> list[CommentRecord]:
    """A reply chain: comment k (1 … ``depth``) replies to k − 1, a minute later, by alice
    and bob in turn; the ids in ``missing`` are left out (their replies are orphans).
    Each comment's child_count is what Lemmy would report: every comment below it."""
    labels = ["0"]
    out = []
    for k in range(1, depth + 1):
        labels.append(str(k))
        if k not in missing:
            author = "alice" if k % 2 else "bob"
            path = ".".join(labels)
            out.append(comment(k, path, minutes=k, author=author, child_count=depth - k))
    return out
