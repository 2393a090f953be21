"""``collect --dry-run``: what a run would do, without fetching a comment or writing a file.

For every target the hosts are detected and the post lists read (a community's, an
instance's, a person's content, or the post of a post target), exactly as a run reads
them; then each thread is judged by the run's own rule (``thread.crawl_reason``) against
``state.json``, read and never written. The estimate for a thread due is the comment
pages its server count fills (``ceil((comments + 1) / 50)``: one more page than a full
last page, the end signal), the least a crawl asks; the estimate for a host adds its
detection, the listing requests and the least the moderation log takes (its first
page, and a community's id), and its time is those requests at the pace the run
would keep there: ``rate_fraction`` of the limit the host publishes in ``/site``, or the
configured rate, or the default. Hosts are collected in parallel, so the run takes about
as long as its slowest host. Copies on other instances (``--across``) are not estimated.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from fedithreads.collect.api import LIMIT, ThreadApi
from fedithreads.collect.client import Client
from fedithreads.collect.detect import Detector, Server
from fedithreads.collect.lists import list_target
from fedithreads.collect.modlog import has_modlog, reads_modlog
from fedithreads.collect.state import State
from fedithreads.collect.targets import CommunityTarget, ListingTarget, PostTarget, Target
from fedithreads.collect.thread import crawl_reason
from fedithreads.config import Settings
from fedithreads.core.records import PostRecord
from fedithreads.core.units import Now
from fedithreads.errors import FedithreadsError
from fedithreads.storage.objects import Location

DETECTION = 2
"""Requests a run spends detecting a host: nodeinfo and /site."""
REASONS = ("new", "changed", "incomplete before", "young", "full")
"""The reasons a thread is due (``thread.crawl_reason``), in the order lines give them."""


@dataclass(slots=True)
class TargetPlan:
    """One target: the threads it lists, those due and why, the requests they would take."""

    target: str
    host: str = ""
    listed: int = 0
    due: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    error: str | None = None

    def summary(self, pace: float | None) -> str:
        """One line: the threads due and why, the requests and how long at ``pace``."""
        if self.error is not None:
            return f"{self.target}: failed: {self.error}"
        order = sorted(self.due, key=lambda why: (REASONS.index(why), why))
        reasons = ", ".join(f"{self.due[why]} {why}" for why in order)
        due = sum(self.due.values())
        line = f"{self.target}: {self.listed} threads listed, {due} due"
        line += f" ({reasons})" if reasons else ""
        line += f"; about {self.requests} requests"
        if pace:
            line += f", {duration(self.requests / pace)} at {pace:.3g} requests/s"
        return line


@dataclass(slots=True)
class DryRun:
    """Every target's plan, and each host's requests and pace."""

    targets: list[TargetPlan] = field(default_factory=list)
    paces: dict[str, float] = field(default_factory=dict)
    """Host → the requests per second the run would keep there."""
    published: dict[str, str] = field(default_factory=dict)
    """Host → its published limit, in words, where it publishes one."""

    @property
    def ok(self) -> bool:
        return all(t.error is None for t in self.targets)

    def lines(self) -> list[str]:
        """One line per target, then the total: requests and the slowest host's time."""
        out = [t.summary(self.paces.get(t.host)) for t in self.targets]
        by_host: Counter[str] = Counter()
        for t in self.targets:
            by_host[t.host] += t.requests
        for host in by_host:
            by_host[host] += DETECTION
        seconds = max(
            (n / self.paces[h] for h, n in by_host.items() if self.paces.get(h)), default=0.0
        )
        limits = "; ".join(f"{h} publishes {w}" for h, w in sorted(self.published.items()))
        out.append(
            f"dry run: about {sum(by_host.values())} requests, about {duration(seconds)} "
            f"(hosts in parallel{'; ' + limits if limits else ''}); no comment was fetched, "
            "nothing was written"
        )
        return out


async def plan_run(
    settings: Settings,
    client: Client,
    targets: Sequence[Target],
    *,
    full: bool,
    now: Now,
    books: Location,
) -> DryRun:
    """A dry run over ``targets`` with ``client`` (one that archives nothing):
    ``Collector.dry_run``. ``books``: where the run's state.json is (a shard's, or the
    data dir's)."""
    state = State.load(books)  # read, never written
    judge = _Judge(settings, state, full, now)
    run = DryRun()
    async with client:
        detector = Detector(client)
        try:
            plans = [judge.target(client, detector, t, run) for t in targets]
            run.targets = list(await asyncio.gather(*plans))
        finally:
            await detector.stop()
    return run


@dataclass(slots=True)
class _Judge:
    """Plans one target at a time against the state of the last runs."""

    settings: Settings
    state: State
    full: bool
    now: Now

    async def target(
        self, client: Client, detector: Detector, target: Target, run: DryRun
    ) -> TargetPlan:
        plan = TargetPlan(target.raw, target.host)
        try:
            server = await detector.server(target.base_url)
            api = ThreadApi(client, server, "dry-run")
            posts = await self._posts(api, target)
        except FedithreadsError as exc:
            plan.error = str(exc)
            return plan
        _pace(client, server, run)
        plan.requests = api.requests + _modlog_least(target, server)
        plan.listed = len(posts)
        for post in posts:
            seen = self.state.threads.get(f"{post.instance}/{post.post_id}")
            why = crawl_reason(seen, post, self.settings, now=self.now(), full=self.full)
            if why is not None:
                plan.due[why] += 1
                plan.requests += math.ceil((post.comments + 1) / LIMIT)
        return plan

    async def _posts(self, api: ThreadApi, target: Target) -> list[PostRecord]:
        """The posts a run would judge: listed, or the post a target names."""
        if isinstance(target, PostTarget):
            return [await api.fetch_post(target.post_id)]
        if not isinstance(target, ListingTarget):
            return [await api.fetch_resolved_post(target.url)]
        listed = await list_target(api, target, max_pages=self.settings.limits.max_pages)
        if listed.error is not None:
            raise FedithreadsError(listed.error)
        return listed.posts


def _modlog_least(target: Target, server: Server) -> int:
    """The requests the moderation log takes at least: its first page, and for a
    community its id (``collect.modlog``)."""
    if not (isinstance(target, ListingTarget) and reads_modlog(target) and has_modlog(server)):
        return 0
    return 2 if isinstance(target, CommunityTarget) else 1


def _pace(client: Client, server: Server, run: DryRun) -> None:
    """The host's pace, as the run's limiter would keep it, and its published limit."""
    run.paces[server.host] = client.limiter(server.host).bucket.refill
    if server.rate is not None:
        requests, seconds = server.rate.requests, server.rate.per_seconds
        run.published[server.host] = f"{requests:g} per {seconds:g} s"


def duration(seconds: float) -> str:
    """``2 min 5 s``, ``1 h 4 min``, ``12 s``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
