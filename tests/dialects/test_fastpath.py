"""The strict fast path for 0.19 comment lists gives exactly the models' records, or none."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fedithreads.core.records import CommentRecord, Provenance
from fedithreads.dialects import lemmy_v3
from fedithreads.dialects.common import validate
from fedithreads.dialects.fastpath import comment_list_v3
from fedithreads.dialects.mapping import comment_record
from fedithreads.errors import ParseError

FIXTURES = Path(__file__).parents[2] / "fixtures"
PROV = Provenance("lemmy.ca", "lemmy-v3", "0.19.20", datetime(2026, 1, 1, tzinfo=UTC), "r")
PAGES = sorted(FIXTURES.glob("lemmy-v3/*/comment-list__*.json")) + sorted(
    FIXTURES.glob("real/lemmy-0.19.18-test-instance/comment-list__*.json")
)


def via_models(body: bytes | str) -> tuple[CommentRecord, ...]:
    model = lemmy_v3.MODELS.comment_list
    doc = validate(model, body, dialect="lemmy-v3", endpoint="comment/list", source="t")
    return tuple(comment_record(v, PROV) for v in doc.views)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_canonical_pages_take_the_fast_path_and_agree(page: Path) -> None:
    """Every saved 0.19 comment-list page is read by the fast path, record for record."""
    body = page.read_bytes()

    fast = comment_list_v3(body, PROV)

    assert fast is not None
    assert fast == via_models(body)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda c: c["counts"].update(score="3"), "a number as a string"),
        (lambda c: c["comment"].update(published="2026-01-01T00:00:00.123456789Z"), "nanoseconds"),
        (lambda c: c["comment"].update(published="2026-01-01T00:00:00"), "a 0.18 naive stamp"),
        (lambda c: c["comment"].update(published="2026-13-01T00:00:00Z"), "an impossible date"),
        (lambda c: c["comment"].update(published="2026-W01-1T00:00:00Z"), "an ISO week date"),
        (lambda c: c["comment"].update(published="2026-01-01T00:00:00,5Z"), "a decimal comma"),
        (lambda c: c["comment"].update(published="2026-01-01 00:00:00Z"), "a space for the T"),
        (lambda c: c["comment"].update(published="2026-01-01T00:00:0\u0661Z"), "an Arabic digit"),
        (lambda c: c["comment"].update(deleted="true"), "a flag as a string"),
        (lambda c: c["comment"].pop("content"), "content missing (the models read body)"),
        (lambda c: c["creator"].pop("actor_id"), "actor under another name"),
        (lambda c: c.pop("counts"), "counts on the object"),
    ],
)
def test_anything_unusual_is_left_to_the_models(change: Any, why: str) -> None:
    """Tolerated variants and errors alike make the fast path decline."""
    doc = json.loads(PAGES[0].read_bytes())
    change(doc["comments"][0])

    assert comment_list_v3(json.dumps(doc), PROV) is None, why


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.sampled_from(
        ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00.5Z", "2026-13-01T00:00:00Z", "1", "0.5.7"]
    ),
)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_mutated_pages_agree_with_the_models_or_are_declined(data: st.DataObject) -> None:
    """Replace or drop any field of any view: the fast path returns the models' records,
    or declines; it never accepts what the models refuse."""
    doc = json.loads(PAGES[0].read_bytes())
    view = data.draw(st.sampled_from(doc["comments"][:5]))
    part = data.draw(st.sampled_from(["comment", "creator", "counts", "post"]))
    key = data.draw(st.sampled_from(sorted(view[part])))
    if data.draw(st.booleans()):
        view[part][key] = data.draw(VALUES)
    else:
        del view[part][key]
    text = json.dumps(doc, ensure_ascii=data.draw(st.booleans()))
    body: bytes | str = text.encode() if data.draw(st.booleans()) else text

    fast = comment_list_v3(body, PROV)
    try:
        expected: tuple[CommentRecord, ...] | None = via_models(body)
    except (ParseError, ValueError):
        expected = None

    if expected is None:
        assert fast is None
    elif fast is not None:
        assert fast == expected


def test_invalid_utf8_where_no_record_reads_declines_as_the_models_refuse() -> None:
    """The fast path skips most of each view, but not the UTF-8 check the models make."""
    doc = json.loads(PAGES[0].read_bytes())
    doc["comments"][0]["community"]["title"] = "MARK"
    body = json.dumps(doc).encode().replace(b"MARK", b"\xff\xfe")

    with pytest.raises(ParseError):
        via_models(body)
    assert comment_list_v3(body, PROV) is None
    assert comment_list_v3(body.replace(b"\xff\xfe", "é".encode()), PROV) is not None
