"""fedithreads.storage."""
