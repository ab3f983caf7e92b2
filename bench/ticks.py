"""One price tick for 10,000 open positions (re-valuation and exit evaluation included)
against a bare UPDATE of the same rows in an unindexed copy of the table."""

from __future__ import annotations

import json
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import psycopg

from bench.ingest import transaction
from simulator.helius_tx import base58

POSITIONS = 10_000
MINTS = 1_000
BATCH = 100


def open_positions(db: psycopg.Connection[Any]) -> list[str]:
    mints = [base58(44) for _ in range(MINTS)]
    wallet = base58(44)
    db.execute(
        "insert into walltrack.wallets (address, label) values (%s, 'tick bench')", (wallet,)
    )
    db.execute(
        "update walltrack.config set max_open_positions = 1000000,"
        " max_total_exposure_sol = 1000000000, max_positions_per_token = 1000000"
    )
    with db.cursor() as cursor:
        cursor.executemany("select tests.safe_token(%s)", [(m,) for m in mints])
    for start in range(0, POSITIONS, BATCH):
        body = [
            transaction(n, wallet, mints[n % MINTS], "buy") for n in range(start, start + BATCH)
        ]
        db.execute("select api.ingest_swaps(%s::jsonb)", (json.dumps(body),))
    db.execute("create table bench_positions as select * from walltrack.positions")
    return mints


def ticks(mints: list[str], number: int) -> str:
    """Prices drifting a little up and down; every 100th token jumps 60% (take profit).
    Dated now (a tick dated ahead of the database clock is refused as a fault)."""
    observed_at = datetime.now(UTC).isoformat()
    prices = []
    for index, mint in enumerate(mints):
        move = "1.6" if index % 100 == number else ("1.01" if number % 2 else "0.99")
        prices.append(
            {
                "mint": mint,
                "price_sol": f"{0.0005 * float(move):.9f}",
                "observed_at": observed_at,
            }
        )
    return json.dumps(prices)


BARE_UPDATE = """
update bench_positions as p set last_price_sol = (t.value ->> 'price_sol')::numeric,
  last_price_at = (t.value ->> 'observed_at')::timestamptz
from jsonb_array_elements(%s::jsonb) as t where p.token_mint = t.value ->> 'mint'
"""


def run(database_url: str) -> dict[str, float]:
    with psycopg.connect(database_url, autocommit=True) as db:
        mints = open_positions(db)
        tick_s, bare_s, exits = [], [], 0
        for number in range(1, 4):
            body = ticks(mints, number)
            start = time.perf_counter()
            db.execute(BARE_UPDATE, (body,))
            bare_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            row = db.execute("select api.apply_prices(%s::jsonb)", (body,)).fetchone()
            tick_s.append(time.perf_counter() - start)
            assert row is not None and row[0]["revalued"] >= POSITIONS * 0.9, row
            exits += len(row[0]["orders"])
    return {
        "tick_s": statistics.median(tick_s),
        "bare_s": statistics.median(bare_s),
        "ratio": statistics.median(bare_s) / statistics.median(tick_s),
        "exits": exits,
    }
