"""A thread's comment pages on their way to its part file, spilled to disk as they come.

A 50,000-comment thread should not cost 50,000 full records in memory: the crawler keeps
only a slim stub per comment (what the completeness verdict needs) and hands every page
to a ``Spool``, which buffers a few thousand rows as table rows and spills them to
``<data_dir>/.spool/<run>/<post>/NNNNN.parquet``. When the thread is done the spool is
merged — latest snapshot per comment, rejected paths dropped — into one frame for the
thread's part file, and removed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

from fedithreads import schema
from fedithreads.frames import comments_frame
from fedithreads.records import Page
from fedithreads.store import save_atomic

SPOOL_DIR = ".spool"


class Spool:
    """Buffers a thread's comment rows; ``write`` merges them into one file."""

    def __init__(self, directory: Path, *, flush_rows: int = 2000) -> None:
        self.directory = directory
        self.flush_rows = flush_rows
        self._frames: list[pl.DataFrame] = []
        self._buffered = 0
        self._files: list[Path] = []
        shutil.rmtree(directory, ignore_errors=True)  # what a killed run left behind

    def add(self, page: Page) -> None:
        """Take one page's comments (called by the crawler for every page it folds in)."""
        if not page.comments:
            return
        self._frames.append(comments_frame(page.comments))
        self._buffered += len(page.comments)
        if self._buffered >= self.flush_rows:
            self._spill()

    def _spill(self) -> None:
        if not self._frames:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{len(self._files):05d}.parquet"
        frame = pl.concat(self._frames)
        save_atomic(path, lambda fh: frame.write_parquet(fh, compression="lz4", statistics=False))
        self._files.append(path)
        self._frames, self._buffered = [], 0

    def merged(self, drop: frozenset[int]) -> pl.DataFrame:
        """Every comment once (its latest snapshot), without the ``drop`` ids, sorted."""
        parts = [pl.scan_parquet(f) for f in self._files] + [f.lazy() for f in self._frames]
        if not parts:
            return schema.empty("comments")
        return (
            pl.concat(parts)
            .filter(~pl.col("comment_id").is_in(sorted(drop)))
            .sort("comment_id", "collected_at")
            .unique("comment_id", keep="last", maintain_order=True)
            .collect()
        )

    def discard(self) -> None:
        self._frames, self._files, self._buffered = [], [], 0
        shutil.rmtree(self.directory, ignore_errors=True)
