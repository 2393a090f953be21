"""Each post's and comment's ``language_id``, read off real responses of every dialect,
the same through the fast path and the models, and kept in the tables."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest

from fedithreads.analysis.frames import build_tables
from fedithreads.dialects import fastpath
from tests.dialects.test_dialects import PROV, load, parse

REAL = [
    ("post-list__lemmy-0.18-sanitized.json", "lemmy-v3", "post/list"),
    ("post-list__test-instance.json", "lemmy-v3", "post/list"),
    ("comment-list__test-instance.json", "lemmy-v3", "comment/list"),
    ("comment-list__handmade-v4-shape.json", "lemmy-v4", "comment/list"),
    ("comment-list__piefed-social-top.json", "piefed", "comment/list"),
    ("post__piefed-social.json", "piefed", "post"),
    ("post-list__piefed-social.json", "piefed", "post/list"),
]


def languages_in(doc: Any) -> dict[tuple[str, int], int]:
    """The document's own ``language_id`` of every post and comment, by (kind, id)."""
    views = doc.get("posts") or doc.get("comments") or doc.get("items") or [doc["post_view"]]
    found = {}
    for view in views:
        kind = "comment" if "comment" in view else "post"
        found[kind, view[kind]["id"]] = view[kind]["language_id"]
    return found


@pytest.mark.parametrize(("name", "dialect", "endpoint"), REAL)
def test_every_record_keeps_the_language_its_document_gives(
    name: str, dialect: str, endpoint: str
) -> None:
    """Every record's language_id is its document's, id by id (0, 37 and PieFed's 1 among
    them), and the posts and comments tables hold them."""
    doc = load(name)

    page = parse(doc, dialect, endpoint)

    ours = {("post", p.post_id): p.language_id for p in page.posts}
    ours |= {("comment", c.comment_id): c.language_id for c in page.comments}
    assert ours == languages_in(doc)
    tables = build_tables(page.posts, page.comments)
    written = pl.concat(
        [
            tables.posts.select(
                pl.lit("post").alias("kind"), pl.col("post_id").alias("id"), "language_id"
            ),
            tables.comments.select(
                pl.lit("comment").alias("kind"), pl.col("comment_id").alias("id"), "language_id"
            ),
        ]
    )
    assert {(k, i): v for k, i, v in written.iter_rows()} == ours


def test_the_languages_seen_are_the_ones_these_servers_use() -> None:
    """Lemmy's 0 (undetermined) and 37 (English) on blahaj.zone, PieFed's 1."""
    seen = {v for name, _, _ in REAL for v in languages_in(load(name)).values()}

    assert {0, 37, 1} <= seen


def test_the_fast_path_reads_the_language_as_the_models_do() -> None:
    """A canonical 0.19 comment page: the fast path's records, language included, are
    the models'; a page without the key gives None both ways."""
    doc = load("comment-list__test-instance.json")
    body = json.dumps(doc).encode()

    fast = fastpath.comment_list_v3(body, PROV)
    slow = parse(doc, "lemmy-v3", "comment/list").comments

    assert fast is not None
    assert [c.language_id for c in fast] == [c.language_id for c in slow]
    assert list(fast) == list(slow)
    for view in doc["comments"]:
        del view["comment"]["language_id"]
    bare = fastpath.comment_list_v3(json.dumps(doc).encode(), PROV)
    assert bare is not None
    assert [c.language_id for c in bare] == [None] * len(bare)
