"""The replay server on the wire: sockets and HTTP/1.1 in, ``Request``/``Response`` out.

``WireServer`` is a ``ThreadingHTTPServer`` (one daemon thread per connection, keep-alive)
that hands each request to a ``respond`` function and writes what it returns: headers and
body, or nothing at all for a dropped connection (a TCP reset). It remembers its open
connections so that a stop can shut them down and join every handler thread.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import sys
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Event, Lock, Thread
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fedithreads.replay.http import Request, Response

Respond = Callable[[Request], Response]
KEEP_ALIVE_SECONDS = 60.0
"""How long an idle keep-alive connection is kept open."""


class WireServer(ThreadingHTTPServer):
    """A threading HTTP server that remembers its open connections to close them."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        respond: Respond,
        stopping: Event,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        """``respond`` answers each request; ``stopping`` silences errors during a stop;
        ``sleep`` paces trickled bodies (default: wait on ``stopping``)."""
        self.respond = respond
        self.stopping = stopping
        self.sleep: Callable[[float], object] = sleep or stopping.wait
        self._open: set[socket.socket] = set()
        self._workers: list[Thread] = []
        self._open_lock = Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve the connection in a daemon thread that ``server_close`` will join (the
        standard library stopped tracking daemon threads in Python 3.11)."""
        worker = Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"replay connection {client_address[1]}",
            daemon=True,
        )
        with self._open_lock:
            self._open.add(request)
            self._workers = [w for w in self._workers if w.is_alive()] + [worker]
        worker.start()

    def server_close(self) -> None:
        """Close the listening socket and wait for every connection thread."""
        super().server_close()
        with self._open_lock:
            workers, self._workers = self._workers, []
        for worker in workers:
            worker.join()

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Shut down every open connection, waking handlers that wait for a request."""
        with self._open_lock:
            connections = list(self._open)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up are normal; anything else keeps its traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        if not self.stopping.is_set():
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Turns HTTP into ``Request``/``Response`` for the server's ``respond``."""

    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    timeout = KEEP_ALIVE_SECONDS
    server: WireServer

    def setup(self) -> None:
        """Send small responses at once (no Nagle delay on keep-alive connections)."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        """Answer any method the same way (the API routes only reads)."""
        length = self.headers.get("Content-Length", "0")
        if length.isdigit() and int(length) > 0:
            self.rfile.read(int(length))  # keep the connection in step for the next request
        split = urlsplit(self.path)
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        headers = {name.lower(): value for name, value in self.headers.items()}
        req = Request(self.command, split.path, params, self.client_address[0], headers)
        response = self.server.respond(req)
        if response.drop:
            self._drop()
        else:
            self._send(response)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        body = response.body
        if response.cut_after is not None:
            self.wfile.write(body[: response.cut_after])
            self._drop()
            return
        pieces = max(1, response.trickle_chunks)
        size = -(-len(body) // pieces) or 1
        for start in range(0, len(body), size):
            if start and response.trickle_seconds:
                self.server.sleep(response.trickle_seconds)
                if self.server.stopping.is_set():
                    self._drop()
                    return
            self.wfile.write(body[start : start + size])

    def _drop(self) -> None:
        """Close the connection with a TCP reset and send nothing."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence: the replay server keeps its own ``RequestLog``."""


__all__ = ["KEEP_ALIVE_SECONDS", "Respond", "WireServer"]
