"""Folding a thread's listings again: the crawler's stops, merges and rejections, by hand."""

from __future__ import annotations

from datetime import timedelta

from msgspec.structs import replace

from fedithreads.core.records import CommentRecord, Page
from fedithreads.storage.refold import Listing, ListingKey, thread_rows
from tests.factories import T0, comment, post

LATER = T0 + timedelta(days=11)


def page(*comments: CommentRecord, next_page: str | None = None) -> Page:
    return Page("comment/list", comments=comments, next_page=next_page)


def listing(sort: str, *pages: Page, limit: int = 2, parent: int | None = None) -> Listing:
    """A numbered lemmy-v3 listing of ``pages`` (page 1, 2, …), ``limit`` a page."""
    key = ListingKey(None if parent else 100, parent, sort, None)
    return Listing(key, False, limit, dict(enumerate(pages, start=1)))


def ids(rows: list[CommentRecord]) -> list[int]:
    return sorted(c.comment_id for c in rows)


def test_a_page_after_one_that_repeats_earlier_ones_was_never_folded() -> None:
    """Page 2 brings no id page 1 had not: the crawler stopped there, so page 3 (fetched
    ahead, archived) adds nothing."""
    a, b, c = comment(1, "0.1"), comment(2, "0.2"), comment(3, "0.3")
    old = listing("old", page(a, b), page(b, a), page(c))

    assert ids(thread_rows([old], "lemmy-v3", post())) == [1, 2]


def test_a_short_page_ends_a_listing() -> None:
    """A page with fewer rows than the limit is the end (v3): later pages are not read."""
    old = listing("old", page(comment(1, "0.1")), page(comment(2, "0.2")))

    assert ids(thread_rows([old], "lemmy-v3", post())) == [1]


def test_the_new_end_behind_a_ceiling_stops_at_a_page_of_nothing_new() -> None:
    """Old stopped at a ceiling (page 2 missing); New stops at its first page that adds
    nothing, so a later New page is not folded."""
    c = [comment(i, f"0.{i}") for i in range(1, 8)]
    old = listing("old", page(c[0], c[1]))  # page 2 refused: not exhausted
    new = listing("new", page(c[6], c[5]), page(c[1], c[0]), page(c[3], c[2]))

    assert ids(thread_rows([old, new], "lemmy-v3", post())) == [1, 2, 6, 7]


def test_the_latest_snapshot_wins_and_a_tie_goes_to_the_later_page() -> None:
    """A comment seen twice keeps its later snapshot; an older one arriving later loses."""
    first = comment(1, "0.1", score=1)
    newer = replace(first, score=5, collected_at=LATER)
    older = replace(first, score=9, collected_at=T0)
    old = listing("old", page(first), limit=50)
    sub = listing("old", page(newer), limit=50, parent=1)
    again = listing("new", page(older), limit=50, parent=1)

    (row,) = thread_rows([old, sub, again], "lemmy-v3", post())

    assert (row.score, row.collected_at) == (5, LATER)


def test_comments_the_tree_rejects_are_left_out() -> None:
    """A comment whose path does not end in its own id is never written."""
    good, bad = comment(1, "0.1"), comment(2, "0.1.3")
    old = listing("old", page(good, bad), limit=50)

    assert ids(thread_rows([old], "lemmy-v3", post())) == [1]


def test_v4_cursors_are_followed_from_the_first_page() -> None:
    """A cursor listing follows next_page from the page asked for without a cursor."""
    key = ListingKey(100, None, "old", None)
    pages: dict[int | str | None, Page] = {
        None: page(comment(1, "0.1"), next_page="c2"),
        "c2": page(comment(2, "0.2"), next_page=None),
        "stray": page(comment(3, "0.3")),
    }
    v4 = Listing(key, True, 50, pages)

    assert ids(thread_rows([v4], "lemmy-v4", post())) == [1, 2]
