"""``export --format edges``: the reply graph and the author graph, as edge lists (Parquet
and CSV) and as GraphML.

::

    DIR/reply_edges.parquet, .csv   one row per comment: comment → what it answers
    DIR/reply_graph.graphml         every post, comment and placeholder, and those edges
    DIR/author_edges.parquet, .csv  one row per (instance, author, author answered)
    DIR/author_graph.graphml        every author, and those edges

**The reply graph** is each thread's reply tree (fedithreads.analysis.replies): an edge
from every comment to its parent comment, or to the post at top level, the post the root.
A comment whose parent was not collected answers a placeholder (``collected`` false), which
answers its own parent as the orphan's path names it, so each thread stays one tree. Nodes
are named ``<instance>/post/<id>`` and ``<instance>/comment/<id>``.

**The author graph**: an edge from author A to author B (actor URLs) weighted by the
comments A wrote answering a post or comment by B, per instance (a thread collected from
two instances counts in each: filter on ``instance``, or use one); ``threads`` is in how
many threads. Replies to oneself are loops; replies to what was not collected are in no
edge. Its GraphML has every author of the authors table as a node (those nobody answered
and who answered nobody too), and one edge per row of author_edges: a corpus of several
instances has parallel edges, one per instance.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl

from fedithreads.analysis.authors import people
from fedithreads.analysis.replies import author_edges, replied_to, reply_nodes, with_rows
from fedithreads.formats.graphml import write_graphml
from fedithreads.storage.tables import write_frame

_FACTS = {
    "published": ("published", "published"),
    "score": ("score", "score"),
    "deleted": ("deleted", "deleted"),
    "removed": ("removed", "removed"),
}


def write_edges(tables: Mapping[str, pl.DataFrame], out: Path) -> list[Path]:
    """The four kinds of file above, from analysed tables (posts, comments with their
    paths, authors); the paths written."""
    posts, comments = tables["posts"], tables["comments"]
    nodes = with_rows(reply_nodes(posts, comments), posts, comments, _FACTS)
    replies = reply_edges(nodes)
    authors = author_edges(replied_to(posts, comments))
    written = []
    for name, frame in (("reply_edges", replies), ("author_edges", authors)):
        for fmt in ("parquet", "csv"):
            written.append(out / f"{name}.{fmt}")
            write_frame(frame, written[-1], fmt)
    written.append(out / "reply_graph.graphml")
    write_graphml(written[-1], nodes.drop("parent"), replies.select("source", "target"), "replies")
    written.append(out / "author_graph.graphml")
    who = people(tables["authors"]).rename({"author_ap_id": "node"})
    write_graphml(written[-1], who, authors, "authors")
    return written


REPLY_EDGES = [
    "instance", "post_id", "source", "target", "depth", "collected", "author_ap_id",
    "target_author_ap_id", "published",
]  # fmt: skip


def reply_edges(nodes: pl.DataFrame) -> pl.DataFrame:
    """One row per node with a parent (``REPLY_EDGES``): the source (the comment) and
    the target (what it answers), the source's depth, whether it was collected (false: a
    placeholder), its author and time, and the target's author (null where the target
    was not collected)."""
    targets = nodes.select(
        pl.col("node").alias("target"), pl.col("author_ap_id").alias("target_author_ap_id")
    )
    sources = nodes.filter(pl.col("parent").is_not_null()).rename(
        {"node": "source", "parent": "target"}
    )
    joined = sources.join(targets, on="target", how="left", maintain_order="left")
    return joined.select(REPLY_EDGES)
