"""The union of a thread's copies (fedithreads.analysis.unionthread) for ``show --union``.

As fedithreads.report.render draws one copy, with what the union adds: a header naming
the copies (home first, each with what it lacks), every comment's line marked with the
instances whose copy lacks it, and in JSON each comment's ``source``, ``local_id``,
``seen_on`` and ``missing_on``. Pure, like render.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fedithreads.analysis.unionthread import UnionThread
from fedithreads.report.render import Line, render_thread, thread_tree

__all__ = ["render_union", "union_header", "union_tree"]


def render_union(union: UnionThread, *, width: int = 100) -> tuple[Line, ...]:
    """The union tree as ``render_thread`` draws a thread: a header naming the copies
    (home first), then every comment marked with the instances that lack it."""
    return render_thread(
        union.thread, width=width, preface=union_header(union), missing_on=union.missing_on
    )


def union_header(union: UnionThread) -> list[str]:
    """``union of 3 copies by ap_id, 25 comments:``, then a line per copy."""
    lines = [f"union of {len(union.copies)} copies by ap_id, {union.comments} comments:"]
    for copy in union.copies:
        home = "home · " if copy.is_home else ""
        missing = union.comments - copy.comments
        lacks = f" · lacks {missing}" if missing else ""
        lines.append(
            f"  {copy.instance}: {home}post {copy.post_id} · {copy.comments} comments{lacks}"
        )
    if not any(c.is_home for c in union.copies):
        lines.append(f"  {union.home_instance}: home · its copy was not collected")
    return lines


def union_tree(union: UnionThread) -> dict[str, Any]:
    """``thread_tree`` of the union: each comment also carries ``source`` and
    ``local_id`` (the copy that stands for it), ``seen_on`` and ``missing_on``; a
    ``union`` entry names the ap_id, the home instance and each copy."""
    annotate = {
        k: {
            "source": union.source[k][0],
            "local_id": union.source[k][1],
            "seen_on": list(union.seen_on[k]),
            "missing_on": list(union.missing_on[k]),
        }
        for k in union.source
    }
    tree = thread_tree(union.thread, annotate=annotate)
    tree["union"] = {
        "ap_id": union.ap_id,
        "home_instance": union.home_instance,
        "comments": union.comments,
        "copies": [dataclasses.asdict(c) for c in union.copies],
    }
    return tree
