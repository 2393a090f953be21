"""fedithreads: complete, verified copies of Lemmy-style discussion threads.

The public surface is what ``__all__`` lists; everything else may change.

The face is lazy: each name is imported from its module the first time it is read
(``__getattr__``), so a process that needs one part (the CLI's ``--help``, a collector
that never analyses) does not load Polars, the analysis and the dialect models with it.
``from fedithreads import analyze`` and ``fedithreads.analyze`` work as before.
"""

import importlib
import typing

if typing.TYPE_CHECKING:  # what the names are, for type checkers and editors
    from fedithreads._version import __version__
    from fedithreads.analysis.derived import Analysis, analyze
    from fedithreads.analysis.frames import Tables, build_tables
    from fedithreads.analysis.sql import connect
    from fedithreads.core.records import CommentRecord, Page, PostRecord, Provenance
    from fedithreads.core.schema import TABLES
    from fedithreads.core.tree import Node, Rejected, Thread, build_thread, build_threads
    from fedithreads.dialects import parse_page, sniff
    from fedithreads.errors import (
        ConfigError,
        FedithreadsError,
        LockHeldError,
        ParseError,
        SourceError,
        StoreError,
        UsageError,
    )
    from fedithreads.storage.sources import Capture, load_captures

# Where each public name lives: one entry per name, read by __getattr__.
_HOMES = {
    "__version__": "fedithreads._version",
    "Analysis": "fedithreads.analysis.derived",
    "analyze": "fedithreads.analysis.derived",
    "Tables": "fedithreads.analysis.frames",
    "build_tables": "fedithreads.analysis.frames",
    "connect": "fedithreads.analysis.sql",
    "CommentRecord": "fedithreads.core.records",
    "Page": "fedithreads.core.records",
    "PostRecord": "fedithreads.core.records",
    "Provenance": "fedithreads.core.records",
    "TABLES": "fedithreads.core.schema",
    "Node": "fedithreads.core.tree",
    "Rejected": "fedithreads.core.tree",
    "Thread": "fedithreads.core.tree",
    "build_thread": "fedithreads.core.tree",
    "build_threads": "fedithreads.core.tree",
    "parse_page": "fedithreads.dialects",
    "sniff": "fedithreads.dialects",
    "ConfigError": "fedithreads.errors",
    "FedithreadsError": "fedithreads.errors",
    "LockHeldError": "fedithreads.errors",
    "ParseError": "fedithreads.errors",
    "SourceError": "fedithreads.errors",
    "StoreError": "fedithreads.errors",
    "UsageError": "fedithreads.errors",
    "Capture": "fedithreads.storage.sources",
    "load_captures": "fedithreads.storage.sources",
}

__all__ = [
    "TABLES",
    "Analysis",
    "Capture",
    "CommentRecord",
    "ConfigError",
    "FedithreadsError",
    "LockHeldError",
    "Node",
    "Page",
    "ParseError",
    "PostRecord",
    "Provenance",
    "Rejected",
    "SourceError",
    "StoreError",
    "Tables",
    "Thread",
    "UsageError",
    "__version__",
    "analyze",
    "build_tables",
    "build_thread",
    "build_threads",
    "connect",
    "load_captures",
    "parse_page",
    "sniff",
]


def __getattr__(name: str) -> typing.Any:
    """Import a public name from its home on first use and keep it on the face."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'fedithreads' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
