"""fedithreads.replay.serve.api."""
