"""Measures of a discussion from the literature on threads, per thread, in Polars.

``thread_stats`` (fedithreads.analysis.stats) adds these to each thread's row; their
formulas are stated there with the others. Here they are computed from the facts it has
already found of each current comment (its thread number, what it answers), so that no
table is joined again: distinct reply pairs and (thread, depth) and (thread, author)
counts are group-bys on integers. Words as in stats: a reply's **parent** is the comment
it answers, or the post for a top-level comment; an **author** is an ``author_ap_id``
(or its integer code, as the analysis passes them).
"""

from __future__ import annotations

import polars as pl

from fedithreads.core.keys import pack, widths
from fedithreads.core.treeshape import TID


def discussion(replies: pl.DataFrame, answered: pl.Series) -> pl.DataFrame:
    """Per thread number with comments: ``h_index``, ``reciprocity`` and
    ``reentry_authors``. ``replies``: one row per current comment with ``TID``, depth,
    author_ap_id and ``_op``; ``answered``: whom each answers
    (fedithreads.analysis.replies.answered_authors)."""
    return (
        _h_index(replies)
        .join(_reciprocity(replies, answered), on=TID, how="left")
        .join(_reentry(replies), on=TID, how="left")
        .with_columns(pl.col("reentry_authors").fill_null(0))
    )


def _h_index(replies: pl.DataFrame) -> pl.DataFrame:
    """The largest depth h holding at least h comments (0 when none does)."""
    at_depth = replies.group_by(TID, "depth").len("_n")
    deep_enough = at_depth.filter(pl.col("_n") >= pl.col("depth"))
    best = deep_enough.group_by(TID).agg(pl.col("depth").max().cast(pl.Int64).alias("h_index"))
    threads = at_depth.select(TID).unique()
    return threads.join(best, on=TID, how="left").with_columns(pl.col("h_index").fill_null(0))


def _reciprocity(replies: pl.DataFrame, answered: pl.Series) -> pl.DataFrame:
    """The share of distinct reply pairs (A answered B, A ≠ B) whose reverse is a pair."""
    pairs = replies.select(TID, pl.col("author_ap_id").alias("_from"), answered.alias("_to"))
    pairs = pairs.filter(pl.col("_to").is_not_null() & (pl.col("_from") != pl.col("_to")))
    bits = widths(pairs) if pairs.schema["_from"].is_integer() else None
    if bits is not None and bits[0] + 2 * max(bits[1:]) <= 63:
        return _sorted_reciprocity(pairs, bits[0], max(bits[1:]))
    distinct = pairs.unique()
    reverse = distinct.select(TID, pl.col("_to").alias("_from"), pl.col("_from").alias("_to"))
    returned = distinct.join(reverse, on=[TID, "_from", "_to"], how="semi")
    return (
        distinct.group_by(TID)
        .len("_pairs")
        .join(returned.group_by(TID).len("_returned"), on=TID, how="left")
        .select(TID, (pl.col("_returned").fill_null(0) / pl.col("_pairs")).alias("reciprocity"))
    )


def _sorted_reciprocity(pairs: pl.DataFrame, thread_bits: int, author_bits: int) -> pl.DataFrame:
    """``_reciprocity`` of integer authors, by two sorts of packed integers instead of
    hashing (3-4× faster): the pairs are the distinct integers (thread, A, B); a pair is
    returned when its unordered integer (thread, min(A, B), max(A, B)) is that of two of
    them (made from the distinct integers, so only they are sorted twice)."""
    one = 1 << author_bits
    packed = pack([TID, "_from", "_to"], [thread_bits, author_bits, author_bits])
    keys = pairs.select(packed.alias("_k")).to_series().sort()
    first, second = (pl.col("_k") // one) % one, pl.col("_k") % one
    both = pl.min_horizontal(first, second) * one + pl.max_horizontal(first, second)
    unordered = (
        keys.filter(keys.ne_missing(keys.shift(1)))
        .to_frame()
        .select(pl.col("_k") // (one * one) * (one * one) + both)
        .to_series()
        .sort()
    )
    twice = unordered.eq_missing(unordered.shift(1)) | unordered.eq_missing(unordered.shift(-1))
    thread = (unordered // (one * one)).cast(pairs.schema[TID]).set_sorted()
    return (
        pl.DataFrame({TID: thread, "_returned": twice})
        .group_by(TID)
        .agg(pl.len().alias("_pairs"), pl.col("_returned").sum())
        .select(TID, (pl.col("_returned") / pl.col("_pairs")).alias("reciprocity"))
    )


def _reentry(replies: pl.DataFrame) -> pl.DataFrame:
    """Authors with two contributions or more: comments, plus one for the post's author."""
    written = replies.filter(pl.col("author_ap_id").is_not_null())
    by = [TID, "author_ap_id"]
    bits = widths(written.select(by)) if written.schema["author_ap_id"].is_integer() else None
    if bits is not None and sum(bits) < 63:
        return _sorted_reentry(written, bits)
    per_author = written.group_by(by).agg(
        pl.len().alias("_n"), (pl.col("author_ap_id") == pl.col("_op")).any().alias("_op")
    )
    again = per_author.filter(pl.col("_n") + pl.col("_op").cast(pl.UInt32) >= 2)
    return again.group_by(TID).agg(pl.len().cast(pl.Int64).alias("reentry_authors"))


def _sorted_reentry(written: pl.DataFrame, bits: list[int]) -> pl.DataFrame:
    """``_reentry`` of integer authors, by one sort of the packed (thread, author, wrote
    the post) (the last is the same for all of an author's rows in a thread): the first
    comment of each author in a thread counts when another follows it or when the author
    wrote the post."""
    op = (pl.col("author_ap_id") == pl.col("_op")).fill_null(False)
    packed = pack([TID, "author_ap_id", op], [*bits, 1]).alias("_k")
    keys = written.select(packed).to_series().sort()
    key = pl.col("_k")
    again = key.ne_missing(key.shift(1)) & (key.eq_missing(key.shift(-1)) | (key % 2 == 1))
    thread = (key // (1 << (bits[1] + 1))).cast(written.schema[TID]).set_sorted().alias(TID)
    return (
        keys.to_frame()
        .filter(again)
        .group_by(thread)
        .agg(pl.len().cast(pl.Int64).alias("reentry_authors"))
    )


def latency_tail(latency: pl.Expr) -> pl.Expr:
    """In a group of comments: the 90th percentile of their reply latencies."""
    return latency.quantile(0.9, "linear")


def kth_published(share: float) -> pl.Expr:
    """In a group of comments: the published time of the ⌈share·n⌉-th in time."""
    position = ((pl.len() * share).ceil() - 1).cast(pl.UInt32)
    return pl.col("published").sort().get(position)


def controversy(up: str, down: str) -> pl.Expr:
    """Lemmy's controversy rank of a post's votes: (up + down) ^ (min / max), 0 when
    either is 0 (as its database's ``r.controversy_rank``)."""
    u, d = pl.col(up).cast(pl.Float64), pl.col(down).cast(pl.Float64)
    rank = (u + d).pow(pl.min_horizontal(u, d) / pl.max_horizontal(u, d))
    return pl.when((u > 0) & (d > 0)).then(rank).when(u.is_not_null() & d.is_not_null()).then(0.0)
