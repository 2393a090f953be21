"""The data dir and saved responses on disk.

atomic      files that appear whole or not at all, under safe names
tables      the snapshot tables: part files per run and instance, compaction, scans;
            a damaged file named when a read fails
exports     ``export --partitioned``: the tables as Parquet partitioned by instance,
            for DuckDB, Spark and Polars
raw         the raw archive of every answer a run received, read member by member
sources     saved API responses (fixtures, curl downloads) → parsed pages with provenance
books       the run manifests and state.json, read as plain JSON
check       ``fedithreads check``: every part, manifest, raw file; stray temporaries
quarantine  where repair moves what it takes out of the data dir
answers     a run's raw answers from one host: attempts, provenance, pages
refold      a thread's comments folded again from its raw answers, as the crawler did
rebuild     a run's rows on one instance, derived again from its raw answers
mend        one table of one run and instance: quarantine, then rebuild
repair      ``fedithreads repair``: everything check finds, in order
"""
