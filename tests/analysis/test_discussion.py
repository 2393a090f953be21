"""The measures of discussion in thread_stats, worked out by hand on a small thread.

tests/analysis/test_equivalence.py holds them to the plain join version of
tests/analysis/reference.py on random snapshots; here they meet numbers worked by hand."""

from __future__ import annotations

import math
from datetime import timedelta

import polars as pl
import pytest

from fedithreads.analysis.frames import build_tables
from fedithreads.analysis.stats import thread_stats
from tests import factories

OP, A, B = (f"https://x.example/u/{n}" for n in ("op", "a", "b"))


def small_thread() -> tuple[pl.DataFrame, pl.DataFrame]:
    """A post by OP (10 up, 4 down) and six comments:

    ``(id, parent, author, seconds after the post)``: 1 (post, A, 60), 2 (post, B, 120),
    3 (1, OP, 180), 4 (2, A, 300), 5 (4, B, 600), 6 (3, A, 900).
    """
    post = factories.post(100, author_ap_id=OP, upvotes=10, downvotes=4)
    t0 = post.published
    spec = [(1, None, A, 60), (2, None, B, 120), (3, 1, OP, 180), (4, 2, A, 300),
            (5, 4, B, 600), (6, 3, A, 900)]  # fmt: skip
    paths = {None: "0"}
    comments = []
    for cid, parent, author, after in spec:
        paths[cid] = f"{paths[parent]}.{cid}"
        comments.append(
            factories.comment(
                cid, post_id=100, path=paths[cid], author_ap_id=author,
                published=t0 + timedelta(seconds=after),
            )
        )  # fmt: skip
    tables = build_tables([post], comments)
    return tables.posts, tables.comments


def test_each_measure_is_the_hand_worked_value() -> None:
    """h-index 2 (two comments at each of depths 1-3), reciprocity 4/5, three authors
    back again, a third of replies to the root, p90 latency 510 s, half the comments
    after 180 s and 90 % after 900 s, controversy 14 ^ 0.4."""
    posts, comments = small_thread()

    (row,) = thread_stats(posts, comments).to_dicts()

    assert row["h_index"] == 2  # depth 2 holds 2 ≥ 2 comments; depth 3 holds 2 < 3
    assert row["reciprocity"] == pytest.approx(4 / 5)  # A→OP, OP→A, A→B, B→A; B→OP not
    assert row["reentry_authors"] == 3  # OP (post, 3), A (1, 4, 6), B (2, 5)
    assert row["root_reply_share"] == pytest.approx(2 / 6)
    # latencies 60, 120, 120, 180, 300, 720: position 0.9 × 5 = 4.5 → 300 + 0.5 × 420
    assert row["p90_reply_latency_seconds"] == pytest.approx(510.0)
    assert row["time_to_half_seconds"] == pytest.approx(180.0)  # the 3rd of 6 comments
    assert row["time_to_90pct_seconds"] == pytest.approx(900.0)  # the ⌈5.4⌉ = 6th
    assert row["controversy"] == pytest.approx(math.pow(14, 0.4))


def test_a_post_without_comments_has_zeros_and_nulls_where_nothing_is_measured() -> None:
    """No comment: h-index 0, no reply pair (reciprocity null), the OP alone (no
    re-entry), no share or times; a post with no downvote has controversy 0."""
    post = factories.post(5, upvotes=3, downvotes=0)
    tables = build_tables([post], [])

    (row,) = thread_stats(tables.posts, tables.comments).to_dicts()

    assert (row["h_index"], row["reentry_authors"], row["controversy"]) == (0, 0, 0.0)
    assert row["reciprocity"] is None
    assert row["root_reply_share"] is None
    assert row["time_to_half_seconds"] is None
    assert row["p90_reply_latency_seconds"] is None


def test_an_orphan_and_a_self_reply_make_no_pair_and_a_thread_without_its_post_no_times() -> None:
    """Comments whose post was not collected: a reply to oneself and a reply whose parent
    was not collected make no reply pair (reciprocity null); with no post there is no
    time to half and no controversy, but the h-index and re-entry still count."""
    t0 = factories.post(1).published
    spec = [(1, "0.1", A, 10), (2, "0.1.2", A, 20), (3, "0.9.3", B, 30)]
    comments = [
        factories.comment(
            cid, post_id=7, path=path, author_ap_id=author,
            published=t0 + timedelta(seconds=after),
        )
        for cid, path, author, after in spec
    ]  # fmt: skip
    tables = build_tables([], comments)

    (row,) = thread_stats(tables.posts, tables.comments).to_dicts()

    assert row["reciprocity"] is None  # A→A is left out, 3's parent 9 is not collected
    assert (row["h_index"], row["reentry_authors"]) == (2, 1)  # depth 2 holds 2 and 3; A twice
    assert row["root_reply_share"] == pytest.approx(1 / 3)
    assert row["time_to_half_seconds"] is None
    assert row["controversy"] is None
