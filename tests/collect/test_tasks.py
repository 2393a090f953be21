"""Ending a run's tasks: every one cancelled or waited for, none's error left unretrieved."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

from fedithreads.collect.tasks import all_of, cancel_and_wait
from fedithreads.errors import StoreError

pytestmark = pytest.mark.anyio


async def test_an_error_a_task_already_ended_with_is_taken_not_printed() -> None:
    """A task that failed before the run stopped (the post row's write on a full disk)
    is taken with the others: asyncio reports no exception as never retrieved (that
    report is a traceback on stderr, where a known error must be one line)."""
    reported: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))

    async def fails() -> None:
        raise StoreError("disk full writing a part; free space and re-run")

    ended = asyncio.ensure_future(fails())
    waiting = asyncio.ensure_future(asyncio.sleep(10))
    await asyncio.sleep(0)
    assert ended.done()

    await cancel_and_wait([ended, waiting])
    assert waiting.cancelled()
    del ended, waiting
    gc.collect()
    await asyncio.sleep(0)

    assert reported == []


async def test_a_threads_last_steps_are_all_waited_for_and_the_disks_error_wins() -> None:
    """A thread's rows settling and its post row being written both fail (a full disk
    fails them alike, the one with Polars' own error): both are waited for, the store's
    one-line error is raised, nothing is left unretrieved."""
    ended: list[str] = []

    async def settle() -> None:
        await asyncio.sleep(0)
        ended.append("settled")
        raise RuntimeError("parquet: File out of specification")

    async def write_post() -> None:
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        ended.append("post")
        raise StoreError("disk full writing the post row; free space and re-run")

    with pytest.raises(StoreError, match="disk full"):
        await all_of(settle(), write_post())
    assert ended == ["settled", "post"]
