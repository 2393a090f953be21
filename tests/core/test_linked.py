"""Trees from parent links (no path held) equal trees from paths, node for node."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from fedithreads.analysis.frames import build_tables
from fedithreads.analysis.pipeline import Snapshots, thread_from_tables
from fedithreads.core.records import CommentRecord
from fedithreads.core.tree import Thread
from fedithreads.report.render import render_thread
from tests.factories import chain, comment, post


@st.composite
def threads_with_gaps(draw: st.DrawFn) -> list[CommentRecord]:
    """A random reply tree of post 100 (any shape, deep chains too) with a random share
    of its comments never collected: orphans under placeholders, whole missing branches."""
    paths: list[str] = []
    kept: list[CommentRecord] = []
    for i in range(draw(st.integers(1, 40))):
        parent = draw(st.integers(-1, i - 1))
        paths.append(f"{paths[parent] if parent >= 0 else '0'}.{i + 1}")
        if draw(st.integers(0, 4)):  # ~20 % never collected
            minutes = draw(st.integers(0, 50))  # times tie now and then: ids decide
            kept.append(comment(i + 1, paths[-1], minutes=minutes, child_count=i % 3))
    return kept


def shape(thread: Thread) -> list[tuple[object, ...]]:
    return [
        (n.comment_id, n.parent_id, n.depth, n.placeholder, n.orphan, tuple(n.children))
        for n in thread.walk()
    ]


def both(comments: list[CommentRecord]) -> tuple[Thread, Thread]:
    tables = build_tables([post()], comments)
    snapshots = Snapshots(tables.posts.lazy(), tables.comments.lazy(), ())
    by_paths = thread_from_tables(snapshots, "a.example", 100)
    by_links = thread_from_tables(snapshots, "a.example", 100, paths=False)
    return by_paths, by_links


@settings(max_examples=200, deadline=None)
@given(threads_with_gaps())
def test_a_tree_from_links_is_the_tree_from_paths(comments: list[CommentRecord]) -> None:
    """Same nodes in the same order (placeholders, depths, orphans, children), the same
    records but for their paths (empty), and the same text when rendered."""
    by_paths, by_links = both(comments)

    assert shape(by_links) == shape(by_paths)
    for node in by_paths.walk():
        linked = by_links.nodes[node.comment_id].record
        if node.record is None:
            assert linked is None
        else:
            assert linked == replace(node.record, path="")
    assert render_thread(by_links) == render_thread(by_paths)


def test_a_deep_chain_from_links_holds_no_path() -> None:
    """A 3,000-deep chain missing comment 1,500: one orphan under one placeholder, and
    no record holding a path (from paths, they hold 4.5 million labels)."""
    by_paths, by_links = both(chain(3000, missing=frozenset({1500})))

    assert shape(by_links) == shape(by_paths)
    assert [n.comment_id for n in by_links.orphans] == [1501]
    assert [n.comment_id for n in by_links.placeholders] == [1500]
    assert {n.record.path for n in by_links.comments if n.record is not None} == {""}
