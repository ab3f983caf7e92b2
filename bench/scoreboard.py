"""The scoreboard refresh at 1,000 wallets, 1M signals and 100k closed positions, with a
reader querying it throughout, and the breaker check on that book.

Baselines in the same run: a bare aggregate over the same tables (signals and closes
counted per wallet) for the refresh, the same reader query while nothing refreshes, and a
`select 1` round trip for the breaker check."""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path
from typing import Any

import psycopg

DATA = Path(__file__).with_name("scoreboard_data.sql")
REFRESHES = 3
BREAKER_CHECKS = 300
READER_QUERY = "select * from walltrack.scoreboard where wallet_id = %s"
BARE_AGGREGATE = """
create materialized view bench_bare_counts as
select wallet_id, 'signals' as what, count(*) from walltrack.signals group by wallet_id
union all
select wallet_id, 'closes', count(*) from walltrack.positions where status = 'closed'
group by wallet_id
"""


def timed(db: psycopg.Connection[Any], query: str, *params: object) -> float:
    start = time.perf_counter()
    cursor = db.execute(query, params or None)
    if cursor.description is not None:
        cursor.fetchall()
    return time.perf_counter() - start


class Reader(threading.Thread):
    """Reads one wallet's scoreboard lines in a loop, keeping each read's latency."""

    def __init__(self, database_url: str, wallet_id: int) -> None:
        super().__init__(daemon=True)
        self.database_url, self.wallet_id = database_url, wallet_id
        self.latencies: list[float] = []
        self.done = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.database_url, autocommit=True) as db:
            while not self.done.is_set():
                self.latencies.append(timed(db, READER_QUERY, self.wallet_id))


def read_while(database_url: str, wallet_id: int, work: Any) -> tuple[float, list[float]]:
    """Runs `work` while a reader reads; returns work's duration and the reads' latencies."""
    reader = Reader(database_url, wallet_id)
    reader.start()
    time.sleep(0.2)
    start = time.perf_counter()
    work()
    elapsed = time.perf_counter() - start
    reader.done.set()
    reader.join()
    return elapsed, reader.latencies


def run(database_url: str) -> dict[str, float]:
    with psycopg.connect(database_url, autocommit=True) as db:
        load_s = timed(db, DATA.read_text())
        for table in ("signals", "positions", "orders"):
            db.execute(f"vacuum analyze walltrack.{table}")
    return {"load_s": load_s} | measure(database_url)


def measure(database_url: str) -> dict[str, float]:
    with psycopg.connect(database_url, autocommit=True) as db:
        counts = db.execute(
            "select (select count(*) from walltrack.wallets),"
            " (select count(*) from walltrack.signals),"
            " (select count(*) from walltrack.positions where status = 'closed')"
        ).fetchone()
        assert counts is not None
        wallet = db.execute("select id from walltrack.wallets where label = 'bench 7'").fetchone()
        assert wallet is not None
        db.execute("select api.refresh_performance()")  # warm the caches
        refresh_s: list[float] = []
        busy_reads: list[float] = []
        for _ in range(REFRESHES):
            elapsed, reads = read_while(
                database_url, wallet[0], lambda: db.execute("select api.refresh_performance()")
            )
            refresh_s.append(elapsed)
            busy_reads += reads
        _, idle_reads = read_while(database_url, wallet[0], lambda: time.sleep(1))
        db.execute(BARE_AGGREGATE)
        bare_s = [
            timed(db, "refresh materialized view bench_bare_counts") for _ in range(REFRESHES)
        ]
        check_ms = [
            1000 * timed(db, "select api.check_circuit_breaker()") for _ in range(BREAKER_CHECKS)
        ]
        round_trip_ms = [1000 * timed(db, "select 1") for _ in range(BREAKER_CHECKS)]
        active = db.execute("select api.breaker_state() ->> 'active'").fetchone()
    assert active == ("false",), "the benchmark book must not trip the breaker"
    return {
        "wallets": counts[0],
        "signals": counts[1],
        "closed": counts[2],
        "refresh_s": statistics.median(refresh_s),
        "bare_s": statistics.median(bare_s),
        "ratio": statistics.median(bare_s) / statistics.median(refresh_s),
        "busy_read_max_ms": 1000 * max(busy_reads),
        "idle_read_max_ms": 1000 * max(idle_reads),
        "reads_during_refresh": len(busy_reads),
        "check_ms": statistics.median(check_ms),
        "check_p99_ms": statistics.quantiles(check_ms, n=100)[98],
        "round_trip_ms": statistics.median(round_trip_ms),
    }
