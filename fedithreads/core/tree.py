"""Pure thread trees: neutral records → one tree per post, built from ``path``.

Rules (reference/lemmy-api.md §1.4, §2.5):

* ``path`` is ``0.<ancestor ids>.<own id>``; the parent is the second-to-last label and
  **depth** is labels − 1 (the post is 0, a top-level comment 1).
* Duplicates (same instance and id) merge into one node: the latest ``collected_at`` wins,
  and on a tie the later arrival.
* A comment whose parent was not collected is an **orphan**: it keeps its place, under a
  **placeholder** for every missing ancestor its path names, so depth stays right.
* A comment with an invalid path is **rejected** with a reason and left out; the rest of
  the thread still builds.
* Children are ordered by (published, id); a placeholder sorts by its earliest child.

No I/O, no clock: the same records in any order give the same trees.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import TypeVar

from fedithreads.core.records import CommentRecord, PostRecord

ThreadKey = tuple[str, int]  # (instance, post_id)


@dataclass(slots=True)
class Node:
    """One comment in a tree; ``record`` is ``None`` for a placeholder of a missing one."""

    comment_id: int
    parent_id: int | None
    depth: int
    record: CommentRecord | None
    orphan: bool = False
    children: list[int] = field(default_factory=list)

    @property
    def placeholder(self) -> bool:
        return self.record is None


@dataclass(frozen=True, slots=True)
class Rejected:
    """A comment left out of its tree, and why."""

    record: CommentRecord
    reason: str


@dataclass(slots=True)
class Thread:
    """A post and its reply tree. ``roots`` are the top-level node ids, in order."""

    instance: str
    post_id: int
    post: PostRecord | None
    nodes: dict[int, Node] = field(default_factory=dict)
    roots: list[int] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def comments(self) -> list[Node]:
        """The collected comments (no placeholders), in tree order."""
        return [n for n in self.walk() if n.record is not None]

    @property
    def orphans(self) -> list[Node]:
        return [n for n in self.walk() if n.orphan]

    @property
    def placeholders(self) -> list[Node]:
        return [n for n in self.walk() if n.record is None]

    def walk(self) -> Iterator[Node]:
        """Depth-first, pre-order, children in order (iterative: threads can be deep)."""
        stack = list(reversed(self.roots))
        while stack:
            node = self.nodes[stack.pop()]
            yield node
            stack.extend(reversed(node.children))

    def subtree_size(self, comment_id: int) -> int:
        """Nodes in the subtree rooted at ``comment_id``, itself and placeholders included."""
        size, stack = 0, [comment_id]
        while stack:
            size += 1
            stack.extend(self.nodes[stack.pop()].children)
        return size


_PATH = re.compile(r"[0-9]+(?:\.[0-9]+)*")


def path_labels(path: str) -> tuple[int, ...] | None:
    """The integer labels of a path, or ``None`` if any label is not a plain integer."""
    if _PATH.fullmatch(path) is None:
        return None
    return tuple(map(int, path.split(".")))


def path_problem(comment: CommentRecord) -> str | None:
    """Why a comment's own path is unusable, or ``None`` if it is well-formed."""
    return _labels_problem(comment, path_labels(comment.path))


def _labels_problem(comment: CommentRecord, labels: tuple[int, ...] | None) -> str | None:
    """``path_problem`` of a comment whose path's labels are already known."""
    if labels is None:
        return f"path {comment.path!r} is not dot-separated integers"
    if len(labels) < 2 or labels[0] != 0:
        return f"path {comment.path!r} does not start at the root label 0"
    if labels[-1] != comment.comment_id:
        return f"path {comment.path!r} does not end in the comment's own id {comment.comment_id}"
    if len(set(labels)) != len(labels):
        return f"path {comment.path!r} repeats a label"
    return None


R = TypeVar("R", PostRecord, CommentRecord)


def latest_snapshots(records: Iterable[R]) -> dict[str, dict[int, R]]:
    """One record per instance and id: the latest ``collected_at``, ties to the later.
    (Nested rather than keyed by pairs: a pair per comment is 64 bytes on a big tree.)"""
    latest: dict[str, dict[int, R]] = {}
    for r in records:
        ids = latest.get(r.instance)
        if ids is None:
            ids = latest[r.instance] = {}
        key = r.comment_id if isinstance(r, CommentRecord) else r.post_id
        seen = ids.get(key)
        if seen is None or r.collected_at >= seen.collected_at:
            ids[key] = r
    return latest


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Trees hold no reference cycles, but building one allocates a node per comment, and
    Python's cycle collector walks every live object again each time enough pile up: on a
    10,000-comment thread, half the verdict's time. Paused while a tree is built (and
    restored as it was: callers nest)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@cycle_collector_paused()
def build_threads(
    posts: Iterable[PostRecord], comments: Iterable[CommentRecord]
) -> dict[ThreadKey, Thread]:
    """Every thread named by a post or a comment, keyed by (instance, post_id), sorted."""
    threads = {
        (instance, post_id): Thread(instance, post_id, p)
        for instance, by_id in latest_snapshots(posts).items()
        for post_id, p in by_id.items()
    }
    merged = latest_snapshots(comments)
    every = [c for by_id in merged.values() for c in by_id.values()]
    for c in every:
        key = (c.instance, c.post_id)
        if key not in threads:
            threads[key] = Thread(c.instance, c.post_id, None)
    every.sort(key=attrgetter("comment_id"))
    every.sort(key=_depth)  # stable: by depth, then id (int keys: no tuple per comment)
    for c in every:
        thread = threads[(c.instance, c.post_id)]
        if not _placed_at_once(thread, c):
            _place(thread, c, merged)
    for thread in threads.values():
        order_children(thread)
    return dict(sorted(threads.items()))


def build_thread(post: PostRecord | None, comments: Iterable[CommentRecord]) -> Thread:
    """The tree of one post (``post`` may be ``None`` when only comments were saved)."""
    comments = list(comments)
    threads = build_threads([post] if post else [], comments)
    if post is not None:
        return threads[(post.instance, post.post_id)]
    if len(threads) != 1:
        raise ValueError(f"comments of {len(threads)} posts given, expected one")
    return next(iter(threads.values()))


def _placed_at_once(thread: Thread, c: CommentRecord) -> bool:
    """Place the common comment without parsing its path, if it is one: its path is
    ``0.<its id>`` or its placed parent's path plus ``.<its id>``. Such a path is valid
    (the parent's was checked; the comment is not yet in the tree, so not among its
    ancestors) and agrees with the tree. Anything else goes to ``_place``."""
    path, own = c.path, c.comment_id
    cut = path.rfind(".")
    if own <= 0 or cut < 1 or own in thread.nodes or path[cut + 1 :] != str(own):
        return False
    head = path[:cut]
    if head == "0":
        node = Node(own, None, 1, c)
        thread.roots.append(own)
    else:
        label = head[head.rfind(".") + 1 :]
        parent = thread.nodes.get(int(label)) if label.isascii() and label.isdigit() else None
        if parent is None or parent.record is None or parent.record.path != head:
            return False
        node = Node(own, parent.comment_id, parent.depth + 1, c)
        parent.children.append(own)
    thread.nodes[own] = node
    return True


def _depth(c: CommentRecord) -> int:
    return c.path.count(".")


def _place(thread: Thread, c: CommentRecord, merged: dict[str, dict[int, CommentRecord]]) -> None:
    """Insert one comment (parents come first: callers sort by depth)."""
    found = path_labels(c.path)
    problem = _labels_problem(c, found)
    labels = found or ()
    if problem is None and len(labels) > 2:
        parent = merged[c.instance].get(labels[-2])
        if parent is not None and parent.post_id != c.post_id:
            problem = f"parent {labels[-2]} belongs to post {parent.post_id}, not {c.post_id}"
    if problem is None:
        problem = _ancestry_conflict(thread, labels[1:])
    if problem is not None:
        thread.rejected.append(Rejected(c, problem))
        return
    parent_id = _attach_ancestors(thread, labels[1:-1])
    node = thread.nodes.get(c.comment_id)
    if node is None:
        node = Node(c.comment_id, parent_id, len(labels) - 1, c)
        thread.nodes[c.comment_id] = node
        _link(thread, node)
    node.record = c
    node.orphan = parent_id is not None and thread.nodes[parent_id].record is None


def _ancestry_conflict(thread: Thread, chain: tuple[int, ...]) -> str | None:
    """Why ``chain`` (ids from top level down) contradicts nodes already placed, if it does."""
    parent: int | None = None
    for label in chain:
        node = thread.nodes.get(label)
        if node is not None and node.parent_id != parent:
            return f"path puts {label} under {parent or 'the post'}, another path under " + (
                f"{node.parent_id or 'the post'}"
            )
        parent = label
    return None


def _attach_ancestors(thread: Thread, ancestors: tuple[int, ...]) -> int | None:
    """Make sure every ancestor has a node (placeholders for missing ones); return parent."""
    parent: int | None = None
    for depth, label in enumerate(ancestors, start=1):
        if label not in thread.nodes:
            node = Node(label, parent, depth, None)
            thread.nodes[label] = node
            _link(thread, node)
        parent = label
    return parent


def _link(thread: Thread, node: Node) -> None:
    if node.parent_id is None:
        thread.roots.append(node.comment_id)
    else:
        thread.nodes[node.parent_id].children.append(node.comment_id)


def order_children(thread: Thread) -> None:
    """Sort siblings by (published, id); a placeholder takes its earliest descendant's time."""
    earliest: dict[int, datetime] = {}
    for node in reversed(list(thread.walk())):  # children before parents
        if node.record is not None:
            earliest[node.comment_id] = node.record.published
        else:
            earliest[node.comment_id] = min(earliest[k] for k in node.children)

    def key(comment_id: int) -> tuple[datetime, int]:
        return (earliest[comment_id], comment_id)

    thread.roots.sort(key=key)
    for node in thread.nodes.values():
        node.children.sort(key=key)
