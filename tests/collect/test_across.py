"""collect --across against a replay federation: every copy, id by id, per instance.

A ReplayFederation serves one discussion on several loopback instances, each missing a
seeded share of it; the home instance is the community's. The collector is given one copy
(or the home) and the other hosts, and must bring back each copy exactly as its instance
holds it, so that the union of the copies is the whole discussion.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from msgspec.structs import replace

from fedithreads.analysis.pipeline import analyze, load_snapshots
from fedithreads.collect.instances import read_across
from fedithreads.collect.outcome import RunReport
from fedithreads.collect.run import Collector
from fedithreads.collect.targets import parse_target, with_across
from fedithreads.config import Settings
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.federation import ReplayFederation
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.tables import scan_table
from fedithreads.synth.generate import generate_thread
from tests.collect.conftest import settings_for


def across(settings: Settings, target: str, *hosts: str) -> RunReport:
    """One run over ``target`` with ``--across hosts``."""
    chosen = with_across(parse_target(target), read_across(hosts))
    return asyncio.run(Collector(settings).run([chosen]))


def held_by_instance(data_dir: Path) -> dict[str, set[str]]:
    """The comment ap_ids collected, per instance (current rows)."""
    frame = scan_table(data_dir, "comments").collect()
    return {
        str(instance): set(rows["ap_id"].to_list())
        for (instance,), rows in frame.partition_by("instance", as_dict=True).items()
    }


def resolutions(data_dir: Path) -> dict[str, Any]:
    frame = scan_table(data_dir, "resolutions").collect().sort("collected_at")
    return {row["instance"]: row for row in frame.iter_rows(named=True)}


def comment_requests(fed: ReplayFederation) -> list[int]:
    return [m.server.count("/api/v3/comment/list") for m in fed.members]


def test_every_copy_is_collected_as_its_instance_holds_it_and_the_union_is_whole(
    tmp_path: Path,
) -> None:
    with ReplayFederation(4, 0.1, seed=3, comments=300) as fed:
        home, *mirrors = fed.members
        report = across(settings_for(tmp_path), home.post_url(), *(m.key for m in mirrors))
        found = held_by_instance(tmp_path)

    assert report.ok, [t.summary() for t in report.targets]
    assert found == {m.key: set(m.held) for m in fed.members}
    assert set().union(*found.values()) == fed.union
    for m in mirrors:
        assert found[m.key] == fed.union - m.missing
        assert len(m.missing) > 0
    asked = resolutions(tmp_path)
    assert sorted(asked) == sorted(m.key for m in mirrors)
    assert all(r["found"] for r in asked.values())
    assert {asked[m.key]["post_id"] for m in mirrors} == {m.post_ids[0] for m in mirrors}
    assert [v.instance for v in report.targets[0].views] == [m.key for m in mirrors]


def test_from_a_mirror_the_home_instance_is_read_too_without_being_named(
    tmp_path: Path,
) -> None:
    with ReplayFederation(3, 0.2, seed=5, comments=120) as fed:
        home, first, second = fed.members
        report = across(settings_for(tmp_path), first.post_url(), second.key)
        found = held_by_instance(tmp_path)

    assert report.ok
    assert set(found) == {home.key, first.key, second.key}
    assert found[home.key] == set(home.held)
    views = {v.instance: v for v in report.targets[0].views}
    assert views[home.key].home
    assert not views[second.key].home


def test_an_instance_without_the_post_is_an_answer_and_a_dead_host_a_line_naming_it(
    tmp_path: Path,
) -> None:
    stranger = ReplayDataset.from_threads([generate_thread(9, instance="x", n_comments=3)])
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    dead_host = f"127.0.0.1:{dead.getsockname()[1]}"
    settings = settings_for(tmp_path, retry={"max_attempts": 2, "backoff_initial_seconds": 0.01})
    try:
        with ReplayFederation(2, 0.1, seed=8, comments=60) as fed, ReplayServer(stranger) as other:
            home, mirror = fed.members
            report = across(settings, home.post_url(), mirror.key, other.instance, dead_host)
            found = held_by_instance(tmp_path)
    finally:
        dead.close()

    target = report.targets[0]
    lines = target.summary().splitlines()
    assert not report.ok  # the union may lack what the dead host alone holds
    assert found == {home.key: set(home.held), mirror.key: set(mirror.held)}
    views = {v.instance: v for v in target.views}
    assert views[other.instance].found is False
    assert views[other.instance].error is None
    assert views[dead_host].found is None
    assert "1 not federated there" in lines[0]
    assert "1 FAILED" in lines[0]
    assert len(lines) == 2
    assert lines[1].startswith(f"  {dead_host}: failed: ")
    asked = resolutions(tmp_path)
    union = analyze(load_snapshots([], tmp_path), bucket="1h")["thread_stats"]
    assert union.filter(pl.col("scope") == "union")["complete"].to_list() == [False]
    assert asked[other.instance]["found"] is False
    assert asked[dead_host]["found"] is None
    assert dead_host in asked[dead_host]["error"]


def test_a_copy_is_re_crawled_only_when_its_own_counts_moved(tmp_path: Path) -> None:
    with ReplayFederation(3, 0.1, seed=11, comments=150) as fed:
        home, *mirrors = fed.members
        hosts = [m.key for m in mirrors]
        settings = settings_for(tmp_path)
        across(settings, home.post_url(), *hosts)
        before = comment_requests(fed)
        again = across(settings, home.post_url(), *hosts)
        unchanged = comment_requests(fed)
        post = mirrors[1].dataset.posts()[0]
        mirrors[1].dataset.add_comment(post.post_id, author="new@lemmy.ml", content="late")
        third = across(settings, home.post_url(), *hosts)
        after = comment_requests(fed)
        found = held_by_instance(tmp_path)

    assert again.ok
    assert third.ok
    assert unchanged == before  # nothing moved: no comment page asked anywhere
    assert after[0] == before[0]
    assert after[1] == before[1]
    assert after[2] > before[2]
    assert len(found[mirrors[1].key]) == len(mirrors[1].held) + 1


def test_each_host_keeps_its_own_ceiling_listing_and_rate_limit(tmp_path: Path) -> None:
    """A mirror behind a 2-page ceiling, with a site default listing of Local and a
    published limit: its copy is still complete, and no host was answered "too many"."""
    quirks = [
        Quirks(rate_limit=(400, 1)),
        Quirks(page_ceiling=2, default_listing="Local", rate_limit=(400, 1)),
        Quirks(rate_limit=(400, 1)),
    ]
    with ReplayFederation(3, 0.1, seed=13, comments=400, quirks=quirks) as fed:
        home, *mirrors = fed.members
        report = across(settings_for(tmp_path), home.post_url(), *(m.key for m in mirrors))
        found = held_by_instance(tmp_path)
        limited = [m.server.count("", outcome="rate_limited") for m in fed.members]

    assert report.ok
    assert found == {m.key: set(m.held) for m in fed.members}
    assert limited == [0, 0, 0]
    ceiling_views = [v for v in report.targets[0].views if v.instance == mirrors[0].key]
    assert ceiling_views[0].thread is not None
    assert ceiling_views[0].thread.ceiling == 2


def test_a_run_killed_while_reading_copies_resumes_to_the_same_tables(tmp_path: Path) -> None:
    with ReplayFederation(
        3, 0.1, seed=17, comments=400, quirks=Quirks(latency_seconds=0.01)
    ) as fed:
        home, *mirrors = fed.members
        hosts = [m.key for m in mirrors]
        slow = settings_for(tmp_path / "killed", limits={"per_host_concurrency": 1})
        asyncio.run(cancel_after(fed, slow, home.post_url(), hosts, pages=6))
        resumed = across(settings_for(tmp_path / "killed"), home.post_url(), *hosts)
        undisturbed = across(settings_for(tmp_path / "calm"), home.post_url(), *hosts)
        killed_rows = current_comments(tmp_path / "killed")
        calm_rows = current_comments(tmp_path / "calm")

    assert resumed.resumed
    assert resumed.ok
    assert undisturbed.ok
    assert killed_rows.equals(calm_rows)
    raw = scan_table(tmp_path / "killed", "comments").collect()
    assert raw.height == raw.unique(["instance", "comment_id", "run_id"]).height


async def cancel_after(
    fed: ReplayFederation, settings: Settings, target: str, hosts: list[str], pages: int
) -> None:
    """Run the collector and cancel it once ``pages`` comment pages were answered."""
    chosen = with_across(parse_target(target), read_across(hosts))
    run = asyncio.create_task(Collector(settings).run([chosen]))
    while sum(comment_requests(fed)) < pages:
        await asyncio.sleep(0.005)
    run.cancel()
    with suppress(asyncio.CancelledError):
        await run


def current_comments(data_dir: Path) -> pl.DataFrame:
    """The latest row of every comment, without the columns that name the run."""
    frame = scan_table(data_dir, "comments").collect()
    latest = frame.sort("collected_at").unique(["instance", "comment_id"], keep="last")
    return latest.drop("collected_at", "run_id").sort("instance", "comment_id")


class _Mastodon(BaseHTTPRequestHandler):
    """A host whose nodeinfo names software fedithreads does not read."""

    def do_GET(self) -> None:
        body = json.dumps({"software": {"name": "mastodon", "version": "4.3.0"}}).encode()
        if self.path == "/.well-known/nodeinfo":
            link = {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1"}
            body = json.dumps({"links": [{**link, "href": self.path}]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_host_of_other_software_or_refusing_the_lookup_is_a_line_naming_it(
    tmp_path: Path,
) -> None:
    """Mastodon is not a Lemmy-style server; the PieFed replay has no resolve_object
    (404 without Lemmy's couldnt_find_object): both are failures, named, while the Lemmy
    copy is collected whole."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Mastodon)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    mastodon = f"127.0.0.1:{httpd.server_address[1]}"
    try:
        with ReplayFederation(
            3, 0.1, seed=23, comments=60, dialects=["lemmy-v3", "lemmy-v3", "piefed"]
        ) as fed:
            home, lemmy, piefed = fed.members
            report = across(
                settings_for(tmp_path), home.post_url(), lemmy.key, piefed.key, mastodon
            )
            found = held_by_instance(tmp_path)
    finally:
        httpd.shutdown()
        httpd.server_close()

    target = report.targets[0]
    views = {v.instance: v for v in target.views}
    assert not report.ok
    assert found == {home.key: set(home.held), lemmy.key: set(lemmy.held)}
    assert views[piefed.key].found is None
    assert views[mastodon].found is None
    failed = target.summary().splitlines()[1:]
    assert len(failed) == 2
    assert any(
        line.startswith(f"  {piefed.key}: failed: cannot look the post up") for line in failed
    )
    assert any(line.startswith(f"  {mastodon}: failed: ") and "mastodon" in line for line in failed)


def test_an_answer_with_another_post_is_not_taken_for_a_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ReplayFederation(2, 0.1, seed=29, comments=40) as fed:
        home, mirror = fed.members
        other = replace(mirror.dataset.posts()[0], ap_id="https://elsewhere.example/post/1")
        monkeypatch.setattr(mirror.dataset, "find_ap_id", lambda _q: other)
        report = across(settings_for(tmp_path), home.post_url(), mirror.key)
        found = held_by_instance(tmp_path)

    (view,) = report.targets[0].views
    assert view.found is None
    assert view.thread is None
    assert "answered with another post (https://elsewhere.example/post/1)" in (view.error or "")
    assert set(found) == {home.key}
    assert not report.ok


def test_a_run_stopped_while_copies_are_looked_up_leaves_no_task_behind(tmp_path: Path) -> None:
    """Cancelled while the mirrors are still answering nodeinfo and resolve_object: no
    lookup, detection or crawl outlives the run (none would start on a closed client)."""
    slow = Quirks(latency_seconds=0.5)
    with ReplayFederation(3, 0.1, seed=31, comments=30, quirks=[Quirks(), slow, slow]) as fed:
        home, *mirrors = fed.members

        async def stopped() -> set[asyncio.Task[Any]]:
            chosen = with_across(
                parse_target(home.post_url()), read_across([m.key for m in mirrors])
            )
            run = asyncio.create_task(Collector(settings_for(tmp_path)).run([chosen]))
            while not any(m.server.count("") for m in mirrors):
                await asyncio.sleep(0.005)
            await asyncio.sleep(0.1)
            run.cancel()
            with suppress(asyncio.CancelledError):
                await run
            return asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]

        left = asyncio.run(stopped())

    assert {t.get_coro().__qualname__ for t in left} == set()  # type: ignore[union-attr]


def test_a_community_across_hosts_reads_every_threads_copies_and_names_a_dead_host_once(
    tmp_path: Path,
) -> None:
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead_host = f"127.0.0.1:{dead.getsockname()[1]}"
    settings = settings_for(tmp_path, retry={"max_attempts": 1})
    try:
        with ReplayFederation(2, 0.1, seed=37, threads=3, comments=40) as fed:
            home, mirror = fed.members
            report = across(settings, f"{home.base_url}/c/technology", mirror.key, dead_host)
            found = held_by_instance(tmp_path)
    finally:
        dead.close()

    assert found == {home.key: set(home.held), mirror.key: set(mirror.held)}
    target = report.targets[0]
    assert len(target.threads) == 3
    assert sorted(v.post_id for v in target.views if v.found) == sorted(mirror.post_ids)
    lines = target.summary().splitlines()
    assert "3 found (3 crawled)" in lines[0]
    assert "3 FAILED" in lines[0]
    assert len(lines) == 2
    assert lines[1].startswith(f"  {dead_host}: failed for 3 threads, the first: ")


def test_a_later_run_asks_for_a_known_copy_by_its_local_id_not_by_resolve_object(
    tmp_path: Path,
) -> None:
    with ReplayFederation(3, 0.1, seed=41, comments=60, dialects="lemmy-v4") as fed:
        home, *mirrors = fed.members
        hosts = [m.key for m in mirrors]
        first = across(settings_for(tmp_path), home.post_url(), *hosts)
        resolves = [m.server.count("/api/v4/resolve_object") for m in mirrors]
        second = across(settings_for(tmp_path), home.post_url(), *hosts)
        again = [m.server.count("/api/v4/resolve_object") for m in mirrors]
        by_id = [m.server.count("/api/v4/post") for m in mirrors]

    assert first.ok
    assert second.ok
    assert resolves == [1, 1]
    assert again == [1, 1]  # the second run knew the copies' ids
    assert all(n >= 1 for n in by_id)
    assert [v.found for v in second.targets[0].views] == [True, True]
    assert resolutions(tmp_path)[mirrors[0].key]["post_id"] == mirrors[0].post_ids[0]


def lookups(member: Any) -> list[tuple[float, str]]:
    """When ``member`` answered each resolve_object, and the ap_id it was asked for."""
    return [
        (e.time, e.params["q"])
        for e in member.server.log.entries()
        if e.path.endswith("/resolve_object")
    ]


def test_copies_of_a_post_on_its_home_instance_are_looked_up_before_the_post_arrives(
    tmp_path: Path,
) -> None:
    """A target naming a post on its home instance has the post's ap_id as its likely
    one, so the mirrors are asked for their copies while the home's post is on its way."""
    slow = Quirks(latency_seconds=0.3)
    with ReplayFederation(3, 0.1, seed=43, comments=40, quirks=[slow, Quirks(), Quirks()]) as fed:
        home, *mirrors = fed.members
        report = across(settings_for(tmp_path), home.post_url(), *(m.key for m in mirrors))
        post_answered = max(e.time for e in home.server.log.entries() if e.path.endswith("/post"))
        asked = [lookups(m) for m in mirrors]
        found = held_by_instance(tmp_path)

    assert report.ok
    assert found == {m.key: set(m.held) for m in fed.members}
    (ap_id,) = fed.post_ap_ids
    for member_asked in asked:
        assert [q for _, q in member_asked] == [ap_id]  # one lookup each, by the right ap_id
        assert member_asked[0][0] < post_answered


def test_a_post_named_on_a_mirror_is_looked_up_again_by_its_real_ap_id(tmp_path: Path) -> None:
    """A target naming a mirror's copy: the early lookup by the mirror's URL finds nothing,
    is dropped, and each other host is asked once more by the real ap_id; every copy is
    still collected whole. (The target's host answers slowly, so that the early lookup
    surely leaves before its post names the real ap_id, however loaded the machine.)"""
    slow = Quirks(latency_seconds=0.3)
    with ReplayFederation(3, 0.1, seed=47, comments=40, quirks=[Quirks(), slow, Quirks()]) as fed:
        home, first, second = fed.members
        report = across(settings_for(tmp_path), first.post_url(), second.key)
        asked = lookups(second)
        home_asked = lookups(home)
        found = held_by_instance(tmp_path)

    assert report.ok, [t.summary() for t in report.targets]
    assert found == {m.key: set(m.held) for m in fed.members}
    (ap_id,) = fed.post_ap_ids
    guess = f"https://{first.key}/post/{first.post_ids[0]}"
    assert [q for _, q in asked] == [guess, ap_id]
    views = {v.instance: v for v in report.targets[0].views}
    assert views[second.key].found
    assert views[second.key].post_id == second.post_ids[0]
    assert [q for _, q in home_asked] == [ap_id]  # known only once the post is: never early


def test_a_dropped_early_lookup_leaves_the_hosts_detection_to_the_real_one(
    tmp_path: Path,
) -> None:
    """The early lookup on a slow host is dropped while that host's nodeinfo is still on
    its way (the target named a mirror's copy): the detection it waited on is shared, so
    it goes on, and the real lookup finds the copy."""
    slow = Quirks(latency_seconds=0.4)
    with ReplayFederation(3, 0.1, seed=53, comments=30, quirks=[Quirks(), Quirks(), slow]) as fed:
        _home, first, second = fed.members
        report = across(settings_for(tmp_path), first.post_url(), second.key)
        found = held_by_instance(tmp_path)

    assert report.ok, [t.summary() for t in report.targets]
    views = {v.instance: v for v in report.targets[0].views}
    assert views[second.key].found
    assert found[second.key] == set(second.held)
