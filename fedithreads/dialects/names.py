"""Where each dialect keeps what a record needs: one row of data per dialect.

A ``Dialect`` gives, for every neutral field whose JSON name differs between dialects,
the names it is read under, preferred first: the first one present wins (a document may
carry both, e.g. PieFed's ``edited_at`` and ``updated``) and a missing field is reported
under the first. Lemmy 0.19's names are the defaults; ``lemmy_v4`` and ``piefed`` say
where they differ. ``fedithreads.dialects.models`` builds each dialect's models from it.
"""

from __future__ import annotations

from dataclasses import dataclass

Keys = tuple[str, ...]
"""JSON names of one field, preferred first."""


@dataclass(frozen=True, slots=True)
class Dialect:
    """The JSON names and choices of one dialect (reference/lemmy-api.md §1, §4, §5)."""

    name: str
    person_name: Keys = ("name",)
    """A person's local name, the first part of the ``author`` handle."""
    actor_id: Keys = ("actor_id", "ap_id")
    """A person's or community's actor URL."""
    bot: Keys = ("bot_account",)
    """Whether a person is a bot account."""
    display_name: Keys = ("display_name",)
    """The name a person shows beside their handle (optional)."""
    title: Keys = ("name", "title")
    content: Keys = ("content", "body")
    """A comment's text."""
    published: Keys = ("published", "published_at")
    updated: Keys = ("updated", "updated_at")
    pinned_community: Keys = ("featured_community",)
    pinned_instance: Keys = ("featured_local",)
    post_list: Keys = ("posts",)
    comment_list: Keys = ("comments",)
    comment_cursor: bool = False
    """Whether comment lists carry a ``next_page`` (0.19's do not: it is ignored)."""
    own_counts_first: bool = False
    """Whether counts on the object win over a ``counts`` object (v4) or the reverse."""
