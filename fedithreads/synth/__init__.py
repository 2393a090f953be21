"""fedithreads.synth.generate."""
