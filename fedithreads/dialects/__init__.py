"""Dialect models: API documents of lemmy-v3, lemmy-v4 and piefed → neutral records.

``parse_page(document, dialect=…, endpoint=…, prov=…)`` validates one response body and
returns a ``Page``; ``sniff(document)`` guesses dialect and endpoint from the shape of a
saved document (for fixtures, whose origin is not recorded anywhere else). The models
never do I/O.
"""

from __future__ import annotations

from typing import Any

from fedithreads.core.records import Page, Provenance
from fedithreads.dialects import fastpath, lemmy_v3, lemmy_v4, piefed
from fedithreads.dialects.common import Model, validate
from fedithreads.errors import ParseError

DIALECTS = (lemmy_v3.DIALECT, lemmy_v4.DIALECT, piefed.DIALECT)
ENDPOINTS = ("post", "post/list", "comment", "comment/list", "site")

_MODELS: dict[tuple[str, str], type[Model]] = {
    (lemmy_v3.DIALECT, "post"): lemmy_v3.GetPost,
    (lemmy_v3.DIALECT, "post/list"): lemmy_v3.PostList,
    (lemmy_v3.DIALECT, "comment"): lemmy_v3.GetComment,
    (lemmy_v3.DIALECT, "comment/list"): lemmy_v3.CommentList,
    (lemmy_v4.DIALECT, "post"): lemmy_v4.GetPost,
    (lemmy_v4.DIALECT, "post/list"): lemmy_v4.PostList,
    (lemmy_v4.DIALECT, "comment"): lemmy_v4.GetComment,
    (lemmy_v4.DIALECT, "comment/list"): lemmy_v4.CommentList,
    (piefed.DIALECT, "post"): piefed.GetPost,
    (piefed.DIALECT, "post/list"): piefed.PostList,
    (piefed.DIALECT, "comment"): piefed.GetComment,
    (piefed.DIALECT, "comment/list"): piefed.CommentList,
}


class Site(Model):
    """``GET /site`` of any dialect: only the version matters here."""

    version: str | None = None


def parse_page(
    document: Any, *, dialect: str, endpoint: str, prov: Provenance, source: str
) -> Page:
    """Validate one response body (dict or raw JSON) and turn it into neutral records."""
    if endpoint == "site":
        site = validate(Site, document, dialect=dialect, endpoint=endpoint, source=source)
        return Page(endpoint=endpoint, server_version=site.version)
    if dialect == lemmy_v3.DIALECT and endpoint == "comment/list":
        fast = (
            fastpath.comment_list_v3(document, prov) if isinstance(document, bytes | str) else None
        )
        if fast is not None:
            return Page(endpoint=endpoint, comments=fast)
    model = _MODELS.get((dialect, endpoint))
    if model is None:
        raise ParseError(dialect, endpoint, source, "$", "no model for this dialect/endpoint")
    doc = validate(model, document, dialect=dialect, endpoint=endpoint, source=source)
    try:
        return _records(doc, endpoint, prov)
    except (ValueError, OverflowError) as exc:  # e.g. an actor URL with an impossible port
        raise ParseError(dialect, endpoint, source, "$", str(exc)[:200]) from None


def _records(doc: Model, endpoint: str, prov: Provenance) -> Page:
    """The neutral records of a validated document."""
    if isinstance(doc, lemmy_v3.GetPost | lemmy_v4.GetPost | piefed.GetPost):
        return Page(endpoint=endpoint, posts=(doc.post_view.to_record(prov),))
    if isinstance(doc, lemmy_v3.GetComment | lemmy_v4.GetComment | piefed.GetComment):
        return Page(endpoint=endpoint, comments=(doc.comment_view.to_record(prov),))
    if isinstance(doc, lemmy_v3.PostList | piefed.PostList):
        posts = tuple(v.to_record(prov) for v in doc.posts)
        return Page(endpoint=endpoint, posts=posts, next_page=doc.next_page)
    if isinstance(doc, lemmy_v4.PostList):
        posts = tuple(v.to_record(prov) for v in doc.items)
        return Page(endpoint=endpoint, posts=posts, next_page=doc.next_page)
    if isinstance(doc, lemmy_v3.CommentList):
        return Page(endpoint=endpoint, comments=tuple(v.to_record(prov) for v in doc.comments))
    if isinstance(doc, piefed.CommentList):
        comments = tuple(v.to_record(prov) for v in doc.comments)
        return Page(endpoint=endpoint, comments=comments, next_page=doc.next_page)
    assert isinstance(doc, lemmy_v4.CommentList)
    comments = tuple(v.to_record(prov) for v in doc.items)
    return Page(endpoint=endpoint, comments=comments, next_page=doc.next_page)


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
    if "items" in document:
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


__all__ = ["DIALECTS", "ENDPOINTS", "parse_page", "sniff"]
