"""`make demo` end to end on a stack of its own: the real functions, the market simulator
playing simulator/scenarios/demo.json at full speed, on the scenario's clock (sleepy-delta's
one-minute time exit fires at scenario second 260, with no wall-clock wait). The outcome is
checked against figures worked out by hand from the scenario's prices (see README, demo);
then a replay of the demo's own log reproduces it exactly.

Example, WOOF: whale-alpha buys 930,000 for 2 SOL (0.0000021505 SOL each); the copy spends
0.1 SOL at that price + 0.5 % slippage: 46,268.656716 tokens, cost 0.100015 SOL with the
fee. The price peaks at 0.0000029 (t=60, trailing armed at +30 %) and falls; at t=110 it is
0.0000023167, under 80 % of the peak: the trailing stop sells everything at that price
- 0.5 %, 0.106653109 SOL, minus the 0.000015 fee: +0.006623109 SOL realized."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from scripts.replay import REPLAY_STACK
from scripts.stack_env import REPO_ROOT, read_env_file, run_stack
from simulator.population import Population, population

DEMO_STACK = {
    "STACK_DIR": ".local/demotest",
    "PG_PORT": "55422",
    "GATEWAY_PORT": "55421",
    "PGRST_PORT": "55429",
    "FUNCTIONS_PORT_BASE": "55440",
    "ENV_FILE": ".local/demotest/env",
    "STACK_FAST": "1",
    "STACK_SCHEDULER": "0",
}


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[str, psycopg.Connection[tuple[Any, ...]]]]:
    try:
        played = subprocess.run(
            [
                sys.executable,
                "-m",
                "scripts.demo",
                "--report",
                str(REPO_ROOT / ".local/demotest/report.html"),
            ],
            cwd=REPO_ROOT,
            env=os.environ | DEMO_STACK,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert played.returncode == 0, played.stdout[-3000:] + played.stderr[-3000:]
        url = read_env_file(REPO_ROOT / DEMO_STACK["ENV_FILE"])["DATABASE_URL"]
        with psycopg.connect(url, autocommit=True) as db:
            yield played.stdout, db
    finally:
        run_stack("down", DEMO_STACK, quiet=True)


def rows(db: psycopg.Connection[tuple[Any, ...]], query: str) -> list[tuple[Any, ...]]:
    return db.execute(query).fetchall()


def promoted_label(db: psycopg.Connection[tuple[Any, ...]]) -> str:
    found = rows(db, "select address from walltrack.discovery_candidates where status = 'promoted'")
    assert len(found) == 1
    return f"discovered {found[0][0][:8]}"


def test_every_leader_swap_is_decided_with_its_reason(demo: tuple[str, Any]) -> None:
    _, db = demo
    discovered = promoted_label(db)
    assert rows(
        db,
        """
        select w.label, k.symbol, s.side::text, s.decision::text, s.decision_reason
        from walltrack.signals as s join walltrack.wallets as w on w.id = s.wallet_id
        join walltrack.tokens as k on k.mint = s.token_mint order by s.block_time, s.id
        """,
    ) == [
        ("whale-alpha", "WOOF", "buy", "copied", "copied"),  # delivered twice, stored once
        ("scalper-beta", "ZOOM", "buy", "copied", "copied"),
        ("degen-gamma", "MOON", "buy", "copied", "copied"),  # clean facts: a rug unseen
        ("degen-gamma", "SCAM", "buy", "skipped", "token_unsafe"),  # mint authority kept
        ("live-epsilon", "REAL", "buy", "copied", "copied"),
        (discovered, "NEXT", "buy", "copied", "copied"),  # the wallet discovery found
        # The twins follow 'two agree': one alone waits, the second forms the consensus.
        ("twin-a", "PAIR", "buy", "skipped", "awaiting_consensus"),
        ("twin-b", "PAIR", "buy", "copied", "copied"),
        ("live-epsilon", "REAL", "sell", "copied", "mirror_sell"),
        ("scalper-beta", "DIPA", "buy", "copied", "copied"),
        ("scalper-beta", "DIPB", "buy", "copied", "copied"),
        ("live-epsilon", "NOPE", "buy", "copied", "copied"),  # then no route: failed live
        ("whale-alpha", "WOOF", "sell", "skipped", "no_position_to_mirror"),  # trailed out
        ("scalper-beta", "DIPC", "buy", "copied", "copied"),
        ("whale-alpha", "LATE", "buy", "skipped", "breaker_active"),
        (discovered, "NEXT", "sell", "copied", "mirror_sell"),  # exits run while tripped
        # The breaker was reset, but scalper-beta's own protections still pause it.
        ("scalper-beta", "DIPD", "buy", "skipped", "leader_paused"),
        # The first twin out takes the consensus entry (twin-b's copy) out with it.
        ("twin-a", "PAIR", "sell", "copied", "mirror_sell"),
        ("sleepy-delta", "FLAT", "buy", "copied", "copied"),  # after the reset
        ("whale-alpha", "PUMP", "buy", "copied", "copied"),
        ("live-epsilon", "HODL", "buy", "copied", "copied"),
        # Its HODL was moved out of the trading key: reconciliation holds live buys of it.
        ("live-epsilon", "HODL", "buy", "skipped", "chain_mismatch"),
        ("whale-alpha", "PUMP", "sell", "copied", "mirror_sell"),  # lost in the outage
    ]
    # Helius never delivered the PUMP sell (the scenario's webhook outage): the operator's
    # backfill found it in whale-alpha's history, and it was mirrored all the same.
    assert rows(
        db,
        "select side::text, decision_reason from walltrack.signals where found_by = 'backfill'",
    ) == [("sell", "mirror_sell")]


def test_positions_close_by_every_kind_of_exit_with_exact_pnl(demo: tuple[str, Any]) -> None:
    _, db = demo
    assert rows(
        db,
        """
        select k.symbol, p.status::text, p.close_reason::text, p.cost_basis_sol,
          p.realized_pnl_sol
        from walltrack.positions as p join walltrack.tokens as k on k.mint = p.token_mint
        order by p.id
        """,
    ) == [
        ("WOOF", "closed", "trailing_stop", Decimal("0.100015"), Decimal("0.006623109")),
        ("ZOOM", "closed", "take_profit", Decimal("0.100015"), Decimal("0.032374153")),
        ("MOON", "closed", "stop_loss", Decimal("0.100015"), Decimal("-0.099039951")),
        ("REAL", "closed", "mirror_sell", Decimal("0.050007620"), Decimal("0.009682104")),
        # The leader paid 1 SOL for 94,339.622642 (0.0000106 each) and sold them for 1.113:
        # 9,387.027128 bought at +0.5 %, sold at -0.5 % for 0.110192537, less the fee.
        ("NEXT", "closed", "mirror_sell", Decimal("0.100015"), Decimal("0.010162537")),
        # Flat at 0.00001: bought at +0.5 %, sold at -0.5 % when twin-a sold, fees both ways.
        ("PAIR", "closed", "mirror_sell", Decimal("0.100015"), Decimal("-0.001025025")),
        ("DIPA", "closed", "stop_loss", Decimal("0.100015"), Decimal("-0.015875772")),
        ("DIPB", "closed", "stop_loss", Decimal("0.100015"), Decimal("-0.015875772")),
        ("NOPE", "failed", None, Decimal("0"), Decimal("0")),  # Jupiter has no route
        ("DIPC", "closed", "stop_loss", Decimal("0.100015"), Decimal("-0.015875772")),
        # Flat at 0.0000030 for its minute: bought at +0.5 %, sold at -0.5 %, fees both ways.
        ("FLAT", "closed", "time_exit", Decimal("0.100015"), Decimal("-0.001025025")),
        ("PUMP", "closed", "mirror_sell", Decimal("0.100015"), Decimal("0.008875472")),
        ("HODL", "open", None, Decimal("0.050007520"), Decimal("0")),
    ]
    # The operator resolved the phantom reconciliation found (moved out by hand).
    assert rows(
        db,
        "select f.kind::text, f.db_amount, f.chain_amount, f.resolved_by"
        " from walltrack.chain_findings as f",
    ) == [("phantom", Decimal(4987002546), Decimal(0), "demo-operator")]
    assert rows(
        db,
        "select take_profit_level from walltrack.orders where reason = 'take_profit' order by id",
    ) == [(1,), (2,)]


def test_the_third_losing_dip_pauses_scalper_beta_and_the_others_trade_on(
    demo: tuple[str, Any],
) -> None:
    """config.leader_max_consecutive_losses = 3: DIPC's stop loss, scalper-beta's third
    losing copy in a row, pauses it (at the same close the global breaker trips on). The
    operator resets the breaker but not the leader: its DIPD is refused, whale-alpha's PUMP
    and sleepy-delta's FLAT are copied."""
    output, db = demo
    assert rows(
        db,
        """
        select wallet_label, event_type::text, trigger::text, threshold, observed, actor,
          (metrics ->> 'consecutive_losses')::integer
        from walltrack.leader_pause_log order by id
        """,
    ) == [("scalper-beta", "paused", "consecutive_losses", Decimal(3), Decimal(3), "system", 3)]
    assert "scalper-beta LEADER PAUSED (consecutive_losses: 3 vs threshold 3" in output
    assert rows(
        db,
        "select label, paused_by from walltrack.scoreboard where time_window = 'all'"
        " and paused_by is not null",
    ) == [("scalper-beta", "consecutive_losses")]


def test_twin_b_forms_a_consensus_entry_and_twin_a_takes_it_out(demo: tuple[str, Any]) -> None:
    """'two agree' (consensus_min_leaders 2 within 5 minutes, first_out): twin-a's buy waits,
    twin-b's five seconds later forms the consensus and records both leaders; twin-a's sale
    mirrors the whole entry out, though the position is twin-b's."""
    output, db = demo
    assert rows(
        db,
        """
        select w.label, s.decision_reason, s.consensus -> 'formed', (
          select string_agg(l.label, ' ' order by l.label)
          from jsonb_array_elements(s.consensus -> 'leaders') as c
          inner join walltrack.wallets as l on l.id = (c.value ->> 'wallet_id')::bigint
        )
        from walltrack.signals as s join walltrack.wallets as w on w.id = s.wallet_id
        where s.side = 'buy' and w.label like 'twin-%' order by s.id
        """,
    ) == [
        ("twin-a", "awaiting_consensus", False, "twin-a"),
        ("twin-b", "copied", True, "twin-a twin-b"),
    ]
    assert "twin-b       buy  PAIR  -> copied (copied, a consensus of twin-a + twin-b)" in output
    assert rows(
        db,
        "select label, consensus_entries from walltrack.scoreboard"
        " where time_window = 'all' and consensus_entries > 0 order by label",
    ) == [("twin-a", 1), ("twin-b", 1)]


def test_the_breaker_trips_on_the_third_loss_and_the_operator_resets_it(
    demo: tuple[str, Any],
) -> None:
    _, db = demo
    assert rows(
        db,
        """
        select event_type::text, trigger::text, observed, threshold, actor
        from walltrack.circuit_breaker_events order by id
        """,
    ) == [
        ("activated", "consecutive_losses", Decimal(3), Decimal(3), "system"),
        ("deactivated", "manual", None, None, "demo-operator"),
    ]


def test_pg_crons_jobs_run_again_once_the_demo_has_played(demo: tuple[str, Any]) -> None:
    """Paused while the demo drove the clock (it ran the minute's jobs itself), resumed."""
    _, db = demo
    assert rows(db, "select bool_and(active) from cron.job where jobname like 'walltrack-%'") == [
        (True,)
    ]


def test_the_scoreboard_and_the_printed_summary_match_the_database(
    demo: tuple[str, Any],
) -> None:
    output, db = demo
    assert rows(
        db,
        """
        select label, trades, win_rate_pct, realized_pnl_sol, copy_decay_pct
        from walltrack.scoreboard where time_window = 'all' order by label
        """,
    ) == [
        ("degen-gamma", 1, Decimal("0.00"), Decimal("-0.099039951"), None),
        (promoted_label(db), 1, Decimal("100.00"), Decimal("0.010162537"), Decimal("1.14")),
        ("live-epsilon", 1, Decimal("100.00"), Decimal("0.009682104"), Decimal("0.64")),
        ("scalper-beta", 4, Decimal("25.00"), Decimal("-0.015253163"), None),
        ("sleepy-delta", 1, Decimal("0.00"), Decimal("-0.001025025"), None),
        ("twin-a", 0, None, Decimal("0"), None),
        ("twin-b", 1, Decimal("0.00"), Decimal("-0.001025025"), Decimal("1.02")),
        # PUMP, the one mirrored round trip: the leader made +10 %, we +8.874 %.
        ("whale-alpha", 2, Decimal("100.00"), Decimal("0.015498581"), Decimal("1.13")),
    ]
    assert "CIRCUIT BREAKER ACTIVATED (consecutive_losses: 3 vs threshold 3" in output
    assert "whale-alpha  sell PUMP  -> never delivered (a Helius webhook outage)" in output
    assert "whale-alpha  sell PUMP  -> copied (mirror_sell, found by backfill)" in output
    assert "sleepy-delta FLAT  closed by time_exit: -0.001025025 SOL" in output
    assert "Realized PnL, all positions: -0.080999942 SOL" in output
    assert "HTML report:" in output


def test_the_live_wallet_trades_through_signed_transactions_on_the_simulated_chain(
    demo: tuple[str, Any],
) -> None:
    """live-epsilon's copy and its mirror sell: quoted by the simulator's Jupiter, signed
    with the stack's throwaway key, sent to its chain and read back from it. The pool (2,000
    SOL deep, 25 bps fee) gives 4,987.375627 REAL for 0.05 SOL at 0.00001; they fetch
    0.059697104 SOL at 0.000012; each transaction pays 5,000 lamports and the priority fee
    the pool's recent fees set (p75 of the simulated fee market: 2,620 then 2,380)."""
    _, db = demo
    assert rows(
        db,
        """
        select side::text, reason::text, status::text, attempts, filled_in, filled_out,
          network_fee_lamports, priority_fee_lamports, length(tx_signature) > 80
        from walltrack.orders where mode = 'live' order by id
        """,
    ) == [
        (
            "buy",
            "copy_entry",
            "confirmed",
            1,
            Decimal(50000000),
            Decimal(4987375627),
            5000,
            2620,
            True,
        ),
        (
            "sell",
            "mirror_sell",
            "confirmed",
            1,
            Decimal(4987375627),
            Decimal(59697104),
            5000,
            2380,
            True,
        ),
        # NOPE: Jupiter finds no route (TOKEN_NOT_TRADABLE), final at the first attempt.
        ("buy", "copy_entry", "failed", 1, None, None, None, None, None),
        # HODL: 4,987.002546 for 0.05 SOL from a pool 500 SOL deep, moved away later.
        (
            "buy",
            "copy_entry",
            "confirmed",
            1,
            Decimal(50000000),
            Decimal(4987002546),
            5000,
            2520,
            True,
        ),
    ]


def test_discovery_ranks_the_patient_traders_first_and_flags_the_others(
    demo: tuple[str, Any],
) -> None:
    """The scenario's population (seed 17): its four patient traders take the first four
    ranks, unflagged; every other candidate carries a flag; the first is promoted, and its
    baseline at promotion is its own round trips, summed here from the population's swaps."""
    output, db = demo
    people = population(17)
    ranked = rows(
        db,
        "select address, flag_names from walltrack.candidate_ranking"
        " where rank is not null order by rank",
    )
    assert {address for address, _ in ranked[:4]} == set(people.roles["patient"])
    assert all(flags == [] for _, flags in ranked[:4])
    assert all(flags for _, flags in ranked[4:])
    flagged_roles = ["sniper", "bot", "wash", "lucky", "insider", "whale", "retail"]
    assert {address for address, _ in ranked[4:]} == {
        address for role in flagged_roles for address in people.roles[role]
    }
    top = ranked[0][0]
    trades = round_trips(people, top)
    assert len(trades) == 5  # four winners and one loser, each bought once and sold once
    pnl = sum(trades, Decimal(0))
    won = Decimal(100 * sum(1 for trade in trades if trade > 0)) / len(trades)
    assert db.execute(
        """
        select label, mode::text, discovery_metadata ->> 'trade_count',
          (discovery_metadata ->> 'win_rate_pct')::numeric,
          (discovery_metadata ->> 'realized_pnl_sol')::numeric
        from walltrack.wallets where address = %s
        """,
        (top,),
    ).fetchall() == [(f"discovered {top[:8]}", "simulation", "5", won, pnl)]
    assert f"baseline measured from its history: 5 trades, {won:.2f} % won, {pnl:+.9f} SOL" in (
        output
    )


def round_trips(people: Population, address: str) -> list[Decimal]:
    """Realized PnL per token of a wallet whose every token was bought once, sold once, all
    before the scenario's second 0."""
    swaps = [s for s in people.swaps if s["wallet"] == address and s["t"] < 0]
    by_token: dict[str, Decimal] = {}
    for swap in swaps:
        sign = 1 if swap["side"] == "sell" else -1
        by_token[swap["mint"]] = by_token.get(swap["mint"], Decimal(0)) + sign * Decimal(
            swap["sol_amount"]
        )
    assert len(swaps) == 2 * len(by_token)
    return list(by_token.values())


def test_the_operator_hears_of_the_trip_the_rug_the_failure_and_the_finding_once_each(
    demo: tuple[str, Any],
) -> None:
    """notify sent each alert to the simulator's Telegram and Discord, once each (the daily
    summary comes too when the demo runs after config.alert_daily_summary_hour)."""
    output, db = demo
    assert rows(
        db,
        """
        select a.kind::text, string_agg(d.channel || ' ' || d.status || ' ' || d.attempts, ', '
          order by d.channel)
        from walltrack.alerts as a join walltrack.alert_deliveries as d on d.alert_id = a.id
        where a.kind <> 'daily_summary' group by a.id, a.kind order by a.id
        """,
    ) == [
        (kind, "telegram sent 1, discord sent 1")
        for kind in ("rug", "order_failed", "breaker_activated", "breaker_reset", "chain_finding")
    ]
    # Every close raised position_closed (not routed by default); a live one links its sell.
    assert rows(
        db,
        """
        select a.message like '%https://solscan.io/tx/' || o.tx_signature
        from walltrack.alerts as a
        join walltrack.orders as o on o.position_id = (a.details ->> 'position_id')::bigint
        join walltrack.tokens as k on k.mint = a.details ->> 'token_mint'
        where a.kind = 'position_closed' and k.symbol = 'REAL' and o.side = 'sell'
        """,
    ) == [(True,)]
    for line in (
        "[telegram + discord] WallTrack: likely RUG, MOON",
        "[telegram + discord] WallTrack: live buy of NOPE (live-epsilon) FAILED after 1"
        " attempt(s): not_tradable",
        "[telegram + discord] WallTrack: circuit breaker TRIPPED (consecutive_losses: 3, limit 3)",
        "[telegram + discord] WallTrack: chain mismatch, phantom HODL",
    ):
        assert line in output


def test_a_replay_of_the_demo_log_reproduces_it_then_shows_one_rule_changed(
    demo: tuple[str, Any], tmp_path: Path
) -> None:
    """The demo's log (its signals, price path, the operator's reset and what WallTrack
    decided), replayed through the operator's command: as recorded, every decision, position
    and breaker event of the simulated wallets comes out exactly as recorded. With the
    scalper strategy's stop loss at -20 % instead of -10 %, scalper-beta's three dips (down
    about 15 %) no longer stop out: the breaker never trips and scalper-beta is never paused,
    so whale-alpha's LATE and scalper-beta's DIPD are copied: side by side."""
    output = replay_demo_log(tmp_path, "--exit-rule", "scalper:stop_loss_pct=-20")
    assert (
        "The baseline reproduces the recorded outcome exactly: every decision, position and"
        " breaker event (live wallets left out: 1)." in output
    )
    assert (
        "Circuit breaker: baseline tripped on consecutive_losses (threshold 3, observed 3);"
        " what-if never tripped." in output
    )
    scalper = section(output, "scalper-beta")
    assert figure(scalper, "exits: stop_loss") == ["3", "0", "-3"]
    assert figure(scalper, "open at the end") == ["0", "4", "+4"]
    assert figure(scalper, "leader_paused") == ["1", "0", "-1"]
    assert figure(section(output, "whale-alpha"), "breaker_active") == ["1", "0", "-1"]


def test_a_replay_without_the_leader_protections_copies_the_paused_leaders_dip(
    demo: tuple[str, Any], tmp_path: Path
) -> None:
    """The same log with config.leader_max_consecutive_losses empty: scalper-beta is never
    paused, its DIPD is copied (and, with no price path for a token the recording never held,
    stays open); the global breaker trips as it did."""
    output = replay_demo_log(tmp_path, "--set", "leader_max_consecutive_losses=null")
    scalper = section(output, "scalper-beta")
    assert figure(scalper, "leader_paused") == ["1", "0", "-1"]
    assert figure(scalper, "copied") == ["4", "5", "+1"]
    assert figure(scalper, "open at the end") == ["0", "1", "+1"]
    assert (
        "Circuit breaker: baseline tripped on consecutive_losses (threshold 3, observed 3);"
        " what-if tripped on consecutive_losses (threshold 3, observed 3)." in output
    )


def replay_demo_log(tmp_path: Path, *what_if: str) -> str:
    """The demo database's log exported, then replayed as recorded and with the what-if, as
    an operator runs it (python -m scripts.replay); the replay stack is stopped after."""
    log = tmp_path / "demo-log.json"
    url = read_env_file(REPO_ROOT / DEMO_STACK["ENV_FILE"])["DATABASE_URL"]
    try:
        replay_command("export", "--out", str(log), "--database-url", url)
        return replay_command("run", str(log), *what_if)
    finally:
        run_stack("down", REPLAY_STACK, quiet=True)


def replay_command(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "scripts.replay", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def section(output: str, wallet: str) -> list[str]:
    """One wallet's rows of the side-by-side table."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(wallet + " ("))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith(" "))
    return lines[start + 1 : end]


def figure(rows_: list[str], name: str) -> list[str]:
    """A row's baseline, what-if and change (an unchanged one has no change)."""
    row = next(line for line in rows_ if line.strip().startswith(name + " "))
    values = row.strip()[len(name) :].split()
    return values


def test_a_replay_without_the_consensus_copies_each_twin_on_its_own(
    demo: tuple[str, Any], tmp_path: Path
) -> None:
    """The same log with 'two agree' asking no consensus: twin-a's buy is copied on its own
    and its sale mirrors its own copy; twin-b's buy of the token then held is not copied
    (already_holding, one position per token)."""
    output = replay_demo_log(tmp_path, "--exit-rule", "two agree:consensus_min_leaders=null")
    assert figure(section(output, "twin-a"), "awaiting_consensus") == ["1", "0", "-1"]
    assert figure(section(output, "twin-a"), "copied") == ["1", "2", "+1"]
    assert figure(section(output, "twin-b"), "already_holding") == ["0", "1", "+1"]
    assert figure(section(output, "twin-b"), "copied") == ["1", "0", "-1"]
