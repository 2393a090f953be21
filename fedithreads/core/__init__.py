"""fedithreads.core."""
