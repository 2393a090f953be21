"""The ``fedithreads`` command line: parse arguments, delegate, print, exit with a code.

Known errors (fedithreads.errors) become one line on stderr and their exit code:
0 success, 1 failed or incomplete, 2 usage or config error, 75 another run holds the lock.
Anything else is a bug and keeps its traceback. Nothing imports this module.
"""

from __future__ import annotations

import asyncio
import functools
import json
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click
from rich.console import Console

from fedithreads import __version__, pipeline, store
from fedithreads.collect import Collector
from fedithreads.config import Settings, check_duration, load_settings
from fedithreads.errors import FedithreadsError, UsageError
from fedithreads.render import render_thread, summary_table, thread_tree
from fedithreads.report import RunReport
from fedithreads.seeds import default_seed_files, load_seeds
from fedithreads.targets import Target, parse_target, target_key
from fedithreads.tree import Thread

P = ParamSpec("P")
T = TypeVar("T")


def _console(stderr: bool = False) -> Console:
    width = shutil.get_terminal_size((140, 24)).columns
    return Console(stderr=stderr, width=width, highlight=False, soft_wrap=False)


def _known_errors(command: Callable[P, T]) -> Callable[P, T]:
    """Turn FedithreadsError into one stderr line and its exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return command(*args, **kwargs)
        except FedithreadsError as exc:
            click.echo(f"fedithreads: error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper


def _settings_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--config`` and ``--data-dir``, shared by every command that reads the data dir."""
    command = click.option(
        "--data-dir",
        type=click.Path(path_type=Path, file_okay=False),
        help="Data directory (overrides data_dir in the config).",
    )(command)
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Config file (default: ./config.toml if it exists).",
    )(command)


def _settings(config_path: Path | None, data_dir: Path | None) -> Settings:
    return load_settings(config_path, data_dir=data_dir)


_SOURCES = click.argument("sources", nargs=-1, type=click.Path(path_type=Path, exists=True))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fedithreads")
def main() -> None:
    """Complete, verified copies of Lemmy-style discussion threads, and numbers about them."""


@main.command()
@_SOURCES
@click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), help="Write the tables here."
)
@click.option("--bucket", help="Activity bucket width, e.g. 30m, 1h, 1d (default: config).")
@_settings_options
@_known_errors
def analyze(
    sources: tuple[Path, ...],
    out: Path | None,
    bucket: str | None,
    config_path: Path | None,
    data_dir: Path | None,
) -> None:
    """Compute thread stats from SOURCEs: fixture files/dirs of raw API JSON, or data dirs.

    Without SOURCE, the data dir is analysed. Prints one row per thread; with --out, writes
    posts, comments, thread_stats, activity and vote_history as Parquet.
    """
    settings = _settings(config_path, data_dir)
    if bucket is not None:
        bucket = check_duration(bucket, "--bucket")
        settings = settings.model_copy(update={"activity_bucket": bucket})
    started = time.perf_counter()
    snapshots = pipeline.load_snapshots(sources, settings.data_dir)
    tables = pipeline.analyze(snapshots, bucket=settings.activity_bucket)
    _console().print(summary_table(tables["thread_stats"]))
    err = _console(stderr=True)
    if snapshots.rejected:
        err.print(f"{len(snapshots.rejected)} comment(s) left out for invalid paths:")
        for r in snapshots.rejected[:20]:
            err.print(f"  {r.record.instance} comment {r.record.comment_id}: {r.reason}")
    if out is not None:
        store.write_tables(tables, out)
        counts = ", ".join(f"{k} {v.height}" for k, v in tables.items())
        err.print(f"wrote {out}/ ({counts} rows) in {time.perf_counter() - started:.2f}s")


@main.command()
@click.argument("post")
@_SOURCES
@click.option("--width", type=click.IntRange(40, 400), help="Wrap text to this many columns.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "html", "json"]),
    default="text",
    show_default=True,
    help="text: the terminal tree; html: the report's thread page; json: the nested tree.",
)
@_settings_options
@_known_errors
def show(
    post: str,
    sources: tuple[Path, ...],
    width: int | None,
    fmt: str,
    config_path: Path | None,
    data_dir: Path | None,
) -> None:
    """Render one thread as an indented tree (or its report page, or nested JSON).

    POST is a post URL (https://host/post/123), an ap_id, or a post id; SOURCEs as for
    analyze (default: the data dir).
    """
    settings = _settings(config_path, data_dir)
    snapshots = pipeline.load_snapshots(sources, settings.data_dir)
    thread = pipeline.find_thread(snapshots, post)
    if fmt != "text":
        _show_document(snapshots, thread, fmt, settings.activity_bucket)
        return
    console = _console()
    console.print(render_thread(thread, width=width or min(console.width, 100)))


def _show_document(snapshots: pipeline.Snapshots, thread: Thread, fmt: str, bucket: str) -> None:
    """``show --format html|json``: the thread page or the nested tree, on stdout."""
    if fmt == "json":
        click.echo(json.dumps(thread_tree(thread), ensure_ascii=False, indent=1))
        return
    from fedithreads.htmlreport import thread_document

    document, _ = thread_document(snapshots, thread, bucket=bucket)
    click.echo(document, nl=False)


@main.command()
@_SOURCES
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory to write the tables to.",
)
@click.option(
    "--format", "fmt", type=click.Choice(store.FORMATS), default="parquet", show_default=True
)
@_settings_options
@_known_errors
def export(
    sources: tuple[Path, ...],
    out: Path,
    fmt: str,
    config_path: Path | None,
    data_dir: Path | None,
) -> None:
    """Write the current tables (posts, comments, thread_stats, activity, vote_history).

    Reads the data dir unless SOURCEs are given (as for analyze).
    """
    settings = _settings(config_path, data_dir)
    snapshots = pipeline.load_snapshots(sources, settings.data_dir)
    tables = pipeline.analyze(snapshots, bucket=settings.activity_bucket)
    written = store.write_tables(tables, out, fmt)
    _console(stderr=True).print(f"wrote {len(written)} {fmt} files to {out}/")


@main.command()
@click.argument("targets", nargs=-1)
@click.option(
    "--seeds",
    "seed_files",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A seed file of targets (repeatable; default: every file in seeds_dir).",
)
@click.option("--full", is_flag=True, help="Re-crawl every thread, changed or not.")
@_settings_options
@_known_errors
def collect(
    targets: tuple[str, ...],
    seed_files: tuple[Path, ...],
    full: bool,
    config_path: Path | None,
    data_dir: Path | None,
) -> None:
    """Collect TARGETs completely: post URLs, communities (!name@host), ap_ids.

    Without TARGET or --seeds, every *.toml file in seeds_dir is read. Prints one line per
    target; exits 1 when a thread is incomplete or a target failed (what was fetched is
    kept), 75 when another run holds the lock.
    """
    settings = _settings(config_path, data_dir)
    chosen = [parse_target(t) for t in targets]
    if seed_files or not targets:
        chosen += load_seeds(list(seed_files) or default_seed_files(settings.seeds_dir))
    if not chosen:
        raise UsageError(
            f"nothing to collect: give a TARGET, --seeds FILE, or add seed files to "
            f"{settings.seeds_dir}"
        )
    report = _run_collect(settings, _dedupe(chosen), full=full)
    for target in report.targets:
        click.echo(target.summary())
    sys.exit(0 if report.ok else 1)


def _dedupe(targets: list[Target]) -> list[Target]:
    seen: dict[str, Target] = {}
    for t in targets:
        seen.setdefault(target_key(t), t)
    return list(seen.values())


def _run_collect(settings: Settings, targets: list[Target], *, full: bool) -> RunReport:
    """Run the collector, with a progress bar only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return asyncio.run(Collector(settings, full=full).run(targets))
    from rich.progress import Progress

    with Progress(console=_console(stderr=True), transient=True) as bar:
        task = bar.add_task("threads", total=0)

        def progress(what: str, n: int) -> None:
            if what == "threads":
                bar.update(task, total=(bar.tasks[0].total or 0) + n)
            else:
                bar.advance(task, n)

        return asyncio.run(Collector(settings, full=full, progress=progress).run(targets))


def _rate(text: str | None) -> tuple[int, int] | None:
    """``"180/60"`` → (180, 60)."""
    if text is None:
        return None
    count, _, seconds = text.partition("/")
    if not (count.isdigit() and seconds.isdigit() and int(count) > 0 and int(seconds) > 0):
        raise UsageError(f"--rate-limit {text!r}: give requests/seconds, e.g. 180/60")
    return int(count), int(seconds)


@main.command()
@click.argument("fixtures", nargs=-1, type=click.Path(path_type=Path, exists=True))
@click.option("--port", type=click.IntRange(0, 65535), default=8536, show_default=True)
@click.option("--dialect", type=click.Choice(["lemmy-v3", "lemmy-v4", "piefed"]))
@click.option("--page-ceiling", type=click.IntRange(1), help="Refuse pages past this one.")
@click.option(
    "--default-listing", type=click.Choice(["All", "Local"]), default="All", show_default=True
)
@click.option("--rate-limit", help="Limit and publish REQUESTS/SECONDS, e.g. 180/60.")
@click.option("--latency", type=click.FloatRange(0), default=0.0, help="Seconds per answer.")
@click.option("--fault-rate", type=click.FloatRange(0, 1), default=0.0, help="Share of faults.")
@_known_errors
def serve(
    fixtures: tuple[Path, ...],
    port: int,
    dialect: str | None,
    page_ceiling: int | None,
    default_listing: str,
    rate_limit: str | None,
    latency: float,
    fault_rate: float,
) -> None:
    """Serve saved threads as a Lemmy-compatible server on 127.0.0.1 until Ctrl-C.

    FIXTURES are fixture files/dirs (default: the bundled fixtures/). Only loopback is
    ever bound. Collect from it with `fedithreads collect http://127.0.0.1:PORT/post/ID`.
    """
    from fedithreads.demo import fixtures_dir
    from fedithreads.replay import Quirks, serve_fixtures

    limit = _rate(rate_limit)
    try:
        quirks = Quirks(
            page_ceiling=page_ceiling,
            default_listing=default_listing,
            rate_limit=limit,
            latency_seconds=latency,
            fault_rate=fault_rate,
        )
        server = serve_fixtures(
            list(fixtures) or [fixtures_dir()], port=port, dialect=dialect, quirks=quirks
        )
    except (ValueError, OSError) as exc:
        raise UsageError(f"cannot serve on 127.0.0.1:{port}: {exc}") from None
    with server:
        posts = server.dataset.posts()
        click.echo(f"serving {len(posts)} posts as {server.dialect} at {server.base_url}")
        for p in posts[:5]:
            click.echo(f"  {server.base_url}/post/{p.post_id}  {p.title[:60]}")
        click.echo("Ctrl-C to stop")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            click.echo("stopped", err=True)


@main.command()
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Collect into this directory (default: a new temporary one).",
)
@_known_errors
def demo(data_dir: Path | None) -> None:
    """The whole pipeline offline: serve fixtures on 127.0.0.1, collect, analyze, show.

    Starts the replay server on a free loopback port, collects the seed thread, a
    420-comment thread and its community over real HTTP into a data dir, prints the
    thread stats and renders the seed thread.
    """
    import tempfile

    from fedithreads.demo import run_demo

    started = time.perf_counter()
    target_dir = data_dir or Path(tempfile.mkdtemp(prefix="fedithreads-demo-"))
    settings = load_settings(None, data_dir=target_dir.resolve())
    settings = settings.model_copy(update={"seeds_dir": target_dir / "seeds"})
    run = run_demo(settings)
    out = _console()
    out.print(f"collected from the replay server at {run.base_url} into {settings.data_dir}:")
    for target in run.report.targets:
        out.print("  " + target.summary())
    snapshots = pipeline.load_snapshots((), settings.data_dir)
    tables = pipeline.analyze(snapshots, bucket=settings.activity_bucket)
    store.write_tables(tables, settings.data_dir / "out")
    out.print(summary_table(tables["thread_stats"]))
    out.print(f"tables written to {settings.data_dir / 'out'}/; the seed thread:\n")
    out.print(render_thread(pipeline.find_thread(snapshots, run.seed_url), width=100))
    elapsed = time.perf_counter() - started
    out.print(f"demo done in {elapsed:.1f}s ({run.requests} HTTP requests to the server)")
    if not run.report.ok:
        sys.exit(1)


@main.command()
@_SOURCES
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory to write the report to (index.html, threads/, assets/).",
)
@click.option("--png", is_flag=True, help="Also write every chart as PNG under DIR/png/.")
@click.option("--bucket", help="Activity bucket width, e.g. 30m, 1h, 1d (default: config).")
@_settings_options
@_known_errors
def report(
    sources: tuple[Path, ...],
    out: Path,
    png: bool,
    bucket: str | None,
    config_path: Path | None,
    data_dir: Path | None,
) -> None:
    """Write an HTML report of SOURCEs: an index page and one page per thread.

    SOURCEs as for analyze (default: the data dir). The pages open offline (the Vega
    libraries are in DIR/assets/); charts: activity, reply depth, thread shape, votes over
    collections, completeness, and a sortable thread_stats table.
    """
    from fedithreads.htmlreport import write_report

    settings = _settings(config_path, data_dir)
    width = check_duration(bucket, "--bucket") if bucket else settings.activity_bucket
    started = time.perf_counter()
    snapshots = pipeline.load_snapshots(sources, settings.data_dir)
    tables = pipeline.analyze(snapshots, bucket=width)
    written = write_report(tables, out, bucket=width, png=png)
    pngs = f", {written.pngs} PNG charts" if png else ""
    _console(stderr=True).print(
        f"wrote {out / 'index.html'} ({written.pages} pages{pngs}) "
        f"in {time.perf_counter() - started:.2f}s"
    )
