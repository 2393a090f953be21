"""What the report's pages hold: which charts, facts and tables, for a thread or a corpus.

Pure: frames in, HTML bodies and chart specs out (fedithreads.report.write writes them).

A thread page: activity (comments and authors per bucket, cumulative), reply depth,
thread shape (icicle, up to ``chartdata.SHAPE_CAP`` nodes), votes over collections,
completeness, the thread_stats row, and the thread as text (``show``'s tree; in the
report up to ``TREE_CAP`` comments, for ``show`` all). The index: completeness and
size/depth of the largest threads, corpus activity and depth, post scores over
collections, and thread_stats as a sortable table (the ``TABLE_CAP`` largest threads).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from fedithreads.core.tree import Thread
from fedithreads.report import chartdata, charts
from fedithreads.report import html as htmlpage
from fedithreads.report.fold import fold_lines
from fedithreads.report.render import render_thread

TREE_CAP = 500
TREE_WIDTH = 100
TABLE_CAP = 5000


@dataclass(frozen=True, slots=True)
class Figure:
    """One chart of a page: its Vega-Lite spec, or ``None`` and a note saying why not."""

    name: str
    spec: dict[str, Any] | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Page:
    title: str
    body: str
    figures: list[Figure]


@dataclass(frozen=True, slots=True)
class ThreadParts:
    """One thread's rows: thread_stats (one row), current comments, the post's votes."""

    stats_frame: pl.DataFrame
    comments: pl.DataFrame
    votes: pl.DataFrame
    tree: Thread

    @property
    def stats(self) -> dict[str, Any]:
        return self.stats_frame.row(0, named=True)


def _figure(name: str, chart: charts.Chart) -> Figure:
    return Figure(name, chart.to_dict(validate=False))


def thread_figures(parts: ThreadParts, *, bucket: str) -> list[Figure]:
    """The charts of a thread page, in page order (notes where there is nothing to draw)."""
    stats, comments = parts.stats, parts.comments
    figures = []
    if comments.height:
        frame, width = chartdata.activity_frame(comments, bucket, since=stats["published"])
        figures += [
            _figure("activity", charts.activity_chart(frame, width)),
            _figure("cumulative", charts.cumulative_chart(frame, width)),
            _figure("depth", charts.depth_chart(chartdata.depth_frame(comments))),
        ]
        shape = chartdata.shape_frame(comments)
        figures.append(
            _figure("shape", charts.shape_chart(shape))
            if shape is not None
            else Figure(
                "shape",
                None,
                f"Thread shape not drawn: more than {chartdata.SHAPE_CAP}"
                " nodes (comments and missing ancestors).",
            )
        )
    else:
        figures.append(Figure("activity", None, "No comments collected: nothing to draw."))
    votes = chartdata.votes_frame(parts.votes, stats["instance"], stats["post_id"])
    figures.append(
        _figure("votes", charts.votes_chart(votes))
        if votes.height
        else Figure("votes", None, "The post was not collected: no vote history.")
    )
    completeness = chartdata.completeness_frame(parts.stats_frame)
    figures.append(_figure("completeness", charts.completeness_chart(completeness)))
    return figures


def thread_page(
    parts: ThreadParts, *, bucket: str, index_href: str | None, tree_cap: int | None = None
) -> Page:
    """A thread's page: header, facts, charts, its stats row and the thread as text.

    The text is left out above ``tree_cap`` comments (default ``TREE_CAP``; 0 = no cap):
    wrapping it is the costliest part of a page.
    """
    cap = TREE_CAP if tree_cap is None else tree_cap
    stats, post = parts.stats, parts.tree.post
    label = chartdata.thread_label(stats["instance"], stats["post_id"])
    title = stats["title"] or f"{label} (post not collected)"
    back = f'<p class="meta"><a href="{htmlpage.esc(index_href)}">← all threads</a></p>'
    texts = [stats["community"], f"by {post.author}" if post else None, label]
    meta = [htmlpage.esc(t) for t in texts if t]
    ap_id = stats["ap_id"] or ""
    if ap_id.startswith(("https://", "http://")):  # never a javascript: link
        meta.append(f'<a href="{htmlpage.esc(ap_id)}">original</a>')
    meta.append(f"captured {_when(stats['collected_at'])}")
    figures = thread_figures(parts, bucket=bucket)
    body = "\n".join(
        [
            back if index_href else "",
            f"<h1>{htmlpage.esc(title)}</h1>",
            '<p class="meta">' + " · ".join(meta) + "</p>",
            htmlpage.facts(_thread_facts(stats)),
            _charts(figures),
            "<h2>Thread stats</h2>",
            _key_values(stats),
            "<h2>The thread</h2>",
            htmlpage.tree(fold_lines(render_thread(parts.tree, width=TREE_WIDTH), TREE_WIDTH))
            if not cap or stats["comments_collected"] <= cap
            else htmlpage.note(
                f"Not shown: more than {cap} comments; see `fedithreads show {label}`."
            ),
        ]
    )
    return Page(f"{title} — fedithreads", body, figures)


def index_figures(tables: dict[str, pl.DataFrame], *, bucket: str) -> list[Figure]:
    """The corpus charts of the index page, in page order."""
    stats, comments = tables["thread_stats"], tables["comments"]
    top = chartdata.top_threads(stats)
    figures = [
        _figure(
            "completeness",
            charts.completeness_chart(
                chartdata.completeness_frame(top),
                title=f"Completeness of the {top.height} largest thread(s)",
            ),
        )
    ]
    if comments.height:
        frame, width = chartdata.activity_frame(comments, bucket)
        figures += [
            _figure("size-depth", charts.size_depth_chart(chartdata.scatter_frame(stats))),
            _figure("activity", charts.activity_chart(frame, width, scope="corpus")),
            _figure("cumulative", charts.cumulative_chart(frame, width, scope="corpus")),
            _figure("depth", charts.depth_chart(chartdata.depth_frame(comments), scope="corpus")),
        ]
    votes = chartdata.corpus_votes_frame(tables["vote_history"], top)
    if votes.height:
        figures.append(_figure("votes", charts.corpus_votes_chart(votes)))
    return figures


def index_page(
    tables: dict[str, pl.DataFrame], *, bucket: str, thread_href: Callable[[str, int], str]
) -> Page:
    """The corpus page: totals, corpus charts and the sortable thread_stats table."""
    stats = tables["thread_stats"]
    complete = int(stats["complete"].sum())
    shown = chartdata.top_threads(stats, TABLE_CAP)
    cap_note = (
        htmlpage.note(f"The {TABLE_CAP} largest of {stats.height} threads are listed.")
        if stats.height > TABLE_CAP
        else ""
    )
    facts = [
        ("threads", stats.height),
        ("comments collected", int(stats["comments_collected"].sum())),
        ("complete", complete),
        ("incomplete", stats.height - complete),
        ("known missing", int(stats["missing"].sum())),
        ("authors (sum over threads)", int(stats["authors"].sum())),
    ]
    figures = index_figures(tables, bucket=bucket)
    body = "\n".join(
        [
            "<h1>fedithreads report</h1>",
            f'<p class="meta">{stats.height} thread(s); activity bucket {bucket}</p>',
            htmlpage.facts(facts),
            _charts(figures),
            "<h2>Threads</h2>",
            '<p class="meta">Click a column to sort; click a thread for its page.</p>',
            cap_note,
            _stats_table(shown, thread_href),
        ]
    )
    return Page("fedithreads report", body, figures)


def _charts(figures: list[Figure]) -> str:
    blocks = [
        htmlpage.chart(f"chart-{f.name}", f.spec) if f.spec is not None else htmlpage.note(f.note)
        for f in figures
    ]
    return '<div class="charts">' + "\n".join(blocks) + "</div>"


def _thread_facts(stats: dict[str, Any]) -> list[tuple[str, object]]:
    reported = stats["comments_reported"]
    return [
        ("comments collected", stats["comments_collected"]),
        ("reported by the server", "–" if reported is None else reported),
        ("complete", "yes" if stats["complete"] else f"no, {stats['missing']} missing"),
        ("authors", stats["authors"]),
        ("deepest reply", stats["max_depth"] or 0),
        ("lifespan", _span(stats["lifespan_seconds"])),
    ]


def _stats_table(stats: pl.DataFrame, href: Callable[[str, int], str] | None = None) -> str:
    names = stats.columns
    columns = [
        htmlpage.Column(n, stats[n].dtype.is_numeric() or stats[n].dtype == pl.Boolean)
        for n in names
    ]
    if href is not None:
        columns.insert(0, htmlpage.Column("thread", False))
    rows = []
    for row in stats.iter_rows(named=True):
        cells = [_cell(row[n]) for n in names]
        if href is not None:
            label = chartdata.thread_label(row["instance"], row["post_id"])
            link = f'<a href="{htmlpage.esc(href(row["instance"], row["post_id"]))}">'
            cells.insert(0, (label, link + htmlpage.esc(label) + "</a>"))
        rows.append(cells)
    return htmlpage.table(columns, rows)


def _key_values(stats: dict[str, Any]) -> str:
    columns = [htmlpage.Column("column", False), htmlpage.Column("value", False)]
    rows = [[(name, htmlpage.esc(name)), _cell(value)] for name, value in stats.items()]
    return htmlpage.table(columns, rows)


def _cell(value: object) -> tuple[object, str]:
    """(sort value, shown HTML) of one table value."""
    if value is None:
        return None, "–"
    if isinstance(value, bool):
        return int(value), "yes" if value else "no"
    if isinstance(value, float):
        return value, f"{value:,.2f}"
    if isinstance(value, datetime):
        return value.isoformat(), _when(value)
    return value, htmlpage.esc(value)


def _when(value: datetime | None) -> str:
    return "–" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def _span(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if abs(seconds) >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"
