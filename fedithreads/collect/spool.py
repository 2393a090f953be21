"""A thread's comment pages on their way to its part file, spilled to disk as they come.

A 50,000-comment thread should not cost 50,000 full records in memory: the crawler keeps
only the few columns its verdict reads (``verdict.columns.Columns``) and hands the comments of
every page that are new or newer than what it had to a ``Spool``, which buffers a few
thousand rows and spills them to ``<data_dir>/.spool/<run>/<post>/`` as Arrow IPC (LZ4):
Polars' own layout, quicker to write and read back than Parquet, and at 50,000 comments
~6 MB less resident at the end (fewer codec buffers). When
the thread is done, the spilled rows are streamed into the thread's part file: one row
per comment (where a comment came again with newer counts, its latest batch), rejected
paths left out, after the C heap's freed pages are handed back (``release_freed_heap``).
No record outlives its spill; Polars' streaming writer does still grow with the
thread (measured ~+17 MB resident streaming 50,000 comments). A thread that
never filled the buffer is handed back whole (``buffered``), to be written with others.
Polars loads with the first spill, not with the module (a run's first requests leave
before it).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from fedithreads.core.records import CommentRecord
from fedithreads.storage.atomic import save_atomic, sink_atomic
from fedithreads.storage.objects import Location

if TYPE_CHECKING:
    import polars as pl

_BATCH = "_batch"


class Spool:
    """Buffers a thread's comment rows on disk; ``write`` streams them into one file."""

    def __init__(self, directory: Path, *, flush_rows: int = 2000) -> None:
        self.directory = directory
        self.flush_rows = flush_rows
        self._buffer: list[CommentRecord] = []
        self._batch_of: list[int] = []
        self._files: list[Path] = []
        self._batches = 0
        self._latest: dict[int, int] = {}  # comment id → batch of its newest row, if re-sent
        shutil.rmtree(directory, ignore_errors=True)  # what a killed run left behind

    def add(self, comments: Sequence[CommentRecord], replaced: Iterable[int] = ()) -> None:
        """Take the new or newer comments of one page; ``replaced`` names those of them
        that supersede a row added earlier."""
        if not comments:
            return
        batch = self._batches
        self._batches += 1
        self._latest.update((cid, batch) for cid in replaced)
        self._buffer.extend(comments)
        self._batch_of.extend([batch] * len(comments))
        if len(self._buffer) >= self.flush_rows:
            self._spill()

    def _spill(self) -> None:
        if not self._buffer:
            return
        import polars as pl

        from fedithreads.core.rows import comments_frame

        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{len(self._files):05d}.arrow"
        batches = pl.Series(_BATCH, self._batch_of, dtype=pl.UInt32)
        frame = comments_frame(self._buffer, sort=False).with_columns(batches)
        save_atomic(path, lambda fh: frame.write_ipc(fh, compression="lz4"))
        self._files.append(path)
        self._buffer, self._batch_of = [], []

    def rows(self, drop: frozenset[int]) -> pl.LazyFrame | None:
        """Every comment once, without the ``drop`` ids; ``None`` if there is none."""
        self._spill()
        if not self._files:
            return None
        import polars as pl

        from fedithreads.core import schema

        rows = pl.scan_ipc(self._files).filter(~pl.col("comment_id").is_in(sorted(drop)))
        if self._latest:
            keep = pl.DataFrame(
                {"comment_id": list(self._latest), "_keep": list(self._latest.values())},
                schema={"comment_id": pl.Int64, "_keep": pl.UInt32},
            )
            rows = rows.join(keep.lazy(), on="comment_id", how="left").filter(
                pl.col("_keep").is_null() | (pl.col(_BATCH) == pl.col("_keep"))
            )
        return rows.select(list(schema.COMMENTS))

    def write(self, target: Location, drop: frozenset[int]) -> bool:
        """Stream the rows into ``target`` (atomically); False when there were none."""
        release_freed_heap()  # the crawl's and the verdict's Python objects, gone by now
        rows = self.rows(drop)
        if rows is not None:  # row groups of a spill's size: the writer holds less
            sink_atomic(rows, target, row_group_size=self.flush_rows)
        self.discard()
        return rows is not None

    def buffered(self, drop: frozenset[int]) -> list[CommentRecord] | None:
        """Every comment once, without ``drop``, while nothing has been spilled to disk
        (the rows are all in memory); ``None`` once something has."""
        if self._files:
            return None
        latest = {c.comment_id: c for c in self._buffer if c.comment_id not in drop}
        return list(latest.values())

    def discard(self) -> None:
        self._buffer, self._batch_of, self._files, self._latest = [], [], [], {}
        shutil.rmtree(self.directory, ignore_errors=True)


def release_freed_heap() -> None:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``; nothing
    elsewhere). What a crawl's Python objects held (its id map, the verdict's lists) is
    freed but stays resident until then, under the part file's writer: at 50,000 comments
    the writer's peak comes ~4 MB lower after it. ctypes loads here, not at start-up."""
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return
    trim(0)
