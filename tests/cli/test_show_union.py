"""`fedithreads show POST --union` on a thread collected from three replay instances."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner, Result

from fedithreads.analysis import pipeline
from fedithreads.analysis.unionthread import UnionThread
from fedithreads.cli.main import main
from fedithreads.report.unionview import union_header
from tests.conftest import collected_across

REAL = Path(__file__).parents[2] / "fixtures" / "real"
BRANCH = re.compile(r"^[│ ]*[├└]─ ")


@dataclass(frozen=True)
class Collected:
    """A federation's ground truth and the config of the data dir it was collected into."""

    config: Path
    ap_id: str
    home: str
    urls: dict[str, str]
    post_ids: dict[str, int]
    missing: dict[str, frozenset[str]]
    union: frozenset[str]


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Collected:
    tmp = tmp_path_factory.mktemp("union")
    with collected_across(tmp, 0.2, seed=5, comments=40) as fed:
        return Collected(
            tmp / "config.toml",
            fed.post_ap_ids[0],
            fed.members[0].key,
            {m.key: m.post_url() for m in fed.members},
            {m.key: m.post_ids[0] for m in fed.members},
            {m.key: m.missing for m in fed.members},
            fed.union,
        )


def run(*args: str | Path) -> Result:
    """The command at 250 columns, so that rich folds no comment line."""
    return CliRunner().invoke(main, [str(a) for a in args], env={"COLUMNS": "250"})


def show(c: Collected, post: str, *more: str) -> Result:
    return run("show", post, "--config", c.config, *more)


def walk(nodes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Pre-order, replies in order: the order the text tree prints them."""
    for node in nodes:
        yield node
        yield from walk(node["replies"])


def union_json(c: Collected) -> dict[str, Any]:
    result = show(c, c.ap_id, "--union", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_every_comment_is_marked_with_exactly_the_instances_whose_copy_lacks_it(
    collected: Collected,
) -> None:
    """Each comment line names the instances missing it, as the servers' truth says."""
    result = show(collected, collected.ap_id, "--union")
    nodes = list(walk(union_json(collected)["comments"]))

    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if BRANCH.match(line)]
    assert len(lines) == len(nodes) > 0
    marked = 0
    for line, node in zip(lines, nodes, strict=True):
        ap_id = node["comment"]["ap_id"]
        truth = sorted(k for k, gone in collected.missing.items() if ap_id in gone)
        assert node["missing_on"] == truth
        marker = re.search(r" · missing on (.+)$", line)
        assert (marker[1].split(", ") if marker else []) == truth, line
        marked += bool(truth)
    assert marked == len(set().union(*collected.missing.values()))


def test_the_json_union_agrees_with_the_comment_presence_table(collected: Collected) -> None:
    """missing_on/seen_on per comment are the comment_presence rows of analyze."""
    snapshots = pipeline.load_snapshots([], collected.config.parent / "data")
    presence = pipeline.analyze(snapshots, bucket="1h")["comment_presence"]
    absent = presence.group_by("ap_id").agg(
        pl.col("instance").filter(~pl.col("present")).sort().alias("missing"),
        pl.col("instance").filter(pl.col("present")).sort().alias("seen"),
    )
    expected = {ap: (m, s) for ap, m, s in absent.rows()}

    data = union_json(collected)

    got = {
        n["comment"]["ap_id"]: (n["missing_on"], n["seen_on"])
        for n in walk(data["comments"])
        if not n["placeholder"]
    }
    assert got == expected
    assert data["union"]["home_instance"] == collected.home
    assert data["union"]["comments"] == len(expected)
    copies = data["union"]["copies"]
    assert copies[0]["instance"] == collected.home
    assert {c["instance"]: c["post_id"] for c in copies} == collected.post_ids


def test_the_header_names_the_copies_home_first_with_what_each_lacks(
    collected: Collected,
) -> None:
    """The union's header: how many copies, the union's size, each copy's post and gap."""
    result = show(collected, collected.ap_id, "--union")

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    start = lines.index(f"union of 3 copies by ap_id, {len(collected.union)} comments:")
    expected = []
    for instance, gone in collected.missing.items():  # home first, as the federation lists
        home = "home · " if instance == collected.home else ""
        held = len(collected.union) - len(gone)
        post = collected.post_ids[instance]
        expected.append(f"  {instance}: {home}post {post} · {held} comments · lacks {len(gone)}")
    assert lines[start + 1] == expected[0]
    assert sorted(lines[start + 1 : start + 4]) == sorted(expected)


def test_any_copys_url_selects_the_same_union(collected: Collected) -> None:
    """A mirror's post URL with --union prints what the ap_id does."""
    by_ap_id = show(collected, collected.ap_id, "--union")
    mirror = next(k for k in collected.urls if k != collected.home)

    by_mirror = show(collected, collected.urls[mirror], "--union")

    assert by_mirror.exit_code == 0, by_mirror.stderr
    assert by_mirror.stdout == by_ap_id.stdout


def test_an_ap_id_of_several_copies_without_union_says_so_and_how_to_choose(
    collected: Collected,
) -> None:
    """Without --union the ap_id is ambiguous: exit 2, --union or one copy suggested."""
    result = show(collected, collected.ap_id)

    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "is one thread held by 3 instances; add --union" in result.stderr
    for instance, post_id in collected.post_ids.items():
        assert f"{instance}/post/{post_id}" in result.stderr


def test_a_suggested_copy_shows_that_copy_alone(collected: Collected) -> None:
    """``host/post/id`` from the suggestion names one copy: no union header, no markers."""
    mirror = next(k for k in collected.urls if k != collected.home)

    result = show(collected, f"{mirror}/post/{collected.post_ids[mirror]}")

    assert result.exit_code == 0, result.stderr
    assert f"from {mirror} (post {collected.post_ids[mirror]}," in result.stdout
    assert "union of" not in result.stdout
    assert "missing on" not in result.stdout


def test_union_of_a_thread_with_one_copy_is_the_plain_tree() -> None:
    """A thread held by one instance renders with --union exactly as without it."""
    args = ["show", "https://piefed.social/post/2210082", str(REAL / "piefed-social-comments")]

    plain, union = run(*args), run(*args, "--union")

    assert union.exit_code == 0, union.stderr
    assert union.stdout == plain.stdout
    assert "missing on" not in union.stdout


def test_union_as_html_is_a_one_line_usage_error(collected: Collected) -> None:
    """--union --format html exits 2 saying what to use instead."""
    result = show(collected, collected.ap_id, "--union", "--format", "html")

    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "show --union prints text or json, not html; `fedithreads report`" in result.stderr


def test_without_the_home_copy_the_union_stands_on_a_mirrors_post(collected: Collected) -> None:
    """The mirrors' union: header says home was not collected, the post row is a mirror's."""
    whole = pipeline.load_snapshots([], collected.config.parent / "data")
    away = pl.col("instance") != collected.home
    snapshots = pipeline.Snapshots(whole.posts.filter(away), whole.comments.filter(away), ())
    mirror = next(k for k in collected.urls if k != collected.home)

    union = pipeline.find_union(snapshots, collected.urls[mirror])

    assert isinstance(union, UnionThread)
    assert [c.is_home for c in union.copies] == [False, False]
    assert union.thread.instance in collected.post_ids
    assert union.thread.instance != collected.home
    header = union_header(union)
    assert header[-1] == f"  {collected.home}: home · its copy was not collected"
    held = set().union(*(collected.union - collected.missing[c.instance] for c in union.copies))
    assert union.comments == len(held)
