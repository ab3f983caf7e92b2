"""History backfill: WALLETS watched wallets with HISTORY transactions each, walked newest
first in pages of 100 through api.record_backfill_page (stored and decided as found by
backfill, the walk's state moved), against plain api.ingest_swaps of the same kind of pages
(the webhook's path), interleaved page by page.

Each history is a leader's round trips, a buy then a sell of each token, long past: every buy
is decided stale, every sell finds no copy to mirror. Two sets of wallets with the same
histories (different signatures): one walked by the backfill, one ingested plainly."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import httpx
import psycopg
from solders.keypair import Keypair

from simulator import run_simulator
from simulator.helius_tx import base58, normalised_swap
from walltrack import backfill as backfill_function
from walltrack import database

WALLETS = 100
HISTORY = 1_000
PAGE = 100


def history(wallet: str, mints: list[str]) -> list[dict[str, Any]]:
    """Newest first, as Helius returns it."""
    txs = [
        normalised_swap(wallet, mints[n // 2], "buy" if n % 2 == 0 else "sell", 10**9, 10**8, n)
        for n in range(HISTORY)
    ]
    return txs[::-1]


def prepare(db: psycopg.Connection[Any]) -> tuple[list[str], list[str], list[str]]:
    walked, plain = [base58(44) for _ in range(WALLETS)], [base58(44) for _ in range(WALLETS)]
    mints = [base58(44) for _ in range(HISTORY // 2)]
    with db.cursor() as cursor:
        cursor.executemany(
            "insert into walltrack.wallets (address, label) values (%s, 'bench history')",
            [(w,) for w in walked + plain],
        )
        cursor.executemany("select tests.safe_token(%s)", [(m,) for m in mints])
    # Read once before (with no history then): what a walk finds now is stored.
    db.execute(
        "select tests.as_engine('update walltrack.wallets set history_checked_at = now()"
        " where label = ''bench history''')"
    )
    db.execute("update walltrack.config set max_copy_delay_seconds = 20")
    return walked, plain, mints


def run(database_url: str) -> dict[str, float]:
    with psycopg.connect(database_url, autocommit=True) as db:
        walked, plain, mints = prepare(db)
        seconds = {"backfill": 0.0, "ingest": 0.0}
        stored = {"backfill": 0, "ingest": 0}
        for walked_wallet, plain_wallet in zip(walked, plain, strict=True):
            pages = history(walked_wallet, mints)
            plain_pages = history(plain_wallet, mints)
            for start in range(0, HISTORY + PAGE, PAGE):  # the last page is the empty one
                page, plain_page = pages[start : start + PAGE], plain_pages[start : start + PAGE]
                began = time.perf_counter()
                row = db.execute(
                    "select api.record_backfill_page(%s, %s::jsonb, %s::jsonb, %s, %s)",
                    (
                        walked_wallet,
                        json.dumps(page),
                        json.dumps({"signature": page[0]["signature"], "slot": page[0]["slot"]})
                        if page
                        else None,
                        page[-1]["signature"] if page else None,
                        not page,
                    ),
                ).fetchone()
                seconds["backfill"] += time.perf_counter() - began
                assert row is not None
                stored["backfill"] += row[0]["new_signals"]
                if plain_page:
                    began = time.perf_counter()
                    row = db.execute(
                        "select api.ingest_swaps(%s::jsonb)", (json.dumps(plain_page),)
                    ).fetchone()
                    seconds["ingest"] += time.perf_counter() - began
                    assert row is not None
                    stored["ingest"] += row[0]["new_signals"]
        unfinished = db.execute(
            "select count(*) from walltrack.wallets where label = 'bench history'"
            " and (history_walk_before is not null or history_until_signature is null)"
            " and address = any(%s)",
            (walked,),
        ).fetchone()
        db.execute("update walltrack.config set max_copy_delay_seconds = null")
    assert stored["backfill"] == stored["ingest"] == WALLETS * HISTORY, stored
    assert unfinished == (0,), unfinished
    return {
        "swaps": stored["backfill"],
        "backfill_per_s": stored["backfill"] / seconds["backfill"],
        "ingest_per_s": stored["ingest"] / seconds["ingest"],
        "ratio": seconds["ingest"] / seconds["backfill"],
    }


# --- through helius-backfill against the market simulator ------------------------------------

SIMULATED_WALLETS = 10
SCENARIO_START = 1_764_288_000  # 2025-11-28: every buy is long past, decided stale


def simulated_world(seed: int, wallets: list[str], mints: list[str]) -> dict[str, Any]:
    """Each wallet's HISTORY swaps (a buy then a sell of its own token, one a second); no
    webhook is registered, so the simulator delivers none: all of it is history."""
    return {
        "name": "backfill bench",
        "seed": seed,
        "start_unix": SCENARIO_START,
        "wallets": [{"address": w, "label": "bench"} for w in wallets],
        "tokens": [
            {"mint": m, "symbol": "HIST", "price_path": [{"t": 0, "price_sol": "0.001"}]}
            for m in mints
        ],
        "swaps": [
            {
                "t": n + 1,
                "wallet": wallet,
                "side": "buy" if n % 2 == 0 else "sell",
                "mint": mint,
                "sol_amount": "0.1",
                "token_amount": "100",
            }
            for n in range(HISTORY)
            for wallet, mint in zip(wallets, mints, strict=True)
        ],
    }


def read_history(
    settings: backfill_function.HistorySettings, address: str
) -> list[list[dict[str, Any]]]:
    """A wallet's whole history, page by page, normalised by the webhook's parser."""
    pages: list[list[dict[str, Any]]] = []
    before = None
    with httpx.Client() as client:
        while (page := backfill_function.fetch(client, settings, address, before, None, PAGE)).size:
            pages.append(page.transactions)
            before = page.oldest_signature
    return pages


def run_against_simulator(database_url: str, env: dict[str, str]) -> dict[str, float]:
    """helius-backfill's walk (fetch, parse, record_backfill_page through PostgREST) of
    SIMULATED_WALLETS histories, against plain api.ingest_swaps of pages of the same kind
    already fetched (another seed: other signatures), through PostgREST too."""
    os.environ.update(env)
    wallets = [str(Keypair().pubkey()) for _ in range(SIMULATED_WALLETS)]  # real public keys
    mints = [str(Keypair().pubkey()) for _ in range(SIMULATED_WALLETS)]
    with psycopg.connect(database_url, autocommit=True) as db:
        with db.cursor() as cursor:
            cursor.executemany(
                "insert into walltrack.wallets (address, label) values (%s, 'bench sim')",
                [(w,) for w in wallets],
            )
            cursor.executemany("select tests.safe_token(%s)", [(m,) for m in mints])
        db.execute(
            "select tests.as_engine('update walltrack.wallets set history_checked_at = now()"
            " where label = ''bench sim''')"
        )
        db.execute("update walltrack.config set max_copy_delay_seconds = 20")
        with run_simulator(simulated_world(1, wallets, mints)) as sim:
            sim.advance(HISTORY + 1)
            settings = backfill_function.HistorySettings(sim.env()["HELIUS_API_BASE_URL"], "k")
            pages = [page for wallet in wallets for page in read_history(settings, wallet)]
        began = time.perf_counter()
        plain = sum(
            database.rpc_object("ingest_swaps", {"transactions": page})["new_signals"]
            for page in pages
        )
        ingest_s = time.perf_counter() - began
        with run_simulator(simulated_world(2, wallets, mints)) as sim:
            sim.advance(HISTORY + 1)
            settings = backfill_function.HistorySettings(sim.env()["HELIUS_API_BASE_URL"], "k")
            run = backfill_function.Run(credits=10**9, call_credits=1)
            began = time.perf_counter()
            with httpx.Client() as client:
                for wallet in wallets:
                    plan = {"address": wallet, "until": None, "before": None, "first_read": False}
                    backfill_function.walk(client, settings, plan, run)
            backfill_s = time.perf_counter() - began
        db.execute("update walltrack.config set max_copy_delay_seconds = null")
    assert plain == run.new_signals == SIMULATED_WALLETS * HISTORY, (plain, run.new_signals)
    return {
        "swaps": run.new_signals,
        "calls": run.calls,
        "backfill_per_s": run.new_signals / backfill_s,
        "ingest_per_s": plain / ingest_s,
        "ratio": ingest_s / backfill_s,
    }
