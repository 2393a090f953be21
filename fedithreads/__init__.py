"""fedithreads: complete, verified copies of Lemmy-style discussion threads.

The public surface is what ``__all__`` lists; everything else may change.
"""

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
