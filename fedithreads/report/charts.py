"""Altair chart builders: one function per chart, each drawing a frame from chartdata
(the chart of a thread's copies is in fedithreads.report.fedchart).

Every chart has a title, titled axes and a tooltip; time axes are UTC. The builders only
describe charts (fedithreads.report.figures turns them into the Vega-Lite specs of a
page; html embeds those, write renders them as PNG). Sizes are fixed so the browser and
PNG renderings match.

Building an Altair encoding costs milliseconds (schema work), so each chart is built once
per set of parameters as a template without data (``_template_*``, cached) and every
frame gets a shallow copy of it: a report of many threads stays fast.
"""

from __future__ import annotations

import functools
from typing import TypeAlias, TypeVar

import altair as alt
import polars as pl
import vl_convert

from fedithreads.report.chartdata import STATUS_ORDER

Chart: TypeAlias = alt.Chart | alt.LayerChart
WIDTH = 460
HEIGHT = 200
STATUS_COLOURS = ("#6b7280", "#4c78a8", "#f58518", "#e45756", "#bab0ac")
_STATUS = alt.Scale(domain=list(STATUS_ORDER), range=list(STATUS_COLOURS))
_UTC = alt.Scale(type="utc")
COUNT_AXIS = alt.Axis(tickMinStep=1, labelExpr="datum.value % 1 ? '' : format(datum.value, ',')")
"""An axis of counts: whole numbers only (tickMinStep alone still labels 0.5 as 1)."""
_COUNT = COUNT_AXIS
C = TypeVar("C", alt.Chart, alt.LayerChart)


def _vegalite_version() -> str:
    major_minor = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    known = vl_convert.get_vegalite_versions()
    return major_minor if major_minor in known else known[-1]


VEGALITE_VERSION = _vegalite_version()
"""The Vega-Lite version the specs are written for (``"6.4"``), as vl-convert names it:
the version html's Vega bundle and write's PNG renderer must use."""


def _with_data(template: C, frame: pl.DataFrame) -> C:
    chart = template.copy(deep=False)
    chart.data = frame
    return chart


def _time(field: str, title: str) -> alt.X:
    return alt.X(f"{field}:T", title=title, scale=_UTC, axis=alt.Axis(format="%Y-%m-%d %H:%M"))


def _heading(title: str, subtitle: str) -> alt.TitleParams:
    return alt.TitleParams(title, subtitle=subtitle or alt.Undefined, anchor="start")


def _base(title: str, subtitle: str = "", height: int = HEIGHT) -> alt.Chart:
    return alt.Chart().properties(title=_heading(title, subtitle), width=WIDTH, height=height)


def activity_chart(frame: pl.DataFrame, bucket: str, *, scope: str = "thread") -> Chart:
    """Comments (bars) and distinct authors (dots) per time bucket."""
    return _with_data(_activity(bucket, scope), frame)


@functools.lru_cache(maxsize=64)
def _activity(bucket: str, scope: str) -> alt.LayerChart:
    x = _time("bucket_start", f"time (UTC, {bucket} buckets)")
    tooltip = [
        alt.Tooltip("bucket_start:T", title="bucket start (UTC)", format="%Y-%m-%d %H:%M"),
        alt.Tooltip("comments:Q"),
        alt.Tooltip("authors:Q"),
    ]
    base = alt.Chart()
    bars = base.mark_bar(opacity=0.8).encode(
        x=x,
        x2="bucket_end:T",
        y=alt.Y("comments:Q", title=f"per {bucket} bucket", axis=_COUNT),
        y2=alt.datum(0),
        color=alt.datum("comments"),
        tooltip=tooltip,
    )
    authors = base.mark_circle(size=36, opacity=0.9).encode(
        x=x, y=alt.Y("authors:Q"), color=alt.datum("distinct authors"), tooltip=tooltip
    )
    layered = alt.LayerChart(
        layer=[bars, authors],
        title=_heading(f"Activity of the {scope}", f"comments and authors per {bucket}"),
        width=WIDTH,
        height=HEIGHT,
    )
    configured: alt.LayerChart = layered.configure_legend(orient="top", title=None)
    return configured


def cumulative_chart(frame: pl.DataFrame, bucket: str, *, scope: str = "thread") -> Chart:
    """The running total of comments, a step per bucket."""
    return _with_data(_cumulative(bucket, scope), frame)


@functools.lru_cache(maxsize=64)
def _cumulative(bucket: str, scope: str) -> alt.Chart:
    chart: alt.Chart = (
        _base(f"Comments so far in the {scope}", f"cumulative, by {bucket} bucket")
        .mark_line(interpolate="step-after", point=True)
        .encode(
            x=_time("bucket_start", "time (UTC)"),
            y=alt.Y("cumulative_comments:Q", title="comments so far", axis=_COUNT),
            tooltip=[
                alt.Tooltip("bucket_start:T", title="bucket start (UTC)", format="%Y-%m-%d %H:%M"),
                alt.Tooltip("cumulative_comments:Q", title="comments so far"),
            ],
        )
    )
    return chart


def depth_chart(frame: pl.DataFrame, *, scope: str = "thread") -> Chart:
    """Comments per reply depth (or per range of depths), stacked by status."""
    width = int(frame["depth_end"][0] - frame["depth"][0] + 1) if frame.height else 1
    return _with_data(_depth(scope, width), frame)


@functools.lru_cache(maxsize=8)
def _depth(scope: str, width: int) -> alt.Chart:
    title = "reply depth" if width == 1 else f"reply depth ({width} depths per bar, from)"
    chart: alt.Chart = (
        _base(f"Reply depth in the {scope}", "comments per depth (1 = top-level)")
        .mark_bar()
        .encode(
            x=alt.X("depth:O", title=title, axis=alt.Axis(labelAngle=0, labelOverlap=True)),
            y=alt.Y("comments:Q", title="comments", axis=_COUNT),
            color=alt.Color("status:N", scale=_STATUS, title="status"),
            tooltip=["depth:O", "depth_end:O", "status:N", "comments:Q"],
        )
    )
    return chart


def shape_chart(frame: pl.DataFrame) -> Chart:
    """The reply tree as an icicle: the post on top, each reply under its parent."""
    deepest: int = frame.select(pl.col("depth").max().fill_null(0)).item()
    return _with_data(_shape(min(600, max(120, 22 * (deepest + 1)))), frame)


@functools.lru_cache(maxsize=64)
def _shape(height: int) -> alt.Chart:
    chart: alt.Chart = (
        _base(
            "Thread shape",
            "icicle of the reply tree: width = replies beneath, rows = depth",
            height=height,
        )
        .transform_calculate(depth_end="datum.depth + 1")
        .mark_rect(stroke="white", strokeWidth=0.3)
        .encode(
            x=alt.X(
                "x0:Q",
                title="comments in tree order (width = subtree size)",
                scale=alt.Scale(zero=True, nice=False),
                axis=_COUNT,
            ),
            x2="x1:Q",
            y=alt.Y(
                "depth:Q",
                title="reply depth",
                scale=alt.Scale(reverse=True, nice=False),
                axis=_COUNT,
            ),
            y2="depth_end:Q",
            color=alt.Color("status:N", scale=_STATUS, title="status"),
            tooltip=[
                "author:N",
                "score:Q",
                "depth:Q",
                "status:N",
                alt.Tooltip("published:T", title="published (UTC)", format="%Y-%m-%d %H:%M"),
            ],
        )
    )
    return chart


def votes_chart(frame: pl.DataFrame) -> Chart:
    """The post's score, upvotes and downvotes at each collection (vote_history)."""
    return _with_data(_votes(frame["collected_at"].n_unique()), frame)


@functools.lru_cache(maxsize=64)
def _votes(snapshots: int) -> alt.Chart:
    chart: alt.Chart = (
        _base("Votes over collections", f"the post at each of {snapshots} snapshot(s)")
        .mark_line(point=True)
        .encode(
            x=_time("collected_at", "collected at (UTC)"),
            y=alt.Y("value:Q", title="votes", axis=_COUNT),
            color=alt.Color(
                "count:N",
                title="count",
                scale=alt.Scale(
                    domain=["score", "upvotes", "downvotes"],
                    range=["#4c78a8", "#54a24b", "#e45756"],
                ),
            ),
            tooltip=[
                alt.Tooltip("collected_at:T", title="collected at (UTC)", format="%Y-%m-%d %H:%M"),
                "count:N",
                "value:Q",
            ],
        )
    )
    return chart


def completeness_chart(frame: pl.DataFrame, *, title: str = "Completeness") -> Chart:
    """Comments collected and known missing per thread (stacked horizontal bars)."""
    return _with_data(_completeness(title, frame["thread"].n_unique()), frame)


@functools.lru_cache(maxsize=8)
def _completeness(title: str, threads: int) -> alt.Chart:
    chart: alt.Chart = (
        _base(title, "collected vs. known missing (a lower bound)", height=max(30, 22 * threads))
        .mark_bar()
        .encode(
            y=alt.Y("thread:N", title="thread", sort=None),
            x=alt.X("comments:Q", title="comments", stack="zero", axis=_COUNT),
            color=alt.Color(
                "part:N",
                title="comments",
                scale=alt.Scale(domain=["collected", "missing"], range=["#4c78a8", "#e45756"]),
            ),
            tooltip=["thread:N", "part:N", "comments:Q", "complete:N"],
        )
    )
    return chart


def size_depth_chart(frame: pl.DataFrame) -> Chart:
    """Threads by size and depth: one point per thread, sized by authors."""
    chart: alt.Chart = (
        _base("Thread size and depth", f"{frame.height} thread(s) with comments")
        .mark_circle(opacity=0.7)
        .encode(
            x=alt.X(
                "comments_collected:Q", title="comments collected", scale=alt.Scale(type="symlog")
            ),
            y=alt.Y("max_depth:Q", title="deepest reply", axis=_COUNT),
            size=alt.Size("authors:Q", title="authors", scale=alt.Scale(range=[30, 600])),
            color=alt.Color(
                "complete:N",
                title="complete",
                scale=alt.Scale(domain=[True, False], range=["#4c78a8", "#e45756"]),
            ),
            tooltip=[
                "thread:N",
                "title:N",
                "comments_collected:Q",
                "max_depth:Q",
                "authors:Q",
                alt.Tooltip("structural_virality:Q", format=".2f"),
            ],
        )
    )
    return _with_data(chart, frame)


def corpus_votes_chart(frame: pl.DataFrame) -> Chart:
    """Post score at each collection, one line per thread (the largest threads)."""
    threads = frame["thread"].n_unique()
    chart: alt.Chart = (
        _base("Post scores over collections", f"the {threads} largest thread(s)")
        .mark_line(point=True)
        .encode(
            x=_time("collected_at", "collected at (UTC)"),
            y=alt.Y("score:Q", title="post score", axis=_COUNT),
            color=alt.Color("thread:N", title="thread", legend=alt.Legend(orient="bottom")),
            tooltip=[
                "thread:N",
                alt.Tooltip("collected_at:T", title="collected at (UTC)", format="%Y-%m-%d %H:%M"),
                "score:Q",
            ],
        )
    )
    return _with_data(chart, frame)
