"""Deep and long-lived threads on report pages: caps applied before the work, and no
chart over Altair's 5,000-row limit (above it Altair raises MaxRowsError)."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from fedithreads.analysis.frames import build_tables
from fedithreads.report import chartdata, charts
from tests.factories import T0, chain, post
from tests.report.test_charts import rows, spec_of


def test_the_icicle_of_a_deep_chain_comes_from_links_and_the_orphans_path() -> None:
    """2,000 deep without comment 1,000 (every path withheld but the orphan 1,001's):
    comment k is walked k-th and spans to the end (2,001 nodes, post included);
    1,000 is a placeholder."""
    comments = build_tables([post()], chain(2000, missing=frozenset({1000}))).comments
    kept = pl.col("comment_id") == 1001
    comments = comments.with_columns(pl.when(kept).then("path").otherwise(pl.lit("withheld")))

    frame = chartdata.shape_frame(comments)

    assert frame is not None
    spans = frame.select("node", "depth", "x0", "x1").rows()
    assert spans == [(k, k, k, 2001) for k in range(2001)]
    status = dict(frame.select("node", "status").rows())
    assert (status[0], status[999], status[1000], status[1001]) == (
        "post",
        "visible",
        "not collected",
        "visible",
    )


def test_reply_depth_of_a_5001_deep_thread_is_drawn_in_at_most_120_bars() -> None:
    """Depths 1 … 5,001 in bars of 42 depths (⌈5,001 / 120⌉): 120 bars, each counting
    its 42 comments (the last one 5,001 − 119 × 42 = 3), and the chart is drawn."""
    depth = pl.int_range(1, 5002, eager=True).cast(pl.Int32)
    comments = pl.DataFrame({"depth": depth, "deleted": False, "removed": False})

    frame = chartdata.depth_frame(comments)
    spec = spec_of(charts.depth_chart(frame))

    assert frame.height == 120
    assert frame.row(0) == (1, "visible", 42, 42)
    assert frame.row(-1) == (4999, "visible", 3, 5040)
    assert sum(r["comments"] for r in rows(spec)) == 5001
    assert spec["encoding"]["x"]["title"] == "reply depth (42 depths per bar, from)"


def test_post_scores_of_25_threads_over_400_collections_stay_under_the_row_limit() -> None:
    """25 threads × 400 snapshots would be 10,000 points: each thread keeps at most
    4,000 / 25 = 160 collection times (the last among them), and the chart is drawn."""
    times = [T0 + timedelta(hours=h) for h in range(400)]
    history = pl.DataFrame(
        {
            "kind": "post",
            "instance": "a.example",
            "id": [t for t in range(25) for _ in times],
            "collected_at": times * 25,
            "score": 1,
        }
    )
    threads = pl.DataFrame({"instance": "a.example", "post_id": list(range(25))})

    frame = chartdata.corpus_votes_frame(history, threads)
    spec_of(charts.corpus_votes_chart(frame))

    assert frame.height <= 4000
    assert frame.group_by("thread").len()["len"].max() == 134
    assert frame["collected_at"].max() == times[-1]
