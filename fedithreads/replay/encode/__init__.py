"""fedithreads.replay.serve.encode."""
