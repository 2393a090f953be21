"""Small finished threads, written together: one part file per batch, not per thread.

A community of thousands of short threads would otherwise cost a Parquet file, two fsyncs
and a state save per thread — more time than the requests themselves. Threads whose
comments fit the spool's buffer are held here until a few thousand rows (or a couple of
seconds) have gathered, then written as one part with a name of its own; only then are
they recorded as done (and their last-seen counts kept), so a killed run crawls exactly
the unwritten ones again and no row is ever written twice.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from fedithreads.collect.ledger import Finished
from fedithreads.core.records import CommentRecord
from fedithreads.core.units import Clock
from fedithreads.storage.objects import Location
from fedithreads.storage.tables import append_snapshots


@dataclass(slots=True)
class PartBatch:
    data_dir: Location
    run_id: str
    on_pending: Callable[[str, list[Finished]], None]
    on_written: Callable[[str, list[Finished]], None]
    clock: Clock
    max_rows: int = 5000
    max_seconds: float = 2.0
    _items: list[Finished] = field(default_factory=list)
    _rows: list[CommentRecord] = field(default_factory=list)
    _started: float = 0.0

    async def add(self, finished: Finished, rows: list[CommentRecord]) -> None:
        """Hold a thread until its batch is written (at once if the batch is full)."""
        if not self._items:
            self._started = self.clock()
        self._items.append(finished)
        self._rows.extend(rows)
        if len(self._rows) >= self.max_rows or self.clock() - self._started >= self.max_seconds:
            await self.flush()

    async def flush(self) -> None:
        """Write the held rows as one new part, then report the threads as written.

        The file writes (one file and two fsyncs per instance in the batch) run in a
        worker thread: done on the event loop they held every host's requests up, and
        a host paced to a token every 100 ms loses the tokens it could not use."""
        if not self._items:
            return
        items, rows = self._items, self._rows
        self._items, self._rows = [], []
        part = f"batch-{secrets.token_hex(6)}"
        if rows:
            from fedithreads.core.rows import comments_frame  # Polars: not before it is used

            self.on_pending(part, items)
            frame = comments_frame(rows, sort=False)
            await asyncio.to_thread(
                append_snapshots, self.data_dir, self.run_id, "comments", frame, part
            )
        self.on_written(part, items)
