"""Each dialect's order of preference when a document carries a field under two names.

Documents are the encoder's, then given the other names with other values; they are
parsed as decoded dicts, so the models read them (never the v3 fast path).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from fedithreads.core.hosts import handle
from fedithreads.core.records import Page, Provenance
from fedithreads.dialects import parse_page
from fedithreads.errors import ParseError
from fedithreads.replay.encode.documents import Encoder
from tests.factories import T0, hand_thread

LISTS = {
    "lemmy-v3": ("posts", "comments"),
    "lemmy-v4": ("items", "items"),
    "piefed": ("posts", "comments"),
}

# (dialect, object of the view, its names preferred first, record field, kind of value)
NAMES = [
    ("lemmy-v3", "creator", ("name",), "author", "text"),
    ("lemmy-v3", "creator", ("actor_id", "ap_id"), "author_ap_id", "url"),
    ("lemmy-v3", "community", ("actor_id", "ap_id"), "community_ap_id", "url"),
    ("lemmy-v3", "post", ("name", "title"), "title", "text"),
    ("lemmy-v3", "post", ("published", "published_at"), "published", "time"),
    ("lemmy-v3", "comment", ("updated", "updated_at"), "updated", "time"),
    ("lemmy-v3", "comment", ("content", "body"), "content", "text"),
    ("lemmy-v4", "creator", ("name",), "author", "text"),
    ("lemmy-v4", "creator", ("ap_id", "actor_id"), "author_ap_id", "url"),
    ("lemmy-v4", "community", ("ap_id", "actor_id"), "community_ap_id", "url"),
    ("lemmy-v4", "post", ("name", "title"), "title", "text"),
    ("lemmy-v4", "comment", ("published_at", "published"), "published", "time"),
    ("lemmy-v4", "post", ("updated_at", "updated"), "updated", "time"),
    ("lemmy-v4", "comment", ("content", "body"), "content", "text"),
    ("piefed", "creator", ("user_name", "name"), "author", "text"),
    ("piefed", "creator", ("actor_id", "ap_id"), "author_ap_id", "url"),
    ("piefed", "community", ("actor_id", "ap_id"), "community_ap_id", "url"),
    ("piefed", "post", ("title", "name"), "title", "text"),
    ("piefed", "comment", ("published", "published_at"), "published", "time"),
    ("piefed", "comment", ("edited_at", "updated", "updated_at"), "updated", "time"),
    ("piefed", "post", ("edited_at", "updated", "updated_at"), "updated", "time"),
    ("piefed", "comment", ("body", "content"), "content", "text"),
]
OPTIONAL = {"updated", "content"}


def value(kind: str, i: int) -> Any:
    """The ``i``-th distinct JSON value of a kind."""
    return {
        "text": f"text{i}",
        "url": f"https://h{i}.example/x/n{i}",
        "time": f"2026-0{i + 2}-01T00:00:00Z",
    }[kind]


def read(kind: str, i: int, record: Any, field: str) -> Any:
    """What ``record.field`` holds when the ``i``-th value was read."""
    if field == "author":
        return handle(value(kind, i), record.author_ap_id)
    return datetime(2026, i + 2, 1, tzinfo=UTC) if kind == "time" else value(kind, i)


def document(dialect: str, obj: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """An encoded list page holding one view, its endpoint, and the view."""
    post, comments = hand_thread()
    enc = Encoder("a.example", dialect)
    on_post = obj in ("post", "community")
    doc = enc.post_list([post]) if on_post else enc.comment_list(comments[:1], post)
    doc = json.loads(enc.dumps(doc))
    views = doc[LISTS[dialect][0 if on_post else 1]]
    return doc, "post/list" if on_post else "comment/list", views[0]


def parse(doc: dict[str, Any], dialect: str, endpoint: str) -> Page:
    prov = Provenance("a.example", dialect, None, T0, "r")
    return parse_page(doc, dialect=dialect, endpoint=endpoint, prov=prov, source="t")


def first_record(page: Page) -> Any:
    return (page.posts or page.comments)[0]


@pytest.mark.parametrize(("dialect", "obj", "names", "field", "kind"), NAMES)
def test_the_first_name_present_wins(
    dialect: str, obj: str, names: tuple[str, ...], field: str, kind: str
) -> None:
    """With several of a field's names present (in reverse order), the earliest is read."""
    for start in range(len(names)):
        doc, endpoint, view = document(dialect, obj)
        for name in names:
            view[obj].pop(name, None)
        for i in reversed(range(start, len(names))):
            view[obj][names[i]] = value(kind, i)

        record = first_record(parse(doc, dialect, endpoint))

        assert getattr(record, field) == read(kind, start, record, field)


@pytest.mark.parametrize(("dialect", "obj", "names", "field", "kind"), NAMES)
def test_a_missing_field_is_reported_under_its_first_name(
    dialect: str, obj: str, names: tuple[str, ...], field: str, kind: str
) -> None:
    """Without any of its names, a required field is a ParseError at the first name."""
    doc, endpoint, view = document(dialect, obj)
    for name in names:
        view[obj].pop(name, None)

    if field in OPTIONAL:
        assert getattr(first_record(parse(doc, dialect, endpoint)), field) is None
        return
    with pytest.raises(ParseError) as caught:
        parse(doc, dialect, endpoint)
    assert caught.value.json_path.endswith(f"[0].{obj}.{names[0]}")


@pytest.mark.parametrize(
    ("dialect", "flag", "featured"),
    [
        ("lemmy-v3", "featured_community", True),
        ("lemmy-v3", "featured_local", True),
        ("lemmy-v3", "sticky", False),
        ("lemmy-v4", "featured_local", True),
        ("lemmy-v4", "instance_sticky", False),
        ("piefed", "sticky", True),
        ("piefed", "instance_sticky", True),
        ("piefed", "featured_community", False),
    ],
)
def test_pins_are_read_under_the_dialects_own_names(
    dialect: str, flag: str, featured: bool
) -> None:
    """A post is featured by its dialect's pin flags only."""
    doc, endpoint, view = document(dialect, "post")
    view["post"][flag] = True

    assert parse(doc, dialect, endpoint).posts[0].featured is featured


@pytest.mark.parametrize(
    ("dialect", "obj", "on_object", "in_counts", "score"),
    [
        ("lemmy-v3", "comment", True, True, 10),
        ("lemmy-v3", "post", True, True, 10),
        ("lemmy-v3", "comment", True, False, 20),
        ("piefed", "comment", True, True, 10),
        ("piefed", "post", True, False, 20),
        ("lemmy-v4", "comment", True, True, 20),
        ("lemmy-v4", "post", True, True, 20),
        ("lemmy-v4", "comment", False, True, 10),
        ("lemmy-v4", "post", False, True, 10),
    ],
)
def test_counts_come_from_where_the_dialect_keeps_them_first(
    dialect: str, obj: str, on_object: bool, in_counts: bool, score: int
) -> None:
    """v3 and PieFed prefer a ``counts`` object, v4 the object's own counts."""
    doc, endpoint, view = document(dialect, obj)
    own = {"score": 20, "upvotes": 21, "downvotes": 1, "comments": 2, "child_count": 2}
    for key in own:
        view[obj].pop(key, None)
    view.pop("counts", None)
    if on_object:
        view[obj].update(own)
    if in_counts:
        view["counts"] = {**own, "score": 10, "upvotes": 11}

    assert first_record(parse(doc, dialect, endpoint)).score == score


@pytest.mark.parametrize(
    ("dialect", "cursor"), [("lemmy-v3", None), ("lemmy-v4", "c2"), ("piefed", "c2")]
)
def test_only_paged_comment_lists_read_next_page(dialect: str, cursor: str | None) -> None:
    """0.19 comment lists have no cursor: a ``next_page`` there is ignored."""
    doc, endpoint, _ = document(dialect, "comment")
    doc["next_page"] = "c2"

    assert parse(doc, dialect, endpoint).next_page == cursor
