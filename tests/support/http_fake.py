"""The HTTP server under the fakes of outside services: 127.0.0.1, a thread, answers from a
function of the request, injected delays that end when the fake stops. And the URL of a
service that is down."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from simulator.http import write_json


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # with its query string
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    delay: float = 0.0


@dataclass
class Fault:
    # Statuses answered in order (with an {"error"} body); then `forever` if set, else the
    # canned answer.
    statuses: list[int] = field(default_factory=list)
    forever: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    body: bytes | None = None  # replaces the canned answer: malformed JSON, an odd shape

    def reply(self, canned: Callable[[], tuple[int, Any]], lock: threading.Lock) -> Reply:
        """This fault's answer, or the canned one it alters."""
        with lock:
            status = self.statuses.pop(0) if self.statuses else self.forever
        headers = {"Retry-After": self.retry_after} if status and self.retry_after else {}
        if status is not None:
            return Reply(status, headers, b'{"error": "fake failure"}', self.delay)
        status, body = canned()
        data = self.body if self.body is not None else json.dumps(body).encode()
        return Reply(status, headers, data, self.delay)


@contextmanager
def serve(answer: Callable[[Request], Reply], stopping: threading.Event) -> Iterator[str]:
    """Serves `answer` until the block ends; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def handle_any(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            reply = answer(Request(self.command, self.path, headers, self.rfile.read(length)))
            if reply.delay and stopping.wait(reply.delay):
                return
            write_json(self, reply.status, reply.headers, reply.body)

        do_GET = do_POST = do_PUT = handle_any  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        stopping.set()
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    """A local URL where nothing listens: a service that is down refuses the connection."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
