"""The chart of a thread's copies on several instances, drawn from ``chartdata.copies_frame``.

One bar per copy: the comments its instance holds, split into those the home copy holds
too and those it does not; a dashed rule at the union's size (every comment any copy
holds, by ap_id) and a solid one at the home copy's, so a bar's gap to the dashed rule is
what the copy lacks against the union. Without a home copy, one plain bar per copy. Like
fedithreads.report.charts (whose sizes and axes it shares) it only describes the chart.
"""

from __future__ import annotations

import altair as alt
import polars as pl

from fedithreads.report.charts import COUNT_AXIS, WIDTH, Chart

__all__ = ["federation_chart"]

_PARTS = ("shared_with_home", "extra_vs_home")
_NAMES = ("also in the home copy", "not in the home copy")
_PART = alt.Scale(domain=list(_NAMES), range=["#4c78a8", "#f58518"])


def federation_chart(frame: pl.DataFrame) -> Chart:
    """Comments collected per copy against the union (dashed) and the home copy (solid)."""
    union = frame["comments_union"][0]
    home = frame["comments_home"][0]
    against = f"dashed: the union ({union})"
    against += f", solid: the home copy ({home})" if home is not None else "; home not collected"
    bars = alt.Chart()
    if home is None:
        x = alt.X("comments_collected:Q", title="comments", axis=COUNT_AXIS)
        colour: alt.Color | alt.ColorDatum = alt.ColorDatum("collected")
    else:
        bars = bars.transform_fold(list(_PARTS), as_=["part", "comments"]).transform_calculate(
            part=f"datum.part == '{_PARTS[0]}' ? '{_NAMES[0]}' : '{_NAMES[1]}'"
        )
        x = alt.X("comments:Q", title="comments", axis=COUNT_AXIS, stack="zero")
        colour = alt.Color("part:N", scale=_PART, title=None, sort=list(_NAMES))
    bars = bars.mark_bar().encode(
        y=alt.Y("copy:N", title="instance", sort=None),
        x=x,
        color=colour,
        tooltip=[
            alt.Tooltip("copy:N", title="instance"),
            alt.Tooltip("comments_collected:Q", title="collected"),
            alt.Tooltip("missing_vs_union:Q", title="missing vs union"),
            alt.Tooltip("missing_vs_home:Q", title="missing vs home"),
            alt.Tooltip("extra_vs_home:Q", title="extra vs home"),
            "score:Q",
            "downvotes:Q",
        ],
    )
    layers: list[alt.Chart] = [bars, _rule("comments_union", "union", [5, 3])]
    if home is not None:
        layers.append(_rule("comments_home", "home copy", []))
    layered = alt.LayerChart(
        data=frame,
        layer=layers,
        title=alt.TitleParams(
            f"The thread on {frame.height} instances",
            subtitle=f"comments collected per copy; {against}",
            anchor="start",
        ),
        width=WIDTH,
        height=max(60, 26 * frame.height),
    )
    configured: alt.LayerChart = layered.configure_legend(orient="top")
    return configured


def _rule(field: str, title: str, dash: list[int]) -> alt.Chart:
    """A vertical rule at the (one) value of ``field``."""
    chart: alt.Chart = (
        alt.Chart()
        .mark_rule(color="#333333", strokeWidth=2, strokeDash=dash)
        .encode(
            x=alt.X(f"max({field}):Q", title="comments"),
            tooltip=[alt.Tooltip(f"max({field}):Q", title=title)],
        )
    )
    return chart
