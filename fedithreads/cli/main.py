"""The ``fedithreads`` command line: parse arguments, delegate, print, exit with a code.

Known errors (fedithreads.errors) become one line on stderr and their exit code:
0 success, 1 failed or incomplete, 2 usage or config error, 75 another run holds the lock;
Ctrl-C and SIGTERM one line and 130 or 143 (cli.stopping). Anything else is a bug and
keeps its traceback. The commands live in ``cli.read``
(analyze, show, export, report), ``cli.query`` (sql), ``cli.run`` (collect, serve, demo)
and ``cli.maintain`` (check, repair). Nothing imports
this module but the entry point and ``python -m fedithreads``.
"""

from __future__ import annotations

import click

from fedithreads._version import __version__
from fedithreads.cli.maintain import check, repair
from fedithreads.cli.query import sql
from fedithreads.cli.read import analyze, export, report, show
from fedithreads.cli.run import collect, demo, serve
from fedithreads.cli.stopping import StoppableGroup


@click.group(cls=StoppableGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fedithreads")
def main() -> None:
    """Complete, verified copies of Lemmy-style discussion threads, and numbers about them."""


for command in (collect, analyze, show, export, report, sql, serve, demo, check, repair):
    main.add_command(command)
