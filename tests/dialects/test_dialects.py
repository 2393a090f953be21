"""Dialect models: real responses parse, odd-but-legal shapes parse, bad ones fail clearly."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fedithreads.core.records import Page, Provenance
from fedithreads.dialects import parse_page, sniff
from fedithreads.errors import ParseError

REAL = Path(__file__).parents[2] / "fixtures" / "real"
PROV = Provenance("x.example", "lemmy-v3", None, datetime(2026, 1, 1, tzinfo=UTC), "r")


def load(name: str) -> Any:
    return json.loads(next(REAL.glob(f"*/{name}")).read_text(encoding="utf-8"))


def parse(doc: Any, dialect: str, endpoint: str) -> Page:
    prov = Provenance("x.example", dialect, None, PROV.collected_at, "r")
    return parse_page(doc, dialect=dialect, endpoint=endpoint, prov=prov, source="test.json")


@pytest.mark.parametrize(
    ("name", "dialect", "endpoint", "posts", "comments"),
    [
        ("post-list__lemmy-0.18-sanitized.json", "lemmy-v3", "post/list", 10, 0),
        ("post-list__test-instance.json", "lemmy-v3", "post/list", 3, 0),
        ("comment-list__test-instance.json", "lemmy-v3", "comment/list", 0, 1),
        ("comment-list__handmade-v4-shape.json", "lemmy-v4", "comment/list", 0, 1),
        ("comment-list__piefed-social-top.json", "piefed", "comment/list", 0, 10),
        ("post__piefed-social.json", "piefed", "post", 1, 0),
        ("post-list__piefed-social.json", "piefed", "post/list", 1, 0),
    ],
)
def test_every_real_response_is_recognised_and_parses(
    name: str, dialect: str, endpoint: str, posts: int, comments: int
) -> None:
    """Each saved real response sniffs to its dialect/endpoint and yields its records."""
    doc = load(name)

    assert sniff(doc) == (dialect, endpoint)
    page = parse(doc, dialect, endpoint)

    assert (len(page.posts), len(page.comments)) == (posts, comments)


def test_lemmy_018_naive_timestamps_become_utc() -> None:
    """0.18 writes timestamps without a zone; they are read as UTC."""
    page = parse(load("post-list__lemmy-0.18-sanitized.json"), "lemmy-v3", "post/list")

    first = page.posts[0]
    assert first.published == datetime(2023, 7, 24, 18, 7, 33, 327542, tzinfo=UTC)
    assert first.author == "EmilyIsTrans@lemmy.blahaj.zone"
    assert first.community == "art@lemmy.blahaj.zone"


def test_v3_v4_and_piefed_names_map_onto_the_same_record() -> None:
    """The handmade v4 comment equals its 0.19 original field by field, bar the dialect."""
    v3 = parse(load("comment-list__test-instance.json"), "lemmy-v3", "comment/list").comments[0]
    v4 = parse(load("comment-list__handmade-v4-shape.json"), "lemmy-v4", "comment/list")

    assert v4.comments[0] == v3.__class__(**{**_fields(v3), "dialect": "lemmy-v4"})
    assert v4.next_page == "Pc9"


def test_piefed_fields_map_to_neutral_names() -> None:
    """PieFed's body/user_name/title land in content/author/title."""
    page = parse(load("comment-list__piefed-social-top.json"), "piefed", "comment/list")
    post = parse(load("post__piefed-social.json"), "piefed", "post").posts[0]

    first = page.comments[0]
    assert first.content is not None
    assert first.content.startswith("Keep making live action movies")
    assert first.author == "thethrilloftime69@feddit.online"
    assert first.ap_id == "https://feddit.online/comment/9036401"
    assert page.next_page == "2"
    assert post.title.startswith("'Man of Tomorrow': Xolo Maridue\u00f1a")
    assert post.author == "TheImpressiveX@piefed.social"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-01T00:00:00Z", datetime(2026, 5, 1, tzinfo=UTC)),
        ("2026-05-01T00:00:00", datetime(2026, 5, 1, tzinfo=UTC)),
        ("2026-05-01T00:00:00.5Z", datetime(2026, 5, 1, 0, 0, 0, 500000, tzinfo=UTC)),
        ("2026-05-01T00:00:00.123Z", datetime(2026, 5, 1, 0, 0, 0, 123000, tzinfo=UTC)),
        ("2026-05-01T00:00:00.123456789Z", datetime(2026, 5, 1, 0, 0, 0, 123456, tzinfo=UTC)),
        ("2026-05-01T02:00:00+02:00", datetime(2026, 5, 1, tzinfo=UTC)),
        ("2026-04-30T19:00:00.000001-05:00", datetime(2026, 5, 1, 0, 0, 0, 1, tzinfo=UTC)),
    ],
)
def test_timestamps_in_every_seen_format_become_utc(text: str, expected: datetime) -> None:
    """With or without Z/offset and with 0-9 fractional digits, the instant is UTC-aware."""
    doc = load("comment-list__test-instance.json")
    doc["comments"][0]["comment"]["published"] = text

    got = parse(doc, "lemmy-v3", "comment/list").comments[0].published

    assert got == expected
    assert got.tzinfo is UTC or got.utcoffset() == UTC.utcoffset(None)


def test_missing_optional_keys_and_explicit_nulls_are_both_fine() -> None:
    """Omitted and null optionals parse alike; unknown keys are ignored."""
    doc = load("comment-list__test-instance.json")
    view = doc["comments"][0]
    del view["post"]
    view["comment"]["updated"] = None
    view["comment"]["brand_new_field"] = {"nested": [1, 2]}
    del view["comment"]["distinguished"]

    record = parse(doc, "lemmy-v3", "comment/list").comments[0]

    assert record.updated is None
    assert record.post_ap_id is None
    assert record.distinguished is False


def test_numbers_as_strings_are_read_as_numbers() -> None:
    """A count sent as "3" is the number 3."""
    doc = load("comment-list__test-instance.json")
    doc["comments"][0]["counts"]["upvotes"] = "3"

    assert parse(doc, "lemmy-v3", "comment/list").comments[0].upvotes == 3


def test_blank_content_means_unknown() -> None:
    """A deleted comment's "" content (0.19.4+) is stored as unknown, not as empty."""
    doc = load("comment-list__test-instance.json")
    doc["comments"][0]["comment"].update(content="", deleted=True)

    record = parse(doc, "lemmy-v3", "comment/list").comments[0]

    assert (record.content, record.deleted) == (None, True)


@pytest.mark.parametrize(
    ("mutate", "path", "problem"),
    [
        (
            lambda d: d["comments"][0]["comment"].pop("path"),
            "$.comments[0].comment.path",
            "Field required",
        ),
        (
            lambda d: d["comments"][0]["comment"].update(published="yesterday"),
            "$.comments[0].comment.published",
            "datetime",
        ),
        (
            lambda d: d["comments"][0]["counts"].update(score=None),
            "$.comments[0].counts.score",
            "integer",
        ),
        (lambda d: d.update(comments={"not": "a list"}), "$.comments", "list"),
    ],
)
def test_a_malformed_document_raises_one_parse_error_naming_the_json_path(
    mutate: Any, path: str, problem: str
) -> None:
    """The error names dialect, endpoint, source file and the JSON path of the problem."""
    doc = copy.deepcopy(load("comment-list__test-instance.json"))
    mutate(doc)

    with pytest.raises(ParseError) as caught:
        parse(doc, "lemmy-v3", "comment/list")

    err = caught.value
    assert (err.dialect, err.endpoint, err.source, err.json_path) == (
        "lemmy-v3",
        "comment/list",
        "test.json",
        path,
    )
    assert problem in err.problem
    assert str(err).startswith(f"test.json: lemmy-v3 comment/list: {path}: ")
    assert "\n" not in str(err)


def test_raw_json_bytes_parse_and_truncated_json_is_a_parse_error() -> None:
    """Bytes are validated directly; a cut-off body is reported as not valid JSON."""
    raw = (next(REAL.glob("*/comment-list__test-instance.json"))).read_bytes()

    assert len(parse(raw, "lemmy-v3", "comment/list").comments) == 1
    with pytest.raises(ParseError, match="not valid JSON"):
        parse(raw[:-40], "lemmy-v3", "comment/list")


@pytest.mark.parametrize(
    "doc",
    [[], "text", {"error": "couldnt_find_post"}, {"something": "else"}],
)
def test_sniff_refuses_what_is_not_an_api_document(doc: Any) -> None:
    """Lists, errors and unknown objects are not mistaken for data."""
    with pytest.raises(ValueError):
        sniff(doc)


def _fields(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}
