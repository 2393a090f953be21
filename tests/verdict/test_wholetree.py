"""The whole-tree verdict on flat arrays gives assess.assess's answer, slice by slice."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fedithreads.core.records import CommentRecord
from fedithreads.verdict import wholetree
from fedithreads.verdict.assess import Completeness, assess
from fedithreads.verdict.columns import Columns, assess_frame, slim_records
from tests.factories import comment, post
from tests.strategies import comment_records, full_threads, reported


def _frame_and_expected(
    comments: list[CommentRecord], count: int
) -> tuple[pl.DataFrame, Completeness]:
    cols = Columns(chunk_rows=5)
    for start in range(0, len(comments), 7):
        cols.add(comments[start : start + 7])
    frame = cols.frame()
    p = post(comments=count)
    return frame, assess(p, slim_records(p, frame.iter_rows()))


@settings(max_examples=150, deadline=None)
@given(full_threads(), st.integers(1, 9))
def test_a_whole_thread_read_in_small_slices_is_judged_as_assess_judges_it(
    full: list[CommentRecord], rows_a_slice: int
) -> None:
    """Parents in another slice than their children, tops and gaps anywhere: the same
    verdict, the gaps in the same order, whatever the slice size."""
    frame, expected = _frame_and_expected(full, reported(full) + 1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(wholetree, "SLICE", rows_a_slice)
        got = assess_frame(post(comments=reported(full) + 1), frame)

    assert got == expected


@settings(max_examples=150, deadline=None)
@given(comment_records(), st.integers(1, 9))
def test_corrupted_paths_in_small_slices_are_left_to_assess(
    comments: list[CommentRecord], rows_a_slice: int
) -> None:
    """A bad path in any slice, or a repeated id, is found before any verdict is given."""
    frame, expected = _frame_and_expected(comments, 5)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(wholetree, "SLICE", rows_a_slice)
        got = assess_frame(post(comments=5), frame)

    assert got == expected


@pytest.mark.parametrize(
    "paths",
    [
        ["0.1", "0.1.2\n0.3", "0.3"],  # one path that reads as two lines
        ["0.1", "0.1.2\n", "0.3"],
        ["0.1\n0.1", "0.1.2"],
        ["0.1", "0.1.2", "0.1.2.3 "],
        ["0.1", "0.1.2", "0.1.٣"],  # an Arabic-Indic digit three: not an ASCII label
    ],
)
def test_a_path_with_a_newline_or_a_foreign_character_is_not_clean(paths: list[str]) -> None:
    """Paths are checked as lines of one text: a newline inside one, a trailing space or
    a non-ASCII digit does not pass for a clean path (assess.assess answers)."""
    comments = [comment(i, path, child_count=1) for i, path in enumerate(paths, start=1)]
    frame, expected = _frame_and_expected(comments, len(paths))

    assert wholetree.clean_paths(post(comments=len(paths)), wholetree.frame_slices(frame)) is None
    assert assess_frame(post(comments=len(paths)), frame) == expected
