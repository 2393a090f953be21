"""The posts and comments of the one instance a replay server plays, indexed for reading.

``DatasetIndex`` keeps the latest snapshot of each post and comment by local id (ids and
``path`` labels belong to the served instance, reference/lemmy-api.md §1.4), and the
comments of each post. It is what the server's endpoints read and what tests take as the
ground truth (``comment_ids``, ``post_ids``); ``ReplayDataset``
(fedithreads.replay.data) builds one from records, fixtures or synthetic threads and
changes it between runs.

Every method takes the index's lock, so the server's threads may read while a test
mutates; ``version`` grows on every change (the server's caches key on it).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from fedithreads.core.records import CommentRecord, PostRecord

_NO_TIME = datetime(2026, 1, 1, tzinfo=UTC)


class DatasetIndex:
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


__all__ = ["DatasetIndex"]
