"""The run's progress in state.json as threads finish: what is done, what each looked like.

A thread is recorded as done only once its rows are on disk, so a killed run resumed under
the same run id crawls exactly the threads whose rows it had not written. Small threads are
written in batches (fedithreads.collect.batch): a batch is announced before its part is
written, so that the resumed run can tell whether it was.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from fedithreads.collect.state import RunInProgress, State, ThreadSeen
from fedithreads.core.units import Clock
from fedithreads.storage.objects import Location
from fedithreads.storage.tables import part_on_disk


@dataclass(slots=True)
class Finished:
    """A finished thread: its state key, outcome, and counts to remember once written."""

    key: str
    outcome: dict[str, Any]
    seen: ThreadSeen | None = None


class Ledger:
    """The run's progress in state.json: which threads are done and what each looked like.

    A thread is recorded as done only once its rows are on disk. Batches are announced
    before their part is written, so a resumed run can tell whether it was
    (``settle_pending``). Finished threads are saved at most once every
    ``SAVE_INTERVAL`` seconds (and always at the end of the run): a kill loses at most
    that second's record, and those threads are crawled again and their part files
    rewritten under the same names, never doubled.
    """

    SAVE_INTERVAL = 1.0
    """Seconds between the saves ``commit`` makes. Those are written by a worker thread
    of the ledger (the state encoded first, on the caller's thread): the event loop
    goes on reading answers and finishing threads while the file is synced. ``save``
    waits for them, and writes after them: the file never goes back to older news.
    A background save that failed is raised by the next ``commit`` or ``save``."""

    def __init__(
        self,
        data_dir: Location,
        state: State,
        run: RunInProgress,
        clock: Clock,
        *,
        books: Location | None = None,
        before_save: Callable[[], None] = lambda: None,
    ) -> None:
        """``books``: where state.json is (a shard's directory; default the data dir).
        ``before_save``: called before every save of state.json, which records threads as
        done: the run's raw answers are flushed there, and a lost lease stops the run."""
        self.data_dir = data_dir
        self.books = data_dir if books is None else books
        self.before_save = before_save
        self.state = state
        self.run = run
        self.run_id = run.run_id
        self.clock = clock
        self._saved_at = float("-inf")
        self._writer: ThreadPoolExecutor | None = None
        self._writing: list[Future[None]] = []

    def done(self, key: str) -> dict[str, Any] | None:
        """The outcome of ``key`` if this run (or the run it resumes) finished it."""
        return self.run.done.get(key)

    def save(self) -> None:
        """Write state.json now, after the saves ``commit`` left to the worker thread."""
        self._settle(wait=True)
        self.before_save()
        self.state.save(self.books)

    def close(self) -> None:
        """End the worker thread once its saves are written. What failed there is raised
        by ``save`` (the end of a run); a run that fails before it has its own error."""
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None
        self._writing = []

    def _save_soon(self) -> None:
        """The state as it is now, written by the worker thread (see ``SAVE_INTERVAL``)."""
        self._settle(wait=False)
        self.before_save()
        text = self.state.encode()
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="fedithreads-state")
        self._writing.append(self._writer.submit(self.state.write, self.books, text))

    def _settle(self, *, wait: bool) -> None:
        """Forget the background saves written (all of them, once written, if ``wait``);
        raise the first that failed."""
        writing, self._writing = self._writing, []
        for i, save in enumerate(writing):
            if not (wait or save.done()):
                self._writing = writing[i:]  # one worker: those after it are not done
                return
            save.result()

    def announce(self, part: str, finished: list[Finished]) -> None:
        """Record a batch before its part is written (saved at once)."""
        self.run.pending[part] = {
            f.key: {"outcome": f.outcome, "seen": asdict(f.seen) if f.seen else None}
            for f in finished
        }
        self.save()

    def written(self, part: str, finished: list[Finished]) -> None:
        """A batch's part is on disk: its threads are done."""
        self.run.pending.pop(part, None)
        self.commit(finished)

    def settle_pending(self) -> None:
        """Batches a killed run announced: done if their part made it to disk, else
        forgotten (their threads are crawled again)."""
        for part, threads in list(self.run.pending.items()):
            if part_on_disk(self.data_dir, "comments", self.run_id, part):
                self.commit(
                    [
                        Finished(k, v["outcome"], ThreadSeen(**v["seen"]) if v["seen"] else None)
                        for k, v in threads.items()
                    ]
                )
            del self.run.pending[part]
        self.save()

    def commit(self, finished: list[Finished]) -> None:
        """Threads whose rows are on disk: done for this run, their counts remembered."""
        for item in finished:
            self.run.done[item.key] = item.outcome
            if item.seen is not None:
                self.state.threads[item.key] = item.seen
        now = self.clock()
        if now - self._saved_at >= self.SAVE_INTERVAL:
            self._save_soon()
            self._saved_at = now
