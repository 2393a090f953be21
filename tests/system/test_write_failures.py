"""A disk that fills up or turns read-only mid-run: one line, nothing lost, a resumed run.

The failures are injected at the system calls every write goes through (``os.fsync`` for
part files, state and manifests; the raw archive's directory), so they hit wherever the
run happens to be writing; tests/system/test_crash.py also fills a real small tmpfs.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from fedithreads.errors import StoreError
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.server import ReplayServer
from fedithreads.storage.tables import read_table
from fedithreads.synth.generate import generate_thread
from tests.collect.conftest import collect, settings_for
from tests.system.conftest import community

QUICK = (60_000, 60)


def failing_once_written(
    data_dir: Path, code: int, real: Callable[[int], None]
) -> Callable[[int], None]:
    """``os.fsync`` that fails with ``code`` once a comments part is in ``data_dir``'s
    tables (mid-run: some threads written, others not)."""

    def fsync(fd: int) -> None:
        if any((data_dir / "tables" / "comments").glob("*/*.parquet")):
            raise OSError(code, os.strerror(code))
        real(fd)

    return fsync


@pytest.mark.parametrize(
    ("code", "words", "fix"),
    [
        (errno.ENOSPC, "disk full", "free space and re-run"),
        (errno.EROFS, "read-only file system", "make it writable"),
    ],
)
def test_a_write_failing_mid_run_is_one_line_keeps_what_was_written_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, words: str, fix: str
) -> None:
    """The run stops with one line naming the cause and the file; the threads written
    before stay readable; the next run resumes the same run and ends complete."""
    dataset = community(8)
    settings = settings_for(tmp_path)
    with ReplayServer(dataset, quirks=Quirks(published_rate_limit=QUICK)) as server:
        target = f"{server.base_url}/c/technology@lemmy.world"
        monkeypatch.setattr(os, "fsync", failing_once_written(tmp_path, code, os.fsync))
        with pytest.raises(StoreError) as caught:
            collect(settings, target)
        monkeypatch.undo()
        kept = read_table(tmp_path, "comments")
        report = collect(settings, target)

    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{words} writing {tmp_path}")
    assert "nothing half-written is visible" in message
    assert fix in message
    assert kept.height > 0  # parts written before the failure are still there
    assert report.resumed
    assert report.ok
    final = read_table(tmp_path, "comments")
    assert set(kept["comment_id"]) <= set(final["comment_id"])
    assert set(final["comment_id"]) == set().union(
        *(dataset.comment_ids(p) for p in dataset.post_ids())
    )


def test_a_read_only_raw_archive_is_one_line_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The raw archive's directory cannot be made: a StoreError naming it, no OSError."""
    real_mkdir = Path.mkdir

    def mkdir(self: Path, *args: object, **kwargs: object) -> None:
        if "raw" in self.parts:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        real_mkdir(self, *args, **kwargs)  # type: ignore[arg-type]

    thread = generate_thread(9, instance="lemmy.ca", n_comments=5, post_id=77)
    with ReplayServer(ReplayDataset.from_threads([thread])) as server:
        monkeypatch.setattr(Path, "mkdir", mkdir)
        with pytest.raises(StoreError) as caught:
            collect(settings_for(tmp_path), f"{server.base_url}/post/77")

    message = str(caught.value)
    assert message.startswith(f"read-only file system writing {tmp_path / 'raw'}")
    assert message.endswith("make it writable (or give another --data-dir) and re-run")
