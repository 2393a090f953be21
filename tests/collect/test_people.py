"""User and instance targets against the replay server, in each dialect: a person's
posts and the threads of their comments; an instance's local communities' posts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from msgspec.structs import replace as restruct

from fedithreads.cli.main import main
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.synth.generate import generate_thread
from fedithreads.synth.plan import SynthThread
from tests.collect.conftest import collected_ids
from tests.conftest import loopback_config

START = datetime(2026, 1, 1, tzinfo=UTC)
WHO = "researcher@lemmy.world"
WHO_URL = "https://lemmy.world/u/researcher"
DIALECTS = ["lemmy-v3", "lemmy-v4", "piefed"]


def thread(i: int, community: str = "technology@lemmy.world") -> SynthThread:
    """Thread 2000 + i, published i hours after START, 12 comments over its first day."""
    return generate_thread(
        40 + i, instance="x", n_comments=12, post_id=2000 + i,
        comment_id_base=8_000_000 + i * 100, start=START + timedelta(hours=i), community=community,
    )  # fmt: skip


def by(who: bool, t: SynthThread, comment: int | None = None) -> SynthThread:
    """``t`` with its post (or its ``comment``-th comment) written by WHO."""
    if comment is None:
        return replace(t, post=restruct(t.post, author=WHO, author_ap_id=WHO_URL))
    comments = list(t.comments)
    comments[comment] = restruct(comments[comment], author=WHO, author_ap_id=WHO_URL)
    return replace(t, comments=tuple(comments))


def people() -> tuple[ReplayDataset, dict[int, datetime]]:
    """Ten threads; WHO wrote post 2001 and commented in 2004 and 2007 (their comment's
    time in each is returned)."""
    threads = [thread(i) for i in range(10)]
    threads[1] = by(True, threads[1])
    threads[4] = by(True, threads[4], comment=5)
    threads[7] = by(True, threads[7], comment=2)
    times = {2001: threads[1].post.published}
    times |= {
        t.post.post_id: t.comments[c].published for t, c in ((threads[4], 5), (threads[7], 2))
    }
    return ReplayDataset.from_threads(threads), times


def collect(tmp_path: Path, *args: str) -> Result:
    tmp_path.mkdir(exist_ok=True)
    config = loopback_config(tmp_path)
    return CliRunner().invoke(main, ["collect", *args, "--config", str(config)])


QUICK = Quirks(published_rate_limit=(60_000, 60))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_user_target_collects_their_posts_and_the_threads_they_commented_in(
    tmp_path: Path, dialect: str
) -> None:
    """@name@host: the post they wrote and the two threads of their comments, each
    thread whole and complete; nothing else."""
    dataset, _ = people()
    with ReplayServer(dataset, dialect=dialect, quirks=QUICK) as server:
        result = collect(tmp_path, f"{server.base_url}/u/{WHO}")

    assert result.exit_code == 0, result.output
    assert collected_ids(tmp_path / "data", "posts") == {2001, 2004, 2007}
    expected = {c.comment_id for p in (2001, 2004, 2007) for c in dataset.comments_of(p)}
    assert collected_ids(tmp_path / "data") == expected
    assert "3 threads, 3 crawled" in result.output
    assert "all complete" in result.output


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_window_keeps_the_users_threads_active_in_it(tmp_path: Path, dialect: str) -> None:
    """With --since just after their post, only the threads of comments they wrote in
    the window remain; --max-posts 1 keeps the newest of them."""
    dataset, times = people()
    since = (times[2001] + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with ReplayServer(dataset, dialect=dialect, quirks=QUICK) as server:
        url = f"{server.base_url}/u/{WHO}"
        windowed = collect(tmp_path / "a", url, "--since", since)
        newest = collect(tmp_path / "b", url, "--since", since, "--max-posts", "1")

    assert windowed.exit_code == 0, windowed.output
    assert newest.exit_code == 0, newest.output
    assert collected_ids(tmp_path / "a" / "data", "posts") == {2004, 2007}
    latest = max((2004, 2007), key=lambda p: times[p])
    assert collected_ids(tmp_path / "b" / "data", "posts") == {latest}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_an_instance_target_collects_its_local_communities_posts(
    tmp_path: Path, dialect: str
) -> None:
    """https://host/ with --max-posts 3: the three newest posts of communities local to
    the host, none of the remote ones; without a window or max_posts it is refused."""
    server = ReplayServer(ReplayDataset([], []), dialect=dialect, quirks=QUICK).bind()
    local = f"tech@{server.instance}"
    threads = [thread(i, community=local if i % 2 else "technology@lemmy.world") for i in range(8)]
    with server.start(ReplayDataset.from_threads(threads)):
        refused = collect(tmp_path / "refused", f"{server.base_url}/")
        result = collect(tmp_path, f"{server.base_url}/", "--max-posts", "3")

    assert refused.exit_code == 2
    assert "an instance needs a window or max_posts" in refused.stderr
    assert not (tmp_path / "refused" / "data").exists()
    assert result.exit_code == 0, result.output
    assert collected_ids(tmp_path / "data", "posts") == {2003, 2005, 2007}
