"""``fedithreads demo``: the whole pipeline offline, over real HTTP on 127.0.0.1.

A replay server serves the bundled seed thread and the big lemmy-v3 thread on a free
loopback port, with a site default listing of ``Local`` (their communities are remote to
it, so a client that forgets ``type_=All`` would see nothing). The collector then
collects both threads and the big thread's community into a data dir, exactly as it
would from a real instance; analyze and show read the result. Last, a replay federation
(three instances holding their own copies of one discussion, each missing some of it) is
collected with ``--across``, for the ``federation`` table.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from fedithreads.analysis import pipeline
from fedithreads.cli.common import console
from fedithreads.cli.terminal import federation_table, print_lines, summary_table
from fedithreads.collect.instances import Instance
from fedithreads.collect.outcome import RunReport
from fedithreads.collect.run import Collector
from fedithreads.collect.targets import parse_target, with_across
from fedithreads.config import Settings, load_settings
from fedithreads.errors import SourceError
from fedithreads.replay.federation import ReplayFederation
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.serve import serve_fixtures
from fedithreads.replay.server import ReplayServer
from fedithreads.report.render import render_thread
from fedithreads.storage.tables import write_tables

DEMO_CAPTURES = ("lemmy-v3/seed-lemmygrad", "lemmy-v3/big-thread")
SEED_INSTANCE = "lemmygrad.ml"
DEMO_RATE_LIMIT = (600, 60)
"""What the demo server publishes: 10 requests/s (Lemmy's default is 180 per 60 s)."""


def fixtures_dir() -> Path:
    """The bundled fixtures: inside the installed package, or the source checkout's."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "fixtures", package.parent / "fixtures"):
        if all((candidate / c).is_dir() for c in DEMO_CAPTURES):
            return candidate
    raise SourceError(
        f"the bundled fixtures ({', '.join(DEMO_CAPTURES)}) are missing; "
        "run the demo from a source checkout or reinstall fedithreads"
    )


FEDERATION_SIZE, FEDERATION_LOSS, FEDERATION_COMMENTS = 3, 0.15, 120
"""The demo's federation: one 120-comment thread on 3 instances, each missing ~15 %."""


@dataclass(frozen=True, slots=True)
class DemoRun:
    base_url: str
    report: RunReport
    seed_url: str
    requests: int
    across: RunReport
    across_ap_id: str


def demo_targets(server: ReplayServer) -> tuple[list[str], str]:
    """Every served post, plus one community; and the seed post's URL."""
    posts = server.dataset.posts()
    urls = [f"{server.base_url}/post/{p.post_id}" for p in posts]
    seed = next(p for p in posts if p.ap_id.startswith(f"https://{SEED_INSTANCE}/"))
    big = next(p for p in posts if p is not seed)
    community = f"{server.base_url}/c/{big.community}"
    return [*urls, community], f"{server.base_url}/post/{seed.post_id}"


def run_demo(settings: Settings) -> DemoRun:
    """Serve, collect, and hand back what the run did (the caller analyses and shows)."""
    root = fixtures_dir()
    quirks = Quirks(default_listing="Local", published_rate_limit=DEMO_RATE_LIMIT)
    with serve_fixtures([root / c for c in DEMO_CAPTURES], quirks=quirks) as server:
        targets, seed_url = demo_targets(server)
        report = asyncio.run(Collector(settings).run([parse_target(t) for t in targets]))
        requests = server.count("")
    federation = ReplayFederation(
        FEDERATION_SIZE, FEDERATION_LOSS, seed=14, comments=FEDERATION_COMMENTS, quirks=quirks
    )
    with federation as fed:
        home, *mirrors = fed.members
        others = tuple(Instance(m.key, m.base_url) for m in mirrors)
        target = with_across(parse_target(home.post_url()), others)
        across = asyncio.run(Collector(settings).run([target]))
        requests += sum(m.server.count("") for m in fed.members)
    return DemoRun(server.base_url, report, seed_url, requests, across, fed.post_ap_ids[0])


def print_demo(target_dir: Path, *, kept: bool) -> None:
    """Run the demo into ``target_dir`` and print what it did; exit 1 if incomplete."""
    started = time.perf_counter()
    settings = load_settings(None, data_dir=target_dir.resolve())
    settings = replace(settings, seeds_dir=target_dir / "seeds")
    run = run_demo(settings)
    out = console()
    out.print(f"collected from the replay server at {run.base_url} into {settings.data_dir}:")
    for target in run.report.targets:
        out.print("  " + target.summary())
    snapshots = pipeline.load_snapshots((), target_dir.resolve())
    tables = pipeline.analyze(snapshots, bucket=settings.activity_bucket)
    out.print(summary_table(tables["thread_stats"]))
    if kept:
        write_tables(tables, target_dir.resolve() / "out")
        out.print(f"tables written to {target_dir.resolve() / 'out'}/; the seed thread:\n")
    else:
        out.print("(a temporary data dir, removed at the end: give --data-dir DIR to keep it)")
        out.print("the seed thread:\n")
    seed = pipeline.find_thread(snapshots, run.seed_url)
    print_lines(out, render_thread(seed, width=100))
    out.print("\none thread across a federation of replay instances (collect --across):")
    for target in run.across.targets:
        out.print("  " + target.summary(), soft_wrap=True)
    views = tables["federation"].filter(pl.col("ap_id") == run.across_ap_id)
    out.print(federation_table(views))
    elapsed = time.perf_counter() - started
    out.print(f"demo done in {elapsed:.1f}s ({run.requests} HTTP requests to the server)")
    if not (run.report.ok and run.across.ok):
        sys.exit(1)
