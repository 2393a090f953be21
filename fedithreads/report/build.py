"""The report in one pass: tables → page values → figures → pages → HTML → files.

Layout of ``--out DIR``::

    index.html                      corpus charts and the sortable thread_stats table
    threads/<instance>-<post>.html  one page per thread: charts, stats, the thread as text
    assets/vega.js                  Vega, Vega-Lite and vega-embed, bundled (no CDN)
    png/<page>-<chart>.png          every chart as PNG (with ``png=True``)

This module only runs the steps in order, one page at a time, each step handing the
next a finished value; no step calls back into an earlier one:

1. fedithreads.report.pagedata: the tables cut per thread, then each page's chart
   frames (chartdata), facts and text (render, fold);
2. fedithreads.report.figures: the page's charts (charts) as Vega-Lite specs;
3. fedithreads.report.pages: the page laid out as blocks;
4. fedithreads.report.html: the blocks as an HTML document;
5. fedithreads.report.write: the document and its charts' PNGs written to files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from fedithreads.analysis import pipeline
from fedithreads.core.tree import Thread
from fedithreads.report.chartdata import SHAPE_CAP
from fedithreads.report.figures import Figure, index_figures, thread_figures
from fedithreads.report.html import VEGA_ASSET, PageHtml, document, render, vega_bundle
from fedithreads.report.pagedata import (
    TREE_CAP,
    ThreadParts,
    index_data,
    split_threads,
    thread_data,
)
from fedithreads.report.pages import index_page, thread_page
from fedithreads.report.write import write_page, write_text

PATHS_UP_TO = max(SHAPE_CAP, TREE_CAP)
"""The largest thread whose paths a page reads (its shape and its text); the tables a
report is written from need no path of a bigger one (``pipeline.analyze(paths_up_to=)``)."""


@dataclass(frozen=True, slots=True)
class Written:
    """What ``write_report`` wrote: pages (index included) and PNG files."""

    out: Path
    pages: int
    pngs: int


def write_report(
    tables: dict[str, pl.DataFrame], out: Path, *, bucket: str, png: bool = False
) -> Written:
    """Write the index, one page per thread, the Vega asset and (``png``) every chart."""
    pages = pngs = 0
    for parts in split_threads(tables):
        pngs += _write(out, thread_html(parts, bucket=bucket), png=png)
        pages += 1
    data = index_data(tables, bucket=bucket)
    pngs += _write(out, render(index_page(data, index_figures(data))), png=png)
    write_text(out, VEGA_ASSET, vega_bundle())
    return Written(out, pages + 1, pngs)


def thread_html(
    parts: ThreadParts, *, bucket: str, index_link: bool = True, tree_cap: int | None = None
) -> PageHtml:
    """One thread's page as HTML (``tree_cap`` as for ``pagedata.thread_data``)."""
    data = thread_data(parts, bucket=bucket, tree_cap=tree_cap)
    return render(thread_page(data, thread_figures(data), index_link=index_link))


def thread_document(
    snapshots: pipeline.Snapshots, thread: Thread, *, bucket: str
) -> tuple[str, list[Figure]]:
    """One thread's page as a stand-alone HTML document (Vega inlined), and its figures."""
    key = (pl.col("instance") == thread.instance) & (pl.col("post_id") == thread.post_id)
    only = pipeline.Snapshots(
        snapshots.posts.filter(key),
        snapshots.comments.filter(key),
        tuple(thread.rejected),
        snapshots.data_dirs,
    )
    tables = pipeline.analyze(only, bucket=bucket, paths_up_to=PATHS_UP_TO)
    parts = next(split_threads(tables, {(thread.instance, thread.post_id): thread}))
    page = thread_html(parts, bucket=bucket, index_link=False, tree_cap=0)
    return document(page, vega_js=vega_bundle()), list(page.figures)


def _write(out: Path, page: PageHtml, *, png: bool) -> int:
    return write_page(out, page.path, document(page), page.figures if png else ())
