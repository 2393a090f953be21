"""The replay server's rate limiter: Lemmy 0.19's token bucket, one per client IP.

A bucket holds ``capacity`` tokens and refills linearly, all of them in ``per_seconds``
(reference/lemmy-api.md §3.1). Each request takes a token; with less than one token left
the request is refused and takes nothing. All API endpoints share the bucket of a client
IP, so every loopback client shares one. The clock is injected: tests pass a fake one.
How a refusal looks on the wire is the dialect's business (``Api.rate_limited``).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from fedithreads.core.units import Clock


@dataclass(frozen=True, slots=True)
class Decision:
    """One request's verdict: ``remaining`` whole tokens after it, ``reset_seconds`` until
    the bucket is full again, ``retry_after`` seconds until a token is free (refusals)."""

    allowed: bool
    limit: int
    per_seconds: float
    remaining: int
    reset_seconds: int
    retry_after: int


class TokenBucket:
    """``capacity`` tokens, refilled at ``capacity / per_seconds`` per second."""

    def __init__(self, capacity: int, per_seconds: float, now: float) -> None:
        self.capacity = capacity
        self.per_seconds = per_seconds
        self.rate = capacity / per_seconds
        self.tokens = float(capacity)
        self.checked = now

    def take(self, now: float) -> Decision:
        """Refill for the time passed, then take one token if there is one."""
        elapsed = max(0.0, now - self.checked)
        self.tokens = min(float(self.capacity), self.tokens + elapsed * self.rate)
        self.checked = now
        allowed = self.tokens >= 1.0
        if allowed:
            self.tokens -= 1.0
        return Decision(
            allowed=allowed,
            limit=self.capacity,
            per_seconds=self.per_seconds,
            remaining=math.floor(self.tokens),
            reset_seconds=math.ceil((self.capacity - self.tokens) / self.rate),
            retry_after=0 if allowed else max(1, math.ceil((1.0 - self.tokens) / self.rate)),
        )


class RateLimiter:
    """One ``TokenBucket`` per client IP, created full on the client's first request."""

    def __init__(self, capacity: int, per_seconds: float, clock: Clock) -> None:
        self.capacity = capacity
        self.per_seconds = per_seconds
        self.clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> Decision:
        """Take a token from ``client``'s bucket (or be refused)."""
        with self._lock:
            now = self.clock()
            bucket = self._buckets.get(client)
            if bucket is None:
                bucket = self._buckets[client] = TokenBucket(self.capacity, self.per_seconds, now)
            return bucket.take(now)


__all__ = ["Decision", "RateLimiter", "TokenBucket"]
