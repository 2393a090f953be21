"""Commands that read collected data or saved responses: analyze, show, export, report."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from fedithreads.cli.common import (
    SOURCES,
    console,
    data_dir_of,
    from_options,
    known_errors,
    out_dir,
    settings_options,
)
from fedithreads.errors import UsageError
from fedithreads.formats import FORMATS as RESEARCH_FORMATS
from fedithreads.storage.formats import FORMATS

if TYPE_CHECKING:  # the work is imported by each command as it runs: --help stays quick
    from fedithreads.analysis import pipeline
    from fedithreads.analysis.unionthread import UnionThread
    from fedithreads.core.tree import Thread


@click.command()
@SOURCES
@click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), help="Write the tables here."
)
@click.option("--bucket", help="Activity bucket width, e.g. 30m, 1h, 1d (default: config).")
@click.option(
    "--streaming",
    is_flag=True,
    help="For data dirs larger than memory: one instance at a time, read by Polars' "
    "streaming engine (the same tables); with --out, each instance's rows are written as "
    "they are computed, partitioned by instance as export --partitioned writes them.",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    help="Instances analysed at once (default 2; 1 with --streaming). More is faster over "
    "many instances, and holds that many instances' rows in memory at once; the tables "
    "are the same.",
)
@settings_options
@known_errors
def analyze(
    sources: tuple[Path, ...],
    out: Path | None,
    bucket: str | None,
    streaming: bool,
    jobs: int | None,
    config_path: Path | None,
    data_dir: str | None,
) -> None:
    """Compute thread stats from SOURCEs: fixture files/dirs of raw API JSON, or data dirs.

    Without SOURCE, the data dir is analysed. Prints one row per thread; with --out, writes
    posts, comments, thread_stats, activity, vote_history, federation and
    comment_presence as Parquet.
    """
    from fedithreads.analysis import pipeline
    from fedithreads.cli.terminal import summary_table
    from fedithreads.core.units import check_duration
    from fedithreads.storage.tables import write_tables

    settings = from_options(config_path, data_dir)
    if bucket is not None:
        bucket = check_duration(bucket, "--bucket")
        settings = replace(settings, activity_bucket=bucket)
    started = time.perf_counter()
    snapshots = pipeline.load_snapshots(sources, data_dir_of(settings))
    if streaming and out is not None:  # not even the results held: written as they come
        stats = pipeline.analyze_into(
            snapshots, out, bucket=settings.activity_bucket, jobs=jobs or 1
        )
        console().print(summary_table(stats))
        done = time.perf_counter() - started
        console(stderr=True).print(f"wrote {out}/ (partitioned by instance) in {done:.2f}s")
        return
    tables = pipeline.analyze(
        snapshots, bucket=settings.activity_bucket, streaming=streaming, jobs=jobs
    )
    console().print(summary_table(tables["thread_stats"]))
    err = console(stderr=True)
    if snapshots.rejected:
        err.print(f"{len(snapshots.rejected)} comment(s) left out for invalid paths:")
        for r in snapshots.rejected[:20]:
            err.print(f"  {r.record.instance} comment {r.record.comment_id}: {r.reason}")
    if out is not None:
        write_tables(tables, out)
        counts = ", ".join(f"{k} {v.height}" for k, v in tables.items())
        err.print(f"wrote {out}/ ({counts} rows) in {time.perf_counter() - started:.2f}s")


@click.command()
@click.argument("post")
@SOURCES
@click.option("--width", type=click.IntRange(40, 400), help="Wrap text to this many columns.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "html", "json"]),
    default="text",
    show_default=True,
    help="text: the terminal tree; html: the report's thread page; json: the nested tree.",
)
@click.option(
    "--union",
    is_flag=True,
    help="The union of the thread's copies on every instance collected (text or json), "
    "each comment marked with the instances that lack it.",
)
@settings_options
@known_errors
def show(
    post: str,
    sources: tuple[Path, ...],
    width: int | None,
    fmt: str,
    union: bool,
    config_path: Path | None,
    data_dir: str | None,
) -> None:
    """Render one thread as an indented tree (or its report page, or nested JSON).

    POST is a post URL (https://host/post/123), an ap_id, or a post id; SOURCEs as for
    analyze (default: the data dir). With --union, any copy's URL or the ap_id names the
    thread, and its copies on every instance are shown as one tree.
    """
    if union and fmt == "html":
        raise UsageError(
            "show --union prints text or json, not html; `fedithreads report` compares "
            "the copies on each copy's thread page"
        )
    from fedithreads.analysis import pipeline
    from fedithreads.analysis.unionthread import UnionThread
    from fedithreads.cli.terminal import print_lines
    from fedithreads.report.render import render_thread

    settings = from_options(config_path, data_dir)
    snapshots = pipeline.load_snapshots(sources, data_dir_of(settings))
    found = (
        pipeline.find_union(snapshots, post)
        if union
        else pipeline.find_thread(snapshots, post, paths=fmt == "json")  # text, page: no paths
    )
    if isinstance(found, UnionThread):
        _show_union(found, fmt, width)
        return
    thread = found
    if fmt != "text":
        _show_document(snapshots, thread, fmt, settings.activity_bucket)
        return
    out = console()
    print_lines(out, render_thread(thread, width=width or min(out.width, 100)))


def _show_union(union: UnionThread, fmt: str, width: int | None) -> None:
    """``show --union``: the union tree as text or as nested JSON, on stdout."""
    from fedithreads.cli.terminal import print_lines
    from fedithreads.report.unionview import render_union, union_tree

    if fmt == "json":
        _print_json(union_tree(union))
        return
    out = console()
    print_lines(out, render_union(union, width=width or min(out.width, 100)))


def _show_document(snapshots: pipeline.Snapshots, thread: Thread, fmt: str, bucket: str) -> None:
    """``show --format html|json``: the thread page or the nested tree, on stdout."""
    from fedithreads.report.render import thread_tree

    if fmt == "json":
        _print_json(thread_tree(thread))
        return
    from fedithreads.report.build import thread_document

    document, _ = thread_document(snapshots, thread, bucket=bucket)
    click.echo(document, nl=False)


def _print_json(tree: dict[str, Any]) -> None:
    """The tree as JSON on stdout, written without recursion (threads can be deep)."""
    from fedithreads.report.jsontext import json_text

    pieces: list[str] = []
    for piece in json_text(tree):
        pieces.append(piece)
        if len(pieces) >= 10_000:
            click.echo("".join(pieces), nl=False)
            pieces.clear()
    click.echo("".join(pieces))


PSEUDONYMISE = click.option(
    "--pseudonymise",
    is_flag=True,
    help="Replace every author (columns, @user@host mentions in text) by a pseudonym "
    "keyed by $FEDITHREADS_PSEUDONYM_KEY: the same key, the same pseudonyms.",
)


@click.command()
@SOURCES
@out_dir("Directory to write the tables to.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*FORMATS, *RESEARCH_FORMATS]),
    default="parquet",
    show_default=True,
    help="The tables as parquet, csv or jsonl; convokit: a ConvoKit corpus; edges: the "
    "reply and author graphs (Parquet, CSV, GraphML).",
)
@click.option(
    "--partitioned",
    is_flag=True,
    help="Parquet partitioned by instance, for DuckDB and Spark: DIR/<table>/instance=<host>/.",
)
@PSEUDONYMISE
@settings_options
@known_errors
def export(
    sources: tuple[Path, ...],
    out: Path,
    fmt: str,
    partitioned: bool,
    pseudonymise: bool,
    config_path: Path | None,
    data_dir: str | None,
) -> None:
    """Write the current tables (posts, comments, thread_stats, activity, vote_history,
    federation, comment_presence, moderation, authors), or a ConvoKit corpus, or the
    reply and author graphs.

    Reads the data dir unless SOURCEs are given (as for analyze). With --partitioned,
    each table is a directory of Parquet files, one per instance; exporting again into
    the same DIR replaces them.
    """
    if partitioned and fmt != "parquet":
        raise UsageError(f"--partitioned writes parquet only; drop --format {fmt} or --partitioned")
    from fedithreads.analysis import pipeline
    from fedithreads.analysis.pseudonyms import pseudonym_key
    from fedithreads.core.schema import TABLES
    from fedithreads.storage.exports import refuse_foreign, write_partitioned
    from fedithreads.storage.tables import write_tables

    key = pseudonym_key(os.environ) if pseudonymise else None
    if partitioned:
        refuse_foreign(out, TABLES)  # before the analysis, which may take long
    settings = from_options(config_path, data_dir)
    snapshots = pipeline.load_snapshots(sources, data_dir_of(settings))
    tables = _pseudonymised(pipeline.analyze(snapshots, bucket=settings.activity_bucket), key)
    written: Sequence[object]
    if fmt in RESEARCH_FORMATS:
        from fedithreads.formats.write import write_format

        written = write_format(fmt, tables, out, pseudonymised=key is not None)
    elif partitioned:
        written = write_partitioned(tables, out)
    else:
        written = write_tables(tables, out, fmt)
    console(stderr=True).print(f"wrote {len(written)} {fmt} files to {out}/")


def _pseudonymised(tables: dict[str, Any], key: bytes | None) -> dict[str, Any]:
    """The tables with authors pseudonymised under ``key``; as they are without one."""
    from fedithreads.analysis.pseudonyms import pseudonymise as pseudonymise_tables

    return tables if key is None else pseudonymise_tables(tables, key)


@click.command()
@SOURCES
@out_dir("Directory to write the report to (index.html, threads/, assets/).")
@click.option("--png", is_flag=True, help="Also write every chart as PNG under DIR/png/.")
@click.option("--bucket", help="Activity bucket width, e.g. 30m, 1h, 1d (default: config).")
@PSEUDONYMISE
@settings_options
@known_errors
def report(
    sources: tuple[Path, ...],
    out: Path,
    png: bool,
    bucket: str | None,
    pseudonymise: bool,
    config_path: Path | None,
    data_dir: str | None,
) -> None:
    """Write an HTML report of SOURCEs: an index page and one page per thread.

    SOURCEs as for analyze (default: the data dir). The pages open offline (the Vega
    libraries are in DIR/assets/); charts: activity, reply depth, thread shape, votes over
    collections, completeness, and a sortable thread_stats table.
    """
    from fedithreads.analysis import pipeline
    from fedithreads.analysis.pseudonyms import pseudonym_key
    from fedithreads.core.units import check_duration
    from fedithreads.report.build import PATHS_UP_TO, write_report

    key = pseudonym_key(os.environ) if pseudonymise else None
    settings = from_options(config_path, data_dir)
    width = check_duration(bucket, "--bucket") if bucket else settings.activity_bucket
    started = time.perf_counter()
    snapshots = pipeline.load_snapshots(sources, data_dir_of(settings))
    tables = _pseudonymised(pipeline.analyze(snapshots, bucket=width, paths_up_to=PATHS_UP_TO), key)
    written = write_report(tables, out, bucket=width, png=png)
    pngs = f", {written.pngs} PNG charts" if png else ""
    console(stderr=True).print(
        f"wrote {out / 'index.html'} ({written.pages} pages{pngs}) "
        f"in {time.perf_counter() - started:.2f}s"
    )
