"""Dialect models: API documents of lemmy-v3, lemmy-v4 and piefed → neutral records.

``parse_page(document, dialect=…, endpoint=…, prov=…)`` validates one response body and
returns a ``Page``; ``sniff(document)`` guesses dialect and endpoint from the shape of a
saved document (for fixtures, whose origin is not recorded anywhere else);
``resolved_post(document)`` the post view inside a ``resolve_object`` answer (the
collector and the rebuild from the raw archive read it alike). The models never do I/O.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from fedithreads.core.records import API_ROOTS, Page, Provenance
from fedithreads.dialects import fastpath, lemmy_v3, lemmy_v4, modlog, piefed
from fedithreads.dialects.common import Model, validate
from fedithreads.dialects.mapping import page_records
from fedithreads.dialects.meta import listed_languages
from fedithreads.dialects.models import Models
from fedithreads.errors import ParseError

_BY_DIALECT: dict[str, Models] = {d.DIALECT: d.MODELS for d in (lemmy_v3, lemmy_v4, piefed)}
DIALECTS = tuple(_BY_DIALECT)
ENDPOINTS = (
    "post",
    "post/list",
    "comment",
    "comment/list",
    "site",
    "user",
    "person/content",
    "modlog",
)

_MODELS: dict[tuple[str, str], type[Model]] = {
    (dialect, endpoint): model
    for dialect, models in _BY_DIALECT.items()
    for endpoint, model in models.by_endpoint().items()
}


class Site(Model):
    """``GET /site`` of any dialect: the version and the languages it lists (Lemmy at
    the top level, PieFed under ``site``; read leniently, see ``meta.site_languages``)."""

    version: str | None = None
    all_languages: Any = None
    site: Any = None


class _CommunityId(Model):
    id: int


class _CommunityView(Model):
    community: _CommunityId


class GetCommunity(Model):
    """``GET /community?name=`` of any dialect: only the local id matters here."""

    community_view: _CommunityView


def community_id(document: Any, *, dialect: str, source: str) -> int:
    """The serving instance's id of the community a ``GET /community`` answer shows."""
    doc = validate(GetCommunity, document, dialect=dialect, endpoint="community", source=source)
    return doc.community_view.community.id


def parse_page(
    document: Any, *, dialect: str, endpoint: str, prov: Provenance, source: str
) -> Page:
    """Validate one response body (dict or raw JSON) and turn it into neutral records.

    Bytes that are not UTF-8 (a server's bad byte in one comment) are read as U+FFFD and
    counted in ``Page.not_utf8``, rather than losing the whole page."""
    utf8_checked = False
    if isinstance(document, bytes) and not document.isascii():
        document, bad = utf8_text(document)
        utf8_checked = True
        if bad:
            page = parse_page(
                document, dialect=dialect, endpoint=endpoint, prov=prov, source=source
            )
            return dataclasses.replace(page, not_utf8=bad)
    if endpoint == "site":
        site = validate(Site, document, dialect=dialect, endpoint=endpoint, source=source)
        listed = site.site.get("all_languages") if isinstance(site.site, dict) else None
        languages = listed_languages(site.all_languages or listed)
        return Page(endpoint=endpoint, server_version=site.version, languages=languages)
    if dialect == lemmy_v3.DIALECT and endpoint == "comment/list":
        fast = (
            fastpath.comment_list_v3(document, prov, utf8_checked=utf8_checked)
            if isinstance(document, bytes | str)
            else None
        )
        if fast is not None:
            return Page(endpoint=endpoint, comments=fast)
    if endpoint == "modlog":
        return _modlog(document, dialect=dialect, prov=prov, source=source)
    if endpoint == "person/content":
        document = lemmy_v4.split_person_items(_decoded(document, dialect, endpoint, source))
    model = _MODELS.get((dialect, endpoint))
    if model is None:
        raise ParseError(dialect, endpoint, source, "$", "no model for this dialect/endpoint")
    doc = validate(model, document, dialect=dialect, endpoint=endpoint, source=source)
    try:
        return page_records(doc, endpoint, prov)
    except (ValueError, OverflowError) as exc:  # e.g. an actor URL with an impossible port
        raise ParseError(dialect, endpoint, source, "$", str(exc)[:200]) from None


def _modlog(document: Any, *, dialect: str, prov: Provenance, source: str) -> Page:
    """A moderation log page of any dialect (fedithreads.dialects.modlog)."""
    if dialect == lemmy_v4.DIALECT:
        doc = validate(modlog.V4Modlog, document, dialect=dialect, endpoint="modlog", source=source)
        return modlog.v4_page(doc, prov)
    decoded = _decoded(document, dialect, "modlog", source)
    shaped = modlog.v3_document(decoded) if isinstance(decoded, dict) else decoded
    doc3 = validate(modlog.V3Modlog, shaped, dialect=dialect, endpoint="modlog", source=source)
    return modlog.v3_page(doc3, prov)


def _decoded(document: Any, dialect: str, endpoint: str, source: str) -> Any:
    """A raw JSON body as Python values (``validate`` takes either)."""
    if not isinstance(document, bytes | str):
        return document
    try:
        return json.loads(document)
    except ValueError:
        raise ParseError(dialect, endpoint, source, "$", "not valid JSON") from None


_REPLACEMENT = "\ufffd".encode()


def utf8_text(body: bytes) -> tuple[bytes | str, int]:
    """``body`` as it is when it is UTF-8, else decoded with each undecodable byte
    sequence as U+FFFD, and how many there were (U+FFFD the server sent is not counted)."""
    try:
        body.decode()
    except UnicodeDecodeError:
        text = body.decode("utf-8", "replace")
        return text, text.count("\ufffd") - body.count(_REPLACEMENT)
    return body, 0


def _object_dialect(obj: Any) -> str | None:
    """Which dialect wrote a post or comment object, judged by its field names."""
    if not isinstance(obj, dict):
        return None
    if "published_at" in obj:
        return lemmy_v4.DIALECT
    if "user_id" in obj or "title" in obj:
        return piefed.DIALECT
    if "published" in obj:
        return lemmy_v3.DIALECT
    return None


def _view_dialect(view: Any) -> str | None:
    if not isinstance(view, dict):
        return None
    return _object_dialect(view.get("comment")) or _object_dialect(view.get("post"))


def sniff(document: Any) -> tuple[str | None, str]:
    """Guess ``(dialect, endpoint)`` of a saved response from its shape alone.

    The dialect is ``None`` for a document that holds no post or comment to judge by (an
    empty list page, a site response); callers take it from sibling documents.
    """
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    if "error" in document and len(document) <= 3:
        raise ValueError(f"an API error response ({document['error']!r}), not data")
    if any(key in document for key in modlog.V3_KINDS):
        return _modlog_dialect(document), "modlog"
    if "person_view" in document and "posts" in document:
        views = [*(document.get("comments") or []), *(document.get("posts") or [])]
        return (_view_dialect(views[0]) if views else None), "user"
    if "items" in document:
        first = (document["items"] or [None])[0]
        if isinstance(first, dict) and "modlog" in first:
            return lemmy_v4.DIALECT, "modlog"
        if isinstance(first, dict) and "type_" in first:
            return lemmy_v4.DIALECT, "person/content"
        items = document["items"] or [None]
        endpoint = (
            "comment/list"
            if isinstance(items[0], dict) and "comment" in items[0]
            else ("post/list")
        )
        return lemmy_v4.DIALECT, endpoint
    for key, endpoint in (("comments", "comment/list"), ("posts", "post/list")):
        if key in document:
            rows = document[key] or [None]
            return _view_dialect(rows[0]), endpoint
    if "post_view" in document:
        return _view_dialect(document["post_view"]), "post"
    if "comment_view" in document:
        return _view_dialect(document["comment_view"]), "comment"
    if "site_view" in document or "version" in document:
        return None, "site"
    raise ValueError("not a post, comment, list or site response of a known dialect")


def _modlog_dialect(document: dict[str, Any]) -> str | None:
    """Lemmy 0.19 or PieFed, by the names of the first person a modlog list shows."""
    for name in modlog.V3_KINDS:
        for view in document.get(name) or []:
            people = [view.get(k) for k in modlog.PEOPLE] if isinstance(view, dict) else []
            for person in people:
                if isinstance(person, dict) and "user_name" in person:
                    return piefed.DIALECT
                if isinstance(person, dict) and "name" in person:
                    return lemmy_v3.DIALECT
    return None


def resolved_post(document: object) -> dict[str, object] | None:
    """The PostView inside a ``resolve_object`` answer (v3/PieFed ``post``, v4 tagged)."""
    if not isinstance(document, dict):
        return None
    if document.get("type_") == "post":
        return {"post_view": {k: v for k, v in document.items() if k != "type_"}}
    if isinstance(document.get("post"), dict):
        return {"post_view": document["post"]}
    return None


__all__ = [
    "API_ROOTS",
    "DIALECTS",
    "ENDPOINTS",
    "community_id",
    "parse_page",
    "resolved_post",
    "sniff",
    "utf8_text",
]
