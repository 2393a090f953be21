"""The tables as DuckDB views: ``fedithreads sql`` and ``fedithreads.connect``.

A data dir's ``tables/`` hold every snapshot of every run; what a researcher means by
"the comments" is the latest snapshot of each. ``connect`` opens an in-memory DuckDB
connection in which that is simply ``comments``: the views are the tables ``analyze``
computes (fedithreads.analysis.pipeline), so every engine and every command agree on
them, and the snapshots are there too for votes over time::

    posts, comments              the latest snapshot of each post and comment
    thread_stats, activity       the derived tables, as ``analyze --out`` writes them
    vote_history, federation, comment_presence, moderation
    posts_history                every snapshot of every post (one row per post per run)
    comments_history             every snapshot of every comment

They are computed when the connection is opened and copied into it (DuckDB's own
in-memory tables, so every query is DuckDB's alone); open a new connection to see later
runs. The connection's time zone is UTC, as the tables' timestamps are.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from fedithreads.analysis.pipeline import Snapshots, analyze, load_snapshots
from fedithreads.config import data_location, load_settings
from fedithreads.errors import UsageError
from fedithreads.storage.objects import open_data_dir

if TYPE_CHECKING:
    import duckdb

HISTORY = {"posts_history": "posts", "comments_history": "comments"}
"""The snapshot views, and the snapshot table each shows whole."""


def connect(
    data_dir: str | os.PathLike[str] | None = None,
    *sources: str | os.PathLike[str],
    config: str | os.PathLike[str] | None = None,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection whose views are the tables of ``data_dir`` (a path or an
    ``s3://`` URL; default: the config's) or of ``sources`` (data dirs, or saved API
    responses as ``analyze`` takes them). ``config``: a config file (default:
    ./config.toml if there is one), for the data dir, the object store and the activity
    bucket width."""
    where = data_location(os.fspath(data_dir)) if data_dir is not None else None
    settings = load_settings(Path(config) if config is not None else None, data_dir=where)
    paths = [Path(s) for s in sources]
    snapshots = load_snapshots(paths, open_data_dir(settings))
    return views(snapshots, bucket=settings.activity_bucket)


def views(snapshots: Snapshots, *, bucket: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the tables of ``snapshots`` as its views."""
    import duckdb  # only the commands that query load it

    tables = analyze(snapshots, bucket=bucket)
    tables["posts_history"] = snapshots.posts.collect()
    tables["comments_history"] = snapshots.comments.collect()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name, frame in tables.items():
        con.register("incoming", _Stream(frame))
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming')
        con.unregister("incoming")
    return con


class _Stream:
    """A frame as an Arrow C stream (``__arrow_c_stream__``), which DuckDB reads without
    pyarrow: each table is copied once into the connection, then queried there."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        return self.frame.__arrow_c_stream__(requested_schema)


def query(con: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    """The result of ``sql`` as a Polars frame; a query DuckDB refuses is a UsageError
    with DuckDB's own first line."""
    import duckdb

    try:
        relation = con.sql(sql)
    except duckdb.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UsageError(f"sql: {first}") from None
    if relation is None:  # a statement with no result (SET, CREATE VIEW …)
        return pl.DataFrame()
    return pl.DataFrame(relation)  # through the Arrow C stream: no pyarrow needed


def view_names(con: duckdb.DuckDBPyConnection) -> Sequence[str]:
    """The views a connection from ``views`` has, sorted."""
    return sorted(row[0] for row in con.sql("SHOW TABLES").fetchall())
