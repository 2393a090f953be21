"""The tables as DuckDB sees them: ``fedithreads.connect`` and ``fedithreads sql``.

A data dir collected twice from a replay server on 127.0.0.1 (a host with a port, so its
directories are percent-encoded) holds two snapshots of every comment; the views must
give the latest one each, as ``analyze`` does, and every snapshot in the history views.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner
from polars.testing import assert_frame_equal

import fedithreads
from fedithreads.analysis.pipeline import analyze, load_snapshots
from fedithreads.analysis.sql import query, view_names
from fedithreads.cli.main import main
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.synth.generate import generate_thread
from tests.collect.conftest import collect, settings_for
from tests.conftest import loopback_config

THREADS = [generate_thread(60 + i, instance="lemmy.ca", n_comments=12 + 9 * i, post_id=700 + i)
           for i in range(3)]  # fmt: skip


@pytest.fixture(scope="module")
def twice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir (beside its config.toml) whose threads were collected twice."""
    root = tmp_path_factory.mktemp("sql")
    loopback_config(root)
    data = root / "data"
    quirks = Quirks(published_rate_limit=(60_000, 60))
    with ReplayServer(ReplayDataset.from_threads(THREADS), quirks=quirks) as server:
        targets = [f"{server.base_url}/post/{t.post.post_id}" for t in THREADS]
        for _ in range(2):
            assert collect(settings_for(data), *targets, full=True).ok
    return data


def test_the_views_are_the_latest_snapshot_and_the_history_every_one(twice: Path) -> None:
    """``comments`` holds each comment once (the latest), as analyze's table does;
    ``comments_history`` holds both runs' snapshots."""
    con = fedithreads.connect(twice)
    tables = analyze(load_snapshots([], twice), bucket="1h")

    comments = query(con, "SELECT * FROM comments ORDER BY instance, post_id, comment_id")
    history = query(
        con, "SELECT count(*) AS n, count(DISTINCT run_id) AS runs FROM comments_history"
    )
    stats = query(con, "SELECT * FROM thread_stats ORDER BY instance, post_id, scope")

    assert_frame_equal(comments, tables["comments"])
    assert_frame_equal(stats, tables["thread_stats"])
    assert comments.height == sum(len(t.comments) for t in THREADS)
    assert history.row(0) == (2 * comments.height, 2)
    assert {"posts", "comments", "thread_stats", "activity", "vote_history",
            "posts_history", "comments_history"} <= set(view_names(con))  # fmt: skip


def test_duckdb_joins_the_partitioned_tables_with_thread_stats_on_every_row(twice: Path) -> None:
    """DuckDB reading tables/ with hive partitioning gets each row's own ``instance``
    (``127.0.0.1:PORT``), so a join with thread_stats on (instance, post_id) keeps every
    row, hive on and off."""
    stats = analyze(load_snapshots([], twice), bucket="1h")["thread_stats"]
    glob = str(twice / "tables" / "comments" / "**" / "*.parquet")
    con = duckdb.connect()
    con.register("stats", stats.select("instance", "post_id").to_arrow())

    for hive in ("true", "false"):
        total, joined = con.sql(
            f"SELECT count(*), count(s.post_id) FROM read_parquet('{glob}', "
            f"hive_partitioning = {hive}) c LEFT JOIN stats s USING (instance, post_id)"
        ).fetchone() or (0, 0)
        assert total == joined == 2 * sum(len(t.comments) for t in THREADS)


def test_sql_prints_a_query_over_the_data_dir(twice: Path) -> None:
    """``fedithreads sql`` answers from the data dir of the config, as text or CSV."""
    config = twice.parent / "config.toml"
    asked = "SELECT post_id, comments_collected FROM thread_stats ORDER BY post_id"

    text = CliRunner().invoke(main, ["sql", asked, "--config", str(config)])
    csv = CliRunner().invoke(main, ["sql", asked, "--config", str(config), "--format", "csv"])

    assert text.exit_code == 0, text.output
    assert "comments_collected" in text.output
    rows = [line.split(",") for line in csv.output.strip().splitlines()]
    assert rows[0] == ["post_id", "comments_collected"]
    assert rows[1:] == [[str(t.post.post_id), str(len(t.comments))] for t in THREADS]


@pytest.mark.parametrize(
    ("asked", "words"),
    [
        ("SELEC 1", 'sql: Parser Error: syntax error at or near "SELEC"'),
        ("SELECT nope FROM comments", 'sql: Binder Error: Referenced column "nope" not found'),
        ("   ", "sql: the query is empty"),
    ],
)
def test_a_query_duckdb_refuses_is_one_line_and_exit_2(twice: Path, asked: str, words: str) -> None:
    """DuckDB's own first line, after ``sql:``; no traceback."""
    config = twice.parent / "config.toml"

    done = CliRunner().invoke(main, ["sql", asked, "--config", str(config)])

    assert done.exit_code == 2
    (line,) = [line for line in done.output.splitlines() if line]
    assert words in line
    assert isinstance(done.exception, SystemExit)


def test_connect_takes_saved_responses_as_sources(tmp_path: Path) -> None:
    """``connect(None, 'fixtures/real')`` gives the fixtures' tables, as analyze does."""
    real = Path(__file__).parents[2] / "fixtures" / "real"
    expected = analyze(load_snapshots([real], tmp_path), bucket="1h")["posts"]

    con = fedithreads.connect(tmp_path / "nothing-here", real)
    posts = query(con, "SELECT * FROM posts ORDER BY instance, post_id")

    assert posts.height == expected.height > 0
    assert_frame_equal(posts, expected)
    assert pl.Series(view_names(con)).is_sorted()
