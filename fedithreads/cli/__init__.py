"""The ``fedithreads`` command line (the entry point is ``fedithreads.cli:main``)."""

from fedithreads.cli.main import main

__all__ = ["main"]
