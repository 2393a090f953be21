"""The encoder: records → server-shaped documents that parse back to the same records."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from msgspec.structs import replace

from fedithreads.core.records import CommentRecord, Page, PostRecord, Provenance
from fedithreads.dialects import parse_page
from fedithreads.replay.encode.documents import Encoder, decode_cursor, encode_cursor, format_time
from tests.factories import T0, hand_thread

# (dialect, server_version): every shape the encoder writes
SHAPES = [
    ("lemmy-v3", "0.19.20"),
    ("lemmy-v3", "0.19.3"),
    ("lemmy-v3", "0.18.5"),
    ("lemmy-v4", "1.0.0-beta.1"),
    ("piefed", "1.7.0"),
]
COMMUNITY = "https://lemmy.world/c/technology"
MOD = "https://lemmy.world/u/moddy"


def prov_of(dialect: str, version: str) -> Provenance:
    return Provenance("a.example", dialect, version, T0 + timedelta(days=10), "run-1")


def records(dialect: str, version: str) -> tuple[PostRecord, list[CommentRecord]]:
    """The hand thread in a remote community, with the odd cases the encoder must keep:
    a whole-second time, a millisecond time, an edit, a distinguished mod comment."""
    prov = prov_of(dialect, version)
    fields = {"dialect": dialect, "server_version": version, "run_id": prov.run_id}
    p, comments = hand_thread()
    p = replace(p, community="technology@lemmy.world", community_ap_id=COMMUNITY, **fields)
    p = replace(p, newest_comment_time=comments[-1].published, body="Line one.\n\nTwo ✓")
    comments = [replace(c, **fields) for c in comments]
    comments[0] = replace(comments[0], published=datetime(2026, 1, 1, 0, 10, tzinfo=UTC))
    comments[1] = replace(comments[1], published=T0 + timedelta(minutes=20, microseconds=500_000))
    comments[2] = replace(comments[2], updated=T0 + timedelta(minutes=31, microseconds=318_204))
    comments[4] = replace(
        comments[4], author="moddy@lemmy.world", author_ap_id=MOD, distinguished=True
    )
    return p, comments


def encoder(dialect: str, version: str) -> Encoder:
    return Encoder("a.example", dialect, version, moderators={COMMUNITY: [MOD]})


def parse(doc: dict[str, Any], enc: Encoder, endpoint: str) -> Page:
    """Parse the bytes the server would send, as a client receives them."""
    wire = json.loads(enc.dumps(doc))
    prov = prov_of(enc.dialect, enc.server_version)
    return parse_page(wire, dialect=enc.dialect, endpoint=endpoint, prov=prov, source="t")


@pytest.mark.parametrize(("dialect", "version"), SHAPES)
def test_comment_list_round_trips(dialect: str, version: str) -> None:
    """A comment page parses back to the very records encoded, deleted and removed included."""
    post, comments = records(dialect, version)
    enc = encoder(dialect, version)

    page = parse(enc.comment_list(comments, post), enc, "comment/list")

    assert list(page.comments) == comments


@pytest.mark.parametrize(("dialect", "version"), SHAPES)
def test_get_post_round_trips(dialect: str, version: str) -> None:
    """``GET /post`` parses back to the post record, body and counts intact."""
    post, _ = records(dialect, version)
    enc = encoder(dialect, version)

    page = parse(enc.get_post(post), enc, "post")

    assert page.posts == (post,)


@pytest.mark.parametrize(("dialect", "version"), SHAPES)
def test_get_comment_and_post_list_round_trip(dialect: str, version: str) -> None:
    """``GET /comment`` and ``GET /post/list`` parse back to their records."""
    post, comments = records(dialect, version)
    enc = encoder(dialect, version)

    one = parse(enc.get_comment(comments[5], post), enc, "comment")
    listed = parse(enc.post_list([post, replace(post, post_id=101)]), enc, "post/list")

    assert one.comments == (comments[5],)
    assert listed.posts == (post, replace(post, post_id=101))


@pytest.mark.parametrize(
    ("style", "value", "expected"),
    [
        ("autosi", datetime(2026, 5, 1, tzinfo=UTC), "2026-05-01T00:00:00Z"),
        ("autosi", datetime(2026, 5, 1, 0, 0, 1, 500_000, tzinfo=UTC), "2026-05-01T00:00:01.500Z"),
        (
            "autosi",
            datetime(2026, 5, 1, 0, 0, 1, 540_112, tzinfo=UTC),
            "2026-05-01T00:00:01.540112Z",
        ),
        ("autosi", datetime(2026, 5, 1, 0, 0, 1, 120, tzinfo=UTC), "2026-05-01T00:00:01.000120Z"),
        (
            "naive",
            datetime(2023, 7, 24, 18, 7, 33, 327_542, tzinfo=UTC),
            "2023-07-24T18:07:33.327542",
        ),
        ("naive", datetime(2023, 7, 24, tzinfo=UTC), "2023-07-24T00:00:00"),
        ("micro", datetime(2026, 5, 1, tzinfo=UTC), "2026-05-01T00:00:00.000000Z"),
    ],
)
def test_timestamps_are_written_the_servers_way(style: str, value: datetime, expected: str) -> None:
    """AutoSi keeps the fewest of 0/3/6 digits with ``Z``; 0.18 is naive; PieFed always 6."""
    assert format_time(value, style) == expected


def test_a_non_utc_time_is_written_in_utc() -> None:
    """Aware times in another zone are converted, never written with their offset."""
    value = datetime(2026, 5, 1, 4, tzinfo=timezone(timedelta(hours=2)))

    assert format_time(value, "autosi") == "2026-05-01T02:00:00Z"


def test_deleted_and_removed_comments_have_blank_text_in_every_dialect() -> None:
    """0.19.4+, 1.0 and PieFed blank the text of deleted/removed comments: ``""``."""
    texts = []
    for dialect, version in SHAPES:
        post, comments = records(dialect, version)
        view = encoder(dialect, version).comment_view(comments[7], post)
        texts.append(view["comment"].get("content", view["comment"].get("body")))

    assert texts == [""] * len(SHAPES)


def test_lemmy_leaves_out_none_fields_and_piefed_writes_nulls() -> None:
    """Lemmy's skip_serializing_none drops absent optionals; PieFed keeps explicit nulls."""
    post, comments = records("lemmy-v3", "0.19.20")
    post = replace(post, body=None)

    v3 = encoder("lemmy-v3", "0.19.20").comment_list(comments[:1], post)
    pf = encoder("piefed", "1.7.0").comment_list(comments[:1], post)

    assert {"url", "body", "updated"}.isdisjoint(v3["comments"][0]["post"])
    assert "updated" not in v3["comments"][0]["comment"]
    assert "my_vote" not in v3["comments"][0]
    assert pf["next_page"] is None
    assert pf["comments"][0]["comment"]["emoji_reactions"] is None


def test_version_switch_gives_the_0_18_shape() -> None:
    """0.18: naive times, aggregates with ``id``/``hot_rank``, ``creator.admin``, no mod flags."""
    post, comments = records("lemmy-v3", "0.18.5")

    view = encoder("lemmy-v3", "0.18.5").comment_view(comments[0], post)

    assert view["comment"]["published"] == "2026-01-01T00:10:00"
    assert {"id", "hot_rank"} <= set(view["counts"])
    assert view["creator"]["admin"] is False
    assert "creator_is_moderator" not in view


def test_0_19_0_and_0_19_1_omit_newest_comment_time() -> None:
    """Only 0.19.0/0.19.1 leave ``newest_comment_time`` out of post counts."""
    post, _ = records("lemmy-v3", "0.19.1")

    counts = {v: encoder("lemmy-v3", v).post_view(post)["counts"] for v in ("0.19.1", "0.19.2")}

    assert "newest_comment_time" not in counts["0.19.1"]
    assert counts["0.19.2"]["newest_comment_time"] == "2026-01-02T00:00:00Z"


def test_v4_puts_counts_on_objects_with_at_names_and_snake_case() -> None:
    """1.0 has no ``counts``: scores sit on ``comment``/``post``, times are ``*_at``."""
    post, comments = records("lemmy-v4", "1.0.0-beta.1")

    view = encoder("lemmy-v4", "1.0.0-beta.1").comment_view(comments[0], post)

    assert "counts" not in view
    assert (view["comment"]["score"], view["comment"]["child_count"]) == (4, 3)
    assert view["comment"]["published_at"] == "2026-01-01T00:10:00Z"
    assert view["community"]["ap_id"] == COMMUNITY
    assert view["community"]["visibility"] == "public"


def test_local_flags_and_ids_come_from_the_ap_ids() -> None:
    """``local`` means "the ap_id's host is the instance"; ids are stable whatever the order."""
    post, comments = records("lemmy-v3", "0.19.20")
    first, second = encoder("lemmy-v3", "0.19.20"), encoder("lemmy-v3", "0.19.20")
    second.person("https://c.example/u/erin", "erin")  # a different first request

    a = first.comment_view(comments[1], post)
    b = second.comment_view(comments[1], post)

    assert a["creator"]["id"] == b["creator"]["id"]
    assert (a["comment"]["local"], a["creator"]["local"]) == (True, False)
    assert (a["post"]["local"], a["community"]["local"]) == (True, False)
    assert a["community"]["instance_id"] != 1
    assert first.local_id("instance", "a.example") == 1


def test_moderators_and_distinguished_author_are_flagged() -> None:
    """``GET /post`` lists the moderators and their comments say ``creator_is_moderator``."""
    post, comments = records("lemmy-v3", "0.19.20")
    enc = encoder("lemmy-v3", "0.19.20")

    doc = enc.get_post(post)
    view = enc.comment_view(comments[4], post)

    assert [m["moderator"]["actor_id"] for m in doc["moderators"]] == [MOD]
    assert (view["creator_is_moderator"], view["comment"]["distinguished"]) == (True, True)


@pytest.mark.parametrize(
    ("dialect", "version", "path", "expected"),
    [
        ("lemmy-v3", "0.19.20", ("message", "message_per_second"), (180, 60)),
        ("lemmy-v3", "0.18.5", ("message", "message_per_second"), (180, 60)),
        (
            "lemmy-v4",
            "1.0.0-beta.1",
            ("message_max_requests", "message_interval_seconds"),
            (180, 60),
        ),
    ],
)
def test_site_reports_version_and_message_rate_limit(
    dialect: str, version: str, path: tuple[str, str], expected: tuple[int, int]
) -> None:
    """``GET /site`` carries ``version`` and the default message bucket under each name."""
    site = Encoder("a.example", dialect, version).site()

    limits = site["site_view"]["local_site_rate_limit"]

    assert site["version"] == version
    assert (limits[path[0]], limits[path[1]]) == expected


def test_piefed_site_has_version_and_downvote_setting() -> None:
    """PieFed's ``/site`` is ``{version, admins, site}``; a site can disable downvotes."""
    site = Encoder("p.example", "piefed", "1.7.0", downvotes=False).site()

    assert (site["version"], site["site"]["enable_downvotes"]) == ("1.7.0", False)


def test_v4_cursors_are_opaque_tokens_that_decode_back() -> None:
    """A v4 page token is url-safe base64 and names the id and direction it was made from."""
    token = encode_cursor(21950885, back=True)

    assert token.replace("-", "").replace("_", "").isalnum()
    assert decode_cursor(token) == (21950885, True)
    with pytest.raises(ValueError, match="not a page cursor"):
        decode_cursor("P1c6")


def test_v4_list_leaves_out_missing_page_tokens() -> None:
    """``PagedResponse`` omits ``next_page`` (the end signal) and ``prev_page`` when None."""
    post, comments = records("lemmy-v4", "1.0.0-beta.1")
    enc = encoder("lemmy-v4", "1.0.0-beta.1")

    last = enc.comment_list(comments, post, prev_page=encode_cursor(1, back=True))

    assert set(last) == {"items", "prev_page"}


def test_piefed_maps_removal_and_edits_its_own_way() -> None:
    """PieFed has one ``deleted`` column (removed ⇒ not deleted) and calls a post edit
    ``edited_at``."""
    post, comments = records("piefed", "1.7.0")
    enc = encoder("piefed", "1.7.0")
    both = replace(comments[7], deleted=True, removed=True)

    view = enc.comment_view(both, post)
    edited = enc.post_view(replace(post, updated=T0 + timedelta(hours=1)))

    assert (view["comment"]["deleted"], view["comment"]["removed"]) == (False, True)
    assert edited["post"]["edited_at"] == "2026-01-01T01:00:00.000000Z"


def test_unknown_dialect_and_version_are_refused() -> None:
    """A typo in the dialect or a version without semver is a clear ValueError."""
    with pytest.raises(ValueError, match="unknown dialect"):
        Encoder("a.example", "lemmy-v5")
    with pytest.raises(ValueError, match="semver"):
        Encoder("a.example", "lemmy-v3", "latest")


def test_dumps_writes_compact_json_lemmy_utf8_piefed_escaped() -> None:
    """Lemmy (serde) sends raw UTF-8; PieFed (Flask) escapes non-ASCII."""
    post, _ = records("lemmy-v3", "0.19.20")

    lemmy = encoder("lemmy-v3", "0.19.20").dumps(encoder("lemmy-v3", "0.19.20").get_post(post))
    pf = encoder("piefed", "1.7.0").dumps(encoder("piefed", "1.7.0").get_post(post))

    assert "✓".encode() in lemmy
    assert b", " not in lemmy
    assert b"\\u2713" in pf
    assert "✓".encode() not in pf
