"""What a run did: per-thread and per-target outcomes, the manifest, the summary lines.

The manifest (``runs/<run_id>.json``) is written atomically at the end of every run: the
targets, every thread's verdict (collected vs the server's counts, missing, strategy,
requests), the requests, retries and failures per host. It never holds a token: the
client keeps secrets in headers, and URLs are all that errors and outcomes carry.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from fedithreads.collect.client import HostStats
from fedithreads.collect.crawl import ThreadResult
from fedithreads.core.records import PostRecord
from fedithreads.storage.atomic import safe_name, save_atomic
from fedithreads.storage.books import RUNS_DIR
from fedithreads.storage.objects import Location


@dataclass(slots=True)
class ThreadOutcome:
    instance: str
    post_id: int
    title: str
    crawled: bool
    reason: str | None = None
    complete: bool | None = None
    collected: int = 0
    visible: int = 0
    reported: int = 0
    missing: int = 0
    orphans: int = 0
    requests: int = 0
    rejected: int = 0
    ceiling: int | None = None
    strategy: list[str] = field(default_factory=list)
    error: str | None = None

    @classmethod
    def skipped(cls, post: PostRecord) -> ThreadOutcome:
        return cls(post.instance, post.post_id, post.title, False, reported=post.comments)

    @classmethod
    def from_result(
        cls, result: ThreadResult, reason: str, rejected: int, error: str | None = None
    ) -> ThreadOutcome:
        """A crawled thread's outcome; with ``error``, a crawl that failed after fetching
        what ``result`` holds (incomplete whatever its counts say)."""
        v = result.completeness
        return cls(
            result.post.instance,
            result.post.post_id,
            result.post.title,
            True,
            reason,
            v.complete and error is None,
            v.collected,
            v.visible,
            v.reported or 0,
            v.missing,
            v.orphans,
            result.requests,
            rejected,
            result.ceiling,
            list(result.strategy),
            error,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class ViewOutcome:
    """Another instance's copy of a thread (``--across``): found there or not, its crawl.

    ``found`` is None when the instance could not be asked (``error`` says why), False
    when it answered that it does not hold the post."""

    instance: str
    ap_id: str
    found: bool | None
    home: bool = False
    post_id: int | None = None
    error: str | None = None
    thread: ThreadOutcome | None = None

    @property
    def ok(self) -> bool:
        """Whether this view leaves the union whole: asked, and complete where found."""
        return self.found is not None and (self.thread is None or self.thread.complete is not False)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class TargetOutcome:
    target: str
    key: str
    threads: list[ThreadOutcome] = field(default_factory=list)
    error: str | None = None
    views: list[ViewOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        threads_ok = all(t.complete is not False for t in self.threads)
        return self.error is None and threads_ok and all(v.ok for v in self.views)

    def summary(self) -> str:
        """One line for this target (what was collected, whether it is complete), and
        one more line per other instance that could not be read (``--across``)."""
        line = self._line()
        if not self.views:
            return line
        found = [v for v in self.views if v.found]
        absent = sum(v.found is False for v in self.views)
        failed = [v for v in self.views if v.found is None]
        incomplete = [v for v in found if v.thread is not None and v.thread.complete is False]
        crawled = sum(v.thread is not None and v.thread.crawled for v in found)
        parts = [f"{len(found)} found ({crawled} crawled)"]
        if absent:
            parts.append(f"{absent} not federated there")
        if incomplete:
            parts.append(f"{len(incomplete)} INCOMPLETE")
        if failed:
            parts.append(f"{len(failed)} FAILED, the union is incomplete")
        hosts = len({v.instance for v in self.views})
        where = f"{hosts} other instance{'s' * (hosts != 1)}"
        lines = [f"{line}; copies on {where}: {', '.join(parts)}"]
        by_host: dict[str, list[ViewOutcome]] = {}
        for v in failed:
            by_host.setdefault(v.instance, []).append(v)
        for host, views in by_host.items():
            many = f" for {len(views)} threads, the first" if len(views) > 1 else ""
            lines.append(f"  {host}: failed{many}: {_without(views[0].error, host)}")
        return "\n".join(lines)

    def _line(self) -> str:
        if self.error is not None:
            done = sum(t.crawled for t in self.threads)
            return f"{self.target}: failed: {self.error} ({done} threads saved)"
        crawled = [t for t in self.threads if t.crawled]
        requests = sum(t.requests for t in self.threads)
        incomplete = [t for t in crawled if t.complete is False]
        if len(self.threads) == 1 and not self.key.startswith("community"):
            t = self.threads[0]
            if not t.crawled:
                return f"{self.target}: unchanged since the last run, not re-crawled"
            state = "complete" if t.complete else f"INCOMPLETE, {t.missing} missing"
            if t.error:
                state = f"failed: {t.error}"
            return (
                f"{self.target}: {t.collected} comments ({t.reported} reported by the server), "
                f"{state}; {t.requests} requests"
            )
        missing = sum(t.missing for t in incomplete)
        state = (
            "all complete"
            if not incomplete
            else (f"{len(incomplete)} INCOMPLETE ({missing} comments missing)")
        )
        return (
            f"{self.target}: {len(self.threads)} threads, {len(crawled)} crawled, "
            f"{len(self.threads) - len(crawled)} unchanged; {state}; {requests} requests"
        )


def _without(error: str | None, host: str) -> str:
    """``error`` without a leading ``host: `` (the summary line names the host already)."""
    text = error or "unknown error"
    return text.removeprefix(f"{host}: ")


@dataclass(slots=True)
class RunReport:
    run_id: str
    resumed: bool
    started_at: str
    finished_at: str = ""
    targets: list[TargetOutcome] = field(default_factory=list)
    hosts: dict[str, HostStats] = field(default_factory=dict)
    shard: str | None = None
    """``I/N`` for a run of ``collect --shard I/N``."""

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.targets)

    def notes(self) -> list[str]:
        """One line per host that sent pages with bytes that are not UTF-8."""
        return [
            f"{host}: {s.not_utf8_pages} page{'s' * (s.not_utf8_pages != 1)} held bytes that "
            f"are not UTF-8, kept with each such byte read as U+FFFD (first: "
            f"{s.not_utf8_first})"
            for host, s in sorted(self.hosts.items())
            if s.not_utf8_pages
        ]

    @property
    def status(self) -> str:
        if any(t.error for t in self.targets):
            return "failed"
        return "complete" if self.ok else "incomplete"

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "resumed": self.resumed,
            "shard": self.shard,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "status": self.status,
            "hosts": {
                h: {
                    "requests": s.requests,
                    "retries": s.retries,
                    "rate_limited": s.rate_limited,
                    "failures": dict(s.failures),
                    "not_utf8_pages": s.not_utf8_pages,
                    "not_utf8_first": s.not_utf8_first,
                }
                for h, s in sorted(self.hosts.items())
            },
            "targets": [
                {
                    "target": t.target,
                    "key": t.key,
                    "error": t.error,
                    "threads": [x.as_dict() for x in t.threads],
                    "views": [v.as_dict() for v in t.views],
                }
                for t in self.targets
            ],
        }


def manifest_path(data_dir: Location, run_id: str) -> Location:
    return data_dir / RUNS_DIR / f"{safe_name(run_id)}.json"


def write_manifest(data_dir: Location, report: RunReport) -> Location:
    path = manifest_path(data_dir, report.run_id)
    text = json.dumps(report.as_dict(), indent=1).encode()
    save_atomic(path, lambda fh: fh.write(text))
    return path
