"""fedithreads.verdict.columns."""
