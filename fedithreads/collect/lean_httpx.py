"""httpx, imported without its command-line client: the collector's modules import it here.

httpx's package imports ``httpx._main``, its own ``httpx`` command, whenever click, rich
and pygments are installed, as they are beside fedithreads (whose command line uses click
and rich): ~30 ms of CPU at every start, before a run's first request, for a command the
collector never runs. While httpx is imported here, ``httpx._main`` is marked missing in
``sys.modules``, so that httpx defines its stand-in for that command instead (its package
catches the ImportError); the mark is taken away at once, and ``httpx._main`` still
imports for whoever asks for it. Where httpx was imported before, this changes nothing.
"""

from __future__ import annotations

import sys

_MAIN = "httpx._main"
_marked = "httpx" not in sys.modules and _MAIN not in sys.modules
if _marked:
    sys.modules[_MAIN] = None  # type: ignore[assignment]  # an import of it raises ImportError
try:
    import httpx
finally:
    if _marked:
        del sys.modules[_MAIN]

__all__ = ["httpx"]
