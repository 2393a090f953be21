"""A target's first ask on a host not yet detected, sent on a guess (collect.guess).

The post of a post target, a copy's ``resolve_object`` or a listing's first page goes
out with the host's nodeinfo in the dialect guessed for it; once nodeinfo has named the
host it is read as the normal ask's answer would be, or the whole ask is made again in
the right dialect.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from fedithreads.collect.api import ThreadApi
from fedithreads.collect.client import Client, Fetched, Params
from fedithreads.collect.detect import Server
from fedithreads.collect.guess import GuessMissed, on_guess
from fedithreads.errors import FetchError

T = TypeVar("T")


class GuessingApi(ThreadApi):
    """A ThreadApi whose first request goes out on a guess (``on_guess``); the later ones
    as any ThreadApi's, in the dialect ``sighting`` has named."""

    def __init__(
        self, client: Client, guess: Server, sighting: asyncio.Future[Server], run_id: str
    ) -> None:
        super().__init__(client, guess, run_id)
        self._sighting = sighting
        self._guessing = True

    async def _fetch(
        self, path: str, params: Params, parser: Callable[[], Callable[[Fetched], T]]
    ) -> T:
        if not self._guessing:
            return await super()._fetch(path, params, parser)
        self._guessing = False
        self.requests += 1
        try:
            return await on_guess(
                self.client, self.server, path, params, self._knowing(parser), self._sighting
            )
        except FetchError:  # an error answer in the guessed dialect, or nodeinfo's own
            if self._sighting.done() and self._sighting.exception() is None:
                self.server = self._sighting.result()  # the host is known now
            raise

    def _knowing(
        self, parser: Callable[[], Callable[[Fetched], T]]
    ) -> Callable[[Server], Callable[[Fetched], T]]:
        """``parser`` made once the server is known (it reads ``self.server``)."""

        def made(server: Server) -> Callable[[Fetched], T]:
            self.server = server
            return parser()

        return made


async def ask_first(
    client: Client,
    guess: Server,
    sighting: asyncio.Future[Server],
    run_id: str,
    ask: Callable[[ThreadApi], Awaitable[T]],
) -> T:
    """What ``ask`` fetches, its first request sent at once on ``guess``; all of it asked
    again once ``sighting`` has named the host when the guess missed."""
    try:
        return await ask(GuessingApi(client, guess, sighting, run_id))
    except GuessMissed:
        return await ask(ThreadApi(client, await sighting, run_id))
