"""collect --dry-run and --quiet as cron runs them: estimates without comments, silence
on success."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner, Result

from fedithreads.cli.main import main
from fedithreads.collect.state import State
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.server import ReplayServer
from fedithreads.synth.generate import generate_thread
from tests.conftest import loopback_config

SIZES = (0, 3, 49, 50, 120, 260)
START = datetime(2025, 6, 1, tzinfo=UTC)


def community() -> ReplayDataset:
    """Six old threads of technology@lemmy.world with 0 to 260 comments."""
    return ReplayDataset.from_threads(
        generate_thread(
            60 + i,
            instance="x",
            n_comments=n,
            post_id=3000 + i,
            comment_id_base=9_000_000 + i * 1000,
            start=START + timedelta(hours=i),
        )
        for i, n in enumerate(SIZES)
    )


def collect(tmp_path: Path, *args: str) -> Result:
    config = loopback_config(tmp_path)
    return CliRunner().invoke(main, ["collect", *args, "--config", str(config)])


def test_a_dry_run_estimates_from_the_post_list_and_the_published_limit(tmp_path: Path) -> None:
    """Every thread of a new community is due; the estimate is the listing request plus
    each thread's comment pages, at 90 % of the 180 per 60 s the server publishes; no
    comment is asked and nothing is written."""
    dataset = community()
    with ReplayServer(dataset) as server:
        result = collect(tmp_path, f"{server.base_url}/c/technology@lemmy.world", "--dry-run")
        comment_requests = server.log.count("/api/v3/comment/list")

    assert result.exit_code == 0, result.output
    pages = sum(math.ceil((p.comments + 1) / 50) for p in dataset.posts())
    line, total = result.stdout.splitlines()
    listing_and_modlog = 1 + 2  # the post list; the community's id, the log's first page
    assert f"6 threads listed, 6 due (6 new); about {listing_and_modlog + pages} requests" in line
    assert f"at {180 / 60 * 0.9:.3g} requests/s" in line
    assert f"about {listing_and_modlog + pages + 2} requests" in total
    assert "publishes 180 per 60 s" in total
    assert comment_requests == 0
    assert not (tmp_path / "data").exists()


def test_a_dry_run_after_a_run_counts_only_the_threads_due(tmp_path: Path) -> None:
    """After a collect, the threads it left incomplete are due again and the complete
    ones are not; a new reply makes its thread due as changed; only the pages of the
    threads due are estimated."""
    dataset = community()
    with ReplayServer(dataset) as server:
        target = f"{server.base_url}/c/technology@lemmy.world"
        collect(tmp_path, target)
        before = collect(tmp_path, target, "--dry-run")
        dataset.add_comment(3004, author="late@lemmy.world", content="one more")
        after = collect(tmp_path, target, "--dry-run")

    seen = State.load(tmp_path / "data").threads
    left = {int(k.rsplit("/", 1)[1]) for k, v in seen.items() if not v.complete}
    assert 3004 not in left
    pages = {p.post_id: math.ceil((p.comments + 1) / 50) for p in dataset.posts()}
    due = f"{len(left)} due ({len(left)} incomplete before)" if left else "0 due"
    fixed = 3  # the post list; the community's id and the first page of its log
    assert f"6 threads listed, {due}; about {fixed + sum(pages[i] for i in left)} requests" in (
        before.stdout
    )
    both = f"{len(left) + 1} due (1 changed" + (f", {len(left)} incomplete before" if left else "")
    assert f"{both}); about {fixed + sum(pages[i] for i in left | {3004})}" in after.stdout


def test_quiet_prints_nothing_on_success_and_one_line_per_failure(tmp_path: Path) -> None:
    """--quiet: a complete run prints nothing at all; a target that fails prints its one
    line (exit 1), the others stay silent; a quiet dry run prints nothing either."""
    with ReplayServer(community()) as server:
        good = f"{server.base_url}/post/3001"
        quiet = collect(tmp_path, good, "--quiet")
        dry = collect(tmp_path, good, "--quiet", "--dry-run")
        failing = collect(tmp_path, good, f"{server.base_url}/post/9999", "--quiet")

    assert (quiet.exit_code, quiet.output) == (0, "")
    assert (dry.exit_code, dry.output) == (0, "")
    assert failing.exit_code == 1
    assert re.fullmatch(rf"{server.base_url}/post/9999: failed: [^\n]*\n", failing.stdout)
