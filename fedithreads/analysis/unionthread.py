"""One thread's union as a tree, for ``show --union``: the copies' comments by ap_id.

The union frame (fedithreads.analysis.union.union_comments) already has every comment
once, with union ids and paths that agree; this turns it back into records and one
``Thread``, and keeps, per union comment id, what the frame says about its copies: the
instances whose copy holds it (``seen_on``) or lacks it (``missing_on``), and the copy
that stands for it (``source``: instance and local id). One pass over the frame's rows.

The tree's key (instance, post_id) is the post row that stands for the thread: the home
copy's when it was collected, else the copy's that lends the union most comments (the
same order as the union's, ``_prio``); without any post row, the home copy's local id,
else the first copy's. Every union comment is keyed to it so that the tree builds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from fedithreads.analysis.federation import UnionParts
from fedithreads.core.records import CommentRecord, PostRecord
from fedithreads.core.rows import frame_records
from fedithreads.core.tree import Thread, build_thread

__all__ = ["Copy", "UnionThread", "union_thread"]


@dataclass(frozen=True, slots=True)
class Copy:
    """One instance's copy of the thread: its local post id and comments collected."""

    instance: str
    post_id: int
    is_home: bool
    comments: int


@dataclass(frozen=True, slots=True)
class UnionThread:
    """The union of a thread's copies as one tree, with where each comment was seen.

    ``copies``: home first, then in the order they lend comments to the union;
    ``home_instance`` may have no copy among them (its copy was not collected).
    The mappings are keyed by the tree's (union) comment ids; instances are sorted.
    """

    ap_id: str
    home_instance: str
    copies: tuple[Copy, ...]
    thread: Thread
    seen_on: Mapping[int, tuple[str, ...]]
    missing_on: Mapping[int, tuple[str, ...]]
    source: Mapping[int, tuple[str, int]]

    @property
    def comments(self) -> int:
        """Comments in the union (placeholders not counted)."""
        return len(self.source)


def union_thread(ap_id: str, parts: UnionParts) -> UnionThread:
    """The union tree of ``parts`` (module docstring); ``parts`` holds at least one copy."""
    copies = parts.copies.sort("_prio")
    post = _standing_post(parts)
    key = (post.instance, post.post_id) if post is not None else _stand_in(copies)
    rows = parts.union.with_columns(
        pl.lit(key[0]).alias("instance"), pl.lit(key[1], pl.Int64).alias("post_id")
    )
    thread = build_thread(post, frame_records(rows, CommentRecord))
    seen: dict[int, tuple[str, ...]] = {}
    missing: dict[int, tuple[str, ...]] = {}
    source: dict[int, tuple[str, int]] = {}
    presence = parts.union.select("comment_id", "seen_on", "missing_on", "source", "local_id")
    for comment_id, seen_on, missing_on, instance, local_id in presence.iter_rows():
        seen[comment_id] = tuple(seen_on)
        missing[comment_id] = tuple(missing_on)
        source[comment_id] = (instance, local_id)
    return UnionThread(
        ap_id=ap_id,
        home_instance=copies["home_instance"][0],
        copies=tuple(
            Copy(instance, post_id, is_home, held)
            for instance, post_id, is_home, held in copies.select(
                "instance", "post_id", "is_home", "_held"
            ).iter_rows()
        ),
        thread=thread,
        seen_on=seen,
        missing_on=missing,
        source=source,
    )


def _standing_post(parts: UnionParts) -> PostRecord | None:
    """The current post row of the copy of highest ``_prio`` that has one."""
    rank = parts.copies.select("instance", "post_id", "_prio")
    rows = parts.posts.join(rank, on=["instance", "post_id"]).sort("_prio").head(1)
    found = frame_records(rows, PostRecord)
    return found[0] if found else None


def _stand_in(copies: pl.DataFrame) -> tuple[str, int]:
    """The key of a union without post rows: the home copy's, else the first copy's."""
    home = copies.filter("is_home")
    first = home if home.height else copies
    return first["instance"][0], first["post_id"][0]
