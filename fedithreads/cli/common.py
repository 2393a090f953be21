"""What every command shares: settings options, one-line errors, the console.

Light to import: every command module imports this one to declare its options, and
``--help`` must not wait for rich, pydantic or object storage (they load when used).
"""

from __future__ import annotations

import functools
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from fedithreads.errors import FedithreadsError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from fedithreads.config import Settings
    from fedithreads.storage.objects import Location

P = ParamSpec("P")
T = TypeVar("T")

SOURCES = click.argument("sources", nargs=-1, type=click.Path(path_type=Path, exists=True))
"""SOURCE…: fixture files/dirs of raw API JSON, or data dirs (default: the data dir)."""


def out_dir(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The required ``--out DIR`` of a command that writes files there."""
    return click.option(
        "--out", required=True, type=click.Path(path_type=Path, file_okay=False), help=help_text
    )


def console(stderr: bool = False) -> Console:
    """A rich console as wide as the terminal (140 columns in a pipe)."""
    from rich.console import Console

    width = shutil.get_terminal_size((140, 24)).columns
    return Console(stderr=stderr, width=width, highlight=False, soft_wrap=False)


def known_errors(command: Callable[P, T]) -> Callable[P, T]:
    """Turn FedithreadsError into one stderr line and its exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return command(*args, **kwargs)
        except FedithreadsError as exc:
            click.echo(f"fedithreads: error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper


def settings_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--config`` and ``--data-dir``, shared by every command that reads the data dir."""
    command = click.option(
        "--data-dir",
        metavar="DIR|s3://BUCKET/PREFIX",
        help="Data directory, or an s3:// URL (overrides data_dir in the config).",
    )(command)
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Config file (default: ./config.toml if it exists).",
    )(command)


def from_options(config_path: Path | None, data_dir: str | None) -> Settings:
    """The settings a command runs with: --config (or ./config.toml), then --data-dir."""
    from fedithreads.config import data_location, load_settings

    if data_dir is None:
        return load_settings(config_path)
    try:
        where = data_location(data_dir)
    except ValueError as exc:
        raise UsageError(f"--data-dir {data_dir!r}: {exc}") from None
    return load_settings(config_path, data_dir=where)


def data_dir_of(settings: Settings) -> Location:
    """The data dir the settings name, on disk or in object storage."""
    from fedithreads.storage.objects import open_data_dir

    return open_data_dir(settings)
