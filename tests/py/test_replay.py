"""The what-if replay on the test database, against hand-computed figures.

The log is recorded through api.ingest_swaps in a transaction that is rolled back once it
is exported, and every replay rolls its own transaction back: the shared test database is
left as it was. Simulated fills have no slippage and no fee, and each copy spends 1 SOL on
1,000 tokens at 0.001 SOL, so each figure below is the leaders' prices and nothing else:

    t0  leader buys A at 0.001       t3  leader sells B at 0.0015
    t1  other sells A at 0.0007      t4  leader sells A at 0.0005
    t2  leader buys B at 0.001
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from scripts import replay as replay_cli
from scripts.replay_log import (
    ReplayError,
    SignalsLog,
    batches,
    export_log,
    parse_log,
    timeline,
    write_log,
)
from scripts.replay_run import Changes, Figures, replay
from scripts.stack_env import StackEnv

Db = psycopg.Connection[Any]

MINTS = {"A": "RpyTokenA".ljust(44, "1"), "B": "RpyTokenB".ljust(44, "1")}
# (wallet, side, token, SOL for the 1,000 tokens), one per second of chain time
SWAPS = [
    ("leader", "buy", "A", "1"),
    ("other", "sell", "A", "0.7"),
    ("leader", "buy", "B", "1"),
    ("leader", "sell", "B", "1.5"),
    ("leader", "sell", "A", "0.5"),
]

RECORDING_SETUP = """
update walltrack.config set trading_enabled = true, sim_slippage_bps = 0, sim_fee_lamports = 0,
  max_open_positions = 1000000, max_total_exposure_sol = 1000000, max_positions_per_token = 1,
  breaker_max_consecutive_losses = 1000, breaker_max_drawdown_pct = 100,
  breaker_max_daily_loss_sol = 1000000, breaker_min_win_rate_pct = 0;
insert into walltrack.exit_strategies (name, description, stop_loss_pct, mirror_leader_sells)
values ('tight stop', 'sell everything at -20%, mirror the leader', -20, true);
"""


def record_swaps(db: Db) -> list[str]:
    """The fixture's wallets, tokens and swaps, recorded as the webhook would; their addresses."""
    db.execute(RECORDING_SETUP)
    wallets: dict[str, str] = {}
    for label in ("leader", "other"):
        row = db.execute("select tests.new_wallet(%s)", [label]).fetchone()
        assert row is not None
        row = db.execute(
            "update walltrack.wallets set position_size_sol = 1, exit_strategy_id ="
            " (select id from walltrack.exit_strategies where name = 'mirror only')"
            " where id = %s returning address",
            [row[0]],
        ).fetchone()
        assert row is not None
        wallets[label] = row[0]
    for mint in MINTS.values():
        db.execute("select tests.safe_token(%s)", [mint])
    for second, (label, side, token, sol) in enumerate(SWAPS):
        db.execute(
            "select api.ingest_swaps(jsonb_build_array(tests.swap_tx("
            "  %s, %s, %s, %s, 1000000000, %s, %s)))",
            [
                f"replay{second}{side}{token}",
                wallets[label],
                side,
                MINTS[token],
                int(Decimal(sol) * 10**9),
                second,
            ],
        )
    return list(wallets.values())


def only_wallets(log: SignalsLog, addresses: list[str]) -> SignalsLog:
    """The part of the log about these wallets: the shared test database holds other tests'."""
    signals = [s for s in log.signals if s["wallet"] in addresses]
    mints = {s["token_mint"] for s in signals}
    return replace(
        log,
        wallets=[w for w in log.wallets if w["address"] in addresses],
        tokens=[t for t in log.tokens if t["mint"] in mints],
        signals=signals,
        prices=[p for p in log.prices if p["mint"] in mints],
        resumes=[r for r in log.resumes if r["wallet"] in addresses],
        decisions=[d for d in log.decisions if d["wallet"] in addresses],
        closes=[c for c in log.closes if c["wallet"] in addresses],
        breaker_events=[],  # other tests' trips and resets
    )


@pytest.fixture(scope="module")
def db(stack: StackEnv) -> Iterator[Db]:
    with psycopg.connect(stack.database_url) as connection:
        yield connection


@pytest.fixture(scope="module")
def log(db: Db) -> SignalsLog:
    with db.transaction(force_rollback=True):
        addresses = record_swaps(db)
        return only_wallets(export_log(db), addresses)


def by_label(log: SignalsLog, figures: Mapping[str, Figures]) -> dict[str, Figures]:
    return {w["label"]: figures[w["address"]] for w in log.wallets}


def test_the_log_keeps_amounts_exact_and_rebuilds_the_transactions(log: SignalsLog) -> None:
    assert [(s["side"], s["quote_amount"], s["price_sol"]) for s in log.signals] == [
        ("buy", "1000000000", "0.001000000000000000"),
        ("sell", "700000000", "0.000700000000000000"),
        ("buy", "1000000000", "0.001000000000000000"),
        ("sell", "1500000000", "0.001500000000000000"),
        ("sell", "500000000", "0.000500000000000000"),
    ], "chain order, numerics as strings"
    assert log.config["sim_slippage_bps"] == 0 and log.config["fixed_amount_sol"] == "0.1"
    first = next(batches(log))
    assert first.ticks == [{"mint": MINTS["A"], "price_sol": "0.001000000000000000"}]
    assert first.transaction["timestamp"] == 1764300000
    assert first.transaction["swaps"] == [
        {
            "wallet": log.wallets[0]["address"],
            "side": "buy",
            "token_mint": MINTS["A"],
            "token_amount": "1000000000",
            "token_decimals": 6,
            "quote_mint": "So11111111111111111111111111111111111111112",
            "quote_amount": "1000000000",
            "quote_decimals": 9,
        }
    ]
    # The file round trip changes nothing.
    document = json.loads(json.dumps({"format": "walltrack-signals-log", "version": 2} | vars(log)))
    assert parse_log(document) == log
    # A version 1 log (before the price path, the resets and the outcome) still reads.
    for section in ("prices", "restarts", "resumes", "decisions", "closes", "breaker_events"):
        document.pop(section)
    old = parse_log(document | {"version": 1})
    assert (old.signals, old.prices, old.decisions) == (log.signals, [], [])


def test_a_tighter_stop_loss_fires_at_the_price_tick_and_loses_less(
    db: Db, log: SignalsLog
) -> None:
    baseline = replay(db, log, Changes())
    tight = replay(db, log, Changes(exit_strategy="tight stop"))

    # Mirror only: B mirrored at +50% (+0.5); A's -40% safety stop fires at the t4 tick, at
    # -50% (-0.5), before the leader's sale, which finds nothing left to mirror.
    leader = by_label(log, baseline.wallets)["leader"]
    assert (leader.trades, leader.wins, leader.win_rate_pct) == (2, 1, Decimal("50.00"))
    assert leader.realized_pnl_sol == 0
    assert leader.max_drawdown_sol == Decimal("0.5"), "+0.5 then back to 0"
    assert leader.profit_factor == Decimal("1.0000")
    assert (leader.copied, leader.skipped, leader.open_at_end) == (3, 1, 0)
    assert leader.exits == {"mirror_sell": 1, "stop_loss": 1}
    assert leader.skips == {"no_position_to_mirror": 1}

    # A -20% stop fires at the t1 tick another wallet's sale makes: A closes at -0.3.
    leader = by_label(log, tight.wallets)["leader"]
    assert (leader.trades, leader.wins) == (2, 1)
    assert leader.realized_pnl_sol == Decimal("0.2"), "-0.3 + 0.5"
    assert leader.max_drawdown_sol == Decimal("0.3"), "-0.3 first, then +0.2"
    assert leader.profit_factor == Decimal("1.6667"), "0.5 / 0.3"
    assert leader.exits == {"stop_loss": 1, "mirror_sell": 1}

    other = by_label(log, tight.wallets)["other"]
    assert (other.trades, other.copied, other.skips) == (0, 0, {"no_position_to_mirror": 1})
    assert tight.total.realized_pnl_sol == Decimal("0.2")
    assert (tight.total.max_drawdown_sol, tight.total.profit_factor) == (
        Decimal("0.3"),
        Decimal("1.6667"),
    )
    assert (tight.total.copied, tight.total.skipped) == (3, 2)
    assert baseline.breaker_trip is None and tight.breaker_trip is None


def test_a_stricter_token_filter_turns_copies_into_skips(db: Db, log: SignalsLog) -> None:
    strict = replay(db, log, Changes(config={"min_liquidity_usd": "1000000"}))
    leader = by_label(log, strict.wallets)["leader"]
    assert (leader.trades, leader.copied) == (0, 0)
    assert leader.skips == {"token_unsafe": 2, "no_position_to_mirror": 2}


def test_a_breaker_threshold_trips_and_refuses_the_next_buy(db: Db, log: SignalsLog) -> None:
    changes = Changes(config={"breaker_max_consecutive_losses": "1"}, exit_strategy="tight stop")
    tripped = replay(db, log, changes)
    assert tripped.breaker_trip == "consecutive_losses (threshold 1, observed 1)"
    leader = by_label(log, tripped.wallets)["leader"]
    assert (leader.trades, leader.realized_pnl_sol) == (1, Decimal("-0.3"))
    assert leader.skips == {"breaker_active": 1, "no_position_to_mirror": 2}


def test_a_wallet_switched_off_copies_nothing(db: Db, log: SignalsLog) -> None:
    off = replay(db, log, Changes(wallets_off=frozenset({"leader"})))
    leader = by_label(log, off.wallets)["leader"]
    assert leader.skips == {"wallet_not_active": 2, "no_position_to_mirror": 2}
    assert off.total.trades == 0


def test_the_database_is_left_as_it_was(db: Db, log: SignalsLog) -> None:
    counts = (
        "select (select count(*) from walltrack.signals), (select count(*) from walltrack.orders),"
        " (select count(*) from walltrack.wallets),"
        " (select count(*) from walltrack.exit_strategies)"
    )
    before = db.execute(counts).fetchone()
    db.rollback()
    first = replay(db, log, Changes())
    assert db.execute(counts).fetchone() == before
    db.rollback()
    assert replay(db, log, Changes()) == first, "the same log replays to the same figures"


def test_wallets_with_history_here_are_refused(db: Db) -> None:
    with db.transaction(force_rollback=True):
        addresses = record_swaps(db)
        recorded = only_wallets(export_log(db), addresses)
        with pytest.raises(ReplayError, match="already have signals in this database"):
            replay(db, recorded, Changes())


def test_a_value_the_database_refuses_names_the_option(db: Db, log: SignalsLog) -> None:
    with pytest.raises(ReplayError, match=r'--set max_open_positions=many: .*"many"'):
        replay(db, log, Changes(config={"max_open_positions": "many"}))
    with pytest.raises(ReplayError, match="--set sim_slippage_bps=20000: config slippage"):
        replay(db, log, Changes(config={"sim_slippage_bps": "20000"}))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (Changes(config={"min_liquidity": "1"}), "unknown config column min_liquidity; valid: "),
        (Changes(exit_strategy="yolo"), "no strategy 'yolo' in the catalog; valid: 'balanced'"),
        (Changes(wallets_off=frozenset({"nobody"})), "valid labels: leader, other"),
    ],
)
def test_unknown_names_are_refused_with_the_valid_ones(
    db: Db, log: SignalsLog, changes: Changes, message: str
) -> None:
    with pytest.raises(ReplayError, match=message):
        replay(db, log, changes)


def test_the_command_refuses_bad_options_before_starting_anything(
    log: SignalsLog,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def no_stack() -> str:
        raise AssertionError("the replay stack must not be started")

    monkeypatch.setattr(replay_cli, "ensure_replay_stack", no_stack)
    path = tmp_path / "log.json"
    write_log(log, path)
    assert replay_cli.main(["run", str(path), "--exit-strategy", "yolo"]) == 1
    assert "valid: 'balanced', 'scalper'" in capsys.readouterr().err
    assert replay_cli.main(["run", str(path), "--wallet", "leader=on"]) == 1
    assert "only LABEL=off" in capsys.readouterr().err
    assert replay_cli.main(["run", str(path), "--set", "sim_slippage_bps"]) == 1
    assert "expected KEY=VALUE" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(format="csv"), "not a signals log"),
        (lambda d: d.update(version=3), "version 3: expected 1 or 2"),
        (lambda d: d.pop("signals"), "'signals' must be a list"),
        (lambda d: d["signals"][1].pop("token_amount"), r"signals\[1\] lacks token_amount"),
        (lambda d: d["signals"][0].update(quote_amount=1.5), "quote_amount is a float"),
        (lambda d: d["wallets"].pop(), "which is not in wallets"),
        (lambda d: d["wallets"][0].update(exit_strategy="gone"), "'gone', which is not in"),
        (lambda d: d.pop("prices"), "'prices' must be a list"),
        (lambda d: d["closes"][0].pop("closed_at"), r"closes\[0\] lacks closed_at"),
    ],
)
def test_a_malformed_log_is_refused_clearly(log: SignalsLog, edit: Any, message: str) -> None:
    document = json.loads(json.dumps({"format": "walltrack-signals-log", "version": 2} | vars(log)))
    edit(document)
    with pytest.raises(ReplayError, match=message):
        parse_log(document)


def received_late(log: SignalsLog, seconds: int) -> SignalsLog:
    """The log as if its swaps had happened 90 s apart in the eight minutes before it was
    recorded (within the ten minutes token facts may lead the clock: the test database holds
    other tests' tokens), each received a second after its block, but the leader's buy of A
    received `seconds` after its block (still before the next swap)."""
    recorded = datetime.fromisoformat(log.signals[0]["received_at"])
    signals = []
    for n, signal in enumerate(log.signals):
        block_time = recorded - timedelta(minutes=8) + timedelta(seconds=90 * n)
        delay = seconds if n == 0 else 1
        signals.append(
            dict(signal)
            | {
                "block_time": block_time.isoformat(),
                "received_at": (block_time + timedelta(seconds=delay)).isoformat(),
            }
        )
    assert (signals[0]["side"], signals[0]["token_mint"]) == ("buy", MINTS["A"])
    return replace(log, signals=signals, config=log.config | {"max_copy_delay_seconds": 60})


def test_each_swap_is_replayed_at_the_time_it_was_received(db: Db, log: SignalsLog) -> None:
    """The replay moves the database's clock to each swap's recorded receipt: a buy received
    75 s after its block is stale (config.max_copy_delay_seconds 60), as it was when
    recorded; received within the minute, it is copied."""
    assert all(s["received_at"] for s in log.signals), "the log carries receipt times"
    late = by_label(log, replay(db, received_late(log, 75), Changes()).wallets)["leader"]
    assert late.skips.get("stale") == 1
    assert late.copied == 2  # B's buy and its mirrored sale: A's buy came too late
    in_time = by_label(log, replay(db, received_late(log, 30), Changes()).wallets)["leader"]
    assert "stale" not in in_time.skips and in_time.copied == 3


def test_a_log_recorded_with_live_trading_on_replays_in_simulation(db: Db, log: SignalsLog) -> None:
    """The recorded clock is set only where nothing trades for real: the replay turns live
    trading off (every wallet trades in simulation there) and replays as recorded."""
    live = replay(db, replace(log, config=log.config | {"live_trading_enabled": True}), Changes())
    assert live.total == replay(db, log, Changes()).total


def test_the_timeline_keeps_the_recorded_order_at_each_instant(log: SignalsLog) -> None:
    """Swaps when received, recorded ticks when applied, pg_cron's minute jobs at each whole
    minute, operators' resets when made; at one instant: swaps, ticks, jobs, resets. With a
    recorded price path, no swap is ticked at its leader's price."""
    first, second = log.signals[0], log.signals[2]
    timed = replace(
        log,
        signals=[first | {"received_at": "2026-01-01T00:00:59+00:00"}]
        + [second | {"received_at": "2026-01-01T00:01:00+00:00"}],
        prices=[
            {
                "mint": first["token_mint"],
                "price_sol": "0.0011",
                "observed_at": None,
                "applied_at": "2026-01-01T00:01:00+00:00",
            }
        ],
        restarts=[{"created_at": "2026-01-01T00:01:00+00:00", "actor": "op", "note": "why"}],
    )
    events = timeline(timed)
    assert [(e.at, e.what.split(" ")[0]) for e in events] == [
        ("2026-01-01T00:00:59+00:00", "replaying"),
        ("2026-01-01T00:01:00+00:00", "replaying"),
        ("2026-01-01T00:01:00+00:00", "the"),  # the ticks at ...
        ("2026-01-01T00:01:00+00:00", "the"),  # the jobs of ...
        ("2026-01-01T00:01:00+00:00", "op's"),
    ]
    assert [bool(e.transaction) for e in events] == [True, True, False, False, False]
    assert events[2].ticks == [{"mint": first["token_mint"], "price_sol": "0.0011"}]
    assert events[3].minute_jobs and events[4].restart is not None
    assert all(e.ticks == [] for e in events if e.transaction), "the recorded path only"


def test_the_replay_says_where_it_differs_from_the_recorded_outcome(
    db: Db, log: SignalsLog
) -> None:
    """The fixture was recorded without a price path: replayed at the leaders' prices, A's
    -40 % stop fires at the leader's 0.0005 sale, before it, so that sale finds nothing to
    mirror. The replay names that decision and the position it closed differently."""
    differences = replay(db, log, Changes()).differences
    assert differences is not None and differences
    sale = next(d for d in differences if d.startswith("decisions:"))
    assert "'mirror_sell'" in sale.split("replayed")[0] and "no_position_to_mirror" in sale
    assert any(d.startswith("closes:") and "'stop_loss'" in d for d in differences)
    # A log without a recorded outcome (version 1) is not checked.
    unrecorded = replace(log, decisions=[], closes=[], breaker_events=[])
    assert replay(db, unrecorded, Changes()).differences is None
