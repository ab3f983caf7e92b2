"""An HTTP-level fake of Helius's webhook management API, on 127.0.0.1, recording calls."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    body: dict[str, Any]


@dataclass
class FakeHelius:
    base_url: str = ""
    calls: list[Call] = field(default_factory=list)
    # Statuses to answer with, in order; 200 with a webhookID once they run out.
    statuses: list[int] = field(default_factory=list)
    next_id: int = 1


@contextmanager
def fake_helius() -> Iterator[FakeHelius]:
    fake = FakeHelius()

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            fake.calls.append(Call(self.command, url.path, parse_qs(url.query), body))
            status = fake.statuses.pop(0) if fake.statuses else 200
            if status == 200 and self.command == "POST":
                reply: dict[str, Any] = {"webhookID": f"wh-{fake.next_id}", **body}
                fake.next_id += 1
            elif status == 200:
                reply = {"webhookID": url.path.rsplit("/", 1)[-1], **body}
            else:
                reply = {"error": "fake failure"}
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_POST = do_PUT = answer  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
