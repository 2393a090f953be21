"""PieFed (``/api/alpha``): where its names differ from Lemmy 0.19's.

PieFed mimics Lemmy's view wrappers but renames fields: ``post.title``, ``comment.body``,
``creator.user_name``, ``sticky``/``instance_sticky``, an edit time ``edited_at`` (read
before Lemmy's names); it writes explicit nulls and pages by number (``next_page: "2"``),
comment lists too (reference/lemmy-api.md §5.1).
"""

from __future__ import annotations

from fedithreads.dialects.models import build_models
from fedithreads.dialects.names import Dialect

NAMES = Dialect(
    "piefed",
    person_name=("user_name", "name"),
    bot=("bot", "bot_account"),
    display_name=("title", "display_name"),
    title=("title", "name"),
    content=("body", "content"),
    updated=("edited_at", "updated", "updated_at"),
    pinned_community=("sticky",),
    pinned_instance=("instance_sticky",),
    comment_cursor=True,
)
DIALECT = NAMES.name
MODELS = build_models(NAMES)
