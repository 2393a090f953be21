"""Saved API responses on disk (fixtures, curl downloads) → parsed pages with provenance.

A **capture** is one directory's ``*.json`` files: the responses of one visit to one
instance. Raw API JSON does not say which host served it or when, so a capture takes:

* ``instance``: from ``capture.toml``, else the host of the objects marked ``local``;
* ``collected_at``: from ``capture.toml``, else the newest file's modification time;
* ``server_version``: from ``capture.toml``, else a saved ``/site`` response;
* ``dialect``: sniffed from the documents (``capture.toml`` may state it);
* ``run_id``: from ``capture.toml``, else the directory's path.

``capture.toml`` is optional and holds only those keys (plus a free-text ``source``).
"""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fedithreads import dialects
from fedithreads.core.hosts import host_of
from fedithreads.core.records import Page, Provenance
from fedithreads.errors import SourceError

CAPTURE_FILE = "capture.toml"
_CAPTURE_KEYS = {"instance", "collected_at", "server_version", "dialect", "run_id", "source"}


@dataclass(frozen=True, slots=True)
class Document:
    path: Path
    body: dict[str, Any]
    dialect: str | None
    endpoint: str


@dataclass(frozen=True, slots=True)
class Capture:
    """The parsed pages of one capture, and where and when they were seen."""

    where: Path
    prov: Provenance
    pages: tuple[Page, ...]


def iter_json_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Every ``*.json`` file named or found under ``paths``, sorted within a directory."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.json") if p.is_file())
        elif path.is_file():
            yield path
        else:
            raise SourceError(f"{path}: no such file or directory; give a fixture file or dir")


def load_captures(paths: Iterable[Path]) -> list[Capture]:
    """Group the JSON files under ``paths`` by directory and parse each group."""
    paths = list(paths)
    by_dir: dict[Path, list[Path]] = {}
    for file in iter_json_files(paths):
        by_dir.setdefault(file.parent, []).append(file)
    if not by_dir:
        names = ", ".join(str(p) for p in paths)
        raise SourceError(f"{names}: no *.json API responses found; point at fixture files")
    return [cap for d, files in sorted(by_dir.items()) for cap in load_directory(d, files)]


def load_directory(where: Path, files: list[Path]) -> list[Capture]:
    """Parse one directory's responses: one capture per (dialect, instance) found there.

    With a ``capture.toml`` the whole directory is one capture. Without one, documents are
    grouped by dialect and by the host of their ``local`` objects; a document that shows
    neither (an empty page, a ``/site`` response) joins the only group, or is an error.
    """
    meta = read_capture_meta(where / CAPTURE_FILE)
    docs = [read_document(f) for f in sorted(set(files))]
    if meta.get("instance") or len(docs) == 1:
        return [_capture(where, docs, meta, where.as_posix())]
    groups: dict[tuple[str | None, str | None], list[Document]] = {}
    for d in docs:
        groups.setdefault((d.dialect or meta.get("dialect"), _instance_hint(d)), []).append(d)
    known = {k: v for k, v in groups.items() if k[0] and k[1]}
    loose = [d for k, v in groups.items() if not (k[0] and k[1]) for d in v]
    if loose and len(known) > 1:
        raise SourceError(
            f"{loose[0].path}: cannot tell which of the {len(known)} captures in {where} it "
            f"belongs to; move each capture to its own directory with a {CAPTURE_FILE}"
        )
    if not known:
        return [_capture(where, docs, meta, where.as_posix())]
    if loose:
        only = next(iter(known))
        known[only] = [*known[only], *loose]
    one = len(known) == 1
    return [
        _capture(where, group, meta, where.as_posix() if one else f"{where.as_posix()}#{d}@{h}")
        for (d, h), group in sorted(known.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or ""))
    ]


def _capture(where: Path, docs: list[Document], meta: dict[str, Any], run_id: str) -> Capture:
    dialect = _capture_dialect(where, docs, meta.get("dialect"))
    prov = Provenance(
        instance=meta.get("instance") or _infer_instance(where, docs),
        dialect=dialect,
        server_version=meta.get("server_version") or _site_version(docs),
        collected_at=meta.get("collected_at") or _newest_mtime(docs),
        run_id=meta.get("run_id") or run_id,
    )
    pages = tuple(
        dialects.parse_page(
            d.body, dialect=dialect, endpoint=d.endpoint, prov=prov, source=str(d.path)
        )
        for d in docs
    )  # a /site answer gives no records, only its languages
    return Capture(where, prov, pages)


def read_document(path: Path) -> Document:
    """Load one saved response and sniff its dialect and endpoint."""
    try:
        body = json.loads(path.read_bytes())
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot read ({exc}); check the file") from None
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"{path}: not valid JSON (line {exc.lineno} column {exc.colno}); "
            "save the response body unchanged"
        ) from None
    try:
        dialect, endpoint = dialects.sniff(body)
    except ValueError as exc:
        raise SourceError(f"{path}: {exc}; remove it from the source") from None
    return Document(path, body, dialect, endpoint)


def read_capture_meta(path: Path) -> dict[str, Any]:
    """The keys of an optional ``capture.toml``, checked; ``{}`` when there is none."""
    if not path.is_file():
        return {}
    try:
        meta = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SourceError(f"{path}: {exc}; fix the TOML syntax") from None
    unknown = sorted(set(meta) - _CAPTURE_KEYS)
    if unknown:
        allowed = ", ".join(sorted(_CAPTURE_KEYS))
        raise SourceError(f"{path}: unknown key {unknown[0]!r}; allowed keys are {allowed}")
    when = meta.get("collected_at")
    if when is not None:
        if not isinstance(when, datetime) or when.tzinfo is None:
            raise SourceError(
                f"{path}: collected_at must be a TOML datetime with a zone, "
                "e.g. collected_at = 2025-10-10T18:00:00Z"
            )
        meta["collected_at"] = when.astimezone(UTC)
    for key in _CAPTURE_KEYS - {"collected_at"}:
        if key in meta and not isinstance(meta[key], str):
            raise SourceError(f'{path}: {key} must be a string, e.g. {key} = "…"')
    if "dialect" in meta and meta["dialect"] not in dialects.DIALECTS:
        raise SourceError(
            f"{path}: dialect {meta['dialect']!r} is unknown; use one of "
            + ", ".join(dialects.DIALECTS)
        )
    return meta


def _capture_dialect(where: Path, docs: list[Document], stated: str | None) -> str:
    seen = {d.dialect for d in docs if d.dialect is not None}
    if stated is not None:
        seen.add(stated)
    if len(seen) > 1:
        raise SourceError(
            f"{where}: mixes dialects {sorted(seen)}; keep one instance's responses per directory"
        )
    if not seen:
        raise SourceError(
            f"{where}: no post or comment to tell the dialect by; "
            f'add dialect = "lemmy-v3" (or lemmy-v4, piefed) to {CAPTURE_FILE}'
        )
    return seen.pop()


def _local_hosts(body: dict[str, Any]) -> Iterator[str]:
    """Hosts of the objects a response marks ``local``: the instance that served it."""
    views: list[Any] = []
    for key in ("posts", "comments", "items"):
        views.extend(body.get(key) or [])
    for key in ("post_view", "comment_view"):
        if key in body:
            views.append(body[key])
    for view in views:
        if not isinstance(view, dict):
            continue
        for part in ("post", "comment", "community", "creator"):
            obj = view.get(part)
            if isinstance(obj, dict) and obj.get("local") is True:
                url = obj.get("actor_id") or obj.get("ap_id")
                if isinstance(url, str) and host_of(url):
                    yield host_of(url)


def _instance_hint(doc: Document) -> str | None:
    hosts = Counter(_local_hosts(doc.body))
    return hosts.most_common(1)[0][0] if hosts else None


def _infer_instance(where: Path, docs: list[Document]) -> str:
    hosts = Counter(h for d in docs for h in _local_hosts(d.body))
    if not hosts:
        raise SourceError(
            f"{where}: cannot tell which instance served these responses (nothing is marked "
            f'local); add instance = "host" to {where / CAPTURE_FILE}'
        )
    return hosts.most_common(1)[0][0]


def _site_version(docs: list[Document]) -> str | None:
    for d in docs:
        if d.endpoint == "site":
            version = d.body.get("version")
            if isinstance(version, str):
                return version
    return None


def _newest_mtime(docs: list[Document]) -> datetime:
    newest = max(d.path.stat().st_mtime for d in docs)
    return datetime.fromtimestamp(newest, UTC)
