"""Chart specs: each chart names its title, axes and fields, and carries its frame's rows."""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl
import pytest

from fedithreads.report import chartdata, charts
from tests.report.conftest import hand_tables


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    return hand_tables()


def spec_of(chart: charts.Chart) -> dict[str, Any]:
    """The validated Vega-Lite spec (Altair checks it against the schema)."""
    return chart.to_dict(validate=True)


def encodings(spec: dict[str, Any]) -> dict[str, Any]:
    """Every channel of a spec or of its layers, merged (later layers add channels)."""
    merged: dict[str, Any] = {}
    for part in [spec, *spec.get("layer", [])]:
        merged.update(part.get("encoding", {}))
    return merged


def rows(spec: dict[str, Any]) -> list[dict[str, Any]]:
    (values,) = spec["datasets"].values()
    return list(values)


def test_activity_chart_draws_comments_and_authors_per_bucket(
    tables: dict[str, pl.DataFrame],
) -> None:
    """Bars of comments and dots of authors over UTC time, titled with the bucket width."""
    frame, width = chartdata.activity_frame(tables["comments"], "1h")

    spec = spec_of(charts.activity_chart(frame, width))

    assert spec["title"]["text"] == "Activity of the thread"
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["bar", "circle"]
    bars, line = (layer["encoding"] for layer in spec["layer"])
    assert bars["x"] == {
        "field": "bucket_start",
        "type": "temporal",
        "title": "time (UTC, 1h buckets)",
        "scale": {"type": "utc"},
        "axis": {"format": "%Y-%m-%d %H:%M"},
    }
    assert bars["y"]["field"] == "comments"
    assert bars["y"]["title"] == "per 1h bucket"
    assert line["y"]["field"] == "authors"
    assert [r["comments"] for r in rows(spec)] == [4, 1, 1, 1, 1]


def test_cumulative_chart_steps_through_the_running_total(tables: dict[str, pl.DataFrame]) -> None:
    """A step line of cumulative_comments ending at all 8 comments."""
    frame, width = chartdata.activity_frame(tables["comments"], "1h")

    spec = spec_of(charts.cumulative_chart(frame, width))

    assert spec["mark"] == {"type": "line", "interpolate": "step-after", "point": True}
    assert spec["encoding"]["y"]["field"] == "cumulative_comments"
    assert spec["encoding"]["y"]["title"] == "comments so far"
    assert rows(spec)[-1]["cumulative_comments"] == 8


def test_depth_chart_stacks_statuses_per_depth(tables: dict[str, pl.DataFrame]) -> None:
    """Ordinal depth on x, comments on y, status coloured with fixed colours."""
    spec = spec_of(charts.depth_chart(chartdata.depth_frame(tables["comments"])))

    enc = spec["encoding"]
    assert spec["title"]["text"] == "Reply depth in the thread"
    assert (enc["x"]["field"], enc["x"]["type"], enc["x"]["title"]) == (
        "depth",
        "ordinal",
        "reply depth",
    )
    assert enc["color"]["scale"]["domain"] == list(chartdata.STATUS_ORDER)
    assert sum(r["comments"] for r in rows(spec)) == 8


def test_shape_chart_is_an_icicle_of_rectangles(tables: dict[str, pl.DataFrame]) -> None:
    """Rectangles from (x0, depth) to (x1, depth + 1), depth growing downwards."""
    frame = chartdata.shape_frame(tables["comments"])
    assert frame is not None

    spec = spec_of(charts.shape_chart(frame))

    enc = spec["encoding"]
    assert spec["mark"]["type"] == "rect"
    assert (enc["x"]["field"], enc["x2"]["field"]) == ("x0", "x1")
    assert (enc["y"]["field"], enc["y2"]["field"]) == ("depth", "depth_end")
    assert enc["y"]["scale"]["reverse"] is True
    assert enc["y"]["title"] == "reply depth"
    assert spec["transform"] == [{"calculate": "datum.depth + 1", "as": "depth_end"}]
    assert len(rows(spec)) == 9


def test_votes_chart_plots_each_count_over_collections(tables: dict[str, pl.DataFrame]) -> None:
    """score, upvotes and downvotes coloured, collected_at on a UTC time axis."""
    frame = chartdata.votes_frame(tables["vote_history"], "a.example", 100)

    spec = spec_of(charts.votes_chart(frame))

    enc = spec["encoding"]
    assert spec["title"]["subtitle"] == "the post at each of 2 snapshot(s)"
    assert enc["x"]["field"] == "collected_at"
    assert enc["x"]["title"] == "collected at (UTC)"
    assert enc["color"]["scale"]["domain"] == ["score", "upvotes", "downvotes"]
    assert len(rows(spec)) == 6


def test_completeness_and_corpus_charts_name_their_fields(tables: dict[str, pl.DataFrame]) -> None:
    """Completeness stacks parts per thread; the scatter and score lines name their axes."""
    stats = tables["thread_stats"]
    completeness = spec_of(charts.completeness_chart(chartdata.completeness_frame(stats)))
    scatter = spec_of(charts.size_depth_chart(chartdata.scatter_frame(stats)))
    votes = spec_of(
        charts.corpus_votes_chart(chartdata.corpus_votes_frame(tables["vote_history"], stats))
    )

    assert encodings(completeness)["y"]["field"] == "thread"
    assert encodings(completeness)["color"]["field"] == "part"
    assert encodings(scatter)["x"]["title"] == "comments collected"
    assert encodings(scatter)["y"]["title"] == "deepest reply"
    assert encodings(votes)["y"]["title"] == "post score"
    assert [r["score"] for r in rows(votes)] == [10, 15]


def test_templates_are_shared_but_data_is_not(tables: dict[str, pl.DataFrame]) -> None:
    """Two frames drawn by one cached template each keep their own rows."""
    depth = chartdata.depth_frame(tables["comments"])

    first = spec_of(charts.depth_chart(depth))
    second = spec_of(charts.depth_chart(depth.head(1)))

    assert len(rows(first)) == 5
    assert len(rows(second)) == 1
    assert isinstance(charts.depth_chart(depth), alt.Chart)
