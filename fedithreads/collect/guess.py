"""A host's first requests sent in a guessed dialect, while nodeinfo is on its way.

Which dialect a host speaks comes from nodeinfo (fedithreads.collect.detect), one round
trip before anything can be asked in it: its ``/site`` (the rate limit), then a thread's
first ask (its post, or a copy's ``resolve_object``), then the comment pages, each a
round trip later. So a host's ``/site`` and first ask go out with its nodeinfo, in the
dialect the host spoke when an earlier run saw it (``State.servers``), else
``lemmy-v3``'s (Lemmy below 1.0, most of the Lemmy-speaking fediverse; reference/
lemmy-api.md §4.5). Their answers are held, not archived, until nodeinfo has named the
dialect: if the guess was right they are read and archived (after the nodeinfo answer,
where a run's raw answers expect it, fedithreads.storage.answers) exactly as the normal
requests' would have been, error answers included; if not they are dropped, unread and
unarchived, and the requests are sent again in the right dialect. A wrong guess costs a
host two requests (Lemmy 1.0 counts a ``resolve_object`` against its small search bucket)
and no time: the normal requests would have waited for nodeinfo anyway.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from fedithreads.collect.client import Client, Fetched, Params
from fedithreads.collect.tasks import cancel_and_wait
from fedithreads.errors import FetchError, ParseError

if TYPE_CHECKING:
    from fedithreads.collect.detect import Server

T = TypeVar("T")
LIKELIEST = "lemmy-v3"
"""The dialect guessed for a host no earlier run has seen."""


class GuessMissed(Exception):
    """Internal: the host does not speak the guessed dialect, or its answer did not read;
    ask again the normal way."""


async def on_guess(
    client: Client,
    guess: Server,
    path: str,
    params: Params,
    parser: Callable[[Server], Callable[[Fetched], T]],
    sighting: asyncio.Future[Server],
) -> T:
    """GET ``path`` of ``guess``'s API now, read by ``parser(server)`` once ``sighting``
    has named the host. Raises GuessMissed when the host speaks another dialect (the
    request is then given up at once, however long its retries would take) or the
    answer does not read; the error of an error answer in the right dialect (archived)."""
    held: list[Fetched] = []
    request = asyncio.ensure_future(client.get(guess.api, path, params, _as_is, held=held))
    try:
        server = await asyncio.shield(sighting)  # shared: ours to wait for, not to cancel
    except BaseException:
        await cancel_and_wait([request])
        raise
    if server.dialect != guess.dialect:
        await cancel_and_wait([request])
        raise GuessMissed
    try:
        fetched = await request
    except FetchError:
        client.keep_answers(guess.host, held)
        raise
    try:
        value = parser(server)(fetched)
    except ParseError:
        raise GuessMissed from None
    client.keep_answers(guess.host, held)
    return value


def _as_is(fetched: Fetched) -> Fetched:
    return fetched
