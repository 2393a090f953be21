"""Date windows over a community's listing: the posts of the window, and no page more."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from msgspec.structs import replace as restruct

from fedithreads.cli.main import main
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.synth.generate import generate_thread
from tests.collect.conftest import collected_ids
from tests.conftest import loopback_config

START = datetime(2026, 1, 1, tzinfo=UTC)
POSTS = 120


def hourly_community(pinned: tuple[int, ...] = ()) -> ReplayDataset:
    """``POSTS`` posts of technology@lemmy.world, one an hour from START (post 1000 + i
    at START + i hours), each with 3 comments; ``pinned`` posts are featured."""
    threads = []
    for i in range(POSTS):
        thread = generate_thread(
            i, instance="lemmy.ca", n_comments=3, post_id=1000 + i,
            comment_id_base=5_000_000 + i * 10, start=START + timedelta(hours=i),
        )  # fmt: skip
        if 1000 + i in pinned:
            thread = replace(thread, post=restruct(thread.post, featured=True))
        threads.append(thread)
    return ReplayDataset.from_threads(threads)


def test_a_window_collects_its_posts_and_stops_paging_once_past_its_start(
    tmp_path: Path,
) -> None:
    """--since/--until keep exactly the posts published in [since, until), the pinned
    one inside the window with them and the pinned one outside not; the New listing
    stops at the page that passes the start (2 of its 3 pages)."""
    dataset = hourly_community(pinned=(1005, 1040))
    quirks = Quirks(published_rate_limit=(60_000, 60))
    with ReplayServer(dataset, quirks=quirks) as server:
        result = CliRunner().invoke(
            main,
            [
                "collect", f"{server.base_url}/c/technology@lemmy.world",
                "--since", "2026-01-02T06:00Z", "--until", "2026-01-03T12:00Z",  # hours 30, 60
                "--config", str(loopback_config(tmp_path)),
            ],
        )  # fmt: skip
        listings = server.log.count("/api/v3/post/list")

    assert result.exit_code == 0, result.output
    assert collected_ids(tmp_path / "data", "posts") == set(range(1030, 1060))
    assert listings == 2
    assert "30 threads, 30 crawled" in result.output


def test_max_posts_counts_only_the_posts_of_the_window(tmp_path: Path) -> None:
    """With a window and max_posts 5, the 5 newest posts of the window are kept."""
    seeds = tmp_path / "seeds.toml"
    quirks = Quirks(published_rate_limit=(60_000, 60))
    with ReplayServer(hourly_community(), quirks=quirks) as server:
        seeds.write_text(
            f'[[targets]]\ntarget = "{server.base_url}/c/technology@lemmy.world"\n'
            "max_posts = 5\nuntil = 2026-01-03T00:00:00Z\n"
        )
        result = CliRunner().invoke(
            main, ["collect", "--seeds", str(seeds), "--config", str(loopback_config(tmp_path))]
        )

    assert result.exit_code == 0, result.output
    assert collected_ids(tmp_path / "data", "posts") == set(range(1043, 1048))
