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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from fedithreads.core.fields import (
    Problem,
    flag,
    number,
    read_table,
    section,
    setting,
    tables,
    text,
    whole,
)
from fedithreads.core.hosts import host_key
from fedithreads.core.units import valid_duration
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
    raise ValueError("must be a quoted path or s3://bucket/prefix")


def _seeds_path(value: object) -> Path:
    if not isinstance(value, str | Path):
        raise ValueError("must be a quoted path")
    return _data_path(Path(value))


@dataclass(frozen=True, slots=True)
class HttpSettings:
    timeout_seconds: float = setting(30.0, number(gt=0))
    connect_timeout_seconds: float = setting(10.0, number(gt=0))
    max_response_bytes: int = setting(50_000_000, whole(ge=1))


@dataclass(frozen=True, slots=True)
class LimitSettings:
    concurrency: int = setting(32, whole(ge=1))
    per_host_concurrency: int = setting(8, whole(ge=1))
    rate_fraction: float = setting(0.9, number(gt=0, le=1))
    default_requests_per_second: float = setting(2.5, number(gt=0))
    max_pages: int = setting(2000, whole(ge=1))


@dataclass(frozen=True, slots=True)
class RetrySettings:
    max_attempts: int = setting(6, whole(ge=1))
    max_total_seconds: float = setting(300.0, number(gt=0))
    backoff_initial_seconds: float = setting(1.0, number(gt=0))
    backoff_max_seconds: float = setting(60.0, number(gt=0))


@dataclass(frozen=True, slots=True)
class HostSettings:
    requests_per_second: float | None = setting(None, number(gt=0))
    concurrency: int | None = setting(None, whole(ge=1))
    page_ceiling: int | None = setting(None, whole(ge=1))
    token_env: str | None = setting(None, text(_token_env))


@dataclass(frozen=True, slots=True)
class StorageSettings:
    """How to reach a data dir on object storage (``data_dir = "s3://…"``); unset keys
    fall back to the usual AWS environment variables. Credentials never come from this
    file, only from the environment: these name the variables that hold them."""

    endpoint_url: str | None = setting(None, text(_header_text))
    region: str | None = setting(None, text(_header_text))
    allow_http: bool | None = setting(None, flag)
    access_key_id_env: str | None = setting(None, text(_token_env))
    secret_access_key_env: str | None = setting(None, text(_token_env))
    session_token_env: str | None = setting(None, text(_token_env))
    lease_seconds: float = setting(600.0, number(ge=30))
    timeout_seconds: float = setting(30.0, number(gt=0))


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything config.toml can say; see the commented config.toml for each key."""

    data_dir: Path | ObjectUrl = setting(Path("data"), _data_location)
    seeds_dir: Path = setting(Path("seeds"), _seeds_path)
    contact: str = setting("", text(_header_text))
    user_agent: str = setting(
        "fedithreads/{version} (+https://pypi.org/project/fedithreads; {contact})",
        text(_user_agent),
    )
    keep_raw: bool = setting(True, flag)
    activity_bucket: str = setting("1h", text(valid_duration))
    resnapshot_window: str = setting("7d", text(valid_duration))
    http: HttpSettings = section(HttpSettings)
    limits: LimitSettings = section(LimitSettings)
    retry: RetrySettings = section(RetrySettings)
    hosts: dict[str, HostSettings] = tables(HostSettings)
    storage: StorageSettings = section(StorageSettings)


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
    return replace(settings, data_dir=chosen, seeds_dir=seeds.resolve())


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
        settings = read_table(Settings, raw)
    except Problem as exc:
        key = ".".join(_key(p) for p in exc.key)
        if exc.unknown and key in _SECRETS:
            raise ConfigError(
                where,
                key,
                "credentials are never read from a config file",
                f"set them in the environment (AWS_{_SECRETS[key]}), or name the variable "
                f"that holds them with {key}_env",
            ) from None
        if exc.unknown:
            raise ConfigError(
                where, key, "unknown key", "remove it or check its spelling in config.toml"
            ) from None
        got = repr(exc.value)
        got = got if len(got) <= 60 else got[:59] + "…"
        raise ConfigError(
            where, key, f"{exc.problem} (got {got})", "see the comments in config.toml"
        ) from None
    _check_rates(settings, where)
    return replace(settings, hosts=_host_keys(settings.hosts, where))


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
