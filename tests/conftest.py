"""What every test package shares: async tests run on asyncio (anyio's pytest plugin),
one TLS context for the httpx clients tests open on loopback servers, a config.toml
for commands that collect from them, and an S3 API on loopback (``s3``)."""

from __future__ import annotations

import itertools
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parent.parent

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


@dataclass(frozen=True)
class S3:
    """The loopback S3 server of the session, and a bucket of this test's own."""

    endpoint: str
    bucket: str

    def url(self, prefix: str = "data") -> str:
        """``s3://<this test's bucket>/<prefix>``."""
        return f"s3://{self.bucket}/{prefix}"

    def new_bucket(self) -> str:
        """Another empty bucket on the server."""
        name = f"bucket-{next(_BUCKET_NUMBERS)}"
        httpx.put(f"{self.endpoint}/{name}").raise_for_status()
        return name


S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing-key-id",
    "AWS_SECRET_ACCESS_KEY": "testing-secret-key",
    "AWS_REGION": "us-east-1",
    "AWS_ALLOW_HTTP": "true",
}
"""What a user of a plain-http S3 endpoint sets (besides AWS_ENDPOINT_URL)."""
_BUCKET_NUMBERS = itertools.count(1)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server, started on a free loopback port in its own process (stopped
    when the session ends)."""
    with s3_server() as endpoint:
        yield endpoint


@contextmanager
def s3_server(*flags: str) -> Iterator[str]:
    """An S3 server process of ``tests.s3server`` (with ``flags``): its endpoint."""
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.s3server", *flags],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdout is not None
    assert server.stdin is not None
    port = server.stdout.readline().strip()
    try:
        assert port.isdigit(), f"the S3 server did not start: {port!r}"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stdin.close()
        server.stdout.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> S3:
    """A new bucket on the loopback S3 server, and the AWS environment variables that
    reach it (also for the commands a test starts)."""
    for name, value in {**S3_ENV, "AWS_ENDPOINT_URL": s3_endpoint}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    server = S3(s3_endpoint, "")
    return S3(s3_endpoint, server.new_bucket())
