"""Which writer each research format has (``export --format``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl

from fedithreads.formats import FORMATS
from fedithreads.formats.convokit import write_corpus
from fedithreads.formats.edges import write_edges


def write_format(
    fmt: str, tables: Mapping[str, pl.DataFrame], out: Path, *, pseudonymised: bool
) -> list[Path]:
    """Write analysed ``tables`` to ``out`` in ``fmt`` (one of ``FORMATS``); the paths
    written. ``pseudonymised`` is recorded where the format keeps such facts."""
    if fmt == "convokit":
        return write_corpus(tables, out, pseudonymised=pseudonymised)
    if fmt == "edges":
        return write_edges(tables, out)
    raise ValueError(f"no research format {fmt!r}; one of {', '.join(FORMATS)}")
