"""`make bench`: every benchmark on a fresh stack of its own, each next to its baseline."""

from __future__ import annotations

import os
import subprocess

from psycopg.conninfo import conninfo_to_dict

from bench import backfill, deadline, discovery, execution, ingest, scoreboard, ticks, webhook
from bench.stack import BENCH_ENV, bench_stack, env_file_values, function_port
from scripts.stack_env import REPO_ROOT


def row(what: str, figure: str, baseline: str, ratio: str, target: str) -> None:
    print(f"| {what} | {figure} | {baseline} | {ratio} | {target} |")


def psql_env(database_url: str) -> dict[str, str]:
    """libpq's PG* variables for a URL: psql gets the password without showing it on its
    command line, where every local user could read it."""
    names = {
        "host": "PGHOST",
        "port": "PGPORT",
        "dbname": "PGDATABASE",
        "user": "PGUSER",
        "password": "PGPASSWORD",
    }
    info = conninfo_to_dict(database_url)
    return {names[key]: str(value) for key, value in info.items() if key in names}


def main() -> None:
    with bench_stack() as stack:
        for sql in ("tests/sql/setup.sql", "tests/sql/breaker_off.sql"):
            subprocess.run(
                ["psql", "-q", "-f", sql],
                cwd=REPO_ROOT,
                env=os.environ | psql_env(stack.database_url),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        ingested = ingest.run(stack.database_url)
        backfilled = backfill.run(stack.database_url)
        walked = backfill.run_against_simulator(stack.database_url, env_file_values())
        executed = execution.run(stack)
        served = webhook.run(
            stack.database_url,
            f"http://127.0.0.1:{function_port('helius-webhook')}/",
            env_file_values()["HELIUS_WEBHOOK_SECRET"],
            REPO_ROOT / BENCH_ENV["STACK_DIR"],
        )
        late = deadline.run(
            stack.database_url,
            dict(os.environ) | env_file_values(),
            env_file_values()["HELIUS_WEBHOOK_SECRET"],
        )
        # It leaves 10,000 open positions behind, which the scoreboard then counts.
        ticked = ticks.run(stack.database_url)
        scored = scoreboard.run(stack.database_url)
        discovered = discovery.run(stack.database_url)
    print("| benchmark | WallTrack | baseline (same run) | ratio | target |")
    print("| --- | --- | --- | --- | --- |")
    row(
        f"ingest_swaps, batches of 100 ({ingested['copied']:.0f} of "
        f"{ingested['swaps']:.0f} swaps copied with simulated fills)",
        f"{ingested['ingest_per_s']:,.0f} swaps/s",
        f"bare insert {ingested['bare_per_s']:,.0f} rows/s",
        f"{ingested['ratio']:.2f}",
        ">= 0.10",
    )
    row(
        f"ingest_swaps, a burst: {ingest.BURSTS} batches of 100 leader buys of new tokens "
        f"({ingested['burst_copied']:.0f} copied, opened together)",
        f"{ingested['burst_per_s']:,.0f} swaps/s",
        "bare insert of the same rows",
        f"{ingested['burst_ratio']:.2f}",
        ">= 0.10",
    )
    row(
        f"history backfill: {backfill.WALLETS} wallets x {backfill.HISTORY:,} transactions,"
        f" pages of {backfill.PAGE} through record_backfill_page (found by backfill)",
        f"{backfilled['backfill_per_s']:,.0f} swaps/s",
        f"plain ingest_swaps of the same pages {backfilled['ingest_per_s']:,.0f} swaps/s",
        f"{backfilled['ratio']:.2f}",
        "(issue 16: shown; a walk costs what ingest does)",
    )
    row(
        f"helius-backfill against the market simulator: {backfill.SIMULATED_WALLETS} wallets x"
        f" {backfill.HISTORY:,} transactions ({walked['calls']:.0f} history calls, parsed,"
        " stored through PostgREST)",
        f"{walked['backfill_per_s']:,.0f} swaps/s",
        f"plain ingest_swaps of the same pages, already fetched {walked['ingest_per_s']:,.0f}"
        " swaps/s",
        f"{walked['ratio']:.2f}",
        "(issue 16: shown)",
    )
    row(
        "token cache-hit check inside ingest (half the batches above)",
        f"{ingested['read_through_per_s']:,.0f} swaps/s with the check",
        f"{ingested['plain_per_s']:,.0f} swaps/s without",
        f"{ingested['read_through_per_s'] / ingested['plain_per_s']:.2f}",
        "(issue 4: shown next to ingest)",
    )
    row(
        f"price tick, {ticks.POSITIONS:,} open positions ({ticked['exits']:.0f} exits in 3 ticks)",
        f"{ticked['tick_s'] * 1000:,.0f} ms",
        f"bare UPDATE {ticked['bare_s'] * 1000:,.0f} ms",
        f"{ticked['ratio']:.2f}",
        ">= 0.2 (and <= 1 s)",
    )
    row(
        f"scoreboard refresh: {scored['wallets']:,.0f} wallets, {scored['signals']:,.0f} signals,"
        f" {scored['closed']:,.0f} closed positions (a reader querying throughout)",
        f"{scored['refresh_s']:.1f} s",
        f"bare per-wallet counts {scored['bare_s']:.2f} s",
        f"{scored['ratio']:.2f}",
        "<= 10 s, concurrently",
    )
    row(
        f"reader during the refresh ({scored['reads_during_refresh']:,.0f} reads), slowest read",
        f"{scored['busy_read_max_ms']:.1f} ms",
        f"idle {scored['idle_read_max_ms']:.1f} ms",
        f"{scored['busy_read_max_ms'] / scored['idle_read_max_ms']:.1f}",
        "readers never blocked",
    )
    row(
        f"breaker check at {scored['closed']:,.0f} closed positions (median / p99)",
        f"{scored['check_ms']:.2f} / {scored['check_p99_ms']:.2f} ms",
        f"select 1 round trip {scored['round_trip_ms']:.2f} ms",
        f"{scored['round_trip_ms'] / scored['check_ms']:.2f}",
        "<= 5 ms",
    )
    row(
        f"discovery ledger: {discovery.CANDIDATES:,} candidates x {discovery.SWAPS} swaps"
        f" ({discovered['swaps']:,.0f} rows, {discovery.TOKENS} tokens each), average cost",
        f"{discovered['ledger_s']:.2f} s",
        f"bare per-candidate sums {discovered['bare_s']:.2f} s",
        f"{discovered['ledger_ratio']:.3f}",
        "(issue 17: shown)",
    )
    row(
        f"discovery ranking of the same {discovered['ranked']:,.0f} measured candidates"
        " (ledger, flags with evidence, copy decay, order)",
        f"{discovered['ranking_s']:.2f} s",
        f"bare per-candidate sums {discovered['bare_s']:.2f} s",
        f"{discovered['ranking_ratio']:.3f}",
        "(issue 17: shown)",
    )
    row(
        f"live execution, {executed['orders']:.0f} orders executed and confirmed against the"
        " simulator: WallTrack's own time per order",
        f"{executed['overhead_ms']:.1f} ms ({executed['order_ms']:.1f} ms in all)",
        f"same calls bare {executed['bare_ms']:.1f} ms",
        f"{executed['bare_ms'] / executed['order_ms']:.2f}",
        "(issue 8: shown)",
    )
    row(
        "signing a Jupiter swap transaction with solders (decode, sign, serialise)",
        f"{executed['signed_per_s']:,.0f} tx/s",
        f"bare ed25519 signature {executed['raw_per_s']:,.0f}/s",
        f"{executed['signed_per_s'] / executed['raw_per_s']:.2f}",
        "(issue 8: shown)",
    )
    row(
        "webhook latency, one swap per delivery (p50 / p99)",
        f"{served['webhook_p50']:.1f} / {served['webhook_p99']:.1f} ms",
        f"hello-world {served['hello_p50']:.1f} / {served['hello_p99']:.1f} ms",
        f"{served['webhook_p50'] / served['hello_p50']:.1f}x p50, added"
        f" {served['added_p50']:.1f} / {served['added_p99']:.1f} ms",
        "p50 <= 4x hello-world's",
    )
    row(
        f"webhook latency with every outside service answering after {deadline.HANG_SECONDS:.0f}"
        f" s, {deadline.HANGING_DELIVERIES} deliveries each buying an unknown token (p50 / p99)",
        f"{late['hanging_p50']:.0f} / {late['hanging_p99']:.0f} ms",
        f"deadline {late['deadline_ms']:.0f} ms",
        f"{late['hanging_p99'] / late['deadline_ms']:.2f}",
        "p99 within the deadline",
    )
    row(
        f"one delivery of {deadline.BURST_TOKENS} buys of {deadline.BURST_TOKENS} unknown tokens"
        " (market simulator): answer, then every buy decided",
        f"answered in {late['answer_ms']:.0f} ms ({late['answered_decided']:.0f} decided),"
        f" all decided {late['all_decided_s']:.1f} s after",
        f"deadline {late['deadline_ms']:.0f} ms",
        f"{late['answer_ms'] / late['deadline_ms']:.2f}",
        "answer within the deadline; all decided within 10 s",
    )
    row(
        f"webhook throughput, {webhook.CLIENTS} clients",
        f"{served['webhook_rps']:,.0f} req/s",
        f"hello-world {served['hello_rps']:,.0f} req/s",
        f"{served['ratio']:.2f}",
        ">= 0.3",
    )
    row(
        "memory after the webhook load (RSS)",
        f"function {served['function_mb']:.0f} MB",
        f"whole stack {served['stack_mb']:.0f} MB (PSS)",
        "",
        "<= 150 MB; stack <= 1.5 GB",
    )


if __name__ == "__main__":
    main()
