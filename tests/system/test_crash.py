"""Crash safety under cron: SIGKILL at random and at chosen moments, readers during runs,
a full disk, overlapping runs, stale locks and a clock that jumps back.

Every killed run is run again to the end; its tables must equal those of a run that was
never killed, id by id. Runs are real ``python -m fedithreads collect`` processes against
a replay server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fedithreads.collect.outcome import RunReport
from fedithreads.collect.run import Collector
from fedithreads.collect.state import RunLock, State
from fedithreads.collect.targets import parse_target
from fedithreads.config import Settings
from fedithreads.errors import StoreError
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.raw import read_raw
from fedithreads.storage.tables import read_table, scan_table
from fedithreads.synth.generate import generate_thread
from tests.collect.conftest import collect, settings_for, tables_without_run_columns
from tests.system.conftest import community

QUICK = (60_000, 60)
TRIALS = 20


def write_config(directory: Path) -> Path:
    config = directory / "config.toml"
    config.write_text(
        'contact = "tests@example.org"\n[limits]\ndefault_requests_per_second = 2000\n'
        "[retry]\nbackoff_initial_seconds = 0.01\nbackoff_max_seconds = 0.05\n"
    )
    return config


KILL_AT = """\
import os, signal, sys
from pathlib import Path
import fedithreads.collect.batch as batch
import fedithreads.collect.run as collect_run
import fedithreads.storage.atomic as atomic
import fedithreads.storage.tables as store
from fedithreads.collect import state
point = sys.argv[1]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if point == "after-compacted-file":          # parts compacted, the run not yet closed
    real_compact = store.compact_run
    def compact_run(data_dir, run_id):
        real_compact(data_dir, run_id)
        die()
    collect_run.compact_run = compact_run
elif point == "manifest-half-written":        # a temporary manifest, never renamed
    real_atomic = atomic.write_atomic
    def write_atomic(path, write):
        if path.parent.name == "runs":
            path.parent.mkdir(parents=True, exist_ok=True)
            (path.parent / f".{path.name}.crash.tmp").write_bytes(b'{"run_id": "')
            die()
        real_atomic(path, write)
    atomic.write_atomic = write_atomic
elif point == "before-final-state":           # manifest written, the run not closed
    real_save = state.State.save
    def save(self, data_dir):
        if self.run is None:
            die()
        real_save(self, data_dir)
    state.State.save = save
elif point == "compacted-unrecorded":           # parts compacted while the record of the
    import threading                              # last threads was still being written
    real_compact = store.compact_run
    def compact_run(data_dir, run_id):
        real_compact(data_dir, run_id)
        die()
    collect_run.compact_run = compact_run
    real_write = state.State.write
    def write(self, books, text):               # saves off the main thread never land
        if threading.current_thread() is threading.main_thread():
            real_write(self, books, text)
    state.State.write = write
elif point == "after-a-batch-part":             # a batch's part written, its threads not
    real_append = store.append_snapshots          # yet recorded as done
    def append_snapshots(data_dir, run_id, table, frame, part=None):
        written = real_append(data_dir, run_id, table, frame, part)
        if part and part.startswith("batch-"):
            die()
        return written
    batch.append_snapshots = append_snapshots

from fedithreads.cli.main import main
sys.argv = ["fedithreads", *sys.argv[2:]]
main()
"""


def collect_cmd(target: str, data_dir: Path, config: Path, kill_at: str | None = None) -> list[str]:
    head = (
        [sys.executable, "-c", KILL_AT, kill_at]
        if kill_at
        else [sys.executable, "-m", "fedithreads"]
    )
    return [*head, "collect", target, "--data-dir", str(data_dir), "--config", str(config)]


def run_to_end(target: str, data_dir: Path, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        collect_cmd(target, data_dir, config),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@dataclass
class Reader:
    """A thread that reads the tables and raw archives of a data dir in a loop."""

    data_dir: Path
    reads: int = 0
    vanished: int = 0
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def loop(self) -> None:
        while not self._stop.is_set():
            for table in ("posts", "comments"):
                try:
                    scan_table(self.data_dir, table).collect()
                    self.reads += 1
                except FileNotFoundError:
                    self.vanished += 1  # listed, then compacted away: list again
                except Exception as exc:
                    self.errors.append(f"{type(exc).__name__}: {exc}")
            for archive in (self.data_dir / "raw").rglob("*.jsonl.gz"):
                try:
                    read_raw(archive)
                except FileNotFoundError:
                    pass
                except Exception as exc:
                    self.errors.append(f"raw {type(exc).__name__}: {exc}")

    @contextmanager
    def running(self) -> Iterator[Reader]:
        worker = threading.Thread(target=self.loop, daemon=True)
        worker.start()
        try:
            yield self
        finally:
            self._stop.set()
            worker.join(timeout=30)


def current(data_dir: Path) -> dict[str, pl.DataFrame]:
    """The latest snapshot of every post and comment, minus when and which run."""
    out = {}
    for table, key in (("posts", "post_id"), ("comments", "comment_id")):
        frame = read_table(data_dir, table)
        latest = frame.sort("collected_at").unique(["instance", key], keep="last")
        out[table] = latest.drop("collected_at", "run_id").sort("instance", key)
    return out


def assert_same_tables(got: Path, clean: Path, *, exact: bool) -> None:
    """Equal to the uninterrupted run's tables, id by id (``exact``: snapshot for
    snapshot; else the current view, for a run killed after it had finished)."""
    left, right = (
        (tables_without_run_columns(got), tables_without_run_columns(clean))
        if exact
        else (current(got), current(clean))
    )
    for table in ("posts", "comments"):
        assert_frame_equal(left[table], right[table])
    for table, key in (("posts", "post_id"), ("comments", "comment_id")):
        frame = read_table(got, table)
        assert frame.select("instance", key, "run_id").is_duplicated().sum() == 0
    assert not list(got.rglob("*--*.parquet")), "parts are compacted"
    assert not list(got.rglob(".*.tmp")), "temporaries are swept"


@dataclass
class Trial:
    seed: int
    delay: float
    killed_alive: bool = False
    phase: str = ""
    rerun_code: int | None = None
    rerun_err: str = ""
    reader: Reader | None = None


def one_trial(trial: Trial, target: str, root: Path, config: Path) -> Trial:
    """Start a run, SIGKILL it ``delay`` s after it took the lock, run again to the end."""
    data_dir = root / f"trial-{trial.seed:02d}"
    reader = Reader(data_dir)
    with reader.running():
        proc = subprocess.Popen(
            collect_cmd(target, data_dir, config),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while not (data_dir / ".lock").exists() and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(trial.delay)
        trial.killed_alive = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        trial.phase = phase_of(data_dir)
        done = run_to_end(target, data_dir, config)
    trial.rerun_code, trial.rerun_err, trial.reader = done.returncode, done.stderr, reader
    return trial


def time_a_run(target: str, data_dir: Path, config: Path) -> float:
    """Seconds from taking the lock to the exit of an uninterrupted run."""
    run = subprocess.Popen(collect_cmd(target, data_dir, config), stdout=subprocess.DEVNULL)
    while not (data_dir / ".lock").exists() and run.poll() is None:
        time.sleep(0.002)
    locked = time.monotonic()
    assert run.wait(timeout=180) == 0
    return time.monotonic() - locked


def phase_of(data_dir: Path) -> str:
    """Where in its run a killed collect was stopped, judged by what it left."""
    state = State.load(data_dir)
    if state.run is None:
        return "finished" if (data_dir / "runs").is_dir() else "before the first thread"
    if (data_dir / "runs").is_dir():
        return "manifest written, state not closed"
    parts = list((data_dir / "tables").rglob("*--*.parquet"))
    whole = [p for p in (data_dir / "tables").rglob("*.parquet") if "--" not in p.stem]
    if whole:
        return "compacting"
    return f"crawling ({len(state.run.done)} threads done)" if parts else "detecting/listing"


@pytest.mark.slow
def test_twenty_random_sigkills_each_rerun_equal_an_uninterrupted_run(tmp_path: Path) -> None:
    """20 seeded SIGKILLs anywhere in a run (crawl, compaction, manifest, state), each
    rerun to the end: the tables equal an uninterrupted run's id by id, nothing is lost
    or doubled, and a reader scanning all along never meets a partial file."""
    dataset = community()
    config = write_config(tmp_path)
    quirks = Quirks(published_rate_limit=QUICK, latency_seconds=0.003)
    with ReplayServer(dataset, quirks=quirks) as server:
        target = f"{server.base_url}/c/technology@lemmy.world"
        clean_dir = tmp_path / "clean"
        started = time.monotonic()
        # The first run of a fresh install also writes bytecode and pulls libraries from
        # disk, so it can outlast the runs that follow by a third; the kills are spread
        # over the quicker of two uninterrupted runs.
        run_seconds = min(
            time_a_run(target, tmp_path / "warm-up", config),
            time_a_run(target, clean_dir, config),
        )
        rng = random.Random(20261127)
        trials = [Trial(i, rng.uniform(0.0, run_seconds * 1.05)) for i in range(TRIALS)]
        with ThreadPoolExecutor(max_workers=2) as pool:
            done = list(pool.map(lambda t: one_trial(t, target, tmp_path, config), trials))
    elapsed = time.monotonic() - started

    for trial in done:
        assert trial.rerun_code == 0, (trial.seed, trial.rerun_err)
        assert trial.reader is not None
        assert trial.reader.errors == [], (trial.seed, trial.reader.errors[:3])
        assert_same_tables(
            tmp_path / f"trial-{trial.seed:02d}",
            clean_dir,
            exact=trial.killed_alive and trial.phase != "finished",
        )
    alive = sum(t.killed_alive for t in done)
    assert alive >= TRIALS * 3 // 4, (
        f"most kills hit a live run: {alive} of {TRIALS} in {run_seconds:.2f} s"
    )
    print("\nkill phases:", sorted(Counter(t.phase.split(" (")[0] for t in done).items()))
    print(
        "reader scans:",
        sum(t.reader.reads for t in done if t.reader),
        "vanished files:",
        sum(t.reader.vanished for t in done if t.reader),
    )
    assert sum(t.reader.reads for t in done if t.reader) > TRIALS
    assert elapsed < 240


@pytest.mark.parametrize(
    "point",
    [
        "after-a-batch-part",
        pytest.param("after-compacted-file", marks=pytest.mark.slow),
        pytest.param("manifest-half-written", marks=pytest.mark.slow),
        pytest.param("before-final-state", marks=pytest.mark.slow),
    ],
)
def test_a_kill_at_each_delicate_moment_is_recovered_by_the_next_run(
    tmp_path: Path, point: str
) -> None:
    """SIGKILL exactly between two steps of the end of a run (a part without its state,
    a compacted file beside its parts, a half-written manifest, a manifest without the
    closing state): the next run finishes it, equal to an uninterrupted run."""
    dataset = community(12)
    config = write_config(tmp_path)
    with ReplayServer(dataset, quirks=Quirks(published_rate_limit=QUICK)) as server:
        target = f"{server.base_url}/c/technology@lemmy.world"
        killed = subprocess.run(
            collect_cmd(target, tmp_path / "killed", config, kill_at=point),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        rerun = run_to_end(target, tmp_path / "killed", config)
        clean = run_to_end(target, tmp_path / "clean", config)

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (rerun.returncode, clean.returncode) == (0, 0), rerun.stderr
    assert_same_tables(tmp_path / "killed", tmp_path / "clean", exact=True)
    manifests = list((tmp_path / "killed" / "runs").glob("*.json"))
    assert len(manifests) == 1, "the rerun finished the killed run under its run id"
    assert State.load(tmp_path / "killed").run is None


def test_a_kill_after_compacting_before_the_last_threads_are_recorded_loses_nothing(
    tmp_path: Path,
) -> None:
    """The record of a run's last threads is written while its parts are compacted:
    SIGKILL once the compacted files are in place and before any record of the thread
    (a 2,500-comment one, its own part) landed. The next run crawls it again and merges
    its part with the compacted file: tables equal an uninterrupted run's, snapshot for
    snapshot, one row per key, one manifest."""
    big = generate_thread(
        377, instance="lemmy.ca", n_comments=2_500, post_id=9900, comment_id_base=90_000_000
    )
    config = write_config(tmp_path)
    with ReplayServer(
        ReplayDataset.from_threads([big]), quirks=Quirks(published_rate_limit=QUICK)
    ) as server:
        target = f"{server.base_url}/post/9900"
        killed = subprocess.run(
            collect_cmd(target, tmp_path / "killed", config, kill_at="compacted-unrecorded"),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        lacking = State.load(tmp_path / "killed").run
        compacted = read_table(tmp_path / "killed", "comments").height
        rerun = run_to_end(target, tmp_path / "killed", config)
        clean = run_to_end(target, tmp_path / "clean", config)

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert lacking is not None
    assert lacking.done == {}  # the thread's record never landed
    assert compacted == 2_500  # its rows did
    assert (rerun.returncode, clean.returncode) == (0, 0), rerun.stderr
    assert_same_tables(tmp_path / "killed", tmp_path / "clean", exact=True)
    assert len(list((tmp_path / "killed" / "runs").glob("*.json"))) == 1
    assert State.load(tmp_path / "killed").run is None


def test_a_reader_during_a_run_never_sees_a_partial_file(tmp_path: Path) -> None:
    """A thread reading every table while a run writes parts, compacts and archives
    meets whole files only; ``read_table`` never fails at all."""
    dataset = community(30)
    failures: list[str] = []
    stop = threading.Event()

    def read_table_loop() -> None:
        while not stop.is_set():
            try:
                read_table(tmp_path, "comments")
            except Exception as exc:
                failures.append(f"{type(exc).__name__}: {exc}")

    quirks = Quirks(published_rate_limit=QUICK, latency_seconds=0.002)
    with ReplayServer(dataset, quirks=quirks) as server, Reader(tmp_path).running() as reader:
        worker = threading.Thread(target=read_table_loop, daemon=True)
        worker.start()
        report = collect(settings_for(tmp_path), f"{server.base_url}/c/technology@lemmy.world")
        stop.set()
        worker.join(timeout=30)

    assert report.ok
    assert reader.errors == []
    assert failures == []
    assert reader.reads > 5


def test_a_cut_off_raw_record_hides_nothing_after_it(tmp_path: Path) -> None:
    """A record cut off by a kill, then records a resumed run appended: all whole ones
    read back."""
    archive = tmp_path / "run.jsonl.gz"
    whole = [gzip.compress(f'{{"n": {i}}}\n'.encode(), mtime=0) for i in range(4)]
    archive.write_bytes(whole[0] + whole[1][: len(whole[1]) // 2] + whole[2] + whole[3])

    assert [r["n"] for r in read_raw(archive)] == [0, 2, 3]


def test_taking_the_lock_sweeps_temporaries_of_a_killed_writer(tmp_path: Path) -> None:
    """Temporary files and spilled pages a SIGKILL left behind are deleted when the next
    run starts; finished files stay."""
    litter = [
        tmp_path / ".state.json.abc.tmp",
        tmp_path / "runs" / ".r1.json.abc.tmp",
        tmp_path / "tables" / "comments" / "instance=x" / ".r1--t.parquet.abc.tmp",
        tmp_path / ".spool" / "r0" / "9001" / "00000.parquet",
    ]
    for path in litter:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"partial")
    keep = tmp_path / "tables" / "comments" / "instance=x" / "r1.parquet"
    keep.write_bytes(b"whole")

    with RunLock(tmp_path):
        pass

    assert not any(p.exists() for p in litter)
    assert keep.exists()


def test_a_stale_lock_file_of_a_killed_run_does_not_block_the_next(tmp_path: Path) -> None:
    """The lock is a flock the kernel drops on SIGKILL: the file (with a dead pid in it)
    stays, yet the next run takes it at once."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom pathlib import Path\n"
            "from fedithreads.collect.state import RunLock\n"
            "with RunLock(Path(sys.argv[1])):\n    print('held', flush=True)\n    time.sleep(60)",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    holder.send_signal(signal.SIGKILL)
    holder.communicate(timeout=30)
    assert f"pid {holder.pid}" in (tmp_path / ".lock").read_text()

    started = time.monotonic()
    with RunLock(tmp_path):
        taken = time.monotonic() - started

    assert taken < 1


@pytest.mark.slow
def test_a_second_run_exits_75_at_once_while_a_real_run_goes_on(tmp_path: Path) -> None:
    """cron overlap with a real collect under way: the second exits 75 within seconds,
    writes nothing, and the first finishes complete."""
    dataset = community(20)
    config = write_config(tmp_path)
    quirks = Quirks(published_rate_limit=QUICK, latency_seconds=0.4)
    with ReplayServer(dataset, quirks=quirks) as server:
        target = f"{server.base_url}/c/technology@lemmy.world"
        first = subprocess.Popen(
            collect_cmd(target, tmp_path / "data", config),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        while not (tmp_path / "data" / ".lock").exists():
            time.sleep(0.005)
        started = time.monotonic()
        second = run_to_end(target, tmp_path / "data", config)
        waited = time.monotonic() - started
        _first_out, first_err = first.communicate(timeout=120)

    assert second.returncode == 75
    assert second.stdout == ""
    assert second.stderr.count("\n") == 1
    assert "another run holds the lock (pid " in second.stderr
    assert waited < 5
    assert first.returncode == 0, first_err
    assert len(list((tmp_path / "data" / "runs").glob("*.json"))) == 1


def test_a_clock_that_jumps_back_between_runs_loses_and_doubles_nothing(tmp_path: Path) -> None:
    """Run 2's clock is a day behind run 1's: both runs' snapshots are kept, one per
    object per run, under distinct run ids; changed threads are re-crawled."""
    dataset = community(6)
    base = datetime(2026, 11, 20, 12, tzinfo=UTC)
    settings = settings_for(tmp_path)
    with ReplayServer(dataset, quirks=Quirks(published_rate_limit=QUICK)) as server:
        target = f"{server.base_url}/c/technology@lemmy.world"
        first = collect_at(settings, target, base)
        dataset.add_comment(9002, None, author="late", content="after the first run")
        second = collect_at(settings, target, base - timedelta(days=1))

    posts = read_table(tmp_path, "posts")
    comments = read_table(tmp_path, "comments")
    assert first.run_id != second.run_id
    assert sorted(posts["run_id"].unique()) == sorted([first.run_id, second.run_id])
    assert posts.group_by("post_id").len()["len"].to_list() == [2] * 6
    assert posts.select("instance", "post_id", "run_id").is_duplicated().sum() == 0
    assert comments.select("instance", "comment_id", "run_id").is_duplicated().sum() == 0
    crawled = [t.post_id for t in second.targets[0].threads if t.crawled]
    assert crawled == [9002]
    assert set(comments["comment_id"]) == set().union(
        *(dataset.comment_ids(p) for p in dataset.post_ids())
    )


def collect_at(settings: Settings, target: str, when: datetime) -> RunReport:
    """One in-process run whose wall clock reads ``when`` (advancing with real time)."""
    origin = time.monotonic()

    def now() -> datetime:
        return when + timedelta(seconds=time.monotonic() - origin)

    return asyncio.run(Collector(settings, now=now).run([parse_target(target)]))


def mount_tmpfs(where: Path, size: str) -> bool:
    """Mount a small tmpfs (needs root); False when that is not possible here."""
    if os.geteuid() != 0:
        return False
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def fill_disk(tmp_path: Path, size: str, comments: int, *, keep_raw: bool) -> tuple[Any, ...]:
    """On a ``size`` tmpfs: a small first run, then a run of one ``comments`` thread that
    fills the disk. The two finished processes and the tables as they were between."""
    disk = tmp_path / "disk"
    if not mount_tmpfs(disk, size):
        pytest.skip("cannot mount a tmpfs here (not root); see the injected-error test")
    try:
        config = write_config(tmp_path)
        config.write_text(f"keep_raw = {str(keep_raw).lower()}\n" + config.read_text())
        data_dir = disk / "data"
        with ReplayServer(community(3), quirks=Quirks(published_rate_limit=QUICK)) as server:
            first = run_to_end(f"{server.base_url}/post/9000", data_dir, config)
        before = tables_without_run_columns(data_dir)
        big = generate_thread(5, instance="lemmy.ca", n_comments=comments, post_id=77)
        quirks = Quirks(published_rate_limit=QUICK)
        with ReplayServer(ReplayDataset.from_threads([big]), quirks=quirks) as server:
            second = run_to_end(f"{server.base_url}/post/77", data_dir, config)
        after = {t: read_table(data_dir, t) for t in ("posts", "comments")}
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
    return first, second, before, after, data_dir


def assert_full_disk_reported(
    first: Any, second: Any, before: Any, after: Any, where: Path
) -> None:
    assert first.returncode == 0, first.stderr
    assert second.returncode == 1
    assert "Traceback" not in second.stderr
    said = [line for line in (second.stdout + second.stderr).splitlines() if line]
    assert len(said) == 1, said
    assert said[0].startswith("fedithreads: error: disk full writing ")
    assert "nothing half-written is visible; free space and re-run" in said[0]
    assert str(where) in said[0]
    kept = after["posts"].filter(pl.col("post_id") == 9000).drop("collected_at", "run_id")
    assert_frame_equal(kept, before["posts"])
    assert set(before["comments"]["comment_id"]) <= set(after["comments"]["comment_id"])


def test_a_full_disk_is_one_line_and_earlier_data_stays_intact(tmp_path: Path) -> None:
    """On a 192 KiB tmpfs, a 1,500-comment run fills the disk (raw pages first): one
    line naming the file and the cause, exit 1, no traceback; the first run's tables
    still read whole."""
    assert_full_disk_reported(*fill_disk(tmp_path, "192k", 1500, keep_raw=True))


@pytest.mark.slow
def test_a_full_disk_while_spooling_a_big_thread_is_one_line(tmp_path: Path) -> None:
    """A 3,000-comment thread spills its pages to .spool/ at 2,000 rows; on a 96 KiB
    tmpfs that spill hits the full disk: still one line, exit 1, earlier data intact."""
    assert_full_disk_reported(*fill_disk(tmp_path, "96k", 3000, keep_raw=False))


def test_an_injected_write_error_mid_run_is_one_line_and_resumable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a small disk: fsync fails with ENOSPC after a few files. The run stops with
    a StoreError line naming the file, earlier data stays, and a later run completes."""
    dataset = community(8)
    settings = settings_for(tmp_path)
    with ReplayServer(dataset, quirks=Quirks(published_rate_limit=QUICK)) as server:
        target = f"{server.base_url}/c/technology@lemmy.world"
        real_fsync = os.fsync
        calls = [0]

        def fsync(fd: int) -> None:
            calls[0] += 1
            if calls[0] > 12:
                raise OSError(28, "No space left on device")
            real_fsync(fd)

        monkeypatch.setattr(os, "fsync", fsync)
        with pytest.raises(StoreError) as caught:
            collect(settings, target)
        monkeypatch.setattr(os, "fsync", real_fsync)
        stored_before = read_table(tmp_path, "comments").height
        report = collect(settings, target)

    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("disk full writing ")
    assert message.endswith("nothing half-written is visible; free space and re-run")
    assert report.ok
    assert stored_before <= read_table(tmp_path, "comments").height
    assert set(read_table(tmp_path, "comments")["comment_id"]) == set().union(
        *(dataset.comment_ids(p) for p in dataset.post_ids())
    )
