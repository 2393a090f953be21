"""The data dir on object storage, as a cron user runs it: real commands, a real S3 API.

``fedithreads`` processes collect from replay servers on 127.0.0.1 into a bucket of
moto's S3 server (tests.s3server), then analyse and report from it. Each result is held
to a run of the same commands into a local data dir, id by id: the store must change
where the data is, never what it is.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fedithreads.collect.shards import shard_of
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.objects import Location
from fedithreads.storage.raw import read_raw
from fedithreads.storage.tables import read_file, read_table, scan_table
from fedithreads.synth.generate import generate_thread
from tests.conftest import S3, S3_ENV, s3_server
from tests.storage.test_objects import data_dir
from tests.system.conftest import COMMUNITY_START, community
from tests.system.test_crash import KILL_AT, current

QUICK = (60_000, 60)


def write_config(directory: Path) -> Path:
    """A config for loopback servers: no waits, the shortest lease."""
    config = directory / "config.toml"
    config.write_text(
        'contact = "tests@example.org"\n[limits]\ndefault_requests_per_second = 2000\n'
        "[retry]\nbackoff_initial_seconds = 0.01\nbackoff_max_seconds = 0.05\n"
        "[storage]\nlease_seconds = 30\ntimeout_seconds = 5\n"
    )
    return config


def cli(*args: str, config: Path, kill_at: str | None = None) -> list[str]:
    head = (
        [sys.executable, "-c", KILL_AT, kill_at]
        if kill_at
        else [sys.executable, "-m", "fedithreads"]
    )
    return [*head, *args, "--config", str(config)]


def run(*args: str, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli(*args, config=config), capture_output=True, text=True, timeout=180, check=False
    )


def assert_same_current_tables(got: Location, clean: Location) -> None:
    """The latest snapshot of every post and comment is the same, id by id, and no
    snapshot is doubled."""
    left, right = current(got), current(clean)  # type: ignore[arg-type]
    for table in ("posts", "comments"):
        assert_frame_equal(left[table], right[table])
    for table, key in (("posts", "post_id"), ("comments", "comment_id")):
        frame = read_table(got, table)
        assert frame.select("instance", key, "run_id").is_duplicated().sum() == 0


def partitioned(out: Path, table: str) -> pl.DataFrame:
    """The rows ``analyze --streaming --out`` wrote of ``table``, from every partition."""
    return pl.read_parquet(out / table / "**" / "*.parquet", hive_partitioning=False)


def assert_same_rows(ours: pl.DataFrame, theirs: pl.DataFrame) -> None:
    """The same rows, whatever the order the partitions were read in."""
    keys = ("instance", "post_id", "comment_id", "kind", "id", "collected_at", "scope")
    order = [c for c in keys if c in theirs.columns]
    assert_frame_equal(
        ours.select(theirs.columns).sort(order, nulls_last=True),
        theirs.sort(order, nulls_last=True),
    )


def test_collect_analyze_and_report_on_s3_equal_the_same_on_a_disk(s3: S3, tmp_path: Path) -> None:
    """collect → analyze → report with --data-dir s3://…: the tables in the bucket, the
    analysed tables and the report are those of the same commands on a local dir."""
    config = write_config(tmp_path)
    with ReplayServer(community(12), quirks=Quirks(published_rate_limit=QUICK)) as server:
        target = f"{server.base_url}/c/technology@lemmy.world"
        remote = run("collect", target, "--data-dir", s3.url(), config=config)
        local = run("collect", target, "--data-dir", str(tmp_path / "local"), config=config)
    analysed = run("analyze", "--data-dir", s3.url(), "--out", str(tmp_path / "out"), config=config)
    report = run("report", "--data-dir", s3.url(), "--out", str(tmp_path / "rep"), config=config)
    on_disk = run("analyze", "--data-dir", str(tmp_path / "local"), config=config)
    streamed = run(
        "analyze",
        "--streaming",
        "--data-dir",
        s3.url(),
        "--out",
        str(tmp_path / "st"),
        config=config,
    )

    assert remote.returncode == 0, remote.stderr
    assert local.returncode == 0, local.stderr
    assert remote.stdout.replace(s3.url(), "D") == local.stdout.replace(
        str(tmp_path / "local"), "D"
    )
    assert_same_current_tables(data_dir(s3.url()), tmp_path / "local")
    assert analysed.returncode == 0, analysed.stderr
    assert analysed.stdout == on_disk.stdout  # the printed thread_stats
    stats = pl.read_parquet(tmp_path / "out" / "thread_stats.parquet")
    assert stats.height == 12
    assert stats["complete"].all()
    assert streamed.returncode == 0, streamed.stderr
    for table in ("posts", "comments", "thread_stats", "activity", "vote_history"):
        assert_same_rows(
            partitioned(tmp_path / "st", table),
            pl.read_parquet(tmp_path / "out" / f"{table}.parquet"),
        )
    assert report.returncode == 0, report.stderr
    assert len(list((tmp_path / "rep" / "threads").glob("*.html"))) == 12
    keys = sorted(str(p.relative_to(data_dir(s3.url()))) for p in data_dir(s3.url()).rglob("*"))
    assert not [k for k in keys if k.startswith(".spool") or k.endswith(".tmp")]
    assert any(k.startswith("raw/") for k in keys)
    assert any(k.startswith("runs/") for k in keys)
    assert "state.json" in keys


def test_a_run_killed_on_s3_is_resumed_once_its_lease_expires(s3: S3, tmp_path: Path) -> None:
    """SIGKILL mid-crawl leaves the lease: the next run exits 75 naming it while it runs;
    once expired, the next run takes it over, resumes, and the tables equal an
    uninterrupted run's, id by id."""
    config = write_config(tmp_path)
    quirks = Quirks(published_rate_limit=QUICK, latency_seconds=0.01)
    root = data_dir(s3.url())
    with ReplayServer(community(30), quirks=quirks) as server:
        target = f"{server.base_url}/c/technology@lemmy.world"
        killed = subprocess.Popen(
            cli("collect", target, "--data-dir", s3.url(), config=config),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: any(root.glob("staging/comments/*/*--*.parquet")))
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=30)
        blocked = run("collect", target, "--data-dir", s3.url(), config=config)
        expire(root / ".lock")
        resumed = run("collect", target, "--data-dir", s3.url(), config=config)
        clean = run("collect", target, "--data-dir", str(tmp_path / "clean"), config=config)

    assert blocked.returncode == 75
    assert "another run holds the lease" in blocked.stderr
    assert len(blocked.stderr.strip().splitlines()) == 1
    assert resumed.returncode == 0, resumed.stderr
    assert clean.returncode == 0, clean.stderr
    (manifest,) = [json.loads(p.read_bytes()) for p in root.glob("runs/*.json")]
    assert manifest["resumed"] is True
    assert_same_current_tables(root, tmp_path / "clean")
    assert not any(root.glob("staging/*/*/*.parquet")), "parts are compacted"
    assert not (root / ".lock").exists()


def expire(lease: Location) -> None:
    """Move a lease's expiry into the past, as the time it is held for passing would."""
    doc = json.loads(lease.read_bytes())
    doc["expires_at"] = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    lease.write_bytes(json.dumps(doc).encode())


def wait_for(condition: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def hosts_in_both_shards(stack: ExitStack) -> list[ReplayServer]:
    """Replay servers (one community each) until both shards of 2 hold a host."""
    servers: list[ReplayServer] = []
    while len({shard_of(s.instance, 2) for s in servers}) < 2 or len(servers) < 3:
        seed = 500 + len(servers)
        threads = [
            generate_thread(
                seed * 10 + i,
                instance="lemmy.ca",
                n_comments=4 + i * 5,
                post_id=seed * 100 + i,
                comment_id_base=seed * 1_000_000 + i * 10_000,
                start=COMMUNITY_START + timedelta(hours=i),
            )
            for i in range(4)
        ]
        dataset = ReplayDataset.from_threads(threads)
        servers.append(
            stack.enter_context(ReplayServer(dataset, quirks=Quirks(published_rate_limit=QUICK)))
        )
    return servers


def test_two_shards_into_one_bucket_equal_one_machine(s3: S3, tmp_path: Path) -> None:
    """Two cron machines (--shard 1/2 and 2/2, at once) into one bucket: each collects
    the hosts of its shard under a lease of its own, and the bucket then holds exactly
    what one machine collecting every target holds, id by id."""
    config = write_config(tmp_path)
    with ExitStack() as stack:
        servers = hosts_in_both_shards(stack)
        targets = [f"{s.base_url}/c/technology@lemmy.world" for s in servers]
        shards = [
            subprocess.Popen(
                cli(
                    "collect", *targets, "--shard", f"{i}/2", "--data-dir", s3.url(), config=config
                ),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in (1, 2)
        ]
        outputs = [p.communicate(timeout=180) for p in shards]
        one = run("collect", *targets, "--data-dir", str(tmp_path / "one"), config=config)

    root = data_dir(s3.url())
    assert [p.returncode for p in shards] == [0, 0], outputs
    assert one.returncode == 0, one.stderr
    assert_same_current_tables(root, tmp_path / "one")
    manifests = [json.loads(p.read_bytes()) for p in root.glob("runs/*.json")]
    named = [sorted(t["target"] for t in m["targets"]) for m in manifests]
    assert sorted(t for n in named for t in n) == sorted(targets)  # each target once
    for i in (1, 2):
        assert (root / "shards" / f"{i}-of-2" / "state.json").is_file()
        mine = [t for t, s in zip(targets, servers, strict=True) if shard_of(s.instance, 2) == i]
        assert sorted(mine) in named
    whole = run("analyze", "--data-dir", s3.url(), "--out", str(tmp_path / "a"), config=config)
    streamed = run(
        "analyze",
        "--streaming",
        "--data-dir",
        s3.url(),
        "--out",
        str(tmp_path / "b"),
        config=config,
    )
    assert whole.returncode == streamed.returncode == 0, streamed.stderr
    for table in ("posts", "comments", "thread_stats", "activity", "vote_history"):
        one_pass = pl.read_parquet(tmp_path / "a" / f"{table}.parquet")
        assert one_pass["instance"].n_unique() == len(servers)
        assert_same_rows(partitioned(tmp_path / "b", table), one_pass)


def test_duckdb_reads_the_tables_in_the_bucket_through_httpfs(s3: S3, tmp_path: Path) -> None:
    """DuckDB's httpfs extension (a PyPI wheel: nothing downloaded) reads the data dir's
    tables in the bucket with hive partitioning: per instance, the rows Polars reads."""
    import duckdb_ext  # the httpfs extension's files

    config = write_config(tmp_path)
    with ReplayServer(community(5), quirks=Quirks(published_rate_limit=QUICK)) as server:
        target = f"{server.base_url}/c/technology@lemmy.world"
        assert run("collect", target, "--data-dir", s3.url(), config=config).returncode == 0
    root = data_dir(s3.url())
    con = duckdb.connect()
    con.execute(
        "SET extension_directory = ?", [str(Path(next(iter(duckdb_ext.__path__))) / "extensions")]
    )
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("LOAD httpfs")
    endpoint = s3.endpoint.removeprefix("http://")
    con.execute(
        "CREATE SECRET moto (TYPE s3, KEY_ID ?, SECRET ?, ENDPOINT ?, URL_STYLE 'path', "
        "USE_SSL false, REGION 'us-east-1')",
        [S3_ENV["AWS_ACCESS_KEY_ID"], S3_ENV["AWS_SECRET_ACCESS_KEY"], endpoint],
    )

    tables = f"{s3.url()}/tables/comments/**/*.parquet"
    rows = con.sql(
        f"SELECT instance, count(*) AS n FROM read_parquet('{tables}', hive_partitioning = true) "
        "GROUP BY instance ORDER BY instance"
    ).pl()

    expected = scan_table(root, "comments").group_by("instance").len("n").sort("instance").collect()
    assert rows.height == 1
    assert_frame_equal(rows, expected, check_dtypes=False)


def test_credentials_never_reach_the_bucket_the_output_or_the_manifest(
    s3: S3, tmp_path: Path
) -> None:
    """The secret key is used, and written nowhere: no object, no line printed."""
    config = write_config(tmp_path)
    with ReplayServer(community(3), quirks=Quirks(published_rate_limit=QUICK)) as server:
        target = f"{server.base_url}/c/technology@lemmy.world"
        done = run("collect", target, "--data-dir", s3.url(), config=config)
        broken = run("collect", "s3://nope", "--data-dir", s3.url(), config=config)
    secret = S3_ENV["AWS_SECRET_ACCESS_KEY"].encode()
    root = data_dir(s3.url())

    assert done.returncode == 0
    assert broken.returncode == 2
    everything = stored_text(root)
    assert community(3).posts()[0].title.encode() in everything  # the scan sees the rows
    assert secret not in everything
    for output in (done.stdout, done.stderr, broken.stdout, broken.stderr):
        assert secret.decode() not in output


def stored_text(root: Location) -> bytes:
    """Every object of a data dir as text: raw answers decompressed, tables as CSV."""
    out = []
    for path in root.rglob("*"):
        if path.name.endswith(".jsonl.gz"):
            out.append(json.dumps(read_raw(path)).encode())
        elif path.suffix == ".parquet":
            out.append(read_file(path).write_csv().encode())
        elif path.is_file():
            out.append(path.read_bytes())
    return b"\n".join(out)


@pytest.fixture(scope="module")
def strict_endpoint() -> Iterator[str]:
    """An S3 server that refuses every request signed with keys it does not know."""
    with s3_server("--strict") as endpoint:
        yield endpoint


@pytest.mark.parametrize(
    ("where", "code", "words"),
    [
        ("s3://", 2, "--data-dir 's3://': names no bucket"),
        ("s3://no-such-bucket/data", 2, "bucket 'no-such-bucket' does not exist"),
        ("down", 1, "cannot reach the object store at http://127.0.0.1:9"),
        ("strict", 2, "access denied; check the credentials"),
    ],
)
def test_a_data_dir_that_cannot_be_used_is_one_line_and_nothing_else(
    s3: S3,
    strict_endpoint: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
    code: int,
    words: str,
) -> None:
    """No bucket in the URL, a bucket that does not exist, an endpoint that is down,
    credentials the store refuses: one line naming the URL and the fix, the documented
    exit code, for a run and for a reader alike."""
    url = where if where.startswith("s3://") else s3.url()
    if where == "down":
        monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    if where == "strict":
        monkeypatch.setenv("AWS_ENDPOINT_URL", strict_endpoint)
    config = write_config(tmp_path)

    for command in (["collect", "https://lemmy.example/post/1"], ["analyze"]):
        done = run(*command, "--data-dir", url, config=config)
        assert done.returncode == code, (command, done.stderr)
        (line,) = done.stderr.strip().splitlines()
        assert words in line
        assert "Traceback" not in done.stderr
        assert S3_ENV["AWS_SECRET_ACCESS_KEY"] not in line
    assert os.environ["AWS_SECRET_ACCESS_KEY"] == S3_ENV["AWS_SECRET_ACCESS_KEY"]


def test_check_and_repair_mend_a_damaged_part_in_the_bucket(s3: S3, tmp_path: Path) -> None:
    """A part cut in half in the bucket: check names it (exit 1), repair moves it to
    quarantine/ and rebuilds its rows from the raw chunks, and the tables are as before."""
    config = write_config(tmp_path)
    with ReplayServer(community(4), quirks=Quirks(published_rate_limit=QUICK)) as server:
        target = f"{server.base_url}/c/technology@lemmy.world"
        assert run("collect", target, "--data-dir", s3.url(), config=config).returncode == 0
    root = data_dir(s3.url())
    before = current(root)  # type: ignore[arg-type]
    (part,) = root.glob("tables/comments/*/*.parquet")
    whole = part.read_bytes()
    part.write_bytes(whole[: len(whole) // 2])

    found = run("check", "--data-dir", s3.url(), config=config)
    mended = run("repair", "--data-dir", s3.url(), config=config)
    again = run("check", "--data-dir", s3.url(), config=config)

    assert found.returncode == 1
    assert f"{part.relative_to(root)}: not a readable Parquet file" in found.stdout
    assert mended.returncode == 0, mended.stdout
    assert "moved to quarantine/" in mended.stdout
    assert again.returncode == 0, again.stdout
    after = current(root)  # type: ignore[arg-type]
    for table in ("posts", "comments"):
        assert_frame_equal(after[table], before[table])
    assert (root / "quarantine" / part.relative_to(root)).read_bytes() == whole[: len(whole) // 2]


def test_connect_and_sql_read_a_data_dir_in_the_bucket(s3: S3, tmp_path: Path) -> None:
    """``fedithreads.connect("s3://…")`` and ``fedithreads sql --data-dir s3://…`` give the
    latest snapshot of each comment of the bucket's tables."""
    import fedithreads
    from fedithreads.analysis.sql import query

    config = write_config(tmp_path)
    with ReplayServer(community(4), quirks=Quirks(published_rate_limit=QUICK)) as server:
        target = f"{server.base_url}/c/technology@lemmy.world"
        assert run("collect", target, "--data-dir", s3.url(), config=config).returncode == 0
    expected = scan_table(data_dir(s3.url()), "comments").select("comment_id").collect()

    con = fedithreads.connect(s3.url(), config=config)
    printed = run(
        "sql", "SELECT count(*) AS n FROM comments", "--format", "csv", "--data-dir", s3.url(),
        config=config,
    )  # fmt: skip

    assert query(con, "SELECT count(*) AS n FROM comments").item() == expected.height > 0
    assert printed.stdout.split() == ["n", str(expected.height)]
