"""The replay server's rate limits, latency and injected faults, with a fake clock and sleep."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from fedithreads.replay.faults import FAULTS
from fedithreads.replay.limits import TokenBucket
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from tests.conftest import TLS
from tests.replay.conftest import PREFIX, FakeClock, FakeSleep, dataset_of, make_thread, serving

LIMITED = Quirks(rate_limit=(3, 60))


def hit(client: httpx.Client, dialect: str, n: int) -> list[httpx.Response]:
    """``n`` requests spread over two endpoints (they share one bucket)."""
    paths = [f"{PREFIX[dialect]}/site", f"{PREFIX[dialect]}/post/list"]
    return [client.get(paths[i % 2]) for i in range(n)]


def test_v3_refusal_is_400_rate_limit_error_without_headers() -> None:
    """Lemmy 0.19 refuses the 4th of 3-per-minute with 400 ``rate_limit_error``, no
    Retry-After, and lets a request through once a token has refilled."""
    clock = FakeClock()
    with serving(dataset_of(make_thread(n_comments=2)), quirks=LIMITED, clock=clock) as (
        server,
        client,
    ):
        answers = hit(client, "lemmy-v3", 4)
        clock.now += 20.0
        later = client.get("/api/v3/site")
        nodeinfo = client.get("/nodeinfo/2.1")

    refused = answers[-1]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    assert (refused.status_code, refused.json()) == (400, {"error": "rate_limit_error"})
    assert "retry-after" not in refused.headers
    assert not any(h.startswith("x-ratelimit") for h in answers[0].headers)
    assert later.status_code == nodeinfo.status_code == 200
    assert server.count("/api/", outcome="rate_limited") == 1


def test_v4_refusal_is_429_with_retry_after_and_ratelimit_headers() -> None:
    """Lemmy 1.0 sends ``x-ratelimit-*`` on allowed responses and 429
    ``too_many_requests`` with ``retry-after`` when refusing."""
    clock = FakeClock()
    with serving(
        dataset_of(make_thread(n_comments=2)), "lemmy-v4", quirks=LIMITED, clock=clock
    ) as (_, client):
        answers = hit(client, "lemmy-v4", 4)

    assert [a.headers["x-ratelimit-remaining"] for a in answers[:3]] == ["2", "1", "0"]
    assert answers[0].headers["x-ratelimit-limit"] == "3"
    assert answers[2].headers["x-ratelimit-reset"] == "60"
    refused = answers[3]
    assert (refused.status_code, refused.json()) == (429, {"error": "too_many_requests"})
    assert refused.headers["retry-after"] == "20"


def test_piefed_refusal_is_429_code_document() -> None:
    """PieFed refuses with 429 and ``{"code": 429, "message", "status"}``."""
    clock = FakeClock()
    with serving(dataset_of(make_thread(n_comments=2)), "piefed", quirks=LIMITED, clock=clock) as (
        _,
        client,
    ):
        refused = hit(client, "piefed", 4)[-1]

    assert refused.status_code == 429
    assert refused.json()["code"] == 429
    assert set(refused.json()) == {"code", "message", "status"}


@pytest.mark.parametrize(
    ("dialect", "keys", "quirks", "expected"),
    [
        ("lemmy-v3", ("message", "message_per_second"), Quirks(), (180, 60)),
        ("lemmy-v3", ("message", "message_per_second"), LIMITED, (3, 60)),
        (
            "lemmy-v4",
            ("message_max_requests", "message_interval_seconds"),
            Quirks(rate_limit=(3, 60), published_rate_limit=(50, 30)),
            (50, 30),
        ),
    ],
)
def test_site_publishes_the_message_rate_limit(
    dialect: str, keys: tuple[str, str], quirks: Quirks, expected: tuple[int, int]
) -> None:
    """``/site`` reports the published limit: the quirk, else the real one, else 180/60."""
    with serving(dataset_of(make_thread(n_comments=1)), dialect, quirks=quirks) as (_, client):
        site = client.get(f"{PREFIX[dialect]}/site").json()

    limits = site["site_view"]["local_site_rate_limit"]
    assert (limits[keys[0]], limits[keys[1]]) == expected


def test_token_bucket_refills_linearly() -> None:
    """A bucket of 180 per 60 s gains three tokens a second, never above its capacity."""
    bucket = TokenBucket(180, 60, now=0.0)
    for _ in range(180):
        assert bucket.take(0.0).allowed
    assert not bucket.take(0.0).allowed

    assert bucket.take(1.0).remaining == 2
    assert bucket.take(1000.0).remaining == 179


def test_latency_sleeps_before_each_request() -> None:
    """``latency_seconds`` calls the injected sleep once per request."""
    sleep = FakeSleep()
    quirks = Quirks(latency_seconds=0.25)
    with serving(dataset_of(make_thread(n_comments=1)), quirks=quirks, sleep=sleep) as (_, c):
        c.get("/api/v3/site")
        c.get("/nodeinfo/2.1")

    assert sleep.calls == [0.25, 0.25]


def faulty(kind: str) -> Quirks:
    return Quirks(fault_rate=1.0, fault_kinds=(kind,))


@pytest.mark.parametrize(
    ("kind", "status", "content_type", "marker"),
    [
        ("html_502", 502, "text/html", b"502 Bad Gateway"),
        ("html_200", 200, "text/html", b"Just a moment..."),
        ("empty_200", 200, "application/json", b""),
        ("truncated", 200, "application/json", b'{"comments":[{"comment":'),
    ],
)
def test_faults_replace_the_response(
    kind: str, status: int, content_type: str, marker: bytes
) -> None:
    """Each body-level fault sends its status, content type and broken body, and is
    logged as ``fault:<kind>``."""
    thread = make_thread(n_comments=30)
    with serving(dataset_of(thread), quirks=faulty(kind)) as (server, client):
        response = client.get("/api/v3/comment/list", params={"post_id": thread.post.post_id})

    assert response.status_code == status
    assert response.headers["content-type"].startswith(content_type)
    assert marker in response.content[:200]
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert server.log.outcomes() == [f"fault:{kind}"]


def test_reset_fault_closes_without_a_response() -> None:
    """``reset`` drops the connection: the client gets no HTTP response at all."""
    with serving(dataset_of(make_thread(n_comments=2)), quirks=faulty("reset")) as (server, c):
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            c.get("/api/v3/site")
        entry = server.log.entries()[0]

    assert (entry.status, entry.outcome) == (None, "fault:reset")


def test_slow_fault_sleeps_then_answers() -> None:
    """``slow`` sleeps ``slow_seconds`` through the injected sleep, then answers."""
    sleep = FakeSleep()
    quirks = Quirks(fault_rate=1.0, fault_kinds=("slow",), slow_seconds=45.0)
    with serving(dataset_of(make_thread(n_comments=2)), quirks=quirks, sleep=sleep) as (_, c):
        response = c.get("/api/v3/site")

    assert sleep.calls == [45.0]
    assert response.status_code == 200


def test_slow_fault_times_a_client_out_and_stop_does_not_wait() -> None:
    """A real ``slow`` fault outlasts a short client timeout; ``stop`` wakes the sleeper."""
    quirks = Quirks(fault_rate=1.0, fault_kinds=("slow",), slow_seconds=30.0)
    server = ReplayServer(dataset_of(make_thread(n_comments=1)), quirks=quirks).start()
    with httpx.Client(base_url=server.base_url, timeout=0.05, verify=TLS) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get("/api/v3/site")
        started = time.monotonic()
        server.stop()

    assert time.monotonic() - started < 2.0


def test_faults_are_reproducible_and_take_no_tokens() -> None:
    """The same seed gives the same faults; faulted requests leave the bucket alone."""
    quirks = Quirks(rate_limit=(4, 60), fault_rate=0.5, fault_kinds=tuple(FAULTS)[:2], fault_seed=7)
    runs = []
    for _ in range(2):
        with serving(dataset_of(make_thread(n_comments=2)), quirks=quirks, clock=FakeClock()) as (
            server,
            client,
        ):
            hit(client, "lemmy-v3", 12)
            runs.append(server.log.outcomes())

    assert runs[0] == runs[1]
    assert runs[0].count("ok") == 4
    assert sum(o.startswith("fault:") for o in runs[0]) >= 3
    assert runs[0].count("rate_limited") == 12 - 4 - sum(o.startswith("fault:") for o in runs[0])


def test_quirks_reject_impossible_settings() -> None:
    """Unknown fault kinds and out-of-range numbers are refused when building Quirks."""
    with pytest.raises(ValueError, match="fault_kinds"):
        Quirks(fault_kinds=("gremlins",))
    with pytest.raises(ValueError, match="fault_rate"):
        Quirks(fault_rate=1.5)
    with pytest.raises(ValueError, match="rate_limit"):
        Quirks(rate_limit=(0, 60))
