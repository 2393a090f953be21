"""The HTTP client's own logic, against httpx.MockTransport: retries, limits, secrets."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fedithreads.collect.client import Client, Fetched
from fedithreads.collect.ratelimit import Rate
from fedithreads.config import parse_settings
from fedithreads.errors import FetchError
from tests.fakes import FakeClock, Script, html_response, json_response

pytestmark = pytest.mark.anyio

OK = {"ok": True}


def settings(**overrides: Any) -> Any:
    raw: dict[str, Any] = {
        "data_dir": "/tmp/unused",
        "contact": "research@example.org",
        "retry": {"max_attempts": 4, "max_total_seconds": 100, "backoff_initial_seconds": 1},
        "limits": {"default_requests_per_second": 1000},
    }
    raw.update(overrides)
    return parse_settings(raw, "test")


def as_json(f: Fetched) -> Any:
    from fedithreads.dialects.common import Model, validate

    class Doc(Model):
        ok: bool

    return validate(Doc, f.body, dialect="t", endpoint="t", source=f.url)


async def fetch(script: Script, clock: FakeClock, conf: Any = None, **kw: Any) -> Any:
    async with Client(
        conf or settings(),
        transport=script.transport(),
        clock=clock,
        sleep=clock.sleep,
        now=clock.now,
        **kw,
    ) as client:
        result = await client.get("https://lemmy.example", "/api/v3/site", {"a": 1}, as_json)
        return result, client


async def test_transient_failures_are_retried_with_backoff() -> None:
    """An HTML 502, a reset and a cut-off body are retried; the fourth answer is used."""
    clock = FakeClock()
    script = Script(
        [
            html_response(502),
            httpx.ReadError("connection reset"),
            httpx.Response(200, content=b'{"ok": tr', headers={"content-type": "application/json"}),
            json_response(OK),
        ]
    )

    result, client = await fetch(script, clock)

    assert result.ok is True
    assert len(script.requests) == 4
    stats = client.stats["lemmy.example"]
    assert (stats.requests, stats.retries) == (4, 3)
    assert len(clock.sleeps) == 3
    assert 0.5 <= clock.sleeps[0] <= 1
    assert 1 <= clock.sleeps[1] <= 2
    assert 2 <= clock.sleeps[2] <= 4


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (json_response({"error": "couldnt_find_post"}, 400), "not_found"),
        (json_response({"error": "not_found"}, 404), "not_found"),
        (json_response({"error": "couldnt_get_comments"}, 400), "page_ceiling"),
        (json_response({"error": "instance_is_private"}, 400), "refused"),
        (httpx.Response(302, headers={"location": "https://elsewhere.example/"}), "redirect"),
        (
            httpx.Response(
                400, content=b"couldnt_find_post", headers={"content-type": "text/plain"}
            ),
            "not_found",
        ),
    ],
)
async def test_permanent_errors_are_not_retried(answer: httpx.Response, kind: str) -> None:
    """Lemmy's permanent errors, 0.18 plain-text ones and redirects end after one attempt."""
    clock = FakeClock()
    script = Script([answer])

    with pytest.raises(FetchError) as caught:
        await fetch(script, clock)

    assert caught.value.kind == kind
    assert len(script.requests) == 1
    assert clock.sleeps == []


async def test_lemmy_019_rate_limit_400_is_retried_and_pauses_the_host() -> None:
    """400 rate_limit_error is a rate limit, not a bad request: back off, then succeed."""
    clock = FakeClock()
    script = Script([json_response({"error": "rate_limit_error"}, 400), json_response(OK)])

    result, client = await fetch(script, clock)

    assert result.ok
    assert client.stats["lemmy.example"].rate_limited == 1
    assert client.limiter("lemmy.example").bucket.waited > 0 or clock.sleeps


async def test_retry_after_is_honoured() -> None:
    """A 429 with Retry-After: 7 waits exactly 7 seconds."""
    clock = FakeClock()
    script = Script(
        [
            json_response({"error": "too_many_requests"}, 429, **{"retry-after": "7"}),
            json_response(OK),
        ]
    )

    await fetch(script, clock)

    assert clock.sleeps[0] == 7


async def test_attempts_are_bounded() -> None:
    """A host that always answers 503 costs max_attempts requests, then one clear error."""
    clock = FakeClock()
    script = Script([html_response(503)])

    with pytest.raises(FetchError) as caught:
        await fetch(script, clock)

    assert len(script.requests) == 4
    assert caught.value.attempts == 4
    assert str(caught.value).startswith(
        "https://lemmy.example/api/v3/site?a=1: HTTP 503 (server) after 4 attempts"
    )


async def test_total_retry_time_is_bounded() -> None:
    """A Retry-After beyond the total budget gives up instead of sleeping for it."""
    clock = FakeClock()
    script = Script([json_response({"error": "too_many_requests"}, 429, **{"retry-after": "500"})])

    with pytest.raises(FetchError, match="rate_limited"):
        await fetch(script, clock)

    assert len(script.requests) == 1
    assert sum(clock.sleeps) < 100


async def test_a_body_over_the_cap_is_refused() -> None:
    """Responses larger than max_response_bytes are cut off and not retried."""
    clock = FakeClock()
    script = Script([json_response({"ok": True, "pad": "x" * 5000})])

    with pytest.raises(FetchError) as caught:
        await fetch(script, clock, settings(http={"max_response_bytes": 1000}))

    assert caught.value.kind == "too_large"
    assert len(script.requests) == 1


async def test_the_user_agent_names_the_contact() -> None:
    """Admins can reach the person running the collector."""
    clock = FakeClock()
    script = Script([json_response(OK)])

    await fetch(script, clock)

    assert "research@example.org" in script.requests[0].headers["user-agent"]


async def test_a_token_goes_only_to_its_own_host_over_https(tmp_path: Path) -> None:
    """The bearer token is sent to its host on https, never on http, never archived."""
    conf = settings(hosts={"lemmy.example": {"token_env": "LEMMY_TOKEN"}})
    script = Script([json_response(OK)])
    kept: list[Fetched] = []
    env = {"LEMMY_TOKEN": "sekrit-token-123"}

    async with Client(
        conf, transport=script.transport(), environ=env, archive=lambda h, f: kept.append(f)
    ) as client:
        await client.get("https://lemmy.example", "/api/v3/site", {}, as_json)
        await client.get("http://lemmy.example", "/api/v3/site", {}, as_json)
        await client.get("https://other.example", "/api/v3/site", {}, as_json)

    sent = [r.headers.get("authorization") for r in script.requests]
    assert sent == ["Bearer sekrit-token-123", None, None]
    assert all("sekrit" not in json.dumps([f.url, f.body.decode()]) for f in kept)


async def test_the_published_rate_is_adopted_at_the_configured_fraction() -> None:
    """A host publishing 180 per 60 s is paced at 90 % of it: 2.7 a second, bursts of 18."""
    async with Client(settings(), transport=Script([json_response(OK)]).transport()) as client:
        client.adopt_published_rate("lemmy.example", Rate(180, 60))
        bucket = client.limiter("lemmy.example").bucket

    assert bucket.refill == pytest.approx(2.7)
    assert bucket.capacity == pytest.approx(18)


async def test_a_stalled_body_ends_within_the_retry_budget() -> None:
    """Bodies that stall after one byte on the default config (timeout 30 s, budget
    300 s): two attempts get their 4 × 30 s, the third only what is left of the 300 s,
    and the request fails at 300 s (it took 363 s: three full attempts)."""
    clock = FakeClock()
    waits: list[float] = []

    @contextlib.asynccontextmanager
    async def deadline(seconds: float) -> AsyncIterator[None]:
        """Time out at once, as if ``seconds`` had passed (no real wait)."""
        waits.append(seconds)
        clock.t += seconds
        async with asyncio.timeout(0):
            yield

    class Stall(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b"{"
            await asyncio.Event().wait()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "application/json"}, stream=Stall())

    conf = parse_settings({"contact": "research@example.org"}, "test")
    async with Client(
        conf,
        transport=httpx.MockTransport(handler),
        clock=clock,
        sleep=clock.sleep,
        now=clock.now,
        deadline=deadline,
    ) as client:
        with pytest.raises(FetchError) as caught:
            await client.get("https://lemmy.example", "/api/v3/site", {}, as_json)

    assert waits[:2] == [120, 120]
    assert len(waits) == 3
    assert waits[2] == pytest.approx(300 - 240 - sum(clock.sleeps))
    assert caught.value.elapsed == pytest.approx(300)
