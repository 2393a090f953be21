"""What every test package shares: async tests run on asyncio (anyio's pytest plugin),
one TLS context for the httpx clients tests open on loopback servers, and a config.toml
for commands that collect from them."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from fedithreads.cli.main import main
from fedithreads.replay.federation import ReplayFederation

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


@contextmanager
def collected_across(
    directory: Path, loss: float, *, seed: int, comments: int
) -> Iterator[ReplayFederation]:
    """A 3-instance replay federation whose thread ``fedithreads collect --across`` the
    two mirrors has put into ``directory/data`` (config ``directory/config.toml``); the
    servers run until the block ends."""
    config = loopback_config(directory)
    with ReplayFederation(3, loss, seed=seed, comments=comments) as fed:
        home, *mirrors = fed.members
        hosts = ",".join(m.key for m in mirrors)
        args = ["collect", home.post_url(), "--across", hosts, "--config", str(config)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        yield fed
