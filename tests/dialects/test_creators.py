"""The creator's flags on every record (banned, bot account, deleted): where each dialect
keeps them, read off real responses, the same through the fast path and the models."""

from __future__ import annotations

import json
from typing import Any

import pytest
from msgspec.structs import astuple

from fedithreads.core.records import CREATOR_FLAGS, CommentRecord, PostRecord
from fedithreads.dialects import fastpath
from tests.dialects.test_dialects import PROV, load, parse


def flags(record: PostRecord | CommentRecord) -> tuple[bool | None, ...]:
    return tuple(getattr(record, name) for name in CREATOR_FLAGS)


def test_a_bot_account_is_marked_on_its_posts() -> None:
    """Lemmy 0.19's ``bot_account`` (the test instance's bot posts) reaches the records;
    the others are plain accounts, neither banned nor deleted."""
    doc = load("post-list__test-instance.json")
    bots = {v["post"]["id"] for v in doc["posts"] if v["creator"]["bot_account"]}

    posts = parse(doc, "lemmy-v3", "post/list").posts

    assert bots
    assert {p.post_id: flags(p) for p in posts} == {
        p.post_id: (False, p.post_id in bots, False) for p in posts
    }


@pytest.mark.parametrize(
    ("name", "dialect", "where"),
    [
        ("comment-list__piefed-social-top.json", "piefed", ("creator", "bot")),
        ("comment-list__handmade-v4-shape.json", "lemmy-v4", ("creator_banned",)),
    ],
)
def test_each_dialect_reads_the_flags_under_its_own_names(
    name: str, dialect: str, where: tuple[str, ...]
) -> None:
    """PieFed calls it ``bot``; Lemmy 1.0 keeps the ban on the view (``creator_banned``):
    turned on in a copy of a real response, the flag turns on in the record."""
    doc = load(name)
    view = doc["comments" if dialect == "piefed" else "items"][0]
    target: dict[str, Any] = view
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = True

    first = parse(doc, dialect, "comment/list").comments[0]

    expected = (True, False, False) if where[-1] == "creator_banned" else (False, True, False)
    assert flags(first) == expected


def test_the_fast_path_reads_the_same_flags_as_the_models() -> None:
    """A 0.19 comment page with a banned, deleted bot author gives the same records and
    flags through the fast path as through the models."""
    doc = load("comment-list__test-instance.json")
    doc["comments"][0]["creator"].update(banned=True, bot_account=True, deleted=True)
    body = json.dumps(doc).encode()

    fast = fastpath.comment_list_v3(body, PROV)
    slow = parse(doc, "lemmy-v3", "comment/list").comments

    assert fast is not None
    assert [astuple(c) for c in fast] == [astuple(c) for c in slow]
    assert flags(fast[0]) == (True, True, True)


@pytest.mark.parametrize(
    ("name", "dialect", "endpoint", "key"),
    [
        ("post-list__lemmy-0.18-sanitized.json", "lemmy-v3", "post/list", "display_name"),
        ("comment-list__test-instance.json", "lemmy-v3", "comment/list", "display_name"),
        ("comment-list__handmade-v4-shape.json", "lemmy-v4", "comment/list", "display_name"),
        ("comment-list__piefed-social-top.json", "piefed", "comment/list", "title"),
        ("post__piefed-social.json", "piefed", "post", "title"),
    ],
)
def test_the_creators_display_name_is_kept_where_the_page_gives_one(
    name: str, dialect: str, endpoint: str, key: str
) -> None:
    """Lemmy's ``display_name`` (absent for most people), PieFed's ``title``: each
    record has its creator's, None where the document has none."""
    doc = load(name)
    views = doc.get("posts") or doc.get("comments") or doc.get("items") or [doc["post_view"]]
    expected = [v["creator"].get(key) or None for v in views]

    page = parse(doc, dialect, endpoint)

    got = [r.author_display_name for r in (*page.posts, *page.comments)]
    assert got == expected
    assert any(expected)


def test_the_fast_path_keeps_the_display_name_as_the_models_do() -> None:
    """The 0.19 comment page on the fast path: the same display names as the models."""
    doc = load("comment-list__test-instance.json")

    fast = fastpath.comment_list_v3(json.dumps(doc).encode(), PROV)
    slow = parse(doc, "lemmy-v3", "comment/list").comments

    assert fast is not None
    assert [c.author_display_name for c in fast] == [c.author_display_name for c in slow]
    assert [c.author_display_name for c in fast] == ["Mod One"]
