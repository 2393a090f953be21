"""The crawl's verdict from columns gives assess.assess's answer, on any thread."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from fedithreads.core.records import CommentRecord
from fedithreads.verdict import columns
from fedithreads.verdict.assess import assess
from fedithreads.verdict.columns import Columns, assess_frame, slim_records
from tests.factories import comment, post
from tests.strategies import comment_records, full_threads, reported


def _columns(comments: list[CommentRecord], chunk_rows: int) -> pl.DataFrame:
    cols = Columns(chunk_rows=chunk_rows)
    for start in range(0, len(comments), 7):  # pages of 7
        cols.add(comments[start : start + 7])
    return cols.frame()


def _expected(comments: list[CommentRecord], reported_count: int) -> object:
    """assess.assess on what the crawler kept: the latest snapshot of each id, no times."""
    p = post(comments=reported_count)
    return assess(p, slim_records(p, _columns(comments, chunk_rows=10**6).iter_rows()))


@st.composite
def crawled(draw: st.DrawFn) -> tuple[list[CommentRecord], int]:
    """A server thread, partly collected: some comments missing, some seen twice with
    other counts (a reply landed between the two), counts that are stale or too high."""
    full = draw(full_threads())
    dropped = draw(st.sets(st.sampled_from([c.comment_id for c in full])))
    kept = [c for c in full if c.comment_id not in dropped]
    for c in draw(st.lists(st.sampled_from(full), max_size=5)):
        kept.append(replace(c, child_count=draw(st.integers(0, 6))))
    return draw(st.permutations(kept)), reported(full) + draw(st.integers(-2, 2))


@settings(max_examples=300, deadline=None)
@given(crawled(), st.integers(1, 40))
def test_the_columns_verdict_is_assess_on_partial_threads(
    thread: tuple[list[CommentRecord], int], chunk_rows: int
) -> None:
    """Missing comments, orphans, repeated snapshots, wrong counts: every field equal,
    the gaps in the same order, whatever the chunking of the columns."""
    comments, count = thread
    p = post(comments=count)

    assert assess_frame(p, _columns(comments, chunk_rows)) == _expected(comments, count)


@settings(max_examples=150, deadline=None)
@given(crawled(), st.integers(1, 60))
def test_small_threads_are_judged_in_python_and_big_ones_in_polars_alike(
    thread: tuple[list[CommentRecord], int], chunk_rows: int
) -> None:
    """Columns.assess answers the same below and above the rows it keeps in Python, and
    names the same latest child_count of each gap."""
    comments, count = thread
    p = post(comments=count)
    cols = Columns(chunk_rows=chunk_rows)
    for start in range(0, len(comments), 7):
        cols.add(comments[start : start + 7])

    got = cols.assess(p)
    counts = cols.child_counts(got.gaps)

    assert got == _expected(comments, count)
    latest = {c.comment_id: c.child_count for c in comments}
    assert counts == {g: latest[g] for g in got.gaps if g in latest}


@settings(max_examples=200, deadline=None)
@given(comment_records())
def test_the_columns_verdict_is_assess_on_corrupted_paths(comments: list[CommentRecord]) -> None:
    """Bad labels, missing roots, repeated labels, contradicting parents, other posts,
    zero-padded ids: left to assess.assess, with its rejections."""
    assert assess_frame(post(comments=5), _columns(comments, 9)) == _expected(comments, 5)


@settings(max_examples=100, deadline=None)
@given(full_threads(), st.data())
def test_clean_threads_never_fall_back(full: list[CommentRecord], data: st.DataObject) -> None:
    """Well-formed paths are answered by Polars, with ancestors (orphans) or without."""
    dropped = data.draw(st.sets(st.sampled_from([c.comment_id for c in full])))
    kept = [c for c in full if c.comment_id not in dropped] or full
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(columns, "assess", _no_fallback)
        got = assess_frame(post(comments=reported(full)), _columns(kept, 5))

    assert got == _expected(kept, reported(full))


def _no_fallback(*_args: object) -> None:
    raise AssertionError("a clean thread fell back to assess.assess")


def test_a_complete_thread_has_no_gap_and_a_short_one_names_its_gaps() -> None:
    """Worked by hand: 1 promises two replies, only 2 came; 5's parent 4 never came.
    The server counts 5 visible comments (1, 2, 1's second reply, 4, 5; 3 is deleted)."""
    comments = [
        comment(1, "0.1", child_count=2),
        comment(2, "0.1.2"),
        comment(3, "0.3", child_count=2, deleted=True),
        comment(5, "0.3.4.5"),
    ]
    p = post(comments=5)

    got = assess_frame(p, _columns(comments, 100))

    assert (got.collected, got.visible, got.orphans, got.gaps) == (4, 3, 1, (1, 4))
    assert got.missing == 2  # 1's second reply, and 4
    assert got == assess(p, slim_records(p, _columns(comments, 1).iter_rows()))


def test_the_latest_row_of_an_id_wins() -> None:
    """A comment seen again with a higher count replaces the earlier row."""
    cols = Columns(chunk_rows=1)
    cols.add([comment(1, "0.1", child_count=0)])
    cols.add([comment(1, "0.1", child_count=3)])

    assert cols.frame().rows() == [(1, 100, "0.1", 3, False)]


def test_the_frame_keeps_each_ids_latest_row_where_it_came() -> None:
    """Repeats leave one row per id, at the place of its latest row; without repeats the
    rows come as they were added."""
    cols = Columns(chunk_rows=2)
    cols.add([comment(1, "0.1"), comment(2, "0.2")])
    cols.add([comment(1, "0.1", child_count=4), comment(3, "0.3")])
    fresh = Columns(chunk_rows=2)
    fresh.add([comment(5, "0.5"), comment(4, "0.4"), comment(6, "0.6")])

    assert [(r[0], r[3]) for r in cols.frame().rows()] == [(2, 0), (1, 4), (3, 0)]
    assert fresh.frame().get_column("comment_id").to_list() == [5, 4, 6]


@pytest.mark.parametrize(
    ("paths", "why"),
    [
        (["0.1", "0.1.20", "0.1.3"], "2 does not end in its own id"),
        (["0.1", "0.3.2", "0.3"], "none: 2 is under 3, a later id (the shortcut holds)"),
        (["0.1", "0.1.02", "0.1.3"], "2 is zero-padded"),
        (["0.1", "0.1.1.2", "0.1.3"], "2 repeats a label"),
        (["0.1", "0.1.2", "0.1.3", "0.3.4"], "4 names 3 as parent, 3 says it is under 1"),
        (["0.1", "0.1.2" + "9" * 20, "0.1.3"], "2 ends in a label past 64 bits"),
        (["0.1", "0.1.2", "0.2.3"], "3 names 2 as parent by another path than 2's own"),
    ],
)
def test_one_bad_path_in_a_whole_tree_is_judged_as_assess_judges_it(
    paths: list[str], why: str
) -> None:
    """Every parent collected, one path wrong: the answer (rejections included) is
    assess.assess's, not the whole-tree shortcut's."""
    comments = [comment(i, path, child_count=1) for i, path in enumerate(paths, start=1)]

    got = assess_frame(post(comments=len(paths)), _columns(comments, 100))

    assert got == _expected(comments, len(paths)), why
