"""Connections: one httpx pool per host, and one GET read whole within the size cap.

Each host gets its own pool: httpx scans every connection of a pool for each request, so
one pool for twenty hosts costs more CPU than the requests. A pool keeps as many idle
connections as the host may have requests in flight (our own slots decide how many are
in flight), follows no redirect, sends our User-Agent and verifies TLS certificates with
one context built per process (``collect.tls``). A body over ``http.max_response_bytes``
is refused as soon as its declared length or its bytes so far say so.
"""

from __future__ import annotations

from fedithreads._version import __version__
from fedithreads.collect.lean_httpx import httpx
from fedithreads.collect.tls import tls_context
from fedithreads.config import Settings
from fedithreads.core.hosts import host_of
from fedithreads.errors import FetchError


class Connections:
    """The run's connection pools, one per host; ``aclose`` closes them all."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None) -> None:
        self.settings = settings
        self._transport = transport
        self._pools: dict[str, httpx.AsyncClient] = {}

    def user_agent(self) -> str:
        """The configured User-Agent with the version and contact filled in."""
        contact = self.settings.contact or "no contact configured"
        return self.settings.user_agent.format(version=__version__, contact=contact)

    def pool(self, host: str, keepalive: int) -> httpx.AsyncClient:
        """``host``'s pool, made on first use with room for ``keepalive`` idle connections."""
        found = self._pools.get(host)
        if found is None:
            http = self.settings.http
            found = self._pools[host] = httpx.AsyncClient(
                transport=self._transport,
                timeout=httpx.Timeout(http.timeout_seconds, connect=http.connect_timeout_seconds),
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=keepalive),
                headers={"User-Agent": self.user_agent(), "Accept": "application/json"},
                follow_redirects=False,
                verify=tls_context(),
            )
        return found

    async def receive(
        self, url: str, headers: dict[str, str], keepalive: int
    ) -> tuple[int, httpx.Headers, bytes]:
        """Status, headers and body of a GET, refusing a body over ``max_response_bytes``."""
        cap = self.settings.http.max_response_bytes
        pool = self.pool(host_of(url), keepalive)
        async with pool.stream("GET", url, headers=headers) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                raise_too_large(url, response.status_code, cap)
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > cap:
                    raise_too_large(url, response.status_code, cap)
                chunks.append(chunk)
            return response.status_code, response.headers, b"".join(chunks)

    async def aclose(self) -> None:
        """Close every pool."""
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.aclose()


def raise_too_large(url: str, status: int, cap: int) -> None:
    """A body over the cap is refused (never retried: it would be as large again)."""
    raise FetchError(url, "too_large", status=status, error=f"body over {cap} bytes")
