"""DuckDB computing a subset of thread_stats from the same Parquet files, for comparison.

``SQL`` is DuckDB's best query we found for it (``arg_max`` per object beat
``QUALIFY row_number() … = 1`` in paired runs): the latest snapshot of every comment and
post (greatest ``collected_at``), then per thread (instance, post_id) the columns
comments_collected, comments_visible, authors, top_level, max_depth, mean_depth and
first_reply_seconds, threads without comments or without a post included, as in
``thread_stats``. docs/benchmarks.md quotes it.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

SQL = """
WITH latest_comments AS (
  SELECT instance, unnest(arg_max({'post_id': post_id, 'depth': depth,
      'deleted': deleted, 'removed': removed, 'author_ap_id': author_ap_id,
      'published': published}, collected_at))
  FROM read_parquet('{data}/tables/comments/**/*.parquet', hive_partitioning = true)
  GROUP BY instance, comment_id
), latest_posts AS (
  SELECT instance, post_id, arg_max(published, collected_at) AS published
  FROM read_parquet('{data}/tables/posts/**/*.parquet', hive_partitioning = true)
  GROUP BY instance, post_id
), per_thread AS (
  SELECT instance, post_id,
    count(*) AS comments_collected,
    count(*) FILTER (WHERE NOT deleted AND NOT removed) AS comments_visible,
    count(DISTINCT author_ap_id) AS authors,
    count(*) FILTER (WHERE depth = 1) AS top_level,
    max(depth) AS max_depth,
    avg(depth) AS mean_depth,
    min(published) AS first_published
  FROM latest_comments
  GROUP BY instance, post_id
)
SELECT instance, post_id,
  coalesce(comments_collected, 0) AS comments_collected,
  coalesce(comments_visible, 0) AS comments_visible,
  coalesce(authors, 0) AS authors,
  coalesce(top_level, 0) AS top_level,
  max_depth, mean_depth,
  (epoch_us(first_published) - epoch_us(p.published)) / 1e6 AS first_reply_seconds
FROM latest_posts AS p FULL JOIN per_thread USING (instance, post_id)
"""


def thread_subset(data_dir: Path) -> pl.DataFrame:
    """The subset of thread_stats, computed by DuckDB over ``data_dir``'s Parquet files."""
    import duckdb

    query = SQL.replace("{data}", str(data_dir).replace("'", "''"))
    with duckdb.connect() as con:
        return con.sql(query).pl()
