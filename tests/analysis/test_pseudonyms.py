"""Pseudonymisation: every author column and mention replaced by the keyed hash, by hand."""

from __future__ import annotations

import hashlib
import hmac

import polars as pl
import pytest
from msgspec.structs import replace

from fedithreads.analysis.authors import authors_table
from fedithreads.analysis.frames import build_tables
from fedithreads.analysis.pseudonyms import KEY_ENV, pseudonym_key, pseudonymise
from fedithreads.core import schema
from fedithreads.errors import UsageError
from tests.factories import T0, hand_thread

KEY = b"a key of sixteen+ characters"


def pseudonym(person: str, key: bytes = KEY) -> str:
    """The module's formula, written out: u + 16 hex digits of HMAC-SHA256(key, handle)."""
    return "u" + hmac.new(key, person.encode(), hashlib.sha256).hexdigest()[:16]


def hand_tables() -> dict[str, pl.DataFrame]:
    """The hand thread, one comment mentioning people, and a moderation log entry."""
    p, comments = hand_thread()
    comments[0] = replace(
        comments[0],
        content="thanks @Alice@A.example and https://b.example/u/bob, "
        "cc @carol@b.example. (not @erin, nor mail@a.example)",
    )
    built = build_tables([p], comments)
    moderation = pl.DataFrame(
        {
            "instance": ["a.example"],
            "moderator": ["op@a.example"],
            "moderator_ap_id": ["https://a.example/u/op"],
            "person_ap_id": ["https://c.example/u/zed"],
            "reason": ["spam, see https://c.example/@zed"],
            "acted_at": [T0],
        }
    )
    return {
        "posts": built.posts,
        "comments": built.comments,
        "authors": authors_table(built.posts, built.comments),
        "moderation": moderation,
    }


def test_every_author_column_holds_the_keyed_hash_of_the_handle() -> None:
    """author and author_ap_id become ``<pseudonym>@host`` in posts, comments and authors;
    the moderator and a person known only by actor URL too; hosts are kept."""
    tables = hand_tables()

    out = pseudonymise(tables, KEY)

    alice = f"{pseudonym('alice@a.example')}@a.example"
    op = f"{pseudonym('op@a.example')}@a.example"
    assert out["posts"].select("author", "author_ap_id").row(0) == (op, op)
    assert out["comments"].filter(pl.col("comment_id") == 4)["author"].item() == alice
    assert out["comments"].filter(pl.col("comment_id") == 4)["author_ap_id"].item() == alice
    authors = out["authors"].select("author", "author_ap_id", "host")
    assert (alice, alice, "a.example") in authors.rows()
    mod = out["moderation"].select("moderator", "moderator_ap_id", "person_ap_id").row(0)
    assert mod == (op, op, f"{pseudonym('zed@c.example')}@c.example")


def test_mentions_and_profile_urls_in_text_are_replaced_and_bare_names_are_not() -> None:
    """``@Alice@A.example`` (any case), a /u/ profile URL and ``@carol@b.example`` become
    the same pseudonyms their authors' rows get; ``@erin`` and an e-mail stay."""
    out = pseudonymise(hand_tables(), KEY)

    text = out["comments"].filter(pl.col("comment_id") == 1)["content"].item()
    alice = pseudonym("alice@a.example")
    bob = pseudonym("bob@b.example")
    carol = pseudonym("carol@b.example")
    assert text == (
        f"thanks @{alice}@a.example and https://b.example/u/{bob}, "
        f"cc @{carol}@b.example. (not @erin, nor mail@a.example)"
    )
    reason = out["moderation"]["reason"].item()
    assert reason == f"spam, see https://c.example/@{pseudonym('zed@c.example')}"


def test_no_handle_is_left_in_any_table() -> None:
    """No string column of any table still holds an author's handle or actor URL."""
    tables = hand_tables()
    names = [f"{n}@" for n in ("op", "alice", "bob", "carol", "dave", "erin", "zed")]
    names += [f"/u/{n}" for n in ("op", "alice", "bob", "carol", "dave", "erin", "zed")]

    out = pseudonymise(tables, KEY)

    for table, frame in out.items():
        for column in frame.select(pl.col(pl.String)).iter_columns():
            for value in column.drop_nulls():
                assert not any(name in value.lower() for name in names), (table, value)


def test_the_same_key_gives_the_same_pseudonyms_and_another_key_others() -> None:
    """Two runs with one key agree row by row; another key changes every pseudonym."""
    first = pseudonymise(hand_tables(), KEY)["authors"]
    again = pseudonymise(hand_tables(), KEY)["authors"]
    other = pseudonymise(hand_tables(), b"another key, also long")["authors"]

    assert first.equals(again)
    assert set(first["author"]).isdisjoint(other["author"])
    assert first.drop("author", "author_ap_id").equals(other.drop("author", "author_ap_id"))


def test_other_columns_and_types_are_untouched() -> None:
    """Counts, times and ids are as they were; each table keeps its schema."""
    tables = hand_tables()

    out = pseudonymise(tables, KEY)

    assert out["comments"].schema == tables["comments"].schema
    assert out["authors"].schema == pl.Schema(schema.AUTHORS)
    assert (
        out["comments"]
        .drop("author", "author_ap_id", "content")
        .equals(tables["comments"].drop("author", "author_ap_id", "content"))
    )


@pytest.mark.parametrize(("value", "says"), [(None, "is not set"), ("s3cr3t", "is shorter")])
def test_a_missing_or_short_key_is_a_usage_error_naming_the_variable(
    value: str | None, says: str
) -> None:
    """No key, or one under 16 characters: one line naming the variable, never the key
    (exit 2)."""
    environ = {} if value is None else {KEY_ENV: value}

    with pytest.raises(UsageError) as caught:
        pseudonym_key(environ)

    assert KEY_ENV in str(caught.value)
    assert says in str(caught.value)
    assert "s3cr3t" not in str(caught.value)
    assert caught.value.exit_code == 2


def test_display_names_are_emptied() -> None:
    """A display name is free text a person typed: no pseudonym stands for it, so every
    display name column is null after pseudonymising."""
    tables = hand_tables()
    named = tables["comments"].with_columns(pl.lit("Alice Real-Name").alias("author_display_name"))
    tables = {**tables, "comments": named, "authors": authors_table(tables["posts"], named)}

    out = pseudonymise(tables, KEY)

    assert tables["authors"]["display_name"].drop_nulls().len() > 0
    assert out["comments"]["author_display_name"].null_count() == out["comments"].height
    assert out["authors"]["display_name"].null_count() == out["authors"].height
