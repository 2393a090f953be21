"""A snapshot table's files listed once, so that each instance reads only its own.

A data dir keeps each instance's rows in a directory of their own
(``tables/<table>/instance=<host_dir(host)>/``; ``safe_name(host)`` in data dirs written
before hosts were percent-encoded: fedithreads.storage.tables). ``analyze`` reads one
instance at a time; a filter on ``instance`` over a scan of every file makes Polars open
every file for every instance (100 instances of 20,000 files: 2M footers, so the time
grew as instances × files). ``Listed.instance`` scans the files of the instance's
directories alone, still filtered by instance (rows of another host whose name maps to
the same directory never mix in), and the rows held in memory (parsed fixtures).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain

import polars as pl

from fedithreads.core import schema
from fedithreads.storage.atomic import host_dir, safe_name
from fedithreads.storage.objects import Location
from fedithreads.storage.tables import scan_files, table_files

Split = Callable[[str | None], tuple[pl.LazyFrame, pl.LazyFrame]]
"""An instance's (or, for ``None``, the instance-less rows') posts and comments."""


@dataclass(frozen=True, slots=True)
class Listed:
    """One snapshot table of some data dirs: per data dir, its files by the name of their
    instance directory (in the order ``table_files`` lists them); and rows not in files."""

    table: str
    dirs: tuple[dict[str, list[Location]], ...]
    frames: tuple[pl.LazyFrame, ...] = ()

    @classmethod
    def of(
        cls, data_dirs: Sequence[Location], table: str, frames: Sequence[pl.LazyFrame] = ()
    ) -> Listed:
        """The files of ``table`` in ``data_dirs`` (listed now) and the rows ``frames``."""
        return cls(table, tuple(_by_dir(table_files(d, table)) for d in data_dirs), tuple(frames))

    def scan(self) -> pl.LazyFrame:
        """Every row: each data dir's files, then the frames."""
        return self._concat([list(chain.from_iterable(d.values())) for d in self.dirs])

    def instance(self, host: str | None) -> pl.LazyFrame:
        """The rows of ``host``, read from its own directories' files (every file for
        ``None``: such rows have no directory of their own)."""
        if host is None:
            rows = self.scan()
        else:
            names = dict.fromkeys(f"instance={n}" for n in (host_dir(host), safe_name(host)))
            rows = self._concat([_merged([d.get(n, []) for n in names]) for d in self.dirs])
        return rows.filter(pl.col("instance").eq_missing(host))

    def _concat(self, files: list[list[Location]]) -> pl.LazyFrame:
        types = schema.SCHEMAS[self.table]
        scans = [scan_files(f, types=types) for f in files if f]
        parts = [*scans, *self.frames]
        return pl.concat(parts) if parts else schema.empty(self.table).lazy()


def _by_dir(files: list[Location]) -> dict[str, list[Location]]:
    grouped: dict[str, list[Location]] = {}
    for f in files:
        grouped.setdefault(f.parent.name, []).append(f)
    return grouped


def _merged(groups: list[list[Location]]) -> list[Location]:
    """Files of several directories in ``table_files``' order (by path)."""
    kept = [g for g in groups if g]
    return kept[0] if len(kept) == 1 else sorted(chain.from_iterable(kept), key=str)


def split(posts: Listed, comments: Listed) -> Split:
    """Each instance's posts and comments, read from its own files."""
    return lambda host: (posts.instance(host), comments.instance(host))
