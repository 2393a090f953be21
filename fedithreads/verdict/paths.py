"""The verdict of a clean thread with orphans, by path arithmetic in Polars.

Every label of every path becomes a node, its parent the label before it; a label that is
no collected comment is a placeholder. Each node's strict ancestors (one row per pair)
give the collected comments below a node, the size of a placeholder's subtree, whether a
node sits under a collected comment (the structural count stops there) and whether under
a gap (gaps are topmost). Same definitions as ``assess``, held to it by the
property tests of tests/test_verdict.py; ``verdict`` calls it for threads past the size
it judges in Python whose parents are not all collected.
"""

from __future__ import annotations

import polars as pl

from fedithreads.core.records import PostRecord
from fedithreads.verdict.assess import Completeness


def placeholder_verdict(post: PostRecord, frame: pl.DataFrame) -> Completeness | None:
    """Orphans under placeholders: a row per (node, ancestor) pair. ``None`` if a path
    repeats a label, does not end in its own id, or names a parent another path denies."""
    rows = frame.with_row_index("row").with_columns(
        chain=pl.col("path").str.split(".").list.slice(1).list.eval(pl.element().cast(pl.Int64))
    )
    if not all_rows(
        rows,
        pl.col("chain").list.last() == pl.col("comment_id"),
        pl.col("chain").list.n_unique() == pl.col("chain").list.len(),
    ):
        return None
    long = _labels(rows)
    edges = long.select("label", "parent").unique()
    if edges.get_column("label").is_duplicated().any():
        return None  # some node has two parents: assess.assess decides which path wins
    nodes = _nodes(long, rows)
    pairs = _ancestor_pairs(nodes, rows)
    nodes = _with_gap_flags(nodes, pairs)
    visible = rows.height - int(rows.get_column("hidden").sum())
    return Completeness(
        collected=rows.height,
        visible=visible,
        reported=post.comments,
        missing=max(0, post.comments - visible, _structural(nodes)),
        orphans=_orphans(nodes),
        gaps=_topmost_gaps(nodes, rows),
    )


def all_rows(frame: pl.DataFrame, *conditions: pl.Expr) -> bool:
    """Whether every condition holds on every row (null counts as false)."""
    checks = frame.select(c.fill_null(False).all().alias(str(i)) for i, c in enumerate(conditions))
    return all(checks.row(0))


def _labels(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per label of every path: ``row``, ``label``, its ``parent`` (the label
    before it, null at the top) and ``pos`` (its index in the path, from 0)."""
    lengths = rows.get_column("chain").list.len()
    starts = pl.lit((lengths.cum_sum() - lengths).cast(pl.Int64))
    return (
        rows.select("row", label=pl.col("chain"))
        .explode("label")
        .with_columns(pos=pl.int_range(pl.len(), dtype=pl.Int64) - starts.gather(pl.col("row")))
        .with_columns(
            parent=pl.when(pl.col("pos") > 0).then(pl.col("label").shift(1)),
        )
    )


def _nodes(long: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """One row per node: its parent, a row whose path names it and where, and its
    record's count (null for a placeholder)."""
    counts = rows.select(label="comment_id", child_count="child_count")
    return (
        long.group_by("label")
        .agg(pl.col("parent", "row", "pos").first())
        .join(counts, on="label", how="left")
        .with_columns(collected=pl.col("child_count").is_not_null())
    )


def _ancestor_pairs(nodes: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """(node, ancestor) for every node and each of its strict ancestors, with whether
    each of the two is a collected comment."""
    collected = nodes.select("label", "collected")
    return (
        nodes.select("label", "row", "pos")
        .join(rows.select("row", "chain"), on="row")
        .select(node="label", anc=pl.col("chain").list.head(pl.col("pos")))
        .explode("anc")
        .drop_nulls("anc")
        .join(collected.rename({"label": "node", "collected": "node_collected"}), on="node")
        .join(collected.rename({"label": "anc", "collected": "anc_collected"}), on="anc")
    )


def _with_gap_flags(nodes: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """Adds ``below`` (collected comments under the node), ``covered`` (a collected
    ancestor), ``gap`` and ``topmost`` (a gap under no gap)."""
    below = pairs.group_by("anc").agg(
        below=pl.col("node_collected").sum().cast(pl.Int64), size=pl.len().cast(pl.Int64) + 1
    )
    covered = pairs.group_by("node").agg(covered=pl.col("anc_collected").any())
    nodes = (
        nodes.join(below, left_on="label", right_on="anc", how="left")
        .join(covered, left_on="label", right_on="node", how="left")
        .with_columns(
            pl.col("below").fill_null(0),
            pl.col("size").fill_null(1),
            pl.col("covered").fill_null(False),
        )
    )
    share = pl.when(pl.col("collected")).then(1 + pl.col("child_count")).otherwise(pl.col("size"))
    accounted = nodes.group_by("parent").agg(accounted=share.sum())
    nodes = nodes.join(accounted, left_on="label", right_on="parent", how="left").with_columns(
        gap=~pl.col("collected") | (pl.col("child_count") > pl.col("accounted").fill_null(0))
    )
    gaps = nodes.filter("gap").select(anc="label")
    under_gap = pairs.join(gaps, on="anc", how="semi").select(label="node").unique()
    return nodes.with_columns(
        topmost=pl.col("gap") & ~pl.col("label").is_in(under_gap.get_column("label").implode())
    )


def _structural(nodes: pl.DataFrame) -> int:
    """Placeholders under no collected comment, plus what each topmost collected comment
    promises beyond what was collected below it."""
    share = (
        pl.when(pl.col("collected"))
        .then((pl.col("child_count") - pl.col("below")).clip(0))
        .otherwise(1)
    )
    return int(nodes.filter(~pl.col("covered")).select(share.sum()).item() or 0)


def _orphans(nodes: pl.DataFrame) -> int:
    placeholders = nodes.filter(~pl.col("collected")).get_column("label").implode()
    return nodes.filter(pl.col("collected") & pl.col("parent").is_in(placeholders)).height


def _topmost_gaps(nodes: pl.DataFrame, rows: pl.DataFrame) -> tuple[int, ...]:
    """In tree order, siblings by id: the order of the chains of labels."""
    chains = (
        nodes.filter("topmost")
        .join(rows.select("row", "chain"), on="row")
        .select(pl.col("chain").list.head(pl.col("pos") + 1))
        .get_column("chain")
        .to_list()
    )
    return tuple(chain[-1] for chain in sorted(chains))
