"""``python -m fedithreads``."""

from fedithreads.cli import main

main()
