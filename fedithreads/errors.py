"""The exception tree of fedithreads, with the exit code each one ends a command with.

Every error a user can cause or meet is a FedithreadsError; the CLI (cli.common
``known_errors``) prints it as one line on stderr and exits with its ``exit_code``.
Anything else is a bug and keeps its traceback.

    Exception
    ├── FedithreadsError          exit 1 (EXIT_FAILED) unless a subclass says otherwise
    │   ├── UsageError            exit 2 (EXIT_USAGE): a bad flag, argument or target
    │   │   └── ConfigError       exit 2: config.toml, a seed file or a token variable is wrong
    │   ├── SourceError           exit 1: a fixture or data source cannot be read
    │   ├── ParseError            exit 1: an API document does not fit its dialect
    │   ├── StoreError            exit 1: the data dir cannot be read or written
    │   │   └── StorageAccessError  exit 2: no such bucket, or credentials refused
    │   ├── FetchError            exit 1: a request failed for good
    │   ├── ServerError           exit 1: a host runs software or settings we cannot read
    │   └── LockHeldError         exit 75 (EXIT_LOCKED): another run holds the lock
    └── ValueError
        └── TargetProblem         never shown as it is: whoever read the text makes it a
                                  UsageError (a command-line target) or a ConfigError
                                  (a seed file, a ``[hosts."…"]`` table)

Exit 0 (EXIT_OK) is success. ``collect`` also exits 1, with no exception, when a run ends
with a thread incomplete or a target failed: its summary says what is missing; and 130 or
143 when Ctrl-C or SIGTERM stopped it (cli.run, ``STOPPED``).

Three exceptions are private to the module that raises them and never reach a user:

    collect.client._Retry         a retryable answer carried through tenacity; when the
                                  attempts or the time run out it becomes a FetchError
    dialects.fastpath._Decline    the fast path declines a document it is not sure of;
                                  the pydantic models then parse it (and raise ParseError)
    replay.http.ApiError          an error of the replay server's API; the server turns it
                                  into the dialect's error response on the wire

This module imports nothing from the package.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_LOCKED = 75


class FedithreadsError(Exception):
    """Base of every error fedithreads raises on purpose."""

    exit_code = EXIT_FAILED


class UsageError(FedithreadsError):
    """A command-line flag, argument or target is wrong."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """config.toml or a seed file is wrong; the message names the file, key and fix."""

    def __init__(self, file: str, key: str | None, problem: str, fix: str) -> None:
        self.file = file
        self.key = key
        self.problem = problem
        self.fix = fix
        where = f"{file}: {key}" if key else file
        super().__init__(f"{where}: {problem}; {fix}")


class SourceError(FedithreadsError):
    """A SOURCE given to analyze/show/export cannot be read."""


class ParseError(FedithreadsError):
    """An API document does not have the shape its dialect and endpoint promise.

    Carries the dialect, the endpoint, where the document came from (a file or URL) and the
    JSON path of the first problem, e.g. ``$.comments[3].comment.published``.
    """

    def __init__(
        self, dialect: str, endpoint: str, source: str, json_path: str, problem: str
    ) -> None:
        self.dialect = dialect
        self.endpoint = endpoint
        self.source = source
        self.json_path = json_path
        self.problem = problem
        super().__init__(f"{source}: {dialect} {endpoint}: {json_path}: {problem}")


class StoreError(FedithreadsError):
    """The data dir (or an output dir) cannot be read or written."""


class StorageAccessError(StoreError):
    """A data dir on object storage names a bucket that does not exist, or the
    credentials are refused: the settings are wrong, not the store."""

    exit_code = EXIT_USAGE


class FetchError(FedithreadsError):
    """A request failed permanently, or its retries ran out.

    ``kind`` is the retry classification (``rate_limited``, ``server``, ``not_json``,
    ``network``, ``page_ceiling``, ``not_found``, ``refused``, ``redirect``,
    ``too_large``, ``tls``; see fedithreads.collect.retry). The URL never carries a secret:
    tokens travel in headers only, and a token a server echoes into an error is
    redacted before it gets here.
    """

    def __init__(
        self,
        url: str,
        kind: str,
        *,
        status: int | None = None,
        error: str | None = None,
        attempts: int = 1,
        elapsed: float = 0.0,
    ) -> None:
        self.url = url
        self.kind = kind
        self.status = status
        self.error = error
        self.attempts = attempts
        self.elapsed = elapsed
        what = f"HTTP {status}" if status is not None else kind
        if error:
            what += f" {error}"
        tries = f" after {attempts} attempts in {elapsed:.0f} s" if attempts > 1 else ""
        super().__init__(f"{url}: {what} ({kind}){tries}")


class ServerError(FedithreadsError):
    """A host runs software fedithreads cannot read, or has its API switched off."""


class LockHeldError(FedithreadsError):
    """Another run holds the data dir's lock; nothing was done."""

    exit_code = EXIT_LOCKED


class TargetProblem(ValueError):
    """Why a typed TARGET or host is rejected, and what to do.

    Not a FedithreadsError: it never reaches the CLI as it is. Whoever read the text turns
    it into the error of that place: a UsageError for a command-line target, a ConfigError
    naming the file and key for a seed file or a ``[hosts."…"]`` table.
    """

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem}; {fix}")
        self.problem = problem
        self.fix = fix


def quoted(text: str, limit: int = 60) -> str:
    """``text`` as a one-line Python literal cut to about ``limit`` characters: how a
    message shows what the user typed."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
