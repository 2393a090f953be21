"""Retry policy as data: which answers are worth another try, and how long to wait.

Lemmy signals its rate limit as HTTP 400 ``{"error":"rate_limit_error"}`` on 0.18/0.19 and
429 elsewhere, moves the status of one error between 400 and 404 across versions, and sits
behind proxies that answer HTML. So an answer is classified by its ``error`` string first
and its status second (reference/lemmy-api.md §3.2-3.4):

=====================  ==========================================  ==========
kind                   when                                        retried
=====================  ==========================================  ==========
``rate_limited``       429; 400/any with rate_limit_error or       yes, after
                       too_many_requests                           Retry-After
``server``             5xx, 408, 425, Cloudflare 52x               yes
``not_json``           2xx that is not JSON (HTML, empty, cut      yes
                       off, undecodable); a JSON body under a
                       wrong content-type is read as JSON
``network``            timeouts, resets, refused connections,      yes
                       an attempt over its deadline
``page_ceiling``       400 couldnt_get_comments / couldnt_get_     no: the
                       posts (also a bad limit or page)            crawler
                                                                   adapts
``not_found``          couldnt_find_*, not_found, 404              no
``refused``            any other 4xx (instance_is_private, …)      no
``redirect``           3xx (never followed across hosts)           no
``too_large``          body over the configured cap                no
``tls``                the certificate does not verify             no
=====================  ==========================================  ==========

Waits: ``Retry-After`` in seconds or as an HTTP date; else ``x-ratelimit-reset`` in
seconds (Lemmy 1.0), or as a Unix time when it is that large; else jittered backoff.
"""

from __future__ import annotations

import email.utils
import json
import random
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from fedithreads.collect.lean_httpx import httpx

RETRYABLE_KINDS = frozenset({"rate_limited", "server", "not_json", "network"})
RATE_LIMIT_ERRORS = frozenset({"rate_limit_error", "too_many_requests"})
CEILING_ERRORS = frozenset({"couldnt_get_comments", "couldnt_get_posts", "invalid_fetch_limit"})
RETRYABLE_STATUSES = frozenset({408, 425, 500, 502, 503, 504, 520, 521, 522, 523, 524})


@dataclass(frozen=True, slots=True)
class Classification:
    """What one HTTP answer means: ``kind`` from the table above, or ``ok``."""

    kind: str
    status: int
    error: str | None = None
    retry_after: float | None = None

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE_KINDS


ERROR_CHARS = 120
"""A server's error string is cut to this many characters in messages."""


def error_code(body: bytes) -> str | None:
    """The ``error`` string of a Lemmy error body (PieFed: its ``message``), if any, cut
    to one printable line (it ends up in messages and the manifest)."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        text = body[:200].decode("utf-8", "replace").strip()
        return text if text.isidentifier() else None  # 0.18 plain-text errors
    if isinstance(doc, dict):
        value = doc.get("error") or doc.get("message")
        return one_line(str(value)) if value is not None else None
    return None


def one_line(text: str) -> str:
    """``text`` without control characters, at most ``ERROR_CHARS`` long."""
    clean = "".join(c if c.isprintable() else " " for c in text[: ERROR_CHARS + 1])
    return clean if len(clean) <= ERROR_CHARS else clean[: ERROR_CHARS - 1] + "…"


def classify(
    status: int, headers: Mapping[str, str], body: bytes, *, now: datetime
) -> Classification:
    """Classify an answer; ``ok`` means a 2xx whose body claims to be JSON."""
    wait = retry_after(headers, now=now)
    if 200 <= status < 300:
        ctype = headers.get("content-type", "").lower()
        if ctype.startswith("application/json") and body.strip():
            return Classification("ok", status)
        if looks_like_json(body) and "html" not in ctype:
            return Classification("ok", status)  # a proxy mislabelled it; the parser decides
        return Classification("not_json", status)
    if 300 <= status < 400:
        location = headers.get("location")
        return Classification("redirect", status, one_line(location) if location else None)
    code = error_code(body)
    if status == 429 or code in RATE_LIMIT_ERRORS:
        return Classification("rate_limited", status, code, wait)
    if status in RETRYABLE_STATUSES or status >= 500:
        return Classification("server", status, code, wait)
    if code in CEILING_ERRORS:
        return Classification("page_ceiling", status, code)
    if status == 404 or (code or "").startswith("couldnt_find") or code == "not_found":
        return Classification("not_found", status, code)
    if status == 403 and not headers.get("content-type", "").startswith("application/json"):
        return Classification("server", status, code, wait)  # a proxy's challenge page, not Lemmy
    return Classification("refused", status, code)


def looks_like_json(body: bytes) -> bool:
    """Whether a body starts like a JSON object or array (after white space)."""
    return body.lstrip()[:1] in (b"{", b"[")


EPOCH_THRESHOLD = 1_000_000_000.0
"""An ``x-ratelimit-reset`` this large is a Unix time, not a number of seconds."""


def retry_after(headers: Mapping[str, str], *, now: datetime) -> float | None:
    """Seconds the server asked us to wait: Retry-After (seconds or HTTP date) or
    x-ratelimit-reset (seconds until the window resets, Lemmy 1.0)."""
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        if value.isascii() and value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
            return max(0.0, (when - now).total_seconds())
    reset = headers.get("x-ratelimit-reset")
    if reset:
        try:
            seconds = float(reset)
        except ValueError:
            return None
        if seconds != seconds or seconds in (float("inf"), float("-inf")):
            return None
        if seconds >= EPOCH_THRESHOLD:
            seconds -= now.timestamp()
        return max(0.0, seconds)
    return None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds on retrying one request: attempts AND total time, jittered backoff."""

    max_attempts: int = 6
    max_total_seconds: float = 300.0
    initial: float = 1.0
    maximum: float = 60.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter exponential backoff before attempt ``attempt + 1`` (attempt ≥ 1)."""
        ceiling = min(self.maximum, self.initial * 2 ** (attempt - 1))
        return rng.uniform(ceiling / 2, ceiling)

    def wait(self, attempt: int, answer: Classification, rng: random.Random) -> float:
        """The server's Retry-After when it gave one, else the backoff. A wait past the
        total budget is not shortened: the request gives up instead."""
        if answer.retry_after is not None:
            return max(answer.retry_after, 0.0)
        return self.backoff(attempt, rng)


def classify_transport_error(exc: httpx.TransportError) -> Classification:
    """A connection-level failure: a certificate that does not verify is permanent
    (``tls``); resets, timeouts and refused connections are worth another try."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return Classification("tls", 0, "certificate verify failed")
        cause = cause.__cause__ or cause.__context__
    if "CERTIFICATE_VERIFY_FAILED" in str(exc):
        return Classification("tls", 0, "certificate verify failed")
    return Classification("network", 0, type(exc).__name__)
