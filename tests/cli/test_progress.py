"""The progress bars of `collect` on a terminal: threads, and comments within a thread."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from fedithreads.cli.collecting import bar_progress
from fedithreads.collect.run import Collector
from fedithreads.collect.targets import parse_target
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.synth.generate import generate_thread
from tests.collect.conftest import settings_for


def test_the_comments_bar_moves_page_by_page_within_a_thread(tmp_path: Path) -> None:
    """Crawling one 420-comment thread, the comments bar climbs in several steps while
    the threads bar still shows none finished, to all 420 of the server's count."""
    thread = generate_thread(5, instance="lemmy.ca", n_comments=420, post_id=77)
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    seen: list[tuple[float, float, float | None]] = []
    with (
        Progress(console=console) as bar,
        ReplayServer(
            ReplayDataset.from_threads([thread]), quirks=Quirks(published_rate_limit=(60_000, 60))
        ) as server,
    ):
        update = bar_progress(bar)
        threads, comments = bar.tasks

        def progress(what: str, n: int) -> None:
            update(what, n)
            seen.append((threads.completed, comments.completed, comments.total))

        collector = Collector(settings_for(tmp_path), progress=progress)
        asyncio.run(collector.run([parse_target(f"{server.base_url}/post/77")]))

    within = {done for finished, done, _ in seen if finished == 0 and 0 < done < 420}
    assert len(within) >= 5
    assert seen[-1] == (1, 420, thread.post.comments)  # the count leaves deleted ones out
