"""``python -m fedithreads``."""

from fedithreads.cli.main import main

main()
