"""Every fault a real fediverse server throws, over real HTTP on 127.0.0.1.

Each fault is injected by the replay server (``Quirks.fault_*``) into the comment pages
of a small community (three threads) or into one thread. A run either completes with
every comment the server has, or it ends incomplete with the manifest naming exactly
which thread, URL and cause; the tables stay consistent either way.
"""

from __future__ import annotations

import json
import socket
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest

from fedithreads.collect.client import Client, Fetched
from fedithreads.collect.outcome import RunReport
from fedithreads.collect.state import State, ThreadSeen
from fedithreads.config import Settings, parse_settings
from fedithreads.errors import FetchError
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.tables import read_table
from fedithreads.synth.generate import generate_thread
from tests.collect.conftest import collect, collected_ids, settings_for
from tests.fakes import FakeClock, Script, json_response

QUICK = (60_000, 60)
START = datetime(2026, 2, 1, tzinfo=UTC)


def community(threads: int = 3, comments: int = 120) -> ReplayDataset:
    """``threads`` threads of ``comments`` comments each in one community."""
    return ReplayDataset.from_threads(
        generate_thread(
            40 + i,
            instance="lemmy.ca",
            n_comments=comments,
            depth=6,
            post_id=700 + i,
            comment_id_base=5_000_000 + i * 100_000,
            start=START + timedelta(hours=i),
        )
        for i in range(threads)
    )


def fault_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Fast retries, a short read timeout (so stalls cost little) and few attempts."""
    raw: dict[str, Any] = {
        "http": {"timeout_seconds": 0.5, "connect_timeout_seconds": 2.0},
        "retry": {
            "max_attempts": 6,
            "max_total_seconds": 30.0,
            "backoff_initial_seconds": 0.01,
            "backoff_max_seconds": 0.05,
        },
    }
    raw.update(overrides)
    return settings_for(data_dir, **raw)


def all_comment_ids(dataset: ReplayDataset) -> set[int]:
    return set().union(*(dataset.comment_ids(p) for p in dataset.post_ids()))


def manifest(data_dir: Path, report: RunReport) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((data_dir / "runs" / f"{report.run_id}.json").read_text())
    return doc


def assert_consistent(data_dir: Path) -> None:
    """The tables read back whole: one snapshot per object per run, every comment's
    post present in the same run, no temporary or leftover part files."""
    posts = read_table(data_dir, "posts")
    comments = read_table(data_dir, "comments")
    assert posts.select("instance", "post_id", "run_id").is_duplicated().sum() == 0
    assert comments.select("instance", "comment_id", "run_id").is_duplicated().sum() == 0
    orphaned = comments.join(posts, on=["instance", "post_id", "run_id"], how="anti")
    assert orphaned.height == 0, "every stored comment has its post row in the same run"
    leftovers = [p.name for p in data_dir.rglob("*") if p.name.startswith(".") and p.is_file()]
    assert [n for n in leftovers if n != ".lock"] == []
    assert not list((data_dir / "tables").rglob("*--*.parquet"))


def run_with(
    quirks: Quirks, data_dir: Path, threads: int = 3, **overrides: Any
) -> tuple[RunReport, Any]:
    """Collect the test community from a server with ``quirks``; the report and the log."""
    dataset = community(threads)
    with ReplayServer(dataset, quirks=quirks) as server:
        report = collect(
            fault_settings(data_dir, **overrides), f"{server.base_url}/c/technology@lemmy.world"
        )
    return report, (dataset, server.log.entries())  # after stop: stalled answers logged too


RECOVERED = [
    pytest.param(("rate_limit_400",) * 5, id="0.19 rate_limit_error burst"),
    pytest.param(("rate_limit_429_bare",) * 3, id="429 without Retry-After"),
    pytest.param(("html_500", "html_502", "html_503", "html_504"), id="5xx HTML pages"),
    pytest.param(("html_403",) * 2, id="Cloudflare 403 block page"),
    pytest.param(("truncated", "truncated"), id="200 with truncated JSON"),
    pytest.param(("html_200", "html_200"), id="200 with an HTML challenge"),
    pytest.param(("empty_200", "empty_200"), id="200 with an empty body"),
    pytest.param(("reset", "reset", "reset"), id="reset before headers"),
    pytest.param(("reset_mid_body", "reset_mid_body"), id="reset after headers"),
    pytest.param(("slow",), id="stall past the read timeout"),
    pytest.param(("", "trickle"), id="trickled body past the deadline", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("schedule", RECOVERED)
def test_transient_faults_are_retried_and_the_run_is_complete(
    tmp_path: Path, schedule: tuple[str, ...]
) -> None:
    """Each transient fault is met on comment pages, retried, and every comment stored."""
    quirks = Quirks(
        published_rate_limit=QUICK,
        fault_paths=("/comment/list",),
        fault_schedule=schedule,
        slow_seconds=2.0,
        trickle_seconds=0.2,
        trickle_chunks=20,
    )

    report, (dataset, log) = run_with(quirks, tmp_path)

    faulted = Counter(e.outcome for e in log if e.outcome.startswith("fault:"))
    assert faulted == Counter(f"fault:{k}" for k in schedule if k)
    assert report.ok, [t.summary() for t in report.targets]
    assert collected_ids(tmp_path) == all_comment_ids(dataset)
    stats = next(iter(report.hosts.values()))
    assert stats.retries >= sum(faulted.values())
    assert manifest(tmp_path, report)["status"] == "complete"
    assert_consistent(tmp_path)


def test_a_json_body_under_a_wrong_content_type_is_read_without_a_retry(tmp_path: Path) -> None:
    """A proxy labelling the JSON text/plain costs nothing: the body is parsed as it is."""
    quirks = Quirks(
        published_rate_limit=QUICK,
        fault_paths=("/comment/list",),
        fault_schedule=("wrong_type",) * 4,
    )

    report, (dataset, _log) = run_with(quirks, tmp_path)

    assert report.ok
    assert next(iter(report.hosts.values())).retries == 0
    assert collected_ids(tmp_path) == all_comment_ids(dataset)


@pytest.mark.parametrize(
    ("kind", "header"),
    [("rate_limit_429", "retry-after"), ("rate_limit_headers", "x-ratelimit-reset")],
)
def test_a_429_waits_as_long_as_the_server_asks(tmp_path: Path, kind: str, header: str) -> None:
    """Retry-After (or x-ratelimit-reset) of 1 s: the next request to the host comes no
    sooner, and the run completes."""
    quirks = Quirks(
        published_rate_limit=QUICK,
        fault_paths=("/comment/list",),
        fault_schedule=(kind,),
        fault_retry_after=1,
    )

    report, (dataset, log) = run_with(quirks, tmp_path)

    refused = next(e for e in log if e.outcome == f"fault:{kind}")
    retried = [e for e in log if e.params == refused.params and e.time > refused.time]
    assert retried, "the request was retried"
    assert retried[0].time - refused.time >= 0.9, f"{header} was not honoured"
    assert report.ok
    assert next(iter(report.hosts.values())).rate_limited == 1
    assert collected_ids(tmp_path) == all_comment_ids(dataset)


def failed_threads(report: RunReport) -> list[Any]:
    return [t for target in report.targets for t in target.threads if t.error]


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("redirect", "HTTP 302 https://elsewhere.example/api/v3/site (redirect)"),
        ("oversize", "(too_large)"),
    ],
)
def test_permanent_faults_fail_one_thread_and_the_manifest_names_it(
    tmp_path: Path, kind: str, words: str
) -> None:
    """A redirect to another host is never followed and a body over the cap never read;
    neither is retried. That thread is marked failed with its URL and cause, the others
    are complete, and the run is incomplete."""
    quirks = Quirks(
        published_rate_limit=QUICK,
        fault_paths=("/comment/list",),
        fault_schedule=(kind,),
        oversize_bytes=300_000,
    )

    report, (dataset, log) = run_with(quirks, tmp_path, http={"max_response_bytes": 200_000})

    (failed,) = failed_threads(report)
    assert words in (failed.error or "")
    assert "/api/v3/comment/list?" in (failed.error or "")
    assert sum(1 for e in log if e.outcome == f"fault:{kind}") == 1
    assert not report.ok
    doc = manifest(tmp_path, report)
    assert doc["status"] == "incomplete"
    (named,) = [t for t in doc["targets"][0]["threads"] if t["error"]]
    assert (named["post_id"], named["complete"]) == (failed.post_id, False)
    others = all_comment_ids(dataset) - dataset.comment_ids(failed.post_id)
    got = collected_ids(tmp_path)
    assert got >= others
    kept = got - others  # pages of the failed thread answered before the fault are kept
    assert kept <= dataset.comment_ids(failed.post_id)
    assert len(kept) == named["collected"]
    assert_consistent(tmp_path)


@pytest.mark.slow
def test_a_host_that_always_fails_ends_after_bounded_attempts(tmp_path: Path) -> None:
    """Every comment page answers 503: each thread gives up after max_attempts and the
    manifest names every thread as failed; the post list is still stored."""
    quirks = Quirks(
        published_rate_limit=QUICK,
        fault_rate=1.0,
        fault_kinds=("html_503",),
        fault_paths=("/comment/list",),
    )
    started = time.monotonic()

    report, (dataset, log) = run_with(quirks, tmp_path, retry={"max_attempts": 3})

    threads = report.targets[0].threads
    assert len(threads) == 3
    assert all(t.error and "HTTP 503 (server) after 3 attempts" in t.error for t in threads)
    assert sum(1 for e in log if e.path.endswith("/comment/list")) <= 3 * 3 * 8
    assert time.monotonic() - started < 20
    assert collected_ids(tmp_path, "posts") == dataset.post_ids()
    assert collected_ids(tmp_path) == set()
    assert manifest(tmp_path, report)["status"] == "incomplete"
    assert_consistent(tmp_path)


def test_faults_on_detection_fail_the_target_with_one_clear_line(tmp_path: Path) -> None:
    """/site always answering a Cloudflare challenge: the target fails naming the URL."""
    quirks = Quirks(
        published_rate_limit=QUICK,
        fault_rate=1.0,
        fault_kinds=("html_503",),
        fault_paths=("/site",),
    )

    report, _ = run_with(quirks, tmp_path, retry={"max_attempts": 2})

    (target,) = report.targets
    assert target.error is not None
    assert "/api/v3/site" in target.error
    assert "HTTP 503" in target.error
    assert "\n" not in target.summary()
    assert report.status == "failed"


def test_pages_that_repeat_forever_end_the_pager(tmp_path: Path) -> None:
    """Lemmy 1.0's v3 layer answers page 1 for every page: the pager stops at the first
    repeat instead of looping, and the verdict counts what no query could reach."""
    dataset = community(threads=1, comments=400)
    (post_id,) = dataset.post_ids()
    quirks = Quirks(published_rate_limit=QUICK, v3_repeat_pages=True)
    with ReplayServer(dataset, quirks=quirks) as server:
        report = collect(fault_settings(tmp_path), f"{server.base_url}/post/{post_id}")
        pages = server.count("/api/v3/comment/list")

    (thread,) = report.targets[0].threads
    listings = [s for s in thread.strategy if " pages, " in s]
    assert all(int(s.split(": ")[1].split(" pages")[0]) <= 9 for s in listings), listings
    assert pages <= 3 * len(listings) + 10, "no endless paging"
    stored = collected_ids(tmp_path)
    assert stored <= dataset.comment_ids(post_id)
    assert thread.collected == len(stored)
    if thread.complete:
        assert stored == dataset.comment_ids(post_id)
    else:
        assert thread.missing > 0
        assert "missing" in report.targets[0].summary()
    assert_consistent(tmp_path)


def test_a_page_ceiling_is_met_with_other_windows(tmp_path: Path) -> None:
    """Behind a 3-page ceiling a 400-comment thread is still collected whole."""
    dataset = community(threads=1, comments=400)
    (post_id,) = dataset.post_ids()
    quirks = Quirks(published_rate_limit=QUICK, page_ceiling=3)
    with ReplayServer(dataset, quirks=quirks) as server:
        report = collect(fault_settings(tmp_path), f"{server.base_url}/post/{post_id}")

    (thread,) = report.targets[0].threads
    assert thread.ceiling == 3
    if thread.complete:
        assert collected_ids(tmp_path) == dataset.comment_ids(post_id)
    else:
        assert thread.missing == len(dataset.comment_ids(post_id) - collected_ids(tmp_path))
    assert_consistent(tmp_path)


def test_a_parse_error_on_one_thread_is_recorded_and_the_others_continue(
    tmp_path: Path,
) -> None:
    """A comment page that is JSON but not a comment list fails its thread only: the
    manifest names the URL, dialect, endpoint and JSON path; other threads complete."""
    dataset = community()
    victim = min(dataset.post_ids())
    with ReplayServer(dataset, quirks=Quirks(published_rate_limit=QUICK)) as server:
        original = server.api._routes["/api/v3/comment/list"]  # type: ignore[attr-defined]

        def broken(params: Any) -> Any:
            doc = original(params)
            if params.raw.get("post_id") == str(victim):
                doc = json.loads(json.dumps(doc))  # the encoder shares sub-objects
                doc["comments"][0]["comment"]["published"] = "last tuesday"
            return doc

        server.api._routes["/api/v3/comment/list"] = broken  # type: ignore[attr-defined]
        report = collect(fault_settings(tmp_path), f"{server.base_url}/c/technology@lemmy.world")

    (failed,) = failed_threads(report)
    assert failed.post_id == victim
    assert "lemmy-v3 comment/list: $.comments[0].comment.published" in (failed.error or "")
    assert "/api/v3/comment/list?" in (failed.error or "")
    assert collected_ids(tmp_path) == all_comment_ids(dataset) - dataset.comment_ids(victim)
    assert manifest(tmp_path, report)["status"] == "incomplete"
    assert_consistent(tmp_path)


@pytest.mark.slow
def test_a_quarter_of_requests_failing_in_every_transient_way_still_completes(
    tmp_path: Path,
) -> None:
    """A mix of the transient kinds on 25 % of API requests: complete, nothing doubled."""
    quirks = Quirks(
        published_rate_limit=QUICK,
        fault_rate=0.25,
        fault_kinds=tuple(k for k in Quirks().fault_kinds if k not in ("slow", "trickle")),
        fault_retry_after=0,
        fault_seed=11,
    )

    report, (dataset, log) = run_with(quirks, tmp_path, threads=10, retry={"max_attempts": 8})

    assert sum(1 for e in log if e.outcome.startswith("fault:")) >= 5
    assert report.ok, [t.summary() for t in report.targets]
    assert collected_ids(tmp_path) == all_comment_ids(dataset)
    comments = read_table(tmp_path, "comments")
    assert comments.height == comments.select(pl.col("comment_id").n_unique()).item()
    assert_consistent(tmp_path)


def serve_at(port: int, dataset: ReplayDataset, dialect: str) -> ReplayServer:
    """A replay server of ``dialect`` on a given loopback port (a host's software swap)."""
    quirks = Quirks(published_rate_limit=QUICK)
    return ReplayServer(dataset, dialect=dialect, quirks=quirks, port=port)


def test_an_upgrade_from_lemmy_019_to_10_at_the_same_host_keeps_the_tables_apart(
    tmp_path: Path,
) -> None:
    """Run 1 meets Lemmy 0.19 (v3), run 2 the same host upgraded to 1.0 (v4): both runs
    complete, every row says which dialect and version wrote it, and nothing of run 1 is
    lost or rewritten."""
    dataset = community()
    target_path = "/c/technology@lemmy.world"
    with serve_at(0, dataset, "lemmy-v3") as old:
        port = old.port
        first = collect(fault_settings(tmp_path), old.base_url + target_path)
    with serve_at(port, dataset, "lemmy-v4") as new:
        second = collect(fault_settings(tmp_path), new.base_url + target_path)

    assert first.ok
    assert second.ok
    posts = read_table(tmp_path, "posts")
    by_run = dict(posts.group_by("run_id").agg(pl.col("dialect").unique()).iter_rows())
    assert by_run == {first.run_id: ["lemmy-v3"], second.run_id: ["lemmy-v4"]}
    comments = read_table(tmp_path, "comments")
    assert set(comments.filter(pl.col("run_id") == first.run_id)["dialect"]) == {"lemmy-v3"}
    assert_consistent(tmp_path)


def test_a_host_that_now_runs_other_software_is_crawled_afresh(tmp_path: Path) -> None:
    """Run 1 meets Lemmy at a host, run 2 PieFed at the same host and port, serving other
    threads under the same post ids with the same counts: the state's counts came from
    another server, so every thread is crawled again and PieFed's comments are stored."""
    lemmy = community()
    piefed = ReplayDataset.from_threads(
        generate_thread(
            40 + i,
            instance="lemmy.ca",
            n_comments=120,
            depth=6,
            post_id=700 + i,
            comment_id_base=8_000_000 + i * 100_000,
            start=START + timedelta(hours=i),
        )
        for i in range(3)
    )
    assert [p.comments for p in piefed.posts()] == [p.comments for p in lemmy.posts()]
    with serve_at(0, lemmy, "lemmy-v3") as first_server:
        port = first_server.port
        collect(fault_settings(tmp_path), f"{first_server.base_url}/post/700")
    with serve_at(port, piefed, "piefed") as second_server:
        second = collect(fault_settings(tmp_path), f"{second_server.base_url}/post/700")

    (thread,) = second.targets[0].threads
    assert thread.crawled
    assert piefed.comment_ids(700) <= collected_ids(tmp_path)


def test_the_state_forgets_a_host_whose_software_changed(tmp_path: Path) -> None:
    """note_server keeps threads while a host runs the same software and dialect, and
    forgets that host's threads (only) when either changes; what it saw is saved."""

    state = State()
    seen = ThreadSeen(5, None, "2026-01-01T00:00:00+00:00", True)
    state.threads = {"a.example/1": seen, "b.example/1": seen}

    first = state.note_server("a.example", "lemmy", "lemmy-v3", "0.19.20")
    minor = state.note_server("a.example", "lemmy", "lemmy-v3", "0.19.21")
    kept = set(state.threads)
    swapped = state.note_server("a.example", "piefed", "piefed", "1.7.0")

    assert (first, minor, swapped) == (False, False, True)
    assert kept == {"a.example/1", "b.example/1"}
    assert set(state.threads) == {"b.example/1"}
    assert state.servers["a.example"].software == "piefed"
    state.save(tmp_path)
    assert State.load(tmp_path).servers == state.servers


@pytest.mark.anyio
async def test_the_last_request_a_window_allows_holds_the_host_until_its_reset() -> None:
    """A 200 with x-ratelimit-remaining 0 and reset 7 s: the next request to that host
    waits 7 s (fake clock) instead of being refused; other hosts are not held."""

    clock = FakeClock()
    sent_at: list[tuple[str, float]] = []

    def answer(request: Any) -> Any:
        sent_at.append((request.url.host, clock.t))
        headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "7"}
        return json_response({"ok": True}, **(headers if len(sent_at) == 1 else {}))

    conf = parse_settings(
        {"contact": "t@example.org", "limits": {"default_requests_per_second": 1000}}, "t"
    )
    script = Script([answer])
    async with Client(conf, transport=script.transport(), clock=clock, sleep=clock.sleep) as c:
        for host in ("a.example", "b.example", "a.example"):
            await c.get(f"https://{host}", "/api/v4/site", {}, lambda f: f.body)

    assert [host for host, _ in sent_at] == ["a.example", "b.example", "a.example"]
    assert sent_at[1][1] < 1
    assert sent_at[2][1] >= 7


@pytest.mark.parametrize(
    ("kind", "check"),
    [
        ("html_503", lambda r: r.status_code == 503 and "cf-ray" in r.headers),
        ("html_504", lambda r: r.status_code == 504 and b"Gateway time-out" in r.content),
        ("html_403", lambda r: r.status_code == 403 and b"blocked" in r.content),
        ("wrong_type", lambda r: r.headers["content-type"].startswith("text/plain") and r.json()),
        (
            "rate_limit_400",
            lambda r: r.status_code == 400 and r.json()["error"] == "rate_limit_error",
        ),
        ("rate_limit_429", lambda r: r.status_code == 429 and r.headers["retry-after"] == "1"),
        ("rate_limit_429_bare", lambda r: r.status_code == 429 and r.content == b""),
        ("rate_limit_headers", lambda r: r.headers["x-ratelimit-remaining"] == "0"),
        (
            "redirect",
            lambda r: r.status_code == 302 and "elsewhere.example" in r.headers["location"],
        ),
        ("oversize", lambda r: len(r.content) == 100_000 and r.json()),
        ("trickle", lambda r: r.status_code == 200 and r.json()),
    ],
)
def test_each_fault_kind_puts_on_the_wire_what_it_promises(kind: str, check: Any) -> None:
    """The replay server's fault kinds, seen by a plain HTTP client."""

    quirks = Quirks(
        fault_schedule=(kind,), oversize_bytes=100_000, trickle_seconds=0.01, trickle_chunks=5
    )
    with ReplayServer(community(1, 10), quirks=quirks) as server:
        answer = httpx.get(f"{server.base_url}/api/v3/post/list", timeout=10, verify=False)

    assert check(answer)


def test_a_reset_after_the_headers_is_a_transport_error() -> None:
    """reset_mid_body sends the real headers and half the promised body, then resets."""

    with ReplayServer(community(1, 10), quirks=Quirks(fault_schedule=("reset_mid_body",))) as s:
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{s.base_url}/api/v3/post/list", timeout=10, verify=False)
        assert s.log.outcomes() == ["fault:reset_mid_body"]


def test_a_host_that_is_down_fails_its_target_after_bounded_attempts(tmp_path: Path) -> None:
    """Nothing listens on the port: the target fails with ConnectError after
    max_attempts, quickly, and the run is marked failed."""

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()

    report = collect(
        fault_settings(tmp_path, retry={"max_attempts": 3}), f"http://127.0.0.1:{port}/post/1"
    )

    (target,) = report.targets
    assert "ConnectError" in (target.error or "")
    assert "after 3 attempts" in (target.error or "")
    assert report.status == "failed"
    assert time.monotonic() - started < 10


@pytest.mark.anyio
async def test_a_retry_after_longer_than_the_budget_leaves_the_host_alone() -> None:
    """429 with Retry-After: 3600 against a 300 s budget: that request gives up at once,
    later requests to the host fail without being sent (the next run retries them), and
    another host is untouched; nothing sleeps for an hour."""

    clock = FakeClock()

    def answer(request: Any) -> Any:
        if request.url.host == "busy.example":
            return json_response({"error": "too_many_requests"}, 429, **{"retry-after": "3600"})
        return json_response({"ok": True})

    conf = parse_settings(
        {"contact": "t@example.org", "limits": {"default_requests_per_second": 1000}}, "t"
    )
    script = Script([answer])
    errors = []
    async with Client(conf, transport=script.transport(), clock=clock, sleep=clock.sleep) as c:
        for _ in range(4):
            with pytest.raises(FetchError) as caught:
                await c.get("https://busy.example", "/api/v3/site", {}, lambda f: f.body)
            errors.append(caught.value)
        await c.get("https://calm.example", "/api/v3/site", {}, lambda f: f.body)

    assert [r.url.host for r in script.requests] == ["busy.example", "calm.example"]
    assert all(e.kind == "rate_limited" for e in errors)
    assert "3600 s pause" in str(errors[1])
    assert sum(clock.sleeps) < 1


def test_a_broken_post_list_page_keeps_the_threads_listed_before_it(tmp_path: Path) -> None:
    """Page 2 of a 120-post community list does not parse: the 50 threads of page 1 are
    still crawled and stored, and the target names the broken page."""
    dataset = ReplayDataset.from_threads(
        generate_thread(
            60 + i,
            instance="lemmy.ca",
            n_comments=3,
            depth=2,
            post_id=2000 + i,
            comment_id_base=30_000_000 + i * 1_000_000,
            start=START + timedelta(hours=i),
        )
        for i in range(120)
    )
    with ReplayServer(dataset, quirks=Quirks(published_rate_limit=QUICK)) as server:
        routes = server.api._routes  # type: ignore[attr-defined]
        original = routes["/api/v3/post/list"]

        def broken(params: Any) -> Any:
            doc = original(params)
            if params.raw.get("page_cursor"):
                doc = json.loads(json.dumps(doc))
                doc["posts"][3]["post"]["published"] = "sometime"
            return doc

        routes["/api/v3/post/list"] = broken
        report = collect(fault_settings(tmp_path), f"{server.base_url}/c/technology@lemmy.world")

    (target,) = report.targets
    assert "lemmy-v3 post/list: $.posts[3].post.published" in (target.error or "")
    assert len([t for t in target.threads if t.crawled and t.complete]) == 50
    assert len(collected_ids(tmp_path, "posts")) == 50


@pytest.mark.anyio
async def test_a_byte_order_mark_before_the_json_is_read_and_archived_as_sent() -> None:
    """A UTF-8 BOM in front of a JSON answer (some proxies add one) costs no retry; the
    raw archive keeps the bytes as they came."""

    clock = FakeClock()
    body = b'\xef\xbb\xbf{"ok": true}'
    answer = httpx_response(200, body, "application/json")
    kept: list[Fetched] = []
    conf = parse_settings({"contact": "t@example.org"}, "t")
    script = Script([answer])
    async with Client(
        conf,
        transport=script.transport(),
        clock=clock,
        sleep=clock.sleep,
        archive=lambda host, f: kept.append(f),
    ) as c:
        got = await c.get("https://a.example", "/api/v3/site", {}, lambda f: json.loads(f.body))

    assert got == {"ok": True}
    assert len(script.requests) == 1
    assert kept[0].body == body


def httpx_response(status: int, body: bytes, content_type: str) -> Any:
    return httpx.Response(status, content=body, headers={"content-type": content_type})


@pytest.mark.anyio
async def test_a_body_that_fails_to_decompress_is_retried() -> None:
    """Content-Encoding: gzip on a body that is not gzip (a double-compressing proxy):
    not JSON, so it is fetched again, and the second answer is used."""

    clock = FakeClock()

    def broken(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            stream=httpx.ByteStream(b"this is not gzip"),
            headers={"content-type": "application/json", "content-encoding": "gzip"},
        )

    script = Script([broken, json_response({"ok": True})])
    conf = parse_settings({"contact": "t@example.org"}, "t")
    async with Client(conf, transport=script.transport(), clock=clock, sleep=clock.sleep) as c:
        got = await c.get("https://a.example", "/api/v3/site", {}, lambda f: json.loads(f.body))

    assert got == {"ok": True}
    assert len(script.requests) == 2
    assert c.stats["a.example"].retries == 1
