"""Each instance reads its own files of a data dir, with the rows a filter over all gives."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from polars.testing import assert_frame_equal

from fedithreads.analysis import pipeline
from fedithreads.analysis.listed import Listed
from fedithreads.core import schema
from fedithreads.storage.tables import append_snapshots
from tests.analysis.test_equivalence import snapshot_tables


def _data_dir(root: Path, posts: pl.DataFrame, comments: pl.DataFrame) -> Path:
    """A data dir holding ``posts`` and ``comments``, one file per run and instance."""
    for table, rows in (("posts", posts), ("comments", comments)):
        for (run,), part in rows.partition_by("run_id", as_dict=True).items():
            append_snapshots(root, str(run), table, part)
    return root


@settings(max_examples=25, deadline=None)
@given(snapshot_tables())
def test_own_files_give_the_tables_a_filter_gives(
    tables: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    """pipeline.analyze reading each instance's own files returns exactly the tables it
    returns when every instance filters a scan of every file."""
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = _data_dir(Path(tmp), *tables)
        snapshots = pipeline.load_snapshots([data_dir], data_dir)
        assert snapshots.split is not None
        own = pipeline.analyze(snapshots, bucket="1h")
        filtered = pipeline.analyze(dataclasses.replace(snapshots, split=None), bucket="1h")
    for name in schema.TABLES:
        assert_frame_equal(own[name], filtered[name])


def test_a_directory_named_as_before_encoding_is_read_and_shared_names_do_not_mix(
    tmp_path: Path,
) -> None:
    """A host's rows in a directory named the old way (``safe_name``: ``a_1`` for
    ``a:1``) are read as its own, and the rows of host ``a_1``, whose directory has that
    name today, are not counted as ``a:1``'s."""
    t0 = pl.datetime(2026, 1, 1, time_zone="UTC")
    frame = pl.DataFrame({"instance": ["a:1", "a_1", "b"], "post_id": [1, 2, 3]})
    stamped = frame.with_columns(t0.alias("collected_at"), pl.lit("run-1").alias("run_id"))
    full = schema.conform(pl.concat([schema.empty("posts"), stamped], how="diagonal"), "posts")
    legacy = tmp_path / "tables" / "posts" / "instance=a_1"
    legacy.mkdir(parents=True)
    full.filter(pl.col("instance").is_in(["a:1", "a_1"])).write_parquet(legacy / "run-0.parquet")
    append_snapshots(tmp_path, "run-1", "posts", full)

    listed = Listed.of([tmp_path], "posts")

    def ids(host: str) -> list[int]:
        return sorted(listed.instance(host).collect()["post_id"].to_list())

    assert ids("a:1") == [1, 1]  # the legacy directory and today's a%3A1
    assert ids("a_1") == [2, 2]
    assert ids("b") == [3]
