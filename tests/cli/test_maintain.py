"""check and repair as commands, and the reading commands on a damaged data dir."""

from __future__ import annotations

import fcntl
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fedithreads.cli.main import main
from tests.storage.conftest import BIG, collect_into, copy_of, parts, truncate


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One collected data dir, never damaged."""
    data = tmp_path_factory.mktemp("pristine") / "data"
    collect_into(data)
    return data


@pytest.fixture
def damaged(pristine: Path, tmp_path: Path) -> Path:
    """A copy of the collected dir with its comments part cut off."""
    data = copy_of(pristine, tmp_path / "data")
    truncate(parts(data, "comments")[0])
    return data


def test_check_on_a_clean_dir_prints_one_line_and_exits_0(pristine: Path) -> None:
    """Quiet on success: one summary line on stdout, nothing on stderr."""
    result = run("check", "--data-dir", pristine)

    assert result.exit_code == 0
    assert result.stdout == f"data dir {pristine}: 4 files checked, no problems\n"
    assert result.stderr == ""


def test_check_on_a_damaged_dir_names_the_file_and_exits_1(damaged: Path) -> None:
    """One line per problem, then the summary."""
    result = run("check", "--data-dir", damaged)

    assert result.exit_code == 1
    problem, summary = result.stdout.splitlines()
    assert problem.startswith("tables/comments/instance=")
    assert "not a readable Parquet file" in problem
    assert summary.endswith("4 files checked, 1 problem(s)")


def test_check_during_a_run_says_so_and_does_not_fail(pristine: Path) -> None:
    """With the lock held by a run, check still reads everything and exits 0."""
    with (pristine / ".lock").open("a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        result = run("check", "--data-dir", pristine)

    assert result.exit_code == 0
    assert "a run is in progress" in result.stdout


def test_repair_exits_75_when_a_run_holds_the_lock(damaged: Path) -> None:
    """Like collect: another run holds the lock, nothing is moved."""
    with (damaged / ".lock").open("a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        result = run("repair", "--data-dir", damaged)

    assert result.exit_code == 75
    assert "another run holds the lock" in result.stderr
    assert not (damaged / "quarantine").exists()


def test_repair_mends_the_dir_and_check_is_clean_after(damaged: Path) -> None:
    """repair says what it moved and rebuilt; then check exits 0."""
    result = run("repair", "--data-dir", damaged)

    assert result.exit_code == 0, result.output
    moved, rebuilt, summary = result.stdout.splitlines()
    assert ": moved to quarantine/tables/comments/instance=" in moved
    assert "rebuilt" in rebuilt
    assert "rows from raw/" in rebuilt
    assert summary.endswith("1 problem(s) repaired")
    assert run("check", "--data-dir", damaged).exit_code == 0


def test_repair_without_raw_answers_says_what_is_lost_and_exits_1(tmp_path: Path) -> None:
    """keep_raw = false in the config: the part is quarantined, the loss is one line."""
    (tmp_path / "config.toml").write_text('contact = "t@example.org"\nkeep_raw = false\n')
    collect_into(tmp_path / "data", keep_raw=False)
    truncate(parts(tmp_path / "data", "comments")[0])

    result = run("repair", "--config", tmp_path / "config.toml", "--data-dir", tmp_path / "data")

    assert result.exit_code == 1
    assert "keep_raw = false" in result.stdout
    assert "`fedithreads collect --full` collects them again" in result.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["analyze"],
        ["report", "--out", "{tmp}/report"],
        ["export", "--out", "{tmp}/export"],
        ["show", str(BIG)],
        ["show", str(BIG), "--format", "html"],
    ],
    ids=["analyze", "report", "export", "show", "show-html"],
)
def test_reading_a_damaged_dir_is_one_line_pointing_at_check_and_repair(
    damaged: Path, tmp_path: Path, command: list[str]
) -> None:
    """No Polars traceback: the damaged file, and the commands that find and mend it."""
    args = [a.format(tmp=tmp_path) for a in command]

    result = run(*args, "--data-dir", damaged)

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    (line,) = result.stderr.splitlines()
    (part,) = parts(damaged, "comments")
    assert line.startswith(f"fedithreads: error: {part}: not a readable Parquet file")
    assert line.endswith(
        "run `fedithreads check` to list every damaged file and `fedithreads repair` to "
        "rebuild them from the raw archive"
    )
