"""The replay server's switches: version quirks, site settings, latency, limits and faults.

Every switch is off or neutral by default except ``max_depth_cap`` (300, as every Lemmy
0.18/0.19 server does). Each one reproduces a behaviour from reference/lemmy-api.md:

* ``max_depth_cap``: rows a ``max_depth`` comment query returns (§2.1);
* ``page_ceiling``: the highest ``page`` accepted (10 on 0.19.14, 100 from 0.19.15; §1.2);
* ``default_listing``: the site's ``default_post_listing_type``, used when ``type_`` is
  absent: ``"Local"`` hides the comments of remote-community posts (§2.3);
* ``omit_deleted``: 0.18.3-0.18.5 leave deleted and removed comments out of lists (§2.4);
* ``v3_repeat_pages``: the 1.0 v3 compatibility layer ignores ``page`` (§4.4);
* ``piefed_page_length`` / ``piefed_api_disabled``: PieFed's ``PAGE_LENGTH`` and
  ``ENABLE_ALPHA_API`` (§5.1);
* ``latency_seconds``: a sleep before answering each request;
* ``rate_limit``: ``(requests, per_seconds)``, one token bucket per client IP shared by
  every API endpoint (§3.1, §3.2); ``published_rate_limit``: what ``/site`` reports
  (default: ``rate_limit``, else Lemmy's 180 per 60 s);
* ``fault_rate`` / ``fault_kinds`` / ``fault_seed``: injected infrastructure failures
  (``fedithreads.replay.faults``; the default kinds are the transient ones);
  ``fault_paths`` limits them to API paths containing one of the given strings;
  ``fault_schedule`` gives the faults of the first such requests in order (a burst of
  rate limits, one reset then health); ``slow_seconds``, ``fault_retry_after``,
  ``trickle_seconds``/``trickle_chunks``, ``oversize_bytes`` and ``redirect_to`` shape
  the faults that need a number or a place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fedithreads.replay.faults import FAULTS, TRANSIENT, FaultEnv

LISTINGS = ("All", "Local")
LEMMY_MESSAGE_LIMIT = (180, 60)


@dataclass(frozen=True, slots=True)
class Quirks:
    """How the replay server deviates from a plain, healthy, unlimited server."""

    max_depth_cap: int = 300
    page_ceiling: int | None = None
    default_listing: str = "All"
    omit_deleted: bool = False
    v3_repeat_pages: bool = False
    piefed_page_length: int = 100
    piefed_api_disabled: bool = False
    latency_seconds: float = 0.0
    rate_limit: tuple[int, float] | None = None
    published_rate_limit: tuple[int, int] | None = None
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = TRANSIENT
    fault_seed: int = 0
    fault_paths: tuple[str, ...] = ()
    fault_schedule: tuple[str, ...] = ()
    slow_seconds: float = 30.0
    fault_retry_after: int = 1
    trickle_seconds: float = 0.05
    trickle_chunks: int = 20
    oversize_bytes: int = 60_000_000
    redirect_to: str = "https://elsewhere.example"

    def __post_init__(self) -> None:
        """Reject settings no server could have, naming the field and the fix."""
        if self.max_depth_cap < 1:
            raise ValueError("Quirks.max_depth_cap must be at least 1 (Lemmy uses 300)")
        if self.page_ceiling is not None and self.page_ceiling < 1:
            raise ValueError("Quirks.page_ceiling must be None or at least 1 (e.g. 10, 100)")
        if self.default_listing not in LISTINGS:
            raise ValueError(f"Quirks.default_listing must be one of {LISTINGS}")
        if self.piefed_page_length < 1:
            raise ValueError("Quirks.piefed_page_length must be at least 1 (PieFed uses 100)")
        if self.latency_seconds < 0 or self.slow_seconds < 0:
            raise ValueError("Quirks.latency_seconds and slow_seconds must be >= 0")
        limits = {"rate_limit": self.rate_limit, "published_rate_limit": self.published_rate_limit}
        for name, limit in limits.items():
            if limit is not None and (limit[0] < 1 or limit[1] <= 0):
                raise ValueError(f"Quirks.{name} must be (requests >= 1, per_seconds > 0)")
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError("Quirks.fault_rate must be between 0 and 1")
        named = set(self.fault_kinds) | (set(self.fault_schedule) - {""})
        unknown = sorted(named - set(FAULTS))
        if unknown:
            raise ValueError(f"Quirks.fault_kinds: unknown {unknown}; use some of {list(FAULTS)}")
        if self.fault_retry_after < 0 or self.trickle_seconds < 0 or self.trickle_chunks < 1:
            raise ValueError("Quirks: fault_retry_after, trickle_seconds >= 0, trickle_chunks >= 1")

    def fault_env(self, sleep: Callable[[float], object]) -> FaultEnv:
        """What the fault functions need, with the server's ``sleep``."""
        return FaultEnv(
            sleep,
            self.slow_seconds,
            self.fault_retry_after,
            self.trickle_seconds,
            self.trickle_chunks,
            self.oversize_bytes,
            self.redirect_to,
        )

    @property
    def published(self) -> tuple[int, int]:
        """The message rate limit ``/site`` reports: requests per interval (seconds)."""
        if self.published_rate_limit is not None:
            return self.published_rate_limit
        if self.rate_limit is not None:
            requests, seconds = self.rate_limit
            return requests, max(1, round(seconds))
        return LEMMY_MESSAGE_LIMIT


__all__ = ["LEMMY_MESSAGE_LIMIT", "LISTINGS", "Quirks"]
