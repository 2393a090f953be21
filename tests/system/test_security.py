"""Secrets and trust: tokens go to their own host over https only and are never written
anywhere; TLS is verified; the replay server binds loopback only; bodies are capped;
no remote data is ever evaluated or unpickled."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest

from fedithreads.collect.client import Client
from fedithreads.collect.run import Collector
from fedithreads.collect.targets import parse_target
from fedithreads.config import parse_settings
from fedithreads.errors import FetchError
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.raw import read_raw
from fedithreads.synth.generate import generate_thread
from tests.collect.conftest import settings_for
from tests.fakes import FakeClock, Script, json_response

TOKEN = "ft-tok-9f3a1c77e2b84d05b6c1ffee"
HOST = "lemmy.example"
QUICK = (60_000, 60)
PACKAGE = Path(__file__).parents[2] / "fedithreads"


class Bridge(httpx.AsyncBaseTransport):
    """``https://lemmy.example`` served by a replay server on 127.0.0.1, as if it were a
    real TLS host; it records the Authorization header of every request and, like a
    careless debug page, echoes it back inside /site and inside error bodies."""

    def __init__(self, server: ReplayServer) -> None:
        self.local = server.base_url
        self.inner = httpx.AsyncHTTPTransport()
        self.seen: list[tuple[str, str | None]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("authorization")
        self.seen.append((str(request.url), auth))
        url = str(request.url).replace(f"https://{HOST}", self.local)
        inner = httpx.Request("GET", url, headers={"accept": "application/json"})
        answer = await self.inner.handle_async_request(inner)
        body = (await answer.aread()).replace(self.local.encode(), f"https://{HOST}".encode())
        if auth and (request.url.path.endswith("/site") or answer.status_code >= 400):
            doc = json.loads(body)
            doc["debug"] = f"request headers: authorization={auth}"
            if "error" in doc:
                doc["error"] = f"bad_request_for_{auth}"
            body = json.dumps(doc).encode()
        await answer.aclose()
        return httpx.Response(
            answer.status_code,
            content=body,
            headers={"content-type": answer.headers.get("content-type", "application/json")},
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


def every_output(data_dir: Path) -> Iterator[tuple[str, bytes]]:
    """Every file under the data dir as bytes, gzip members decompressed, Parquet tables
    decoded to their text."""
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        yield str(path), raw
        if path.name.endswith(".gz"):
            yield f"{path} (gunzipped)", gzip.decompress(raw)
        if path.suffix == ".parquet":
            frame = pl.read_parquet(path)
            yield f"{path} (rows)", frame.write_csv().encode()


def assert_nowhere(secret: str, data_dir: Path, *texts: str) -> int:
    """The secret appears in no file under ``data_dir`` and in none of ``texts``; how
    many files were searched."""
    forms = {secret.encode(), json.dumps(secret)[1:-1].encode()}
    searched = 0
    for name, content in every_output(data_dir):
        searched += 1
        assert not any(form in content for form in forms), f"token leaked into {name}"
    for text in texts:
        assert secret not in text
    return searched


def small_dataset() -> ReplayDataset:
    return ReplayDataset.from_threads(
        [generate_thread(21, instance="lemmy.ca", n_comments=60, post_id=31)]
    )


def test_a_planted_token_is_sent_to_its_host_and_written_nowhere(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """With a token configured for lemmy.example (https), every request there carries it;
    the server even echoes it back in /site and in an error body, yet no file under the
    data dir (raw pages gunzipped, tables, manifest, state), nothing printed, no log
    record and no error message holds it."""
    settings = settings_for(tmp_path, hosts={HOST: {"token_env": "FT_TEST_TOKEN"}})
    caplog.set_level(logging.DEBUG)
    with ReplayServer(small_dataset(), quirks=Quirks(published_rate_limit=QUICK)) as server:
        bridge = Bridge(server)
        collector = Collector(settings, transport=bridge)
        targets = [parse_target(f"https://{HOST}/post/31"), parse_target(f"https://{HOST}/post/9")]
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("FT_TEST_TOKEN", TOKEN)
            report = asyncio.run(collector.run(targets))

    assert {auth for _, auth in bridge.seen} == {f"Bearer {TOKEN}"}
    assert report.targets[0].threads[0].complete
    missing = report.targets[1].error or ""
    assert "[redacted]" in missing, "the echoed token in the error body is redacted"
    printed = capfd.readouterr()
    searched = assert_nowhere(
        TOKEN,
        tmp_path,
        printed.out,
        printed.err,
        caplog.text,
        *(t.summary() for t in report.targets),
        json.dumps(report.as_dict()),
    )
    assert searched > 8
    site = [r for r in read_raw(next((tmp_path / "raw").rglob("*.gz"))) if "/site" in str(r)]
    assert "[redacted]" in str(site[0]["body"])


def test_the_cli_never_sends_or_writes_a_token_over_plain_http(tmp_path: Path) -> None:
    """The same token configured for a loopback http host: not one request carries it,
    and neither stdout, stderr nor any file under the data dir holds it."""
    heard: list[str | None] = []
    with ReplayServer(small_dataset(), quirks=Quirks(published_rate_limit=QUICK)) as server:
        original = server.respond

        def respond(req: Any) -> Any:
            heard.append(req.headers.get("authorization"))
            return original(req)

        server._httpd.respond = respond  # type: ignore[union-attr]
        config = tmp_path / "config.toml"
        config.write_text(
            f'contact = "tests@example.org"\n[hosts."{server.instance}"]\n'
            'token_env = "FT_TEST_TOKEN"\n[limits]\ndefault_requests_per_second = 2000\n'
        )
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "fedithreads",
                "collect",
                f"{server.base_url}/post/31",
                "--config",
                str(config),
                "--data-dir",
                str(tmp_path / "data"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env={**_environ(), "FT_TEST_TOKEN": TOKEN},
            check=False,
        )

    assert done.returncode == 0, done.stderr
    assert len(heard) > 3
    assert set(heard) == {None}
    assert_nowhere(TOKEN, tmp_path / "data", done.stdout, done.stderr)


def _environ() -> dict[str, str]:
    return dict(os.environ)


@pytest.mark.anyio
async def test_tokens_never_cross_hosts_schemes_or_redirects() -> None:
    """https to its own host: sent. http, another host, a redirect's target: never (a
    redirect is not even followed)."""
    conf = parse_settings(
        {
            "contact": "t@example.org",
            "hosts": {HOST: {"token_env": "T"}},
            "limits": {"default_requests_per_second": 1000},
        },
        "test",
    )
    evil_hits: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == "evil.example":
            evil_hits.append(request)
        if request.url.path == "/moved":
            return httpx.Response(302, headers={"location": "https://evil.example/steal"})
        return json_response({"ok": True})

    script = Script([answer])
    clock = FakeClock()
    async with Client(
        conf, transport=script.transport(), environ={"T": TOKEN}, clock=clock, sleep=clock.sleep
    ) as client:
        await client.get(f"https://{HOST}", "/api/v3/site", {}, _ok)
        await client.get(f"http://{HOST}", "/api/v3/site", {}, _ok)
        await client.get("https://other.example", "/api/v3/site", {}, _ok)
        with pytest.raises(FetchError) as caught:
            await client.get(f"https://{HOST}", "/moved", {}, _ok)

    sent = [(r.url.host, r.url.scheme, r.headers.get("authorization")) for r in script.requests]
    assert sent == [
        (HOST, "https", f"Bearer {TOKEN}"),
        (HOST, "http", None),
        ("other.example", "https", None),
        (HOST, "https", f"Bearer {TOKEN}"),
    ]
    assert caught.value.kind == "redirect"
    assert evil_hits == []
    assert TOKEN not in str(caught.value)


def _ok(fetched: Any) -> Any:
    return json.loads(fetched.body)


@contextmanager
def tls_server(tmp_path: Path) -> Iterator[tuple[int, list[bytes]]]:
    """A TLS server on 127.0.0.1 with a self-signed certificate; yields its port and the
    plaintext each connection sent (empty when the client refused the handshake)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        capture_output=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip("openssl is not available to make a test certificate")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    with context.wrap_socket(conn, server_side=True) as tls:
                        received.append(tls.recv(4096))
                except (ssl.SSLError, OSError):
                    received.append(b"")

    worker = threading.Thread(target=serve, daemon=True)
    worker.start()
    try:
        yield listener.getsockname()[1], received
    finally:
        stop.set()
        worker.join(timeout=5)
        listener.close()


@pytest.mark.anyio
async def test_tls_certificates_are_verified_and_a_bad_one_is_not_retried(
    tmp_path: Path,
) -> None:
    """A self-signed certificate fails verification: one attempt, kind ``tls``, and the
    request (with its token) never travels."""
    with tls_server(tmp_path) as (port, received):
        conf = parse_settings(
            {
                "contact": "t@example.org",
                "hosts": {f"127.0.0.1:{port}": {"token_env": "T"}},
                "limits": {"default_requests_per_second": 1000},
                "http": {"timeout_seconds": 5},
            },
            "test",
        )
        async with Client(conf, environ={"T": TOKEN}) as client:
            with pytest.raises(FetchError) as caught:
                await client.get(f"https://127.0.0.1:{port}", "/api/v3/site", {}, _ok)

    assert caught.value.kind == "tls"
    assert caught.value.attempts == 1
    assert received == [b""], "the handshake failed before any request was sent"
    assert TOKEN not in str(caught.value)


@pytest.mark.anyio
async def test_a_gzip_bomb_is_cut_off_at_the_cap() -> None:
    """A 10 KB gzip body that inflates to 20 MB is refused once 1 MB has been read."""
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    body = bomb.compress(b"{" + b" " * 20_000_000) + bomb.flush()
    conf = parse_settings(
        {"contact": "t@example.org", "http": {"max_response_bytes": 1_000_000}}, "test"
    )
    script = Script(
        [
            httpx.Response(
                200,
                content=body,
                headers={"content-type": "application/json", "content-encoding": "gzip"},
            )
        ]
    )
    clock = FakeClock()

    async with Client(conf, transport=script.transport(), clock=clock, sleep=clock.sleep) as c:
        with pytest.raises(FetchError) as caught:
            await c.get("https://lemmy.example", "/api/v3/site", {}, _ok)

    assert len(body) < 50_000
    assert caught.value.kind == "too_large"
    assert len(script.requests) == 1


def test_the_replay_server_binds_loopback_only() -> None:
    """Any other address is refused; a started server listens on 127.0.0.1; serve has no
    option to bind elsewhere."""
    for host in ("0.0.0.0", "::", "192.168.1.10", "localhost"):
        with pytest.raises(ValueError, match=r"127\.0\.0\.1 only"):
            ReplayServer(small_dataset(), host=host)
    with ReplayServer(small_dataset()) as server:
        bound = server._httpd.server_address[0]  # type: ignore[union-attr]
    helped = subprocess.run(
        [sys.executable, "-m", "fedithreads", "serve", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert bound == "127.0.0.1"
    assert helped.returncode == 0
    assert not re.search(r"--(host|bind|address|listen)\b", helped.stdout)


def test_no_remote_data_is_ever_evaluated_or_unpickled() -> None:
    """The package source has no eval, exec, pickle, marshal, shelve or yaml.load."""
    pattern = re.compile(
        r"(?<![.\w])(eval|exec|__import__)\(|\bpickle\b|\bmarshal\b|\bshelve\b|yaml\.load"
    )
    hits = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]

    assert hits == []
    assert len(list(PACKAGE.rglob("*.py"))) > 30
