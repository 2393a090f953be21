"""Lemmy 1.0 (``/api/v4``): where its names differ from 0.19's.

v4 renames timestamps to ``*_at`` and ``actor_id`` to ``ap_id`` (the old names are still
read, second), puts the counts on the objects themselves (early 1.0 alphas kept a
``counts`` object: read when the object has none) and wraps lists in ``PagedResponse``
(``items``, ``next_page`` omitted on the last page). The slim comment list omits ``post``
and ``community`` (reference/lemmy-api.md §4).
"""

from __future__ import annotations

from fedithreads.dialects.models import build_models
from fedithreads.dialects.names import Dialect

NAMES = Dialect(
    "lemmy-v4",
    actor_id=("ap_id", "actor_id"),
    published=("published_at", "published"),
    updated=("updated_at", "updated"),
    post_list=("items",),
    comment_list=("items",),
    comment_cursor=True,
    own_counts_first=True,
)
DIALECT = NAMES.name
MODELS = build_models(NAMES)


def split_person_items(document: object) -> object:
    """``/person/content``'s ``items`` (each tagged ``type_`` post or comment) as the
    ``posts`` and ``comments`` of a ``PersonContent``; anything else as it is (the model
    then names what is wrong)."""
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        return document
    items = document["items"]
    kinds: dict[str, list[object]] = {"post": [], "comment": []}
    for item in items:
        kind = item.get("type_") if isinstance(item, dict) else None
        kinds.setdefault(str(kind), []).append(item)
    rest = {k: v for k, v in document.items() if k != "items"}
    return {**rest, "posts": kinds["post"], "comments": kinds["comment"]}
