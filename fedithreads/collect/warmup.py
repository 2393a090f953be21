"""What a run needs to read its answers and write its rows, loaded while it waits for them.

The collector's first requests leave before Polars, the dialect models and the crawl's
verdict columns are imported (issue 16): every module on the way to the first request
imports them where it uses them. Loading them takes a few tenths of a second of CPU;
done on the event loop, that time would come on top of the first round trips, the
requests after them waiting for it. ``warm_up`` loads them in a thread instead, started
once the run's first requests are on their way: the event loop, waiting for answers,
holds no GIL, so the imports fill time the run spends waiting anyway.

Nothing depends on the thread having finished. A module it is still importing when the
run needs it is waited for (Python's import lock), never imported twice; a module it
failed to import is imported again where the run uses it, which raises the error there.
The package's imports run one way (LAYOUT.md), so the two threads never wait for each
other's modules in a circle.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence

NEEDED = (
    "fedithreads.dialects",
    "polars",
    "fedithreads.core.rows",
    "fedithreads.verdict.columns",
    "fedithreads.analysis.frames",
)
"""In the order a run needs them: the models read the first answer (nodeinfo); Polars and
the row and verdict columns come with the first page of comments or the first posts
written."""


def warm_up(modules: Sequence[str] = NEEDED) -> threading.Thread:
    """Import ``modules`` in a daemon thread (it never holds a process open)."""
    thread = threading.Thread(
        target=_import_all, args=(tuple(modules),), name="fedithreads-warm-up", daemon=True
    )
    thread.start()
    return thread


def _import_all(modules: tuple[str, ...]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # the run's own import of it raises it again
            return
