"""Schema drift: fields renamed between versions, missing, null, extra, numbers as
strings, counts moved, timestamps in every seen format. Parsed where the meaning is
clear; otherwise one ParseError for that page naming the JSON path."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from fedithreads.core.records import CommentRecord, Provenance
from fedithreads.dialects import parse_page
from fedithreads.errors import ParseError
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.synth.generate import generate_thread
from tests.collect.conftest import collect, collected_ids, settings_for

FIXTURES = Path(__file__).parents[2] / "fixtures"
PROV = Provenance("lemmy.example", "x", "0", datetime(2026, 1, 1, tzinfo=UTC), "drift")
ROWS = {"lemmy-v3": "comments", "lemmy-v4": "items", "piefed": "comments"}


@cache
def page(dialect: str) -> dict[str, Any]:
    """The first two comments of the dialect's big-thread page one."""
    doc: dict[str, Any] = json.loads(
        (FIXTURES / dialect / "big-thread" / "comment-list__page-01.json").read_bytes()
    )
    doc[ROWS[dialect]] = doc[ROWS[dialect]][:2]
    return doc


def first(dialect: str, change: Callable[[dict[str, Any]], object]) -> CommentRecord:
    """Parse the page after ``change`` edits its first comment view; that comment."""
    doc = copy.deepcopy(page(dialect))
    change(doc[ROWS[dialect]][0])
    parsed = parse_page(doc, dialect=dialect, endpoint="comment/list", prov=PROV, source="t")
    return parsed.comments[0]


def untouched(dialect: str) -> CommentRecord:
    return first(dialect, lambda view: None)


def rename(where: str, old: str, new: str) -> Callable[[dict[str, Any]], object]:
    return lambda view: view[where].__setitem__(new, view[where].pop(old))


CLEAR = [
    ("lemmy-v3", rename("comment", "published", "published_at"), "v3 with v4's published_at"),
    ("lemmy-v3", rename("comment", "content", "body"), "v3 with PieFed's body"),
    ("lemmy-v3", rename("creator", "actor_id", "ap_id"), "v3 with v4's ap_id"),
    ("lemmy-v4", rename("comment", "published_at", "published"), "v4 with v3's published"),
    ("lemmy-v4", rename("creator", "ap_id", "actor_id"), "v4 with v3's actor_id"),
    ("piefed", rename("creator", "user_name", "name"), "PieFed with Lemmy's name"),
    ("piefed", rename("comment", "body", "content"), "PieFed with Lemmy's content"),
    ("lemmy-v3", lambda v: v.update(brand_new={"x": [1]}), "an unknown extra field"),
    ("lemmy-v3", lambda v: v["counts"].update(upvotes=str(v["counts"]["upvotes"])), "a string"),
    ("lemmy-v3", lambda v: v["comment"].pop("updated", None), "a missing optional"),
]


@pytest.mark.parametrize(("dialect", "change"), [c[:2] for c in CLEAR], ids=[c[2] for c in CLEAR])
def test_drift_with_a_clear_meaning_parses_to_the_same_record(
    dialect: str, change: Callable[[dict[str, Any]], object]
) -> None:
    """A field under a name another version uses, an extra field, a number as a string
    or a missing optional: the same record as the untouched document."""
    assert first(dialect, change) == untouched(dialect)


def test_null_flags_and_child_counts_mean_their_defaults() -> None:
    """deleted/removed/distinguished null are false; child_count null or absent is 0."""

    def nulls(view: dict[str, Any]) -> None:
        view["comment"].update(deleted=None, removed=None, distinguished=None)
        view["counts"]["child_count"] = None

    got = first("lemmy-v3", nulls)
    gone = first("lemmy-v3", lambda v: v["counts"].pop("child_count"))

    assert (got.deleted, got.removed, got.distinguished, got.child_count) == (
        False,
        False,
        False,
        0,
    )
    assert gone.child_count == 0


def test_counts_where_the_other_generation_keeps_them_are_read() -> None:
    """Early 1.0 alphas kept a counts object in v4 views; a v3 view may carry them on
    the comment: either way the numbers are read."""
    v4 = untouched("lemmy-v4")

    def to_counts_object(view: dict[str, Any]) -> None:
        c = view["comment"]
        view["counts"] = {k: c.pop(k) for k in ("score", "upvotes", "downvotes", "child_count")}

    def onto_comment(view: dict[str, Any]) -> None:
        view["comment"].update(view.pop("counts"))

    assert first("lemmy-v4", to_counts_object) == v4
    assert first("lemmy-v3", onto_comment) == untouched("lemmy-v3")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-01T00:00:00Z", datetime(2026, 5, 1, tzinfo=UTC)),
        ("2023-07-24T18:07:33.327542", datetime(2023, 7, 24, 18, 7, 33, 327542, tzinfo=UTC)),
        ("2026-05-01 00:00:00", datetime(2026, 5, 1, tzinfo=UTC)),
        ("2026-05-01T00:00:00.123456789Z", datetime(2026, 5, 1, 0, 0, 0, 123456, tzinfo=UTC)),
        ("2026-05-01T09:30:00+09:30", datetime(2026, 5, 1, tzinfo=UTC)),
        (1_777_593_600, datetime(2026, 5, 1, tzinfo=UTC)),
    ],
)
def test_timestamps_in_every_seen_format_are_utc(text: object, expected: datetime) -> None:
    """Z, naive (0.18), a space for the T, nine digits, an offset, Unix seconds."""
    got = first("piefed", lambda v: v["comment"].__setitem__("published", text)).published

    assert got == expected
    assert got.utcoffset() == UTC.utcoffset(None)


UNCLEAR = [
    (lambda v: v["counts"].__setitem__("score", None), "$.comments[0].counts.score", "integer"),
    (lambda v: v["comment"].__setitem__("id", "abc"), "$.comments[0].comment.id", "integer"),
    (lambda v: v["comment"].__setitem__("id", 2**63), "$.comments[0].comment.id", "less than"),
    (lambda v: v["comment"].pop("published"), "$.comments[0].comment.published", "required"),
    (lambda v: v.pop("counts"), "$", "a comment without counts"),
    (
        lambda v: v["comment"].__setitem__("published", "9999-12-31T23:00:00-05:00"),
        "$.comments[0].comment.published",
        "out of the range",
    ),
    (lambda v: v["comment"].__setitem__("path", ["0", "1"]), "$.comments[0].comment.path", "str"),
]


@pytest.mark.parametrize(("change", "where", "words"), UNCLEAR)
def test_drift_without_a_clear_meaning_is_one_parse_error_naming_the_path(
    change: Callable[[dict[str, Any]], object], where: str, words: str
) -> None:
    """A null score, an id that is not a number or does not fit 64 bits, no timestamp,
    no counts anywhere, a date out of range: one ParseError with the JSON path."""
    with pytest.raises(ParseError) as caught:
        first("lemmy-v3", change)

    assert caught.value.json_path == where
    assert words in caught.value.problem
    assert "\n" not in str(caught.value)


def test_a_drifted_server_is_collected_completely_over_http(tmp_path: Path) -> None:
    """A server whose comments say published_at, body and ap_id (and null flags) on the
    v3 API: every comment is collected, the thread complete."""
    thread = generate_thread(8, instance="lemmy.ca", n_comments=150, post_id=12)
    dataset = ReplayDataset.from_threads([thread])
    with ReplayServer(dataset, quirks=Quirks(published_rate_limit=(60_000, 60))) as server:
        routes = server.api._routes  # type: ignore[attr-defined]
        original = routes["/api/v3/comment/list"]

        def drifted(params: Any) -> Any:
            doc = json.loads(json.dumps(original(params)))  # no shared sub-objects
            for view in doc["comments"]:
                comment, creator = view["comment"], view["creator"]
                comment["published_at"] = comment.pop("published")
                comment["body"] = comment.pop("content", None)
                comment["distinguished"] = None
                creator["ap_id"] = creator.pop("actor_id")
            return doc

        routes["/api/v3/comment/list"] = drifted
        report = collect(settings_for(tmp_path), f"{server.base_url}/post/12")

    assert report.ok
    assert collected_ids(tmp_path) == dataset.comment_ids(12)
