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
from fedithreads.errors import ParseError

FIXTURES = Path(__file__).parents[2] / "fixtures"
WHEN = datetime(2026, 1, 1, tzinfo=UTC)

# (dialect, file, endpoint, where the counts of the first object are, JSON path prefix)
COUNTS = [
    (
        "lemmy-v3",
        "lemmy-v3/big-thread/comment-list__page-01.json",
        "comment/list",
        lambda d: d["comments"][0]["counts"],
        "$.comments[0].counts",
    ),
    (
        "lemmy-v3",
        "lemmy-v3/big-thread/post.json",
        "post",
        lambda d: d["post_view"]["counts"],
        "$.post_view.counts",
    ),
    (
        "lemmy-v4",
        "lemmy-v4/big-thread/comment-list__page-01.json",
        "comment/list",
        lambda d: d["items"][0]["comment"],
        "$.items[0].comment",
    ),
    (
        "lemmy-v4",
        "lemmy-v4/big-thread/post.json",
        "post",
        lambda d: d["post_view"]["post"],
        "$.post_view.post",
    ),
    (
        "piefed",
        "piefed/big-thread/comment-list__page-01.json",
        "comment/list",
        lambda d: d["comments"][0]["counts"],
        "$.comments[0].counts",
    ),
    (
        "piefed",
        "piefed/big-thread/post.json",
        "post",
        lambda d: d["post_view"]["counts"],
        "$.post_view.counts",
    ),
]


def parse(dialect: str, endpoint: str, body: Any) -> Any:
    prov = Provenance("x.example", dialect, None, WHEN, "r")
    return parse_page(body, dialect=dialect, endpoint=endpoint, prov=prov, source="page.json")


@pytest.mark.parametrize("raw", [True, False], ids=["bytes", "decoded"])
@pytest.mark.parametrize(("dialect", "name", "endpoint", "counts", "where"), COUNTS)
def test_a_negative_count_is_a_parse_error_naming_the_field(
    dialect: str, name: str, endpoint: str, counts: Any, where: str, raw: bool
) -> None:
    """upvotes, downvotes, child_count and comments below 0 are refused, by the fast
    path (raw v3 comment pages) and the models alike, each naming its JSON path."""
    original = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    fields = [
        f for f in ("upvotes", "downvotes", "child_count", "comments") if f in counts(original)
    ]
    assert len(fields) >= 3
    for field in fields:
        doc = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
        counts(doc)[field] = -1
        body = json.dumps(doc).encode() if raw else doc

        with pytest.raises(ParseError) as caught:
            parse(dialect, endpoint, body)

        assert caught.value.json_path == f"{where}.{field}"
        assert "greater than or equal to 0" in caught.value.problem


@pytest.mark.parametrize(("dialect", "name", "endpoint", "counts", "where"), COUNTS)
def test_a_negative_score_and_the_largest_64_bit_counts_are_read(
    dialect: str, name: str, endpoint: str, counts: Any, where: str
) -> None:
    """A score of −5 is a score; counts of 2⁶³ − 1 fit the tables; 2⁶³ does not."""
    doc = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    counts(doc).update(score=-5, upvotes=2**63 - 1)

    page = parse(dialect, endpoint, json.dumps(doc).encode())

    record = (page.comments or page.posts)[0]
    assert (record.score, record.upvotes) == (-5, 2**63 - 1)
    counts(doc)["upvotes"] = 2**63
    with pytest.raises(ParseError, match="less than or equal to"):
        parse(dialect, endpoint, json.dumps(doc).encode())
