"""One thread across four instances, end to end: serve → collect --across → analyze.

The replay federation is what `fedithreads serve --federation 4 --federation-loss 0.1`
serves; the collect and analyze are the commands a user types. Compared id by id with
what each instance holds and misses (the server's ground truth).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from click.testing import CliRunner

from fedithreads.cli.main import main
from fedithreads.replay.federation import ReplayFederation
from tests.conftest import loopback_config


def test_the_union_and_every_instances_gaps_match_the_servers_truth(tmp_path: Path) -> None:
    config = loopback_config(tmp_path)
    with ReplayFederation(4, 0.1, seed=21, comments=400) as fed:
        home, *mirrors = fed.members
        hosts = ",".join(m.key for m in mirrors)
        collected = CliRunner().invoke(
            main, ["collect", home.post_url(), "--across", hosts, "--config", str(config)]
        )
    analyzed = CliRunner().invoke(
        main, ["analyze", "--config", str(config), "--out", str(tmp_path / "out")]
    )
    assert collected.exit_code == 0, collected.output
    assert analyzed.exit_code == 0, analyzed.output
    out = tmp_path / "out"
    federation = pl.read_parquet(out / "federation.parquet")
    presence = pl.read_parquet(out / "comment_presence.parquet")
    stats = pl.read_parquet(out / "thread_stats.parquet")

    only_on_mirrors = set().union(*(m.held for m in mirrors)) - home.held
    assert 0 < len(only_on_mirrors) < len(fed.union)
    union = set(presence["ap_id"].unique().to_list())
    assert union == set(home.held) | only_on_mirrors == fed.union
    rows = {r["instance"]: r for r in federation.iter_rows(named=True)}
    assert set(rows) == {m.key for m in fed.members}
    for m in fed.members:
        row = rows[m.key]
        assert row["is_home"] is (m is home)
        assert row["found"] is True
        assert row["home_instance"] == home.key
        assert row["comments_collected"] == len(m.held)
        assert row["comments_union"] == len(fed.union)
        assert row["missing_vs_union"] == len(m.missing)
        assert row["missing_vs_home"] == len(home.held - m.held)
        assert row["extra_vs_home"] == len(m.held - home.held)
        if not m.downvotes:
            assert row["downvotes"] == 0
            assert row["score"] == row["upvotes"]
        absent = presence.filter((pl.col("instance") == m.key) & ~pl.col("present"))
        assert set(absent["ap_id"].to_list()) == set(m.missing)
    assert not all(m.downvotes for m in fed.members)
    assert rows[home.key]["downvotes"] > 0
    union_row = stats.filter(pl.col("scope") == "union").row(0, named=True)
    assert union_row["canonical"] is True
    assert union_row["instance"] == home.key
    assert union_row["comments_collected"] == len(fed.union)
    assert union_row["complete"] is True
    assert stats.filter(pl.col("canonical")).height == 1
