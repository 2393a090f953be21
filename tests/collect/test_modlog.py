"""The moderation log against the replay server, in each dialect: read with a community
or an instance, stored in the moderation table, joined onto removed rows by analyze."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fedithreads.analysis import pipeline
from fedithreads.collect.run import Collector
from fedithreads.collect.targets import parse_target, with_window
from fedithreads.core.window import Window
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.tables import read_table
from fedithreads.synth.generate import generate_thread
from tests.collect.conftest import collect, settings_for

START = datetime(2026, 1, 1, tzinfo=UTC)
MOD = "https://lemmy.world/u/tech_mod"
QUICK = Quirks(published_rate_limit=(60_000, 60))


def moderated() -> ReplayDataset:
    """Four threads; a moderator removes three comments (two with a reason) on days 2, 3
    and 4 and bans one commenter on day 5."""
    data = ReplayDataset.from_threads(
        generate_thread(
            70 + i,
            instance="x",
            n_comments=10,
            post_id=4000 + i,
            comment_id_base=6_000_000 + i * 100,
            start=START + timedelta(hours=i),
        )
        for i in range(4)
    )
    plan = [(4000, 2, "Rule 2: be civil"), (4001, 3, None), (4003, 4, "Spam")]
    for post_id, day, reason in plan:
        comment = next(c for c in data.comments_of(post_id) if not (c.deleted or c.removed))
        when = START + timedelta(days=day)
        data.remove("comment", comment.comment_id, moderator=MOD, reason=reason, when=when)
    victim = data.log[-1]
    data.ban(
        (victim.person_ap_id or "", "x"), victim.community_ap_id or "", moderator=MOD,
        reason="Repeated spam", expires=START + timedelta(days=40), when=START + timedelta(days=5),
    )  # fmt: skip
    return data


@pytest.mark.parametrize("dialect", ["lemmy-v3", "lemmy-v4", "piefed"])
def test_a_communitys_modlog_is_stored_and_joined_onto_its_removed_comments(
    tmp_path: Path, dialect: str
) -> None:
    """Every entry of the community's log in the moderation table (kind, target, reason,
    time; the moderator only where the dialect shows it), and analyze gives each removed
    comment the reason and time of its removal."""
    data = moderated()
    with ReplayServer(data, dialect=dialect, quirks=QUICK) as server:
        report = collect(settings_for(tmp_path), f"{server.base_url}/c/technology@lemmy.world")

    assert report.ok
    table = read_table(tmp_path, "moderation").sort("acted_at")
    assert table.select("action", "comment_ap_id", "person_ap_id", "reason", "acted_at").rows() == [
        (a.action, a.comment_ap_id, a.person_ap_id, a.reason, a.acted_at) for a in data.log
    ]
    shown = MOD.replace("https://lemmy.world/u/", "") + "@lemmy.world"
    assert set(table["moderator"]) == ({shown} if dialect == "piefed" else {None})
    assert table["expires"].to_list()[-1] == START + timedelta(days=40)

    tables = pipeline.analyze(pipeline.load_snapshots((), tmp_path), bucket="1h")
    joined = tables["comments"].select("ap_id", "removal_reason", "removed_at").rows()
    found = {ap: (why, when) for ap, why, when in joined}
    for a in data.log[:3]:
        assert found[a.comment_ap_id or ""] == (a.reason, a.acted_at)
    assert sum(1 for _, when in found.values() if when is not None) == 3


def test_a_window_keeps_the_log_entries_inside_it(tmp_path: Path) -> None:
    """--since day 3, until day 5: the removals of days 3 and 4 only."""
    window = Window(START + timedelta(days=3), START + timedelta(days=5))
    with ReplayServer(moderated(), quirks=QUICK) as server:
        target = parse_target(f"{server.base_url}/c/technology@lemmy.world")
        asyncio.run(Collector(settings_for(tmp_path)).run([with_window(target, window)]))

    days = sorted(a.day for a in read_table(tmp_path, "moderation")["acted_at"])
    assert days == [4, 5]


def test_a_piefed_before_17_has_no_modlog_and_none_is_asked(tmp_path: Path) -> None:
    """PieFed 1.6 has no /api/alpha/modlog: nothing is asked, the run is complete."""
    with ReplayServer(moderated(), dialect="piefed", server_version="1.6.27", quirks=QUICK) as s:
        report = collect(settings_for(tmp_path), f"{s.base_url}/c/technology@lemmy.world")
        asked = s.log.count("/api/alpha/modlog")

    assert report.ok
    assert asked == 0
    assert read_table(tmp_path, "moderation").is_empty()
