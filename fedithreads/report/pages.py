"""The report's third step: what each page holds, laid out as blocks, and where it goes.

Pure: a page's values (fedithreads.report.pagedata) and its figures
(fedithreads.report.figures) in, a ``Page`` of blocks (fedithreads.report.blocks:
headings, facts, charts, notes, tables, the tree) out; fedithreads.report.html writes it.
Values are formatted for reading here (dates in UTC, durations, yes/no) but stay plain
text: escaping them is html's work, and a ``Link`` or a ``Cell`` with an ``href`` the
only way to make a link.

Layout of the report's pages: ``index.html`` at the top, one page per thread under
``threads/`` (``thread_file``); links between them are relative.

A thread page: a link back to the index (in the report), title, facts, its charts, for a
thread held by several instances its copies (chart and table), the thread_stats row, and
the thread as text. The index: totals, the corpus charts, and the thread_stats of the
largest threads as a sortable table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl

from fedithreads.report.blocks import (
    Block,
    Cell,
    Charts,
    Column,
    Facts,
    Heading,
    Link,
    Meta,
    Note,
    Page,
    Table,
    Tree,
)
from fedithreads.report.figures import FEDERATION, Figure
from fedithreads.report.pagedata import IndexData, ThreadData
from fedithreads.storage.atomic import safe_name

INDEX = "index.html"


def thread_file(instance: str, post_id: int) -> str:
    """The thread page's path inside the report directory."""
    return f"threads/{safe_name(instance)}-{post_id}.html"


def _root(path: str) -> str:
    """The report's directory as a relative URL from the page at ``path``."""
    return "../" * path.count("/")


def thread_page(data: ThreadData, figures: Sequence[Figure], *, index_link: bool = True) -> Page:
    """A thread's page: header, facts, charts, its stats row and the thread as text.

    ``index_link``: the page sits in a report and links back to its index.
    """
    stats = data.stats
    path = thread_file(stats["instance"], stats["post_id"])
    title = stats["title"] or f"{data.label} (post not collected)"
    back = [Meta((Link("← all threads", _root(path) + INDEX),))] if index_link else []
    blocks: list[Block] = [
        *back,
        Heading(title),
        Meta(_thread_meta(data)),
        Facts(_thread_facts(stats)),
        Charts(tuple(f for f in figures if f.name != FEDERATION)),
        *_copies(data, [f for f in figures if f.name == FEDERATION], path),
        Heading("Thread stats", 2),
        _key_values(stats),
        Heading("The thread", 2),
        _tree(data),
    ]
    return Page(path, _root(path), f"{title} — fedithreads", tuple(blocks), tuple(figures))


def _thread_meta(data: ThreadData) -> tuple[str | Link, ...]:
    stats = data.stats
    texts = [stats["community"], f"by {data.author}" if data.author else None, data.label]
    meta: list[str | Link] = [t for t in texts if t]
    ap_id = stats["ap_id"] or ""
    if ap_id.startswith(("https://", "http://")):  # never a javascript: link
        meta.append(Link("original", ap_id))
    meta.append(f"captured {_when(stats['collected_at'])}")
    return tuple(meta)


def _copies(data: ThreadData, figures: list[Figure], path: str) -> list[Block]:
    """The thread's copies on several instances: their chart, then a row per copy (each
    linking to its page), and the instances asked that had none."""
    copies = data.copies
    if copies is None:
        return []
    home = copies.filter("is_home")["instance"]
    said = f"home: {home[0]}" if home.len() else "the home copy was not collected"
    union = copies["comments_union"][0]
    names = ("collected", "missing vs union", "missing vs home", "extra vs home")
    fields = ("comments_collected", "missing_vs_union", "missing_vs_home", "extra_vs_home")
    columns = (
        Column("instance", False),
        Column("home", False),
        *(Column(n, True) for n in (*names, "score", "downvotes")),
    )
    rows = tuple(
        (
            _copy_cell(row, path),
            _cell(row["is_home"]),
            *(_cell(row[f]) for f in (*fields, "score", "downvotes")),
        )
        for row in copies.iter_rows(named=True)
    )
    answers = {False: "not there", None: "lookup failed", True: "found, not collected"}
    asked = [f"{instance} ({answers[found]})" for instance, found in data.no_copy]
    return [
        Heading(f"This thread on {copies.height} instances", 2),
        Meta((f"copies compared by ap_id; {said}; {union} comments in the union",)),
        Charts(tuple(figures)),
        Table(columns, rows),
        *([Note("Asked, no copy: " + ", ".join(asked) + ".")] if asked else []),
    ]


def _copy_cell(row: dict[str, Any], path: str) -> Cell:
    """The copy's instance, linking to its page unless it is this one."""
    own = thread_file(row["instance"], row["post_id"])
    return Cell(row["instance"], row["instance"], None if own == path else _root(path) + own)


def _tree(data: ThreadData) -> Tree | Note:
    if data.tree is not None:
        return Tree(data.tree)
    return Note(
        f"Not shown: more than {data.tree_cap} comments; see `fedithreads show {data.label}`."
    )


def index_page(data: IndexData, figures: Sequence[Figure]) -> Page:
    """The corpus page: totals, corpus charts and the sortable thread_stats table."""
    totals = data.totals
    capped = totals.threads > data.table_cap
    cap_note = [Note(f"The {data.table_cap} largest of {totals.threads} threads are listed.")]
    blocks: list[Block] = [
        Heading("fedithreads report"),
        Meta((f"{totals.threads} thread(s); activity bucket {data.bucket}",)),
        Facts(_index_facts(data)),
        Charts(tuple(figures)),
        Heading("Threads", 2),
        Meta(("Click a column to sort; click a thread for its page.",)),
        *(cap_note if capped else []),
        _stats_table(data),
    ]
    return Page(INDEX, _root(INDEX), "fedithreads report", tuple(blocks), tuple(figures))


def _index_facts(data: IndexData) -> tuple[tuple[str, str], ...]:
    t = data.totals
    return (
        ("threads", str(t.threads)),
        ("comments collected", str(t.comments)),
        ("complete", str(t.complete)),
        ("incomplete", str(t.threads - t.complete)),
        ("known missing", str(t.missing)),
        ("authors (sum over threads)", str(t.authors)),
    )


def _thread_facts(stats: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    reported = stats["comments_reported"]
    return (
        ("comments collected", str(stats["comments_collected"])),
        ("reported by the server", "–" if reported is None else str(reported)),
        ("complete", "yes" if stats["complete"] else f"no, {stats['missing']} missing"),
        ("authors", str(stats["authors"])),
        ("deepest reply", str(stats["max_depth"] or 0)),
        ("lifespan", _span(stats["lifespan_seconds"])),
    )


def _stats_table(data: IndexData) -> Table:
    stats = data.table
    names = stats.columns
    columns = [Column("thread", False)] + [
        Column(n, stats[n].dtype.is_numeric() or stats[n].dtype == pl.Boolean) for n in names
    ]
    rows = [
        (_thread_cell(label, row), *(_cell(row[n]) for n in names))
        for label, row in zip(data.labels, stats.iter_rows(named=True), strict=True)
    ]
    return Table(tuple(columns), tuple(rows))


def _thread_cell(label: str, row: dict[str, Any]) -> Cell:
    return Cell(label, label, thread_file(row["instance"], row["post_id"]))


def _key_values(stats: dict[str, Any]) -> Table:
    columns = (Column("column", False), Column("value", False))
    rows = tuple((Cell(name, name), _cell(value)) for name, value in stats.items())
    return Table(columns, rows)


def _cell(value: object) -> Cell:
    """A table value: what it sorts by, how it reads."""
    if value is None:
        return Cell(None, "–")
    if isinstance(value, bool):
        return Cell(int(value), "yes" if value else "no")
    if isinstance(value, float):
        return Cell(value, f"{value:,.2f}")
    if isinstance(value, datetime):
        return Cell(value.isoformat(), _when(value))
    return Cell(value, str(value))


def _when(value: datetime | None) -> str:
    return "–" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def _span(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if abs(seconds) >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"
