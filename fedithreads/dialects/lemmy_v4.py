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
