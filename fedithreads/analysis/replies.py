"""Who answers whom: each comment with the author of what it answers, and the author graph.

A comment answers its parent comment (``parent_id``) or, at top level, the thread's post.
Whose that was is known when it was collected: the parent's current row (comments are
unique per instance and id), or the post's. An orphan's parent was not collected, nor
was a post whose row is missing, so what they answer has no author (null): such a reply
is in no author edge and counts as no reply given or received. Every table here is per
instance, as the rows are: a thread collected from two instances counts its replies in
each copy.

Used by the authors table (fedithreads.analysis.authors).
"""

from __future__ import annotations

import polars as pl

REPLY_COLUMNS = ["instance", "post_id", "comment_id", "author_ap_id", "parent_author_ap_id"]
THREAD_KEY = ["instance", "post_id"]


def parent_rows(comments: pl.DataFrame) -> pl.Series:
    """Per comment: the row in ``comments`` of its parent comment (null at top level, and
    for an orphan, whose parent was not collected)."""
    rows = comments.select("instance", pl.col("comment_id").alias("parent_id")).with_row_index()
    asked = comments.select("instance", "parent_id")
    return asked.join(rows, on=["instance", "parent_id"], how="left", maintain_order="left")[
        "index"
    ]


def parent_authors(
    posts: pl.DataFrame, comments: pl.DataFrame, rows: pl.Series | None = None
) -> pl.Series:
    """Per comment: ``parent_author_ap_id``, the author of the comment it answers (its
    ``parent_rows``, computed if not given) or at top level of the post; null where that
    was not collected."""
    rows = parent_rows(comments) if rows is None else rows
    post_authors = posts.select(*THREAD_KEY, "author_ap_id")
    of_post = comments.select(THREAD_KEY).join(
        post_authors, on=THREAD_KEY, how="left", maintain_order="left"
    )["author_ap_id"]
    of_comment = comments["author_ap_id"].gather(rows)
    top = comments["parent_id"].is_null()
    answered = pl.select(pl.when(top).then(of_post).otherwise(of_comment)).to_series()
    return answered.alias("parent_author_ap_id")


def replied_to(posts: pl.DataFrame, comments: pl.DataFrame) -> pl.DataFrame:
    """Per current comment, in ``comments``' order: ``REPLY_COLUMNS``."""
    return comments.select(REPLY_COLUMNS[:-1]).with_columns(parent_authors(posts, comments))


def author_edges(replies: pl.DataFrame) -> pl.DataFrame:
    """The author graph of ``replied_to``'s rows: one row per (instance, source, target)
    where ``source`` wrote ``weight`` comments answering posts or comments by ``target``
    in ``threads`` distinct threads. A reply to oneself is a loop (source = target)."""
    return (
        replies.filter(pl.col("parent_author_ap_id").is_not_null())
        .group_by(
            "instance",
            pl.col("author_ap_id").alias("source"),
            pl.col("parent_author_ap_id").alias("target"),
        )
        .agg(pl.len().cast(pl.Int64).alias("weight"), pl.col("post_id").n_unique().alias("threads"))
        .with_columns(pl.col("threads").cast(pl.Int64))
        .sort("instance", "source", "target")
    )
