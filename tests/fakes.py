"""Test doubles: a clock whose sleep only moves time forward, and canned HTTP answers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

import httpx


class FakeClock:
    """Monotonic seconds and wall time that advance only when someone sleeps."""

    def __init__(self, start: datetime = datetime(2026, 11, 1, tzinfo=UTC)) -> None:
        self.t = 0.0
        self.start = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(0.0, seconds)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.t)


def json_response(doc: object, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(doc).encode(),
        headers={"content-type": "application/json", **headers},
    )


def html_response(status: int = 502) -> httpx.Response:
    return httpx.Response(
        status,
        content=b"<html><body>502 Bad Gateway</body></html>",
        headers={"content-type": "text/html"},
    )


class Script:
    """A MockTransport handler that answers from a list, one answer per request."""

    def __init__(
        self,
        answers: Iterable[httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]],
    ) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)
