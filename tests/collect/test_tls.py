"""The TLS context: httpx's default checks, built once per process, early by the CLI."""

from __future__ import annotations

import ssl
import subprocess
import sys
import threading
from pathlib import Path

import certifi
import pytest

from fedithreads.collect import tls


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test builds its own (the process's is left alone)."""
    monkeypatch.setattr(tls, "_BUILT", [])


def test_callers_at_once_share_one_context_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight threads asking together: one build, one context for all."""
    builds: list[int] = []
    real = tls._build

    def counted(environ: dict[str, str]) -> ssl.SSLContext:
        builds.append(1)
        return real(environ)

    monkeypatch.setattr(tls, "_build", counted)
    got: list[ssl.SSLContext] = []
    threads = [threading.Thread(target=lambda: got.append(tls.tls_context())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(builds) == 1
    assert len({id(c) for c in got}) == 1


def test_it_verifies_as_httpx_would() -> None:
    """Certificates and host names checked, certifi's bundle loaded (SSL_CERT_* unset)."""
    context = tls._build({})

    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0


def test_ssl_cert_file_names_the_bundle_instead(tmp_path: Path) -> None:
    """SSL_CERT_FILE wins over certifi, as in httpx; a file that is not one fails."""
    bundle = tmp_path / "ca.pem"
    bundle.write_text(
        Path(certifi.where()).read_text().split("-----END CERTIFICATE-----")[0]
        + "-----END CERTIFICATE-----\n"
    )

    context = tls._build({"SSL_CERT_FILE": str(bundle)})

    assert context.cert_store_stats()["x509_ca"] == 1
    with pytest.raises(FileNotFoundError):
        tls._build({"SSL_CERT_FILE": str(tmp_path / "missing.pem")})


def test_collect_starts_building_it_before_the_collector_runs() -> None:
    """`fedithreads collect` starts the thread that builds it first, before importing and
    running the collector, and the thread builds the process's one context."""
    code = """
import sys, threading, types
from fedithreads.cli import run
from fedithreads.collect import tls
order = []
real = threading.Thread.start
def start(self):
    order.append(self.name)
    real(self)
threading.Thread.start = start
def run_collect(*args, **kwargs):
    order.append("run_collect")
fake = types.ModuleType("fedithreads.cli.collecting")
fake.run_collect = run_collect
sys.modules["fedithreads.cli.collecting"] = fake
run.collect.main(["x.example"], standalone_mode=False)
for t in threading.enumerate():
    if t.name == "fedithreads-tls":
        t.join()
print(order, len(tls._BUILT))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "['fedithreads-tls', 'run_collect'] 1"


def test_a_collect_that_ends_at_once_exits_cleanly_while_the_context_is_built() -> None:
    """A collect that ends in milliseconds (here: the collector stubbed out) exits 0,
    ten times in ten: the interpreter waits for the thread instead of finalising under
    it (as a daemon thread still inside OpenSSL, it crashed about one exit in three)."""
    code = """
import sys, types
from fedithreads.cli import run
fake = types.ModuleType("fedithreads.cli.collecting")
fake.run_collect = lambda *args, **kwargs: None
sys.modules["fedithreads.cli.collecting"] = fake
run.collect.main(["x.example"], standalone_mode=False)
"""
    codes = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, check=False).returncode
        for _ in range(10)
    ]

    assert codes == [0] * 10
