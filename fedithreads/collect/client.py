"""One polite HTTP client per run: pacing, bounded retries, size caps, raw pages out.

``Client.get(base_url, path, params, parse)`` fetches one JSON page and hands the raw
bytes to ``parse`` (a dialect model, given by the caller: the client never builds
models). Fetch and parse are retried together, so a body cut off mid-way (it fails to
parse as JSON) is fetched again like an HTML error page would be. Everything that
waits goes through the injected clock and sleep.

Tokens (config ``[hosts."h"] token_env``) are sent only to their own host, only over
https, never across redirects (redirects are not followed at all); one a server echoes
back is redacted (fedithreads.collect.redact) before anything is kept.

A 2xx carrying ``x-ratelimit-remaining: 0`` (Lemmy 1.0 on the last request its window
allows) holds the host until ``x-ratelimit-reset``, so the next request is not refused.

Every attempt has a deadline of ``ATTEMPT_TIMEOUT_FACTOR`` × ``http.timeout_seconds``
for connecting, the headers and the whole body together, cut to what is left of the
request's ``retry.max_total_seconds`` (counted from its first attempt): the read
timeout alone bounds each wait for a packet, so a server trickling a byte at a time
could otherwise hold a request forever (or, attempt after attempt, past the budget).
TLS certificates are always verified; a certificate that fails verification is not
retried.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from fedithreads.collect.connections import Connections
from fedithreads.collect.lean_httpx import httpx
from fedithreads.collect.ratelimit import HostLimiter, Rate, host_limiter, published_fraction
from fedithreads.collect.redact import Redactor
from fedithreads.collect.retry import (
    Classification,
    RetryPolicy,
    classify,
    classify_transport_error,
    retry_after,
)
from fedithreads.config import Settings
from fedithreads.core.hosts import host_of
from fedithreads.core.units import Clock, Sleep, utcnow
from fedithreads.errors import FetchError, ParseError

T = TypeVar("T")
Params = Mapping[str, str | int]
ATTEMPT_TIMEOUT_FACTOR = 4
"""One attempt (connect, headers, whole body) may take this many read timeouts, and no
more than what is left of the request's ``retry.max_total_seconds``."""
Deadline = Callable[[float], AbstractAsyncContextManager[object]]
"""``asyncio.timeout``: what bounds an attempt (tests give one that needs no real wait)."""
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class Fetched:
    """One HTTP answer as received (what the raw archive keeps)."""

    url: str
    status: int
    body: bytes
    fetched_at: datetime


@dataclass(slots=True)
class HostStats:
    """What one host cost: for the run manifest."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    not_utf8_pages: int = 0
    """Pages kept with bytes that were not UTF-8 (each read as U+FFFD), and the first."""
    not_utf8_first: str | None = None


@dataclass(slots=True)
class _Budget:
    """``retry.max_total_seconds`` of one request, counted from its first attempt (the
    wait for the host's first token is pacing, not retrying)."""

    total: float
    opened: float | None = None

    def left(self, now: float) -> float:
        """Seconds left, the clock starting at the first call (the first attempt)."""
        if self.opened is None:
            self.opened = now
        return self.opened + self.total - now

    def spent(self, now: float) -> float:
        return 0.0 if self.opened is None else now - self.opened


class _Retry(Exception):
    """Internal: a retryable answer, carried through tenacity."""

    def __init__(self, answer: Classification, url: str) -> None:
        super().__init__(answer.kind)
        self.answer = answer
        self.url = url


class Client:
    """``async with Client(settings) as client: await client.get(…)``."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        now: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        archive: Callable[[str, Fetched], None] | None = None,
        environ: Mapping[str, str] = os.environ,
        deadline: Deadline = asyncio.timeout,
        on_first_request: Callable[[], object] | None = None,
    ) -> None:
        """``on_first_request`` is called once, soon after the first request is handed to
        its connection (the collector loads what reading answers needs meanwhile)."""
        self.settings = settings
        self._on_first_request = on_first_request
        self.policy = RetryPolicy(
            settings.retry.max_attempts,
            settings.retry.max_total_seconds,
            settings.retry.backoff_initial_seconds,
            settings.retry.backoff_max_seconds,
        )
        self.clock, self.sleep, self.now = clock, sleep, now
        self.deadline = deadline
        self.rng = rng or random.Random()
        self.archive = archive
        self.stats: dict[str, HostStats] = {}
        self._limiters: dict[str, HostLimiter] = {}
        self._closed: dict[str, tuple[float, float]] = {}
        """Hosts that asked for a pause past the retry budget: (until, seconds asked)."""
        self._slots = asyncio.Semaphore(settings.limits.concurrency)
        self._environ = environ
        self._redactor = Redactor.for_settings(settings, environ)
        self.connections = Connections(settings, transport)
        self._open = False

    async def __aenter__(self) -> Client:
        self._open = True
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._open = False
        await self.connections.aclose()

    # ------------------------------------------------------------------ pacing
    def limiter(self, host: str) -> HostLimiter:
        """The host's limiter (see ``ratelimit.host_limiter``), made on first use."""
        found = self._limiters.get(host)
        if found is None:
            found = host_limiter(self.settings, host, clock=self.clock, sleep=self.sleep)
            self._limiters[host] = found
        return found

    def adopt_published_rate(self, host: str, rate: Rate) -> None:
        """Pace ``host`` at ``rate_fraction`` of its published limit, unless configured."""
        fraction = published_fraction(self.settings, host)
        if fraction is not None:
            spent = self.stats[host].requests if host in self.stats else 0
            self.limiter(host).bucket.set_rate(rate, fraction=fraction, spent=spent)

    # ------------------------------------------------------------------ fetching
    async def get(
        self,
        base_url: str,
        path: str,
        params: Params,
        parse: Callable[[Fetched], T],
        *,
        held: list[Fetched] | None = None,
    ) -> T:
        """GET ``base_url + path`` and ``parse`` it, retrying what is worth retrying.

        Raises FetchError for a permanent failure or when the attempts or the total
        time run out; ParseError when a well-formed JSON body does not fit its model.
        ``held``: the answers go there instead of to the archive (the caller archives
        them, ``keep_answers``, once it knows they are to be kept).
        """
        host = host_of(base_url)
        stats = self.stats.setdefault(host, HostStats())
        url = str(httpx.URL(base_url + path, params=dict(params)))
        budget = _Budget(self.policy.max_total_seconds)
        self._check_open(host, url, stats)
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Retry),
            wait=lambda state: self._wait(state, host),
            stop=lambda state: self._stop(state, budget),
            sleep=self.sleep,
            before_sleep=lambda state: self._count_retry(state, stats),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(host, url, parse, stats, budget, held)
        except _Retry as exc:
            stats.failures[exc.answer.kind] += 1
            raise FetchError(
                url,
                exc.answer.kind,
                status=exc.answer.status or None,
                error=exc.answer.error,
                attempts=retrying.statistics.get("attempt_number", 1),
                elapsed=budget.spent(self.clock()),
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(
        self,
        host: str,
        url: str,
        parse: Callable[[Fetched], T],
        stats: HostStats,
        budget: _Budget,
        held: list[Fetched] | None,
    ) -> T:
        fetched, answer = await self._send(host, url, stats, budget, held)
        if answer.kind == "ok":
            try:
                return parse(fetched)
            except ParseError as exc:
                if not exc.problem.startswith("not valid JSON"):
                    raise self._redactor.parse_error(exc) from None
                answer = Classification("not_json", fetched.status)
        if answer.kind == "rate_limited":
            stats.rate_limited += 1
        if answer.retryable:
            raise _Retry(answer, url)
        stats.failures[answer.kind] += 1
        raise FetchError(url, answer.kind, status=answer.status, error=answer.error)

    async def _send(
        self, host: str, url: str, stats: HostStats, budget: _Budget, held: list[Fetched] | None
    ) -> tuple[Fetched, Classification]:
        async with self.limiter(host), self._slots:  # a token first: no global slot idles
            left = budget.left(self.clock())
            if left <= 0:  # waiting for a token to retry spent what was left
                return Fetched(url, 0, b"", self.now()), Classification("network", 0, "deadline")
            deadline = min(ATTEMPT_TIMEOUT_FACTOR * self.settings.http.timeout_seconds, left)
            stats.requests += 1
            try:
                async with self.deadline(deadline):
                    status, headers, body = await self._receive(host, url)
            except TimeoutError:
                return Fetched(url, 0, b"", self.now()), Classification("network", 0, "deadline")
            except httpx.DecodingError as exc:
                return Fetched(url, 0, b"", self.now()), Classification(
                    "not_json", 0, type(exc).__name__
                )
            except httpx.TransportError as exc:
                return Fetched(url, 0, b"", self.now()), classify_transport_error(exc)
        fetched = Fetched(url, status, self._redactor.bytes(body), self.now())
        if held is None:
            self.keep_answers(host, [fetched])  # as received (less any echoed token)
        else:
            held.append(fetched)
        if fetched.body.startswith(_BOM):  # a byte-order mark is no part of the JSON
            fetched = replace(fetched, body=fetched.body.removeprefix(_BOM))
        answer = classify(status, headers, fetched.body, now=fetched.fetched_at)
        if answer.error is not None:
            answer = replace(answer, error=self._redactor.text(answer.error))
        if answer.kind == "ok" and headers.get("x-ratelimit-remaining", "").strip() == "0":
            wait = retry_after(headers, now=fetched.fetched_at)  # the window's reset
            if wait:  # the last request the window allows: wait for the next window
                self.limiter(host).bucket.pause(min(wait, self.policy.maximum))
        return fetched, answer

    def keep_answers(self, host: str, answers: list[Fetched]) -> None:
        """Archive answers from ``host``, in order."""
        if self.archive is not None:
            for fetched in answers:
                self.archive(host, fetched)

    async def _receive(self, host: str, url: str) -> tuple[int, httpx.Headers, bytes]:
        assert self._open, "use `async with Client(...)`"
        if self._on_first_request is not None:  # after this task's next step: on its way
            asyncio.get_running_loop().call_soon(self._on_first_request)
            self._on_first_request = None
        keepalive = self.limiter(host).concurrency  # idle: as many as may be in flight
        return await self.connections.receive(url, self._auth(host, url), keepalive)

    def _auth(self, host: str, url: str) -> dict[str, str]:
        """A bearer token for ``host``, only over https (never to another host)."""
        conf = self.settings.hosts.get(host)
        if conf is None or conf.token_env is None or not url.startswith("https://"):
            return {}
        if host_of(url) != host:
            return {}
        token = self._environ.get(conf.token_env, "").strip()
        return {"Authorization": f"Bearer {token}"} if token else {}

    def note_not_utf8(self, url: str, count: int) -> None:
        """A page read with ``count`` bytes that were not UTF-8 (none: nothing to note)."""
        if count:
            stats = self.stats.setdefault(host_of(url), HostStats())
            stats.not_utf8_pages += 1
            stats.not_utf8_first = stats.not_utf8_first or url

    # ------------------------------------------------------------------ retry policy
    def _wait(self, state: RetryCallState, host: str) -> float:
        exc = state.outcome.exception() if state.outcome else None
        assert isinstance(exc, _Retry)
        seconds = self.policy.wait(state.attempt_number, exc.answer, self.rng)
        if exc.answer.kind == "rate_limited":
            if seconds > self.policy.max_total_seconds:
                self._closed[host] = (self.clock() + seconds, seconds)  # see _check_open
            else:
                self.limiter(host).bucket.pause(seconds)
        return seconds

    def _check_open(self, host: str, url: str, stats: HostStats) -> None:
        """A host that asked for a pause longer than one request may wait is left alone
        until the pause is over: its requests fail at once (the next run retries them)
        instead of holding the whole run for hours."""
        closed = self._closed.get(host)
        if closed is None or self.clock() >= closed[0]:
            return
        stats.failures["rate_limited"] += 1
        raise FetchError(
            url,
            "rate_limited",
            error=f"the host asked for a {closed[1]:.0f} s pause, longer than "
            f"retry.max_total_seconds; not asked again this run",
        )

    def _stop(self, state: RetryCallState, budget: _Budget) -> bool:
        if state.attempt_number >= self.policy.max_attempts:
            return True
        upcoming = state.upcoming_sleep or 0.0
        return budget.spent(self.clock()) + upcoming > self.policy.max_total_seconds

    @staticmethod
    def _count_retry(state: RetryCallState, stats: HostStats) -> None:
        stats.retries += 1
