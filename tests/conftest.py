"""What every test package shares: async tests run on asyncio (anyio's pytest plugin),
one TLS context for the httpx clients tests open on loopback servers, and a config.toml
for commands that collect from them."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

TLS = ssl.create_default_context()  # built once: httpx would load certificates per client


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def loopback_config(directory: Path) -> Path:
    """``directory/config.toml`` for commands collecting from loopback servers: the data
    dir ``data`` beside it, a contact, and a default rate no test waits for."""
    config = directory / "config.toml"
    config.write_text(
        'data_dir = "data"\ncontact = "tests@example.org"\n'
        "[limits]\ndefault_requests_per_second = 2000\n"
    )
    return config
