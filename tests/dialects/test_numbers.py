"""Numbers at the edge: a count the API cannot send negative is a schema error naming
the field; scores may be negative; everything must fit 64 bits.

Lemmy keeps upvotes, downvotes, child_count and a post's comments in counter columns
that only ever count (reference/lemmy-api.md §1, §2.8); a negative one came from
somewhere else, and taken as it is it made ``missing`` negative and a thread complete.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fedithreads.core.records import Provenance
from fedithreads.dialects import parse_page
from fedithreads.dialects.common import json_path
from fedithreads.errors import ParseError

FIXTURES = Path(__file__).parents[2] / "fixtures"
WHEN = datetime(2026, 1, 1, tzinfo=UTC)

# (dialect, endpoint, file in fixtures/<dialect>/big-thread, keys to the first object's counts)
COUNTS = [
    ("lemmy-v3", "comment/list", "comment-list__page-01.json", ("comments", 0, "counts")),
    ("lemmy-v3", "post", "post.json", ("post_view", "counts")),
    ("lemmy-v4", "comment/list", "comment-list__page-01.json", ("items", 0, "comment")),
    ("lemmy-v4", "post", "post.json", ("post_view", "post")),
    ("piefed", "comment/list", "comment-list__page-01.json", ("comments", 0, "counts")),
    ("piefed", "post", "post.json", ("post_view", "counts")),
]


def load(dialect: str, name: str) -> Any:
    return json.loads((FIXTURES / dialect / "big-thread" / name).read_text(encoding="utf-8"))


def counts(doc: Any, keys: tuple[str | int, ...]) -> dict[str, Any]:
    for key in keys:
        doc = doc[key]
    return doc  # the object itself: tests change it in place


def parse(dialect: str, endpoint: str, body: Any) -> Any:
    prov = Provenance("x.example", dialect, None, WHEN, "r")
    return parse_page(body, dialect=dialect, endpoint=endpoint, prov=prov, source="page.json")


@pytest.mark.parametrize("raw", [True, False], ids=["bytes", "decoded"])
@pytest.mark.parametrize(("dialect", "endpoint", "name", "keys"), COUNTS)
def test_a_negative_count_is_a_parse_error_naming_the_field(
    dialect: str, endpoint: str, name: str, keys: tuple[str | int, ...], raw: bool
) -> None:
    """upvotes, downvotes, child_count and comments below 0 are refused, by the fast
    path (raw v3 comment pages) and the models alike, each naming its JSON path."""
    fields = [
        f
        for f in ("upvotes", "downvotes", "child_count", "comments")
        if f in counts(load(dialect, name), keys)
    ]
    assert len(fields) >= 3
    for field in fields:
        doc = load(dialect, name)
        counts(doc, keys)[field] = -1
        body = json.dumps(doc).encode() if raw else doc

        with pytest.raises(ParseError) as caught:
            parse(dialect, endpoint, body)

        assert caught.value.json_path == f"{json_path(keys)}.{field}"
        assert "greater than or equal to 0" in caught.value.problem


@pytest.mark.parametrize(("dialect", "endpoint", "name", "keys"), COUNTS)
def test_a_negative_score_and_the_largest_64_bit_counts_are_read(
    dialect: str, endpoint: str, name: str, keys: tuple[str | int, ...]
) -> None:
    """A score of −5 is a score; counts of 2⁶³ − 1 fit the tables; 2⁶³ does not."""
    doc = load(dialect, name)
    counts(doc, keys).update(score=-5, upvotes=2**63 - 1)

    page = parse(dialect, endpoint, json.dumps(doc).encode())

    record = (page.comments or page.posts)[0]
    assert (record.score, record.upvotes) == (-5, 2**63 - 1)
    counts(doc, keys)["upvotes"] = 2**63
    with pytest.raises(ParseError, match="less than or equal to"):
        parse(dialect, endpoint, json.dumps(doc).encode())
