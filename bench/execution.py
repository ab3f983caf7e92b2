"""Live execution's own cost per order, without the network's, and signing throughput.

Orders: ORDERS live copies are executed and confirmed (execute-orders' and confirm-orders'
code, in-process) against the market simulator. The baseline makes the same HTTP calls to
the same simulator bare (quote, swap, sendTransaction, statuses, getTransaction per order,
no database, no bookkeeping), so the difference is WallTrack's overhead: the claims, the
record before the send, the fill's bookkeeping, parsing and signing.

Signing: a Jupiter swap transaction signed with solders (decode, sign, serialise, as
execute-orders does) against signing the same message bytes alone."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
from solders.keypair import Keypair
from solders.message import to_bytes_versioned
from solders.transaction import VersionedTransaction

from scripts.stack_env import StackEnv
from simulator import Simulator, env_for, run_simulator
from simulator.helius_tx import SOL_MINT as SOL
from simulator.helius_tx import base58, normalised_swap
from walltrack import confirmation, execution

ORDERS = 100
SIGNATURES = 2_000
JUPITER_KEY = "bench"  # the swap API wants a key; the scenario names none, so any works


def scenario(mint: str) -> dict[str, Any]:
    return {
        "name": "execution bench",
        "seed": 1,
        "start_unix": 1764300000,
        "tokens": [
            {
                "mint": mint,
                "symbol": "BNCH",
                "decimals": 6,
                "supply": "1000000000",
                "price_path": [{"t": 0, "price_sol": "0.0001"}],
                "liquidity_sol": "100000",
            }
        ],
    }


@contextmanager
def functions_env(stack: StackEnv, sim: Simulator, keypair: Keypair) -> Iterator[None]:
    values = {
        **env_for(sim.base_url),
        "SUPABASE_URL": stack.supabase_url,
        "SUPABASE_SERVICE_ROLE_KEY": stack.service_role_key,
        "WALLTRACK_KEYPAIR": str(keypair),
        "JUPITER_API_KEY": JUPITER_KEY,
    }
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def live_orders(db: psycopg.Connection[Any], mint: str) -> list[int]:
    wallet = base58(44)
    db.execute(
        "update walltrack.config set live_trading_enabled = true, max_open_positions = 1000000,"
        " max_total_exposure_sol = 1000000000, max_positions_per_token = 1000000,"
        " sizing_mode = 'leader_fraction', leader_fraction = 0.1"
    )
    # Sizes differ from order to order: two identical swaps signed over the same blockhash
    # would be one transaction, which WallTrack refuses to record twice.
    db.execute(
        "insert into walltrack.wallets (address, label, mode)"
        " values (%s, 'execution bench', 'live')",
        (wallet,),
    )
    db.execute("select tests.safe_token(%s)", (mint,))
    swaps = [
        normalised_swap(wallet, mint, "buy", 1_000_000_000, 100_000_000 + 1000 * n, n)
        for n in range(ORDERS)
    ]
    row = db.execute("select api.ingest_swaps(%s::jsonb)", (json.dumps(swaps),)).fetchone()
    assert row is not None
    return [int(order_id) for order_id in row[0]["live_orders"]]


def rpc(client: httpx.Client, url: str, method: str, params: list[Any]) -> None:
    request = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    client.post(url, json=request).raise_for_status()


def bare_round_trips(sim: Simulator, keypair: Keypair, mint: str) -> float:
    """The same calls as WallTrack makes, bare: per order a quote, a swap and a send; then
    the block height, the statuses in one batch and each transaction. What the network and
    the simulator cost."""
    urls = env_for(sim.base_url)
    rpc_url = urls["SOLANA_RPC_URL"]
    signatures = []
    start = time.perf_counter()
    with httpx.Client(headers={"x-api-key": JUPITER_KEY}) as client:
        for _ in range(ORDERS):
            params = {"inputMint": SOL, "outputMint": mint, "amount": "10000000"}
            quote = client.get(urls["JUPITER_QUOTE_URL"], params=params | {"slippageBps": "100"})
            body = {"quoteResponse": quote.json(), "userPublicKey": str(keypair.pubkey())}
            swap = client.post(urls["JUPITER_SWAP_URL"], json=body).json()
            unsigned = VersionedTransaction.from_bytes(base64.b64decode(swap["swapTransaction"]))
            signed = VersionedTransaction(unsigned.message, [keypair])
            encoded = base64.b64encode(bytes(signed)).decode()
            sending = {"encoding": "base64", "preflightCommitment": "confirmed"}
            rpc(client, rpc_url, "sendTransaction", [encoded, sending])
            signatures.append(str(signed.signatures[0]))
        rpc(client, rpc_url, "getBlockHeight", [{"commitment": "finalized"}])
        rpc(client, rpc_url, "getSignatureStatuses", [signatures])
        for signature in signatures:
            options = {"encoding": "json", "maxSupportedTransactionVersion": 0}
            rpc(client, rpc_url, "getTransaction", [signature, options])
    return time.perf_counter() - start


def signing_rates(sim: Simulator, keypair: Keypair, mint: str) -> tuple[float, float]:
    urls = env_for(sim.base_url)
    params = {"inputMint": SOL, "outputMint": mint, "amount": "10000000", "slippageBps": "100"}
    key = {"x-api-key": JUPITER_KEY}
    quote = httpx.get(urls["JUPITER_QUOTE_URL"], params=params, headers=key).json()
    body = {"quoteResponse": quote, "userPublicKey": str(keypair.pubkey())}
    raw = base64.b64decode(
        httpx.post(urls["JUPITER_SWAP_URL"], json=body, headers=key).json()["swapTransaction"]
    )
    start = time.perf_counter()
    for _ in range(SIGNATURES):
        unsigned = VersionedTransaction.from_bytes(raw)
        bytes(VersionedTransaction(unsigned.message, [keypair]))
    transactions = SIGNATURES / (time.perf_counter() - start)
    message = to_bytes_versioned(VersionedTransaction.from_bytes(raw).message)
    start = time.perf_counter()
    for _ in range(SIGNATURES):
        keypair.sign_message(message)
    return transactions, SIGNATURES / (time.perf_counter() - start)


def run(stack: StackEnv) -> dict[str, float]:
    keypair, mint = Keypair(), str(Keypair().pubkey())
    with (
        run_simulator(scenario(mint)) as sim,
        functions_env(stack, sim, keypair),
        psycopg.connect(stack.database_url, autocommit=True) as db,
    ):
        order_ids = live_orders(db, mint)
        start = time.perf_counter()
        executed = execution.execute(order_ids)
        confirmed = confirmation.confirm()
        walltrack_s = time.perf_counter() - start
        assert executed["claimed"] == ORDERS, executed
        outcomes = [confirmed["outcomes"].get(str(order_id)) for order_id in order_ids]
        assert outcomes == ["confirmed"] * ORDERS, confirmed
        bare_s = bare_round_trips(sim, keypair, mint)
        signed_per_s, raw_per_s = signing_rates(sim, keypair, mint)
        db.execute("update walltrack.config set live_trading_enabled = false")
    return {
        "orders": ORDERS,
        "order_ms": 1000 * walltrack_s / ORDERS,
        "bare_ms": 1000 * bare_s / ORDERS,
        "overhead_ms": 1000 * (walltrack_s - bare_s) / ORDERS,
        "signed_per_s": signed_per_s,
        "raw_per_s": raw_per_s,
    }
