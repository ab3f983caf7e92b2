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
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.support.http_fake import Fault, Reply, Request, serve

PREFIXES = {"/rugcheck/v1/": "rugcheck", "/dexscreener/": "dexscreener", "/helius/": "das"}


@dataclass
class Call:
    source: str
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


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

    def reply(self, request: Request) -> Reply:
        """Records the call, then answers it (or its fault does)."""
        url = urlparse(request.path)
        source = next((s for p, s in PREFIXES.items() if url.path.startswith(p)), "unknown")
        body = json.loads(request.body) if request.body else None
        call = Call(source, request.method, url.path, parse_qs(url.query), body)
        with self.lock:
            self.calls.append(call)
        fault = self.faults.get(call.path) or self.faults.get(call.source) or Fault()
        return fault.reply(lambda: self.canned(call), self.lock)


@contextmanager
def fake_token_apis(api_key: str = "") -> Iterator[FakeTokenApis]:
    fake = FakeTokenApis(api_key=api_key)
    with serve(fake.reply, fake.stopping) as base_url:
        fake.base_url = base_url
        yield fake
