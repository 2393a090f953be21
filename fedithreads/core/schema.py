"""The tables, declared once: column → Polars dtype, in column order.

Used to build frames from records, to write and to scan Parquet, and by the tests that pin
the contract in DESIGN.md. Timestamps are UTC with microseconds.
"""

from __future__ import annotations

import polars as pl

TS = pl.Datetime("us", "UTC")

POSTS: dict[str, pl.DataType] = {
    "instance": pl.String(),
    "post_id": pl.Int64(),
    "ap_id": pl.String(),
    "community": pl.String(),
    "community_ap_id": pl.String(),
    "author": pl.String(),
    "author_ap_id": pl.String(),
    "author_bot": pl.Boolean(),
    "author_banned": pl.Boolean(),
    "author_deleted": pl.Boolean(),
    "author_display_name": pl.String(),
    "title": pl.String(),
    "url": pl.String(),
    "body": pl.String(),
    "published": TS,
    "updated": TS,
    "deleted": pl.Boolean(),
    "removed": pl.Boolean(),
    "locked": pl.Boolean(),
    "nsfw": pl.Boolean(),
    "language_id": pl.Int64(),
    "comments": pl.Int64(),
    "score": pl.Int64(),
    "upvotes": pl.Int64(),
    "downvotes": pl.Int64(),
    "newest_comment_time": TS,
    "dialect": pl.String(),
    "server_version": pl.String(),
    "collected_at": TS,
    "run_id": pl.String(),
}

COMMENTS: dict[str, pl.DataType] = {
    "instance": pl.String(),
    "comment_id": pl.Int64(),
    "post_id": pl.Int64(),
    "ap_id": pl.String(),
    "post_ap_id": pl.String(),
    "parent_id": pl.Int64(),
    "path": pl.String(),
    "depth": pl.Int32(),
    "author": pl.String(),
    "author_ap_id": pl.String(),
    "author_bot": pl.Boolean(),
    "author_banned": pl.Boolean(),
    "author_deleted": pl.Boolean(),
    "author_display_name": pl.String(),
    "content": pl.String(),
    "published": TS,
    "updated": TS,
    "deleted": pl.Boolean(),
    "removed": pl.Boolean(),
    "distinguished": pl.Boolean(),
    "language_id": pl.Int64(),
    "score": pl.Int64(),
    "upvotes": pl.Int64(),
    "downvotes": pl.Int64(),
    "child_count": pl.Int64(),
    "dialect": pl.String(),
    "server_version": pl.String(),
    "collected_at": TS,
    "run_id": pl.String(),
}

CREATOR_COLUMNS = ("author_bot", "author_banned", "author_deleted")
"""The author's flags as the page showed them (null: not shown): a bot account, banned
from the instance, the account deleted (``core.records.CREATOR_FLAGS``)."""

LANGUAGE_COLUMN = "language_id"
"""The site's number of the language a post or comment was written in, as the API gives
it (Lemmy: 0 is "undetermined"; PieFed numbers its own); null where the page did not say."""

LATER_COLUMNS = frozenset((*CREATOR_COLUMNS, LANGUAGE_COLUMN, "author_display_name"))
"""Columns of posts and comments that part files written before they existed lack: such
files are read with them null, and are no damage (``storage.tables``)."""

THREAD_STATS: dict[str, pl.DataType] = {
    "instance": pl.String(),
    "post_id": pl.Int64(),
    "ap_id": pl.String(),
    "title": pl.String(),
    "community": pl.String(),
    "published": TS,
    "collected_at": TS,
    "comments_collected": pl.Int64(),
    "comments_visible": pl.Int64(),
    "comments_reported": pl.Int64(),
    "complete": pl.Boolean(),
    "missing": pl.Int64(),
    "orphans": pl.Int64(),
    "authors": pl.Int64(),
    "top_level": pl.Int64(),
    "max_depth": pl.Int32(),
    "mean_depth": pl.Float64(),
    "max_width": pl.Int64(),
    "mean_branching": pl.Float64(),
    "structural_virality": pl.Float64(),
    "post_score": pl.Int64(),
    "post_upvotes": pl.Int64(),
    "post_downvotes": pl.Int64(),
    "comment_score": pl.Int64(),
    "comment_upvotes": pl.Int64(),
    "comment_downvotes": pl.Int64(),
    "first_reply_seconds": pl.Float64(),
    "median_reply_latency_seconds": pl.Float64(),
    "lifespan_seconds": pl.Float64(),
    "deleted": pl.Int64(),
    "removed": pl.Int64(),
    "op_replies": pl.Int64(),
    "h_index": pl.Int64(),
    "reciprocity": pl.Float64(),
    "reentry_authors": pl.Int64(),
    "root_reply_share": pl.Float64(),
    "p90_reply_latency_seconds": pl.Float64(),
    "time_to_half_seconds": pl.Float64(),
    "time_to_90pct_seconds": pl.Float64(),
    "controversy": pl.Float64(),
    "scope": pl.String(),
    "canonical": pl.Boolean(),
}
"""One row per copy of a thread (``scope`` "instance": the thread as one instance holds
it) and, for a thread collected from several instances, one more for their union by ap_id
(``scope`` "union"); ``canonical`` marks the one row per thread to use for "the thread"."""

ACTIVITY: dict[str, pl.DataType] = {
    "instance": pl.String(),
    "post_id": pl.Int64(),
    "bucket_start": TS,
    "comments": pl.Int64(),
    "authors": pl.Int64(),
    "cumulative_comments": pl.Int64(),
}

VOTE_HISTORY: dict[str, pl.DataType] = {
    "instance": pl.String(),
    "kind": pl.String(),
    "id": pl.Int64(),
    "ap_id": pl.String(),
    "collected_at": TS,
    "score": pl.Int64(),
    "upvotes": pl.Int64(),
    "downvotes": pl.Int64(),
    "comments": pl.Int64(),
    "child_count": pl.Int64(),
}

FEDERATION: dict[str, pl.DataType] = {
    "ap_id": pl.String(),
    "instance": pl.String(),
    "home_instance": pl.String(),
    "is_home": pl.Boolean(),
    "found": pl.Boolean(),
    "post_id": pl.Int64(),
    "comments_collected": pl.Int64(),
    "comments_union": pl.Int64(),
    "missing_vs_union": pl.Int64(),
    "missing_vs_home": pl.Int64(),
    "extra_vs_home": pl.Int64(),
    "score": pl.Int64(),
    "upvotes": pl.Int64(),
    "downvotes": pl.Int64(),
    "software": pl.String(),
    "dialect": pl.String(),
    "server_version": pl.String(),
    "collected_at": TS,
}
"""One row per (thread ap_id, instance) for every thread held by several instances or
asked about elsewhere (resolutions); the columns are described in
``fedithreads.analysis.federation.federation_table``."""

COMMENT_PRESENCE: dict[str, pl.DataType] = {
    "post_ap_id": pl.String(),
    "ap_id": pl.String(),
    "instance": pl.String(),
    "comment_id": pl.Int64(),
    "present": pl.Boolean(),
}
"""One row per (comment of a thread's union × instance holding a copy of the thread):
whether that instance's copy has the comment, and its local id there."""

RESOLUTIONS: dict[str, pl.DataType] = {
    "instance": pl.String(),
    "ap_id": pl.String(),
    "found": pl.Boolean(),
    "post_id": pl.Int64(),
    "dialect": pl.String(),
    "server_version": pl.String(),
    "error": pl.String(),
    "collected_at": TS,
    "run_id": pl.String(),
}
"""What ``collect --across`` asked each other instance: ``resolve_object`` of a post's
ap_id. ``found`` is false when the instance answered that it does not hold the post ("not
federated there": an answer, not an error), null when the lookup failed (``error`` says
why); ``post_id`` is the instance's local id of its copy."""

MODERATION: dict[str, pl.DataType] = {
    "instance": pl.String(),
    "log_id": pl.Int64(),
    "action": pl.String(),
    "reverted": pl.Boolean(),
    "moderator": pl.String(),
    "moderator_ap_id": pl.String(),
    "post_ap_id": pl.String(),
    "comment_ap_id": pl.String(),
    "person_ap_id": pl.String(),
    "community_ap_id": pl.String(),
    "reason": pl.String(),
    "expires": TS,
    "acted_at": TS,
    "dialect": pl.String(),
    "server_version": pl.String(),
    "collected_at": TS,
    "run_id": pl.String(),
}
"""The moderation log of the communities and instances collected, one row per entry
(``core.records.ModAction``): what was done (``action``, ``reverted`` for an undoing),
by whom where the log shows it, to which post, comment, person and community (ap_ids),
why and when (``acted_at``; ``expires`` for a ban that ends)."""

AUTHORS: dict[str, pl.DataType] = {
    "instance": pl.String(),
    "author_ap_id": pl.String(),
    "author": pl.String(),
    "display_name": pl.String(),
    "host": pl.String(),
    "local": pl.Boolean(),
    "bot": pl.Boolean(),
    "banned": pl.Boolean(),
    "deleted": pl.Boolean(),
    "first_seen": TS,
    "last_seen": TS,
    "posts": pl.Int64(),
    "comments": pl.Int64(),
    "threads": pl.Int64(),
    "replies_given": pl.Int64(),
    "replies_received": pl.Int64(),
}
"""One row per (instance, author) of the current posts and comments; the columns are
described in ``fedithreads.analysis.authors``."""

LANGUAGES: dict[str, pl.DataType] = {
    "instance": pl.String(),
    "language_id": pl.Int64(),
    "code": pl.String(),
    "name": pl.String(),
    "collected_at": TS,
    "run_id": pl.String(),
}
"""The languages each instance's ``/site`` listed in a run (``all_languages``): the
instance's number for each, its ISO 639 code (``und``: undetermined) and name. ``analyze``
reads a post's or comment's ``language`` (the code) here, by its ``language_id``."""

REMOVAL: dict[str, pl.DataType] = {"removal_reason": pl.String(), "removed_at": TS}
"""What ``analyze`` joins onto a removed post or comment from the moderation log: the
reason and time of the removal the log holds for it (null where it holds none)."""


def _beside(columns: dict[str, pl.DataType], added: dict[str, str]) -> dict[str, pl.DataType]:
    """``columns`` with String columns inserted: ``added`` maps a column to the one
    that follows it."""
    out: dict[str, pl.DataType] = {}
    for name, dtype in columns.items():
        out[name] = dtype
        if name in added:
            out[added[name]] = pl.String()
    return out


TABLES: dict[str, dict[str, pl.DataType]] = {
    "posts": {**_beside(POSTS, {"body": "body_text", "language_id": "language"}), **REMOVAL},
    "comments": {
        **_beside(COMMENTS, {"content": "content_text", "language_id": "language"}),
        **REMOVAL,
    },
    "thread_stats": THREAD_STATS,
    "activity": ACTIVITY,
    "vote_history": VOTE_HISTORY,
    "federation": FEDERATION,
    "comment_presence": COMMENT_PRESENCE,
    "moderation": MODERATION,
    "authors": AUTHORS,
}
"""Every table ``analyze`` and ``export`` write, in the order commands write and print
them: posts and comments as snapshots are, with the plain text beside the Markdown
(``body_text``, ``content_text``: fedithreads.analysis.plaintext), the ``language`` code
after ``language_id`` (from the instance's latest ``languages``; null where none was
collected or it lacks the number) and the removal's reason and time."""

SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    **TABLES,
    "posts": POSTS,
    "comments": COMMENTS,
    "resolutions": RESOLUTIONS,
    "languages": LANGUAGES,
}
"""The snapshot tables of the data dir (posts, comments, resolutions, moderation) and the
derived ones, each as it is stored."""

SNAPSHOT_TABLES = ("posts", "comments", "resolutions", "moderation", "languages")
"""Tables collect appends to; the others are derived from them by analysis."""


def empty(table: str) -> pl.DataFrame:
    """A frame with the table's columns and no rows."""
    return pl.DataFrame(schema=SCHEMAS[table])


def conform(
    frame: pl.DataFrame, table: str, schemas: dict[str, dict[str, pl.DataType]] = SCHEMAS
) -> pl.DataFrame:
    """Select and cast ``frame`` to the table's schema (as stored, or as ``TABLES``
    writes it); a missing column is an error."""
    schema = schemas[table]
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise ValueError(f"{table}: missing columns {missing}")
    return frame.select(pl.col(c).cast(t) for c, t in schema.items())
