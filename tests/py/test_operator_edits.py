"""An invariant fuzzer for operator edits (issue 13): an operator in Studio is a direct
database connection that may UPDATE any column of any row, INSERT and DELETE rows, and
TRUNCATE tables. Every column of every walltrack table (from the catalog) gets hostile
values valid for its type, one edit at a time, against a small world built once.

After an edit WallTrack refuses, the error must be WallTrack's own message (the rule is in
tests/support/operator_edits.py). After an edit it accepts, the product runs as it would
next, through the api entry points as service_role (a leader buy, a price tick that crashes
every token 90% below its entry, a breaker check, another leader buy), none of it may
raise, and:
- every open position's stop loss fires (the edited position's too, unless the edit was to
  its own exit override and took the stop away, or a live exit was already in flight);
- a buy is copied only below the open-position and exposure caps, with the breaker off,
  trading on, the wallet active and the token not blacklisted; the caps hold;
- the breaker is active once its thresholds are crossed (measured here, from the fills);
- each position's quantities, cost, proceeds and realized plus unrealized PnL are what its
  confirmed fills say (Decimal, replayed here), its orders trade its own token in the
  direction of their side, and each fired take-profit level is remembered;
- every close is counted in the scoreboard (its definition, evaluated after the steps:
  what walltrack.refresh_performance() would store; the baseline test proves the two
  agree); no breaker event is dated in the future; no batch had to skip a row (faults).

The world is built in one transaction and each edit runs in a savepoint rolled back after
its checks, so nothing is left in the database."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from scripts.stack_env import StackEnv
from simulator.helius_tx import SOL_MINT, new_mint, new_signature, normalised_swap
from tests.support.operator_edits import (
    Column,
    Edit,
    Findings,
    Value,
    describe_error,
    hostile_values,
    is_walltrack_message,
    walltrack_columns,
    walltrack_tables,
)

Db = psycopg.Connection[dict[str, Any]]
Row = dict[str, object]

TOKENS = 100_000_000  # a leader swap: 100 tokens (6 decimals)...
LAMPORTS = 100_000_000  # ...for 0.1 SOL, 0.001 SOL per token
CRASH_PRICE = Decimal("0.0001")  # 90% below the leader's price, the entries' reference
NANO = Decimal("1e-9")
WORLD_CAPITAL = Decimal(10)
MIN_EDITS = 2_000
NO_EDIT = Edit("update", "config", "nothing", "the config row", "-", "select 1")
# Why an accepted edit is a failure by itself (its harm shows nowhere else).
FORGED_FILL = "a fill was forged: fills come from the product (place_order, record_fill)"
FORGED_RESET = "the breaker was reset without an operator and a note"
NOT_FINITE = "a number that is not finite was stored"
BAD_OVERRIDE = "an override the exit engine cannot evaluate was stored"
NOW = "2026-01-01T00:00:00Z"
# Cap columns an edit may lower below the book: the book is then judged by the next buy only.
CAP_COLUMNS = {"max_open_positions", "max_total_exposure_sol"}


class Broken(Exception):
    """A step of the product raised after an accepted edit."""


@dataclass
class World:
    wallets: dict[str, int] = field(default_factory=dict)
    addresses: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    positions: dict[str, int] = field(default_factory=dict)
    orders: dict[str, int] = field(default_factory=dict)
    signals: dict[str, int] = field(default_factory=dict)
    strategies: dict[str, int] = field(default_factory=dict)
    reset_event: int = 0
    fault: int = 0
    finding: int = 0
    failed_fee: int = 0
    winner: int = 0
    winner_buy: int = 0
    candidate: int = 0
    candidate_swap: int = 0
    alert: int = 0
    alert_delivery: int = 0
    price_tick: int = 0
    leader_event: int = 0
    first_position: int = 0
    # The scoreboard's definition: what walltrack.refresh_performance() stores.
    scoreboard: sql.Composable = field(default_factory=lambda: sql.SQL(""), repr=False)

    def position_name(self, position_id: int, mint: str) -> str:
        """A world position by its token, or what opened it."""
        names = {v: k for k, v in self.positions.items()}
        token = next((k for k, v in self.tokens.items() if v == mint), "another token")
        return names.get(position_id, f"in {token} opened after the edit")

    @property
    def open_positions(self) -> list[int]:
        """The positions open before any edit: each must be stopped by the crash."""
        return [self.positions[name] for name in ("A", "B", "C", "M")]


def one(db: Db, query: str, params: Any = ()) -> dict[str, Any]:
    row = db.execute(query, params).fetchone()
    assert row is not None, query
    return row


def product(db: Db, query: str, params: Any = ()) -> Any:
    """A call the functions make, as PostgREST makes it: an api entry point, as service_role
    (which reads every walltrack table too, so the checks that follow run as it as well)."""
    db.execute("set local role service_role")
    return db.execute(query, params).fetchone()


def ingest(db: Db, wallet: str, token: str, side: str, lamports: int, n: int = 0) -> Any:
    swap = normalised_swap(wallet, token, side, TOKENS, lamports, n)
    return product(db, "select api.ingest_swaps(%s::jsonb)", (json.dumps([swap]),))


def tick(db: Db, mints: list[str], price: Decimal) -> Any:
    """Prices observed now (the wall clock: fills of this transaction came after its start)."""
    return product(
        db,
        """
        select api.apply_prices((
          select jsonb_agg(jsonb_build_object(
            'mint', m, 'price_sol', %s::numeric, 'observed_at', clock_timestamp()))
          from unnest(%s::text[]) as m
        ))
        """,
        (price, mints),
    )


def build_world(db: Db) -> World:
    """Three watched wallets (two simulated, one live) on a template with a -30% stop loss
    and a +50% take-profit; open positions in A, B, C (a take-profit sold), M (live, filled
    through the live path), L opening (a live entry pending), D closed by a mirror sell;
    E and F are safe tokens for the buys after each edit. Caps leave room for one copy."""
    world = World()
    definition = one(db, "select pg_get_viewdef('walltrack.performance'::regclass) as d")["d"]
    world.scoreboard = sql.SQL(definition.strip().rstrip(";"))
    db.execute(
        """
        update walltrack.config set
          trading_enabled = true, live_trading_enabled = true, sizing_mode = 'fixed',
          fixed_amount_sol = 0.1, min_position_sol = 0.01, max_position_sol = 1,
          max_open_positions = 1000000, max_total_exposure_sol = 1000000,
          max_positions_per_token = 1, sim_slippage_bps = 50, sim_fee_lamports = 15000,
          default_slippage_bps = 100, max_slippage_bps = 500, order_max_attempts = 3,
          position_dust_sol = 0.00001, unknown_token_policy = 'fail_closed',
          min_liquidity_usd = 10000, min_market_cap_usd = 50000, max_market_cap_usd = null,
          min_pool_age_minutes = 10, max_rugcheck_score = 50, max_top10_holders_pct = 50,
          require_mint_authority_revoked = true, require_freeze_authority_revoked = true,
          token_cache_ttl_minutes = 60, token_market_ttl_minutes = 5,
          breaker_capital_sol = %s, breaker_max_daily_loss_sol = 0.25,
          breaker_max_drawdown_pct = 50, breaker_max_consecutive_losses = 3,
          breaker_min_win_rate_pct = 0, breaker_win_rate_window = 20,
          breaker_cooldown_minutes = null
        """,
        (WORLD_CAPITAL,),
    )
    product(db, "select api.restart_equity_curve('operator-edits fuzzer', 'a curve of its own')")
    world.reset_event = one(db, "select max(id) as id from walltrack.circuit_breaker_events")["id"]
    db.execute("reset role")  # the operator again
    for name, archived in (("fuzzer", False), ("fuzzer archived", True)):
        world.strategies[name] = one(
            db,
            """
            insert into walltrack.exit_strategies (name, take_profit_levels, stop_loss_pct,
              mirror_leader_sells, archived)
            values (%s, '[{"at_pct": 50, "sell_pct": 30}]', -30, true, %s) returning id
            """,
            (f"operator edits {name} {new_mint()[:8]}", archived),
        )["id"]
    world.strategies["balanced"] = one(
        db, "select id from walltrack.exit_strategies where is_default"
    )["id"]
    for name, mode in (("W1", "simulation"), ("W2", "simulation"), ("W3", "live")):
        world.addresses[name] = new_mint()
        world.wallets[name] = one(
            db,
            """
            insert into walltrack.wallets (address, label, mode, exit_strategy_id)
            values (%s, %s, %s, %s) returning id
            """,
            (world.addresses[name], f"fuzz {name}", mode, world.strategies["fuzzer"]),
        )["id"]
    world.tokens = {name: new_mint() for name in "ABCDEFLM"}
    facts = [
        {
            "mint": mint,
            "rugcheck": {"score_normalised": 10, "top10_holders_pct": 20, "rugged": False},
            "dexscreener": {
                "liquidity_usd": 250000,
                "market_cap_usd": 2000000,
                "price_sol": 0.001,
                "pair_created_at": "2025-01-01T00:00:00Z",
            },
            "das": {"decimals": 6, "mint_authority": None, "freeze_authority": None},
        }
        for mint in world.tokens.values()
    ]
    product(db, "select api.store_token_facts(%s::jsonb)", (json.dumps(facts),))
    world.first_position = one(
        db, "select coalesce(max(id), 0) + 1 as id from walltrack.positions"
    )["id"]
    for name, wallet in (("A", "W1"), ("B", "W2"), ("C", "W1"), ("D", "W2"), ("L", "W3")):
        ingest(db, world.addresses[wallet], world.tokens[name], "buy", LAMPORTS)
    ingest(db, world.addresses["W3"], world.tokens["M"], "buy", LAMPORTS)
    for name in "ABCDLM":
        row = one(
            db,
            """
            select p.id, o.id as order_id, s.id as signal_id from walltrack.positions as p
            join walltrack.orders as o on o.position_id = p.id
            join walltrack.signals as s on s.id = p.opened_from_signal_id
            where p.token_mint = %s
            """,
            (world.tokens[name],),
        )
        world.positions[name], world.orders[f"entry {name}"] = row["id"], row["order_id"]
        world.signals[f"buy {name}"] = row["signal_id"]
    # M's entry through the live path: a first attempt that lands and fails (its fee paid),
    # then claimed again, signed, filled by the chain.
    entry_m = world.orders["entry M"]
    failed = new_signature()
    product(db, "select api.claim_orders('operator-edits', array[%s]::bigint[])", (entry_m,))
    product(
        db,
        "select api.record_signed(%s, 'operator-edits', %s, 1000, 100000000, 99000000, 5000, null)",
        (entry_m, failed),
    )
    failure = {
        "order_id": entry_m,
        "tx_signature": failed,
        "error_class": "slippage_exceeded",
        "detail": "failed on chain",
        "fee_lamports": 10000,
    }
    product(
        db,
        "select api.record_confirmations('[]', %s::jsonb, '[]', '[]', 1000)",
        (json.dumps([failure]),),
    )
    db.execute("update walltrack.orders set next_attempt_at = now() where id = %s", (entry_m,))
    world.failed_fee = one(
        db, "select id from walltrack.failed_attempt_fees where tx_signature = %s", (failed,)
    )["id"]
    signature = new_signature()
    product(db, "select api.claim_orders('operator-edits', array[%s]::bigint[])", (entry_m,))
    product(
        db,
        "select api.record_signed(%s, 'operator-edits', %s, 1000, 100000000, 99000000, 5000, null)",
        (entry_m, signature),
    )
    product(db, "select api.record_fill(%s, %s, 100000000, 99500000, 10000)", (entry_m, signature))
    # C: +60% fires the first take-profit level; D: the leader sells all at twice the price.
    tick(db, [world.tokens["C"]], Decimal("0.0016"))
    world.price_tick = one(db, "select max(id) as id from walltrack.price_history")["id"]
    ingest(db, world.addresses["W2"], world.tokens["D"], "sell", 2 * LAMPORTS, n=10)
    for name, reason in (("C", "take_profit"), ("D", "mirror_sell")):
        world.orders[f"{reason} {name}"] = one(
            db,
            "select id from walltrack.orders where position_id = %s and reason = %s",
            (world.positions[name], reason),
        )["id"]
    world.signals["sell D"] = one(
        db,
        "select id from walltrack.signals where token_mint = %s and side = 'sell'",
        (world.tokens["D"],),
    )["id"]
    db.execute(
        "select walltrack.record_fault('operator-edits fuzzer', %s, null, 'a fault to edit')",
        (new_mint(),),
    )
    world.fault = one(db, "select max(id) as id from walltrack.faults")["id"]
    # A reconciliation that finds the trading key holding none of M: a phantom finding.
    product(
        db,
        "select api.reconcile_wallet(%s, '[]', 1000000000, now() + interval '1 second')",
        (new_mint(),),
    )
    world.finding = one(
        db,
        "select id from walltrack.chain_findings where token_mint = %s and resolved_at is null",
        (world.tokens["M"],),
    )["id"]
    # Discovery: a winner, its size buyer a candidate, the candidate's history read (measured).
    winner_mint, buyer = new_mint(), new_mint()
    product(
        db,
        "select api.record_winners(%s::jsonb)",
        (
            json.dumps(
                [
                    {
                        "mint": winner_mint,
                        "source": "boost",
                        "ref": "token-boosts/top",
                        "price_change_h24_pct": 300,
                        "liquidity_usd": 90000,
                        "volume_h24_usd": 900000,
                    }
                ]
            ),
        ),
    )
    now_s = int(one(db, "select extract(epoch from now())::bigint as s")["s"])
    buy = normalised_swap(buyer, winner_mint, "buy", TOKENS, 50 * LAMPORTS)
    product(
        db,
        "select api.record_winner_page(%s, %s::jsonb, null, true)",
        (winner_mint, json.dumps([buy | {"timestamp": now_s - 7200}])),
    )
    history = [
        normalised_swap(buyer, winner_mint, "buy", TOKENS, 50 * LAMPORTS) | {"timestamp": t}
        for t in (now_s - 40 * 86400, now_s - 7200)
    ] + [
        normalised_swap(buyer, winner_mint, "sell", TOKENS, 80 * LAMPORTS)
        | {"timestamp": now_s - 3600}
    ]
    product(
        db,
        "select api.record_candidate_page(%s, %s::jsonb, null, false)",
        (buyer, json.dumps(history)),
    )
    world.winner = one(
        db, "select id from walltrack.discovery_winners where mint = %s", (winner_mint,)
    )["id"]
    world.winner_buy = one(db, "select max(id) as id from walltrack.discovery_winner_buys")["id"]
    world.candidate = one(
        db, "select id from walltrack.discovery_candidates where address = %s", (buyer,)
    )["id"]
    world.candidate_swap = one(db, "select max(id) as id from walltrack.candidate_swaps")["id"]
    # The breaker events and the finding above raised alerts; notify claims one for Telegram.
    world.alert = one(db, "select min(id) as id from walltrack.alerts")["id"]
    world.alert_delivery = product(
        db, "select (api.claim_alerts('{telegram}', 1) -> 0 ->> 'delivery_id')::bigint as id"
    )["id"]
    # The live leader paused by its operator, then resumed: its protections' audit log.
    db.execute(
        "insert into walltrack.leader_pause_events (wallet_id, event_type, trigger, actor, note)"
        " values (%s, 'paused', 'manual', 'operator-edits', 'a drill')",
        (world.wallets["W3"],),
    )
    product(
        db, "select api.resume_leader(%s, 'operator-edits', 'drill over')", (world.addresses["W3"],)
    )
    world.leader_event = one(db, "select max(id) as id from walltrack.leader_pause_events")["id"]
    # Room for exactly one more copy, by count and by exposure.
    db.execute("reset role")
    db.execute(
        """
        update walltrack.config set
          max_open_positions = (select count(*) + 1 from walltrack.positions
                                where status in ('opening', 'open', 'closing')),
          max_total_exposure_sol = walltrack.open_exposure_sol() + 0.15
        """
    )
    return world


# ----------------------------------------------------------------------------------------
# The edits


def targets(world: World) -> dict[str, list[tuple[str, object]]]:
    """The rows each table's edits aim at, named for the report."""
    p, o, s, t = world.positions, world.orders, world.signals, world.tokens
    return {
        "config": [("the config row", True)],
        "exit_strategies": [
            ("the wallets' template", world.strategies["fuzzer"]),
            ("the default template", world.strategies["balanced"]),
        ],
        "wallets": [("W1 simulation", world.wallets["W1"]), ("W3 live", world.wallets["W3"])],
        "tokens": [("A, held", t["A"]), ("E, bought next", t["E"])],
        "signals": [("leader buy of A", s["buy A"]), ("leader sell of D", s["sell D"])],
        "positions": [
            ("A open", p["A"]),
            ("C open after a take-profit", p["C"]),
            ("D closed", p["D"]),
            ("L opening, live entry pending", p["L"]),
            ("M open live", p["M"]),
        ],
        "orders": [
            ("entry of A, confirmed", o["entry A"]),
            ("take-profit of C, confirmed", o["take_profit C"]),
            ("entry of L, pending live", o["entry L"]),
            ("entry of M, confirmed live", o["entry M"]),
        ],
        "circuit_breaker_events": [("the world's reset", world.reset_event)],
        "faults": [("a recorded fault", world.fault)],
        "chain_findings": [("M's phantom, open", world.finding)],
        "failed_attempt_fees": [("M's failed first attempt", world.failed_fee)],
        "discovery_winners": [("a winner, walked", world.winner)],
        "discovery_winner_buys": [("its size buyer's buy", world.winner_buy)],
        "discovery_candidates": [("its size buyer, measured", world.candidate)],
        "candidate_swaps": [("the candidate's sell", world.candidate_swap)],
        "alerts": [("an alert raised", world.alert)],
        "alert_deliveries": [("its delivery, being sent", world.alert_delivery)],
        "price_history": [("C's +60 % tick", world.price_tick)],
        "leader_pause_events": [("W3's resume", world.leader_event)],
    }


def other_keys(world: World, table: str, own: object) -> list[str]:
    """Other rows a foreign key may be pointed at."""
    keys: dict[str, list[object]] = {
        "wallets": [world.wallets["W2"], world.wallets["W1"]],
        "exit_strategies": [world.strategies["fuzzer archived"], world.strategies["balanced"]],
        "tokens": [world.tokens["B"], world.tokens["A"]],
        "positions": [world.positions["B"], world.positions["A"]],
        "signals": [world.signals["sell D"], world.signals["buy A"]],
        "orders": [world.orders["entry B"], world.orders["entry A"]],
    }
    return [str(k) for k in keys.get(table, []) if k != own][:1]


def update_edits(world: World, columns: list[Column], keys: dict[str, str]) -> Iterator[Edit]:
    aims = targets(world)
    for column in columns:
        assert column.table in aims, (
            f"walltrack.{column.table} has no row in the fuzzer's world: add one to targets()"
        )
        for target, key in aims[column.table]:
            others = other_keys(world, column.references[0], key) if column.references else []
            for value in hostile_values(column, others):
                yield Edit(
                    kind="update",
                    table=column.table,
                    what=column.name,
                    target=target,
                    value=value.label,
                    sql=sql.SQL("update walltrack.{} set {} = %s::{} where {} = %s").format(
                        sql.Identifier(column.table),
                        sql.Identifier(column.name),
                        sql.SQL(column.type_name),
                        sql.Identifier(keys[column.table]),
                    ),
                    params=(value.text, key),
                    column=column.name,
                    row_key=key,
                    must_refuse=non_finite(column, value),
                )


def unchanged_saves(world: World, columns: list[Column], keys: dict[str, str]) -> Iterator[Edit]:
    """A row saved as it is, every writable column written with its own value (what a tool
    that writes whole rows sends): nothing may change."""
    for table, aims in targets(world).items():
        names = [sql.Identifier(c.name) for c in columns if c.table == table]
        assignments = sql.SQL(", ").join(sql.SQL("{0} = {0}").format(name) for name in names)
        for target, key in aims:
            yield Edit(
                "update",
                table,
                "every column, unchanged",
                target,
                "its own values",
                sql.SQL("update walltrack.{} set {} where {} = %s").format(
                    sql.Identifier(table), assignments, sql.Identifier(keys[table])
                ),
                (key,),
                row_key=key,
            )


def non_finite(column: Column, value: Value) -> str | None:
    if column.kind == "numeric" and value.text in ("NaN", "Infinity", "-Infinity"):
        return NOT_FINITE
    return None


def delete_edits(world: World, keys: dict[str, str]) -> Iterator[Edit]:
    for table, aims in targets(world).items():
        for target, key in aims:
            yield Edit(
                "delete",
                table,
                "row",
                target,
                "-",
                sql.SQL("delete from walltrack.{} where {} = %s").format(
                    sql.Identifier(table), sql.Identifier(keys[table])
                ),
                (key,),
                row_key=key,
            )
        # Postgres checks the foreign keys that reference a table before any BEFORE TRUNCATE
        # trigger fires, so no WallTrack rule can speak first: a plain TRUNCATE of such a
        # table may be refused in Postgres's words (0A000, "cannot truncate a table referenced
        # in a foreign key constraint"). With CASCADE the rules do speak.
        query = sql.SQL("truncate walltrack.{}").format(sql.Identifier(table))
        yield Edit("truncate", table, "table", "all rows", "-", query, raw_refusal="0A000")
        yield Edit("truncate", table, "table cascade", "all rows", "-", query + sql.SQL(" cascade"))


def insert_edits(world: World) -> Iterator[Edit]:
    """Rows an operator could add by hand: (table, what it tries, the row, and why it must be
    refused when only acceptance itself would show the harm)."""
    a, b, m = world.tokens["A"], world.tokens["B"], world.tokens["M"]
    pa, pm, w1 = world.positions["A"], world.positions["M"], world.wallets["W1"]
    fuzz, archived = world.strategies["fuzzer"], world.strategies["fuzzer archived"]

    def order(position: int, side: str, mints: tuple[str, str], amount: int, **more: object) -> Row:
        return {
            "position_id": position, "side": side, "mode": "live", "input_mint": mints[0],
            "output_mint": mints[1], "amount_in": amount, "slippage_bps": 100,
            "reason": "copy_entry" if side == "buy" else "manual",
            "idempotency_key": new_signature(), "max_attempts": 3, **more,
        }  # fmt: skip

    def filled(filled_in: int, filled_out: int, price: str) -> dict[str, object]:
        return {
            "mode": "simulation", "status": "confirmed", "attempts": 1, "filled_in": filled_in,
            "filled_out": filled_out, "fill_price_sol": price, "network_fee_lamports": 0,
            "submitted_at": NOW, "confirmed_at": NOW,
        }  # fmt: skip

    def event(kind: str, trigger: str, actor: str, note: str, **more: object) -> Row:
        return {"event_type": kind, "trigger": trigger, "actor": actor, "note": note, **more}

    def position(status: str, override: str = "{}", **more: object) -> Row:
        return {
            "wallet_id": w1, "token_mint": a, "token_decimals": 6, "mode": "simulation",
            "status": status, "exit_strategy_id": fuzz, "exit_strategy_override": override,
            **more,
        }  # fmt: skip

    def signal(wallet: int, amount: int, **decision: object) -> Row:
        return {
            "signature": new_signature(), "block_time": NOW, "wallet_id": wallet, "side": "buy",
            "token_mint": b, "token_amount": amount, "token_decimals": 6, "quote_mint": SOL_MINT,
            "quote_amount": LAMPORTS, "quote_decimals": 9, "price_sol": "0.001", "raw": "{}",
            **decision,
        }  # fmt: skip

    rows: list[tuple[str, str, Row, str | None]] = [
        ("orders", "a confirmed buy of 1,000,000 tokens for 1 lamport",
         order(pa, "buy", (SOL_MINT, a), 1, **filled(1, 10**12, "0.000000001")), FORGED_FILL),
        ("orders", "a confirmed sell of 1 token for 1,000,000 SOL",
         order(pa, "sell", (a, SOL_MINT), 10**6, **filled(10**6, 10**15, "1000000")), FORGED_FILL),
        ("orders", "a sell that spends SOL for the token",
         order(pa, "sell", (SOL_MINT, a), LAMPORTS),
         "a buy labelled a sell would pass an active breaker"),
        ("orders", "a sell of another position's token", order(pa, "sell", (b, SOL_MINT), 10**6),
         "an order trades a mint other than its position's token"),
        ("orders", "a pending simulation sell of 1 atomic unit",
         order(pa, "sell", (a, SOL_MINT), 1, mode="simulation"), None),
        ("orders", "a pending live sell of 1 atomic unit",
         order(pm, "sell", (m, SOL_MINT), 1), None),
        ("orders", "a pending live buy of 1,000 SOL",
         order(pm, "buy", (SOL_MINT, m), 10**12), None),
        ("orders", "an order for a position that does not exist",
         order(987654321, "sell", (a, SOL_MINT), 1), None),
        ("circuit_breaker_events", "a manual reset dated 2200",
         event("deactivated", "manual", "mallory", "testing", created_at="2200-01-01"), None),
        ("circuit_breaker_events", "a manual reset naming no operator",
         event("deactivated", "manual", "system", ""), None),
        ("circuit_breaker_events", "a cooldown reset by hand (no cooldown configured)",
         event("deactivated", "cooldown", "system", ""), FORGED_RESET),
        ("circuit_breaker_events", "a daily-loss deactivation by hand",
         event("deactivated", "daily_loss", "system", ""), FORGED_RESET),
        ("circuit_breaker_events", "a manual activation",
         event("activated", "manual", "alice", "stop buying"), None),
        ("circuit_breaker_events", "an activation dated 1970",
         event("activated", "manual", "alice", "x", created_at="1970-01-01"), None),
        ("circuit_breaker_events", "an event with metrics []",
         event("activated", "manual", "alice", "x", metrics="[]"), None),
        ("circuit_breaker_events", "an event with threshold NaN",
         event("activated", "daily_loss", "system", "", threshold="NaN"), NOT_FINITE),
        ("positions", "an opening position in A", position("opening"), None),
        ("positions", "an open position that bought nothing", position("open"),
         "a position is open only once its entry filled"),
        ("positions", "a closed position that bought nothing", position("closed"),
         "a position is closed only by its fills"),
        ("positions", 'an opening position with override {"time_exit_minutes": 0.5}',
         position("opening", '{"time_exit_minutes": 0.5}'), BAD_OVERRIDE),
        ("positions", 'an open position with override {"time_exit_minutes": 0.5}',
         position("open", '{"time_exit_minutes": 0.5}'), BAD_OVERRIDE),
        ("positions", "a live position on the archived template",
         position("opening", mode="live", exit_strategy_id=archived), None),
        ("positions", "a position of a wallet that does not exist",
         position("opening", wallet_id=987654321), None),
        ("signals", "a leader buy of 1,000,000 B by W2, undecided",
         signal(world.wallets["W2"], 10**12),
         "a swap recorded by hand: the leader's holding grows, so its next sell of B is"
         " mirrored as a smaller fraction"),
        ("signals", "a leader buy decided copied into B's position",
         signal(w1, TOKENS, decision="copied", decision_reason="copied", decided_at=NOW,
                position_id=world.positions["B"]),
         "a decision recorded by hand: a copy that never happened counts in the scoreboard"),
        ("tokens", "a token priced NaN", {"mint": new_mint(), "price_sol": "NaN"}, NOT_FINITE),
        ("tokens", "a token with supply Infinity", {"mint": new_mint(), "supply": "Infinity"},
         NOT_FINITE),
        ("tokens", "a token with 19 decimals", {"mint": new_mint(), "decimals": 19}, None),
        ("tokens", "a token already cached", {"mint": a}, None),
        ("wallets", "a wallet already watched", {"address": world.addresses["W1"]}, None),
        ("wallets", "a live wallet on the archived template",
         {"address": new_mint(), "mode": "live", "exit_strategy_id": archived}, None),
        ("wallets", "a wallet sized NaN SOL", {"address": new_mint(), "position_size_sol": "NaN"},
         NOT_FINITE),
        ("wallets", "a wallet sized 1e30 SOL", {"address": new_mint(), "position_size_sol": "1e30"},
         None),
        ("exit_strategies", "a second default template",
         {"name": "second default", "is_default": True, "stop_loss_pct": -30}, None),
        ("exit_strategies", "a template with stop loss NaN",
         {"name": "nan stop", "stop_loss_pct": "NaN"}, NOT_FINITE),
        ("exit_strategies", "a template with a ladder of junk",
         {"name": "junk ladder", "take_profit_levels": '[{"at_pct": "x"}]'}, None),
        ("exit_strategies", "a template named like another", {"name": "balanced"}, None),
        ("config", "a second config row", {"id": True}, None),
    ]  # fmt: skip
    for table, name, row, must_refuse in rows:
        query = sql.SQL("insert into walltrack.{} ({}) values ({})").format(
            sql.Identifier(table),
            sql.SQL(", ").join(map(sql.Identifier, row)),
            sql.SQL(", ").join(sql.Placeholder() * len(row)),
        )
        yield Edit(
            "insert",
            table,
            name,
            "new row",
            "-",
            query,
            tuple(row.values()),
            must_refuse=must_refuse,
        )


def all_edits(db: Db, world: World) -> list[Edit]:
    keys = walltrack_tables(db)
    columns = walltrack_columns(db)
    return [
        *update_edits(world, columns, keys),
        *unchanged_saves(world, columns, keys),
        *insert_edits(world),
        *delete_edits(world, keys),
    ]


# ----------------------------------------------------------------------------------------
# After an accepted edit: the product runs, then the invariants


BOOK = """
select
  c.max_open_positions as max_open, c.max_total_exposure_sol as max_exposure,
  c.trading_enabled as trading,
  (select count(*) from walltrack.positions as p
   where p.status in ('opening', 'open', 'closing')) as open_count,
  (select coalesce(sum(p.cost_basis_sol - p.proceeds_sol + p.realized_pnl_sol), 0)
   from walltrack.positions as p where p.status in ('open', 'closing'))
  + (select coalesce(sum(o.amount_in), 0) / 1e9 from walltrack.orders as o
     where o.side = 'buy' and o.status in ('pending', 'submitted')) as exposure,
  coalesce((select e.event_type = 'activated' from walltrack.circuit_breaker_events as e
            order by e.created_at desc, e.id desc limit 1), false) as breaker,
  (select coalesce(max(id), 0) from walltrack.orders) as last_order,
  (select coalesce(max(id), 0) from walltrack.positions) as last_position,
  (select jsonb_object_agg(w.id, w.status) from walltrack.wallets as w
   where w.id = any(%(wallets)s)) as wallet_status,
  (select coalesce(jsonb_agg(t.mint), '[]') from walltrack.tokens as t
   where t.mint = any(%(tokens)s) and (t.manual_list = 'blacklist' or t.rugged))
    as barred_tokens,
  (select coalesce(jsonb_agg(distinct o.position_id), '[]') from walltrack.orders as o
   where o.side = 'sell' and o.mode = 'live' and o.status in ('pending', 'submitted'))
    as live_exits_in_flight,
  (select coalesce(sum(f.occurrences), 0) from walltrack.faults as f) as faults
from walltrack.config as c
"""


def book(db: Db, world: World) -> dict[str, Any]:
    return one(
        db, BOOK, {"wallets": list(world.wallets.values()), "tokens": list(world.tokens.values())}
    )


def step(name: str, action: Callable[[], object]) -> None:
    """One of the product's next steps: it must not raise."""
    try:
        action()
    except psycopg.Error as error:
        raise Broken(f"{name} raised: {describe_error(error)}") from error


def copy_failures(
    db: Db, world: World, what: str, before: dict[str, Any], wallet: str, token: str
) -> list[str]:
    """A copy opened by the buy must have been allowed by every limit as it stood before."""
    copied = db.execute(
        """
        select p.id, o.amount_in / 1e9 as size from walltrack.positions as p
        join walltrack.orders as o on o.position_id = p.id and o.side = 'buy'
        where p.token_mint = %s and p.id > %s
        """,
        (world.tokens[token], before["last_position"]),
    ).fetchone()
    if copied is None:
        return []
    broken = {
        "the breaker was active": before["breaker"],
        "trading was disabled": not before["trading"],
        "the wallet was not active": before["wallet_status"].get(str(world.wallets[wallet]))
        != "active",
        "the token was blacklisted or rugged": world.tokens[token] in before["barred_tokens"],
        "the open-position cap was reached": before["open_count"] >= before["max_open"],
        "it went past the exposure cap": before["exposure"] + copied["size"]
        > before["max_exposure"],
    }
    return [f"{what} was copied although {why}" for why, yes in broken.items() if yes]


def stop_loss_failures(
    db: Db, world: World, edit: Edit, before: dict[str, Any], new_position: int | None
) -> list[str]:
    rows = db.execute(
        """
        select p.id, p.mode::text as mode, p.token_mint,
          (p.exit_strategy_snapshot || p.exit_strategy_override) ->> 'stop_loss_pct' as stop,
          exists (select from walltrack.orders as o where o.position_id = p.id
                  and o.side = 'sell' and o.reason in ('stop_loss', 'trailing_stop')
                  and o.id > %s) as stopped
        from walltrack.positions as p where p.id = any(%s)
        """,
        (before["last_order"], [*world.open_positions, *([new_position] if new_position else [])]),
    ).fetchall()
    failures = []
    for row in rows:
        edited = edit.table == "positions" and edit.row_key == row["id"]
        if row["stopped"] or row["id"] in before["live_exits_in_flight"]:
            continue
        may_drop_stop = row["id"] == new_position or (
            edited and edit.column == "exit_strategy_override"
        )
        if may_drop_stop and not stops_at_crash(row["stop"]):
            continue
        whose = (
            "the edited position"
            if edited
            else f"position {world.position_name(row['id'], row['token_mint'])}"
        )
        failures.append(f"the stop loss of {whose} ({row['mode']}) did not fire on a 90% crash")
    return failures


def stops_at_crash(stop: str | None) -> bool:
    """Whether a stop_loss_pct fires on a 90% fall (an entry pays fees and slippage)."""
    try:
        return stop is not None and Decimal(stop) >= -89
    except ArithmeticError:
        return True


def replay(fills: list[dict[str, Any]]) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
    """Average-cost replay of a position's confirmed fills, in the order they were recorded:
    (bought, sold, cost, proceeds, realized before any dust write-off), SOL and atomic."""
    bought = sold = cost = proceeds = realized = Decimal(0)
    for fill in fills:
        fees = fill["fees"] * NANO
        if fill["side"] == "buy":
            bought += fill["filled_out"]
            cost += fill["filled_in"] * NANO + fees
            continue
        held = bought - sold
        open_cost = cost - proceeds + realized
        cost_sold = (
            open_cost
            if fill["filled_in"] == held
            else (open_cost * fill["filled_in"] / held).quantize(NANO, ROUND_HALF_UP)
        )
        got = (fill["filled_out"] * NANO - fees).quantize(NANO, ROUND_HALF_UP)
        sold += fill["filled_in"]
        proceeds += got
        realized += got - cost_sold
    return bought, sold, cost, proceeds, realized


def money_failures(db: Db, world: World) -> tuple[list[str], dict[int, Decimal]]:
    """Each position of the world against its own fills; returns the realized PnL the fills
    say for each closed one (what the breaker must have measured)."""
    positions = db.execute(
        """
        select p.id, p.status::text as status, p.token_mint, p.token_decimals, p.qty_bought,
          p.qty_sold, p.cost_basis_sol, p.proceeds_sol, p.realized_pnl_sol,
          p.unrealized_pnl_sol, p.last_price_sol, p.take_profits_fired
        from walltrack.positions as p where p.id >= %s
        """,
        (world.first_position,),
    ).fetchall()
    orders = db.execute(
        """
        select o.position_id, o.side::text as side, o.status::text as status, o.input_mint,
          o.output_mint, o.reason::text as reason, o.take_profit_level, o.filled_in,
          o.filled_out, coalesce(o.network_fee_lamports, 0) + coalesce(o.priority_fee_lamports, 0)
            + coalesce(o.tip_lamports, 0) as fees
        from walltrack.orders as o where o.position_id >= %s order by o.id
        """,
        (world.first_position,),
    ).fetchall()
    failed_fees = {
        row["position_id"]: row["fees"]
        for row in db.execute(
            """
            select f.position_id,
              sum(f.network_fee_lamports + f.priority_fee_lamports) / 1e9 as fees
            from walltrack.failed_attempt_fees as f where f.position_id >= %s
            group by f.position_id
            """,
            (world.first_position,),
        ).fetchall()
    }
    # F is bought only after the tick.
    ticked = {mint for name, mint in world.tokens.items() if name != "F"}
    failures: list[str] = []
    closed_pnl: dict[int, Decimal] = {}
    for pos in positions:
        name = f"position {world.position_name(pos['id'], pos['token_mint'])}"
        mine = [o for o in orders if o["position_id"] == pos["id"]]
        for o in mine:
            token_side = o["output_mint"] if o["side"] == "buy" else o["input_mint"]
            sol_side = o["input_mint"] if o["side"] == "buy" else o["output_mint"]
            if (token_side, sol_side) != (pos["token_mint"], SOL_MINT):
                failures.append(f"{name} has a {o['side']} order that does not trade its token")
        fired = {o["take_profit_level"] for o in mine if o["reason"] == "take_profit"}
        if not fired <= set(pos["take_profits_fired"]):
            failures.append(f"{name} forgot a take-profit level that already sold")
        fills = [o for o in mine if o["status"] == "confirmed"]
        bought, sold, cost, proceeds, realized = replay(fills)
        # A failed attempt's fees: put in and realized at once.
        lost = failed_fees.get(pos["id"], Decimal(0))
        cost, realized = cost + lost, realized - lost
        facts = (pos["qty_bought"], pos["qty_sold"], pos["cost_basis_sol"], pos["proceeds_sol"])
        if facts != (bought, sold, cost, proceeds):
            failures.append(f"{name}: quantities, cost or proceeds differ from its fills")
            continue
        if pos["token_decimals"] != 6:
            failures.append(f"{name}: token_decimals is not its token's 6")
        if bought > 0 and sold == bought and pos["status"] != "closed":
            failures.append(f"{name} sold everything but is {pos['status']}")
        if pos["status"] == "closed":
            closed_pnl[pos["id"]] = proceeds - cost
            if (pos["realized_pnl_sol"], pos["unrealized_pnl_sol"]) != (proceeds - cost, 0):
                failures.append(f"{name} is closed but its PnL is not proceeds - cost")
        elif pos["status"] in ("open", "closing"):
            held = (bought - sold) / Decimal(10) ** 6
            price = pos["last_price_sol"]
            if pos["token_mint"] in ticked and price != CRASH_PRICE:
                failures.append(f"{name} was not re-valued by the tick (last price {price})")
                continue
            if abs(pos["realized_pnl_sol"] - realized) > NANO:
                failures.append(f"{name}: realized PnL differs from its fills (average cost)")
            total = pos["realized_pnl_sol"] + (pos["unrealized_pnl_sol"] or 0)
            if abs(total - (proceeds + held * price - cost)) > 2 * NANO:
                failures.append(f"{name}: realized + unrealized PnL do not reconcile")
    return failures, closed_pnl


def breaker_failures(db: Db, world: World, closed_pnl: dict[int, Decimal]) -> list[str]:
    """Measured here on the closes since the last reset: crossed thresholds trip it."""
    state = one(
        db,
        """
        select c.breaker_capital_sol, c.breaker_max_daily_loss_sol, c.breaker_max_drawdown_pct,
          c.breaker_max_consecutive_losses, c.breaker_min_win_rate_pct,
          c.breaker_win_rate_window,
          coalesce((select e.event_type = 'activated'
            from walltrack.circuit_breaker_events as e
            order by e.created_at desc, e.id desc limit 1), false) as active,
          (select e.id from walltrack.circuit_breaker_events as e
           where e.event_type = 'deactivated' order by e.created_at desc, e.id desc limit 1)
            as reset_id,
          (select count(*) from walltrack.circuit_breaker_events as e
           where e.created_at > clock_timestamp()) as future_events
        from walltrack.config as c
        """,
    )
    closes = db.execute(
        """
        select p.id, p.realized_pnl_sol from walltrack.positions as p
        where p.status = 'closed' and p.closed_at > (
          select max(e.created_at) from walltrack.circuit_breaker_events as e
          where e.event_type = 'deactivated')
        order by p.closed_at, p.id
        """
    ).fetchall()
    failures = []
    if state["future_events"]:
        failures.append("a breaker event is dated after the database's clock")
    # The curve starts from the capital of its first close: the world's, unless the edit
    # reset the breaker (then no close came before the edit).
    capital: Decimal = (
        WORLD_CAPITAL if state["reset_id"] == world.reset_event else state["breaker_capital_sol"]
    )
    equity = peak = capital
    streak = 0
    pnls: list[Decimal] = [
        closed_pnl[c["id"]] if c["id"] in closed_pnl else c["realized_pnl_sol"] for c in closes
    ]
    for pnl in pnls:
        equity += pnl
        peak = max(peak, equity)
        streak = streak + 1 if pnl < 0 else 0
    window = pnls[-state["breaker_win_rate_window"] :]
    crossed = {
        "daily_loss": capital - equity >= state["breaker_max_daily_loss_sol"],
        "drawdown": round(100 * (peak - equity) / peak, 4) >= state["breaker_max_drawdown_pct"],
        "consecutive_losses": streak >= state["breaker_max_consecutive_losses"],
        "win_rate": len(window) == state["breaker_win_rate_window"]
        and round(Decimal(100) * sum(p > 0 for p in window) / len(window), 2)
        < state["breaker_min_win_rate_pct"],
    }
    if any(crossed.values()) and not state["active"]:
        why = ", ".join(k for k, v in crossed.items() if v)
        failures.append(f"the breaker is not active although {why} crossed its threshold")
    return failures


def scoreboard_failures(db: Db, world: World, board: sql.Composable) -> list[str]:
    """Every close of each world wallet is in its scoreboard line ('all' window), with its
    PnL. `board` is the scoreboard's materialized view, or its definition evaluated now
    (what walltrack.refresh_performance would store, without a refresh per edit)."""
    rows = db.execute(
        sql.SQL(
            """
            select w.id, coalesce(s.positions_closed, -1) as trades, s.realized_pnl_sol as shown,
              (select count(*) from walltrack.positions as p
               where p.wallet_id = w.id and p.status = 'closed') as closes,
              (select coalesce(sum(p.realized_pnl_sol), 0) from walltrack.positions as p
               where p.wallet_id = w.id and p.status = 'closed') as realized
            from walltrack.wallets as w
            left join ({}) as s on s.wallet_id = w.id and s.time_window = 'all'
            where w.id = any(%s)
            """
        ).format(board),
        (list(world.wallets.values()),),
    ).fetchall()
    return [
        f"the scoreboard shows {row['trades']} closes ({row['shown']} SOL) of {row['closes']}"
        f" ({row['realized']} SOL) for wallet "
        f"{next(k for k, v in world.wallets.items() if v == row['id'])}"
        for row in rows
        if (row["trades"], row["shown"]) != (row["closes"], row["realized"])
    ]


def fault_failures(db: Db, before: dict[str, Any]) -> list[str]:
    """A row the product had to skip after an accepted edit: the edit should have been
    refused (the product isolating it is the safety net, not the rule)."""
    if (
        one(db, "select coalesce(sum(occurrences), 0) as n from walltrack.faults")["n"]
        == before["faults"]
    ):
        return []
    rows = db.execute(
        "select source, message from walltrack.faults where last_seen_at >= now()"
        " order by id desc limit 3"
    ).fetchall()
    return [f"{row['source']} recorded a fault: {row['message']}" for row in rows]


def after_accepted(db: Db, world: World, edit: Edit) -> list[str]:
    """The product's next steps after the edit, then every invariant."""
    failures: list[str] = []
    crashed = list(world.tokens.values())
    try:
        before = book(db, world)
        cap_edit = edit.table == "config" and edit.column in CAP_COLUMNS
        if not cap_edit and before["open_count"] > before["max_open"]:
            failures.append("open positions exceed max_open_positions")
        if not cap_edit and before["exposure"] > before["max_exposure"]:
            failures.append("exposure exceeds max_total_exposure_sol")
        w1, w2, e, f = (
            world.addresses["W1"],
            world.addresses["W2"],
            world.tokens["E"],
            world.tokens["F"],
        )
        step("the ingest of a leader buy", lambda: ingest(db, w1, e, "buy", LAMPORTS))
        failures += copy_failures(db, world, "the buy after the edit", before, "W1", "E")
        new_position = db.execute(
            "select id from walltrack.positions where token_mint = %s and id > %s"
            " and status = 'open'",
            (world.tokens["E"], before["last_position"]),
        ).fetchone()
        step("the crash tick", lambda: tick(db, crashed, CRASH_PRICE))
        step("the breaker check", lambda: product(db, "select api.check_circuit_breaker()"))
        after_crash = book(db, world)
        step("the ingest of a second leader buy", lambda: ingest(db, w2, f, "buy", LAMPORTS))
        failures += copy_failures(db, world, "the buy after the crash", after_crash, "W2", "F")
        failures += stop_loss_failures(
            db, world, edit, before, new_position["id"] if new_position else None
        )
        money, closed_pnl = money_failures(db, world)
        failures += money
        failures += breaker_failures(db, world, closed_pnl)
        failures += scoreboard_failures(db, world, world.scoreboard)
        failures += fault_failures(db, before)
    except Broken as broken:
        failures.append(str(broken))
    return failures


def try_edit(db: Db, world: World, edit: Edit, findings: Findings) -> bool:
    """One edit in a savepoint, rolled back after its checks. True when it was accepted."""
    db.execute("savepoint edit")
    try:
        try:
            db.execute(edit.sql, edit.params)
        except psycopg.Error as error:
            if not (is_walltrack_message(error) or error.sqlstate == edit.raw_refusal):
                findings.add(edit, f"refused without a WallTrack message: {describe_error(error)}")
            return False
        if edit.must_refuse:
            findings.add(edit, f"accepted, but {edit.must_refuse}")
        for failure in after_accepted(db, world, edit):
            findings.add(edit, failure)
        return True
    finally:
        db.execute("rollback to savepoint edit")


@pytest.fixture(scope="module")
def world_db(stack: StackEnv) -> Iterator[tuple[Db, World]]:
    with psycopg.connect(stack.database_url, autocommit=True, row_factory=dict_row) as db:
        db.execute("set statement_timeout = '20s'")
        db.execute("begin")
        try:
            yield db, build_world(db)
        finally:
            db.execute("rollback")


def test_the_world_holds_its_invariants_before_any_edit(world_db: tuple[Db, World]) -> None:
    """The checks hold without an edit, and they are not vacuous: the crash stops every open
    position, the caps leave room for exactly the first buy, the breaker trips and refuses
    the second, and the scoreboard's definition is what api.refresh_performance() stores."""
    db, world = world_db
    db.execute("savepoint baseline")
    try:
        assert after_accepted(db, world, NO_EDIT) == []
        state = one(
            db,
            """
            select
              (select count(distinct o.position_id) from walltrack.orders as o
               where o.position_id = any(%s) and o.reason = 'stop_loss') as stopped,
              (select array_agg(s.decision_reason order by s.id) from walltrack.signals as s
               where s.token_mint = any(%s)) as decisions,
              walltrack.breaker_is_active() as breaker
            """,
            (world.open_positions, [world.tokens["E"], world.tokens["F"]]),
        )
        assert state == {
            "stopped": 4,
            "decisions": ["copied", "breaker_active"],
            "breaker": True,
        }
        product(db, "select api.refresh_performance()")
        board = sql.SQL("select * from walltrack.performance")
        assert scoreboard_failures(db, world, board) == []
        refreshed = db.execute(
            "select * from walltrack.performance where wallet_id = any(%s) order by 1, 2",
            (list(world.wallets.values()),),
        ).fetchall()
        defined = db.execute(
            sql.SQL("select * from ({}) as v where wallet_id = any(%s) order by 1, 2").format(
                world.scoreboard
            ),
            (list(world.wallets.values()),),
        ).fetchall()
        assert refreshed == defined and len(refreshed) == 12
    finally:
        db.execute("rollback to savepoint baseline")


def test_no_operator_edit_breaks_an_invariant(world_db: tuple[Db, World]) -> None:
    db, world = world_db
    edits = all_edits(db, world)
    findings = Findings()
    started = time.monotonic()
    accepted = sum(try_edit(db, world, edit, findings) for edit in edits)
    elapsed = time.monotonic() - started
    print(f"\n{len(edits)} operator edits, {accepted} accepted, in {elapsed:.1f} s")
    assert len(edits) >= MIN_EDITS, f"only {len(edits)} edits generated"
    assert findings.count == 0, findings.report()
