"""Per-host request pacing, apart from retrying: a token bucket plus a concurrency cap.

Lemmy limits every read endpoint of one client IP through one "message" limit of C
requests per T seconds: a token bucket on 0.19, a fixed-window counter on 1.0
(reference/lemmy-api.md §3.1). The limiter sends at ``fraction`` f of the published rate
(f·C/T per second) and allows a burst of only (1 − f)·C (at least 1), so that no window of
T seconds, aligned or not, ever holds more than C requests: safe under both algorithms.
A published limit that arrives after the first requests (with /site) is applied as if it
had been in force since the first: the bucket replays the times those requests left, so
the requests sent meanwhile are charged to it (even beyond empty), and the time since
refills it, as the server's own bucket has been refilling.
When the server still answers "rate limited", ``pause`` empties the bucket and holds
every request for the wait the server asked for. Clock and sleep are injected, so tests
never really wait.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from fedithreads.config import Settings
from fedithreads.core.units import Clock, Sleep

_EPSILON = 1e-9
_REPLAYED = 256
"""A bucket remembers when its first requests left, this many at most, to replay them
under the limit the host publishes (its /site comes with the first few)."""


@dataclass(frozen=True, slots=True)
class Rate:
    """A bucket: ``requests`` per ``per_seconds`` (Lemmy's default message bucket: 180/60)."""

    requests: float
    per_seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.per_seconds

    @classmethod
    def per_sec(cls, value: float) -> Rate:
        """A steady rate with a one-second bucket."""
        return cls(value, 1.0)


class TokenBucket:
    """Refilled at ``f·C/T`` per second, bursts of ``(1 − f)·C``; ``acquire`` waits."""

    def __init__(self, rate: Rate, *, fraction: float, clock: Clock, sleep: Sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._held_until = 0.0
        self.waited = 0.0
        self.acquired = 0
        self._sent: list[float] | None = []
        """When the first requests left (None once replayed, or too many to keep)."""
        self.set_rate(rate, fraction=fraction)

    def set_rate(self, rate: Rate, *, fraction: float, spent: int | None = None) -> None:
        """Adopt a new published limit. The tokens on hand are kept (capped) or, when the
        requests ``spent`` so far are given, those are charged to the new bucket, as if
        it had been in force since the first of them left (``_replay``)."""
        self.rate = rate
        self.capacity = max(1.0, rate.requests * (1.0 - fraction))
        self.refill = rate.per_second * fraction
        self._stamp = self._clock()
        if spent is not None:
            self._tokens = self._replay(spent)
        else:
            self._tokens = min(getattr(self, "_tokens", self.capacity), self.capacity)

    def _replay(self, spent: int) -> float:
        """The tokens a full bucket of the current rate, started when the first request
        left, holds now after the requests that left since (negative: a debt to wait
        off). Without their times (too many), a full bucket less the ``spent`` ones."""
        sent, self._sent = self._sent, None
        if sent is None:
            return max(0.0, self.capacity - spent)
        if not sent:
            return self.capacity
        tokens, last = self.capacity, sent[0]
        for t in sent:
            tokens = min(self.capacity, tokens + (t - last) * self.refill) - 1.0
            last = t
        return min(self.capacity, tokens + (self._stamp - last) * self.refill)

    def _top_up(self, now: float) -> None:
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.refill)
        self._stamp = now

    async def acquire(self) -> None:
        """Take one token, sleeping (in FIFO order) until one is there."""
        async with self._lock:
            while True:
                now = self._clock()
                if now < self._held_until:
                    await self._wait(self._held_until - now)
                    continue
                self._top_up(now)
                if self._tokens >= 1.0 - _EPSILON:  # float sums of refills may fall a hair short
                    self._tokens = max(0.0, self._tokens - 1.0)
                    self.acquired += 1
                    self._note_sent(now)
                    return
                await self._wait((1.0 - self._tokens) / self.refill)

    def _note_sent(self, now: float) -> None:
        if self._sent is not None:
            self._sent.append(now)
            if len(self._sent) > _REPLAYED:
                self._sent = None

    async def _wait(self, seconds: float) -> None:
        self.waited += seconds
        await self._sleep(seconds)

    def pause(self, seconds: float) -> None:
        """The server said "too many": hold all requests ``seconds`` and empty the bucket."""
        now = self._clock()
        self._top_up(now)
        self._tokens = 0.0
        self._held_until = max(self._held_until, now + seconds)
        self._stamp = max(self._stamp, self._held_until)


class HostLimiter:
    """One host's bucket and concurrency slots: ``async with limiter: send()``."""

    def __init__(
        self,
        rate: Rate,
        *,
        fraction: float,
        concurrency: int,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.bucket = TokenBucket(rate, fraction=fraction, clock=clock, sleep=sleep)
        self._slots = asyncio.Semaphore(concurrency)
        self.concurrency = concurrency

    async def __aenter__(self) -> HostLimiter:
        """A slot and a token; then one turn of the event loop before the request goes.
        A host's bucket refills from the moment its first token is taken, so when crawls
        of several hosts start at once, each should take its tokens before any sends
        (~1 ms a request): otherwise the last host's pacing starts only once the others'
        first requests are out, and its bucket, full meanwhile, loses what it refilled."""
        await self._slots.acquire()
        try:
            await self.bucket.acquire()
            await asyncio.sleep(0)
        except BaseException:
            self._slots.release()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._slots.release()


def host_limiter(settings: Settings, host: str, *, clock: Clock, sleep: Sleep) -> HostLimiter:
    """A host's limiter: its configured rate (exactly), else the default limit (paced like
    a published one) until the host's /site says otherwise."""
    conf = settings.hosts.get(host)
    limits = settings.limits
    configured = conf.requests_per_second if conf else None
    if configured is not None:
        rate, fraction = Rate.per_sec(configured), 1.0
    else:
        rate, fraction = Rate(limits.default_requests_per_second * 60, 60), limits.rate_fraction
    concurrency = (conf.concurrency if conf else None) or limits.per_host_concurrency
    return HostLimiter(rate, fraction=fraction, concurrency=concurrency, clock=clock, sleep=sleep)


def published_fraction(settings: Settings, host: str) -> float | None:
    """The fraction of a published limit ``host`` is paced at; None when its rate is
    configured (a configured rate wins over what the server publishes)."""
    conf = settings.hosts.get(host)
    if conf is not None and conf.requests_per_second is not None:
        return None
    return settings.limits.rate_fraction
