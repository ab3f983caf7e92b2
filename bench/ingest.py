"""ingest_swaps throughput, batches of 100 swaps with decisions and simulated fills, against a
bare insert of the same rows into an unindexed table, interleaved batch by batch.

Steady state, as a real watchlist runs: each batch holds 50 leader buys of tokens never seen
before (each copied: position, order, fill) and 50 leader sells of the previous batch's
tokens (each mirrored: order, fill, close), so the open book stays about 50 positions.
Then a burst: batches of 100 leader buys of new tokens, which the decision pass opens
together (one INSERT of their positions, one of their orders and fills)."""

from __future__ import annotations

import json
import time
from typing import Any

import psycopg

from simulator.helius_tx import base58, normalised_swap

BATCH = 100
BATCHES = 60
BURSTS = 10
WALLETS = 100

BARE_INSERT = """
insert into bench_bare
select t.value ->> 'signature', (t.value ->> 'slot')::bigint,
  to_timestamp((t.value ->> 'timestamp')::bigint), s.value ->> 'wallet', s.value ->> 'side',
  s.value ->> 'token_mint', (s.value ->> 'token_amount')::numeric,
  (s.value ->> 'token_decimals')::smallint, s.value ->> 'quote_mint',
  (s.value ->> 'quote_amount')::numeric, (s.value ->> 'quote_decimals')::smallint,
  t.value -> 'raw'
from jsonb_array_elements(%s::jsonb) as t
cross join lateral jsonb_array_elements(t.value -> 'swaps') as s
"""


def prepare(db: psycopg.Connection[Any]) -> tuple[list[str], list[str]]:
    wallets = [base58(44) for _ in range(WALLETS)]
    mints = [base58(44) for _ in range(BATCHES * BATCH // 2 + BURSTS * BATCH)]
    db.execute(
        "update walltrack.config set max_open_positions = 1000, max_total_exposure_sol = 1000000"
    )
    with db.cursor() as cursor:
        cursor.executemany(
            "insert into walltrack.wallets (address, label) values (%s, 'bench')",
            [(w,) for w in wallets],
        )
        cursor.executemany("select tests.safe_token(%s)", [(m,) for m in mints])
    db.execute(
        """create table bench_bare (signature text, slot bigint, block_time timestamptz,
        wallet text, side text, token_mint text, token_amount numeric, token_decimals smallint,
        quote_mint text, quote_amount numeric, quote_decimals smallint, raw jsonb)"""
    )
    return wallets, mints


def transaction(n: int, wallet: str, mint: str, side: str) -> dict[str, Any]:
    return normalised_swap(wallet, mint, side, 1_000_000_000 + n, 500_000_000 + n, n)


def batches(wallets: list[str], mints: list[str]) -> list[str]:
    half = BATCH // 2
    bodies = []
    for b in range(BATCHES):
        txs = []
        for i in range(half):
            n = b * half + i
            txs.append(transaction(2 * n, wallets[n % WALLETS], mints[n], "buy"))
            if b > 0:
                sold = n - half
                txs.append(transaction(2 * n + 1, wallets[sold % WALLETS], mints[sold], "sell"))
        bodies.append(json.dumps(txs))
    return bodies


def bursts(wallets: list[str], mints: list[str]) -> list[str]:
    """Batches of leader buys only, each of a token the steady state never saw."""
    first = BATCHES * BATCH // 2
    return [
        json.dumps(
            [
                transaction(10**6 + n, wallets[n % WALLETS], mints[first + n], "buy")
                for n in range(b * BATCH, (b + 1) * BATCH)
            ]
        )
        for b in range(BURSTS)
    ]


def timed_bursts(db: psycopg.Connection[Any], bodies: list[str]) -> dict[str, float]:
    """The bursts through ingest, each against a bare insert of the same rows."""
    bare = ingest = 0.0
    copied = 0
    for body in bodies:
        start = time.perf_counter()
        db.execute(BARE_INSERT, (body,))
        bare += time.perf_counter() - start
        start = time.perf_counter()
        row = db.execute("select api.ingest_swaps(%s::jsonb)", (body,)).fetchone()
        ingest += time.perf_counter() - start
        assert row is not None, body
        copied += sum(d["decision"] == "copied" for d in row[0]["decisions"])
    swaps = len(bodies) * BATCH
    return {"burst_copied": copied, "burst_per_s": swaps / ingest, "burst_ratio": bare / ingest}


def run(database_url: str) -> dict[str, float]:
    with psycopg.connect(database_url, autocommit=True) as db:
        wallets, mints = prepare(db)
        bodies = batches(wallets, mints)
        # Odd batches go through the read-through entry (the webhook's): every token is
        # cached, so this measures the cost of the cache-hit check inside ingest.
        seconds = {"bare": 0.0, "ingest": 0.0, "read_through": 0.0}
        counted = {"ingest": 0, "read_through": 0}
        copied = 0
        for number, body in enumerate(bodies):
            start = time.perf_counter()
            db.execute(BARE_INSERT, (body,))
            seconds["bare"] += time.perf_counter() - start
            path = "read_through" if number % 2 else "ingest"
            query = (
                "select api.ingest_swaps(%s::jsonb, true)"
                if number % 2
                else "select api.ingest_swaps(%s::jsonb)"
            )
            start = time.perf_counter()
            row = db.execute(query, (body,)).fetchone()
            seconds[path] += time.perf_counter() - start
            assert row is not None and "decisions" in row[0], row
            counted[path] += len(row[0]["decisions"])
            copied += sum(d["decision"] == "copied" for d in row[0]["decisions"])
        burst = timed_bursts(db, bursts(wallets, mints))
    swaps = counted["ingest"] + counted["read_through"]
    ingest_seconds = seconds["ingest"] + seconds["read_through"]
    return {
        "swaps": swaps,
        "copied": copied,
        "ingest_per_s": swaps / ingest_seconds,
        "plain_per_s": counted["ingest"] / seconds["ingest"],
        "read_through_per_s": counted["read_through"] / seconds["read_through"],
        "bare_per_s": swaps / seconds["bare"],
        "ratio": seconds["bare"] / ingest_seconds,
    } | burst
