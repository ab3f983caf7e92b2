"""Wallet discovery's ledger and ranking at 1,000 candidates x 500 swaps each (500,000
candidate swaps over the period), next to a bare aggregate over the same rows.

Each candidate trades 50 tokens, ten swaps each (buy, then sell part, buy again...), so the
average-cost ledger folds 50,000 token histories; the ranking adds the flags (busiest minute
and hour, first swap), the copy decay and the order. The rows are inserted directly in SQL
(with the engine-write mark, as record_candidate_page writes them)."""

from __future__ import annotations

import statistics
import time
from typing import Any

import psycopg

CANDIDATES = 1_000
SWAPS = 500
TOKENS = 50
RUNS = 3
# LOAD spells these figures out (CANDIDATES, SWAPS - 1, TOKENS).

LOAD = """
insert into walltrack.discovery_candidates (address, source)
select rpad('Bench' || translate(i::text, '0', 'z') || 'x', 44, '1'), 'operator'
from generate_series(1, 1000) as i;

insert into walltrack.candidate_swaps (
  candidate_id, signature, slot, block_time, side, token_mint, token_amount, token_decimals,
  sol_lamports
)
select
  d.id,
  rpad('S' || translate(d.id::text, '0', 'z') || 'x' || translate(n::text, '0', 'z') || 'y',
    88, '1'),
  300000000 + n,
  now() - interval '20 days' + n * interval '50 minutes' + (d.id % 60) * interval '1 second',
  case when n % 2 = 0 then 'buy' else 'sell' end::walltrack.trade_side,
  rpad('BenchMint' || translate((n % 50)::text, '0', 'z') || 'x', 44, '1'),
  case when n % 2 = 0 then 1000000 else 600000 end,
  6,
  -- buys 0.1..0.2 SOL, sells of 60 % of what was bought at -30 % .. +50 % of cost
  case when n % 2 = 0 then 100000000 + (d.id * 7919 + n * 104729) % 100000000
       else 42000000 + (d.id * 15485863 + n * 32452843) % 48000000 end
from walltrack.discovery_candidates as d
cross join generate_series(0::bigint, 499) as n
where d.address like 'Bench%';

update walltrack.discovery_candidates
set history_complete = true, measured_at = now() + interval '1 minute', status = 'measured'
where address like 'Bench%';
"""

LEDGER = "select count(*), sum(trade_count), sum(realized_pnl_sol) from walltrack.candidate_ledger"
RANKING = (
    "select rank, address, expectancy_after_decay_pct, flag_names from walltrack.candidate_ranking"
)
BARE = """
select candidate_id, count(*), sum(sol_lamports) filter (where side = 'sell')
  - sum(sol_lamports) filter (where side = 'buy')
from walltrack.candidate_swaps group by candidate_id
"""


def timed(db: psycopg.Connection[Any], query: str) -> float:
    start = time.perf_counter()
    db.execute(query).fetchall()
    return time.perf_counter() - start


def run(database_url: str) -> dict[str, float]:
    with psycopg.connect(database_url) as db:
        start = time.perf_counter()
        with db.transaction():
            engine = db.execute("select walltrack.begin_engine_write()").fetchone()
            db.execute(LOAD)
            db.execute("select walltrack.end_engine_write(%s)", (engine[0] if engine else "",))
        load_s = time.perf_counter() - start
        db.commit()
        db.autocommit = True
        db.execute("vacuum analyze walltrack.candidate_swaps")
        db.execute("vacuum analyze walltrack.discovery_candidates")
        swaps = db.execute("select count(*) from walltrack.candidate_swaps").fetchone()
        bare = statistics.median(timed(db, BARE) for _ in range(RUNS))
        ledger = statistics.median(timed(db, LEDGER) for _ in range(RUNS))
        ranking = statistics.median(timed(db, RANKING) for _ in range(RUNS))
        ranked = db.execute(
            "select count(*) from walltrack.candidate_ranking where rank is not null"
        ).fetchone()
    return {
        "load_s": load_s,
        "swaps": float(swaps[0]) if swaps else 0.0,
        "ranked": float(ranked[0]) if ranked else 0.0,
        "bare_s": bare,
        "ledger_s": ledger,
        "ranking_s": ranking,
        "ledger_ratio": bare / ledger,
        "ranking_ratio": bare / ranking,
    }


if __name__ == "__main__":
    import os

    print(run(os.environ["DATABASE_URL"]))
