"""Integrity over months of cron runs, in 30 hourly runs against a server that changes.

One replay server plays lemmy.ca; a seeded MutationSchedule changes it between runs (new
comments and replies, deletions, removals, edits, votes, locked and removed posts, new
posts). Each run collects a community and a post in another community with a clock
moved on by an hour; threads published a little under ``resnapshot_window`` (7 d) before
the first run age out during the test. The last run is ``--full``. The expectation is
worked out from the server's truth only (tests/system/conftest.py ``Expected``).

What a cron user misses, as these tests pin it: post rows (votes, comment count, lock,
body edits) are fresh every run, since every listed post is snapshotted. A comment's
edit or vote change in a thread older than the window whose ``comments`` and
``newest_comment_time`` did not change is not seen: the tables keep the comment's previous
snapshot until the thread next gets a new comment or a deletion/removal (then the whole
thread is re-crawled) or a ``--full`` run. A removed post drops out of the listing and
keeps its last snapshot, ``removed`` false, even after ``--full``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fedithreads.collect.run import Collector
from fedithreads.collect.targets import parse_target
from fedithreads.core import schema
from fedithreads.core.records import PostRecord
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.mutations import RATES, Mutation, MutationSchedule
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.tables import read_table, write_frame
from fedithreads.synth.generate import generate_thread
from tests.collect.conftest import settings_for
from tests.system.conftest import (
    Expected,
    at,
    comment_requests,
    current_rows,
    differences,
    history_found,
    manifest_reasons,
    usage,
)

START = datetime(2026, 5, 4, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)
WINDOW = timedelta(days=7)
RUNS = 30
SEED = 13
QUICK = (60_000, 60)
COMMUNITY = "technology@lemmy.world"
TARGET_POST = 7018
COUNTING = ("comment", "reply", "delete", "remove")
"""Mutations that change the thread's ``comments`` or ``newest_comment_time``."""
POST_CHANGES = ("post_votes", "post_edit", "lock", "new_post")


def dataset() -> ReplayDataset:
    """Ten old threads, eight that leave the window at runs 3, 6, … 24, and the post
    target (another community), which leaves it at run 13; 2-16 comments each."""
    starts = [START - timedelta(days=30 - 2 * i) for i in range(10)]
    starts += [START - WINDOW + (2 + 3 * i) * HOUR for i in range(8)]
    starts.append(START - WINDOW + 12 * HOUR)
    return ReplayDataset.from_threads(
        generate_thread(
            500 + i,
            instance="lemmy.ca",
            n_comments=2 + (i * 7) % 15,
            depth=4,
            post_id=7000 + i,
            comment_id_base=30_000_000 + i * 1_000_000,
            start=when,
            community="asklemmy@lemmy.ml" if 7000 + i == TARGET_POST else COMMUNITY,
        )
        for i, when in enumerate(starts)
    )


def listed(data: ReplayDataset) -> list[PostRecord]:
    """The threads the two targets name: the community's visible posts and the post."""
    return [
        p
        for p in data.posts()
        if not (p.deleted or p.removed) and (p.community == COMMUNITY or p.post_id == TARGET_POST)
    ]


@dataclass
class Observed:
    """What 30 runs did, run by run, against what ``Expected`` says they should."""

    expected: Expected
    mutations: list[tuple[int, Mutation]] = field(default_factory=list)  # (next run, change)
    due: dict[int, dict[int, str]] = field(default_factory=dict)
    crawled: dict[int, dict[int, str]] = field(default_factory=dict)
    """Run → crawled post id → reason, from the run's manifest."""
    named: dict[int, set[int]] = field(default_factory=dict)
    """Run → the threads the manifest lists (crawled or not)."""
    asked: dict[int, set[int]] = field(default_factory=dict)
    """Run → the posts whose comments the server was asked for."""
    problems: list[str] = field(default_factory=list)
    stale: dict[int, set[int]] = field(default_factory=dict)
    checked: int = 0
    history: list[str] = field(default_factory=list)
    found_history: list[tuple[object, ...]] = field(default_factory=list)
    usage: dict[int, dict[str, tuple[int, int]]] = field(default_factory=dict)
    rows: dict[int, dict[str, int]] = field(default_factory=dict)
    one_row_file: dict[str, int] = field(default_factory=dict)
    published: dict[int, datetime] = field(default_factory=dict)
    removed_posts: dict[int, bool] = field(default_factory=dict)

    def lag(self, run: int, change: Mutation) -> int | None:
        """Runs after ``run`` until the tables took a snapshot of what ``change`` touched
        (its thread crawled, or for post changes its post listed); None: never."""
        post_level = change.kind.startswith("post") or change.kind in ("lock", "new_post")
        seen_in = self.named if post_level else self.crawled
        return next((r - run for r in range(run, RUNS + 1) if change.post_id in seen_in[r]), None)


def check_run(seen: Observed, run: int, data_dir: Path, run_id: str, status: str) -> None:
    """After run ``run``: manifest vs due threads, tables vs expected, vote_history."""
    expected = seen.expected
    crawled, named, incomplete = manifest_reasons(data_dir, run_id)
    seen.crawled[run], seen.named[run] = crawled, named
    if (status, incomplete) != ("complete", 0):
        seen.problems.append(f"run {run}: {status}, {incomplete} incomplete crawls")
    for table, rows in (("posts", expected.posts), ("comments", expected.comments)):
        diff = differences(current_rows(data_dir, table), rows)
        seen.problems += [f"run {run} {table} {d}" for d in diff]
        seen.checked += len(rows)
    seen.found_history = found = history_found(data_dir)
    if found != sorted(expected.history, key=lambda r: r[:3]):
        seen.history.append(f"run {run}: {len(found)} rows, {len(expected.history)} expected")


def measure(seen: Observed, run: int, data_dir: Path) -> None:
    """Files, bytes and rows of the data dir after ``run``; after the first, also the
    size of a one-row file of each table (a Parquet file's fixed cost)."""
    seen.usage[run] = usage(data_dir)
    for table in ("posts", "comments"):
        frame = read_table(data_dir, table)
        seen.rows.setdefault(run, {})[table] = frame.height
        if run == 1:
            one = data_dir.parent / f"one-{table}.parquet"
            write_frame(schema.conform(frame.head(1), table), one)
            seen.one_row_file[table] = one.stat().st_size


def long_run(data_dir: Path) -> Observed:
    """30 runs, the dataset changed before each but the first; checked after each."""
    data = dataset()
    schedule = MutationSchedule(SEED, protected=frozenset({TARGET_POST}), communities=(COMMUNITY,))
    seen = Observed(Expected(window=WINDOW))
    settings = settings_for(data_dir)
    with ReplayServer(data, quirks=Quirks(published_rate_limit=QUICK)) as server:
        targets = [f"{server.base_url}/c/{COMMUNITY}", f"{server.base_url}/post/{TARGET_POST}"]
        for run in range(1, RUNS + 1):
            now = START + (run - 1) * HOUR
            if run > 1:
                data.reference_time = now - HOUR / 2
                seen.mutations += [(run, m) for m in schedule.step(data, run)]
            data.reference_time = now
            posts = listed(data)
            seen.due[run] = due = seen.expected.due(posts, now, full=run == RUNS)
            collector = Collector(settings, full=run == RUNS, now=at(now))
            report = asyncio.run(collector.run([parse_target(t) for t in targets]))
            seen.expected.take(data, posts, due, now=now)
            check_run(seen, run, data_dir, report.run_id, report.status)
            if seen.named[run] != {p.post_id for p in posts}:
                seen.problems.append(f"run {run}: threads named {sorted(seen.named[run])}")
            seen.stale[run] = seen.expected.stale(data)
            seen.asked[run] = comment_requests(server)
            if run in (1, RUNS):
                measure(seen, run, data_dir)
    rows = current_rows(data_dir, "posts")
    seen.published = {p.post_id: p.published for p in data.posts()}
    seen.removed_posts = {p.post_id: rows[p.post_id]["removed"] for p in data.posts() if p.removed}
    return seen


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Observed:
    """The 30 runs, once for every test of this module."""
    return long_run(tmp_path_factory.mktemp("long-run") / "data")


def test_the_schedule_changes_old_and_young_threads_in_every_way(observed: Observed) -> None:
    """Every kind of mutation happens, to threads both inside and outside the window."""
    kinds = Counter(m.kind for _, m in observed.mutations)
    young = {m.post_id for r, m in observed.mutations if observed.due[r].get(m.post_id) == "young"}
    touched = {m.post_id for _, m in observed.mutations}

    assert set(kinds) == set(RATES), kinds
    assert young
    assert touched - young


def test_every_run_crawls_exactly_the_threads_due_and_each_crawl_is_complete(
    observed: Observed,
) -> None:
    """Run by run, the manifest's crawled threads and reasons are those the rules give,
    and no other thread costs a comment request."""
    assert observed.crawled == observed.due
    assert observed.asked == {run: set(crawled) for run, crawled in observed.crawled.items()}
    assert len(observed.crawled[RUNS]) == len(observed.named[RUNS])  # --full: every one
    assert not [p for p in observed.problems if "incomplete" in p or "named" in p]


def test_after_every_run_the_latest_snapshots_equal_the_expected_rows_id_by_id(
    observed: Observed,
) -> None:
    """Due threads' posts and comments equal the server's truth; the rest their last crawl."""
    objects_at_first_run = sum(observed.rows[1].values())

    assert observed.problems == []
    assert observed.checked >= RUNS * objects_at_first_run


def test_changes_that_move_a_count_or_touch_a_post_are_seen_by_the_next_run(
    observed: Observed,
) -> None:
    """New comments, deletions, removals and every post change show in the next run's
    tables (except in a removed post, which is never listed again)."""
    prompt = [(r, m) for r, m in observed.mutations if m.kind in (*COUNTING, *POST_CHANGES)]
    lags = {(r, m): observed.lag(r, m) for r, m in prompt}

    assert {lag for (_, m), lag in lags.items() if m.post_id not in observed.removed_posts} == {0}


def test_edits_and_votes_in_an_old_unchanged_thread_wait_for_a_count_change_or_full(
    observed: Observed,
) -> None:
    """A comment's edit or vote in a thread past the window whose counts did not change
    is missed until a run where a new comment or deletion in it (or --full) re-crawls it."""
    quiet = [(r, m) for r, m in observed.mutations if m.kind in ("edit", "votes")]
    late = [(r, m, observed.lag(r, m)) for r, m in quiet if observed.lag(r, m) != 0]
    caught = [(r, m, lag) for r, m, lag in late if lag is not None]
    counting = {(r, m.post_id) for r, m in observed.mutations if m.kind in COUNTING}

    assert caught, "no edit or vote waited: the test shows nothing"
    for run, change, lag in caught:
        assert START + (run - 1) * HOUR - observed.published[change.post_id] >= WINDOW
        assert change.post_id not in observed.due[run]
        reason = observed.crawled[run + lag][change.post_id]
        assert reason == "full" or (reason == "changed" and (run + lag, change.post_id) in counting)
    assert {m.post_id for _, m, lag in late if lag is None} <= set(observed.removed_posts)
    assert max(len(s) for s in observed.stale.values()) > 0
    assert observed.stale[RUNS] <= observed.expected.comments_of(set(observed.removed_posts))


def test_a_removed_post_keeps_its_last_listed_snapshot_even_after_full(observed: Observed) -> None:
    """Anonymous callers cannot see a removed post, so its rows stay as last seen."""
    assert observed.removed_posts
    assert not any(observed.removed_posts.values())


def test_vote_history_holds_one_row_per_snapshot_the_manifests_report(observed: Observed) -> None:
    """After every run vote_history equals the snapshots taken; after the last, per post
    one row per run that named its thread, per comment one per crawl of its thread since
    the comment existed."""
    born = dict.fromkeys(observed.expected.comments, 1)
    born |= {m.item_id: r for r, m in observed.mutations if m.kind in ("comment", "reply")}
    thread = {c: row["post_id"] for c, row in observed.expected.comments.items()}
    want = Counter(("post", p) for r in observed.named.values() for p in r)
    want += Counter(
        ("comment", c)
        for r, crawled in observed.crawled.items()
        for c, p in thread.items()
        if p in crawled and born[c] <= r
    )

    assert observed.history == []
    assert Counter((row[0], row[1]) for row in observed.found_history) == want


def test_the_data_dir_grows_with_the_data_not_with_the_threads_crawled(observed: Observed) -> None:
    """Compaction leaves one file per run and instance in each table, however many
    threads a run crawled; bytes are that many files' fixed cost plus the rows."""
    first, last = observed.usage[1], observed.usage[RUNS]
    crawls = sum(len(c) for c in observed.crawled.values())

    assert crawls > 5 * RUNS  # without compaction, each crawl (or batch) kept its own part
    assert {k: files for k, (files, _) in last.items() if k != "state.json"} == dict.fromkeys(
        ("raw", "runs", "tables/comments", "tables/languages", "tables/posts"), RUNS
    )
    for table in ("posts", "comments"):  # bytes: files × a one-row file (footer, schema,
        # statistics) + rows × run 1's bytes per row beyond it; ±25 % for text edits lengthen
        fixed = observed.one_row_file[table]
        per_row = (first[f"tables/{table}"][1] - fixed) / observed.rows[1][table]
        model = RUNS * fixed + observed.rows[RUNS][table] * per_row
        assert 0.8 * model <= last[f"tables/{table}"][1] <= 1.25 * model
    threads = (len(observed.named[1]), len(observed.named[RUNS]))
    assert last["state.json"][1] <= first["state.json"][1] * threads[1] / threads[0]
