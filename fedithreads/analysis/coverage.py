"""Which copy holds which comment: the federation and comment_presence tables.

The words (copy, home instance, a comment's identity ``_key``) are those of
fedithreads.analysis.federation, which finds the copies and calls these with their
current rows.
"""

from __future__ import annotations

import polars as pl

from fedithreads.analysis.union import KEY, THREAD_AP
from fedithreads.core import schema
from fedithreads.core.hosts import host_of

__all__ = ["federation_table", "home_instances", "presence_table"]


def home_instances(posts: pl.DataFrame, wanted: pl.Series) -> pl.DataFrame:
    """The home instance of each thread in ``wanted``: the host of its community (first
    post row naming one, by instance), else the host of the post's ap_id. ``host_of``
    runs once per distinct URL, never per comment."""
    named = (
        posts.drop_nulls("community_ap_id")
        .sort("instance")
        .group_by(THREAD_AP)
        .agg(pl.col("community_ap_id").first())
    )
    urls = pl.DataFrame({THREAD_AP: wanted.unique()}).join(named, on=THREAD_AP, how="left")
    url = urls.select(pl.coalesce("community_ap_id", THREAD_AP)).to_series()
    hosts = {u: host_of(u) for u in url.unique().to_list()}
    home = url.replace_strict(hosts, return_dtype=pl.String)
    return pl.DataFrame({THREAD_AP: urls[THREAD_AP], "home_instance": home})


def federation_table(
    copies: pl.DataFrame, posts: pl.DataFrame, comments: pl.DataFrame, asked: pl.DataFrame
) -> pl.DataFrame:
    """One row per (thread ap_id, instance): every copy, and every instance asked about
    the thread (resolutions) that gave no copy. Sorted by (ap_id, instance).

    * ``ap_id``: the post's; ``instance``: the host; ``home_instance``: the thread's home
      (module docstring); ``is_home``: instance = home_instance.
    * ``found``: true for an instance with a copy; else the resolution's answer: true
      (found, but no copy in the tables, e.g. its crawl wrote nothing: counts null),
      false ("not federated there") or null (the lookup failed).
    * ``post_id``: the local id of the copy (else the resolution's; null if none).
    * ``comments_collected``: current comment rows of the copy; null without a copy.
    * ``comments_union``: U = distinct comment ap_ids over all copies of the thread.
    * ``missing_vs_union``: U − |H|, H = the comments the copy holds; null without a copy.
    * ``missing_vs_home``: |home − H| (home = the home copy's comments); ``extra_vs_home``:
      |H − home|; both null without a copy or when the home copy was not collected.
    * ``score``/``upvotes``/``downvotes``: the post's counts there (each instance counts
      the votes it received; null without a post row).
    * ``software``: lemmy or piefed, from ``dialect``; ``dialect``, ``server_version``,
      ``collected_at``: of the copy's post row (its comments' without one), else of the
      resolution.
    """
    held = comments.select(THREAD_AP, "instance", KEY).unique()
    home = held.join(copies.filter("is_home"), on=[THREAD_AP, "instance"], how="semi")
    in_home = held.join(home.select(THREAD_AP, KEY), on=[THREAD_AP, KEY], how="semi")
    per_copy = held.group_by(THREAD_AP, "instance").agg(pl.len().cast(pl.Int64).alias("_h"))
    common = in_home.group_by(THREAD_AP, "instance").agg(pl.len().cast(pl.Int64).alias("_c"))
    sizes = pl.concat(
        [
            held.group_by(THREAD_AP).agg(
                pl.col(KEY).n_unique().cast(pl.Int64).alias("comments_union")
            ),
            home.group_by(THREAD_AP).agg(pl.len().cast(pl.Int64).alias("_home_n")),
        ],
        how="align",
    )
    rows = (
        copies.join(per_copy, on=[THREAD_AP, "instance"], how="left")
        .join(common, on=[THREAD_AP, "instance"], how="left")
        .join(sizes, on=THREAD_AP, how="left")
        .join(_copy_facts(posts, comments), on=[THREAD_AP, "instance"], how="left")
        .with_columns(
            pl.lit(True).alias("found"),
            pl.col("_held").alias("comments_collected"),
            pl.col("comments_union").fill_null(0),
            *[pl.col(c).fill_null(0) for c in ("_h", "_c")],
        )
        .with_columns(
            (pl.col("comments_union") - pl.col("_h")).alias("missing_vs_union"),
            (pl.col("_home_n").fill_null(0) - pl.col("_c")).alias("missing_vs_home"),
            (pl.col("_h") - pl.col("_c")).alias("extra_vs_home"),
        )
        .with_columns(
            pl.when(pl.col("is_home").any().over(THREAD_AP)).then(pl.col(c)).alias(c)
            for c in ("missing_vs_home", "extra_vs_home")
        )
    )
    out = pl.concat([rows, _unanswered(copies, asked, sizes)], how="diagonal_relaxed")
    out = out.rename({THREAD_AP: "ap_id"}).with_columns(
        pl.col("dialect").str.split("-").list.first().alias("software")
    )
    return schema.conform(out, "federation").sort("ap_id", "instance")


def _copy_facts(posts: pl.DataFrame, comments: pl.DataFrame) -> pl.DataFrame:
    """Per copy: the post's votes and provenance, its comments' where it has no post."""
    from_posts = posts.select(
        THREAD_AP, "instance", "score", "upvotes", "downvotes",
        "dialect", "server_version", "collected_at",
    )  # fmt: skip
    from_comments = (
        comments.join(from_posts, on=[THREAD_AP, "instance"], how="anti")
        .sort("collected_at")
        .group_by(THREAD_AP, "instance")
        .agg(pl.col("dialect", "server_version", "collected_at").last())
    )
    return pl.concat([from_posts, from_comments], how="diagonal_relaxed").unique(
        [THREAD_AP, "instance"], keep="first", maintain_order=True
    )


def _unanswered(copies: pl.DataFrame, asked: pl.DataFrame, sizes: pl.DataFrame) -> pl.DataFrame:
    """The resolutions of instances without a copy of the thread, as federation rows."""
    homes = copies.select(THREAD_AP, "home_instance").unique()
    rows = asked.rename({"ap_id": THREAD_AP}).join(copies, on=[THREAD_AP, "instance"], how="anti")
    missing_home = rows.join(homes, on=THREAD_AP, how="anti")
    if not missing_home.is_empty():  # asked about, but no copy at all: home from the ap_id
        extra = missing_home.select(THREAD_AP).unique()
        homes = pl.concat(
            [homes, home_instances(pl.DataFrame(schema=_POSTS_KEYS), extra[THREAD_AP])]
        )
    return (
        rows.select(
            THREAD_AP, "instance", "found", "post_id", "dialect", "server_version", "collected_at"
        )
        .join(homes, on=THREAD_AP, how="left")
        .join(sizes.select(THREAD_AP, "comments_union"), on=THREAD_AP, how="left")
        .with_columns(
            (pl.col("instance") == pl.col("home_instance")).alias("is_home"),
            pl.col("comments_union").fill_null(0),
        )
    )


_POSTS_KEYS = {THREAD_AP: pl.String(), "instance": pl.String(), "community_ap_id": pl.String()}


def presence_table(copies: pl.DataFrame, comments: pl.DataFrame) -> pl.DataFrame:
    """One row per (comment of the thread's union × instance with a copy): ``post_ap_id``,
    the comment's ``ap_id``, ``instance``, ``comment_id`` (its local id there, null where
    absent) and ``present``. Sorted by (post_ap_id, ap_id, instance)."""
    union_keys = comments.select(THREAD_AP, KEY, "ap_id").unique([THREAD_AP, KEY])
    local = comments.select(THREAD_AP, KEY, "instance", "comment_id")
    return schema.conform(
        union_keys.join(copies.select(THREAD_AP, "instance"), on=THREAD_AP)
        .join(local, on=[THREAD_AP, KEY, "instance"], how="left")
        .with_columns(pl.col("comment_id").is_not_null().alias("present"))
        .rename({THREAD_AP: "post_ap_id"}),
        "comment_presence",
    ).sort("post_ap_id", "ap_id", "instance", nulls_last=True)
