"""fedithreads.replay.serve."""
