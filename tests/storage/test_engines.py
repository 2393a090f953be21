"""The partitioned export read by other engines: DuckDB and Spark get the rows, types and
counts per instance of the tables fedithreads computed with Polars.

The export is made once per session, as a user makes it: a real ``collect --across`` of a
3-instance replay federation on 127.0.0.1 (hosts with ports, so partition names are
percent-encoded; ``federation`` and ``comment_presence`` get rows), plus the saved real
responses of ``fixtures/real`` (three public instances, deleted and removed comments,
PieFed) and a modlog (``fixtures/handmade``, for the ``moderation`` table), through
``fedithreads export DATA fixtures/real MODLOG --out DIR --partitioned``.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pytest
from click.testing import CliRunner, Result
from polars.testing import assert_frame_equal

from fedithreads.analysis import pipeline
from fedithreads.cli.main import main
from fedithreads.config import load_settings
from fedithreads.core.schema import TABLES
from tests.conftest import collected_across

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkFrame
    from pyspark.sql import SparkSession

REAL = Path(__file__).parents[2] / "fixtures" / "real"
MODLOG = Path(__file__).parents[2] / "fixtures" / "handmade" / "modlog-lemmy-0.19"


@dataclass(frozen=True)
class Exported:
    """A partitioned export and the Polars tables fedithreads computed for it."""

    out: Path
    tables: dict[str, pl.DataFrame]


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Exported:
    """Collect a federation over HTTP, export it with fixtures/real, partitioned."""
    root = tmp_path_factory.mktemp("engines")
    with collected_across(root, 0.1, seed=2, comments=60):
        pass  # the servers are needed for the collect only
    config, data, out = root / "config.toml", root / "data", root / "export"
    done = run("export", data, REAL, MODLOG, "--out", out, "--partitioned", "--config", config)
    assert done.exit_code == 0, done.output
    snapshots = pipeline.load_snapshots([data, REAL, MODLOG], data)
    tables = pipeline.analyze(snapshots, bucket=load_settings(config).activity_bucket)
    assert all(frame.height for frame in tables.values()), "every table should have rows"
    return Exported(out, tables)


def test_the_export_spans_instances_whose_names_hive_must_escape(exported: Exported) -> None:
    """The data the engines read has several instances, with a port among them."""
    instances = set(exported.tables["comments"]["instance"])
    dirs = {p.name for p in (exported.out / "comments").iterdir()}

    assert len(instances) >= 4
    assert any(":" in i for i in instances)
    assert any("%3A" in d for d in dirs)


@pytest.mark.parametrize("table", list(TABLES))
def test_duckdb_reads_each_table_with_polars_rows_and_types(exported: Exported, table: str) -> None:
    """``read_parquet('DIR/<table>/**/*.parquet', hive_partitioning = true)`` gives the
    rows and dtypes of the Polars table: UTC microsecond timestamps, ints, bools, nulls."""
    import duckdb

    want = exported.tables[table]
    glob = exported.out / table / "**" / "*.parquet"
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        got = con.sql(f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true)").pl()

    assert got.columns == want.columns
    assert_frame_equal(got.sort(want.columns), want.sort(want.columns))


def java_runtime() -> str | None:
    """The java PySpark would start: ``$JAVA_HOME/bin/java``, else ``java`` on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and Path(home, "bin", "java").is_file():
        return str(Path(home, "bin", "java"))
    return shutil.which("java")


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """One local Spark (one core, 512 MB, no UI) bound to 127.0.0.1, for the session."""
    if java_runtime() is None:
        pytest.skip(
            "no Java runtime (no java on PATH or in JAVA_HOME), which PySpark needs; "
            "install one, e.g. Debian's default-jre-headless as .ci/run does"
        )
    scratch = tmp_path_factory.mktemp("spark")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SPARK_LOCAL_IP", "127.0.0.1")
        env.setenv("SPARK_LOCAL_HOSTNAME", "localhost")
        env.setenv("SPARK_LOCAL_DIRS", str(scratch))
        session = start_spark(scratch)
        yield session
        session.stop()


def start_spark(scratch: Path) -> SparkSession:
    """A local Spark session on 127.0.0.1 only, with its files under ``scratch``."""
    from pyspark.sql import SparkSession

    with warnings.catch_warnings():
        # PySpark 4.x warns that it does not fully support pandas 3 (the bench extra's)
        warnings.filterwarnings("ignore", "PySpark does not yet fully support", FutureWarning)
        session = (
            SparkSession.builder.master("local[1]")
            .appName("fedithreads-tests")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.memory", "512m")
            # a short-lived JVM: the quick compiler only starts and runs it in half the time
            .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "1")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.warehouse.dir", str(scratch / "warehouse"))
            .getOrCreate()
        )
    session.sparkContext.setLogLevel("ERROR")
    return session


def read_with_spark(spark: SparkSession, exported: Exported, table: str) -> SparkFrame:
    """``spark.read.parquet('DIR/<table>')``, as the README shows it."""
    return spark.read.parquet(str(exported.out / table))


@pytest.mark.slow
@pytest.mark.parametrize("table", list(TABLES))
def test_spark_counts_the_rows_of_each_instance_as_polars_does(
    spark: SparkSession, exported: Exported, table: str
) -> None:
    """Spark discovers the ``instance=`` partitions, decodes them, and counts per
    instance what Polars counts."""
    want = exported.tables[table].group_by("instance").len().rows()

    got = read_with_spark(spark, exported, table).groupBy("instance").count().collect()

    assert sorted(tuple(r) for r in got) == sorted(want)


SPARK_TYPES = {
    pl.String: "string",
    pl.Int64: "bigint",
    pl.Int32: "int",
    pl.Float64: "double",
    pl.Boolean: "boolean",
    pl.Datetime: "timestamp",
}
"""The Spark SQL type each column type the tables use should load as; ``timestamp`` is
Spark's instant (with time zone), not ``timestamp_ntz``. A column of a type missing here
(an unsigned or nested type) fails the test below until Spark's reading of it is known."""


@pytest.mark.slow
@pytest.mark.parametrize("table", list(TABLES))
def test_spark_loads_every_column_with_its_type_and_values(
    spark: SparkSession, exported: Exported, table: str
) -> None:
    """Each column loads in Spark as the matching Spark type, with the values Polars
    holds: timestamps to the microsecond (compared as microseconds since the epoch)."""
    from pyspark.sql import functions as F

    want = exported.tables[table]
    stamps = [c for c, t in want.schema.items() if isinstance(t, pl.Datetime)]
    frame = read_with_spark(spark, exported, table)

    types = dict(frame.dtypes)
    assert types == {c: SPARK_TYPES[type(t)] for c, t in want.schema.items()}
    exact = [F.unix_micros(c).alias(c) if c in stamps else F.col(c) for c in want.columns]
    rows = [tuple(r) for r in frame.select(exact).collect()]
    micros = want.with_columns(pl.col(stamps).dt.epoch("us"))
    got = pl.DataFrame(rows, schema=micros.schema, orient="row")
    assert_frame_equal(got.sort(want.columns), micros.sort(want.columns))
