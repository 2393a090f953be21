"""The page ceiling a host is expected to have is a hint: probed once, then remembered.

Behind a ceiling only both ends and the other orders of a thread can be paged, so a
ceiling assumed too low under-collects a thread the server would have paged whole. The
crawler asks one page past the expected ceiling: answered, it pages on; refused, the
ceiling is confirmed and state.json remembers it for the host, so later runs do not ask.
"""

from __future__ import annotations

import json
from pathlib import Path

from fedithreads.config import Settings
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.synth.generate import generate_thread
from tests.collect.conftest import collect, collected_ids, settings_for

QUICK = (60_000, 60)
# mostly top-level comments: behind a 2-page ceiling most of them are out of reach
THREAD = generate_thread(31, instance="lemmy.ca", n_comments=600, top_level_fraction=0.9, post_id=8)


def serve(**quirks: object) -> ReplayServer:
    return ReplayServer(
        ReplayDataset.from_threads([THREAD]),
        quirks=Quirks(published_rate_limit=QUICK, max_depth_cap=10, **quirks),  # type: ignore[arg-type]
    )


def expecting(data_dir: Path, server: ReplayServer, ceiling: int) -> Settings:
    """Settings that expect ``ceiling`` pages of the server (as its version would)."""
    return settings_for(data_dir, hosts={server.instance: {"page_ceiling": ceiling}})


def remembered(data_dir: Path, server: ReplayServer) -> dict[str, object]:
    return json.loads((data_dir / "state.json").read_text())["servers"][server.instance]


def pages_asked(server: ReplayServer, page: int) -> int:
    return sum(
        1 for e in server.log.matching("/api/v3/comment/list") if e.params.get("page") == str(page)
    )


def test_a_server_that_pages_past_the_expected_ceiling_is_collected_whole(
    tmp_path: Path,
) -> None:
    """Expecting 2 pages of a server that has no ceiling: page 3 is answered, paging goes
    on, every comment is collected, and state.json remembers the page answered past."""
    with serve() as server:
        report = collect(expecting(tmp_path, server, 2), f"{server.base_url}/post/8")

    assert report.ok
    assert collected_ids(tmp_path) == set(server.dataset.comment_ids(8))
    assert remembered(tmp_path, server)["pages_beyond"] >= 3
    assert remembered(tmp_path, server)["page_ceiling"] is None


def test_a_ceiling_the_server_confirms_is_remembered_and_not_probed_again(
    tmp_path: Path,
) -> None:
    """Expecting 2 pages of a server that refuses page 3: the refusal confirms the
    ceiling, state.json keeps it, and the next run asks no page past it."""
    with serve(page_ceiling=2) as server:
        settings = expecting(tmp_path, server, 2)
        collect(settings, f"{server.base_url}/post/8")
        probes = pages_asked(server, 3)
        server.log.reset()
        collect(settings, f"{server.base_url}/post/8", full=True)

    assert probes >= 1
    assert remembered(tmp_path, server)["page_ceiling"] == 2
    assert pages_asked(server, 3) == 0
    assert pages_asked(server, 2) >= 1
