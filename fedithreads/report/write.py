"""The HTML report: an index page for a corpus and one page per thread, written offline.

Layout of ``--out DIR``::

    index.html                      corpus charts and the sortable thread_stats table
    threads/<instance>-<post>.html  one page per thread: charts, stats, the thread as text
    assets/vega.js                  Vega, Vega-Lite and vega-embed, bundled (no CDN)
    png/<page>-<chart>.png          every chart as PNG (with ``png=True``)

Charts come from fedithreads.report.charts; the pages from fedithreads.report.html (see
fedithreads.report.pages for what each page holds). Every file is written atomically;
pages of threads no longer in the corpus are left as they are.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import altair as alt
import polars as pl
import vl_convert

from fedithreads.analysis import pipeline
from fedithreads.core.tree import Thread
from fedithreads.report.html import page
from fedithreads.report.pages import Figure, Page, ThreadParts, index_page, thread_page
from fedithreads.storage.atomic import safe_name, write_atomic

VEGA_ASSET = "assets/vega.js"
PNG_SCALE = 2


@dataclass(frozen=True, slots=True)
class Written:
    """What ``write_report`` wrote: pages (index included) and PNG files."""

    out: Path
    pages: int
    pngs: int


def vegalite_version() -> str:
    """The Vega-Lite version Altair writes specs for (``"6.4"``), as vl-convert names it."""
    major_minor = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    known = vl_convert.get_vegalite_versions()
    return major_minor if major_minor in known else known[-1]


@functools.cache
def vega_bundle() -> str:
    """Vega + Vega-Lite + vega-embed as one script that sets window.vegaEmbed (≈ 0.9 MB)."""
    return str(vl_convert.javascript_bundle(_GLOBALS, vl_version=vegalite_version()))


_GLOBALS = "window.vegaEmbed = vegaEmbed; window.vegaLite = vegaLite; window.vega = vega;"


def chart_png(spec: dict[str, object]) -> bytes:
    """A chart as PNG, rendered in-process by vl-convert; external URLs are refused."""
    png = vl_convert.vegalite_to_png(
        spec, vl_version=vegalite_version(), scale=PNG_SCALE, allowed_base_urls=[]
    )
    return bytes(png)


def thread_file(instance: str, post_id: int) -> str:
    """The thread page's path inside the report directory."""
    return f"threads/{safe_name(instance)}-{post_id}.html"


def write_report(
    tables: dict[str, pl.DataFrame], out: Path, *, bucket: str, png: bool = False
) -> Written:
    """Write the index, one page per thread, the Vega asset and (``png``) every chart."""
    pages = pngs = 0
    for parts in split_threads(tables):
        name = thread_file(parts.stats["instance"], parts.stats["post_id"])
        built = thread_page(parts, bucket=bucket, index_href="../index.html")
        pngs += _write_page(out, name, built, vega_src="../" + VEGA_ASSET, png=png)
        pages += 1
    built = index_page(tables, bucket=bucket, thread_href=thread_file)
    pngs += _write_page(out, "index.html", built, vega_src=VEGA_ASSET, png=png)
    _write_text(out / VEGA_ASSET, vega_bundle())
    return Written(out, pages + 1, pngs)


def thread_document(
    snapshots: pipeline.Snapshots, thread: Thread, *, bucket: str
) -> tuple[str, list[Figure]]:
    """One thread's page as a stand-alone HTML document (Vega inlined), and its figures."""
    key = (pl.col("instance") == thread.instance) & (pl.col("post_id") == thread.post_id)
    only = pipeline.Snapshots(
        snapshots.posts.filter(key), snapshots.comments.filter(key), tuple(thread.rejected)
    )
    tables = pipeline.analyze(only, bucket=bucket)
    parts = next(split_threads(tables, {(thread.instance, thread.post_id): thread}))
    built = thread_page(parts, bucket=bucket, index_href=None, tree_cap=0)
    return page(built.title, built.body, vega_js=vega_bundle()), built.figures


def split_threads(
    tables: dict[str, pl.DataFrame], trees: dict[tuple[str, int], Thread] | None = None
) -> Iterator[ThreadParts]:
    """Each thread's stats row, current comments, post snapshots and tree, in stats order.

    The tables are partitioned once, so the work is linear in the corpus. A tree is
    rebuilt from the current rows unless ``trees`` gives it.
    """
    comments = _partition(tables["comments"], "post_id")
    posts = _partition(tables["posts"], "post_id")
    votes = _partition(tables["vote_history"].filter(pl.col("kind") == "post"), "id")
    empty = {name: tables[name].clear() for name in ("comments", "posts", "vote_history")}
    stats = tables["thread_stats"]
    for i, (instance, post_id) in enumerate(stats.select("instance", "post_id").iter_rows()):
        key = (instance, post_id)
        own = comments.get(key, empty["comments"])
        tree = (trees or {}).get(key) or _tree(posts.get(key, empty["posts"]), own, key)
        yield ThreadParts(stats.slice(i, 1), own, votes.get(key, empty["vote_history"]), tree)


def _partition(frame: pl.DataFrame, id_column: str) -> dict[tuple[str, int], pl.DataFrame]:
    parts = frame.partition_by("instance", id_column, as_dict=True, maintain_order=True)
    return {(str(k[0]), int(k[1])): v for k, v in parts.items()}


def _tree(posts: pl.DataFrame, comments: pl.DataFrame, key: tuple[str, int]) -> Thread:
    snapshots = pipeline.Snapshots(posts.lazy(), comments.lazy(), ())
    return pipeline.thread_from_tables(snapshots, *key)


def _write_page(out: Path, name: str, built: Page, *, vega_src: str, png: bool) -> int:
    _write_text(out / name, page(built.title, built.body, vega_src=vega_src))
    if not png:
        return 0
    stem = Path(name).stem
    drawn = [f for f in built.figures if f.spec is not None]
    for figure in drawn:
        assert figure.spec is not None
        _write_bytes(out / "png" / f"{stem}-{figure.name}.png", chart_png(figure.spec))
    return len(drawn)


def _write_text(path: Path, text: str) -> None:
    _write_bytes(path, text.encode("utf-8"))


def _write_bytes(path: Path, data: bytes) -> None:
    """Atomically, readable by others (a report is meant to be shared or served)."""

    def write(fh: IO[bytes]) -> None:
        os.fchmod(fh.fileno(), 0o644)
        fh.write(data)

    write_atomic(path, write)
