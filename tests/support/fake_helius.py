"""An HTTP-level fake of Helius's webhook management API, on 127.0.0.1, recording calls; its
parsed history (read by the backfill helius-sync runs after a push) is empty."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.support.http_fake import Reply, Request, serve


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    body: dict[str, Any]


@dataclass
class FakeHelius:
    base_url: str = ""
    calls: list[Call] = field(default_factory=list)  # webhook management
    history_calls: int = 0
    # Statuses to answer with, in order; 200 with a webhookID once they run out.
    statuses: list[int] = field(default_factory=list)
    next_id: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)

    def reply(self, request: Request) -> Reply:
        url = urlparse(request.path)
        if url.path.startswith("/v0/addresses/"):
            with self.lock:
                self.history_calls += 1
            return Reply(200, {}, b"[]")
        body = json.loads(request.body or b"{}")
        with self.lock:
            self.calls.append(Call(request.method, url.path, parse_qs(url.query), body))
            status = self.statuses.pop(0) if self.statuses else 200
            if status == 200 and request.method == "POST":
                answer: dict[str, Any] = {"webhookID": f"wh-{self.next_id}", **body}
                self.next_id += 1
            elif status == 200:
                answer = {"webhookID": url.path.rsplit("/", 1)[-1], **body}
            else:
                answer = {"error": "fake failure"}
        return Reply(status, {}, json.dumps(answer).encode())


@contextmanager
def fake_helius() -> Iterator[FakeHelius]:
    fake = FakeHelius()
    with serve(fake.reply, fake.stopping) as base_url:
        fake.base_url = base_url
        yield fake
