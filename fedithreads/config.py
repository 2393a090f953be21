"""config.toml → frozen, validated settings.

Every key has a default, so a missing config file means "defaults". A relative
``data_dir`` is resolved against the directory of the config file that names it, so a
cron line does not depend on the working directory. Any problem becomes one ConfigError
naming the file, the key and the fix.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
)

from fedithreads.errors import ConfigError, UsageError

DEFAULT_CONFIG = Path("config.toml")
_DURATION = re.compile(r"^[1-9][0-9]*(s|m|h|d|w)$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _duration(value: str) -> str:
    if not _DURATION.match(value):
        raise ValueError('must be a whole number and a unit s, m, h, d or w, e.g. "1h"')
    return value


Duration = Annotated[str, AfterValidator(_duration)]
"""A span like ``"30m"``, ``"1h"``, ``"7d"``: Polars' duration syntax, whole units only."""


def check_duration(value: str, flag: str) -> str:
    """Validate a duration given on the command line, or raise a UsageError naming it."""
    try:
        return _duration(value)
    except ValueError as exc:
        raise UsageError(f"{flag} {value!r}: {exc}") from None


def duration_seconds(value: str) -> int:
    """``"1h"`` → 3600."""
    return int(value[:-1]) * _UNITS[value[-1]]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HttpSettings(_Section):
    timeout_seconds: float = Field(30.0, gt=0)
    connect_timeout_seconds: float = Field(10.0, gt=0)
    max_response_bytes: int = Field(50_000_000, gt=0)


class LimitSettings(_Section):
    concurrency: int = Field(16, ge=1)
    per_host_concurrency: int = Field(8, ge=1)
    rate_fraction: float = Field(0.9, gt=0, le=1)
    default_requests_per_second: float = Field(2.5, gt=0)
    max_pages: int = Field(2000, ge=1)


class RetrySettings(_Section):
    max_attempts: int = Field(6, ge=1)
    max_total_seconds: float = Field(300.0, gt=0)
    backoff_initial_seconds: float = Field(1.0, gt=0)
    backoff_max_seconds: float = Field(60.0, gt=0)


class HostSettings(_Section):
    requests_per_second: float | None = Field(None, gt=0)
    concurrency: int | None = Field(None, ge=1)
    page_ceiling: int | None = Field(None, ge=1)
    token_env: str | None = None


class Settings(_Section):
    """Everything config.toml can say; see the commented config.toml for each key."""

    data_dir: Path = Path("data")
    seeds_dir: Path = Path("seeds")
    contact: str = ""
    user_agent: str = "fedithreads/{version} (+https://pypi.org/project/fedithreads; {contact})"
    keep_raw: bool = True
    activity_bucket: Duration = "1h"
    resnapshot_window: Duration = "7d"
    http: HttpSettings = HttpSettings()
    limits: LimitSettings = LimitSettings()
    retry: RetrySettings = RetrySettings()
    hosts: dict[str, HostSettings] = {}


def load_settings(path: Path | None, *, data_dir: Path | None = None) -> Settings:
    """Read ``path`` (or ./config.toml if it exists, else defaults); apply ``--data-dir``."""
    explicit = path is not None
    path = path or DEFAULT_CONFIG
    if not path.exists():
        if explicit:
            raise ConfigError(str(path), None, "no such file", "check the --config path")
        settings, base = Settings(), Path.cwd()
    else:
        settings, base = _parse(path), path.resolve().parent
    chosen = data_dir if data_dir is not None else settings.data_dir
    resolved = chosen if chosen.is_absolute() or data_dir is not None else base / chosen
    seeds = settings.seeds_dir if settings.seeds_dir.is_absolute() else base / settings.seeds_dir
    return settings.model_copy(
        update={"data_dir": resolved.resolve(), "seeds_dir": seeds.resolve()}
    )


def _parse(path: Path) -> Settings:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), None, f"not valid TOML ({exc})", "fix the syntax") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), None, f"cannot read ({exc})", "check the file") from None
    return parse_settings(raw, str(path))


def parse_settings(raw: dict[str, Any], where: str) -> Settings:
    """Validate a loaded TOML document, or raise a ConfigError for its first problem."""
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            raise ConfigError(
                where, key, "unknown key", "remove it or check its spelling in config.toml"
            ) from None
        problem = err["msg"].removeprefix("Value error, ")
        raise ConfigError(
            where, key, f"{problem} (got {err.get('input')!r})", "see the comments in config.toml"
        ) from None
