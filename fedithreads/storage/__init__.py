"""The data dir and saved responses on disk.

atomic   files that appear whole or not at all, under safe names
tables   the snapshot tables: part files per run and instance, compaction, scans
raw      the raw archive of every answer a run received
sources  saved API responses (fixtures, curl downloads) → parsed pages with provenance
"""
