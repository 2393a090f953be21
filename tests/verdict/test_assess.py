"""Completeness while crawling: the same numbers as thread_stats, and gaps that close."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from fedithreads.analysis.derived import analyze
from fedithreads.analysis.frames import build_tables
from fedithreads.core.records import CommentRecord
from fedithreads.verdict.assess import assess
from tests.factories import hand_thread, post
from tests.strategies import full_threads, reported


@settings(max_examples=120, deadline=None)
@given(full_threads(), st.data())
def test_missing_agrees_with_thread_stats(full: list[CommentRecord], data: st.DataObject) -> None:
    """assess.assess and the Polars analysis give the same missing count and verdict."""
    dropped = data.draw(st.sets(st.sampled_from([c.comment_id for c in full])))
    kept = [c for c in full if c.comment_id not in dropped]
    p = post(comments=reported(full))

    verdict = assess(p, kept)
    tables = build_tables([p], kept)
    row = analyze(tables.posts.lazy(), tables.comments.lazy()).thread_stats.row(0, named=True)

    assert verdict.missing == row["missing"]
    assert verdict.complete == row["complete"]
    # Only whole top-level branches of deleted comments can vanish unnoticed: the server
    # counts none of them and no collected comment points at them.
    branch = {c.comment_id: int(c.path.split(".")[1]) for c in full}
    unnoticeable = all(
        c.deleted
        and all(
            d.comment_id in dropped for d in full if branch[d.comment_id] == branch[c.comment_id]
        )
        for c in full
        if c.comment_id in dropped
    )
    assert verdict.complete == unnoticeable
    assert verdict.orphans == row["orphans"]


@settings(max_examples=120, deadline=None)
@given(full_threads(), st.data())
def test_fetching_gap_subtrees_recovers_all_but_wholly_missing_top_level_branches(
    full: list[CommentRecord], data: st.DataObject
) -> None:
    """Following gaps until none is left collects everything some collected comment
    points at; only top-level branches with nothing collected stay out of reach."""
    dropped = data.draw(st.sets(st.sampled_from([c.comment_id for c in full])))
    have = {c.comment_id: c for c in full if c.comment_id not in dropped}
    by_id = {c.comment_id: c for c in full}
    p = post(comments=reported(full))

    for _ in range(50):
        gaps = list(assess(p, have.values()).gaps)
        new = {
            c.comment_id: c
            for g in gaps
            for c in full
            if c.comment_id == g or f".{g}." in f"{c.path}."
        }
        if new.keys() <= have.keys():
            break
        have.update(new)

    top_of = {c.comment_id: int(c.path.split(".")[1]) for c in full}
    unreachable = {cid for cid in by_id if not any(top_of[h] == top_of[cid] for h in have)}
    assert set(have) == set(by_id) - unreachable


def test_a_gap_is_reported_for_unseen_replies_and_for_missing_ancestors() -> None:
    """#1 promises 3 descendants but #2 (and so #4) is missing: #1 is a gap; an orphan's
    missing grandparent, not its parent, is the gap to fetch."""
    p, full = hand_thread()
    kept = [c for c in full if c.comment_id not in (2, 4, 5, 6)]

    verdict = assess(p, kept)

    assert verdict.gaps == (1, 5)
    assert verdict.orphans == 1


def test_stale_counts_do_not_invent_gaps() -> None:
    """A child_count lower than what was collected (a reply landed mid-crawl) is no gap."""
    p, full = hand_thread()
    stale = [replace(c, child_count=0) for c in full]

    verdict = assess(p, stale)

    assert verdict.gaps == ()
    assert verdict.complete
