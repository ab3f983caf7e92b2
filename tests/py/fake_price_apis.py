"""HTTP-level fakes of Jupiter price v3 and DexScreener on 127.0.0.1, recording calls.

Jupiter lives under `/jupiter/price/v3`, DexScreener under `/dexscreener`. Answers come from
canned data; a `Fault` (shared with the token fakes), keyed by "jupiter" or "dexscreener",
injects error statuses, Retry-After, delays and broken bodies. Like the real services, the
fake refuses batches that are too large (400), and Jupiter a wrong key (401).
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

from tests.py.fake_token_apis import Fault

__all__ = ["Fault", "FakePriceApis", "PriceCall", "fake_price_apis"]

PREFIXES = {"/jupiter/price/v3": "jupiter", "/dexscreener/tokens/v1/solana/": "dexscreener"}


@dataclass
class PriceCall:
    source: str
    target: str  # path and query as sent
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names

    @property
    def mints(self) -> list[str]:
        if self.source == "jupiter":
            return ",".join(self.query.get("ids", [])).split(",")
        return self.path.rsplit("/", 1)[-1].split(",")


@dataclass
class FakePriceApis:
    base_url: str = ""
    api_key: str = ""  # when set, Jupiter wants it in x-api-key
    jupiter: dict[str, Any] = field(default_factory=dict)  # mint -> price v3 entry
    pairs: list[dict[str, Any]] = field(default_factory=list)  # every DexScreener pair
    faults: dict[str, Fault] = field(default_factory=dict)
    calls: list[PriceCall] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)

    def env(self) -> dict[str, str]:
        return {
            "JUPITER_PRICE_URL": f"{self.base_url}/jupiter/price/v3",
            "JUPITER_API_KEY": self.api_key,
            "DEXSCREENER_BASE_URL": f"{self.base_url}/dexscreener",
        }

    def calls_to(self, source: str) -> list[PriceCall]:
        with self.lock:
            return [call for call in self.calls if call.source == source]

    def canned(self, call: PriceCall) -> tuple[int, Any]:
        if call.source == "jupiter":
            if self.api_key and call.headers.get("x-api-key") != self.api_key:
                return 401, {"message": "Invalid API key"}
            if len(call.mints) > 50:
                return 400, {"error": "Too many ids, max 50"}
            return 200, {mint: self.jupiter[mint] for mint in call.mints if mint in self.jupiter}
        if call.source == "dexscreener":
            if len(call.mints) > 30:
                return 400, {"error": "Too many addresses, max 30"}
            wanted = set(call.mints)
            tokens = ("baseToken", "quoteToken")
            return 200, [p for p in self.pairs if {p[t]["address"] for t in tokens} & wanted]
        return 404, {"error": "not found"}

    def reply(self, call: PriceCall) -> tuple[int, dict[str, str], bytes, float]:
        """Status, headers, body and delay for a recorded call."""
        with self.lock:
            self.calls.append(call)
            fault = self.faults.get(call.source) or Fault()
            status = fault.statuses.pop(0) if fault.statuses else fault.forever
        headers = {"Retry-After": fault.retry_after} if status and fault.retry_after else {}
        if status is not None:
            return status, headers, b'{"error": "fake failure"}', fault.delay
        status, body = self.canned(call)
        data = fault.body if fault.body is not None else json.dumps(body).encode()
        return status, headers, data, fault.delay


@contextmanager
def fake_price_apis(api_key: str = "") -> Iterator[FakePriceApis]:
    fake = FakePriceApis(api_key=api_key)

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def do_GET(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            source = next((s for p, s in PREFIXES.items() if url.path.startswith(p)), "unknown")
            headers = {name.lower(): value for name, value in self.headers.items()}
            call = PriceCall(source, self.path, url.path, parse_qs(url.query), headers)
            status, extra, data, delay = fake.reply(call)
            if delay and fake.stopping.wait(delay):
                return
            try:
                self.send_response(status)
                for name, value in {**extra, "Content-Type": "application/json"}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting, as it should

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
