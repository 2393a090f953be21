"""The ``fedithreads`` command line: parse arguments, delegate, print, exit with a code.

Known errors (fedithreads.errors) become one line on stderr and their exit code:
0 success, 1 failed or incomplete, 2 usage or config error, 75 another run holds the lock.
Anything else is a bug and keeps its traceback. Nothing imports this module.
"""

from __future__ import annotations

import functools
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click
from rich.console import Console

from fedithreads import __version__, pipeline, store
from fedithreads.config import Settings, check_duration, load_settings
from fedithreads.errors import FedithreadsError
from fedithreads.render import render_thread, summary_table

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
@_settings_options
@_known_errors
def show(
    post: str,
    sources: tuple[Path, ...],
    width: int | None,
    config_path: Path | None,
    data_dir: Path | None,
) -> None:
    """Render one thread as an indented tree.

    POST is a post URL (https://host/post/123), an ap_id, or a post id; SOURCEs as for
    analyze (default: the data dir).
    """
    settings = _settings(config_path, data_dir)
    snapshots = pipeline.load_snapshots(sources, settings.data_dir)
    thread = pipeline.find_thread(snapshots, post)
    console = _console()
    console.print(render_thread(thread, width=width or min(console.width, 100)))


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
