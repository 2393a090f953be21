"""config.toml → frozen, validated settings.

Every key has a default, so a missing config file means "defaults". A relative
``data_dir`` is resolved against the directory of the config file that names it, so a
cron line does not depend on the working directory. Any problem becomes one ConfigError
naming the file, the key and the fix.

Types are strict, as TOML has real ones: ``keep_raw = "yes"`` or ``concurrency = "4"``
is an error, not a guess (a whole number is fine where a decimal is expected); numbers
must be finite. A config file over ``MAX_TOML_BYTES`` is refused before parsing. Host
tables are keyed by the instance key targets use (lower case, IDNA, ``:port`` when not
the default), so ``[hosts."Lemmy.Example"]`` applies to ``lemmy.example``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
)

from fedithreads.core.hosts import host_key
from fedithreads.core.units import Duration
from fedithreads.errors import ConfigError, TargetProblem

DEFAULT_CONFIG = Path("config.toml")
MAX_TOML_BYTES = 1_000_000
"""The largest config or seed file read."""
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def _header_text(value: str) -> str:
    """Text that goes into an HTTP header: printable ASCII, one line."""
    if not all(" " <= char <= "~" for char in value):
        raise ValueError("must be printable ASCII on one line (it is sent in a header)")
    return value


def _user_agent(value: str) -> str:
    _header_text(value)
    if not value.strip():
        raise ValueError("must not be empty")
    try:
        value.format(version="0", contact="c")
    except (KeyError, IndexError, ValueError):
        raise ValueError(
            "only {version} and {contact} can be filled in; write a literal brace as {{ or }}"
        ) from None
    return value


def _token_env(value: str) -> str:
    if not _ENV_NAME.fullmatch(value):
        raise ValueError("must be the name of an environment variable, e.g. LEMMY_TOKEN")
    return value


def _data_path(value: Path) -> Path:
    if str(value) in ("", "."):
        raise ValueError('must name a directory, e.g. "data"')
    return value


_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
"""An S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens."""
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


@dataclass(frozen=True, slots=True)
class ObjectUrl:
    """A data dir on object storage: ``s3://bucket/prefix`` (the prefix may be empty)."""

    bucket: str
    prefix: str = ""

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")


def data_location(text: str) -> Path | ObjectUrl:
    """``--data-dir`` or ``data_dir``: an ``s3://bucket/prefix`` URL, else a path.
    A URL that names no bucket, another scheme, or a prefix with empty or dot
    segments is a ValueError saying what to write instead."""
    scheme = _SCHEME.match(text)
    if scheme is None:
        return _data_path(Path(text))
    if scheme.group(1).lower() != "s3":
        raise ValueError(
            f"{scheme.group(1)}:// is not supported; give a directory or s3://bucket/prefix"
        )
    bucket, _, prefix = text[scheme.end() :].partition("/")
    if not bucket:
        raise ValueError("names no bucket; write s3://bucket/prefix, e.g. s3://my-corpus/data")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise ValueError(
            f"bucket {bucket!r} is not an S3 bucket name (3-63 lower-case letters, digits, "
            "dots and hyphens)"
        )
    segments = prefix.strip("/").split("/") if prefix.strip("/") else []
    if any(s in ("", ".", "..") or not s.isprintable() for s in segments):
        raise ValueError(f"prefix {prefix!r} has an empty, '.' or '..' part; name a plain prefix")
    return ObjectUrl(bucket, "/".join(segments))


def _data_location(value: object) -> Path | ObjectUrl:
    if isinstance(value, str):
        return data_location(value)
    if isinstance(value, Path):
        return _data_path(value)
    if isinstance(value, ObjectUrl):
        return value
    raise ValueError("must be a quoted path or s3://bucket/prefix")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class HttpSettings(_Section):
    timeout_seconds: float = Field(30.0, gt=0)
    connect_timeout_seconds: float = Field(10.0, gt=0)
    max_response_bytes: int = Field(50_000_000, gt=0)


class LimitSettings(_Section):
    concurrency: int = Field(32, ge=1)
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
    token_env: Annotated[str, AfterValidator(_token_env)] | None = None


class StorageSettings(_Section):
    """How to reach a data dir on object storage (``data_dir = "s3://…"``); unset keys
    fall back to the usual AWS environment variables. Credentials never come from this
    file, only from the environment: these name the variables that hold them."""

    endpoint_url: Annotated[str, AfterValidator(_header_text)] | None = None
    region: Annotated[str, AfterValidator(_header_text)] | None = None
    allow_http: bool | None = None
    access_key_id_env: Annotated[str, AfterValidator(_token_env)] | None = None
    secret_access_key_env: Annotated[str, AfterValidator(_token_env)] | None = None
    session_token_env: Annotated[str, AfterValidator(_token_env)] | None = None
    lease_seconds: float = Field(600.0, ge=30)
    timeout_seconds: float = Field(30.0, gt=0)


class Settings(_Section):
    """Everything config.toml can say; see the commented config.toml for each key."""

    data_dir: Annotated[Path | ObjectUrl, PlainValidator(_data_location)] = Path("data")
    seeds_dir: Annotated[Path, Field(strict=False), AfterValidator(_data_path)] = Path("seeds")
    contact: Annotated[str, AfterValidator(_header_text)] = ""
    user_agent: Annotated[str, AfterValidator(_user_agent)] = (
        "fedithreads/{version} (+https://pypi.org/project/fedithreads; {contact})"
    )
    keep_raw: bool = True
    activity_bucket: Duration = "1h"
    resnapshot_window: Duration = "7d"
    http: HttpSettings = HttpSettings()
    limits: LimitSettings = LimitSettings()
    retry: RetrySettings = RetrySettings()
    hosts: dict[str, HostSettings] = {}
    storage: StorageSettings = StorageSettings()


def load_settings(path: Path | None, *, data_dir: Path | ObjectUrl | None = None) -> Settings:
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
    if isinstance(chosen, Path):
        chosen = (
            chosen if chosen.is_absolute() or data_dir is not None else base / chosen
        ).resolve()
    seeds = settings.seeds_dir if settings.seeds_dir.is_absolute() else base / settings.seeds_dir
    return settings.model_copy(update={"data_dir": chosen, "seeds_dir": seeds.resolve()})


def _parse(path: Path) -> Settings:
    document = read_toml(path, too_large_fix="a config file is a page of settings; check the path")
    return parse_settings(document, str(path))


def read_toml(path: Path, *, too_large_fix: str) -> dict[str, Any]:
    """A TOML file of at most ``MAX_TOML_BYTES`` (config or seeds), read before parsing so a
    wrong path to a huge file costs nothing; any problem is a ConfigError naming it."""
    where = str(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_TOML_BYTES + 1)
    except OSError as exc:
        problem = f"cannot read ({exc.strerror or type(exc).__name__})"
        raise ConfigError(where, None, problem, "check the path and its permissions") from None
    if len(data) > MAX_TOML_BYTES:
        raise ConfigError(where, None, "larger than 1 MB", too_large_fix)
    try:
        return tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(where, None, "not UTF-8 text", "save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(where, None, f"not valid TOML ({exc})", "fix the syntax") from None


def parse_settings(raw: dict[str, Any], where: str) -> Settings:
    """Validate a loaded TOML document, or raise a ConfigError for its first problem."""
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        key = ".".join(_key(p) for p in err["loc"])
        if err["type"] == "extra_forbidden" and key in _SECRETS:
            raise ConfigError(
                where,
                key,
                "credentials are never read from a config file",
                f"set them in the environment (AWS_{_SECRETS[key]}), or name the variable "
                f"that holds them with {key}_env",
            ) from None
        if err["type"] == "extra_forbidden":
            raise ConfigError(
                where, key, "unknown key", "remove it or check its spelling in config.toml"
            ) from None
        problem = _PROBLEMS.get(err["type"], err["msg"]).removeprefix("Value error, ")
        got = repr(err.get("input"))
        got = got if len(got) <= 60 else got[:59] + "…"
        raise ConfigError(
            where, key, f"{problem} (got {got})", "see the comments in config.toml"
        ) from None
    _check_rates(settings, where)
    return settings.model_copy(update={"hosts": _host_keys(settings.hosts, where)})


def _check_rates(settings: Settings, where: str) -> None:
    """A pace whose wait between two requests is longer than one request may take in all
    (``retry.max_total_seconds``) would hold the run that long in silence (1e-06 per
    second: a request every 11.6 days): refuse it. The default rate is paced at
    ``rate_fraction`` of it, a host's own rate exactly."""
    budget = settings.retry.max_total_seconds
    limits = settings.limits
    paces = [
        (
            "limits.default_requests_per_second",
            limits.default_requests_per_second,
            limits.rate_fraction,
        )
    ] + [
        (f"hosts.{_key(name)}.requests_per_second", conf.requests_per_second, 1.0)
        for name, conf in settings.hosts.items()
        if conf.requests_per_second is not None
    ]
    for key, rate, fraction in paces:
        wait = 1 / (rate * fraction)
        if wait > budget:
            raise ConfigError(
                where,
                key,
                f"{rate:g} requests per second waits {_span(wait)} between requests, longer than "
                f"a request may take in all (retry.max_total_seconds = {budget:g})",
                f"give at least {1 / (budget * fraction):.2g}, or raise retry.max_total_seconds",
            )


def _span(seconds: float) -> str:
    """``"11.6 days"``, ``"20 minutes"``: a wait in the largest unit it fills."""
    for size, unit in ((86400, "days"), (3600, "hours"), (60, "minutes")):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} seconds"


_SECRETS = {
    "storage.access_key_id": "ACCESS_KEY_ID",
    "storage.secret_access_key": "SECRET_ACCESS_KEY",
    "storage.session_token": "SESSION_TOKEN",
}
"""``[storage]`` keys someone may try for credentials, and their environment variable."""

_PROBLEMS = {
    "model_type": "must be a table (a [section] of keys)",
    "model_attributes_type": "must be a table (a [section] of keys)",
    "dict_type": "must be a table (a [section] of keys)",
    "path_type": "must be a quoted path",
    "string_type": "must be a quoted string",
}
"""Pydantic's messages that speak Python rather than TOML, said again in TOML words."""


def _key(part: int | str) -> str:
    """One element of a key path, printable on one line."""
    text = str(part)
    return text if text.isprintable() and len(text) <= 60 else repr(text[:40])


def _host_keys(hosts: dict[str, HostSettings], where: str) -> dict[str, HostSettings]:
    """``[hosts."…"]`` keyed by instance keys, as targets spell them."""
    out: dict[str, HostSettings] = {}
    for name, conf in hosts.items():
        try:
            key = host_key(name)
        except TargetProblem as exc:
            raise ConfigError(
                where, f"hosts.{_key(name)}", exc.problem, "name the host as in its URLs"
            ) from None
        if key in out:
            raise ConfigError(
                where, f"hosts.{_key(name)}", f"names {key} again", "keep one table per host"
            )
        out[key] = conf
    return out
