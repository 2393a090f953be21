"""Collection across a federation (``collect --across``) against the slowest host's floor.

A replay federation (fedithreads.replay.federation) of 3 instances runs in a separate
process (bench/replay_host.py, its ``{"federation": …}`` spec), each copy of one
5,000-comment thread missing about a tenth of it, every instance at 100 ms latency and
60 requests/s like scenario (a) of collect_bench. The target is the home's post URL
with ``--across`` the two mirrors: the copies are read concurrently, each host paced by
its own limit, so the whole collection should take little more than the slowest host
alone. Each host's floor is collect_bench.floor_seconds of its own request count in the
server's log (nodeinfo, site, resolve and post included); the target compares our wall
time with the largest of them. For reference, the home's copy is also collected alone
(fresh servers, no ``--across``): what one host costs us, fixed costs included. Rows as
collect_bench's (measure, ours, floor, ratio, target, pass);
``python bench/federation_bench.py --timeline`` also prints each host's request timeline.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collect_bench import (
    Hosted,
    Log,
    Row,
    floor_seconds,
    hosted,
    print_table,
    row,
    settings,
    warm_up,
)

from fedithreads.collect.instances import read_across
from fedithreads.collect.outcome import RunReport
from fedithreads.collect.run import Collector
from fedithreads.collect.targets import parse_target, with_across
from fedithreads.config import Settings
from fedithreads.storage.tables import scan_table

QUICK = {"latency_seconds": 0.1, "rate_limit": [60, 1]}
"""Scenario (a)'s quirks, on every instance."""


@dataclass
class Member:
    key: str
    base_url: str
    post_url: str
    held: set[str]
    missing: set[str]


@dataclass
class Federation:
    members: list[Member]
    union: set[str]
    host: Hosted = field(repr=False)

    @property
    def logs(self) -> list[Log]:
        """Each member's requests, once they have stopped."""
        return self.host.logs


@contextmanager
def federation(spec: dict[str, Any]) -> Iterator[Federation]:
    """Start a replay federation in its own process; stop it afterwards."""
    with hosted({"federation": spec}) as host:
        yield Federation(
            [
                Member(m["key"], m["base_url"], m["post_url"], set(m["held"]), set(m["missing"]))
                for m in host.info["members"]
            ],
            set(host.info["union"]),
            host,
        )


def run_across(
    conf: Settings, fed: Federation, across: bool = True
) -> tuple[RunReport, float, float]:
    """Collect the home's post with ``--across`` the mirrors, as the CLI builds it (or
    alone): the report, the wall time and the monotonic time it started at (on Linux the
    servers' process has the same clock)."""
    home, *mirrors = fed.members
    target = parse_target(home.post_url)
    if across:
        target = with_across(target, read_across([m.key for m in mirrors]))
    t0, started = time.monotonic(), time.perf_counter()
    report = asyncio.run(Collector(conf).run([target]))
    return report, time.perf_counter() - started, t0


def collected_by_instance(data_dir: Path) -> dict[str, set[str]]:
    frame = scan_table(data_dir, "comments").select("instance", "ap_id").unique().collect()
    out: dict[str, set[str]] = {}
    for instance, ap_id in frame.iter_rows():
        out.setdefault(instance, set()).add(ap_id)
    return out


def page_rate(log: list[tuple[float, str, str]]) -> tuple[float, float, float]:
    """A host's comment pages: when the first and the last were answered, and pages/s."""
    pages = [t for t, path, _ in log if path.endswith("/comment/list")]
    if len(pages) < 2:
        return (pages or [0.0])[0], (pages or [0.0])[-1], 0.0
    return pages[0], pages[-1], (len(pages) - 1) / (pages[-1] - pages[0])


def timeline(fed: Federation, t0: float, wall: float) -> list[str]:
    """Per host, in seconds after the run started (answer times, so after the 100 ms
    latency): its first and last requests, its requests before the comment pages, when
    those began and their rate, and its longest gap; then how long the run went on after
    the last answer (verdicts, part files, compaction, manifest: its tail)."""
    lines = []
    for k, (member, log) in enumerate(zip(fed.members, fed.logs, strict=True)):
        if not log:
            lines.append(f"{member.key}: no requests")
            continue
        times = [t - t0 for t, _, _ in log]
        gap, at = max(((b - a, a) for a, b in itertools.pairwise(times)), default=(0.0, 0.0))
        setup = [f"{p.rsplit('/', 1)[-1]} {t - t0:.3f}" for t, p, _ in log if "comment" not in p]
        first, _, rate = page_rate(log)
        lines.append(
            f"{'home' if k == 0 else f'mirror {k}'} {member.key}: {len(log)} requests "
            f"{times[0]:.3f}-{times[-1]:.3f}s; {', '.join(setup)}; comment pages from "
            f"{first - t0:.3f}s at {rate:.1f}/s; longest gap {gap:.3f}s at {at:.3f}s"
        )
    last = max((t - t0 for log in fed.logs for t, _, _ in log), default=0.0)
    lines.append(f"run: ended at {wall:.3f}s, {wall - last:.3f}s after the last answer")
    return lines


def bench_federation(
    tmp: Path, n: int = 5_000, instances: int = 3, loss: float = 0.1, seed: int = 5
) -> tuple[list[Row], list[str]]:
    """(f) ``n`` comments on ``instances`` instances missing ``loss`` each, collected across."""
    spec = {
        "instances": instances,
        "loss": loss,
        "seed": seed,
        "threads": 1,
        "comments": n,
        "quirks": QUICK,
    }
    with federation(spec) as fed:
        conf = settings(tmp / f"federation-{instances}-{n}")
        report, ours, t0 = run_across(conf, fed)
    with federation(spec) as again:  # fresh servers: the home's copy alone, for reference
        _, alone, _ = run_across(settings(tmp / f"federation-alone-{n}"), again, across=False)
    got = collected_by_instance(conf.data_dir)
    concurrency = conf.limits.per_host_concurrency
    counts = [len(log) for log in fed.logs]
    floors = [floor_seconds(c, 60, 0.1, concurrency) for c in counts]
    slowest = max(floors)
    label = f"(f) {instances} × {n} comments, loss {loss}, across"
    rows: list[Row] = [
        row(
            f"{label}: wall vs slowest host's floor",
            ours,
            slowest,
            "≤ 1.3",
            ours <= 1.3 * slowest,
        ),
        row(
            "(f) across: wall vs the home's copy collected alone",
            ours,
            alone,
            "(for reference)",
            True,
        ),
    ]
    for k, (member, count, log) in enumerate(zip(fed.members, counts, fed.logs, strict=True)):
        minimum = math.ceil(len(member.held) / 50)
        bound = minimum + 7  # nodeinfo (×2 via .well-known), site, post or resolve, (a)'s slack 3
        limited = sum(1 for _, _, outcome in log if outcome == "rate_limited")
        rows.append(
            (
                f"(f) {'home' if k == 0 else f'mirror {k}'}: requests vs ceil(held/50)"
                + (f" ({limited} rate-limited)" if limited else ""),
                str(count),
                str(minimum),
                f"{count / minimum:.2f}",
                f"≤ {bound}",
                count <= bound and limited == 0,
            )
        )
    exact = [got.get(m.key, set()) == m.held for m in fed.members]
    everything = set().union(*got.values()) if got else set()
    rates = [page_rate(log)[2] for log in fed.logs]
    pace = conf.limits.rate_fraction * 60
    rows.append(
        (
            "(f) comment pages/s of the slowest host vs our pace (0.9 × 60)",
            f"{min(rates):.1f}/s",
            f"{pace:.0f}/s",
            f"{min(rates) / pace:.2f}",
            "(for reference)",
            True,
        )
    )
    rows.append(
        (
            "(f) complete: each copy id by id / the union",
            f"{sum(exact)}/{len(exact)} copies",
            f"{len(everything & fed.union) / len(fed.union):.0%} of union",
            "",
            "all copies, union",
            all(exact) and everything == fed.union and report.ok,
        )
    )
    return rows, timeline(fed, t0, ours)


def run_all(full: bool = False, show_timeline: bool = False) -> list[Row]:
    """The federation rows (``full`` changes nothing: the scenario is small already)."""
    with tempfile.TemporaryDirectory(prefix="fedithreads-bench-") as tmp:
        base = Path(tmp)
        warm_up(base)
        rows, lines = bench_federation(base)
    if show_timeline:
        print("\n".join(lines))
    return rows


if __name__ == "__main__":
    print_table(run_all(full="--full" in sys.argv, show_timeline="--timeline" in sys.argv))
