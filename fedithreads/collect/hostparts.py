"""What a run learns of its hosts, written as soon as it is known, not after the crawls.

Two tables describe the hosts rather than their threads: ``resolutions`` (where the
copies of threads were looked up, ``collect --across``) and ``languages`` (what each
detected host's /site lists). Both are known long before the run ends: a thread's copies
are looked up in its first round trips, then crawled for seconds. Written at the end,
their Parquet files and fsyncs came after the last page, on the run's critical path;
``HostParts.keep`` writes them in a worker thread whenever the lookups under way have all
been answered, while the crawls go on, and once more at the end only if something was
learnt since. Each write replaces the run's earlier one (the same files, every row so
far), so the tables hold what the run learnt, once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from fedithreads.collect.detect import Server, languages_frame
from fedithreads.collect.views import Views
from fedithreads.core.units import Now
from fedithreads.storage.objects import Location
from fedithreads.storage.tables import append_snapshots


class HostParts:
    """``await keep()`` for the whole run; ``views.close()`` lets it write the last time."""

    def __init__(
        self,
        data_dir: Location,
        run_id: str,
        views: Views,
        servers: Callable[[], Sequence[Server]],
        now: Now,
    ) -> None:
        """``servers``: the hosts detected so far."""
        self.data_dir = data_dir
        self.run_id = run_id
        self.views = views
        self.servers = servers
        self.now = now
        self._written: tuple[int, int] | None = None

    async def keep(self) -> None:
        """Write what is known each time the lookups have been answered, until the run
        closes, and then whatever is new since."""
        while True:
            closing = await self.views.news()
            servers = list(self.servers())
            known = (len(self.views.resolutions), len(servers))
            if known != self._written:
                await asyncio.to_thread(self._write, known[0], servers)
                self._written = known
            if closing:
                return

    def _write(self, resolved: int, servers: list[Server]) -> None:
        """The first ``resolved`` resolutions, and the languages of ``servers``."""
        if resolved:
            frame = self.views.frame(resolved)
            append_snapshots(self.data_dir, self.run_id, "resolutions", frame)
        found = languages_frame(servers, self.now(), self.run_id)
        if not found.is_empty():
            append_snapshots(self.data_dir, self.run_id, "languages", found, "site")
