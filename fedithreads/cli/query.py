"""``fedithreads sql``: a DuckDB query over the tables of the data dir or of SOURCEs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from fedithreads.cli.common import (
    SOURCES,
    data_dir_of,
    from_options,
    known_errors,
    settings_options,
)
from fedithreads.errors import UsageError

if TYPE_CHECKING:
    import polars as pl

FORMATS = ("table", "csv", "jsonl")


@click.command()
@click.argument("sql")
@SOURCES
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table: aligned text; csv or jsonl: for other programs.",
)
@settings_options
@known_errors
def sql(
    sql: str,
    sources: tuple[Path, ...],
    fmt: str,
    config_path: Path | None,
    data_dir: str | None,
) -> None:
    """Run SQL (DuckDB's dialect) over the tables, and print the result.

    The tables: posts and comments (the latest snapshot of each), thread_stats, activity,
    vote_history, federation, comment_presence, moderation, and posts_history and
    comments_history (every snapshot). SOURCEs as for analyze (default: the data dir).
    Example: fedithreads sql "SELECT instance, count(*) FROM comments GROUP BY instance"
    """
    from fedithreads.analysis import pipeline
    from fedithreads.analysis.sql import query, views

    if not sql.strip():
        raise UsageError('sql: the query is empty; give one, e.g. "SELECT * FROM posts"')
    settings = from_options(config_path, data_dir)
    snapshots = pipeline.load_snapshots(sources, data_dir_of(settings))
    result = query(views(snapshots, bucket=settings.activity_bucket), sql)
    write_result(result, fmt)


def write_result(result: pl.DataFrame, fmt: str) -> None:
    """The result on stdout: every row and column as text, or as CSV or JSON lines."""
    import polars as pl  # here, not above: `--help` of every command must not load Polars

    if fmt == "csv":
        sys.stdout.write(result.write_csv())
    elif fmt == "jsonl":
        sys.stdout.write(result.write_ndjson())
    else:
        with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=80, tbl_width_chars=200):
            click.echo(result)
