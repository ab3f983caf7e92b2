"""HTTP-level fakes of Jupiter price v3 and DexScreener on 127.0.0.1, recording calls.

Jupiter lives under `/jupiter/price/v3`, DexScreener under `/dexscreener`. Answers come from
canned data; a `Fault` (shared with the token fakes), keyed by "jupiter" or "dexscreener",
injects error statuses, Retry-After, delays and broken bodies. Like the real services, the
fake refuses batches that are too large (400), and Jupiter a wrong key (401).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.support.http_fake import Fault, Reply, Request, serve

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

    def reply(self, request: Request) -> Reply:
        """Records the call, then answers it (or its fault does)."""
        url = urlparse(request.path)
        source = next((s for p, s in PREFIXES.items() if url.path.startswith(p)), "unknown")
        call = PriceCall(source, request.path, url.path, parse_qs(url.query), request.headers)
        with self.lock:
            self.calls.append(call)
        fault = self.faults.get(call.source) or Fault()
        return fault.reply(lambda: self.canned(call), self.lock)


@contextmanager
def fake_price_apis(api_key: str = "") -> Iterator[FakePriceApis]:
    fake = FakePriceApis(api_key=api_key)
    with serve(fake.reply, fake.stopping) as base_url:
        fake.base_url = base_url
        yield fake
