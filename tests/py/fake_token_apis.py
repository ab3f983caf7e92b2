"""HTTP-level fakes of RugCheck, DexScreener and Helius DAS on 127.0.0.1, recording calls.

Each API lives under its own prefix of one server: `/rugcheck/v1`, `/dexscreener` and
`/helius/`. Answers come from canned per-mint data; a `Fault`, keyed by an exact request
path or by a source name, injects error statuses, delays and broken bodies.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

PREFIXES = {"/rugcheck/v1/": "rugcheck", "/dexscreener/": "dexscreener", "/helius/": "das"}


@dataclass
class Call:
    source: str
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


@dataclass
class Fault:
    # Statuses answered in order (with an {"error"} body); then `forever` if set, else the
    # canned answer.
    statuses: list[int] = field(default_factory=list)
    forever: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    body: bytes | None = None  # replaces the canned answer: malformed JSON, an odd shape


@dataclass
class FakeTokenApis:
    base_url: str = ""
    api_key: str = ""
    rugcheck: dict[str, Any] = field(default_factory=dict)  # mint -> full report
    pairs: list[dict[str, Any]] = field(default_factory=list)  # every DexScreener pair
    assets: dict[str, Any] = field(default_factory=dict)  # mint -> getAsset JSON-RPC reply
    faults: dict[str, Fault] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)

    def env(self) -> dict[str, str]:
        return {
            "RUGCHECK_BASE_URL": f"{self.base_url}/rugcheck/v1",
            "DEXSCREENER_BASE_URL": f"{self.base_url}/dexscreener",
            "HELIUS_RPC_URL": f"{self.base_url}/helius/",
            "HELIUS_API_KEY": self.api_key,
        }

    def calls_to(self, source: str) -> list[Call]:
        with self.lock:
            return [call for call in self.calls if call.source == source]

    def canned(self, call: Call) -> tuple[int, Any]:
        if call.source == "rugcheck":
            mint = call.path.split("/")[-2]
            if mint in self.rugcheck:
                return 200, self.rugcheck[mint]
            return 400, {"error": "not found"}
        if call.source == "dexscreener":
            wanted = set(call.path.rsplit("/", 1)[-1].split(","))
            return 200, [
                p
                for p in self.pairs
                if {p["baseToken"]["address"], p["quoteToken"]["address"]} & wanted
            ]
        if call.query.get("api-key") != [self.api_key]:
            return 401, {"jsonrpc": "2.0", "error": {"code": -32401, "message": "invalid api key"}}
        reply = self.assets.get(call.body["params"]["id"])
        if reply is None:
            reply = {"jsonrpc": "2.0", "error": {"code": -32000, "message": "Asset Not Found"}}
        return 200, {**reply, "id": call.body["id"]}

    def reply(self, call: Call) -> tuple[int, dict[str, str], bytes, float]:
        """Status, headers, body and delay for a recorded call."""
        with self.lock:
            self.calls.append(call)
            fault = self.faults.get(call.path) or self.faults.get(call.source) or Fault()
            status = fault.statuses.pop(0) if fault.statuses else fault.forever
        headers = {"Retry-After": fault.retry_after} if status and fault.retry_after else {}
        if status is not None:
            return status, headers, b'{"error": "fake failure"}', fault.delay
        status, body = self.canned(call)
        data = fault.body if fault.body is not None else json.dumps(body).encode()
        return status, headers, data, fault.delay


@contextmanager
def fake_token_apis(api_key: str = "") -> Iterator[FakeTokenApis]:
    fake = FakeTokenApis(api_key=api_key)

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def answer(self) -> None:
            url = urlparse(self.path)
            source = next((s for p, s in PREFIXES.items() if url.path.startswith(p)), "unknown")
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length)) if length else None
            call = Call(source, self.command, url.path, parse_qs(url.query), body)
            status, headers, data, delay = fake.reply(call)
            if delay and fake.stopping.wait(delay):
                return
            try:
                self.send_response(status)
                for name, value in {**headers, "Content-Type": "application/json"}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting, as it should

        do_GET = do_POST = answer  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.stopping.set()
        server.shutdown()
        server.server_close()
