"""fedithreads.collect.outcome."""
