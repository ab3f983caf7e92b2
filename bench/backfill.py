"""History backfill: WALLETS watched wallets with HISTORY transactions each, walked newest
first in pages of 100 through api.record_backfill_page (stored and decided as found by
backfill, the walk's state moved), against plain api.ingest_swaps of the same kind of pages
(the webhook's path), interleaved page by page.

Each history is a leader's round trips, a buy then a sell of each token, long past: every buy
is decided stale, every sell finds no copy to mirror. Two sets of wallets with the same
histories (different signatures): one walked by the backfill, one ingested plainly."""

from __future__ import annotations

import json
import time
from typing import Any

import psycopg

from simulator.helius_tx import base58, normalised_swap

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
