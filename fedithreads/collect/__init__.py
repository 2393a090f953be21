"""fedithreads.collect.run."""
