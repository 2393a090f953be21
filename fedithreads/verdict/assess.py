"""How complete a collected thread is, and where its gaps are: pure, O(n).

The same definitions as thread_stats (fedithreads.analysis.stats), computed on records while a
crawl is still running, so the crawler can aim at what is missing:

* ``visible`` = collected comments neither deleted nor removed: what the post's
  ``comments`` count counts; ``child_count`` counts deleted and removed descendants too
  (reference/lemmy-api.md §2.8).
* ``missing`` = max(reported − visible, Σ shortfalls of collected comments with no
  collected ancestor + placeholders with no collected ancestor), floored at 0.
* a **gap** is a comment whose subtree holds something not collected: a collected
  comment whose ``child_count`` exceeds what its children account for (Σ 1 +
  child_count over collected ones, the known size of missing ones), or a missing
  ancestor of an orphan. Only the topmost gaps are reported: one subtree query each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fedithreads.core.records import CommentRecord, PostRecord
from fedithreads.core.tree import Thread, build_thread, cycle_collector_paused


@dataclass(frozen=True, slots=True)
class Completeness:
    collected: int
    visible: int
    reported: int | None
    missing: int
    orphans: int
    gaps: tuple[int, ...]
    rejected: frozenset[int] = frozenset()
    """Comments left out of the tree for an invalid path (see tree.py): never stored."""

    @property
    def complete(self) -> bool:
        return self.reported is not None and self.missing == 0


@cycle_collector_paused()
def assess(post: PostRecord | None, comments: Iterable[CommentRecord]) -> Completeness:
    """Completeness of ``post``'s thread from the comments collected so far."""
    thread = build_thread(post, comments)
    real = [n for n in thread.nodes.values() if n.record is not None]
    visible = sum(1 for n in real if n.record and not (n.record.deleted or n.record.removed))
    reported = post.comments if post is not None else None
    structural = _structural_missing(thread)
    by_count = reported - visible if reported is not None else 0
    return Completeness(
        collected=len(real),
        visible=visible,
        reported=reported,
        missing=max(0, by_count, structural),
        orphans=sum(1 for n in real if n.orphan),
        gaps=_gaps(thread),
        rejected=frozenset(r.record.comment_id for r in thread.rejected),
    )


def _real_descendants(thread: Thread) -> dict[int, int]:
    """Collected comments below each node (children before parents: one reverse walk)."""
    below: dict[int, int] = {}
    for node in reversed(list(thread.walk())):
        below[node.comment_id] = sum(
            below[k] + (thread.nodes[k].record is not None) for k in node.children
        )
    return below


def _structural_missing(thread: Thread) -> int:
    below = _real_descendants(thread)
    total = 0
    stack: list[int] = list(thread.roots)
    while stack:  # descend only through placeholders: stop at the topmost collected
        node = thread.nodes[stack.pop()]
        if node.record is None:
            total += 1
            stack.extend(node.children)
        else:
            total += max(0, node.record.child_count - below[node.comment_id])
    return total


def _gaps(thread: Thread) -> tuple[int, ...]:
    """The topmost gaps, in tree order: a gap's subtree query covers every gap below it."""
    sizes = {k: thread.subtree_size(k) for k, n in thread.nodes.items() if n.record is None}
    gaps = []
    stack = list(reversed(thread.roots))
    while stack:
        node = thread.nodes[stack.pop()]
        if _is_gap(thread, node.comment_id, sizes):
            gaps.append(node.comment_id)
        else:
            stack.extend(reversed(node.children))
    return tuple(gaps)


def _is_gap(thread: Thread, comment_id: int, sizes: dict[int, int]) -> bool:
    node = thread.nodes[comment_id]
    if node.record is None:
        return True  # a missing comment: its subtree query brings it and what is below
    accounted = 0
    for k in node.children:
        child = thread.nodes[k].record
        accounted += sizes[k] if child is None else 1 + child.child_count
    return node.record.child_count > accounted  # replies nobody has seen yet
