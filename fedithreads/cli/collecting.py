"""What ``collect`` does once its options are read: targets, the run, the summary lines.

cli.run declares the command and imports this module only when it runs, so that
``collect --help`` does not load the collector.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from fedithreads.cli.common import console
from fedithreads.cli.stopping import STOPPED, Terminated, allow_quick_exit, stopped_line
from fedithreads.collect.instances import parse_across
from fedithreads.collect.outcome import RunReport
from fedithreads.collect.run import Collector
from fedithreads.collect.seeds import default_seed_files, load_seeds
from fedithreads.collect.shards import Shard, parse_shard
from fedithreads.collect.targets import Target, parse_target, scoped, target_key, with_across
from fedithreads.collect.thread import Progress
from fedithreads.config import Settings
from fedithreads.core.units import utcnow
from fedithreads.core.window import Window, WindowProblem, read_window
from fedithreads.errors import UsageError

if TYPE_CHECKING:
    import rich.progress


def run_collect(
    settings: Settings,
    targets: tuple[str, ...],
    seed_files: tuple[Path, ...],
    *,
    full: bool,
    since: str | None,
    until: str | None,
    max_posts: int | None,
    across: str | None,
    shard_text: str | None,
    dry_run: bool,
    quiet: bool,
) -> None:
    """Collect what the options name, print a line per target, exit with the run's code."""
    window = _window(since, until)
    shard = parse_shard(shard_text) if shard_text is not None else None
    chosen = _chosen(settings, targets, seed_files, across)
    chosen = _dedupe(scoped(chosen, window, max_posts))
    if dry_run:
        plan = asyncio.run(Collector(settings, full=full, shard=shard).dry_run(chosen))
        failed = [t.summary(None) for t in plan.targets if t.error is not None]
        for line in failed if quiet else plan.lines():
            click.echo(line)
        sys.exit(0 if plan.ok else 1)
    if shard is not None and not quiet and not any(shard.holds(t.host) for t in chosen):
        click.echo(
            f"shard {shard}: none of the {len(chosen)} targets' hosts is in this shard; "
            "nothing to collect",
            err=True,
        )
    report = _run_collect(settings, chosen, full=full, bars=not quiet, shard=shard)
    for target in report.targets:
        if not (quiet and target.ok):
            click.echo(target.summary())
    for note in report.notes():
        click.echo(note)
    allow_quick_exit()  # all written, synced and printed: no teardown to wait for
    sys.exit(0 if report.ok else 1)


def _chosen(
    settings: Settings, targets: tuple[str, ...], seed_files: tuple[Path, ...], across: str | None
) -> list[Target]:
    """The TARGETs, then the seed files' (every file in seeds_dir without either)."""
    others = parse_across(across) if across is not None else ()
    chosen = [parse_target(t) for t in targets]
    if seed_files or not targets:
        chosen += load_seeds(list(seed_files) or default_seed_files(settings.seeds_dir))
    if others:
        chosen = [with_across(t, others) for t in chosen]
    if not chosen:
        raise UsageError(
            f"nothing to collect: give a TARGET, --seeds FILE, or add [[targets]] to a seed "
            f"file in {settings.seeds_dir} (seeds/example.toml shows how)"
        )
    return chosen


def _window(since: str | None, until: str | None) -> Window | None:
    """The window --since and --until give, or a UsageError naming the flag at fault."""
    try:
        return read_window(since, until, utcnow())
    except WindowProblem as exc:
        shown = {"since": since, "until": until}[exc.bound]
        raise UsageError(f"--{exc.bound} {shown!r}: {exc.problem}; {exc.fix}") from None


def _dedupe(targets: list[Target]) -> list[Target]:
    """Each target once (the first mention wins), naming every --across host of all."""
    seen: dict[str, Target] = {}
    for t in targets:
        key = target_key(t)
        seen[key] = with_across(seen[key], t.across) if key in seen else t
    return list(seen.values())


def _run_collect(
    settings: Settings,
    targets: list[Target],
    *,
    full: bool,
    bars: bool,
    shard: Shard | None = None,
) -> RunReport:
    """Run the collector, with progress bars only when stderr is a terminal (and ``bars``)."""
    if not (bars and sys.stderr.isatty()):
        return _until_stopped(Collector(settings, full=full, shard=shard).run(targets))
    from rich.progress import Progress as Bars  # only on a terminal: rich loads slowly

    with Bars(console=console(stderr=True), transient=True) as bar:
        collector = Collector(settings, full=full, progress=bar_progress(bar), shard=shard)
        return _until_stopped(collector.run(targets))


def bar_progress(bar: rich.progress.Progress) -> Progress:
    """The collector's progress on two bars: threads finished of those known, and
    comments fetched of the server's counts of the threads being crawled (it moves
    within a big thread, page by page)."""
    threads = bar.add_task("threads", total=0)
    comments = bar.add_task("comments", total=0)
    grows = {"threads": threads, "comments_expected": comments}
    moves = {"done": threads, "comments": comments}
    totals = {threads: 0, comments: 0}

    def progress(what: str, n: int) -> None:
        if what in grows:
            task = grows[what]
            totals[task] += n
            bar.update(task, total=totals[task])
        elif what in moves:
            bar.advance(moves[what], n)

    return progress


def _until_stopped(run: Coroutine[Any, Any, RunReport]) -> RunReport:
    """Run the collector until it ends, or until SIGINT (Ctrl-C) or SIGTERM stops it: the
    run is cancelled, so that crawls under way keep what they fetched, and the command
    exits with one line and 130 or 143; the next run resumes where this one stopped."""
    caught: list[signal.Signals] = []

    async def main() -> RunReport:
        task = asyncio.ensure_future(run)
        loop = asyncio.get_running_loop()

        def stop(sig: signal.Signals) -> None:
            caught.append(sig)
            task.cancel()

        for sig in STOPPED:
            loop.add_signal_handler(sig, stop, sig)
        try:
            return await task
        finally:
            for sig in STOPPED:
                loop.remove_signal_handler(sig)

    try:
        return asyncio.run(main())
    except (asyncio.CancelledError, KeyboardInterrupt) as exc:
        default = signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT
        name = (caught or [default])[0]
        click.echo(stopped_line("collect", name), err=True)
        sys.exit(STOPPED[name])
