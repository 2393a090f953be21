"""fedithreads.analysis.stats."""
