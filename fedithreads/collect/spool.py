"""A thread's comment pages on their way to its part file, spilled to disk as they come.

A 50,000-comment thread should not cost 50,000 full records in memory: the crawler keeps
only the few columns its verdict reads (``verdict.columns.Columns``) and hands the comments of
every page that are new or newer than what it had to a ``Spool``, which buffers a few
thousand rows and spills them to ``<data_dir>/.spool/<run>/<post>/`` as msgpack (msgspec
encodes the records as they are, ~600 bytes a comment): no Polars work on them while the
thread is crawled, so that nothing Polars' allocator keeps from the spills sits under the
verdict's own peak at the end of the crawl. When the thread is done, ``write`` turns one spill at a
time into a small Parquet file in memory (one row group, Polars' writer, zstd,
statistics), with one row per comment (where a comment came again with newer counts, its
latest batch) and rejected paths left out, and appends it to the thread's part file
(``storage.rowgroups.PartsFile``: its pages copied, one footer for all): never more than
one spill's rows at once, and no streaming engine, whose buffers grew with the thread
(+14 MB resident at 50,000 comments, 6 MB past the peak the verdict had set). The C
heap's freed pages are handed back first (``release_freed_heap``). A thread that never
filled the buffer is handed back whole (``buffered``), to be written with others.

That end costs a thread ~10 ms per 1,000 comments of Python after its last answer,
which a thread of a few thousand comments, collected from several instances at once
(issue 14), feels and a 50,000-comment one does not. A spool made ``framed`` (the
collector's choice for threads of up to ``FRAMED_UP_TO`` comments) writes each spill as
its small Parquet file at once, on the spool's worker thread while the crawl goes on; at
the end a spill that lost no row to a later batch or to ``drop`` is appended as it is,
and only the others are read back and filtered. The part file is the same either way.
"""

from __future__ import annotations

import io
import shutil
from array import array
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

import msgspec

from fedithreads.core.records import CommentRecord
from fedithreads.storage.atomic import save_atomic, save_streamed
from fedithreads.storage.objects import Location
from fedithreads.storage.rowgroups import PartsFile

if TYPE_CHECKING:
    import polars as pl

_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(list[CommentRecord])

FRAMED_UP_TO = 10_000
"""Threads the server counts up to this many comments spool ``framed`` (see above)."""


class Spool:
    """Buffers a thread's comment rows on disk; ``write`` joins them into one file."""

    def __init__(self, directory: Path, *, flush_rows: int = 2000, framed: bool = False) -> None:
        self.directory = directory
        self.flush_rows = flush_rows
        self.framed = framed
        self._buffer: list[CommentRecord] = []
        self._batch_of: list[int] = []
        self._files: list[Path] = []
        self._spilled: list[array[int]] = []  # per file: each row's batch
        self._ids: list[array[int]] = []  # per framed file: each row's comment id
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
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.framed:
            from fedithreads.core.rows import comments_frame

            path = self.directory / f"{len(self._files):05d}.parquet"
            frame = comments_frame(self._buffer, sort=False)
            save_atomic(path, lambda fh: _write_part(frame, fh))
            self._ids.append(array("q", (c.comment_id for c in self._buffer)))
        else:
            path = self.directory / f"{len(self._files):05d}.msgpack"
            data = _ENCODER.encode(self._buffer)
            save_atomic(path, lambda fh: fh.write(data))
        self._files.append(path)
        self._spilled.append(array("L", self._batch_of))
        self._buffer, self._batch_of = [], []

    def write(self, target: Location, drop: frozenset[int]) -> bool:
        """Join the spills, then the rows not yet spilled (from memory, no last spill
        file written and read back), into ``target`` (atomically), a row group each;
        False when nothing was ever added."""
        release_freed_heap()  # the crawl's and the verdict's Python objects, gone by now
        wrote = bool(self._files or self._buffer)
        if wrote:
            save_streamed(target, lambda tmp: self._join(tmp, drop))
        self.discard()
        return wrote

    def _join(self, path: Path, drop: frozenset[int]) -> None:
        with path.open("wb") as out:
            joined = PartsFile(out)
            for i, (spill, batches) in enumerate(zip(self._files, self._spilled, strict=True)):
                if self.framed:
                    keep = self._keeps(self._ids[i], batches, drop)
                    if all(keep):  # as it was written: its pages are copied
                        with spill.open("rb") as whole:
                            joined.append(whole)
                        continue
                    frame = _read_part(spill).filter(_mask(keep))
                else:
                    frame = self._kept(_DECODER.decode(spill.read_bytes()), batches, drop)
                _append(joined, frame)
            if self._buffer:  # the rows since the last spill: from memory, never a file
                _append(joined, self._kept(self._buffer, self._batch_of, drop))
            joined.finish()

    def _kept(
        self, rows: Sequence[CommentRecord], batches: Sequence[int], drop: frozenset[int]
    ) -> pl.DataFrame:
        """The frame of ``rows`` that goes into the part file (see ``_keeps``)."""
        from fedithreads.core.rows import comments_frame

        keep = self._keeps((r.comment_id for r in rows), batches, drop)
        return comments_frame([r for r, k in zip(rows, keep, strict=True) if k], sort=False)

    def _keeps(
        self, ids: Iterable[int], batches: Sequence[int], drop: frozenset[int]
    ) -> list[bool]:
        """Which rows of a spill go into the part file: not dropped, and a re-sent
        comment's only in its newest batch."""
        latest = self._latest
        return [
            cid not in drop and latest.get(cid, b) == b for cid, b in zip(ids, batches, strict=True)
        ]

    def buffered(self, drop: frozenset[int]) -> list[CommentRecord] | None:
        """Every comment once, without ``drop``, while nothing has been spilled to disk
        (the rows are all in memory); ``None`` once something has."""
        if self._files:
            return None
        latest = {c.comment_id: c for c in self._buffer if c.comment_id not in drop}
        return list(latest.values())

    def discard(self) -> None:
        self._buffer, self._batch_of, self._files, self._spilled = [], [], [], []
        self._ids, self._latest = [], {}
        shutil.rmtree(self.directory, ignore_errors=True)


def _write_part(frame: pl.DataFrame, out: IO[bytes]) -> None:
    """A spill as one row group, as ``PartsFile`` joins them (statistics, zstd)."""
    frame.write_parquet(out, statistics=True, row_group_size=max(frame.height, 1))


def _append(joined: PartsFile, frame: pl.DataFrame) -> None:
    part = io.BytesIO()
    _write_part(frame, part)
    joined.append(part)


def _read_part(path: Path) -> pl.DataFrame:
    import polars as pl

    return pl.read_parquet(path)


def _mask(keep: list[bool]) -> pl.Series:
    import polars as pl

    return pl.Series(keep, dtype=pl.Boolean)


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
