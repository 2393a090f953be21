"""Ctrl-C and SIGTERM for every command: one line on stderr, exit 130 or 143.

click turns Ctrl-C into ``Aborted!`` and exit 1, the code of an incomplete run, and
SIGTERM kills a command before its ``finally`` blocks run. ``StoppableGroup`` makes both
end a command the same way: SIGTERM is raised as ``Terminated`` (a KeyboardInterrupt)
where the program is, cleanup runs, and the command exits 128 + the signal's number
(130, 143, as shells report them) with one line saying what is left. ``collect`` also
stops its run itself (cli.run: the run is cancelled, so crawls keep what they fetched);
``serve`` takes Ctrl-C as its way to stop (exit 0).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import click

STOPPED = {signal.SIGINT: 130, signal.SIGTERM: 143}
"""Exit codes of a command stopped by a signal: 128 + its number."""

AFTERWARDS = {
    "collect": "the threads under way keep what they fetched; the next run resumes",
    "demo": "its replay servers are stopped and its temporary data dir removed",
    "show": "nothing was written",
}
"""What a stopped command leaves, by command; others: ``EVERY_FILE_WHOLE``."""
EVERY_FILE_WHOLE = "files are written whole or not at all; run it again"


_QUICK_EXIT = [False]


def allow_quick_exit() -> None:
    """The command has nothing left for the interpreter's teardown but freeing memory:
    every file it wrote is synced and closed, its lock released, its lines printed.
    ``quick_exit`` may then end the process at once (``collect``: 0.1–0.3 s of teardown
    of Polars, httpx and the rest, on every cron run)."""
    _QUICK_EXIT[0] = True


def quick_exit(code: object) -> None:
    """End the process now with the exit status ``code`` stands for (as ``sys.exit``
    would), logging and stdout/stderr flushed, if the command allowed it; else return."""
    if not _QUICK_EXIT[0]:
        return
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing reaches it
            stream.flush()
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message") prints it and exits 1
        print(code, file=sys.stderr, flush=True)
        status = 1
    os._exit(status)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt so that cleanup runs."""


def stopped_line(command: str, sig: signal.Signals) -> str:
    """The one line a command stopped by ``sig`` prints."""
    after = AFTERWARDS.get(command, EVERY_FILE_WHOLE)
    return f"fedithreads: {command} stopped by {sig.name}; {after}"


class StoppableGroup(click.Group):
    """A click group whose commands end on Ctrl-C or SIGTERM with one line and 130/143."""

    def invoke(self, ctx: click.Context) -> Any:
        with _sigterm_raises():
            try:
                return super().invoke(ctx)
            except KeyboardInterrupt as exc:
                sig = signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT
                click.echo(stopped_line(ctx.invoked_subcommand or "fedithreads", sig), err=True)
                sys.exit(STOPPED[sig])


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """SIGTERM raises ``Terminated`` while the command runs (the main thread only: a
    handler cannot be set elsewhere), then the handler before is back."""
    try:
        before = signal.signal(signal.SIGTERM, _raise)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Terminated
