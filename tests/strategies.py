"""Hypothesis strategies shared by the tests of several packages: random threads."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import strategies as st

from fedithreads.core.records import CommentRecord
from tests.factories import T0, comment

CORRUPTIONS = ("none", "letters", "no-root", "not-own", "repeat", "other-parent", "other-post")


@st.composite
def comment_records(draw: st.DrawFn) -> list[CommentRecord]:
    """Comments of posts 100 and 200 from random trees, in two runs, some corrupted."""
    out: list[CommentRecord] = []
    paths: dict[int, str] = {}
    for i in range(1, draw(st.integers(1, 30)) + 1):
        parent = draw(st.sampled_from([0, *paths]))
        path = f"{paths[parent] if parent else '0'}.{i}"
        paths[i] = path
        post_id = 200 if parent == 0 and draw(st.integers(0, 4)) == 0 else 100
        if parent:
            post_id = next(c.post_id for c in out if c.comment_id == parent)
        path, post_id = _corrupt(draw, path, post_id, i)
        for run in range(draw(st.integers(1, 2))):
            when = T0 + timedelta(days=10 + run)
            out.append(comment(i, path, post_id=post_id, collected_at=when, run_id=f"run-{run}"))
    return draw(st.permutations(out))


def _corrupt(draw: st.DrawFn, path: str, post_id: int, i: int) -> tuple[str, int]:
    kind = draw(st.sampled_from(CORRUPTIONS)) if draw(st.integers(0, 5)) == 0 else "none"
    labels = path.split(".")
    if kind == "letters":
        return path + "x", post_id
    if kind == "no-root":
        return path[2:] or "1", post_id
    if kind == "not-own":
        return f"{path}0", post_id
    if kind == "repeat" and len(labels) > 2:
        return ".".join([*labels[:-1], labels[1], labels[-1]]), post_id
    if kind == "other-parent" and len(labels) > 2:
        return f"0.{labels[-2]}.{i}" if len(labels) > 3 else f"0.1.{i}", post_id
    if kind == "other-post":
        return path, 300
    return path, post_id


@st.composite
def full_threads(draw: st.DrawFn) -> list[CommentRecord]:
    """A random thread as the server has it: child_count = all descendants, some deleted."""
    n = draw(st.integers(1, 40))
    paths: list[str] = []
    for i in range(n):
        parent = draw(st.integers(-1, i - 1))
        paths.append(f"0.{i + 1}" if parent < 0 else f"{paths[parent]}.{i + 1}")
    deleted = draw(st.sets(st.integers(1, n)))
    out = []
    for i, path in enumerate(paths):
        below = sum(1 for p in paths if p.startswith(path + "."))
        out.append(comment(i + 1, path, minutes=i, child_count=below, deleted=(i + 1) in deleted))
    return out


def reported(comments: list[CommentRecord]) -> int:
    """What the server counts of ``comments``: those neither deleted nor removed."""
    return sum(1 for c in comments if not (c.deleted or c.removed))
