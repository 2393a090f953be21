"""What a replay server holds, and how it changes between collection runs.

A ``ReplayDataset`` is a ``DatasetIndex`` (fedithreads.replay.index: the latest snapshot
of each post and comment by local id, the ground truth tests compare a crawl with) built
from records, fixture directories or synthetic threads. It can be changed between runs
the way a live server changes: new comments (with the counts a Lemmy trigger would
update), new posts, new votes, edits, deletions and removals, a locked post;
fedithreads.replay.mutations draws such changes on a seeded schedule. Only inserts and
deletions move counts: an edit or a vote changes no ``comments``, ``child_count`` or
``newest_comment_time``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from msgspec.structs import replace

from fedithreads.core.records import CommentRecord, ModAction, PostRecord
from fedithreads.replay.arrivals import reply_record
from fedithreads.replay.index import DatasetIndex
from fedithreads.storage.sources import Capture, load_captures
from fedithreads.synth.generate import SynthThread


class ReplayDataset(DatasetIndex):
    """The served instance's posts and comments, changeable between runs, and its
    moderation log (``log``: what ``remove`` and ``ban`` did, oldest first)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.log: list[ModAction] = []

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
        votes = {"upvotes": upvotes, "downvotes": downvotes, "score": upvotes - downvotes}
        return self._change(kind, item_id, votes)

    def edit(
        self, kind: str, item_id: int, text: str, *, when: datetime | None = None
    ) -> PostRecord | CommentRecord:
        """The author edits a comment's ``content`` or a post's ``body``: ``updated`` becomes
        ``when`` (default ``reference_time``); no count or ``newest_comment_time`` moves."""
        field = "body" if kind == "post" else "content"
        return self._change(kind, item_id, {field: text, "updated": when or self.reference_time})

    def lock_post(self, post_id: int) -> PostRecord:
        """A moderator locks a post: still listed and served, shown ``locked``."""
        return self._change_post(post_id, {"locked": True})

    def remove_post(self, post_id: int) -> PostRecord:
        """A moderator removes a post: anonymous callers can no longer list or fetch it
        (reference/lemmy-api.md §2.4); its comments and their counts stay as they were."""
        return self._change_post(post_id, {"removed": True})

    def remove(
        self,
        kind: str,
        item_id: int,
        *,
        moderator: str,
        reason: str | None = None,
        when: datetime | None = None,
    ) -> ModAction:
        """A moderator (an actor URL) removes a ``post`` or ``comment``, as
        ``remove_post`` and ``delete_comment(removed=True)`` do, and the log records it."""
        if kind == "comment":
            target: PostRecord | CommentRecord = self.delete_comment(item_id, removed=True)
            post = self._require_post(target.post_id)
        else:
            target = post = self.remove_post(item_id)
        return self._log(
            f"mod_remove_{kind}",
            moderator,
            (target.author_ap_id, target.author),
            post.community_ap_id,
            reason,
            when,
            post_ap_id=post.ap_id,
            comment_ap_id=target.ap_id if kind == "comment" else None,
        )

    def ban(
        self,
        person: tuple[str, str],
        community_ap_id: str,
        *,
        moderator: str,
        reason: str | None = None,
        expires: datetime | None = None,
        when: datetime | None = None,
    ) -> ModAction:
        """A moderator bans ``person`` (actor URL, ``name@host``) from a community: the
        log records it (nothing else changes)."""
        return self._log(
            "mod_ban_from_community",
            moderator,
            person,
            community_ap_id,
            reason,
            when,
            expires=expires,
        )

    def _log(
        self,
        action: str,
        moderator: str,
        person: tuple[str, str],
        community_ap_id: str,
        reason: str | None,
        when: datetime | None,
        *,
        post_ap_id: str | None = None,
        comment_ap_id: str | None = None,
        expires: datetime | None = None,
    ) -> ModAction:
        with self.lock:
            at = when or self.reference_time
            entry = ModAction(
                "", len(self.log) + 1, action, False, None, moderator, post_ap_id, comment_ap_id,
                person[0], community_ap_id, reason, expires, at, "", None, at, "replay",
            )  # fmt: skip
            self.log.append(entry)
            self.version += 1
            return entry

    def _change(
        self, kind: str, item_id: int, fields: dict[str, Any]
    ) -> PostRecord | CommentRecord:
        """Replace some fields of a ``post`` or ``comment``: a new version to serve."""
        if kind == "post":
            return self._change_post(item_id, fields)
        if kind == "comment":
            with self.lock:
                new = replace(self._require_comment(item_id), **fields)
                self._comments[item_id] = new
                self.version += 1
                return new
        raise ValueError(f"kind must be 'post' or 'comment', not {kind!r}")

    def _change_post(self, post_id: int, fields: dict[str, Any]) -> PostRecord:
        with self.lock:
            new = replace(self._require_post(post_id), **fields)
            self._posts[post_id] = new
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


__all__ = ["ReplayDataset"]
