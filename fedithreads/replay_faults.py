"""Fault injection for the replay server: what a flaky proxy or CDN in front of Lemmy sends.

A fault kind is a function ``(produce, env) -> Response``: ``produce`` builds the response
the server would have sent (without touching the rate limiter), and the fault decides what
goes on the wire instead. Adding a kind means adding one function to ``FAULTS``; the
endpoints never know. The kinds (reference/lemmy-api.md §3.4):

* ``html_502``: nginx's ``502 Bad Gateway`` HTML page;
* ``truncated``: ``200 application/json`` with the real body cut in half;
* ``reset``: the connection is closed without any response (nginx ``return 444``);
* ``html_200``: ``200 text/html``, a Cloudflare-like "Just a moment..." challenge page;
* ``empty_200``: ``200 application/json`` with an empty body;
* ``slow``: the real response, after sleeping ``slow_seconds`` (past a client's timeout).

``FaultPicker`` draws faults from a seeded ``random.Random`` under a lock, so the same
sequence of requests meets the same faults on every run.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from fedithreads.replay_http import HTML, JSON, Response

Produce = Callable[[], Response]


@dataclass(frozen=True, slots=True)
class FaultEnv:
    """What a fault may use besides the real response: the server's sleep function."""

    sleep: Callable[[float], object]
    slow_seconds: float


Fault = Callable[[Produce, FaultEnv], Response]

_NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
_CHALLENGE = (
    b'<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
    b'<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'
    b'<meta name="robots" content="noindex,nofollow"></head><body>'
    b'<div class="main-wrapper" role="main"><div class="main-content">'
    b"<h1>Checking if the site connection is secure</h1>"
    b"<p>Enable JavaScript and cookies to continue</p></div></div></body></html>"
)


def html_502(produce: Produce, env: FaultEnv) -> Response:
    """nginx's gateway error page: the upstream Lemmy did not answer."""
    return Response(502, _NGINX_502, content_type=HTML, outcome="fault:html_502")


def truncated(produce: Produce, env: FaultEnv) -> Response:
    """The real response's first half, labelled 200 JSON (a cut-off upstream stream)."""
    body = produce().body
    return Response(200, body[: len(body) // 2], content_type=JSON, outcome="fault:truncated")


def reset(produce: Produce, env: FaultEnv) -> Response:
    """No response at all: the connection is closed (nginx ``444``)."""
    return Response(0, b"", drop=True, outcome="fault:reset")


def html_200(produce: Produce, env: FaultEnv) -> Response:
    """A CDN challenge page served with status 200."""
    return Response(200, _CHALLENGE, content_type=HTML, outcome="fault:html_200")


def empty_200(produce: Produce, env: FaultEnv) -> Response:
    """Status 200, ``application/json``, and no body at all."""
    return Response(200, b"", content_type=JSON, outcome="fault:empty_200")


def slow(produce: Produce, env: FaultEnv) -> Response:
    """The real response, sent only after ``slow_seconds``."""
    env.sleep(env.slow_seconds)
    real = produce()
    return Response(real.status, real.body, real.content_type, real.headers, outcome="fault:slow")


FAULTS: Mapping[str, Fault] = {
    "html_502": html_502,
    "truncated": truncated,
    "reset": reset,
    "html_200": html_200,
    "empty_200": empty_200,
    "slow": slow,
}
"""Every fault kind by name; ``Quirks.fault_kinds`` picks from these."""


class FaultPicker:
    """Decides per request whether it fails and how; reproducible for a given seed."""

    def __init__(self, rate: float, kinds: Sequence[str], seed: int) -> None:
        """``rate`` in [0, 1]: the chance a request faults; ``kinds``: names in ``FAULTS``."""
        self.rate = rate
        self.kinds = tuple(kinds)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def draw(self) -> Fault | None:
        """The fault this request meets, or ``None`` (no draw at all when the rate is 0)."""
        if self.rate <= 0 or not self.kinds:
            return None
        with self._lock:
            if self._rng.random() >= self.rate:
                return None
            return FAULTS[self._rng.choice(self.kinds)]


__all__ = ["FAULTS", "Fault", "FaultEnv", "FaultPicker", "Produce"]
