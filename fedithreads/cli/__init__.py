"""The ``fedithreads`` command line; the entry point is ``fedithreads.cli:main``.

main      the click group: every command, ``--version``, ``--help``
common    what every command shares: settings options, one-line errors, the console
read      analyze, show, export, report: the commands that read data
run       collect, serve, demo: the commands that talk HTTP
maintain  check, repair: the commands that look after the data dir
demo      the whole pipeline offline: serve fixtures, collect, analyze, show
maintain  check and repair: verify a data dir, mend it from the raw archive
terminal  styled lines and thread stats as rich renderables

The only subpackage that imports click and rich, and the only place collect and replay
meet (``demo``).
"""

from fedithreads.cli.main import main as _group
from fedithreads.cli.stopping import quick_exit


def main() -> None:
    """The ``fedithreads`` console script (and ``python -m fedithreads``): the command
    line, then, when the command allowed it (``stopping.allow_quick_exit``), the process
    ended at once, past the interpreter's teardown."""
    try:
        _group()
    except SystemExit as exc:
        quick_exit(exc.code)
        raise


__all__ = ["main"]
