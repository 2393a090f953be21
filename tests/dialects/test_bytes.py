"""A body that is not all UTF-8: each bad byte costs one character, not the page."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from msgspec.structs import astuple

from fedithreads.core.records import Provenance
from fedithreads.dialects import fastpath, parse_page
from tests.dialects.test_fastpath import PROV as FAST_PROV
from tests.dialects.test_fastpath import via_models

FIXTURES = Path(__file__).parents[2] / "fixtures"
PROV = Provenance("lemmy.ca", "lemmy-v3", "0.19.20", datetime(2026, 1, 1, tzinfo=UTC), "r")


@pytest.mark.parametrize("bad", [b"\xff", b"\xc3", b"\xed\xa0\x80"], ids=["ff", "cut", "surrogate"])
def test_a_bad_byte_in_one_comment_is_read_as_u_fffd_and_counted(bad: bytes) -> None:
    """The first comment's text opens with bytes no UTF-8 decoder takes: every record is
    read, that text starts with U+FFFD, and the page says how many sequences it replaced
    (a U+FFFD the server itself sent is not counted)."""
    doc = json.loads((FIXTURES / "lemmy-v3/big-thread/comment-list__page-01.json").read_bytes())
    doc["comments"][1]["comment"]["content"] += " \ufffd"
    clean = parse_page(
        json.dumps(doc).encode(), dialect="lemmy-v3", endpoint="comment/list", prov=PROV, source="p"
    )
    body = (
        json.dumps(doc, ensure_ascii=False)
        .encode()
        .replace(b'"content": "', b'"content": "' + bad, 1)
    )

    page = parse_page(body, dialect="lemmy-v3", endpoint="comment/list", prov=PROV, source="p")

    replaced = len(bad.decode("utf-8", "replace"))
    assert page.not_utf8 == replaced
    first, *rest = page.comments
    assert first.content == "\ufffd" * replaced + (clean.comments[0].content or "")
    assert rest == list(clean.comments[1:])
    assert clean.not_utf8 == 0


def test_a_valid_page_with_text_beyond_ascii_is_read_whole_by_the_fast_path() -> None:
    """UTF-8 text (as Lemmy writes it, unescaped) is checked once by ``parse_page`` and the
    fast path then reads the page: the records are the models' own, text intact."""
    doc = json.loads((FIXTURES / "lemmy-v3/big-thread/comment-list__page-01.json").read_bytes())
    doc["comments"][0]["comment"]["content"] = "Grüße, 東京 ✓"
    body = json.dumps(doc, ensure_ascii=False).encode()
    assert not body.isascii()

    page = parse_page(body, dialect="lemmy-v3", endpoint="comment/list", prov=FAST_PROV, source="p")

    expected = via_models(body)
    assert fastpath.comment_list_v3(body, FAST_PROV) == expected
    assert page.comments == expected
    assert [astuple(c) for c in page.comments] == [astuple(c) for c in expected]
    assert page.comments[0].content == "Grüße, 東京 ✓"
    assert page.not_utf8 == 0
