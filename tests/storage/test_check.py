"""check: each kind of damage is one problem naming the file and what to do; nothing written."""

from __future__ import annotations

import fcntl
import gzip
import json
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fedithreads.core import schema
from fedithreads.errors import StoreError
from fedithreads.storage.check import CheckReport, check_data_dir
from fedithreads.storage.tables import read_table
from tests.storage.conftest import (
    collect_into,
    copy_of,
    garble,
    kill_compaction,
    parts,
    reschema,
    truncate,
)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One collected data dir, never damaged (tests damage copies)."""
    data = tmp_path_factory.mktemp("pristine") / "data"
    collect_into(data)
    return data


@pytest.fixture
def dirty(pristine: Path, tmp_path: Path) -> Path:
    return copy_of(pristine, tmp_path / "data")


def kinds(report: CheckReport) -> list[tuple[str, str]]:
    return [(p.kind, p.path.name) for p in report.problems]


def test_a_freshly_collected_dir_checks_clean(pristine: Path) -> None:
    """Every part and raw file is read, and none has a problem."""
    files = parts(pristine, "posts") + parts(pristine, "comments") + parts(pristine, "languages")
    files += list((pristine / "raw").glob("*/*/*.jsonl.gz"))

    report = check_data_dir(pristine)

    assert report.problems == []
    assert report.checked == len(files) == 4
    assert report.summary() == f"data dir {pristine}: 4 files checked, no problems"


@pytest.mark.parametrize(
    ("damage", "what"),
    [
        (truncate, "not a readable Parquet file"),
        (garble, "damaged data"),
        (reschema, "not in the comments schema (score is Int32, not Int64)"),
    ],
)
def test_a_damaged_part_is_one_line_naming_it_and_repair(
    dirty: Path, damage: Callable[[Path], None], what: str
) -> None:
    """A cut-off part, garbage bytes, a part of another schema: each one problem line."""
    (part,) = parts(dirty, "comments")
    damage(part)

    report = check_data_dir(dirty)

    assert kinds(report) == [("part", part.name)]
    line = report.problems[0].line(dirty)
    assert line.startswith(f"tables/comments/instance={part.parent.name[9:]}/{part.name}: ")
    assert what in line
    assert "`fedithreads repair`" in line


@pytest.mark.parametrize(
    ("cut", "what"), [(slice(0, 200), "not valid JSON"), (slice(0, 0), "not shaped as")]
)
def test_a_manifest_that_is_not_json_is_reported(dirty: Path, cut: slice, what: str) -> None:
    """A cut-off manifest (or one of another shape) is one problem; its run's files are
    not called strangers."""
    (manifest,) = (dirty / "runs").glob("*.json")
    manifest.write_text(manifest.read_text()[cut] or "[]")

    report = check_data_dir(dirty)

    assert kinds(report) == [("manifest", manifest.name)]
    assert what in report.problems[0].line(dirty)


def test_state_naming_a_run_whose_files_are_gone_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A killed run's state.json says threads were written; their part files are gone."""
    kill_compaction(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        collect_into(tmp_path)
    for part in parts(tmp_path, "comments"):
        part.unlink()

    report = check_data_dir(tmp_path)

    (problem,) = report.problems
    assert problem.kind == "missing"
    assert problem.line(tmp_path).startswith(
        f"staging/comments/{problem.path.parent.name}/{problem.run}.parquet: state.json says run"
    )
    assert "no file of it" in problem.what


def test_a_damaged_raw_member_in_the_middle_of_a_file_is_reported(dirty: Path) -> None:
    """Flipped bytes inside one answer of the archive: one problem, the tables untouched."""
    (raw,) = (dirty / "raw").glob("*/*/*.jsonl.gz")
    data = bytearray(raw.read_bytes())
    middle = data.find(b"\x1f\x8b\x08", len(data) // 2)
    data[middle + 12 : middle + 20] = b"\xff" * 8
    raw.write_bytes(bytes(data))

    report = check_data_dir(dirty)

    assert kinds(report) == [("raw", raw.name)]
    assert "1 damaged answer(s)" in report.problems[0].what


def test_a_cut_off_last_raw_member_of_a_killed_run_is_no_problem(dirty: Path) -> None:
    """A kill mid-write leaves the start of a member at the end of the file: expected."""
    (raw,) = (dirty / "raw").glob("*/*/*.jsonl.gz")
    with raw.open("ab") as fh:
        fh.write(gzip.compress(json.dumps({"url": "x", "body": "y" * 500}).encode())[:-20])

    assert check_data_dir(dirty).problems == []


def test_stray_temporaries_are_reported_when_no_run_holds_the_lock(dirty: Path) -> None:
    """A temporary part file and spilled pages left by a killed run: two problems."""
    (part,) = parts(dirty, "posts")
    temp = part.parent / f".{part.name}.x1y2.tmp"
    temp.write_bytes(b"half")
    spilled = dirty / ".spool" / "run" / "post-1" / "00000.arrow"
    spilled.parent.mkdir(parents=True)
    spilled.write_bytes(b"rows")

    report = check_data_dir(dirty)

    assert kinds(report) == [("temporary", temp.name), ("temporary", ".spool")]
    assert (
        report.problems[0]
        .line(dirty)
        .endswith(
            "a temporary file left by a killed writer; "
            "run `fedithreads repair` (or the next collect) to remove it"
        )
    )


def test_a_running_collect_is_said_and_its_temporaries_not_judged(dirty: Path) -> None:
    """While another process holds the lock, temporaries are a run's, not problems."""
    (part,) = parts(dirty, "posts")
    (part.parent / f".{part.name}.x1y2.tmp").write_bytes(b"half")
    with (dirty / ".lock").open("a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        report = check_data_dir(dirty)

    assert report.running
    assert report.problems == []
    assert report.summary().endswith("a run is in progress, its temporary files were not judged")


def test_a_file_of_a_run_no_manifest_or_state_names_is_reported(dirty: Path) -> None:
    """A part file of an unknown run is named, and repair is said to leave it alone."""
    (part,) = parts(dirty, "comments")
    stranger = part.with_name("20250101T000000Z-abcdef.parquet")
    stranger.write_bytes(part.read_bytes())

    report = check_data_dir(dirty)

    assert kinds(report) == [("stranger", stranger.name)]
    assert "20250101T000000Z-abcdef, which no manifest" in report.problems[0].what


def test_check_writes_nothing_not_even_a_lock_file(dirty: Path) -> None:
    """Checking a damaged dir changes no file and creates none."""
    (dirty / ".lock").unlink()
    truncate(parts(dirty, "posts")[0])
    before = {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in dirty.rglob("*")}

    check_data_dir(dirty)

    assert {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in dirty.rglob("*")} == before


def test_reading_a_part_with_garbage_pages_names_it(dirty: Path) -> None:
    """A scan that fails on a page (its footer whole) is one StoreError naming the file."""
    (part,) = parts(dirty, "comments")
    garble(part)

    with pytest.raises(StoreError, match=rf"^{part}: damaged data \(") as raised:
        read_table(dirty, "comments")

    assert "`fedithreads repair`" in str(raised.value)


def test_a_data_dir_written_with_the_old_host_names_checks_clean(dirty: Path) -> None:
    """Before hosts were percent-encoded, ``127.0.0.1:PORT`` was ``instance=127.0.0.1_PORT``:
    such a dir's runs still have their files."""
    renamed = 0
    for directory in sorted(dirty.glob("tables/*/instance=*%3A*")):
        directory.rename(directory.with_name(directory.name.replace("%3A", "_")))
        renamed += 1

    report = check_data_dir(dirty)

    assert renamed == 3  # posts, comments and languages of the replay server's host
    assert report.problems == []


def test_a_part_written_before_the_later_columns_reads_with_them_null(dirty: Path) -> None:
    """A part from before posts and comments had the ``author_*`` flags and
    ``language_id`` is no damage: check finds nothing, and the table reads with those
    columns null, the rest as it was."""
    later = sorted(schema.LATER_COLUMNS)
    (part,) = parts(dirty, "comments")
    before = read_table(dirty, "comments")
    pl.read_parquet(part).drop(later).write_parquet(part)

    report = check_data_dir(dirty)
    after = read_table(dirty, "comments")

    assert report.problems == []
    assert min(before.select(later).null_count().row(0)) == 0  # the flags were written
    assert after.select(later).null_count().row(0) == (before.height,) * len(later)
    assert_frame_equal(after.drop(later), before.drop(later))
