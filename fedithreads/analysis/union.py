"""The union of a thread's copies by comment ap_id, and its row of thread_stats.

Each copy of a thread (fedithreads.analysis.federation) has its own local ids and paths.
The **union** holds every comment any copy holds, once (by ap_id). Which copy's row
stands for a comment: the home copy's when it has it, else the copy of the instance with
the most comments of the thread (ties: the smaller instance name) — the copy's
``_prio``. The tree is rebuilt in union terms:

* **ids**: a comment the home copy holds keeps its home id; the others get
  b, b + 1, … in ap_id order, b = 1 + the largest id or path label of the home copy
  (1 without a home copy), so no union id is an id the home copy uses.
* **parents**: a comment's parent is what its own copy's path names, mapped to the union
  by ap_id. An ancestor its copy did not collect stays a placeholder: under its home label
  if the copy is home's, else under a new id after the comments' (one per instance and
  local id: nothing says which comment it is).
* **paths**: ``0.`` + the union ids of the ancestors, by following parents, so every
  path agrees with every other (a node's path is its parent's plus itself); depth is its
  number of labels.

The union comments then go through the same ``thread_stats`` as every single copy.
"""

from __future__ import annotations

import polars as pl

from fedithreads.analysis.stats import thread_stats
from fedithreads.core import schema

THREAD_AP = "_thread"
"""The column of a copy's thread identity: the post's ap_id."""
KEY = "_key"
"""The column of a comment's identity: its ap_id, or "instance comment_id" without one."""

__all__ = ["KEY", "THREAD_AP", "union_comments", "union_stats"]


def union_comments(copies: pl.DataFrame, comments: pl.DataFrame) -> pl.DataFrame:
    """The union of each thread's copies as a comments-shaped frame (module docstring).

    ``copies``: one row per copy (``_thread``, instance, post_id, home_instance,
    is_home, ``_prio``, ``_home_post``); ``comments``: their current rows with
    ``_thread`` and ``_key``. Every column of the comments table, with ``instance`` = the
    home instance, ``post_id`` = the home copy's local id (null without one),
    ``comment_id``/``parent_id``/``path``/``depth`` in union terms and the other fields
    from the copy that stands for the comment, plus ``source`` (that copy's instance),
    ``local_id`` (its id there), ``seen_on`` and ``missing_on`` (the instances whose copy
    holds / lacks the comment, sorted). Sorted by (post_ap_id, comment_id).
    """
    rows = comments.join(
        copies.select(THREAD_AP, "instance", "is_home", "_prio"), on=[THREAD_AP, "instance"]
    )
    seen = rows.group_by(THREAD_AP, KEY).agg(pl.col("instance").sort().alias("seen_on"))
    winners = _union_ids(rows)
    nodes = _nodes(rows, winners)
    tree = _paths(nodes).select(
        THREAD_AP,
        "_id",
        pl.col("path").alias("_upath"),
        pl.col("path").str.split(".").list.slice(1).cast(pl.List(pl.Int64)).alias("_labels"),
    )
    everyone = copies.group_by(THREAD_AP).agg(
        pl.col("instance").sort().alias("_all"),
        pl.col("home_instance").first(),
        pl.col("_home_post").first(),
    )
    labels = pl.col("_labels")
    out = (
        winners.join(tree, left_on=[THREAD_AP, "_uid"], right_on=[THREAD_AP, "_id"])
        .join(seen, on=[THREAD_AP, KEY])
        .join(everyone, on=THREAD_AP)
        .with_columns(
            pl.col("instance").alias("source"),
            pl.col("comment_id").alias("local_id"),
            pl.col("_all").list.set_difference("seen_on").list.sort().alias("missing_on"),
            pl.col("home_instance").alias("instance"),
            pl.col("_home_post").alias("post_id"),
            pl.col(THREAD_AP).alias("post_ap_id"),
            pl.col("_uid").alias("comment_id"),
            pl.col("_upath").alias("path"),
            labels.list.get(-2, null_on_oob=True).alias("parent_id"),
            labels.list.len().cast(pl.Int32).alias("depth"),
        )
    )
    extra = ["source", "local_id", "seen_on", "missing_on"]
    return out.select(*schema.COMMENTS, *extra).sort("post_ap_id", "comment_id")


def _union_ids(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per (thread, comment key): the standing copy's row, with its union id
    ``_uid`` and the thread's ``_base`` and ``_new`` (comments absent at home)."""
    labels = pl.col("path").str.split(".").list.slice(1).cast(pl.List(pl.Int64), strict=False)
    home = rows.filter("is_home")
    top = pl.concat(
        [
            home.select(THREAD_AP, pl.col("comment_id").alias("_l")),
            home.select(THREAD_AP, labels.alias("_l")).explode("_l"),
        ]
    )
    base = top.group_by(THREAD_AP).agg((pl.col("_l").max() + 1).alias("_base"))
    away = (~pl.col("is_home")).cast(pl.Int64)
    return (
        rows.sort(THREAD_AP, KEY, "_prio")
        .unique([THREAD_AP, KEY], keep="first", maintain_order=True)
        .join(base, on=THREAD_AP, how="left")
        .with_columns(pl.col("_base").fill_null(1))
        .with_columns(
            pl.when("is_home")
            .then(pl.col("comment_id"))
            .otherwise(pl.col("_base") + away.cum_sum().over(THREAD_AP) - 1)
            .alias("_uid"),
            away.sum().over(THREAD_AP).alias("_new"),
        )
    )


def _nodes(rows: pl.DataFrame, winners: pl.DataFrame) -> pl.DataFrame:
    """Every node of the union trees, (thread, ``_id``, ``_parent``): each comment with
    the parent its own copy's path names, and each placeholder with the label before it
    in the first path that names it, all mapped to union ids."""
    labels = pl.col("path").str.split(".").list.slice(1).cast(pl.List(pl.Int64), strict=False)
    flat = (
        winners.select(
            THREAD_AP,
            KEY,
            pl.col("instance").alias("_src"),
            "is_home",
            "_base",
            "_new",
            labels.alias("_label"),
        )
        .with_columns(pl.int_ranges(0, pl.col("_label").list.len()).alias("_pos"))
        .explode("_label", "_pos")
        .drop_nulls("_label")
    )
    local = rows.select(
        THREAD_AP, KEY, pl.col("instance").alias("_src"), pl.col("comment_id").alias("_label")
    ).join(winners.select(THREAD_AP, KEY, pl.col("_uid").alias("_ul")), on=[THREAD_AP, KEY])
    flat = flat.join(
        local.drop(KEY), on=[THREAD_AP, "_src", "_label"], how="left", maintain_order="left"
    ).with_columns(pl.col("_ul").is_null().alias("_holder"))
    new = (
        flat.filter(pl.col("_holder") & ~pl.col("is_home"))
        .select(THREAD_AP, "_src", "_label", "_base", "_new")
        .unique([THREAD_AP, "_src", "_label"])
        .sort(THREAD_AP, "_src", "_label")
        .with_columns(
            (pl.col("_base") + pl.col("_new") + pl.int_range(pl.len()).over(THREAD_AP)).alias("_ph")
        )
        .select(THREAD_AP, "_src", "_label", "_ph")
    )
    flat = (
        flat.join(new, on=[THREAD_AP, "_src", "_label"], how="left", maintain_order="left")
        .with_columns(
            pl.coalesce("_ul", pl.when("is_home").then(pl.col("_label")), "_ph").alias("_ul")
        )
        .with_columns(pl.col("_ul").shift(1).over(THREAD_AP, KEY).alias("_parent"))
    )
    own = flat.filter(pl.col("_pos") == pl.col("_pos").max().over(THREAD_AP, KEY))
    holders = flat.filter("_holder").unique([THREAD_AP, "_ul"], keep="first", maintain_order=True)
    pick = [THREAD_AP, pl.col("_ul").alias("_id"), "_parent"]
    return pl.concat([own.filter(~pl.col("_holder")).select(pick), holders.select(pick)])


def _paths(nodes: pl.DataFrame) -> pl.DataFrame:
    """Each node's path, ``0.`` + its ancestors' ids + its own, following ``_parent``
    one depth at a time (a loop per depth, not per node). Nodes whose parents never
    lead to the post (a cycle, which honest servers cannot produce) start at the post."""
    join = pl.concat_str(pl.col("_up"), pl.col("_id").cast(pl.String), separator=".")
    frontier = nodes.filter(pl.col("_parent").is_null()).select(
        THREAD_AP, "_id", pl.concat_str(pl.lit("0."), pl.col("_id").cast(pl.String)).alias("path")
    )
    pending = nodes.filter(pl.col("_parent").is_not_null())
    done = [frontier]
    while not pending.is_empty():
        ups = frontier.select(
            THREAD_AP, pl.col("_id").alias("_parent"), pl.col("path").alias("_up")
        )
        step = pending.join(ups, on=[THREAD_AP, "_parent"])
        if step.is_empty():
            step = pending.with_columns(pl.lit("0").alias("_up"))
        frontier = step.select(THREAD_AP, "_id", join.alias("path"))
        pending = pending.join(frontier, on=[THREAD_AP, "_id"], how="anti")
        done.append(frontier)
    return pl.concat(done)


def union_stats(
    copies: pl.DataFrame,
    posts: pl.DataFrame,
    comments: pl.DataFrame,
    instance_stats: pl.DataFrame,
    failed: pl.Series | None = None,
) -> pl.DataFrame:
    """The union row of thread_stats of each thread in ``copies`` (all of several copies).

    Computed by ``thread_stats`` over the union comments, with the post row of the copy
    of highest ``_prio`` that has one (home's when collected, else the one with most
    comments). ``instance`` = the home instance, ``post_id`` = home's local id (null
    without a home copy), ``comments_reported`` = home's server count (null without
    home's post row), ``collected_at`` = that post row's; ``complete`` = every copy's row
    is complete, the home copy was collected and no lookup of the thread (``failed``:
    ap_ids whose lookup failed on some instance) is without an answer; ``scope``
    "union", ``canonical`` true.
    """
    if copies.is_empty():
        return schema.empty("thread_stats")
    rows = comments.join(copies.select(THREAD_AP).unique(), on=THREAD_AP, how="semi")
    union = union_comments(copies, rows)
    rank = copies.select(THREAD_AP, "instance", "_prio", "is_home")
    chosen = (
        posts.join(rank, on=[THREAD_AP, "instance"])
        .sort(THREAD_AP, "_prio")
        .unique(THREAD_AP, keep="first", maintain_order=True)
        .with_columns(pl.when("is_home").then(pl.col("comments")).alias("comments"))
    )
    one = pl.lit(0, pl.Int64).alias("post_id")
    stats = thread_stats(
        chosen.with_columns(pl.col(THREAD_AP).alias("instance"), one),
        union.with_columns(pl.col("post_ap_id").alias("instance"), one),
    )
    done = (
        copies.join(
            instance_stats.select("instance", "post_id", "complete"),
            on=["instance", "post_id"],
            how="left",
        )
        .group_by(THREAD_AP)
        .agg(
            (pl.col("complete").fill_null(False).all() & pl.col("is_home").any()).alias("_done"),
            pl.col("home_instance").first(),
            pl.col("_home_post").first(),
        )
    )
    unanswered = pl.Series(THREAD_AP, [], pl.String) if failed is None else failed
    out = (
        stats.drop("ap_id")
        .rename({"instance": THREAD_AP})
        .join(done, on=THREAD_AP)
        .with_columns(
            pl.col(THREAD_AP).alias("ap_id"),
            pl.col("home_instance").alias("instance"),
            pl.col("_home_post").alias("post_id"),
            (pl.col("_done") & ~pl.col(THREAD_AP).is_in(unanswered.implode())).alias("complete"),
            pl.lit("union").alias("scope"),
            pl.lit(True).alias("canonical"),
        )
    )
    return schema.conform(out, "thread_stats")
