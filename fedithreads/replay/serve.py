"""Serving fixture directories: ``serve_fixtures`` behind ``fedithreads serve`` and ``demo``.

The captures under the given paths become one ReplayDataset, served in the dialect most
of them speak and the server version most of those report (see ``fixtures_dialect`` and
``fixtures_version``). The parts of the server are listed in ``fedithreads.replay``.

Typical use of the server itself::

    with ReplayServer(ReplayDataset.from_threads([thread]), dialect="lemmy-v4") as server:
        httpx.get(f"{server.base_url}/api/v4/comment/list", params={"post_id": 1})
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import APIS, ReplayServer
from fedithreads.storage.sources import Capture, load_captures


def serve_fixtures(
    paths: Sequence[Path],
    *,
    port: int = 0,
    dialect: str | None = None,
    quirks: Quirks | None = None,
    server_version: str | None = None,
) -> ReplayServer:
    """Load every capture under ``paths`` and serve it on 127.0.0.1:``port`` (started).

    ``dialect`` defaults to the fixtures' own (the most common one when they mix, ties
    in the order lemmy-v3, lemmy-v4, piefed); ``server_version`` to the most common
    version among the captures of that dialect, else the dialect's default. Raises
    ``SourceError`` for unreadable fixtures and ``ValueError`` for a bad dialect or port.
    """
    captures = load_captures(paths)
    chosen = dialect or fixtures_dialect(captures)
    version = server_version or fixtures_version(captures, chosen)
    dataset = ReplayDataset.from_captures(captures)
    server = ReplayServer(dataset, dialect=chosen, server_version=version, quirks=quirks, port=port)
    return server.start()


def fixtures_dialect(captures: Sequence[Capture]) -> str:
    """The dialect most captures speak (ties: the order of ``APIS``, the dialects served)."""
    counts = Counter(c.prov.dialect for c in captures)
    served = list(APIS)
    return max(served, key=lambda d: (counts[d], -served.index(d)))


def fixtures_version(captures: Sequence[Capture], dialect: str) -> str | None:
    """The most common server version among the captures of ``dialect``, if any."""
    versions = Counter(
        c.prov.server_version
        for c in captures
        if c.prov.dialect == dialect and c.prov.server_version
    )
    return versions.most_common(1)[0][0] if versions else None


__all__ = ["fixtures_dialect", "fixtures_version", "serve_fixtures"]
