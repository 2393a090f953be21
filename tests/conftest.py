"""What every test package shares: async tests run on asyncio (anyio's pytest plugin),
and one TLS context for the httpx clients tests open on loopback servers."""

from __future__ import annotations

import ssl

import pytest

TLS = ssl.create_default_context()  # built once: httpx would load certificates per client


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
