"""The TLS context every request verifies certificates with, built once per process.

The same checks as httpx's own default (``httpx.create_ssl_context()``): the CA bundle
named by ``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` if set, else certifi's. Loading a bundle
costs 30–70 ms, in OpenSSL without the GIL, so the CLI has it built in a thread while
the collector's modules import (``cli.run``), and this module imports no httpx: the
thread starts at once. A caller that comes while it is being built waits for it.
"""

from __future__ import annotations

import os
import ssl
import threading
from collections.abc import Mapping

_BUILT: list[ssl.SSLContext] = []
_LOCK = threading.Lock()


def tls_context() -> ssl.SSLContext:
    """The process's certificate-verifying client context (see the module)."""
    with _LOCK:
        if not _BUILT:
            _BUILT.append(_build(os.environ))
        return _BUILT[0]


def _build(environ: Mapping[str, str]) -> ssl.SSLContext:
    if environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=environ["SSL_CERT_FILE"])
    if environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=environ["SSL_CERT_DIR"])
    import certifi

    return ssl.create_default_context(cafile=certifi.where())
