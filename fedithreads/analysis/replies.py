"""Who answers whom: each comment with the author of what it answers, the author graph,
and the nodes of the reply trees.

A comment answers its parent comment (``parent_id``) or, at top level, the thread's post.
Whose that was is known when it was collected: the parent's current row (comments are
unique per instance and id), or the post's. An orphan's parent was not collected, nor
was a post whose row is missing, so what they answer has no author (null): such a reply
is in no author edge and counts as no reply given or received. Every table here is per
instance, as the rows are: a thread collected from two instances counts its replies in
each copy.

The reply trees' nodes (``reply_nodes``) are the posts, the comments and placeholders
for the comments the orphans' paths name, each with its parent, as
fedithreads.core.treeshape builds them.

Used by the authors table (fedithreads.analysis.authors) and by ``export --format
convokit|edges`` (fedithreads.formats).
"""

from __future__ import annotations

import polars as pl

from fedithreads.core.keys import IdTable, or_null
from fedithreads.core.treeshape import TID, build_nodes

REPLY_COLUMNS = ["instance", "post_id", "comment_id", "author_ap_id", "parent_author_ap_id"]
THREAD_KEY = ["instance", "post_id"]


def parent_rows(comments: pl.DataFrame) -> pl.Series:
    """Per comment: the row in ``comments`` of its parent comment (null at top level, and
    for an orphan, whose parent was not collected). Found in a table by id when the ids
    are distinct and close together (one instance's usually are: a gather instead of a
    hash join, a third of the time), then checked to be of the same instance."""
    table = None if comments["instance"].null_count() else IdTable.build(comments["comment_id"])
    if table is None:
        return _joined_parent_rows(comments)
    found = or_null(table.rows(comments["parent_id"]))
    instance = comments["instance"]
    same = instance.gather(found) == instance
    return pl.select(pl.when(same).then(found)).to_series().cast(pl.get_index_type())


def _joined_parent_rows(comments: pl.DataFrame) -> pl.Series:
    """``parent_rows`` by a join on (instance, id)."""
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
    return answered_authors(comments, of_post, rows).alias("parent_author_ap_id")


def answered_authors(comments: pl.DataFrame, of_post: pl.Series, rows: pl.Series) -> pl.Series:
    """Per comment: the author of what it answers: of its parent comment (the row
    ``rows`` gives, null for an orphan) or, at top level, ``of_post`` (per comment, the
    author of its thread's post; null where the post was not collected)."""
    top = comments["parent_id"].is_null()
    of_comment = comments["author_ap_id"].gather(rows)
    return pl.select(pl.when(top).then(of_post).otherwise(of_comment)).to_series()


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


NODE_COLUMNS = [
    "instance", "post_id", "node", "kind", "comment_id", "collected", "depth", "parent",
    "author_ap_id",
]  # fmt: skip


def node_id(kind: str, local_id: pl.Expr) -> pl.Expr:
    """``<instance>/post/<id>`` or ``<instance>/comment/<id>``: a node's name, unique over
    every instance (as ``show`` takes a post: ``host/post/id``)."""
    return pl.format(f"{{}}/{kind}/{{}}", pl.col("instance"), local_id)


def reply_nodes(posts: pl.DataFrame, comments: pl.DataFrame) -> pl.DataFrame:
    """Every node of every thread's reply tree, with its parent (``NODE_COLUMNS``), as
    fedithreads.core.treeshape builds the trees: the current comments, the comments their
    paths name that were not collected (placeholders: ``collected`` false, no author),
    and each thread's post, the root (``parent`` null; ``collected`` false when only its
    comments were). ``comments`` needs its ``path``."""
    threads = _threads(posts, comments)
    built = build_nodes(comments, threads)
    frame = built.frame.join(threads, on=TID, how="left", maintain_order="left")
    root = pl.int_range(pl.len()) >= built.roots
    others = frame.height - built.comments
    written = pl.concat(
        [comments["author_ap_id"], pl.repeat(None, others, dtype=pl.String, eager=True)]
    )
    node = pl.when(root).then(node_id("post", pl.col("post_id")))
    return frame.select(
        *THREAD_KEY,
        node.otherwise(node_id("comment", pl.col("_id"))).alias("node"),
        pl.when(root).then(pl.lit("post")).otherwise(pl.lit("comment")).alias("kind"),
        pl.col("_id").alias("comment_id"),
        pl.when(root)
        .then(pl.col("_posted").fill_null(False))
        .otherwise("_real")
        .alias("collected"),
        pl.col("_depth").cast(pl.Int32).alias("depth"),
        "_parent",
        pl.when(root).then("_author").otherwise(written).alias("author_ap_id"),
    ).select(*NODE_COLUMNS[:7], pl.col("node").gather("_parent").alias("parent"), "author_ap_id")


def _threads(posts: pl.DataFrame, comments: pl.DataFrame) -> pl.DataFrame:
    """Every thread of ``posts`` and ``comments`` numbered (``_tid``), with its post's
    author (``_author``) and whether its post row is there (``_posted``)."""
    keys = pl.concat([posts.select(THREAD_KEY), comments.select(THREAD_KEY)]).unique()
    numbered = keys.sort(THREAD_KEY).with_row_index(TID).with_columns(pl.col(TID).cast(pl.Int64))
    post_rows = posts.select(
        *THREAD_KEY, pl.col("author_ap_id").alias("_author"), pl.lit(True).alias("_posted")
    )
    return numbered.join(post_rows, on=THREAD_KEY, how="left", maintain_order="left")


def with_rows(
    nodes: pl.DataFrame,
    posts: pl.DataFrame,
    comments: pl.DataFrame,
    columns: dict[str, tuple[str, str]],
) -> pl.DataFrame:
    """``nodes`` (``reply_nodes``) with, for each ``name: (post column, comment column)``,
    the value of the post or comment row each node is (null where it was not collected)."""
    of_posts = [pl.col(p).alias(name) for name, (p, _) in columns.items()]
    of_comments = [pl.col(c).alias(name) for name, (_, c) in columns.items()]
    rows = pl.concat(
        [
            posts.select("instance", pl.lit("post").alias("kind"), "post_id", *of_posts),
            comments.select(
                "instance",
                pl.lit("comment").alias("kind"),
                pl.col("comment_id").alias("post_id"),
                *of_comments,
            ),
        ],
        how="vertical_relaxed",
    ).rename({"post_id": "_local"})
    local = pl.when(pl.col("kind") == "post").then("post_id").otherwise("comment_id")
    keyed = nodes.with_columns(local.alias("_local"))
    joined = keyed.join(rows, on=["instance", "kind", "_local"], how="left", maintain_order="left")
    return joined.drop("_local")
