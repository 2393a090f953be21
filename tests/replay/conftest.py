"""What the replay server's tests share: threads, a served dataset, the dialects' words."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from msgspec.structs import replace

from fedithreads.core.records import CommentRecord, Page, PostRecord, Provenance
from fedithreads.dialects import parse_page
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.synth.generate import SynthThread, generate_thread
from tests.conftest import TLS

PREFIX = {"lemmy-v3": "/api/v3", "lemmy-v4": "/api/v4", "piefed": "/api/alpha"}
DIALECTS = tuple(PREFIX)
# how each dialect spells "all", "old" and "new"
ALL = {"lemmy-v3": "All", "lemmy-v4": "all", "piefed": "All"}
OLD = {"lemmy-v3": "Old", "lemmy-v4": "old", "piefed": "Old"}
NEW = {"lemmy-v3": "New", "lemmy-v4": "new", "piefed": "New"}


def make_thread(seed: int = 11, n_comments: int = 120, **kw: Any) -> SynthThread:
    """A synthetic thread on lemmy.ca in the remote community technology@lemmy.world."""
    return generate_thread(seed, instance="lemmy.ca", n_comments=n_comments, **kw)


def dataset_of(*threads: SynthThread) -> ReplayDataset:
    """A dataset of synthetic threads."""
    return ReplayDataset.from_threads(threads)


class FakeClock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeSleep:
    """Records the sleeps asked for instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@contextmanager
def serving(
    dataset: ReplayDataset,
    dialect: str = "lemmy-v3",
    *,
    quirks: Quirks | None = None,
    **kw: Any,
) -> Iterator[tuple[ReplayServer, httpx.Client]]:
    """A started server and an httpx client bound to it; both closed afterwards."""
    with (
        ReplayServer(dataset, dialect=dialect, quirks=quirks, **kw) as server,
        httpx.Client(base_url=server.base_url, timeout=5.0, verify=TLS) as client,
    ):
        yield server, client


def prov_of(record: PostRecord | CommentRecord, dialect: str | None = None) -> Provenance:
    """The provenance a record carries (synthetic threads share one)."""
    return Provenance(
        record.instance,
        dialect or record.dialect,
        record.server_version,
        record.collected_at,
        record.run_id,
    )


def parse(
    response: httpx.Response, dialect: str, endpoint: str, like: PostRecord | CommentRecord
) -> Page:
    """Parse a served document with the dialect models, with ``like``'s provenance."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return parse_page(
        response.json(), dialect=dialect, endpoint=endpoint, prov=prov_of(like), source="http"
    )


def as_listed(comment: CommentRecord) -> CommentRecord:
    """A comment as lists show it: deleted/removed text blanked."""
    return replace(comment, content=None) if comment.deleted or comment.removed else comment


def get_comments(
    client: httpx.Client, dialect: str, **params: Any
) -> tuple[list[int], str | None, dict[str, Any]]:
    """One ``comment/list`` page: its comment ids, ``next_page`` and the whole JSON."""
    response = client.get(f"{PREFIX[dialect]}/comment/list", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    rows = body.get("comments", body.get("items"))
    ids = [row["comment"]["id"] for row in rows]
    return ids, body.get("next_page"), body


__all__ = [
    "ALL",
    "DIALECTS",
    "NEW",
    "OLD",
    "PREFIX",
    "FakeClock",
    "FakeSleep",
    "as_listed",
    "dataset_of",
    "get_comments",
    "make_thread",
    "parse",
    "prov_of",
    "serving",
]
