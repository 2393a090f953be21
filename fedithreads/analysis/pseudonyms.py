"""Pseudonymous tables: every author replaced by a keyed hash, the same for the same key.

A person is named by their handle ``name@host`` (in lower case: Lemmy matches names
without regard to case). Their **pseudonym** is ``u`` and the first 16 hex digits of
HMAC-SHA256(key, handle): the same key gives every person the same pseudonym in every
export and report; without the key nobody can compute it from a name (a guessed handle
cannot be checked). 64 bits: two of a million authors share one with a chance of 3 in
100 million.

What is replaced, in every table given (``pseudonymise``):

- columns naming a person by handle (``author``, ``moderator``): ``<pseudonym>@host``;
- columns naming a person by actor URL (``author_ap_id``, ``moderator_ap_id``,
  ``person_ap_id``): the same ``<pseudonym>@host`` as the handle the rows pair it with
  (an actor URL seen without a handle is ``<last path segment>@<its host>``);
- in every other text column (comment content, post title, body and url, moderation
  reasons, ap_ids): mentions ``@name@host``, and profile URLs ``https://host/u/name``,
  ``https://host/users/name``, ``https://host/@name`` (also with ``@home`` after the
  name), each by the person's pseudonym, the host kept.

Not replaced: a name written without its host (``@alice``, ``u/alice``, ``alice``), a
display name typed in text, and anything an image or a linked page shows. The host stays,
so an instance with few users still narrows down who wrote a row.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

import polars as pl

from fedithreads.core.hosts import host_of
from fedithreads.errors import UsageError

KEY_ENV = "FEDITHREADS_PSEUDONYM_KEY"
"""The environment variable holding the key."""
MIN_KEY_LENGTH = 16

HANDLE_COLUMNS = ("author", "moderator")
DISPLAY_NAME_COLUMNS = ("author_display_name", "display_name")
"""Display names: emptied (null), since no pseudonym can stand for what a person typed."""
ACTOR_COLUMNS = {"author_ap_id": "author", "moderator_ap_id": "moderator", "person_ap_id": None}
"""Actor URL columns, each with the handle column its rows pair it with (or none)."""

_NAME = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOST = rf"{_LABEL}(?:\.{_LABEL})+(?::[0-9]{{1,5}})?"
PERSON = re.compile(
    rf"(?P<site>https?://(?P<host>{_HOST}))/(?P<kind>u/|users/|@)(?P<name>{_NAME})"
    rf"(?:@(?P<home>{_HOST}))?"
    rf"|(?<![\w@./-])@(?P<mention>{_NAME})@(?P<at>{_HOST})"
)
"""A profile URL (``site``, ``kind``, ``name``, ``home``) or a mention (``mention``,
``at``), found in one pass so that nothing replaced is read again."""
_CANDIDATE = r"@|/u/|/users/"
"""What a text holds if it holds a mention or a profile URL (a cheap test first)."""


def pseudonym_key(environ: Mapping[str, str]) -> bytes:
    """The key from ``KEY_ENV``; a UsageError (exit 2) when it is unset or short."""
    key = environ.get(KEY_ENV, "")
    if len(key) < MIN_KEY_LENGTH:
        state = "is not set" if not key else f"is shorter than {MIN_KEY_LENGTH} characters"
        raise UsageError(
            f"--pseudonymise needs a key and {KEY_ENV} {state}; set it to a secret of at "
            f"least {MIN_KEY_LENGTH} characters (the same key gives the same pseudonyms)"
        )
    return key.encode()


class Pseudonyms:
    """The pseudonyms of one key, each person's computed once."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._known: dict[str, str] = {}

    def of(self, name: str, host: str) -> str:
        """The pseudonym of ``name@host`` (``host`` may be empty)."""
        person = f"{name}@{host}".lower() if host else name.lower()
        found = self._known.get(person)
        if found is None:
            digest = hmac.new(self._key, person.encode(), hashlib.sha256).hexdigest()
            found = self._known[person] = f"u{digest[:16]}"
        return found

    def handle(self, handle: str) -> str:
        """``name@host`` → ``<pseudonym>@host`` (a bare name → its pseudonym)."""
        name, at, host = handle.rpartition("@")
        if not at:
            return self.of(handle, "")
        return f"{self.of(name, host)}@{host.lower()}"

    def text(self, text: str) -> str:
        """``text`` with every mention and profile URL of a person replaced."""
        return PERSON.sub(self._person, text)

    def _person(self, match: re.Match[str]) -> str:
        if match["mention"] is not None:
            return f"@{self.of(match['mention'], match['at'])}@{match['at'].lower()}"
        home = match["home"]
        name = self.of(match["name"], home or match["host"])
        return f"{match['site']}/{match['kind']}{name}" + (f"@{home}" if home else "")


def pseudonymise(tables: Mapping[str, pl.DataFrame], key: bytes) -> dict[str, pl.DataFrame]:
    """Every table with its authors replaced by pseudonyms (the module's docstring)."""
    names = Pseudonyms(key)
    actors = _actor_handles(tables)

    def actor(url: str) -> str:
        return names.handle(actors.get(url) or _handle_of_actor(url))

    return {table: _table(frame, names, actor) for table, frame in tables.items()}


def _table(frame: pl.DataFrame, names: Pseudonyms, actor: Callable[[str], str]) -> pl.DataFrame:
    """One table's string columns, each by its rule."""
    columns = []
    for column in frame.iter_columns():
        if column.dtype != pl.String:
            columns.append(column)
        elif column.name in DISPLAY_NAME_COLUMNS:  # a name typed freely: nothing kept
            columns.append(pl.Series(column.name, [None] * column.len(), pl.String))
        elif column.name in HANDLE_COLUMNS:
            columns.append(_each_distinct(column, names.handle))
        elif column.name in ACTOR_COLUMNS:
            columns.append(_each_distinct(column, actor))
        else:
            columns.append(_texts(column, names))
    return pl.DataFrame(columns)


def _each_distinct(column: pl.Series, rename: Callable[[str], str]) -> pl.Series:
    """``rename`` applied once per distinct value (nulls stay null)."""
    values = column.drop_nulls().unique().to_list()
    return column.replace_strict(
        values, [rename(v) for v in values], default=None, return_dtype=pl.String
    )


def _texts(column: pl.Series, names: Pseudonyms) -> pl.Series:
    """The texts with mentions or profile URLs rewritten; only rows that may hold one
    (a vectorised test) are read one by one."""
    rows = column.str.contains(_CANDIDATE).fill_null(False).arg_true()
    if rows.is_empty():
        return column
    rewritten = [names.text(text) for text in column.gather(rows).to_list()]
    return column.clone().scatter(rows, rewritten)


def _actor_handles(tables: Mapping[str, pl.DataFrame]) -> dict[str, str]:
    """Actor URL → the handle rows pair it with, over every table."""
    pairs = [
        frame.select(pl.col(url).alias("url"), pl.col(handle).alias("handle"))
        for frame in tables.values()
        for url, handle in ACTOR_COLUMNS.items()
        if handle is not None and url in frame.columns and handle in frame.columns
    ]
    if not pairs:
        return {}
    known = pl.concat(pairs).drop_nulls().unique("url", keep="first")
    return dict(zip(known["url"].to_list(), known["handle"].to_list(), strict=True))


def _handle_of_actor(url: str) -> str:
    """``<last path segment>@<host>`` of an actor URL no row names by handle."""
    segment = urlsplit(url).path.rstrip("/").rpartition("/")[2]
    host = host_of(url)
    return f"{segment or url}@{host}" if host else segment or url
