"""Ending what a run started: ``cancel_and_wait`` for the tasks a stopped run leaves."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any


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
