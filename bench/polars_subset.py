"""Polars computing the same subset of thread_stats as ``duckdb_subset.SQL``, for comparison.

The same seven columns from the same Parquet files, written as Polars' own best query we
found: the latest snapshot of every comment and post (its row of greatest
``collected_at``, taken with ``arg_max`` inside one group-by per object, as DuckDB's
query does), then one group-by per thread, and a full join on (instance, post_id) so
that threads without comments or without a post are kept. It measures the engine on the
subset alone; ``analyze`` computes every column of thread_stats, activity and
vote_history, so the difference between the two is what the rest of the analysis costs.

    python bench/polars_subset.py [--dir DIR] [--rounds 3]

prints, for the 1M corpus, the medians of ``analyze``, this query and DuckDB's, each in a
fresh child process (``analysis_bench.measure``), and whether the three agree on the
seven columns, thread by thread.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

OBJECT = {"comments": "comment_id", "posts": "post_id"}
COMMENT_COLUMNS = ["post_id", "depth", "deleted", "removed", "author_ap_id", "published"]


def latest(data_dir: Path, table: str, columns: list[str]) -> pl.LazyFrame:
    """Each object's row of greatest ``collected_at``: ``columns`` by (instance, id)."""
    key = ["instance", OBJECT[table]]
    files = pl.scan_parquet(data_dir / "tables" / table / "**/*.parquet", hive_partitioning=True)
    wanted = [c for c in columns if c not in key]
    at = pl.col("collected_at").arg_max()
    return files.group_by(key).agg(pl.col(c).get(at) for c in wanted)


def thread_subset(data_dir: Path) -> pl.DataFrame:
    """The subset of thread_stats, computed by Polars over ``data_dir``'s Parquet files."""
    comments = latest(data_dir, "comments", COMMENT_COLUMNS)
    posts = latest(data_dir, "posts", ["published"])
    depth = pl.col("depth")
    per_thread = comments.group_by("instance", "post_id").agg(
        pl.len().alias("comments_collected"),
        (~pl.col("deleted") & ~pl.col("removed")).sum().alias("comments_visible"),
        pl.col("author_ap_id").n_unique().alias("authors"),
        (depth == 1).sum().alias("top_level"),
        depth.max().alias("max_depth"),
        depth.mean().alias("mean_depth"),
        pl.col("published").min().alias("first_published"),
    )
    counts = ["comments_collected", "comments_visible", "authors", "top_level"]
    reply = pl.col("first_published") - pl.col("published")
    return (
        posts.join(per_thread, on=["instance", "post_id"], how="full", coalesce=True)
        .select(
            "instance",
            "post_id",
            *(pl.col(c).fill_null(0) for c in counts),
            "max_depth",
            "mean_depth",
            (reply.dt.total_microseconds() / 1e6).alias("first_reply_seconds"),
        )
        .collect()
    )


def main(argv: list[str] | None = None) -> int:
    import argparse
    import os
    import statistics

    import analysis_bench as ab
    import corpus

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ.get("FEDITHREADS_BENCH_DIR", "/tmp/fedithreads-bench"))
    parser.add_argument("--dir", type=Path, default=default)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    data_dir = corpus.ensure_corpus(args.dir, ab.SMALL)
    kinds = ("derived", "polars-subset", "duckdb")
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    for _ in range(args.rounds):  # alternating, so that a busy machine weighs on all alike
        for kind in kinds:
            runs[kind].append(ab.measure(kind, data_dir))
    for kind in kinds:
        seconds = statistics.median(r["seconds"] for r in runs[kind])
        rss = statistics.median(r["rss_mb"] for r in runs[kind])
        print(f"{kind:<14} {seconds:6.3f} s {rss:8,.0f} MB")
    out = {kind: Path(str(runs[kind][-1]["out"])) for kind in kinds}
    for a, b in (("polars-subset", "duckdb"), ("derived", "polars-subset")):
        agreeing, total, bad = ab.agreement(out[a], out[b])
        print(f"{a} / {b}: {agreeing:,}/{total:,} threads agree; columns apart: {bad or 'none'}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
