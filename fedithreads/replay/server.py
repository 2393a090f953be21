"""The replay server: a Lemmy-compatible HTTP server on 127.0.0.1, standard library only.

``ReplayServer(dataset, dialect=…, quirks=…)`` serves a ``ReplayDataset`` the way a server
of that dialect and version would, over real HTTP/1.1 with keep-alive, one daemon thread
per connection. Each request goes through one pipeline, the same for every endpoint:

    log ← latency sleep → (API paths:) fault? → rate limit? → dialect API → encoder

Faults (``fedithreads.replay.faults``) are drawn before the rate limiter and take no
token. Only ``/api/…`` paths are faulted and limited; ``/.well-known/nodeinfo`` and
``/nodeinfo/2.1`` always answer, so detection works. Shared state has locks: the encoder
and the listing caches are used under one lock (encoding is CPU-bound anyway), the
dataset, log, limiter and fault dice have their own.

``bind()`` takes the port before ``start(dataset)`` serves, for documents that must name
it (a federation of servers, each naming the others). ``stop()`` ends the accept loop,
shuts down open keep-alive connections, wakes sleeping handlers (the default sleep waits
on the stop event) and joins every thread, so no socket or thread outlives it. The
server binds 127.0.0.1 only: nothing else is accepted.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable
from types import TracebackType

from fedithreads.core.units import Clock
from fedithreads.replay.api.base import Api, Context
from fedithreads.replay.api.lemmy_v3 import LemmyV3Api
from fedithreads.replay.api.lemmy_v4 import LemmyV4Api
from fedithreads.replay.api.piefed import PieFedApi
from fedithreads.replay.api.routes import nodeinfo, nodeinfo_links
from fedithreads.replay.data import ReplayDataset
from fedithreads.replay.encode.documents import DEFAULT_VERSIONS, Encoder, dumps, parse_version
from fedithreads.replay.faults import FaultPicker
from fedithreads.replay.http import Request, Response
from fedithreads.replay.limits import RateLimiter
from fedithreads.replay.log import LoggedRequest, RequestLog
from fedithreads.replay.quirks import Quirks
from fedithreads.replay.select import Selector
from fedithreads.replay.wire import WireServer

LOOPBACK = "127.0.0.1"
APIS: dict[str, type[Api]] = {
    "lemmy-v3": LemmyV3Api,
    "lemmy-v4": LemmyV4Api,
    "piefed": PieFedApi,
}


class ReplayServer:
    """A local Lemmy/PieFed server replaying a dataset; a context manager."""

    def __init__(
        self,
        dataset: ReplayDataset,
        *,
        dialect: str = "lemmy-v3",
        server_version: str | None = None,
        quirks: Quirks | None = None,
        host: str = LOOPBACK,
        port: int = 0,
        sleep: Callable[[float], object] | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        """``port=0`` picks a free port; ``sleep`` (latency, slow faults) and ``clock``
        (rate limits, the log) are injectable for tests."""
        if host != LOOPBACK:
            raise ValueError(f"the replay server binds {LOOPBACK} only, not {host!r}")
        if dialect not in APIS:
            raise ValueError(f"unknown dialect {dialect!r}; use one of {', '.join(APIS)}")
        self.dataset = dataset
        self.dialect = dialect
        self.server_version = server_version or DEFAULT_VERSIONS[dialect]
        parse_version(self.server_version)
        self.quirks = quirks or Quirks()
        self.host, self.port = host, port
        self.clock = clock
        self.log = RequestLog()
        self._stopping = threading.Event()
        self.sleep: Callable[[float], object] = sleep or self._stopping.wait
        self._faults = FaultPicker(
            self.quirks.fault_rate,
            self.quirks.fault_kinds,
            self.quirks.fault_seed,
            paths=self.quirks.fault_paths,
            schedule=self.quirks.fault_schedule,
        )
        self._fault_env = self.quirks.fault_env(self.sleep)
        limit = self.quirks.rate_limit
        self._limiter = None if limit is None else RateLimiter(limit[0], limit[1], clock)
        self._lock = threading.Lock()
        self._api: Api | None = None
        self._httpd: WireServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def instance(self) -> str:
        """``127.0.0.1:PORT``: the host the served documents call local."""
        return f"{self.host}:{self._bound_port()}"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.instance}"

    def _bound_port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the replay server has no port until bind() or start()")
        return self.port

    def bind(self) -> ReplayServer:
        """Take the port without serving yet, so that ``instance`` is known: a caller whose
        documents must name the port (``fedithreads.replay.federation``) builds the dataset
        now and hands it to ``start``."""
        self._bind()
        return self

    def _bind(self) -> WireServer:
        if self._httpd is not None or self._stopping.is_set():
            raise RuntimeError("a replay server binds once")
        httpd = WireServer((self.host, self.port), self.respond, self._stopping, self.sleep)
        self._httpd, self.port = httpd, int(httpd.server_address[1])
        return httpd

    def start(self, dataset: ReplayDataset | None = None) -> ReplayServer:
        """Bind unless bound, build the API for the bound instance (serving ``dataset``
        instead of the one given at construction, if given) and serve in a daemon thread."""
        if self._thread is not None or self._stopping.is_set():
            raise RuntimeError("a replay server starts once")
        httpd = self._httpd or self._bind()
        if dataset is not None:
            self.dataset = dataset
        try:
            self._api = self._build_api()
        except BaseException:
            httpd.server_close()
            raise
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"replay {self.instance}",
            daemon=True,
        )
        self._thread.start()
        return self

    def _build_api(self) -> Api:
        moderators = self.dataset.moderators
        encoder = Encoder(self.instance, self.dialect, self.server_version, moderators=moderators)
        for ap_id in sorted(self.dataset.communities()):  # ids independent of request order
            encoder.local_id("community", ap_id)
        selector = Selector(self.dataset, encoder.instance)
        return APIS[self.dialect](
            Context(self.dataset, encoder, selector, self.quirks, self.base_url)
        )

    def stop(self) -> None:
        """Stop serving, close every connection and join every thread (idempotent); a
        server bound but never started closes its socket."""
        httpd, thread = self._httpd, self._thread
        first = not self._stopping.is_set()
        self._stopping.set()
        if httpd is None or not first:
            return
        if thread is not None:
            self._thread = None
            httpd.shutdown()
            thread.join()
            httpd.close_connections()
        httpd.server_close()

    def __enter__(self) -> ReplayServer:
        """Start unless already started (``serve_fixtures`` returns a started server)."""
        return self if self._thread is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ the log
    def count(self, path_prefix: str = "", *, outcome: str | None = None) -> int:
        """Requests logged so far whose path starts with ``path_prefix`` (and ``outcome``)."""
        return self.log.count(path_prefix, outcome=outcome)

    def reset_log(self) -> None:
        """Forget the requests logged so far."""
        self.log.reset()

    # ------------------------------------------------------------------ the pipeline
    def respond(self, req: Request) -> Response:
        """Answer one request and log it; a crash is logged and answered with a 500."""
        try:
            response = self._pipeline(req)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            response = Response(500, dumps({"error": "unknown"}, self.dialect), outcome="crash")
        status = None if response.drop else response.status
        self.log.add(LoggedRequest(self.clock(), req.path, req.params, status, response.outcome))
        return response

    def _pipeline(self, req: Request) -> Response:
        if self.quirks.latency_seconds:
            self.sleep(self.quirks.latency_seconds)
        if not req.path.startswith("/api/"):
            return self._outside_api(req)
        fault = self._faults.draw(req.path)
        if fault is not None:
            return fault(lambda: self._route(req), self._fault_env)
        if self._limiter is None:
            return self._route(req)
        decision = self._limiter.check(req.client)
        if not decision.allowed:
            return self.api.rate_limited(decision)
        return self._route(req).with_headers(self.api.allowed_headers(decision))

    def _route(self, req: Request) -> Response:
        with self._lock:
            return self.api.handle(req)

    def _outside_api(self, req: Request) -> Response:
        """Nodeinfo, or the dialect's 404."""
        if req.path == "/.well-known/nodeinfo":
            return Response(200, dumps(nodeinfo_links(self.base_url), self.dialect))
        if req.path == "/nodeinfo/2.1":
            info = nodeinfo(self.dialect, self.server_version, self.dataset)
            return Response(200, dumps(info, self.dialect))
        with self._lock:
            return self.api.error_response(self.api.unknown_path(req.path))

    @property
    def api(self) -> Api:
        """The dialect API (exists once started)."""
        if self._api is None:
            raise RuntimeError("the replay server is not started")
        return self._api


__all__ = ["APIS", "LOOPBACK", "ReplayServer"]
