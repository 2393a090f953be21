"""A crawl's running verdict from columns: no Python object per comment.

A 50,000-comment thread should not cost 50,000 records, nor a tree of 50,000 nodes, each
time the crawler asks how complete it is. The crawler appends what the verdict reads of
each comment (id, post, path, child_count, hidden) to ``Columns``, flat arrays (a few
bytes a comment, one allocation each, handed back whole). A small thread is judged by
``assess`` on slim records; a big one, or a frame of the same columns
(``assess_frame``), as ``assess`` judges it but without building a tree:

* when every comment's parent was collected (a whole tree: the usual end of a crawl),
  by one pass over flat arrays of the columns (``verdict.wholetree``): each path must be
  its parent's plus its own id, and each comment's children account for its
  ``child_count`` or it is a gap;
* otherwise with path arithmetic in Polars (``verdict.paths``): a row per label of
  every path, a placeholder for each label that is no collected comment, and a row per
  (node, ancestor) pair.

It does so for **clean** threads only: every path well-formed (``0.`` then positive
labels, no leading zeros, ending in the comment's own id, no label twice), every comment
of this post, and every node given one parent by whichever path names it. Anything else
(a server bug, rare) is answered by ``assess`` on slim records, which decides the
order-dependent rejections. Siblings are ordered by id: the crawler's records carry no
times. A property test holds both ways to ``assess``.
"""

from __future__ import annotations

import operator
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import UTC, datetime
from functools import cache
from itertools import accumulate, compress, islice
from typing import cast

import polars as pl

from fedithreads.core.records import CommentRecord, PostRecord
from fedithreads.verdict.assess import Completeness, assess
from fedithreads.verdict.paths import placeholder_verdict
from fedithreads.verdict.wholetree import (
    SLICE,
    Paths,
    Slice,
    clean_paths,
    frame_slices,
    sorted_index,
    whole_tree_verdict,
)

COLUMNS = {
    "comment_id": pl.Int64,
    "post_id": pl.Int64,
    "path": pl.String,
    "child_count": pl.Int64,
    "hidden": pl.Boolean,
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


Row = tuple[int, int, str, int, bool]
"""comment_id, post_id, path, child_count, hidden: ``COLUMNS`` as a tuple."""


class Columns:
    """The verdict's view of every comment collected so far, a later row of an id
    replacing earlier ones: flat arrays, no Polars and no Python object per comment
    (a thread's Polars chunks stayed resident in the engine's allocator under the part
    file's writer). Up to ``chunk_rows`` rows, ``assess`` judges slim records in
    Python; past that, on flat arrays (``verdict.wholetree``) or, with orphans, in
    Polars: milliseconds whatever the size of the thread, where the Python one costs
    about as much per 4,000 comments."""

    def __init__(self, chunk_rows: int = 4096) -> None:
        self.chunk_rows = chunk_rows
        self._ids = array("q")
        self._posts = array("q")
        self._counts = array("q")
        self._hidden = bytearray()
        self._text = bytearray()
        """Every path added, UTF-8, each and a newline: row ``r``'s is
        ``_text[_ends[r]:_ends[r + 1] - 1]``."""
        self._ends = array("q", [0])

    def add(self, comments: Iterable[CommentRecord]) -> None:
        for c in comments:
            self._ids.append(c.comment_id)
            self._posts.append(c.post_id)
            self._counts.append(c.child_count)
            self._hidden.append(c.deleted or c.removed)
            self._text += c.path.encode("utf-8", "surrogatepass")
            self._text.append(10)  # a newline
            self._ends.append(len(self._text))

    def assess(self, post: PostRecord) -> Completeness:
        """``assess`` of ``post``'s thread from the rows added so far."""
        if len(self._ids) < self.chunk_rows:
            return assess(post, slim_records(post, self._latest().values()))
        by_id, rows, dead = self._index()
        paths = clean_paths(post, self._slices(dead), (by_id, rows))
        del by_id, rows
        return _judge(post, paths, self.frame)

    def child_counts(self, ids: Collection[int]) -> dict[int, int]:
        """The latest ``child_count`` of each of ``ids`` that was added."""
        wanted = set(ids)
        return {i: n for i, n in zip(self._ids, self._counts, strict=True) if i in wanted}

    def frame(self) -> pl.DataFrame:
        """One row per comment, the latest, in the order the latest rows came."""
        rows = self._every_row()
        ids = rows.get_column("comment_id")
        if ids.n_unique() == rows.height:
            return rows
        return rows.filter(ids.is_last_distinct())

    def _every_row(self) -> pl.DataFrame:
        """Every row added, in order, an id's earlier rows included."""
        parts = [
            pl.DataFrame(dict(zip(COLUMNS, part, strict=True)), schema=COLUMNS)
            for part in self._slices(None)
        ]
        return pl.concat(parts) if parts else pl.DataFrame(schema=COLUMNS)

    def _latest(self) -> dict[int, Row]:
        return {row[0]: row for part in self._slices(None) for row in zip(*part, strict=True)}

    def _index(self) -> tuple[array[int], array[int], bytearray | None]:
        """The ids in increasing order, once each, and the row of each among the rows
        kept (an id's latest); which rows an id's later row replaces, if any does."""
        by_id, rows = sorted_index(self._ids)
        if not any(map(operator.eq, by_id, islice(by_id, 1, None))):
            return by_id, rows, None
        dead = bytearray(len(rows))
        for i in range(len(by_id) - 1):
            if by_id[i] == by_id[i + 1]:
                dead[rows[i]] = 1  # rows sort by id, then by row: the last is the latest
        kept = array("q", accumulate((not d for d in dead), initial=0))  # kept before each row
        latest = [i for i in range(len(by_id)) if i + 1 == len(by_id) or by_id[i] != by_id[i + 1]]
        return (
            array("q", (by_id[i] for i in latest)),
            array("q", (kept[rows[i]] for i in latest)),
            dead,
        )

    def _slices(self, dead: bytearray | None) -> Iterator[Slice]:
        """The columns as Python lists, ``SLICE`` rows at a time, less the ``dead`` rows."""
        for start in range(0, len(self._ids), SLICE):
            stop = min(start + SLICE, len(self._ids))
            part: Slice = (
                self._ids[start:stop].tolist(),
                self._posts[start:stop].tolist(),
                self._paths(start, stop),
                self._counts[start:stop].tolist(),
                list(map(bool, self._hidden[start:stop])),
            )
            if dead is None:
                yield part
            else:
                alive = [not d for d in dead[start:stop]]
                yield cast(Slice, tuple(list(compress(column, alive)) for column in part))

    def _paths(self, start: int, stop: int) -> list[str]:
        """The paths of rows ``start`` to ``stop``: split at the newlines, unless a path
        holds one itself."""
        ends = self._ends
        lines = self._text[ends[start] : ends[stop]].decode("utf-8", "surrogatepass")
        paths = lines.split("\n")
        if len(paths) == stop - start + 1:
            del paths[-1]  # what follows the last newline: nothing
            return paths
        return [
            self._text[a : b - 1].decode("utf-8", "surrogatepass")
            for a, b in zip(ends[start:stop], ends[start + 1 : stop + 1], strict=True)
        ]


def assess_frame(post: PostRecord, frame: pl.DataFrame) -> Completeness:
    """``assess`` of ``post``'s thread from a frame of ``COLUMNS``, one row per id."""
    paths = clean_paths(post, frame_slices(frame)) if not frame.is_empty() else None
    return _judge(post, paths, lambda: frame)


def _judge(
    post: PostRecord, paths: Paths | None, frame: Callable[[], pl.DataFrame]
) -> Completeness:
    """The verdict of a clean thread (``paths``) on flat arrays if it is whole, else in
    Polars (``verdict.paths``), else, or if not clean (``None``), by ``assess``."""
    frame = cache(frame)
    if paths is not None:
        verdict = whole_tree_verdict(post, paths)
        del paths  # its arrays, before any Polars query
        verdict = verdict or placeholder_verdict(post, frame())
        if verdict is not None:
            return verdict
    return assess(post, slim_records(post, frame().select(list(COLUMNS)).iter_rows()))


def slim_records(post: PostRecord, rows: Iterable[Row]) -> list[CommentRecord]:
    """Records that hold only what the verdict reads, ``hidden`` as ``deleted``."""
    return [
        CommentRecord(
            instance=post.instance,
            comment_id=cid,
            post_id=pid,
            ap_id="",
            post_ap_id=None,
            path=path,
            author="",
            author_ap_id="",
            content=None,
            published=_EPOCH,
            updated=None,
            deleted=hidden,
            removed=False,
            distinguished=False,
            score=0,
            upvotes=0,
            downvotes=0,
            child_count=count,
            dialect=post.dialect,
            server_version=post.server_version,
            collected_at=_EPOCH,
            run_id="",
        )
        for cid, pid, path, count, hidden in rows
    ]
