"""The report's second step: which charts a page holds, drawn from its frames.

``thread_figures`` and ``index_figures`` turn a page's values
(fedithreads.report.pagedata) into its ``Figure`` s in page order: a Vega-Lite spec built
by fedithreads.report.charts, or, where there is nothing to draw, a note saying why. A
thread page: activity (comments and authors per bucket, cumulative), reply depth, thread
shape (icicle, up to the shape cap), votes over collections, completeness, and for a
thread held by several instances its copies (``FEDERATION``, laid out apart from the
others by pages). The index: completeness and size/depth of the largest threads, corpus
activity and depth, post scores over collections.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fedithreads.report import charts
from fedithreads.report.fedchart import federation_chart
from fedithreads.report.pagedata import CommentFrames, IndexData, ThreadData


@dataclass(frozen=True, slots=True)
class Figure:
    """One chart of a page: its Vega-Lite spec, or ``None`` and a note saying why not."""

    name: str
    spec: dict[str, Any] | None
    note: str = ""


FEDERATION = "federation"
"""The name of the chart of a thread's copies."""


def _drawn(name: str, chart: charts.Chart) -> Figure:
    return Figure(name, chart.to_dict(validate=False))


def thread_figures(data: ThreadData) -> list[Figure]:
    """The charts of a thread page, in page order (notes where there is nothing to draw)."""
    if data.comments is None:
        figures = [Figure("activity", None, "No comments collected: nothing to draw.")]
    else:
        figures = [*_comment_figures(data.comments, "thread"), _shape(data)]
    figures.append(
        _drawn("votes", charts.votes_chart(data.votes))
        if data.votes.height
        else Figure("votes", None, "The post was not collected: no vote history.")
    )
    figures.append(_drawn("completeness", charts.completeness_chart(data.completeness)))
    if data.copies is not None:
        figures.append(_drawn(FEDERATION, federation_chart(data.copies)))
    return figures


def _comment_figures(frames: CommentFrames, scope: str) -> list[Figure]:
    activity, bucket = frames.activity, frames.bucket
    return [
        _drawn("activity", charts.activity_chart(activity, bucket, scope=scope)),
        _drawn("cumulative", charts.cumulative_chart(activity, bucket, scope=scope)),
        _drawn("depth", charts.depth_chart(frames.depth, scope=scope)),
    ]


def _shape(data: ThreadData) -> Figure:
    if data.comments is not None and data.comments.shape is not None:
        return _drawn("shape", charts.shape_chart(data.comments.shape))
    return Figure(
        "shape",
        None,
        f"Thread shape not drawn: more than {data.shape_cap}"
        " nodes (comments and missing ancestors).",
    )


def index_figures(data: IndexData) -> list[Figure]:
    """The corpus charts of the index page, in page order."""
    title = f"Completeness of the {data.top} largest thread(s)"
    figures = [_drawn("completeness", charts.completeness_chart(data.completeness, title=title))]
    if data.comments is not None:
        figures.append(_drawn("size-depth", charts.size_depth_chart(data.scatter)))
        figures += _comment_figures(data.comments, "corpus")
    if data.votes.height:
        figures.append(_drawn("votes", charts.corpus_votes_chart(data.votes)))
    return figures
