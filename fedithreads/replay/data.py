"""What a replay server holds: the posts and comments of the one instance it plays.

A ``ReplayDataset`` keeps the latest snapshot of each post and comment by local id (ids
and ``path`` labels belong to the served instance, reference/lemmy-api.md §1.4). It is
built from records, fixture directories or synthetic threads, and can be changed between
collection runs the way a live server changes: new comments (with the counts a Lemmy
trigger would update), new posts, new votes, deletions. ``comment_ids``/``post_ids`` are
the ground truth tests compare a crawl with.

Every method takes the dataset's lock, so the server's threads may read while a test
mutates; ``version`` grows on every change (the server's caches key on it).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from fedithreads.core.records import CommentRecord, PostRecord
from fedithreads.replay.arrivals import reply_record
from fedithreads.storage.sources import Capture, load_captures
from fedithreads.synth.generate import SynthThread

_NO_TIME = datetime(2026, 1, 1, tzinfo=UTC)


class ReplayDataset:
    """Posts and comments of one served instance, indexed by id, post and community."""

    def __init__(
        self,
        posts: Iterable[PostRecord] = (),
        comments: Iterable[CommentRecord] = (),
        *,
        reference_time: datetime | None = None,
        moderators: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Keep the latest snapshot (by ``collected_at``; later wins ties) per id.

        Comments whose post is absent cannot be served and are kept in ``dropped``.
        ``reference_time`` is "now" for hot ranks and time windows; it defaults to the
        newest ``collected_at``. ``moderators`` maps a community ap_id to its moderators'
        actor URLs (records do not hold them; the encoder flags their comments).
        """
        self.lock = threading.RLock()
        self.moderators = {k: tuple(v) for k, v in (moderators or {}).items()}
        self.version = 0
        self._posts: dict[int, PostRecord] = {}
        self._comments: dict[int, CommentRecord] = {}
        self._by_post: dict[int, dict[int, None]] = {}
        self.dropped: list[CommentRecord] = []
        for p in posts:
            self._put_post(p, latest=True)
        for c in comments:
            self._put_comment(c, latest=True)
        times = [p.collected_at for p in self._posts.values()]
        times += [c.collected_at for c in self._comments.values()]
        self._reference_time = reference_time or max(times, default=_NO_TIME)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_captures(cls, captures: Iterable[Capture]) -> ReplayDataset:
        """Every post and comment in the parsed pages of ``captures``."""
        pages = [page for cap in captures for page in cap.pages]
        posts = [p for page in pages for p in page.posts]
        return cls(posts, [c for page in pages for c in page.comments])

    @classmethod
    def from_fixtures(cls, paths: Iterable[Path]) -> ReplayDataset:
        """Every capture under ``paths`` (files or fixture directories)."""
        return cls.from_captures(load_captures(paths))

    @classmethod
    def from_threads(cls, threads: Iterable[SynthThread]) -> ReplayDataset:
        """Synthetic threads (``fedithreads.synth.generate.generate_thread``)."""
        threads = list(threads)
        comments = [c for t in threads for c in t.comments]
        moderators = {t.post.community_ap_id: t.moderators for t in threads}
        return cls([t.post for t in threads], comments, moderators=moderators)

    def _put_post(self, post: PostRecord, *, latest: bool = False) -> None:
        old = self._posts.get(post.post_id)
        if not (latest and old is not None and old.collected_at > post.collected_at):
            self._posts[post.post_id] = post
            self._by_post.setdefault(post.post_id, {})

    def _put_comment(self, comment: CommentRecord, *, latest: bool = False) -> None:
        if comment.post_id not in self._posts:
            self.dropped.append(comment)
            return
        old = self._comments.get(comment.comment_id)
        if latest and old is not None and old.collected_at > comment.collected_at:
            return
        if old is not None and old.post_id != comment.post_id:
            self._by_post[old.post_id].pop(old.comment_id, None)
        self._comments[comment.comment_id] = comment
        self._by_post[comment.post_id][comment.comment_id] = None

    # ------------------------------------------------------------------ reading
    @property
    def reference_time(self) -> datetime:
        """The fixed "now" of hot ranks and time windows (listings stay deterministic)."""
        return self._reference_time

    @reference_time.setter
    def reference_time(self, value: datetime) -> None:
        with self.lock:
            self._reference_time = value
            self.version += 1

    def post(self, post_id: int) -> PostRecord | None:
        """The post with this local id, if any."""
        with self.lock:
            return self._posts.get(post_id)

    def comment(self, comment_id: int) -> CommentRecord | None:
        """The comment with this local id, if any."""
        with self.lock:
            return self._comments.get(comment_id)

    def posts(self) -> tuple[PostRecord, ...]:
        """Every post, by id."""
        with self.lock:
            return tuple(self._posts[k] for k in sorted(self._posts))

    def comments_of(self, post_id: int) -> tuple[CommentRecord, ...]:
        """The comments of one post (any order), or ``()``."""
        with self.lock:
            return tuple(self._comments[k] for k in self._by_post.get(post_id, {}))

    def all_comments(self) -> tuple[CommentRecord, ...]:
        """Every comment, by id."""
        with self.lock:
            return tuple(self._comments[k] for k in sorted(self._comments))

    def communities(self) -> dict[str, PostRecord]:
        """Each community's ap_id → one of its posts (the encoder builds views from a post)."""
        with self.lock:
            out: dict[str, PostRecord] = {}
            for p in self._posts.values():
                out.setdefault(p.community_ap_id, p)
            return out

    def find_ap_id(self, url: str) -> PostRecord | CommentRecord | None:
        """The post or comment whose ``ap_id`` is ``url``."""
        with self.lock:
            post = next((p for p in self._posts.values() if p.ap_id == url), None)
            if post is not None:
                return post
            return next((c for c in self._comments.values() if c.ap_id == url), None)

    # ------------------------------------------------------------------ ground truth
    def comment_ids(self, post_id: int) -> set[int]:
        """Ids of every comment of a post, deleted and removed ones included."""
        with self.lock:
            return set(self._by_post.get(post_id, {}))

    def post_ids(self, community: str | None = None) -> set[int]:
        """Ids of every post, or of one community's (``name@host`` or its ap_id)."""
        with self.lock:
            return {
                p.post_id
                for p in self._posts.values()
                if community is None or community in (p.community, p.community_ap_id)
            }

    # ------------------------------------------------------------------ changes
    def add_post(self, post: PostRecord) -> PostRecord:
        """Add a post (or replace the one with its id)."""
        with self.lock:
            self._put_post(post)
            self.version += 1
            return post

    def add_thread(self, thread: SynthThread) -> None:
        """Add a synthetic thread: its post, then its comments."""
        with self.lock:
            self._put_post(thread.post)
            self.moderators.setdefault(thread.post.community_ap_id, thread.moderators)
            for c in thread.comments:
                self._put_comment(c)
            self.version += 1

    def add_comment(
        self,
        post_id: int,
        parent_id: int | None = None,
        *,
        author: str,
        content: str,
        published: datetime | None = None,
        author_ap_id: str | None = None,
        ap_id: str | None = None,
        distinguished: bool = False,
        upvotes: int = 1,
        downvotes: int = 0,
    ) -> CommentRecord:
        """A new comment, as the server would store a reply arriving now.

        Its id is the largest comment id + 1, its path extends the parent's; every
        ancestor's ``child_count`` grows by one, the post's ``comments`` by one and its
        ``newest_comment_time`` moves up. ``author`` is ``name@host`` (the actor URL is
        ``https://host/u/name`` unless given); ``published`` defaults to
        ``reference_time``; ``ap_id`` to ``https://<post instance>/comment/<id>``.
        """
        with self.lock:
            post = self._require_post(post_id)
            parent_path = "0" if parent_id is None else self._parent_path(post_id, parent_id)
            new_id = max(self._comments, default=0) + 1
            record = reply_record(
                post,
                new_id,
                f"{parent_path}.{new_id}",
                author=author,
                content=content,
                published=published or self.reference_time,
                author_ap_id=author_ap_id,
                ap_id=ap_id,
                distinguished=distinguished,
                votes=(upvotes, downvotes),
            )
            self._count_new_comment(record)
            return record

    def _parent_path(self, post_id: int, parent_id: int) -> str:
        parent = self._comments.get(parent_id)
        if parent is None or parent.post_id != post_id:
            raise ValueError(f"comment {parent_id} is not a comment of post {post_id}")
        return parent.path

    def _count_new_comment(self, record: CommentRecord) -> None:
        """Store ``record`` and update its ancestors' and post's counts."""
        for label in record.path.split(".")[1:-1]:
            above = self._comments.get(int(label))
            if above is not None:
                self._comments[above.comment_id] = replace(above, child_count=above.child_count + 1)
        post = self._posts[record.post_id]
        newest = max(t for t in (post.newest_comment_time, record.published) if t is not None)
        self._posts[post.post_id] = replace(
            post, comments=post.comments + 1, newest_comment_time=newest
        )
        self._put_comment(record)
        self.version += 1

    def set_votes(
        self, kind: str, item_id: int, upvotes: int, downvotes: int
    ) -> PostRecord | CommentRecord:
        """New vote counts for a ``post`` or ``comment`` (score = up − down)."""
        if kind not in ("post", "comment"):
            raise ValueError(f"kind must be 'post' or 'comment', not {kind!r}")
        with self.lock:
            old = self._require_post(item_id) if kind == "post" else self._require_comment(item_id)
            new = replace(old, upvotes=upvotes, downvotes=downvotes, score=upvotes - downvotes)
            if isinstance(new, PostRecord):
                self._posts[item_id] = new
            else:
                self._comments[item_id] = new
            self.version += 1
            return new

    def delete_comment(self, comment_id: int, *, removed: bool = False) -> CommentRecord:
        """Mark a comment deleted by its author (or ``removed`` by a moderator): its text
        is gone and the post's ``comments`` count drops (``child_count`` does not)."""
        with self.lock:
            old = self._require_comment(comment_id)
            new = replace(old, content=None, deleted=old.deleted or not removed)
            new = replace(new, removed=old.removed or removed)
            self._comments[comment_id] = new
            if not (old.deleted or old.removed):
                post = self._posts[old.post_id]
                self._posts[post.post_id] = replace(post, comments=max(0, post.comments - 1))
            self.version += 1
            return new

    def _require_post(self, post_id: int) -> PostRecord:
        found = self._posts.get(post_id)
        if found is None:
            raise KeyError(f"no post {post_id} in the dataset")
        return found

    def _require_comment(self, comment_id: int) -> CommentRecord:
        found = self._comments.get(comment_id)
        if found is None:
            raise KeyError(f"no comment {comment_id} in the dataset")
        return found


__all__ = ["ReplayDataset"]
