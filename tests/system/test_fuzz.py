"""Fuzzing what servers send: real responses (fixtures/real, the big-thread pages),
mutated by hypothesis, must parse into table rows or raise ParseError, never anything
else; the retry classifier must take any status, headers and body."""

from __future__ import annotations

import copy
import json
import os
import random
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fedithreads.analysis.frames import build_tables
from fedithreads.collect.retry import RetryPolicy, classify, retry_after
from fedithreads.core.records import Provenance
from fedithreads.dialects import parse_page, sniff
from fedithreads.dialects.common import validate
from fedithreads.dialects.meta import NodeInfo, NodeInfoLinks, PiefedSite, V3Site, V4Site
from fedithreads.errors import ParseError

FIXTURES = Path(__file__).parents[2] / "fixtures"
PROV = Provenance("lemmy.example", "lemmy-v3", "0.19.20", datetime(2026, 1, 1, tzinfo=UTC), "f")
EXPLORE = os.environ.get("FEDITHREADS_FUZZ_EXAMPLES")
FUZZ = settings(
    max_examples=int(EXPLORE or 250),
    derandomize=not EXPLORE,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
"""The same 250 examples on every run (a stable suite); ``scripts/reliability --explore``
sets FEDITHREADS_FUZZ_EXAMPLES to search afresh with more."""


@cache
def samples() -> tuple[tuple[str, str, str, Any], ...]:
    """(name, dialect, endpoint, document) of every real response and every big-thread
    post and first comment page, lists cut to four rows so that mutations hit rows."""
    paths = sorted((FIXTURES / "real").rglob("*.json"))
    for dialect in ("lemmy-v3", "lemmy-v4", "piefed"):
        big = FIXTURES / dialect / "big-thread"
        paths += [big / "post.json", big / "comment-list__page-01.json"]
    out = []
    for path in paths:
        doc = json.loads(path.read_bytes())
        dialect, endpoint = sniff(doc)
        if dialect is None or endpoint == "site":
            continue
        for key in ("comments", "posts", "items"):
            if isinstance(doc.get(key), list):
                doc[key] = doc[key][:4]
        out.append((path.parent.name + "/" + path.name, dialect, endpoint, doc))
    return tuple(out)


def test_the_fuzzed_samples_cover_every_dialect_and_endpoint() -> None:
    """The corpus spans all three dialects and post, post list and comment list."""
    kinds = {(d, e) for _, d, e, _ in samples()}

    assert {d for d, _ in kinds} == {"lemmy-v3", "lemmy-v4", "piefed"}
    assert {e for _, e in kinds} >= {"post", "post/list", "comment/list"}


def paths_in(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in a JSON document (the root excluded)."""
    found: list[tuple[Any, ...]] = []
    if isinstance(node, dict | list):
        for key, child in node.items() if isinstance(node, dict) else enumerate(node):
            found.append((*prefix, key))
            found += paths_in(child, (*prefix, key))
    return found


TIMESTAMPS = [
    "2026-05-01T00:00:00Z",
    "2026-05-01T00:00:00",
    "2026-05-01 00:00:00",
    "2026-05-01T00:00:00.123456789+14:00",
    "2023-07-24T18:07:33.327542",
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00+05:00",
    "2026-13-45T99:00:00Z",
    "",
    "yesterday",
    1_700_000_000,
    1.7e12,
    -1,
]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(TIMESTAMPS),
    st.sampled_from(["0.1.2", "0.x", "", "0", "1.2.3.4", "https://a:99999/", "http://[::1"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def mutate(doc: Any, path: tuple[Any, ...], how: str, value: Any) -> None:
    """Apply one mutation at ``path``: delete, null, replace, rename or wrap."""
    *head, last = path
    parent = doc
    for key in head:
        parent = parent[key]
    if how == "delete":
        del parent[last]
    elif how == "null":
        parent[last] = None
    elif how == "replace":
        parent[last] = value
    elif how == "wrap":
        parent[last] = [parent[last]]
    elif how == "rename" and isinstance(parent, dict):
        renamed = last[:-3] if last.endswith("_at") else f"{last}_at"
        parent[renamed] = parent.pop(last)
    elif how == "stringify":
        parent[last] = json.dumps(parent[last])


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str, str, Any]:
    name, dialect, endpoint, original = draw(st.sampled_from(samples()))
    doc = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 3))):
        paths = paths_in(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        how = draw(st.sampled_from(["delete", "null", "replace", "rename", "wrap", "stringify"]))
        mutate(doc, path, how, draw(VALUES))
    return name, dialect, endpoint, doc


def parse_and_tabulate(body: Any, dialect: str, endpoint: str) -> str:
    """What the collector does with an answer: parse it, build the table rows; the
    ParseError's message if there is one ("" when the rows were built)."""
    try:
        page = parse_page(body, dialect=dialect, endpoint=endpoint, prov=PROV, source="fuzz")
    except ParseError as exc:
        return str(exc) or "?"
    build_tables(page.posts, page.comments)
    return ""


@FUZZ
@given(mutated())
def test_mutated_real_documents_parse_or_raise_parse_error(
    case: tuple[str, str, str, Any],
) -> None:
    """Renamed, missing, null, wrapped, stringified or replaced fields: rows or one
    ParseError, from the raw bytes and from the decoded document alike."""
    _name, dialect, endpoint, doc = case
    raw = json.dumps(doc, allow_nan=True).encode()

    for body in (raw, doc):
        assert "\n" not in parse_and_tabulate(body, dialect, endpoint)


@FUZZ
@given(st.data())
def test_mangled_bytes_parse_or_raise_parse_error(data: st.DataObject) -> None:
    """Cut off, overwritten or padded bytes of a real answer: rows or one ParseError."""
    _name, dialect, endpoint, doc = data.draw(st.sampled_from(samples()))
    raw = bytearray(json.dumps(doc).encode())
    where = data.draw(st.integers(0, len(raw)))
    how = data.draw(st.sampled_from(["cut", "overwrite", "insert"]))
    junk = data.draw(st.binary(min_size=1, max_size=8))
    if how == "cut":
        del raw[where:]
    elif how == "overwrite":
        raw[where : where + len(junk)] = junk
    else:
        raw[where:where] = junk

    assert "\n" not in parse_and_tabulate(bytes(raw), dialect, endpoint)


META = [
    (NodeInfoLinks, {"links": [{"rel": "x", "href": "https://a.example/nodeinfo/2.1"}]}),
    (NodeInfo, {"software": {"name": "lemmy", "version": "0.19.20"}}),
    (V3Site, {"version": "0.19.20", "site_view": {"local_site_rate_limit": {"message": 180}}}),
    (V4Site, {"site_view": {"local_site_rate_limit": {"message_max_requests": 1}}}),
    (PiefedSite, {"version": "1.7.0"}),
]


@FUZZ
@given(st.data())
def test_mutated_server_metadata_validates_or_raises_parse_error(data: st.DataObject) -> None:
    """nodeinfo and /site documents, mutated: a model or ParseError; the rate limit a
    site publishes is positive or absent."""
    model, original = data.draw(st.sampled_from(META))
    doc = copy.deepcopy(original)
    paths = paths_in(doc)
    path = data.draw(st.sampled_from(paths))
    mutate(doc, path, data.draw(st.sampled_from(["delete", "null", "replace"])), data.draw(VALUES))

    try:
        found = validate(model, doc, dialect="meta", endpoint="meta", source="fuzz")
    except ParseError:
        return
    if isinstance(found, V3Site | V4Site | PiefedSite):
        limit = found.message_limit()
        assert limit is None or (limit[0] > 0 and limit[1] > 0)
    if isinstance(found, NodeInfoLinks):
        found.href()


HEADER_NAMES = st.sampled_from(["retry-after", "x-ratelimit-reset", "content-type", "location"])


@FUZZ
@given(
    st.integers(100, 599),
    st.dictionaries(HEADER_NAMES, st.text(max_size=40), max_size=4),
    st.one_of(st.binary(max_size=200), st.sampled_from([b"", b"{}", b'{"error": 5}', b"[]"])),
)
def test_any_answer_is_classified_and_any_wait_is_a_finite_number(
    status: int, headers: dict[str, str], body: bytes
) -> None:
    """classify never raises; its wait is None or a finite, non-negative number of
    seconds; its error is one printable line."""
    now = datetime(2026, 11, 1, tzinfo=UTC)
    answer = classify(status, headers, body, now=now)
    wait = retry_after(headers, now=now)

    assert answer.kind in {
        "ok",
        "rate_limited",
        "server",
        "not_json",
        "page_ceiling",
        "not_found",
        "refused",
        "redirect",
    }
    assert wait is None or 0.0 <= wait < float("inf")
    assert answer.error is None or (answer.error.isprintable() and len(answer.error) <= 120)
    if answer.retryable:
        seconds = RetryPolicy().wait(1, answer, random.Random(0))
        assert 0.0 <= seconds < float("inf")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("published", "9999-12-31T23:59:59-05:00"),
        ("id", 2**63),
        ("path", "0.x.y"),
        ("ap_id", "https://a.example:99999/comment/1"),
    ],
)
def test_values_no_table_can_hold_are_parse_errors_or_rejected_rows(field: str, value: Any) -> None:
    """A date past 9999 once in UTC and an id past 64 bits are ParseErrors; a path that is
    not a path is a rejected row; an impossible port in an ap_id does not crash."""
    doc = json.loads((FIXTURES / "lemmy-v3/big-thread/comment-list__page-01.json").read_bytes())
    doc["comments"] = doc["comments"][:2]
    doc["comments"][0]["comment"][field] = value

    try:
        page = parse_page(doc, dialect="lemmy-v3", endpoint="comment/list", prov=PROV, source="t")
    except ParseError:
        assert field in ("published", "id")
        return
    tables = build_tables(page.posts, page.comments)
    assert tables.comments.height + len(tables.rejected) == 2
