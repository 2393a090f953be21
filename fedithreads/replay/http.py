"""The replay server's plain values: a parsed request, a response, API errors, query params.

Endpoint code works only with these (no sockets): a handler reads ``Params`` and returns a
JSON document or raises ``ApiError``; each dialect turns the error into its own body.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace

JSON = "application/json"
HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request as the endpoints see it: ``params`` keeps the last value per name;
    ``headers`` (lower-case names) are there for tests that check what a client sent."""

    method: str
    path: str
    params: Mapping[str, str]
    client: str
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Response:
    """What to send. ``drop`` closes the connection without sending anything; ``outcome``
    is what the request log records (``ok``, ``error``, ``rate_limited``, ``fault:<kind>``).

    Two ways to misbehave on the wire after the headers: ``cut_after`` sends only that
    many bytes of the body (the headers promise all of it) and then resets the
    connection; ``trickle_seconds`` sends the body in ``trickle_chunks`` pieces with that
    pause between them.
    """

    status: int
    body: bytes
    content_type: str = JSON
    headers: Headers = ()
    outcome: str = "ok"
    drop: bool = False
    cut_after: int | None = None
    trickle_seconds: float = 0.0
    trickle_chunks: int = 1

    def with_headers(self, extra: Headers) -> Response:
        """The same response with ``extra`` headers appended."""
        return replace(self, headers=self.headers + extra)


@dataclass(frozen=True)
class ApiError(Exception):
    """An API error: ``error`` is Lemmy's snake_case type (``couldnt_find_post``), or a
    PieFed message; ``plain`` marks a framework error (bad query string) that Lemmy 0.19
    sends as ``text/plain``."""

    status: int
    error: str
    message: str | None = None
    plain: bool = field(default=False, kw_only=True)

    def __str__(self) -> str:
        return f"{self.status} {self.error}" + (f": {self.message}" if self.message else "")


def query_error(detail: str) -> ApiError:
    """A malformed query string, as actix reports it."""
    return ApiError(400, "unknown", f"Query deserialize error: {detail}", plain=True)


class Params:
    """Typed access to query parameters; a malformed value raises ``query_error``."""

    def __init__(self, raw: Mapping[str, str]) -> None:
        self.raw = raw

    def text(self, name: str) -> str | None:
        """The raw value, or ``None`` when absent."""
        return self.raw.get(name)

    def integer(self, name: str) -> int | None:
        """An integer parameter (``None`` when absent)."""
        value = self.raw.get(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise query_error(f"invalid digit found in string ({name}={value!r})") from None

    def boolean(self, name: str) -> bool | None:
        """A boolean parameter: ``true``/``false`` (``None`` when absent)."""
        value = self.raw.get(name)
        if value is None:
            return None
        if value.lower() in ("true", "1"):
            return True
        if value.lower() in ("false", "0"):
            return False
        raise query_error(f"provided string was not `true` or `false` ({name}={value!r})")

    def required_integer(self, name: str) -> int:
        """An integer parameter that must be present."""
        value = self.integer(name)
        if value is None:
            raise query_error(f"missing field `{name}`")
        return value

    def choice(self, name: str, allowed: Collection[str], default: str) -> str:
        """An enum parameter: one of ``allowed`` (the wire spelling), else ``default``."""
        value = self.raw.get(name)
        if value is None:
            return default
        if value not in allowed:
            raise query_error(f"unknown variant `{value}` for `{name}`")
        return value


__all__ = [
    "HTML",
    "JSON",
    "TEXT",
    "ApiError",
    "Headers",
    "Params",
    "Request",
    "Response",
    "query_error",
]
