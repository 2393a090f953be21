"""The moderation log as the tables show it: one row per entry, and removals joined on.

``current_actions``: the latest snapshot of each entry of each instance's log (a log is
read again by every run over its window; an entry is keyed by instance, kind and id).
``with_removals``: posts or comments with ``removal_reason`` and ``removed_at``, for the
rows that are ``removed``, from the latest removal or restore the logs hold for their
ap_id (on any instance: a removal federates, and each instance logs it): a removal gives
its reason and time, a later restore none; where no log holds one, both are null.
"""

from __future__ import annotations

import polars as pl

from fedithreads.core import schema

_REMOVAL = {
    "posts": ("mod_remove_post", "post_ap_id"),
    "comments": ("mod_remove_comment", "comment_ap_id"),
}


def current_actions(moderation: pl.LazyFrame) -> pl.DataFrame:
    """One row per (instance, action, log_id): its latest snapshot, newest entry first."""
    latest = (
        moderation.sort("collected_at", maintain_order=True)
        .unique(["instance", "action", "log_id"], keep="last", maintain_order=True)
        .sort("acted_at", "instance", "log_id", descending=True)
        .collect()
    )
    return schema.conform(latest, "moderation")


def with_removals(rows: pl.DataFrame, actions: pl.DataFrame, table: str) -> pl.DataFrame:
    """``rows`` of the posts or comments ``table`` with the two removal columns."""
    action, target = _REMOVAL[table]
    last = (
        actions.filter((pl.col("action") == action) & pl.col(target).is_not_null())
        .sort("acted_at")
        .group_by(target, maintain_order=True)
        .last()
        .filter(~pl.col("reverted"))
        .select(
            pl.col(target).alias("ap_id"),
            pl.col("reason").alias("removal_reason"),
            pl.col("acted_at").alias("removed_at"),
        )
    )
    # only the key is joined: the rows' other columns (a million comments' texts) stay put
    found = rows.select("ap_id", "removed").join(
        last, on="ap_id", how="left", maintain_order="left"
    )
    gone = pl.col("removed")
    removal = found.select(
        pl.when(gone).then(pl.col("removal_reason")).alias("removal_reason"),
        pl.when(gone).then(pl.col("removed_at")).alias("removed_at"),
    )
    return rows.with_columns(removal.get_columns())
