"""The verdict of a clean, whole thread from compact columns: the usual end of a crawl.

``verdict.columns`` answers a big thread from its columns (or a frame of them), read
``SLICE`` rows at a time (``Slice``: a list per column). When every path is
clean (``0.`` then positive labels of at most 18 digits, ending in the comment's own id,
every comment of this post) and every comment's parent was collected with the path its
child names, the verdict needs no tree and no row per ancestor: each comment's children
account for its ``child_count`` or it is a gap, and each top-level comment's
``child_count`` against the comments collected under it gives the structural count.

What this costs at the end of a 50,000-comment crawl is the collector's peak memory
(issue 16): no Polars query (a regex over the paths left ~6 MB of the engine's buffers
resident under the part file's writer) and no Python object per comment (a list, a set
and dicts of 50,000 paths left ~4 MB). The slices go into flat arrays, the paths as one
ASCII buffer with offsets, each slice checked as one text (a regular expression over its
lines); a comment's parent is found by its id in an index sorted by id, and compared by
its bytes. Each array is one allocation, handed back whole when the verdict returns.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

import polars as pl

from fedithreads.core.records import PostRecord
from fedithreads.verdict.assess import Completeness

SLICE = 4096
"""Rows turned into Python objects at a time."""
Slice = tuple[list[int], list[int], list[Any], list[int], list[bool]]
"""A slice of rows: comment_id, post_id, path, child_count, hidden, a list each."""
Index = tuple["array[int]", "array[int]"]
"""Ids in increasing order, and the row of each."""
_ROW = (1 << 32) - 1
_CLEAN_LINES = re.compile(r"(?:0(?:\.[1-9][0-9]{0,17})+\n)*+")  # labels that fit an Int64
_PARENT_LABEL = re.compile(r"^(?:.*\.)?([0-9]+)\.[0-9]+$", re.MULTILINE)  # 0: the root


@dataclass(slots=True)
class Paths:
    """A clean thread's comments as flat arrays, one entry per row of its frame."""

    text: bytearray = field(default_factory=bytearray)
    """Every path, one after the other (ASCII: a clean path is digits and dots)."""
    ends: array[int] = field(default_factory=lambda: array("q", [0]))
    """Row ``r``'s path is ``text[ends[r]:ends[r + 1]]``."""
    parents: array[int] = field(default_factory=lambda: array("q"))
    """The label before each path's last, its parent's id (0 for a top-level comment)."""
    counts: array[int] = field(default_factory=lambda: array("q"))
    visible: int = 0
    by_id: array[int] = field(default_factory=lambda: array("q"))
    """The ids in increasing order; ``rows[i]`` is the row of ``by_id[i]``."""
    rows: array[int] = field(default_factory=lambda: array("q"))

    def row_of(self, comment_id: int) -> int:
        """The row of ``comment_id``, or -1 if it was not collected."""
        i = bisect_left(self.by_id, comment_id)
        return self.rows[i] if i < len(self.by_id) and self.by_id[i] == comment_id else -1

    def path(self, row: int) -> bytes:
        return bytes(self.text[self.ends[row] : self.ends[row + 1]])


def clean_paths(
    post: PostRecord, slices: Iterable[Slice], index: Index | None = None
) -> Paths | None:
    """A thread's rows, one per id, as ``Paths``; ``None`` if some row is not clean.
    ``index``: the rows' ids in increasing order and the row of each, if known."""
    out = Paths()
    ids = array("q")
    for part in slices:
        lines = _clean_lines(post.post_id, *part[:3])
        if lines is None:
            return None
        if index is None:
            ids.extend(part[0])
        _, _, paths, counts, hidden = part
        out.text += "".join(paths).encode("ascii")
        ends = accumulate(map(len, paths), initial=out.ends[-1])
        next(ends)
        out.ends.extend(ends)
        out.parents.extend(map(int, _PARENT_LABEL.findall(lines)))
        out.counts.extend(counts)
        out.visible += len(hidden) - hidden.count(True)
    out.by_id, out.rows = index or sorted_index(ids)
    return out


def sorted_index(ids: Sequence[int]) -> Index:
    """``ids`` in increasing order, and the row of each (equal ids by row): one Python
    int a row while sorting, gone when it returns."""
    keys = sorted((cid << 32) | row for row, cid in enumerate(ids))
    return array("q", (k >> 32 for k in keys)), array("q", (k & _ROW for k in keys))


def whole_tree_verdict(post: PostRecord, paths: Paths) -> Completeness | None:
    """The verdict when every comment's parent was collected with the path its child
    names (then no path repeats a label or contradicts another); ``None`` if not so."""
    text, ends, counts, by_id, rows = paths.text, paths.ends, paths.counts, paths.by_id, paths.rows
    parents, n = paths.parents, len(counts)
    accounted = array("q", bytes(8 * n))  # Σ (1 + child_count) of each row's children
    below = array("q", bytes(8 * n))  # comments under each top-level row
    top_of = array("q", [-1]) * n  # each row's top-level ancestor, once known
    tops = []
    for row, parent_id in enumerate(parents):
        if not parent_id:
            tops.append(row)
            continue
        i = bisect_left(by_id, parent_id)
        if i == n or by_id[i] != parent_id:
            return None  # the parent was not collected
        parent = rows[i]
        start, head = ends[row], ends[parent]
        if text.rfind(b".", start, ends[row + 1]) - start != ends[parent + 1] - head:
            return None  # collected with a path of another length
        if not text.startswith(text[head : ends[parent + 1]], start):
            return None  # collected with another path
        accounted[parent] += 1 + counts[row]
        # its top-level ancestor: collected, as each parent on the way checks (else None)
        top = top_of[parent]
        if top < 0:
            top = _top(paths, start) if parents[parent] else parent
        top_of[row] = top
        below[top] += 1
    gaps = [row for row in range(n) if counts[row] > accounted[row]]
    return Completeness(
        collected=n,
        visible=paths.visible,
        reported=post.comments,
        missing=max(0, post.comments - paths.visible, sum(_short(paths, below, tops))),
        orphans=0,
        gaps=_topmost(paths, gaps),
    )


def _top(paths: Paths, start: int) -> int:
    """The row of the first label of the path at ``start``, or -1."""
    return paths.row_of(int(paths.text[start + 2 : paths.text.find(b".", start + 2)]))


def _short(paths: Paths, below: array[int], tops: list[int]) -> Iterator[int]:
    """What each top-level comment promises beyond the comments collected under it."""
    return (max(0, paths.counts[row] - below[row]) for row in tops)


def _topmost(paths: Paths, gaps: list[int]) -> tuple[int, ...]:
    """The gaps under no other gap, in tree order (siblings by id)."""
    chains = [tuple(map(int, paths.path(row).split(b".")[1:])) for row in gaps]
    ids = {chain[-1] for chain in chains}
    return tuple(c[-1] for c in sorted(c for c in chains if not any(a in ids for a in c[:-1])))


def _clean_lines(post_id: int, ids: list[int], posts: list[int], paths: list[Any]) -> str | None:
    """The paths of a slice of rows, one a line, if every row is clean: of this post, a
    well-formed path ending in the comment's own id; else ``None``."""
    if posts.count(post_id) != len(posts) or None in paths:
        return None
    lines = "\n".join(paths) + "\n"
    if lines.count("\n") != len(paths) or _CLEAN_LINES.fullmatch(lines) is None:
        return None  # (a newline inside a path would make two lines of one)
    return lines if all(map(str.endswith, paths, map(".{}".format, ids))) else None


def frame_slices(frame: pl.DataFrame) -> Iterator[Slice]:
    """The frame's columns as Python lists, ``SLICE`` rows at a time."""
    names = ("comment_id", "post_id", "path", "child_count", "hidden")
    for start in range(0, frame.height, SLICE):
        part = frame.slice(start, SLICE)
        ids, posts, paths, counts, hidden = (part.get_column(name).to_list() for name in names)
        yield ids, posts, paths, counts, hidden
