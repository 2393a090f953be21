"""Records are values: immutable, equal and hashed by their snapshot fields."""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from fedithreads.core.records import CommentRecord, PostRecord
from tests.factories import comment, post


def test_a_record_cannot_be_changed_in_place() -> None:
    """Assigning to a field of a post or a comment raises; a copy is made with replace."""
    p, c = post(), comment(1, "0.1")

    with pytest.raises(AttributeError):
        p.score = 5  # type: ignore[misc]
    with pytest.raises(AttributeError):
        c.content = "changed"  # type: ignore[misc]
    assert replace(c, score=5).score == 5
    assert c.score == 0


@pytest.mark.parametrize(
    "change",
    [
        {"author_banned": True},
        {"author_bot": False},
        {"author_deleted": True},
        {"author_display_name": "Alice A."},
    ],
)
def test_the_creators_flags_and_name_are_not_part_of_a_records_identity(
    change: dict[str, object],
) -> None:
    """Two snapshots differing only in how the page showed their creator are equal and
    hash alike, for posts and comments."""
    for record in (post(), comment(1, "0.1")):
        other = replace(record, **change)

        assert other == record
        assert (other != record) is False
        assert hash(other) == hash(record)
        assert len({record, other}) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("score", 7), ("language_id", 3), ("run_id", "run-2"), ("updated", None)],
)
def test_any_other_field_makes_records_differ(field: str, value: object) -> None:
    """A change to a compared field (the language too) makes two records unequal."""
    record = comment(1, "0.1", updated=comment(2, "0.2").published)
    other = replace(record, **{field: value})

    assert other != record
    assert (other == record) is False
    assert len({record, other}) == 2


def test_a_post_and_a_comment_never_compare_equal() -> None:
    """Records of different kinds are different values, whatever their fields."""
    assert post() != comment(1, "0.1")
    assert post() != ("a.example", 100)


def test_the_fields_keep_their_order_and_defaults() -> None:
    """The positional order of the fields is the tables' contract; the optional ones
    default to unknown (``None``) or not featured."""
    assert CommentRecord.__struct_fields__[:4] == ("instance", "comment_id", "post_id", "ap_id")
    assert CommentRecord.__struct_fields__[-5:] == (
        "author_banned",
        "author_bot",
        "author_deleted",
        "language_id",
        "author_display_name",
    )
    assert PostRecord.__struct_fields__[-6:] == (
        "featured",
        "author_banned",
        "author_bot",
        "author_deleted",
        "language_id",
        "author_display_name",
    )
    assert post().featured is False
    assert comment(1, "0.1").author_bot is None
