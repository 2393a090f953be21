"""Commands that look after the data dir itself: check and repair."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from fedithreads.cli.common import data_dir_of, from_options, known_errors, settings_options
from fedithreads.errors import EXIT_FAILED, EXIT_OK, StoreError

if TYPE_CHECKING:
    from fedithreads.storage.objects import Location


def _existing(data_dir: Location) -> Location:
    from fedithreads.storage.tables import is_data_dir

    if not (data_dir.is_dir() and (is_data_dir(data_dir) or (data_dir / "raw").is_dir())):
        raise StoreError(
            f"{data_dir}: not a data dir (no tables/, runs/ or raw/); give the one "
            "`fedithreads collect` writes to with --data-dir or data_dir in the config"
        )
    return data_dir


@click.command()
@settings_options
@known_errors
def check(config_path: Path | None, data_dir: str | None) -> None:
    """Verify the data dir: every part file, the run manifests, state.json, the raw archive.

    Prints one line per problem (the file, what is wrong, what to do) and a summary; exits
    0 when there is none, 1 otherwise. Writes nothing; safe while a run is collecting.
    """
    from fedithreads.storage.check import check_data_dir

    settings = from_options(config_path, data_dir)
    report = check_data_dir(_existing(data_dir_of(settings)))
    for problem in report.problems:
        click.echo(problem.line(report.data_dir))
    click.echo(report.summary())
    sys.exit(EXIT_FAILED if report.problems else EXIT_OK)


@click.command()
@settings_options
@known_errors
def repair(config_path: Path | None, data_dir: str | None) -> None:
    """Mend what `check` finds: damaged parts go to quarantine/, their tables are rebuilt
    from the raw archive.

    Takes the run lock (exits 75 if a run holds it). Nothing is deleted but temporary
    files; prints what it moved and rebuilt, and what could not be rebuilt. Exits 1 when
    something could not be rebuilt or was left alone.
    """
    from fedithreads.collect.state import RunLock
    from fedithreads.storage.check import temporaries
    from fedithreads.storage.repair import repair_data_dir

    settings = from_options(config_path, data_dir)
    target = _existing(data_dir_of(settings))
    stray = temporaries(target)  # taking the lock sweeps most of them
    with RunLock(target, lease_seconds=settings.storage.lease_seconds):
        report = repair_data_dir(target, keep_raw=settings.keep_raw, swept=stray)
    for line in report.lines:
        click.echo(line)
    click.echo(report.summary())
    sys.exit(EXIT_FAILED if report.lost else EXIT_OK)
