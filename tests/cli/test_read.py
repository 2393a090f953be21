"""The command line as a user meets it: outputs, files, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner, Result
from polars.testing import assert_frame_equal

from fedithreads.analysis import parts
from fedithreads.cli.main import main
from fedithreads.core.schema import TABLES

REPO = Path(__file__).parents[2]
REAL = REPO / "fixtures" / "real"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def test_analyze_writes_the_five_tables_with_the_declared_schemas(tmp_path: Path) -> None:
    """analyze SOURCE --out DIR writes posts, comments, thread_stats, activity, vote_history."""
    result = run("analyze", REAL, "--out", tmp_path / "out")

    assert result.exit_code == 0, result.stderr
    for name, columns in TABLES.items():
        frame = pl.read_parquet(tmp_path / "out" / f"{name}.parquet")
        assert dict(frame.schema) == columns, name
    stats = pl.read_parquet(tmp_path / "out" / "thread_stats.parquet")
    assert stats.height == 16
    assert "test1.lemmy.ddenis.info/post/180" in result.stdout
    assert "wrote" in result.stderr


def test_analyze_prints_one_row_per_thread(tmp_path: Path) -> None:
    """The summary names each thread and its completeness."""
    result = run("analyze", REAL / "piefed-social-comments")

    assert result.exit_code == 0
    assert "piefed.social/post/2210082" in result.stdout
    assert "no, 3 missing" in result.stdout


def test_analyze_without_source_or_data_is_a_clear_error(tmp_path: Path) -> None:
    """With no SOURCE and an empty data dir, the user is told what to do."""
    result = run("analyze", "--data-dir", tmp_path / "data")

    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "no collected data yet; run `fedithreads collect` first" in result.stderr


def test_a_malformed_fixture_is_one_line_naming_file_and_json_path(tmp_path: Path) -> None:
    """A document that does not fit its dialect exits 1 with a ParseError line."""
    doc = json.loads(
        (REAL / "lemmy-0.19.18-test-instance/comment-list__test-instance.json").read_text()
    )
    doc["comments"][0]["counts"]["score"] = "lots"
    (tmp_path / "comment-list.json").write_text(json.dumps(doc))

    result = run("analyze", tmp_path)

    assert result.exit_code == 1
    assert result.stderr.startswith("fedithreads: error: ")
    assert "comment-list.json: lemmy-v3 comment/list: $.comments[0].counts.score:" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_missing_source_is_a_usage_error() -> None:
    """A SOURCE path that does not exist exits 2."""
    result = run("analyze", "no/such/dir")

    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_a_bad_bucket_is_a_usage_error() -> None:
    """--bucket must be a duration."""
    result = run("analyze", REAL, "--bucket", "hourly")

    assert result.exit_code == 2
    assert "--bucket 'hourly': must be a whole number and a unit" in result.stderr


def test_a_bad_config_exits_2_naming_the_key(tmp_path: Path) -> None:
    """A config mistake is one line naming file and key."""
    cfg = tmp_path / "config.toml"
    cfg.write_text("activty_bucket = '1h'\n")

    result = run("analyze", REAL, "--config", cfg)

    assert result.exit_code == 2
    assert f"{cfg}: activty_bucket: unknown key" in result.stderr


def test_show_renders_a_thread_tree_with_missing_parents_marked() -> None:
    """show prints authors, votes, ages and text, and marks what was not collected."""
    result = run("show", "https://piefed.social/post/2210082", REAL / "piefed-social-comments")

    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "thethrilloftime69@feddit.online · 42 points (▲42 ▼0)" in out
    assert "[comment 12116620 not collected]" in out
    assert "parent not collected" in out
    assert "Keep making live action movies nobody wants." in out


def test_show_in_colour_styles_the_tree_as_before() -> None:
    """With FORCE_COLOR the title is bold, guide lines dim, authors bold cyan, orphans yellow."""
    args = ["show", "https://piefed.social/post/2210082", str(REAL / "piefed-social-comments")]
    result = CliRunner().invoke(main, args, env={"FORCE_COLOR": "1", "NO_COLOR": None})

    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("\x1b[1mpost 2210082 on piefed.social (post not collected)\x1b[0m\n")
    assert "\x1b[2m├─ \x1b[0m\x1b[1;36mthethrilloftime69@feddit.online\x1b[0m · 42 points" in out
    assert "\x1b[33m · parent not collected\x1b[0m" in out


@pytest.mark.parametrize(
    ("post", "words"),
    [
        ("https://piefed.social/post/1", "is not in the given sources"),
        ("nonsense", "is not in the given sources"),
    ],
)
def test_show_an_unknown_post_is_a_usage_error(post: str, words: str) -> None:
    """A POST that the sources do not hold exits 2 and says how to name one."""
    result = run("show", post, REAL)

    assert result.exit_code == 2
    assert words in result.stderr


def test_show_an_ambiguous_id_lists_the_candidates(tmp_path: Path) -> None:
    """A bare id held by two instances (copies of one post) asks for one copy or --union."""
    src = REAL / "lemmy-0.19.18-test-instance"
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        for f in src.glob("*.json"):
            (tmp_path / name / f.name).write_bytes(f.read_bytes())
        (tmp_path / name / "capture.toml").write_text(f'instance = "{name}.example"\n')

    result = run("show", "180", tmp_path)

    assert result.exit_code == 2
    assert "one thread held by 2 instances; add --union" in result.stderr
    assert "give one copy: a.example/post/180, b.example/post/180\n" in result.stderr


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_export_writes_every_table_in_the_chosen_format(tmp_path: Path, fmt: str) -> None:
    """export --format writes one file per table."""
    result = run("export", REAL, "--out", tmp_path, "--format", fmt)

    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{t}.{fmt}" for t in TABLES)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_partitioned_is_parquet_only(tmp_path: Path, fmt: str) -> None:
    """--partitioned with a text format is one usage line, exit 2, and nothing written."""
    result = run("export", REAL, "--out", tmp_path / "out", "--partitioned", "--format", fmt)

    assert result.exit_code == 2
    assert result.stderr == (
        f"fedithreads: error: --partitioned writes parquet only; drop --format {fmt} "
        "or --partitioned\n"
    )
    assert not (tmp_path / "out").exists()


def test_export_partitioned_refuses_a_directory_of_other_files(tmp_path: Path) -> None:
    """A partitioned export into a DIR that holds other files (here a flat export) is
    one usage line naming the file, exit 2, and DIR is left as it was."""
    assert run("export", REAL, "--out", tmp_path).exit_code == 0
    before = sorted(p.name for p in tmp_path.iterdir())

    result = run("export", REAL, "--out", tmp_path, "--partitioned")

    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert f"{tmp_path / 'activity.parquet'} is not a file `export --partitioned`" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("command", [[], ["analyze"], ["show"], ["export"]])
def test_every_command_has_help(command: list[str]) -> None:
    """--help works everywhere and exits 0."""
    result = run(*command, "--help")

    assert result.exit_code == 0
    assert "Usage:" in result.stdout


def test_python_dash_m_runs_the_cli() -> None:
    """python -m fedithreads is the same program."""
    done = subprocess.run(
        [sys.executable, "-m", "fedithreads", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0
    assert done.stdout.startswith("fedithreads, version ")


def test_show_renders_the_seed_thread_with_the_seed_documents_facts() -> None:
    """The seed thread shows the reply by LittleSpoon@lemmygrad.ml, 9 upvotes, 10 days ago."""
    seed_text = (REPO / "fixtures/seed-text/000_d428b1840756202e.txt").read_text()
    reply = seed_text.split("10 days ago", 1)[1].strip()

    result = run("show", "https://lemmygrad.ml/post/9137482", REPO / "fixtures")

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Wang Yi")
    assert "worldnews@lemmygrad.ml" in lines[1]
    assert "└─ LittleSpoon@lemmygrad.ml · 9 points (▲9 ▼0) · 10 days ago" in result.stdout
    flat = " ".join(result.stdout.split())
    assert reply in flat
    assert "Chinese Foreign Minister Wang Yi says strengthening ties with North Korea" in flat


def test_analyze_streaming_out_writes_every_table_partitioned_by_instance(
    tmp_path: Path,
) -> None:
    """analyze --streaming --out DIR writes each table under DIR/<table>/instance=<host>/,
    the same rows analyze --out writes in one file per table."""
    whole = run("analyze", REPO / "fixtures", "--out", tmp_path / "whole")
    parted = run("analyze", REPO / "fixtures", "--streaming", "--out", tmp_path / "parted")

    assert whole.exit_code == 0, whole.stderr
    assert parted.exit_code == 0, parted.stderr
    for name in TABLES:
        expected = pl.read_parquet(tmp_path / "whole" / f"{name}.parquet")
        files = sorted((tmp_path / "parted" / name).glob("**/*.parquet"))
        assert all(f.parent.name.startswith("instance=") for f in files if expected.height)
        written = pl.concat([pl.read_parquet(f) for f in files])
        order = [
            c
            for c in ("instance", "post_id", "comment_id", "kind", "id", "author_ap_id")
            if c in expected
        ]
        assert_frame_equal(
            written.sort(order, maintain_order=True), expected.sort(order, maintain_order=True)
        )


def test_analyze_streaming_out_with_jobs_writes_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--jobs 3 analyses three instances at once, each written by its own worker: the
    same files, with the same rows in the same order, as one instance at a time."""
    asked: list[int] = []
    real = parts.ordered_map

    def recorded(work: Any, items: Any, workers: int) -> Any:
        asked.append(workers)
        return real(work, items, workers)

    monkeypatch.setattr(parts, "ordered_map", recorded)
    one = run("analyze", REPO / "fixtures", "--streaming", "--out", tmp_path / "one")
    three = run(
        "analyze", REPO / "fixtures", "--streaming", "--out", tmp_path / "three", "--jobs", "3"
    )

    assert one.exit_code == 0, one.stderr
    assert three.exit_code == 0, three.stderr
    assert asked == [1, 3]
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*.parquet"))
    assert len({f.parts[1] for f in files if len(f.parts) > 2}) >= 3  # instances to share
    assert files == sorted(
        p.relative_to(tmp_path / "three") for p in (tmp_path / "three").rglob("*.parquet")
    )
    for f in files:
        assert_frame_equal(
            pl.read_parquet(tmp_path / "three" / f), pl.read_parquet(tmp_path / "one" / f)
        )
    assert one.stdout == three.stdout


def test_analyze_with_jobs_returns_the_same_tables(tmp_path: Path) -> None:
    """--jobs 1 and --jobs 4 without --streaming: the same tables as the default."""
    outs = {}
    for jobs in ("default", "1", "4"):
        extra = () if jobs == "default" else ("--jobs", jobs)
        done = run("analyze", REPO / "fixtures", "--out", tmp_path / jobs, *extra)
        assert done.exit_code == 0, done.stderr
        outs[jobs] = {n: pl.read_parquet(tmp_path / jobs / f"{n}.parquet") for n in TABLES}
    for jobs in ("1", "4"):
        for name in TABLES:
            assert_frame_equal(outs[jobs][name], outs["default"][name])


def test_analyze_jobs_below_one_is_a_usage_error() -> None:
    done = run("analyze", REPO / "fixtures", "--jobs", "0")

    assert done.exit_code == 2
    assert "--jobs" in done.stderr
    assert "0" in done.stderr


def test_analyze_of_all_fixtures_gives_identical_stats_for_one_thread_in_three_dialects(
    tmp_path: Path,
) -> None:
    """The big thread served as lemmy-v3, lemmy-v4 and piefed has the same thread stats."""
    result = run("analyze", REPO / "fixtures", "--out", tmp_path)

    assert result.exit_code == 0, result.stderr
    big = pl.read_parquet(tmp_path / "thread_stats.parquet").filter(
        pl.col("comments_collected") == 420
    )
    stats = big.filter(pl.col("scope") == "instance")
    assert sorted(stats["instance"]) == ["lemmy.ca", "lemmy.ml", "piefed.social"]
    same = stats.drop("instance", "post_id")
    assert same.unique().height == 1
    row = same.row(0, named=True)
    assert (row["complete"], row["missing"], row["max_depth"], row["authors"]) == (True, 0, 14, 57)
    # the same ap_id on three instances: one union row, canonical, at the home instance
    # (lemmy.world, not collected: no local id, and so not complete)
    union = big.filter(pl.col("scope") == "union").row(0, named=True)
    assert (union["instance"], union["post_id"], union["canonical"]) == ("lemmy.world", None, True)
    assert (union["max_depth"], union["authors"], union["complete"]) == (14, 57, False)
    federation = pl.read_parquet(tmp_path / "federation.parquet")
    assert federation["instance"].to_list() == ["lemmy.ca", "lemmy.ml", "piefed.social"]
    assert federation["missing_vs_union"].to_list() == [0, 0, 0]
