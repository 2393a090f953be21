"""Fault injection for the replay server: what a flaky proxy, CDN or Lemmy itself sends.

A fault kind is a function ``(produce, env) -> Response``: ``produce`` builds the response
the server would have sent (without touching the rate limiter), and the fault decides what
goes on the wire instead. Adding a kind means adding one function to ``FAULTS``; the
endpoints never know. The kinds (reference/lemmy-api.md §3.2-3.4):

* rate limits: ``rate_limit_400`` (Lemmy 0.18/0.19: 400 ``rate_limit_error``, no
  headers), ``rate_limit_429`` (1.0: 429 ``too_many_requests`` with ``Retry-After``),
  ``rate_limit_429_bare`` (1.0 alpha.6-9: 429, empty body, no headers),
  ``rate_limit_headers`` (429 with only ``x-ratelimit-*`` headers);
* gateways and CDNs: ``html_500``, ``html_502`` (nginx), ``html_503`` (a Cloudflare
  "Just a moment..." challenge), ``html_504`` (Cloudflare's gateway time-out),
  ``html_403`` (a Cloudflare block page);
* broken 200s: ``truncated`` (the body cut in half), ``html_200`` (a challenge page),
  ``empty_200``, ``wrong_type`` (the real JSON labelled ``text/plain``);
* the connection: ``reset`` (closed before any response, nginx ``444``),
  ``reset_mid_body`` (headers and half the body, then a reset), ``slow`` (the answer only
  after ``slow_seconds``: a stall past a client's read timeout), ``trickle`` (the body in
  small pieces, each in time, the whole far too slow);
* permanent ones, never in the default mix: ``redirect`` (302 to ``redirect_to``, another
  host), ``oversize`` (the real body padded with spaces to ``oversize_bytes``),
  ``bad_byte`` (a byte that is not UTF-8 opening the first comment's text).

``FaultPicker`` decides per request: requests outside ``paths`` never fault; the first
requests meet the ``schedule`` in order (bursts on demand); after it, faults are drawn from
a seeded ``random.Random`` under a lock, so the same sequence of requests meets the same
faults on every run.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from fedithreads.replay.http import HTML, JSON, TEXT, Response

Produce = Callable[[], Response]


@dataclass(frozen=True, slots=True)
class FaultEnv:
    """What a fault may use besides the real response: the server's sleep function and
    the quirks' fault settings."""

    sleep: Callable[[float], object]
    slow_seconds: float
    retry_after: int = 1
    trickle_seconds: float = 0.05
    trickle_chunks: int = 20
    oversize_bytes: int = 60_000_000
    redirect_to: str = "https://elsewhere.example"


Fault = Callable[[Produce, FaultEnv], Response]

_NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
_NGINX_500 = _NGINX_502.replace(b"502 Bad Gateway", b"500 Internal Server Error")
_CHALLENGE = (
    b'<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
    b'<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'
    b'<meta name="robots" content="noindex,nofollow"></head><body>'
    b'<div class="main-wrapper" role="main"><div class="main-content">'
    b"<h1>Checking if the site connection is secure</h1>"
    b"<p>Enable JavaScript and cookies to continue</p></div></div></body></html>"
)
_CF_504 = (
    b"<!DOCTYPE html><html><head><title>lemmy.example | 504: Gateway time-out</title></head>"
    b'<body><div id="cf-error-details"><h1>Gateway time-out</h1>'
    b"<p>Error code 504</p><p>Cloudflare Ray ID: 8f0c1d2e3a4b5c6d</p></div></body></html>"
)
_CF_403 = (
    b"<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head>"
    b'<body><div id="cf-wrapper"><h1>Sorry, you have been blocked</h1>'
    b"<p>Cloudflare Ray ID: 8f0c1d2e3a4b5c6d</p></div></body></html>"
)
_CF_HEADERS = (("server", "cloudflare"), ("cf-ray", "8f0c1d2e3a4b5c6d-AMS"))


def _json(doc: object) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def _as(real: Response, kind: str, **changes: object) -> Response:
    """The real response with some fields changed, logged as ``fault:<kind>``."""
    return replace(real, outcome=f"fault:{kind}", **changes)  # type: ignore[arg-type]


def rate_limit_400(produce: Produce, env: FaultEnv) -> Response:
    """Lemmy 0.18/0.19's rate limit: 400 ``rate_limit_error``, no Retry-After."""
    body = _json({"error": "rate_limit_error"})
    return Response(400, body, outcome="fault:rate_limit_400")


def rate_limit_429(produce: Produce, env: FaultEnv) -> Response:
    """Lemmy 1.0's rate limit: 429 ``too_many_requests`` with ``Retry-After``."""
    body = _json({"error": "too_many_requests"})
    headers = (("retry-after", str(env.retry_after)),)
    return Response(429, body, headers=headers, outcome="fault:rate_limit_429")


def rate_limit_429_bare(produce: Produce, env: FaultEnv) -> Response:
    """Lemmy 1.0 alpha.6-9: 429 with an empty body and no headers at all."""
    return Response(429, b"", content_type=TEXT, outcome="fault:rate_limit_429_bare")


def rate_limit_headers(produce: Produce, env: FaultEnv) -> Response:
    """429 with only ``x-ratelimit-*`` headers (the reset in seconds), no Retry-After."""
    headers = (
        ("x-ratelimit-limit", "180"),
        ("x-ratelimit-remaining", "0"),
        ("x-ratelimit-reset", str(env.retry_after)),
    )
    body = _json({"error": "too_many_requests"})
    return Response(429, body, headers=headers, outcome="fault:rate_limit_headers")


def html_500(produce: Produce, env: FaultEnv) -> Response:
    """nginx's 500 page."""
    return Response(500, _NGINX_500, content_type=HTML, outcome="fault:html_500")


def html_502(produce: Produce, env: FaultEnv) -> Response:
    """nginx's gateway error page: the upstream Lemmy did not answer."""
    return Response(502, _NGINX_502, content_type=HTML, outcome="fault:html_502")


def html_503(produce: Produce, env: FaultEnv) -> Response:
    """A Cloudflare managed challenge: 503 "Just a moment...", HTML."""
    return Response(
        503, _CHALLENGE, content_type=HTML, headers=_CF_HEADERS, outcome="fault:html_503"
    )


def html_504(produce: Produce, env: FaultEnv) -> Response:
    """Cloudflare's 504 gateway time-out page."""
    return Response(504, _CF_504, content_type=HTML, headers=_CF_HEADERS, outcome="fault:html_504")


def html_403(produce: Produce, env: FaultEnv) -> Response:
    """A Cloudflare block page: 403, HTML (not Lemmy's JSON refusal)."""
    return Response(403, _CF_403, content_type=HTML, headers=_CF_HEADERS, outcome="fault:html_403")


def truncated(produce: Produce, env: FaultEnv) -> Response:
    """The real response's first half, labelled 200 JSON (a cut-off upstream stream)."""
    body = produce().body
    return Response(200, body[: len(body) // 2], content_type=JSON, outcome="fault:truncated")


def html_200(produce: Produce, env: FaultEnv) -> Response:
    """A CDN challenge page served with status 200."""
    return Response(200, _CHALLENGE, content_type=HTML, outcome="fault:html_200")


def empty_200(produce: Produce, env: FaultEnv) -> Response:
    """Status 200, ``application/json``, and no body at all."""
    return Response(200, b"", content_type=JSON, outcome="fault:empty_200")


def wrong_type(produce: Produce, env: FaultEnv) -> Response:
    """The real answer, labelled ``text/plain`` by a misconfigured proxy."""
    return _as(produce(), "wrong_type", content_type=TEXT)


def reset(produce: Produce, env: FaultEnv) -> Response:
    """No response at all: the connection is closed (nginx ``444``)."""
    return Response(0, b"", drop=True, outcome="fault:reset")


def reset_mid_body(produce: Produce, env: FaultEnv) -> Response:
    """The real status and headers, half the body, then a connection reset."""
    real = produce()
    return _as(real, "reset_mid_body", cut_after=len(real.body) // 2)


def slow(produce: Produce, env: FaultEnv) -> Response:
    """The real response, sent only after ``slow_seconds``."""
    env.sleep(env.slow_seconds)
    return _as(produce(), "slow")


def trickle(produce: Produce, env: FaultEnv) -> Response:
    """The real response, its body dribbled out in ``trickle_chunks`` timed pieces."""
    return _as(
        produce(),
        "trickle",
        trickle_seconds=env.trickle_seconds,
        trickle_chunks=env.trickle_chunks,
    )


def redirect(produce: Produce, env: FaultEnv) -> Response:
    """302 to another host (a moved instance, or a hostile proxy)."""
    headers = (("location", env.redirect_to.rstrip("/") + "/api/v3/site"),)
    return Response(302, b"", content_type=TEXT, headers=headers, outcome="fault:redirect")


def oversize(produce: Produce, env: FaultEnv) -> Response:
    """The real JSON padded with trailing spaces to ``oversize_bytes`` (still valid)."""
    real = produce()
    padding = b" " * max(0, env.oversize_bytes - len(real.body))
    return _as(real, "oversize", body=real.body + padding)


def bad_byte(produce: Produce, env: FaultEnv) -> Response:
    """The real JSON with one byte that is not UTF-8 (0xFF) opening the first comment's
    text: a server or proxy that mangled one character."""
    real = produce()
    for marker in (b'"content":"', b'"body":"'):
        at = real.body.find(marker)
        if at >= 0:
            cut = at + len(marker)
            return _as(real, "bad_byte", body=real.body[:cut] + b"\xff" + real.body[cut:])
    return real


FAULTS: Mapping[str, Fault] = {
    "html_502": html_502,
    "truncated": truncated,
    "reset": reset,
    "html_200": html_200,
    "empty_200": empty_200,
    "slow": slow,
    "rate_limit_400": rate_limit_400,
    "rate_limit_429": rate_limit_429,
    "rate_limit_429_bare": rate_limit_429_bare,
    "rate_limit_headers": rate_limit_headers,
    "html_500": html_500,
    "html_503": html_503,
    "html_504": html_504,
    "html_403": html_403,
    "wrong_type": wrong_type,
    "reset_mid_body": reset_mid_body,
    "trickle": trickle,
    "redirect": redirect,
    "oversize": oversize,
    "bad_byte": bad_byte,
}
"""Every fault kind by name; ``Quirks.fault_kinds`` picks from these."""

PERMANENT = frozenset({"redirect", "oversize", "bad_byte"})
"""Kinds a collector must not retry its way through (they would come back the same)."""

TRANSIENT = tuple(k for k in FAULTS if k not in PERMANENT)
"""The default mix: what a polite, patient client recovers from by retrying."""


class FaultPicker:
    """Decides per request whether it fails and how; reproducible for a given seed."""

    def __init__(
        self,
        rate: float,
        kinds: Sequence[str],
        seed: int,
        *,
        paths: Sequence[str] = (),
        schedule: Sequence[str] = (),
    ) -> None:
        """``rate`` in [0, 1]: the chance a request faults; ``kinds``: names in ``FAULTS``;
        ``paths``: only requests whose path contains one of these can fault (all when
        empty); ``schedule``: the faults of the first matching requests, in order (``""``
        lets one through)."""
        self.rate = rate
        self.kinds = tuple(kinds)
        self.paths = tuple(paths)
        self._schedule = list(schedule)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def draw(self, path: str = "") -> Fault | None:
        """The fault this request meets, or ``None`` (no random draw when the rate is 0)."""
        if self.paths and not any(p in path for p in self.paths):
            return None
        with self._lock:
            if self._schedule:
                name = self._schedule.pop(0)
                return FAULTS[name] if name else None
            if self.rate <= 0 or not self.kinds:
                return None
            if self._rng.random() >= self.rate:
                return None
            return FAULTS[self._rng.choice(self.kinds)]


__all__ = [
    "FAULTS",
    "PERMANENT",
    "TRANSIENT",
    "Fault",
    "FaultEnv",
    "FaultPicker",
    "Produce",
]
