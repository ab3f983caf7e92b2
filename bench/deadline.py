"""The webhook's deadline, whatever the outside world does.

A helius-webhook of its own (functions-framework, the stack's database) with every outside
service (RugCheck, DexScreener, DAS, Jupiter, the Solana RPC) pointed at a server that
answers after 5 s: each delivery buys a token never seen, so each needs a lookup, and each
must still be answered within WEBHOOK_DEADLINE_SECONDS. Then the same function against the
market simulator, with one delivery of 100 buys of 100 unknown tokens: answered within the
deadline, and every buy decided (copied, skipped or stale) soon after, by the lookup."""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import psycopg
from solders.keypair import Keypair

from bench.webhook import function_server, percentile
from simulator import run_simulator
from simulator.helius_tx import new_mint, swap_transaction

WEBHOOK_PORT = 56392
HANG_SECONDS = 5.0
HANGING_DELIVERIES = 30
BURST_TOKENS = 100
DEADLINE_SECONDS = 0.7


class SlowHandler(BaseHTTPRequestHandler):
    def answer(self) -> None:
        time.sleep(HANG_SECONDS)
        body = b'{"error": "slow"}'
        self.send_response(503)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = answer

    def log_message(self, *_args: Any) -> None:
        pass


class SlowServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, *_args: Any) -> None:
        pass  # the client gave up long before the answer: that is the point


@contextmanager
def slow_services() -> Iterator[str]:
    server = SlowServer(("127.0.0.1", 0), SlowHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def webhook_function(env: dict[str, str]) -> AbstractContextManager[str]:
    deadline = {"WEBHOOK_DEADLINE_SECONDS": str(DEADLINE_SECONDS)}
    return function_server("helius_webhook", "py_functions/main.py", WEBHOOK_PORT, env | deadline)


def outside_world(base: str) -> dict[str, str]:
    return {
        "RUGCHECK_BASE_URL": base,
        "DEXSCREENER_BASE_URL": base,
        "HELIUS_RPC_URL": base,
        "HELIUS_API_KEY": "bench",
        "SOLANA_RPC_URL": base,
        "JUPITER_QUOTE_URL": f"{base}/quote",
        "JUPITER_SWAP_URL": f"{base}/swap",
        "JUPITER_API_KEY": "bench",
    }


def deliver(url: str, secret: str, txs: list[dict[str, Any]]) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    response = httpx.post(
        url, content=json.dumps(txs), headers={"Authorization": secret}, timeout=30
    )
    seconds = time.perf_counter() - start
    assert response.status_code == 200, response.text
    return seconds, response.json()


def whale(db: psycopg.Connection[Any]) -> str:
    row = db.execute("select address from walltrack.wallets where label = 'whale-alpha'").fetchone()
    assert row is not None
    return str(row[0])


def fresh(tx: dict[str, Any]) -> dict[str, Any]:
    """Dated now, as a live delivery is (the copy delay counts from the block time)."""
    return tx | {"timestamp": int(time.time())}


def hanging(env: dict[str, str], wallet: str, secret: str) -> list[float]:
    with slow_services() as base, webhook_function(env | outside_world(base)) as url:
        deliver(url, secret, [fresh(swap_transaction(wallet, new_mint(), 10**9, -(10**8)))])
        return [
            deliver(url, secret, [fresh(swap_transaction(wallet, new_mint(), 10**9, -(10**8)))])[0]
            * 1000
            for _ in range(HANGING_DELIVERIES)
        ]


def burst_world(mints: list[str]) -> dict[str, Any]:
    tokens = [
        {"mint": mint, "symbol": f"B{n}", "price_path": [{"t": 0, "price_sol": "0.0001"}]}
        for n, mint in enumerate(mints)
    ]
    return {"name": "burst", "sol_usd": "150", "tokens": tokens}


def decided_after(db: psycopg.Connection[Any], signatures: list[str], limit: float) -> float:
    """Seconds until every signal of these signatures is decided (inf past the limit)."""
    start = time.perf_counter()
    query = "select count(*) from walltrack.signals where signature = any(%s) and decision is null"
    while time.perf_counter() - start < limit:
        row = db.execute(query, (signatures,)).fetchone()
        if row == (0,):
            return time.perf_counter() - start
        time.sleep(0.05)
    return float("inf")


def burst(
    env: dict[str, str], db: psycopg.Connection[Any], wallet: str, secret: str
) -> dict[str, float]:
    mints = [str(Keypair().pubkey()) for _ in range(BURST_TOKENS)]
    with run_simulator(burst_world(mints)) as sim, webhook_function(env | sim.env()) as url:
        txs = [fresh(swap_transaction(wallet, mint, 10**9, -(10**8))) for mint in mints]
        seconds, answer = deliver(url, secret, txs)
        decided = decided_after(db, [tx["signature"] for tx in txs], 60.0)
    return {
        "answer_ms": seconds * 1000,
        "answered_decided": float(len(answer["decisions"])),
        "all_decided_s": decided,
    }


def run(database_url: str, env: dict[str, str], secret: str) -> dict[str, float]:
    with psycopg.connect(database_url, autocommit=True) as db:
        wallet = whale(db)
        hung = hanging(env, wallet, secret)
        burst_figures = burst(env, db, wallet, secret)
    return {
        "deadline_ms": DEADLINE_SECONDS * 1000,
        "hanging_p50": statistics.median(hung),
        "hanging_p99": percentile(hung, 0.99),
        **burst_figures,
    }
