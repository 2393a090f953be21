"""The file formats ``write_tables`` writes, apart from the writer.

The CLI lists them in ``export --format``'s choices when it declares the command, before
anything has asked for Polars.
"""

FORMATS = ("parquet", "csv", "jsonl")
