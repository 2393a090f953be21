"""Run ``fedithreads`` and SIGKILL it right after its N-th comment page reached the raw
archive: a crash at a known page, for the resume tests and bench/resume_bench.py.

    python scripts/kill_after_pages.py N collect TARGET --data-dir DIR --config FILE

Exactly N comment pages (``/comment/list`` answers, refusals included) are then in the
run's raw archive; whatever else was in flight is lost, as with ``kill -9``.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime

import fedithreads.storage.raw as raw
from fedithreads.cli.main import main

LIMIT = int(sys.argv[1])
KEPT: list[str] = []
_write = raw.RawArchive.write


def write(
    self: raw.RawArchive, host: str, url: str, status: int, fetched_at: datetime, body: bytes
) -> None:
    _write(self, host, url, status, fetched_at, body)
    if "/comment/list" in url:
        KEPT.append(url)
        if len(KEPT) >= LIMIT:
            os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    raw.RawArchive.write = write  # type: ignore[method-assign]
    sys.argv = ["fedithreads", *sys.argv[2:]]
    main()
