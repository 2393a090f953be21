"""Commands that talk HTTP: collect, serve (the replay server) and demo."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import polars as pl

from fedithreads.analysis import pipeline
from fedithreads.cli.common import console, from_options, known_errors, settings_options
from fedithreads.cli.stopping import STOPPED, Terminated, stopped_line
from fedithreads.cli.terminal import federation_table, print_lines, summary_table
from fedithreads.collect.instances import parse_across
from fedithreads.collect.outcome import RunReport
from fedithreads.collect.run import Collector
from fedithreads.collect.seeds import default_seed_files, load_seeds
from fedithreads.collect.shards import Shard, parse_shard
from fedithreads.collect.targets import Target, parse_target, scoped, target_key, with_across
from fedithreads.collect.thread import Progress
from fedithreads.config import Settings, load_settings
from fedithreads.core.units import utcnow
from fedithreads.core.window import Window, WindowProblem, read_window
from fedithreads.errors import UsageError
from fedithreads.report.render import render_thread

if TYPE_CHECKING:
    import rich.progress
from fedithreads.storage.tables import write_tables


@click.command()
@click.argument("targets", nargs=-1)
@click.option(
    "--seeds",
    "seed_files",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A seed file of targets (repeatable; default: every file in seeds_dir).",
)
@click.option("--full", is_flag=True, help="Re-crawl every thread, changed or not.")
@click.option(
    "--since",
    metavar="WHEN",
    help="Only posts published at or after WHEN: a date (2026-01-01), a date and time "
    "(2026-01-01T12:00Z) or a span back from now (7d, 12h). Communities, users, instances.",
)
@click.option("--until", metavar="WHEN", help="Only posts published before WHEN (as --since).")
@click.option(
    "--max-posts",
    type=click.IntRange(1),
    help="At most the N newest unpinned posts of each community, user or instance.",
)
@click.option(
    "--across",
    metavar="HOSTS",
    help="Also read each thread's copies on its home instance and on these hosts "
    "(comma-separated, e.g. lemmy.ml,beehaw.org).",
)
@click.option(
    "--shard",
    "shard_text",
    metavar="I/N",
    help="Collect only the targets whose host falls in shard I of N (one of N machines "
    "sharing the data dir; each shard has its own lock and state).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Detect the servers and read the post lists only: print per target the threads "
    "due and an estimate of requests and time; fetch no comment, write nothing.",
)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="Print nothing on success (cron mail stays empty), only the lines of targets that "
    "failed or are incomplete; no progress bar.",
)
@settings_options
@known_errors
def collect(
    targets: tuple[str, ...],
    seed_files: tuple[Path, ...],
    full: bool,
    since: str | None,
    until: str | None,
    max_posts: int | None,
    across: str | None,
    shard_text: str | None,
    dry_run: bool,
    quiet: bool,
    config_path: Path | None,
    data_dir: str | None,
) -> None:
    """Collect TARGETs completely: post URLs, communities (!name@host), ap_ids.

    Without TARGET or --seeds, every *.toml file in seeds_dir is read. With --across,
    every thread is also read from its home instance and from each host given, found there
    by its ap_id (the union and the gaps: the federation table of `analyze`). Prints one
    line per target; exits 1 when a thread (or a copy --across asked for) is incomplete or
    a target failed (what was fetched is kept), 75 when another run holds the lock.
    """
    settings = from_options(config_path, data_dir)
    window = _window(since, until)
    shard = parse_shard(shard_text) if shard_text is not None else None
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
    sys.exit(0 if report.ok else 1)


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


def _rate(text: str | None) -> tuple[int, int] | None:
    """``"180/60"`` → (180, 60)."""
    if text is None:
        return None
    count, _, seconds = text.partition("/")
    if not (count.isdigit() and seconds.isdigit() and int(count) > 0 and int(seconds) > 0):
        raise UsageError(f"--rate-limit {text!r}: give requests/seconds, e.g. 180/60")
    return int(count), int(seconds)


@click.command()
@click.argument("fixtures", nargs=-1, type=click.Path(path_type=Path, exists=True))
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8536,
    show_default=True,
    help="The port (0: a free one); with --federation the first of N (PORT, PORT+1, …).",
)
@click.option("--dialect", type=click.Choice(["lemmy-v3", "lemmy-v4", "piefed"]))
@click.option("--page-ceiling", type=click.IntRange(1), help="Refuse pages past this one.")
@click.option(
    "--default-listing", type=click.Choice(["All", "Local"]), default="All", show_default=True
)
@click.option("--rate-limit", help="Limit and publish REQUESTS/SECONDS, e.g. 180/60.")
@click.option("--latency", type=click.FloatRange(0), default=0.0, help="Seconds per answer.")
@click.option("--fault-rate", type=click.FloatRange(0, 1), default=0.0, help="Share of faults.")
@click.option(
    "--federation",
    type=int,
    metavar="N",
    help="Serve N >= 2 instances with copies of one synthetic thread, instead of FIXTURES.",
)
@click.option(
    "--federation-loss",
    type=float,
    metavar="F",
    help="With --federation: the share of comments each instance misses, 0 <= F < 1 "
    "[default: 0.1].",
)
@known_errors
def serve(
    fixtures: tuple[Path, ...],
    port: int,
    dialect: str | None,
    page_ceiling: int | None,
    default_listing: str,
    rate_limit: str | None,
    latency: float,
    fault_rate: float,
    federation: int | None,
    federation_loss: float | None,
) -> None:
    """Serve saved threads as a Lemmy-compatible server on 127.0.0.1 until Ctrl-C.

    FIXTURES are fixture files/dirs (default: the bundled fixtures/). Only loopback is
    ever bound. Collect from it with `fedithreads collect http://127.0.0.1:PORT/post/ID`.

    With --federation N, FIXTURES are not used: N instances on ports PORT, PORT+1, …
    serve their own copies of one synthetic 420-comment thread, each missing about
    --federation-loss of its comments; the other options apply to each instance. It
    prints the `fedithreads collect … --across …` line to collect it from all of them.
    """
    from fedithreads.cli.serving import start_serving
    from fedithreads.replay.quirks import Quirks

    limit = _rate(rate_limit)
    try:
        quirks = Quirks(
            page_ceiling=page_ceiling,
            default_listing=default_listing,
            rate_limit=limit,
            latency_seconds=latency,
            fault_rate=fault_rate,
        )
    except ValueError as exc:
        raise UsageError(f"cannot serve on 127.0.0.1:{port}: {exc}") from None
    server, lines = start_serving(
        fixtures,
        federation=federation,
        loss=federation_loss,
        dialect=dialect,
        quirks=quirks,
        port=port,
    )
    with server:
        for line in lines:
            click.echo(line)
        click.echo("Ctrl-C to stop")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            click.echo("stopped", err=True)


@click.command()
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Collect into this directory (default: a temporary one, removed at the end).",
)
@known_errors
def demo(data_dir: Path | None) -> None:
    """The whole pipeline offline: serve fixtures on 127.0.0.1, collect, analyze, show.

    Starts the replay server on a free loopback port, collects the seed thread, a
    420-comment thread and its community over real HTTP into a data dir, prints the
    thread stats and renders the seed thread; last, collects one thread across three
    replay instances (collect --across) and prints its federation table. Without
    --data-dir, the data dir is temporary and removed at the end.
    """
    import tempfile

    if data_dir is not None:
        _demo(data_dir, kept=True)
        return
    with tempfile.TemporaryDirectory(prefix="fedithreads-demo-") as temporary:
        _demo(Path(temporary), kept=False)


def _demo(target_dir: Path, *, kept: bool) -> None:
    """Run the demo into ``target_dir`` and print what it did; exit 1 if incomplete."""
    from fedithreads.cli.demo import run_demo

    started = time.perf_counter()
    settings = load_settings(None, data_dir=target_dir.resolve())
    settings = settings.model_copy(update={"seeds_dir": target_dir / "seeds"})
    run = run_demo(settings)
    out = console()
    out.print(f"collected from the replay server at {run.base_url} into {settings.data_dir}:")
    for target in run.report.targets:
        out.print("  " + target.summary())
    snapshots = pipeline.load_snapshots((), target_dir.resolve())
    tables = pipeline.analyze(snapshots, bucket=settings.activity_bucket)
    out.print(summary_table(tables["thread_stats"]))
    if kept:
        write_tables(tables, target_dir.resolve() / "out")
        out.print(f"tables written to {target_dir.resolve() / 'out'}/; the seed thread:\n")
    else:
        out.print("(a temporary data dir, removed at the end: give --data-dir DIR to keep it)")
        out.print("the seed thread:\n")
    seed = pipeline.find_thread(snapshots, run.seed_url)
    print_lines(out, render_thread(seed, width=100))
    out.print("\none thread across a federation of replay instances (collect --across):")
    for target in run.across.targets:
        out.print("  " + target.summary(), soft_wrap=True)
    views = tables["federation"].filter(pl.col("ap_id") == run.across_ap_id)
    out.print(federation_table(views))
    elapsed = time.perf_counter() - started
    out.print(f"demo done in {elapsed:.1f}s ({run.requests} HTTP requests to the server)")
    if not (run.report.ok and run.across.ok):
        sys.exit(1)
