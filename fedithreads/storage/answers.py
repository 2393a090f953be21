"""A run's raw answers from one host, as the collector read them: attempts and pages.

``raw/<host>/<date>/<run>.jsonl.gz`` holds every answer in the order it arrived
(fedithreads.storage.raw). A run killed and resumed appends to it: each process that
worked on the run detected the host afresh, so every **attempt** starts with a
``nodeinfo`` answer after other answers. An attempt's provenance is the collector's: the
instance is the host of the URLs, the dialect their API root, the server version the one
nodeinfo gave (else ``/site``'s), ``collected_at`` each answer's ``fetched_at``.

Only 2xx answers count; one whose body does not parse as its endpoint (HTML, cut off,
another shape) was retried or failed the thread, and is passed over, as the collector
passed over it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

from fedithreads.core.hosts import host_of
from fedithreads.core.records import Page, PostRecord, Provenance
from fedithreads.dialects import API_ROOTS, parse_page, resolved_post
from fedithreads.dialects.common import validate
from fedithreads.dialects.meta import NodeInfo
from fedithreads.errors import ParseError
from fedithreads.storage.objects import Location
from fedithreads.storage.quarantine import QUARANTINE_DIR
from fedithreads.storage.raw import raw_names, scan_raw

_DIALECT_AT = {root: dialect for dialect, root in API_ROOTS.items()}
"""The dialect whose API root a raw answer's path starts with."""
_NODEINFO = ("/nodeinfo/2.1", "/nodeinfo/2.0", "/.well-known/nodeinfo")
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class Answer:
    """One archived answer: its endpoint (``post/list``, ``nodeinfo``…), query, body."""

    endpoint: str
    params: dict[str, str]
    url: str
    ok: bool
    body: bytes
    fetched_at: datetime


@dataclass(frozen=True, slots=True)
class Attempt:
    """The answers one process of a run received from one host, in arrival order."""

    prov: Provenance
    answers: tuple[Answer, ...]

    def pages(self, endpoint: str) -> Iterator[tuple[Answer, Page]]:
        """Every 2xx answer of ``endpoint`` that parses, with its page."""
        for answer in self.answers:
            if answer.ok and answer.endpoint == endpoint:
                page = self.parse(answer)
                if page is not None:
                    yield answer, page

    def parse(self, answer: Answer) -> Page | None:
        prov = replace(self.prov, collected_at=answer.fetched_at)
        body, endpoint = answer.body, answer.endpoint
        if endpoint == "resolve_object":
            body, endpoint = _resolved(body), "post"
        try:
            return parse_page(
                body, dialect=prov.dialect, endpoint=endpoint, prov=prov, source=answer.url
            )
        except ParseError:
            return None

    def posts(self) -> dict[int, PostRecord]:
        """The posts of ``/post`` and ``/resolve_object`` answers, the first of each id."""
        found: dict[int, PostRecord] = {}
        for endpoint in ("post", "resolve_object"):
            for _, page in self.pages(endpoint):
                for post in page.posts:
                    found.setdefault(post.post_id, post)
        return found


@dataclass(frozen=True, slots=True)
class RawRun:
    """What the raw archive holds of one run on one host."""

    files: tuple[Location, ...]
    attempts: tuple[Attempt, ...]
    damaged: bool
    """A file has a damaged answer, or repair moved a damaged file to quarantine."""


def raw_files(data_dir: Location, host_dir: str, run_name: str) -> list[Location]:
    """The run's raw files of one host (``host_dir`` as the data dir spells it), by date
    (and a date's chunks in object storage in the order they were written)."""
    root = data_dir / "raw" / host_dir
    return sorted((p for name in raw_names(run_name) for p in root.glob(f"*/{name}")), key=str)


def read_run(data_dir: Location, host_dir: str, run_name: str, run_id: str) -> RawRun:
    """The run's answers from one host, split into attempts."""
    files = raw_files(data_dir, host_dir, run_name)
    answers: list[Answer] = []
    moved = data_dir / QUARANTINE_DIR / "raw" / host_dir
    damaged = any(moved.glob(f"*/{run_name}.jsonl.gz*"))
    for path in files:
        scan = scan_raw(path)
        damaged = damaged or bool(scan.damaged)
        for record in scan.records:
            answer = _answer(record)
            damaged = damaged or answer is None
            if answer is not None:
                answers.append(answer)
    return RawRun(tuple(files), tuple(_attempts(answers, run_id)), damaged)


def _answer(record: dict[str, object]) -> Answer | None:
    url, status, fetched_at = record.get("url"), record.get("status"), record.get("fetched_at")
    if not (isinstance(url, str) and isinstance(status, int) and isinstance(fetched_at, str)):
        return None
    text, packed = record.get("body"), record.get("body_base64")
    try:
        body = text.encode() if isinstance(text, str) else base64.b64decode(str(packed))
        when = datetime.fromisoformat(fetched_at)
    except ValueError:
        return None
    parts = urlsplit(url)
    return Answer(
        _endpoint(parts.path),
        dict(parse_qsl(parts.query, keep_blank_values=True)),
        url,
        200 <= status < 300,
        body.removeprefix(_BOM),
        when,
    )


def _endpoint(path: str) -> str:
    if path.endswith(_NODEINFO):
        return "nodeinfo"
    for root in _DIALECT_AT:
        if path.startswith(root + "/"):
            return path[len(root) + 1 :]
    return ""


def _attempts(answers: Sequence[Answer], run_id: str) -> Iterator[Attempt]:
    """Split at every nodeinfo answer that follows other answers."""
    start = 0
    for i in range(1, len(answers) + 1):
        if i == len(answers) or (
            answers[i].endpoint == "nodeinfo" and answers[i - 1].endpoint != "nodeinfo"
        ):
            attempt = _attempt(answers[start:i], run_id)
            if attempt is not None:
                yield attempt
            start = i


def _attempt(answers: Sequence[Answer], run_id: str) -> Attempt | None:
    api = next((a for a in answers if a.endpoint not in ("", "nodeinfo")), None)
    if api is None:
        return None
    path = urlsplit(api.url).path
    dialect = next(d for root, d in _DIALECT_AT.items() if path.startswith(root + "/"))
    prov = Provenance(host_of(api.url), dialect, None, api.fetched_at, run_id)
    version = _nodeinfo_version(answers) or _site_version(Attempt(prov, tuple(answers)))
    return Attempt(replace(prov, server_version=version or None), tuple(answers))


def _nodeinfo_version(answers: Sequence[Answer]) -> str:
    for a in answers:
        if a.ok and a.endpoint == "nodeinfo":
            try:
                info = validate(
                    NodeInfo, a.body, dialect="nodeinfo", endpoint="nodeinfo", source=""
                )
            except ParseError:
                continue
            return info.software.version
    return ""


def _site_version(attempt: Attempt) -> str:
    return next((page.server_version or "" for _, page in attempt.pages("site")), "")


def _resolved(body: bytes) -> bytes:
    """A ``resolve_object`` answer as the ``/post`` answer the collector read it as."""
    try:
        view = resolved_post(json.loads(body))
    except ValueError:
        return b""
    return json.dumps(view).encode() if view is not None else b""
