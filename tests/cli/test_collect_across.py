"""`fedithreads collect … --across HOSTS` as a user runs it: lines, exit codes, the manifest."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from fedithreads.cli.main import main
from fedithreads.replay.federation import ReplayFederation
from tests.conftest import loopback_config


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def test_collect_across_prints_the_copies_and_keeps_them_in_the_manifest(
    tmp_path: Path,
) -> None:
    with ReplayFederation(3, 0.1, seed=2, comments=90) as fed:
        home, *mirrors = fed.members
        hosts = ",".join(m.key for m in mirrors)
        config = loopback_config(tmp_path)
        result = run("collect", home.post_url(), "--across", hosts, "--config", config)

    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 1
    assert "; copies on 2 other instances: 2 found (2 crawled)\n" in result.stdout
    (manifest,) = (tmp_path / "data" / "runs").glob("*.json")
    views = json.loads(manifest.read_text())["targets"][0]["views"]
    assert [(v["instance"], v["found"]) for v in views] == [(m.key, True) for m in mirrors]
    assert [v["thread"]["collected"] for v in views] == [len(m.held) for m in mirrors]


def test_seed_files_across_is_read_like_the_flag(tmp_path: Path) -> None:
    with ReplayFederation(2, 0.1, seed=4, comments=30) as fed:
        home, mirror = fed.members
        seeds = tmp_path / "seeds"
        seeds.mkdir()
        (seeds / "a.toml").write_text(
            f'[[targets]]\ntarget = "{home.post_url()}"\nacross = ["{mirror.key}"]\n'
        )
        result = run("collect", "--seeds", seeds / "a.toml", "--config", loopback_config(tmp_path))

    assert result.exit_code == 0, result.output
    assert "copies on 1 other instance: 1 found (1 crawled)" in result.stdout


def test_a_bad_across_is_one_line_and_exit_2_before_anything_is_collected(
    tmp_path: Path,
) -> None:
    result = run(
        "collect",
        "https://lemmy.ml/post/1",
        "--across",
        "lemmy.ml,,x",
        "--config",
        loopback_config(tmp_path),
    )

    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "--across 'lemmy.ml,,x': has an empty host" in result.stderr
    assert not (tmp_path / "data").exists()


def test_a_target_given_and_in_a_seed_file_asks_the_seed_files_across_hosts_too(
    tmp_path: Path,
) -> None:
    with ReplayFederation(2, 0.1, seed=6, comments=20) as fed:
        home, mirror = fed.members
        seed = tmp_path / "a.toml"
        seed.write_text(f'[[targets]]\ntarget = "{home.post_url()}"\nacross = ["{mirror.key}"]\n')
        config = loopback_config(tmp_path)
        result = run("collect", home.post_url(), "--seeds", seed, "--config", config)

    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 1
    assert "copies on 1 other instance: 1 found (1 crawled)" in result.stdout
