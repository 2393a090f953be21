"""``export --format convokit``: a ConvoKit corpus directory, the format
``convokit.Corpus(filename=DIR)`` loads and ``Corpus.dump`` writes (ConvoKit 5)::

    DIR/utterances.jsonl    one utterance per line: every post, comment and placeholder
    DIR/speakers.json       {speaker id: {"meta": {...}, "vectors": []}}
    DIR/conversations.json  {conversation id: {"meta": {...}, "vectors": []}}
    DIR/corpus.json         the corpus' meta
    DIR/index.json          the types of every meta field, as ConvoKit's index keeps them

**Utterances** are the nodes of the reply trees (fedithreads.analysis.replies): ``id`` is
``<instance>/post/<id>`` or ``<instance>/comment/<id>``; ``conversation_id`` is the
thread's post's id (the root); ``reply-to`` is the parent comment's id, or the post's at
top level (null for the post); ``speaker`` is the author's actor URL; ``timestamp`` is
``published`` in Unix seconds; ``text`` is the post's body or the comment's content
(``""`` where there is none, or the server blanked it: ``meta.deleted``/``removed`` say
why). ``meta``: kind (post|comment), instance, post_id, comment_id, ap_id, collected,
depth, score, upvotes, downvotes, deleted, removed. A comment whose parent was not
collected answers a placeholder utterance (``collected`` false, text ``""``, timestamp
null, speaker ``[not collected]``), which answers its own parent, so every conversation
is one tree; so does a thread whose post was not collected, under a placeholder post.

**Speakers** are the authors (``authors.people``: author handle, host, bot, banned,
deleted). **Conversations** are the threads, with their thread_stats (instance, post_id,
ap_id, title, community, url, complete, missing, comments_collected, comments_reported).
Every copy of a thread (``collect --across``) is its own conversation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, Any

import polars as pl

from fedithreads._version import __version__
from fedithreads.analysis.authors import people
from fedithreads.analysis.replies import node_id, reply_nodes, with_rows
from fedithreads.storage.atomic import save_atomic

Writer = Callable[[IO[bytes]], object]

NOT_COLLECTED = "[not collected]"
"""The speaker of placeholders: utterances named by a reply's path, never collected."""

_ROWS = {
    "text": ("body", "content"),
    "published": ("published", "published"),
    "ap_id": ("ap_id", "ap_id"),
    **{c: (c, c) for c in ("score", "upvotes", "downvotes", "deleted", "removed")},
}
_META = [
    "kind", "instance", "post_id", "comment_id", "ap_id", "collected", "depth", "score",
    "upvotes", "downvotes", "deleted", "removed",
]  # fmt: skip
_THREAD = ["complete", "missing", "comments_collected", "comments_reported", "title", "community"]


def write_corpus(
    tables: Mapping[str, pl.DataFrame], out: Path, *, pseudonymised: bool
) -> list[Path]:
    """The corpus of analysed tables (posts, comments with their paths, thread_stats,
    authors) in ``out``; the paths written, each atomically."""
    posts, comments = tables["posts"], tables["comments"]
    nodes = with_rows(reply_nodes(posts, comments), posts, comments, _ROWS)
    utterances = _utterances(nodes)
    speakers = _speakers(people(tables["authors"]), utterances["speaker"])
    threads = _conversations(nodes, posts, tables["thread_stats"])
    corpus = {"source": "fedithreads", "version": __version__, "pseudonymised": pseudonymised}
    index = {
        "utterances-index": _types(utterances["meta"].struct.unnest()),
        "speakers-index": _types(speakers.drop("id")),
        "conversations-index": _types(threads.drop("id")),
        "overall-index": {k: [str(type(v))] for k, v in corpus.items()},
        "version": 1,
        "vectors": [],
    }
    files: dict[str, Writer] = {
        "utterances.jsonl": lambda fh: utterances.write_ndjson(fh),
        "speakers.json": _objects(speakers),
        "conversations.json": _objects(threads),
        "corpus.json": _json(corpus),
        "index.json": _json(index),
    }
    for name, write in files.items():
        save_atomic(out / name, write)
    return [out / name for name in files]


def _utterances(nodes: pl.DataFrame) -> pl.DataFrame:
    """One utterance per node, in ConvoKit's keys, each thread's post first."""
    return nodes.sort("instance", "post_id", pl.col("kind") != "post", "comment_id").select(
        pl.col("node").alias("id"),
        node_id("post", pl.col("post_id")).alias("conversation_id"),
        pl.col("text").fill_null(""),
        pl.col("author_ap_id").fill_null(NOT_COLLECTED).alias("speaker"),
        pl.struct(_META).alias("meta"),
        pl.col("parent").alias("reply-to"),
        pl.col("published").dt.epoch("s").alias("timestamp"),
        pl.lit([], pl.List(pl.String)).alias("vectors"),
    )


def _speakers(who: pl.DataFrame, named: pl.Series) -> pl.DataFrame:
    """The speakers' meta, with ``[not collected]`` when an utterance has it."""
    frame = who.rename({"author_ap_id": "id"})
    if (named == NOT_COLLECTED).any():
        frame = pl.concat([frame, pl.DataFrame({"id": [NOT_COLLECTED]})], how="diagonal")
    return frame


def _conversations(nodes: pl.DataFrame, posts: pl.DataFrame, stats: pl.DataFrame) -> pl.DataFrame:
    """One row per thread: its id and its meta."""
    copies = stats.filter(pl.col("scope") == "instance").select("instance", "post_id", *_THREAD)
    return (
        nodes.filter(pl.col("kind") == "post")
        .select(pl.col("node").alias("id"), "instance", "post_id", "ap_id")
        .join(copies, on=["instance", "post_id"], how="left", maintain_order="left")
        .join(posts.select("instance", "post_id", "url"), on=["instance", "post_id"], how="left")
        .sort("id")
    )


def _types(frame: pl.DataFrame) -> dict[str, list[str]]:
    """Each column's types as ConvoKit's index names them (``<class 'int'>``; a column
    with nulls also ``<class 'NoneType'>``)."""
    index = {}
    for column in frame.iter_columns():
        kind = _python_type(column.dtype)
        types = [kind] * (column.null_count() < column.len())
        types += ["NoneType"] * (column.null_count() > 0)
        index[column.name] = [f"<class '{t}'>" for t in types]
    return index


def _python_type(dtype: pl.DataType) -> str:
    """The Python type of a column's values as JSON reads them back."""
    if dtype.is_integer():
        return "int"
    if dtype.is_float():
        return "float"
    return "bool" if dtype == pl.Boolean else "str"


def _objects(frame: pl.DataFrame) -> Writer:
    """A writer of ``{id: {"meta": {other columns}, "vectors": []}}`` as JSON."""
    rows: Iterable[dict[str, Any]] = frame.iter_rows(named=True)
    return _json({row.pop("id"): {"meta": row, "vectors": []} for row in rows})


def _json(value: object) -> Writer:
    """A writer of ``value`` as JSON (timestamps as ISO 8601 text)."""
    return lambda fh: fh.write(json.dumps(value, ensure_ascii=False, default=str).encode())
