"""Commands that talk HTTP: collect, serve (the replay server) and demo.

Here they are declared; the work is imported as a command runs (cli.collecting,
cli.serving, cli.demo), so that ``--help`` loads neither the collector nor Polars.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import click

from fedithreads.cli.common import from_options, known_errors, settings_options
from fedithreads.errors import UsageError


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
    _lean_allocator()
    _build_tls_meanwhile()
    from fedithreads.cli.collecting import run_collect

    run_collect(
        from_options(config_path, data_dir),
        targets,
        seed_files,
        full=full,
        since=since,
        until=until,
        max_posts=max_posts,
        across=across,
        shard_text=shard_text,
        dry_run=dry_run,
        quiet=quiet,
    )


LEAN_ALLOCATOR = "dirty_decay_ms:0,muzzy_decay_ms:0"
"""Polars' allocator (jemalloc, configured by ``_RJEM_MALLOC_CONF`` when it starts) in
``collect``: freed pages go back to the system at once instead of ~10 s later, longer
than most runs. A crawl's spills and its part file's writer free as they go, and a big
thread's peak then stays that of its largest step, not of their sum."""


def _lean_allocator() -> None:
    """``LEAN_ALLOCATOR`` for this process, unless the environment configures the
    allocator itself; set before anything loads Polars (``collect`` loads it after its
    first request)."""
    os.environ.setdefault("_RJEM_MALLOC_CONF", LEAN_ALLOCATOR)


def _build_tls_meanwhile() -> None:
    """The TLS context every request needs, built in a thread while the collector's
    modules import (``collect.tls``: 30–70 ms of reading the CA bundle, in OpenSSL
    without the GIL, no longer before the first request)."""

    def build() -> None:
        from fedithreads.collect.tls import tls_context

        tls_context()

    # not a daemon: the interpreter waits for it at exit (a command can end in
    # milliseconds), rather than finalise under a thread still inside OpenSSL
    threading.Thread(target=build, name="fedithreads-tls").start()


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

    from fedithreads.cli.demo import print_demo

    if data_dir is not None:
        print_demo(data_dir, kept=True)
        return
    with tempfile.TemporaryDirectory(prefix="fedithreads-demo-") as temporary:
        print_demo(Path(temporary), kept=False)
