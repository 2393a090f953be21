"""Deep threads are measured from parent links: only orphans' paths are ever read.

A comment's path names all its ancestors, so a reply chain d deep holds d²/2 labels:
expanding every path (as thread_stats once did) costs memory quadratic in the depth
(3.5 GB for 10,000 comments in one chain). These tests withhold every path but the
orphans', so any step that still reads them gives wrong numbers or fails.
"""

from __future__ import annotations

import polars as pl
import pytest

from fedithreads.analysis.derived import analyze
from fedithreads.analysis.frames import build_tables
from fedithreads.analysis.pipeline import Snapshots
from fedithreads.analysis.pipeline import analyze as analyze_tables
from tests.factories import chain, comment, post

DEPTH = 2000


def withheld(comments: pl.DataFrame, keep: set[int]) -> pl.DataFrame:
    """The rows with every path replaced by a word, but those of the ids in ``keep``."""
    kept = pl.col("comment_id").is_in(list(keep))
    return comments.with_columns(pl.when(kept).then("path").otherwise(pl.lit("withheld")))


def test_a_deep_chain_with_a_gap_is_measured_from_links_and_the_orphans_path() -> None:
    """2,000 deep, comment 1,000 not collected: 1,999 comments and a placeholder make a
    path of n = 2,001 nodes (post included), mean distance (n + 1)/3; comment 1's
    child_count 1,999 against its 1,998 collected descendants leaves 1 missing."""
    tables = build_tables([post(comments=DEPTH)], chain(DEPTH, missing=frozenset({1000})))
    comments = withheld(tables.comments, keep={1001})

    row = analyze(tables.posts.lazy(), comments.lazy()).thread_stats.row(0, named=True)

    assert row["comments_collected"] == 1999
    assert row["orphans"] == 1
    assert (row["max_depth"], row["top_level"], row["max_width"]) == (DEPTH, 1, 1)
    assert row["mean_branching"] == 1.0
    assert row["structural_virality"] == pytest.approx(2002 / 3)
    assert (row["missing"], row["complete"]) == (1, False)


def test_analyze_for_the_report_reads_no_path_of_a_thread_above_the_cap() -> None:
    """With paths_up_to=3, the 5-comment thread's paths are null (never read) and the
    2-comment thread's are kept; every other column is as without the cap."""
    big = chain(5)
    small = [comment(11, "0.11", post_id=200), comment(12, "0.11.12", post_id=200)]
    tables = build_tables([post(), post(200)], big + small)
    snapshots = Snapshots(tables.posts.lazy(), tables.comments.lazy(), ())

    capped = analyze_tables(snapshots, bucket="1h", paths_up_to=3)
    full = analyze_tables(snapshots, bucket="1h")

    paths = dict(capped["comments"].select("comment_id", "path").rows())
    assert paths == {1: None, 2: None, 3: None, 4: None, 5: None, 11: "0.11", 12: "0.11.12"}
    assert capped["comments"].drop("path").equals(full["comments"].drop("path"))
    assert capped["thread_stats"].equals(full["thread_stats"])


def test_sums_past_64_bits_are_null_and_the_shortfall_saturates() -> None:
    """Three comments scoring 2⁶² add up past 2⁶³ − 1: comment_score and upvotes are
    null (they wrapped to −2⁶² before), downvotes (0) still add up; two top-level
    comments each claiming 2⁶² replies nobody collected leave at least 2⁶³ − 1 missing
    (the sum wrapped negative and the thread was called complete)."""
    big = 2**62
    comments = [
        comment(k, f"0.{k}", score=big, upvotes=big, child_count=big if k < 3 else 0)
        for k in (1, 2, 3)
    ]
    tables = build_tables([post(comments=3)], comments)

    row = analyze(tables.posts.lazy(), tables.comments.lazy()).thread_stats.row(0, named=True)

    assert (row["comment_score"], row["comment_upvotes"], row["comment_downvotes"]) == (
        None,
        None,
        0,
    )
    assert (row["missing"], row["complete"]) == (2**63 - 1, False)
