"""A data dir on object storage: ``s3://bucket/prefix`` as a path the rest of storage uses.

``ObjectPath`` is a pure path (``PurePosixPath``) with the reading and writing methods of
``pathlib.Path`` that the data dir needs, done with obstore on an S3 API (AWS, MinIO,
Ceph, R2, moto): ``exists``, ``glob``, ``read_bytes``, ``write_bytes``, ``unlink``,
``replace``… so that ``Location = Path | ObjectPath`` flows through the same code. What
differs is said where it differs:

* every write is one PUT, which S3 makes visible whole or not at all: no temporary
  names, no fsync; a ``replace`` is a copy then a delete (the target appears whole; a
  reader may see both for a moment, which the tables' scans already allow for);
* there are no directories: a directory exists while some object is under it;
* ``put_new`` and ``put_over`` are the conditional writes a lease is made of
  (``If-None-Match: *`` and ``If-Match: <etag>``).

The path's first part names the ``Bucket`` it lives in (its client and how Polars
reaches it), kept in a registry by ``open_data_dir``; ``str()`` is the ``s3://`` URL.
Endpoint, region and credentials come from ``[storage]`` or the usual AWS environment
variables; credentials are never printed. Any failure is one line naming the URL and
the fix: a missing bucket or refused credentials are a StorageAccessError (exit 2), an
endpoint that cannot be reached a StoreError (exit 1).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path, PurePath, PurePosixPath
from typing import TYPE_CHECKING, TypeAlias, cast

import obstore
from obstore.exceptions import (
    AlreadyExistsError,
    BaseError,
    PermissionDeniedError,
    PreconditionError,
    UnauthenticatedError,
)
from obstore.store import S3Store

from fedithreads.config import ObjectUrl, Settings, StorageSettings
from fedithreads.errors import StorageAccessError, StoreError

if TYPE_CHECKING:
    from obstore.store import S3Config


@dataclass(frozen=True, slots=True)
class Bucket:
    """One bucket of an S3 API: its client (rooted at the bucket) and the options Polars
    needs to read the same objects."""

    name: str
    store: S3Store
    polars: dict[str, str]
    endpoint: str

    def url(self, key: str) -> str:
        return f"s3://{self.name}/{key}".rstrip("/")


_BUCKETS: dict[str, Bucket] = {}
"""Every bucket opened in this process, by the slot its paths carry as their first part."""


class ObjectPath(PurePosixPath):
    """A key in a bucket, as a path: ``/<slot>/<bucket>/<key…>`` underneath, shown as
    ``s3://<bucket>/<key…>``. Derived paths (``/``, ``parent``) stay in the bucket."""

    # ------------------------------------------------------------------ naming
    @property
    def bucket(self) -> Bucket:
        return _BUCKETS[self.parts[1]]

    @property
    def key(self) -> str:
        """The object key within the bucket (no leading slash)."""
        return "/".join(self.parts[3:])

    def __str__(self) -> str:
        return self.bucket.url(self.key)

    def __repr__(self) -> str:
        return f"ObjectPath({str(self)!r})"

    def __fspath__(self) -> str:  # never opened as a local file by mistake
        raise TypeError(f"{self} is in object storage, not a local file")

    def resolve(self) -> ObjectPath:
        return self

    def relative_to(self, *other: str | PurePath) -> PurePosixPath:  # type: ignore[override]
        """The part of the key below ``other``: a plain relative path, in no bucket."""
        return PurePosixPath(*self.parts).relative_to(
            *(PurePosixPath(*PurePath(o).parts) for o in other)
        )

    # ------------------------------------------------------------------ reading
    def exists(self) -> bool:
        return self.is_file() or self.is_dir()

    def is_file(self) -> bool:
        if not self.key:
            return False
        with _calling(self):
            try:
                obstore.head(self.bucket.store, self.key)
            except FileNotFoundError as exc:
                _bucket_exists(self, exc)
                return False
        return True

    def is_dir(self) -> bool:
        return next(self._keys(limit=1), None) is not None

    def read_bytes(self) -> bytes:
        with _calling(self):
            try:
                return bytes(obstore.get(self.bucket.store, self.key).bytes())
            except FileNotFoundError as exc:
                _bucket_exists(self, exc)
                raise FileNotFoundError(f"{self}: no such object") from None

    def read_versioned(self) -> tuple[bytes, str | None]:
        """The object's bytes and the ETag of that version, in one request."""
        with _calling(self):
            try:
                got = obstore.get(self.bucket.store, self.key)
                return bytes(got.bytes()), got.meta["e_tag"]
            except FileNotFoundError as exc:
                _bucket_exists(self, exc)
                raise FileNotFoundError(f"{self}: no such object") from None

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.read_bytes().decode(encoding)

    def etag(self) -> str | None:
        """The object's ETag, or None when there is no such object."""
        with _calling(self):
            try:
                return obstore.head(self.bucket.store, self.key)["e_tag"]
            except FileNotFoundError as exc:
                _bucket_exists(self, exc)
                return None

    def iterdir(self) -> Iterator[ObjectPath]:
        children = {key.split("/", 1)[0] for key in self._relative_keys()}
        return iter(sorted(self / child for child in children))

    def glob(self, pattern: str) -> Iterator[ObjectPath]:
        """Objects and "directories" under this path matching ``pattern`` (``*`` and
        ``?`` within one part, ``**`` across parts), as ``Path.glob`` finds them."""
        literal = pattern.split("*", 1)[0].split("?", 1)[0].rpartition("/")[0]
        match = re.compile(_translate(pattern)).fullmatch
        found: set[str] = set()
        for key in self._relative_keys(literal):
            parts = key.split("/")
            found.update("/".join(parts[:n]) for n in range(1, len(parts) + 1))
        return iter(sorted(self / name for name in found if match(name)))

    def rglob(self, pattern: str) -> Iterator[ObjectPath]:
        return self.glob(f"**/{pattern}")

    def _relative_keys(self, below: str = "") -> Iterator[str]:
        """The keys under this path (and under ``below`` within it), relative to it."""
        start = len(self.key) + 1 if self.key else 0
        for key in self._keys(below):
            yield key[start:]

    def _keys(self, below: str = "", limit: int | None = None) -> Iterator[str]:
        prefix = "/".join(p for p in (self.key, below) if p)
        seen = 0
        with _calling(self):
            try:
                for batch in obstore.list(self.bucket.store, prefix + "/" if prefix else None):
                    for meta in batch:
                        yield meta["path"]
                        seen += 1
                        if limit is not None and seen >= limit:
                            return
            except FileNotFoundError as exc:
                _bucket_exists(self, exc)

    # ------------------------------------------------------------------ writing
    def write_bytes(self, data: bytes) -> int:
        """Replace the object with ``data`` in one PUT: readers see the old or the new."""
        with _calling(self):
            obstore.put(self.bucket.store, self.key, data, use_multipart=False)
        return len(data)

    def upload(self, source: Path) -> None:
        """Replace the object with a local file's bytes (multipart when it is large;
        the object appears whole or not at all)."""
        with _calling(self):
            obstore.put(self.bucket.store, self.key, source)

    def put_new(self, data: bytes) -> str | None:
        """Create the object only if there is none (``If-None-Match: *``): its ETag, or
        None when one was there already."""
        with _calling(self):
            try:
                return obstore.put(self.bucket.store, self.key, data, mode="create")["e_tag"]
            except AlreadyExistsError:
                return None

    def put_over(self, data: bytes, etag: str) -> str | None:
        """Replace the object only if it is still the version ``etag`` names
        (``If-Match``): the new ETag, or None when it changed or vanished meanwhile."""
        with _calling(self):
            try:
                return obstore.put(self.bucket.store, self.key, data, mode={"e_tag": etag})["e_tag"]
            except (PreconditionError, FileNotFoundError):
                return None

    def unlink(self, missing_ok: bool = False) -> None:
        if not missing_ok and not self.is_file():
            raise FileNotFoundError(f"{self}: no such object")
        with _calling(self):
            obstore.delete(self.bucket.store, self.key)

    def mkdir(self, mode: int = 0o777, parents: bool = False, exist_ok: bool = False) -> None:
        """Nothing to do: a "directory" exists once an object is under it."""

    def replace(self, target: ObjectPath) -> ObjectPath:
        """Copy to ``target`` (which appears whole), then delete this object."""
        with _calling(self):
            obstore.copy(self.bucket.store, self.key, target.key)
            obstore.delete(self.bucket.store, self.key)
        return target

    rename = replace


Location: TypeAlias = Path | ObjectPath
"""Where a data dir (or a file in it) is: on the local disk or in object storage."""


def open_data_dir(settings: Settings) -> Location:
    """The settings' data dir as a Location: the path, or the bucket and prefix of an
    ``s3://`` URL, reached as ``[storage]`` and the AWS environment say."""
    where = settings.data_dir
    if isinstance(where, Path):
        return where
    return open_url(where, settings.storage)


def open_url(url: ObjectUrl, conf: StorageSettings) -> ObjectPath:
    """The ObjectPath of ``url``; its bucket opened once per process and settings (no
    request is made yet), so that paths of the same data dir opened twice compare equal."""
    options = _options(conf)
    allow_http = _allow_http(conf)
    signature = repr((url.bucket, sorted(options.items()), allow_http, conf.timeout_seconds))
    slot = _SLOTS.get(signature)
    if slot is None:
        slot = _SLOTS[signature] = str(len(_BUCKETS))
        _BUCKETS[slot] = _bucket(url.bucket, options, allow_http, conf.timeout_seconds)
    return ObjectPath("/", slot, url.bucket, *[p for p in url.prefix.split("/") if p])


_SLOTS: dict[str, str] = {}
"""The slot of each bucket and settings opened."""


def _bucket(name: str, options: dict[str, str], allow_http: bool, timeout: float) -> Bucket:
    store = S3Store(
        name,
        config=cast("S3Config", options),
        client_options={
            "allow_http": allow_http,
            "connect_timeout": timedelta(seconds=min(10.0, timeout)),
            "timeout": timedelta(seconds=timeout),
        },
        retry_config={
            "max_retries": 3,
            "retry_timeout": timedelta(seconds=timeout),
            "backoff": {"init_backoff": timedelta(milliseconds=100), "base": 2},
        },
    )
    polars = {f"aws_{k}": v for k, v in options.items()}
    polars["aws_allow_http"] = str(allow_http).lower()
    endpoint = options.get("endpoint", f"https://s3.{options['region']}.amazonaws.com")
    return Bucket(name, store, polars, endpoint)


def glob(path: Location, pattern: str) -> list[Location]:
    """``path.glob(pattern)``, sorted, on the disk or in object storage."""
    return sorted(path.glob(pattern), key=str)


def polars_source(path: Location) -> str:
    """What Polars is given to read ``path``: the path, or its ``s3://`` URL."""
    return str(path)


def polars_options(path: Location) -> dict[str, str] | None:
    """Polars' ``storage_options`` for reading ``path`` (None for a local file)."""
    return dict(path.bucket.polars) if isinstance(path, ObjectPath) else None


def _options(conf: StorageSettings) -> dict[str, str]:
    """Endpoint, region and credentials: ``[storage]`` first, then the AWS variables."""
    env = os.environ
    found = {
        "endpoint": conf.endpoint_url
        or env.get("AWS_ENDPOINT_URL_S3")
        or env.get("AWS_ENDPOINT_URL"),
        "region": conf.region
        or env.get("AWS_REGION")
        or env.get("AWS_DEFAULT_REGION")
        or "us-east-1",
        "access_key_id": env.get(conf.access_key_id_env or "AWS_ACCESS_KEY_ID"),
        "secret_access_key": env.get(conf.secret_access_key_env or "AWS_SECRET_ACCESS_KEY"),
        "session_token": env.get(conf.session_token_env or "AWS_SESSION_TOKEN"),
    }
    return {k: v for k, v in found.items() if v}


def _allow_http(conf: StorageSettings) -> bool:
    if conf.allow_http is not None:
        return conf.allow_http
    return os.environ.get("AWS_ALLOW_HTTP", "").strip().lower() in ("1", "true", "yes")


def _translate(pattern: str) -> str:
    """A glob pattern as a regular expression over ``/``-separated relative keys: ``*``
    and ``?`` within one part, a ``**`` part for any number of parts."""
    parts = pattern.split("/")
    out = []
    for n, part in enumerate(parts):
        last = n == len(parts) - 1
        if part == "**":
            out.append(".*" if last else "(?:[^/]+/)*")
            continue
        regex = re.escape(part).replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        out.append(regex if last else regex + "/")
    return "".join(out)


# ---------------------------------------------------------------------- errors
@contextmanager
def _calling(path: ObjectPath) -> Iterator[None]:
    """obstore's failures as one line naming the URL and the fix (FileNotFoundError
    passes through: a missing object is an answer, as for a local file)."""
    try:
        yield
    except FileNotFoundError as exc:
        _bucket_exists(path, exc)
        raise
    except (PermissionDeniedError, UnauthenticatedError):
        raise StorageAccessError(
            f"{path}: access denied; check the credentials (AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or the variables [storage] names) and that they may "
            f"read and write s3://{path.bucket.name}"
        ) from None
    except BaseError as exc:
        raise _failed(path, exc) from None


def _bucket_exists(path: ObjectPath, exc: FileNotFoundError) -> None:
    """Return when ``exc`` says an object is missing; raise the one line for a missing
    bucket (S3 answers both with 404)."""
    if "NoSuchBucket" in str(exc):
        raise StorageAccessError(
            f"{path}: bucket {path.bucket.name!r} does not exist at {path.bucket.endpoint}; "
            "create it, or fix the bucket in --data-dir / data_dir"
        ) from None


_UNREACHABLE = ("error sending request", "connection refused", "dns error", "timed out")
_REFUSED = ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403 Forbidden")


def _failed(path: ObjectPath, exc: BaseError) -> StoreError:
    """One line for what obstore raised: a missing bucket, refused credentials, an
    endpoint out of reach, or the store's own complaint (its first line, no XML)."""
    text = str(exc)
    head = text.split("Debug source:", 1)[0]
    if "NoSuchBucket" in text:
        return StorageAccessError(
            f"{path}: bucket {path.bucket.name!r} does not exist at {path.bucket.endpoint}; "
            "create it, or fix the bucket in --data-dir / data_dir"
        )
    if any(code in text for code in _REFUSED):
        return StorageAccessError(
            f"{path}: access denied; check the credentials (AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or the variables [storage] names)"
        )
    if any(word in head.lower() for word in _UNREACHABLE):
        return StoreError(
            f"{path}: cannot reach the object store at {path.bucket.endpoint}; check "
            "AWS_ENDPOINT_URL (or [storage] endpoint_url) and that the store is up, then re-run"
        )
    first = re.sub(r"<[^>]*>.*", "", head.strip().splitlines()[0] if head.strip() else "")
    return StoreError(
        f"{path}: the object store failed ({first[:160] or type(exc).__name__}); re-run later"
    )
