"""Moderation logs of the three dialects → ModAction records, on the hand-made fixtures
(written from the Lemmy source and lemmy-js-client types; no public capture exists)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fedithreads.core.records import ModAction, Provenance
from fedithreads.dialects import parse_page, sniff
from fedithreads.errors import ParseError

HANDMADE = Path(__file__).parents[2] / "fixtures" / "handmade"
WHEN = datetime(2026, 8, 2, tzinfo=UTC)


def actions(directory: str, dialect: str) -> tuple[ModAction, ...]:
    body = (HANDMADE / directory / "modlog__handmade-technology.json").read_bytes()
    prov = Provenance("x.example", dialect, "v", WHEN, "r")
    return parse_page(body, dialect=dialect, endpoint="modlog", prov=prov, source="f").actions


def summary(a: ModAction) -> tuple[Any, ...]:
    return (a.log_id, a.action, a.reverted, a.moderator, a.comment_ap_id or a.post_ap_id,
            a.person_ap_id, a.reason, a.acted_at)  # fmt: skip


def test_lemmy_019_lists_become_one_action_each_named_as_lemmy_10_names_them() -> None:
    """0.19: a restore is a reverted mod_remove_post, a lock, two comment removals (one
    without a reason), a community ban with its end; no moderator is shown."""
    found = {a.log_id: a for a in actions("modlog-lemmy-0.19", "lemmy-v3")}

    assert summary(found[310445]) == (
        310445, "mod_remove_comment", False, None, "https://lemmy.world/comment/20593377",
        "https://lemmy.world/u/zelbekfen", "Rule 2: no personal attacks",
        datetime(2026, 7, 27, 19, 2, 11, 500000, tzinfo=UTC),
    )  # fmt: skip
    assert found[310980].reason is None
    assert (found[88121].action, found[88121].reverted) == ("mod_remove_post", True)
    assert found[88121].post_ap_id == "https://lemmy.world/post/33100210"
    assert (found[20114].action, found[20114].reverted) == ("mod_lock_post", False)
    ban = found[5521]
    assert (ban.action, ban.person_ap_id) == (
        "mod_ban_from_community",
        "https://sopuli.xyz/u/zelkalu551",
    )
    assert ban.expires == datetime(2026, 8, 30, 6, tzinfo=UTC)
    assert {a.community_ap_id for a in found.values()} == {"https://lemmy.world/c/technology"}
    assert {a.moderator for a in found.values()} == {None}
    assert len(found) == 5


def test_lemmy_10_items_keep_their_kind_revert_and_targets() -> None:
    """1.0: items carry the kind and is_revert themselves (a lifted site ban)."""
    found = {a.log_id: a for a in actions("modlog-lemmy-1.0", "lemmy-v4")}

    assert summary(found[77012]) == (
        77012, "mod_remove_comment", False, None, "https://lemmy.world/comment/20614067",
        "https://lemmy.world/u/rensenmar", "Off topic", datetime(2026, 7, 28, 21, 30, tzinfo=UTC),
    )  # fmt: skip
    assert (found[77004].action, found[77004].reverted, found[77004].comment_ap_id) == (
        "admin_ban",
        True,
        None,
    )
    assert found[76990].reason == "Spam"


def test_piefed_shows_the_moderator_and_writes_nulls() -> None:
    """PieFed names the moderator (user_name@host); an entry whose comment is gone keeps
    its kind and time with null targets; a restore is reverted."""
    found = {a.log_id: a for a in actions("modlog-piefed", "piefed")}

    assert found[4410].moderator == "tech_mod@piefed.social"
    assert found[4410].comment_ap_id == "https://lemmy.world/comment/20593377"
    assert (found[4402].reverted, found[4402].comment_ap_id, found[4402].moderator) == (
        True,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("directory", "dialect"),
    [
        ("modlog-lemmy-0.19", "lemmy-v3"),
        ("modlog-lemmy-1.0", "lemmy-v4"),
        ("modlog-piefed", "piefed"),
    ],
)
def test_a_saved_modlog_is_recognised_by_its_shape(directory: str, dialect: str) -> None:
    """Saved modlog answers are told apart from lists of posts or comments."""
    doc = json.loads((HANDMADE / directory / "modlog__handmade-technology.json").read_text())
    found_dialect, endpoint = sniff(doc)
    assert endpoint == "modlog"
    assert found_dialect in (dialect, None)


def test_a_modlog_entry_without_a_time_is_one_parse_error() -> None:
    """A removal whose when_ is missing names its JSON path."""
    doc = json.loads(
        (HANDMADE / "modlog-lemmy-0.19" / "modlog__handmade-technology.json").read_text()
    )
    del doc["removed_comments"][0]["mod_remove_comment"]["when_"]
    prov = Provenance("x.example", "lemmy-v3", None, WHEN, "r")
    with pytest.raises(ParseError) as caught:
        parse_page(doc, dialect="lemmy-v3", endpoint="modlog", prov=prov, source="s")
    assert "when_" in caught.value.json_path
