"""Ending what a run started: ``cancel_and_wait`` for the tasks a stopped run leaves,
``all_of`` for steps that run at once and must all end before one's failure is raised."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import Any

from fedithreads.errors import StoreError


async def all_of(*steps: Awaitable[object]) -> None:
    """Wait for every step, then raise what failed: the disk's own error first (a full
    disk fails steps that write alike), and no step's error left unretrieved."""
    failed = [
        outcome
        for outcome in await asyncio.gather(*steps, return_exceptions=True)
        if isinstance(outcome, BaseException)
    ]
    if failed:
        raise next((e for e in failed if isinstance(e, StoreError)), failed[0])


async def cancel_and_wait(futures: Iterable[asyncio.Future[Any]]) -> None:
    """Cancel every one of ``futures`` still under way and wait until each has ended
    (its own cleanup included), whatever it raises; what those already ended raised is
    taken too (asyncio would otherwise print it as never retrieved, with a traceback)."""
    futures = list(futures)
    running = [f for f in futures if not f.done()]
    for future in running:
        future.cancel()
    for ended in futures:
        if ended.done() and not ended.cancelled():
            ended.exception()
    await asyncio.gather(*running, return_exceptions=True)
