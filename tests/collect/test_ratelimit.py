"""The per-host limiter: a token bucket at a fraction of the published limit, fake time."""

from __future__ import annotations

import asyncio

import pytest

from fedithreads.collect.ratelimit import HostLimiter, Rate, TokenBucket
from tests.fakes import FakeClock

pytestmark = pytest.mark.anyio


async def times_of(bucket: TokenBucket, clock: FakeClock, n: int) -> list[float]:
    out = []
    for _ in range(n):
        await bucket.acquire()
        out.append(round(clock.t, 6))
    return out


async def test_a_full_bucket_bursts_then_paces_at_the_refill_rate() -> None:
    """A burst of (1 − 0.9)·100 = 10 at once, then one every 1/90 s."""
    clock = FakeClock()
    bucket = TokenBucket(Rate(100, 1), fraction=0.9, clock=clock, sleep=clock.sleep)

    times = await times_of(bucket, clock, 13)

    assert times[:10] == [0.0] * 10
    assert times[10:] == pytest.approx([1 / 90, 2 / 90, 3 / 90], abs=1e-5)


async def test_no_window_of_the_published_interval_exceeds_the_limit() -> None:
    """Over any 60 s window, at most 180 requests go out against a 180/60 s limit."""
    clock = FakeClock()
    bucket = TokenBucket(Rate(180, 60), fraction=0.9, clock=clock, sleep=clock.sleep)

    times = await times_of(bucket, clock, 600)

    for i, start in enumerate(times):
        in_window = sum(1 for t in times[i:] if t < start + 60)
        assert in_window <= 180
    assert times[-1] == pytest.approx((600 - 18) / 2.7, rel=1e-6)


async def test_pause_holds_every_request_and_empties_the_bucket() -> None:
    """After a rate-limit answer nothing is sent before the server's wait is over."""
    clock = FakeClock()
    bucket = TokenBucket(Rate(5, 1), fraction=1.0, clock=clock, sleep=clock.sleep)
    await bucket.acquire()

    bucket.pause(3.0)
    times = await times_of(bucket, clock, 2)

    assert times[0] >= 3.0
    assert times[1] - times[0] == pytest.approx(0.2)


async def test_concurrency_slots_cap_requests_in_flight() -> None:
    """With 2 slots, a third request waits until one finishes."""
    clock = FakeClock()
    limiter = HostLimiter(Rate(100, 1), fraction=1.0, concurrency=2, clock=clock, sleep=clock.sleep)
    in_flight, peak = 0, 0

    async def one() -> None:
        nonlocal in_flight, peak
        async with limiter:
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            in_flight -= 1

    await asyncio.gather(*(one() for _ in range(6)))

    assert peak == 2


async def test_a_new_published_rate_applies_at_once() -> None:
    """Adopting /site's limit changes the refill rate and caps the tokens on hand (at 100 %
    of the limit there is no room for a burst: one token)."""
    clock = FakeClock()
    bucket = TokenBucket(Rate.per_sec(100), fraction=1.0, clock=clock, sleep=clock.sleep)

    bucket.set_rate(Rate(2, 1), fraction=1.0)
    times = await times_of(bucket, clock, 4)

    assert times == pytest.approx([0.0, 0.5, 1.0, 1.5])


async def test_a_limit_published_after_the_first_requests_counts_them_from_the_first() -> None:
    """Requests at 0, 0.1 and 0.1 s under the default limit, then 60 per second (at 90 %:
    bursts of 6, 54 a second) adopted at 0.2 s: a bucket of 6 started at 0 s has paid them
    back by then, so 6 leave at once and the 7th 1/54 s later."""
    clock = FakeClock()
    bucket = TokenBucket(Rate(150, 60), fraction=0.9, clock=clock, sleep=clock.sleep)
    await bucket.acquire()
    clock.t = 0.1
    await bucket.acquire()
    await bucket.acquire()
    clock.t = 0.2

    bucket.set_rate(Rate(60, 1), fraction=0.9, spent=3)
    times = await times_of(bucket, clock, 7)

    assert times == pytest.approx([0.2] * 6 + [0.2 + 1 / 54], abs=1e-5)


async def test_requests_past_a_limit_published_later_are_a_debt_waited_off() -> None:
    """12 requests at once under the default limit, then 10 per second at 90 % (a bucket
    of 1, 9 a second): the new bucket is 11 tokens short, so the next request waits
    12/9 s, not 1/9 s."""
    clock = FakeClock()
    bucket = TokenBucket(Rate(150, 60), fraction=0.9, clock=clock, sleep=clock.sleep)
    await times_of(bucket, clock, 12)

    bucket.set_rate(Rate(10, 1), fraction=0.9, spent=12)
    times = await times_of(bucket, clock, 1)

    assert times == pytest.approx([12 / 9], abs=1e-5)


async def test_hosts_starting_together_all_take_their_first_token_before_any_sends() -> None:
    """Two hosts' requests ready in the same turn of the event loop: both hosts take a
    token before either request goes on (a bucket refills from its first token, so the
    second host's pacing must not wait for the first host's sending)."""
    clock = FakeClock()
    hosts = {
        name: HostLimiter(Rate(10, 1), fraction=0.9, concurrency=2, clock=clock, sleep=clock.sleep)
        for name in ("a", "b")
    }
    seen: list[tuple[str, int]] = []

    async def send(name: str) -> None:
        async with hosts[name]:
            seen.append((name, sum(h.bucket.acquired for h in hosts.values())))

    await asyncio.gather(send("a"), send("b"))

    assert seen == [("a", 2), ("b", 2)]
