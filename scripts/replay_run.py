"""Replays a signals log through the database's own rules and reads what they made of it.

Every rule stays in SQL: this module only loads the log's settings, feeds its swaps to
api.ingest_swaps in chain order (each preceded by a price tick at the leaders' price, so the
exits fire along the path they traded at) and reads the results from their read models
(walltrack.wallet_results, wallet_orders_by_reason, wallet_decisions_by_reason,
combined_results and breaker_event_log: supabase/schemas/16_read_models.sql).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from scripts.replay_log import (
    STRATEGY_FLAGS,
    STRATEGY_RULES,
    ReplayError,
    SignalsLog,
    batches,
    columns,
    fetch_dicts,
)

Connection = psycopg.Connection[Any]


def set_option(key: str, value: str | None) -> str:
    return f"--set {key}={'null' if value is None else value}"


@dataclass(frozen=True)
class Changes:
    """The what-if: config columns to set (text as Studio takes it, None for empty), one
    catalog strategy for every wallet, wallets (by label or address) not to copy."""

    config: Mapping[str, str | None] = field(default_factory=dict)
    exit_strategy: str | None = None
    wallets_off: frozenset[str] = frozenset()

    def describe(self) -> list[str]:
        return (
            [set_option(key, value) for key, value in self.config.items()]
            + ([f"--exit-strategy {self.exit_strategy!r}"] if self.exit_strategy else [])
            + [f"--wallet {label}=off" for label in sorted(self.wallets_off)]
        )


@dataclass(frozen=True)
class Figures:
    """One wallet's (or all wallets') results: walltrack.performance's, window 'all'."""

    trades: int
    wins: int
    win_rate_pct: Decimal | None
    realized_pnl_sol: Decimal
    max_drawdown_sol: Decimal
    profit_factor: Decimal | None
    copied: int
    skipped: int
    open_at_end: int
    exits: Mapping[str, int]  # confirmed exit orders by reason
    skips: Mapping[str, int]  # skipped signals by decision reason


@dataclass(frozen=True)
class Result:
    wallets: Mapping[str, Figures]  # by address, in the log's order
    total: Figures
    breaker_trip: str | None  # what tripped the circuit breaker, if it did


def check_changes(log: SignalsLog, changes: Changes) -> None:
    """Names the what-if refers to must exist in the log: checked before anything runs."""
    unknown_columns = sorted(set(changes.config) - set(log.config))
    if unknown_columns:
        raise ReplayError(
            f"--set: unknown config column {', '.join(unknown_columns)}; "
            f"valid: {', '.join(sorted(log.config))}"
        )
    strategies = [s["name"] for s in log.exit_strategies if not s["archived"]]
    if changes.exit_strategy is not None and changes.exit_strategy not in strategies:
        raise ReplayError(
            f"--exit-strategy: no strategy {changes.exit_strategy!r} in the catalog; "
            f"valid: {', '.join(repr(name) for name in strategies)}"
        )
    names = {w["label"] for w in log.wallets} | {w["address"] for w in log.wallets}
    unknown_wallets = sorted(changes.wallets_off - names)
    if unknown_wallets:
        labels = sorted({w["label"] for w in log.wallets})
        raise ReplayError(
            f"--wallet: no wallet labelled {', '.join(unknown_wallets)}; "
            f"valid labels: {', '.join(labels)}"
        )


def replay(connection: Connection, log: SignalsLog, changes: Changes) -> Result:
    """Replays the log with the changes and returns the figures. Everything happens in one
    transaction rolled back at the end (a savepoint inside the caller's transaction), so
    the database is left as it was and can serve the next replay."""
    check_changes(log, changes)
    with connection.transaction(force_rollback=True):
        refuse_recorded_wallets(connection, log)
        load_settings(connection, log)
        apply_changes(connection, log, changes)
        feed_signals(connection, log)
        return read_result(connection, log)


@contextmanager
def explained(doing: str) -> Iterator[None]:
    """A database refusal as a ReplayError that says what was being done."""
    try:
        yield
    except psycopg.Error as error:
        hint = f" ({error.diag.message_hint})" if error.diag.message_hint else ""
        raise ReplayError(f"{doing}: {error.diag.message_primary or error}{hint}") from error


def addresses(log: SignalsLog) -> list[str]:
    return [w["address"] for w in log.wallets]


def refuse_recorded_wallets(connection: Connection, log: SignalsLog) -> None:
    # Their signals would be taken for re-deliveries (decided nothing) and their past
    # trades would count in the figures.
    row = connection.execute(
        "select count(*) from walltrack.watchlist where address = any(%s) and has_signals",
        [addresses(log)],
    ).fetchone()
    if row and row[0]:
        raise ReplayError(
            f"{row[0]} wallet(s) of the log already have signals in this database: "
            "replay on a database without their history (the replay stack)"
        )


def load_settings(connection: Connection, log: SignalsLog) -> None:
    """The log's config, catalog, watchlist and token facts, in the order their checks need."""
    with explained("loading the log's config"):
        start_clock(connection, log)
        start_fresh_equity_curve(connection)
        update_config(connection, log.config)
        # Every wallet trades in simulation here (upsert_wallets), and the recorded clock is
        # set only where nothing trades for real (walltrack.set_clock).
        update_config(connection, {"live_trading_enabled": False})
        # The token facts are the last fetched, and stay fresh through the replay (nothing
        # looks a token up again here): their time-to-live covers the log's span.
        span = span_minutes(log)
        update_config(
            connection,
            {
                name: max(int(log.config.get(name) or 0), span)
                for name in ("token_cache_ttl_minutes", "token_market_ttl_minutes")
            },
        )
    with explained("loading the log's exit strategies and wallets"):
        upsert_strategy_rules(connection, log)
        upsert_wallets(connection, log)
        set_strategy_flags(connection, log)
    with explained("loading the log's tokens"):
        load_tokens(connection, log)


def start_fresh_equity_curve(connection: Connection) -> None:
    # The replay's closes are measured on their own, whatever this database closed before.
    connection.execute(
        "select api.restart_equity_curve('replay', 'a replay starts a fresh equity curve')"
    )


def update_config(connection: Connection, values: Mapping[str, object]) -> None:
    """Sets config columns from JSON values, each cast by the column's own type."""
    if not values:
        return
    known = {
        name
        for (name,) in connection.execute(
            "select attname from pg_attribute"
            " where attrelid = 'walltrack.config'::regclass and attnum > 0 and not attisdropped"
        )
    }
    unknown = sorted(set(values) - known)
    if unknown:
        raise ReplayError(f"config column(s) this database lacks: {', '.join(unknown)}")
    assignments = sql.SQL(", ").join(
        sql.SQL("{0} = r.{0}").format(sql.Identifier(name)) for name in values
    )
    connection.execute(
        sql.SQL(
            "update walltrack.config set {}"
            " from jsonb_populate_record(null::walltrack.config, %s) as r"
        ).format(assignments),
        [Jsonb(dict(values))],
    )


def upsert_strategy_rules(connection: Connection, log: SignalsLog) -> None:
    """Each of the log's templates by name: the existing one takes its rules, a missing one
    is added. Neither default nor archived yet: the wallets must be able to point at any.
    (Two statements, not an upsert: a second template of a name is refused before a
    conflict clause could see it, with a message for the operator.)"""
    updates = sql.SQL(", ").join(
        sql.SQL("{0} = r.{0}").format(sql.Identifier(name))
        for name in STRATEGY_RULES
        if name != "name"
    )
    records = [Jsonb(log.exit_strategies)]
    connection.execute(
        sql.SQL(
            "update walltrack.exit_strategies as s set {}, is_default = false, archived = false"
            " from jsonb_populate_recordset(null::walltrack.exit_strategies, %s) as r"
            " where s.name = r.name"
        ).format(updates),
        records,
    )
    connection.execute(
        sql.SQL(
            "insert into walltrack.exit_strategies ({}, is_default, archived)"
            " select {}, false, false"
            " from jsonb_populate_recordset(null::walltrack.exit_strategies, %s) as r"
            " where not exists (select from walltrack.exit_strategies as s where s.name = r.name)"
        ).format(columns(STRATEGY_RULES), columns(STRATEGY_RULES, "r")),
        records,
    )


def set_strategy_flags(connection: Connection, log: SignalsLog) -> None:
    connection.execute("update walltrack.exit_strategies set is_default = false where is_default")
    connection.execute(
        sql.SQL(
            "update walltrack.exit_strategies as s set {}"
            " from jsonb_populate_recordset(null::walltrack.exit_strategies, %s) as r"
            " where s.name = r.name"
        ).format(
            sql.SQL(", ").join(
                sql.SQL("{0} = r.{0}").format(sql.Identifier(flag)) for flag in STRATEGY_FLAGS
            )
        ),
        [Jsonb(log.exit_strategies)],
    )


def upsert_wallets(connection: Connection, log: SignalsLog) -> None:
    # Every wallet trades in simulation: a replay never sends a transaction, and a live
    # order would wait forever for an executor. Wallets the log does not hold (the seed's)
    # are paused, so they copy nothing.
    connection.execute(
        """
        with logged as (
          select r.address, r.label, r.status, s.id as exit_strategy_id, r.position_size_sol,
            r.copy_sells
          from jsonb_to_recordset(%(wallets)s) as r (
            address text, label text, status walltrack.wallet_status, exit_strategy text,
            position_size_sol numeric, copy_sells boolean
          )
          left join walltrack.exit_strategies as s on s.name = r.exit_strategy
        ),
        updated as (
          update walltrack.wallets as w
          set label = l.label, status = l.status, mode = 'simulation',
            exit_strategy_id = l.exit_strategy_id, position_size_sol = l.position_size_sol,
            copy_sells = l.copy_sells
          from logged as l where w.address = l.address
          returning w.address
        )
        insert into walltrack.wallets (
          address, label, status, mode, exit_strategy_id, position_size_sol, copy_sells
        )
        select l.address, l.label, l.status, 'simulation', l.exit_strategy_id,
          l.position_size_sol, l.copy_sells
        from logged as l where l.address not in (select u.address from updated as u)
        """,
        {"wallets": Jsonb(log.wallets)},
    )
    connection.execute(
        "update walltrack.wallets set status = 'paused'"
        " where status = 'active' and address <> all(%s)",
        [addresses(log)],
    )


def span_minutes(log: SignalsLog) -> int:
    """Minutes from the log's first swap to its last, rounded up, at least 1."""
    times = [datetime.fromisoformat(b.at) for b in batches(log) if b.at is not None]
    seconds = (max(times) - min(times)).total_seconds() if times else 0
    return max(1, -(-int(seconds) // 60) + 1)


FACT_TIMES = ("authorities_checked_at", "fetched_at", "rugcheck_fetched_at", "market_fetched_at")


def load_tokens(connection: Connection, log: SignalsLog) -> None:
    # The recorded facts, as observed: the verdicts are judged on them, not on today's. Facts
    # fetched after the first replayed swap are known from its time on: a fact dated ahead of
    # the replay's clock would be refused (tokens_times_not_ahead).
    start = first_time(log)
    tokens = log.tokens if start is None else [as_of(token, start) for token in log.tokens]
    connection.execute("select api.load_token_facts(%s)", [Jsonb(tokens)])


def first_time(log: SignalsLog) -> str | None:
    return next((batch.at for batch in batches(log) if batch.at is not None), None)


def start_clock(connection: Connection, log: SignalsLog) -> None:
    """The replay's clock starts at its first swap: its fresh equity curve, its facts and
    every decision after are dated in the log's time."""
    start = first_time(log)
    if start is not None:
        connection.execute("select walltrack.set_clock(%s::timestamptz)", [start])


def as_of(token: Mapping[str, Any], start: str) -> dict[str, Any]:
    first = datetime.fromisoformat(start)
    return dict(token) | {
        field: start
        for field in FACT_TIMES
        if token.get(field) and datetime.fromisoformat(str(token[field])) > first
    }


def apply_changes(connection: Connection, log: SignalsLog, changes: Changes) -> None:
    # One statement per --set, so a refusal names the option that caused it.
    for key, value in changes.config.items():
        with explained(set_option(key, value)):
            update_config(connection, {key: value})
    if changes.exit_strategy is not None:
        with explained(f"--exit-strategy {changes.exit_strategy!r}"):
            connection.execute(
                "update walltrack.wallets set exit_strategy_id = ("
                "  select s.id from walltrack.exit_strategies as s where s.name = %s"
                ") where address = any(%s)",
                [changes.exit_strategy, addresses(log)],
            )
    # A wallet switched off is paused, not dropped: its swaps still move the prices.
    connection.execute(
        "update walltrack.wallets set status = 'paused'"
        " where (address = any(%(off)s) or label = any(%(off)s)) and address = any(%(log)s)",
        {"off": sorted(changes.wallets_off), "log": addresses(log)},
    )


# Each transaction is replayed at the time WallTrack received it: the database's clock
# (walltrack.set_clock, this transaction only) moves there first, so every rule that reads
# time (staleness, the breaker's windows and cooldown, time exits at the next tick) sees the
# recorded time. A swap received out of block order (found late by backfill) is replayed
# at the latest time reached: the clock never goes back, and moves a millisecond at least
# (swaps received together still tick in order: a tick no newer than a price is ignored).
CLOCK = (
    "select walltrack.set_clock(greatest(%s::timestamptz,"
    " walltrack.clock() + interval '1 millisecond'))"
)
TICK = """
select api.apply_prices((
  select jsonb_agg(t.value || jsonb_build_object('observed_at', walltrack.clock()))
  from jsonb_array_elements(%s) as t
))
"""


def feed_signals(connection: Connection, log: SignalsLog) -> None:
    for batch in batches(log):
        with explained(f"replaying transaction {batch.signature}"):
            if batch.at is not None:
                connection.execute(CLOCK, [batch.at])
            if batch.ticks:
                connection.execute(TICK, [Jsonb(batch.ticks)])
            connection.execute("select api.ingest_swaps(%s)", [Jsonb([batch.transaction])])


def read_result(connection: Connection, log: SignalsLog) -> Result:
    connection.execute("select api.refresh_performance()")
    wallets = addresses(log)
    exits = counts_by_wallet(connection, EXITS, wallets)
    skips = counts_by_wallet(connection, SKIPS, wallets)
    figures = {
        row["address"]: Figures(
            trades=row["trades"],
            wins=row["wins"],
            win_rate_pct=row["win_rate_pct"],
            realized_pnl_sol=row["realized_pnl_sol"],
            max_drawdown_sol=row["max_drawdown_sol"],
            profit_factor=row["profit_factor"],
            copied=row["copied"],
            skipped=sum(skips.get(row["address"], {}).values()),
            open_at_end=row["unclosed_positions"],
            exits=exits.get(row["address"], {}),
            skips=skips.get(row["address"], {}),
        )
        for row in fetch_dicts(connection, WALLET_RESULTS, [wallets])
    }
    by_log_order = {address: figures[address] for address in wallets}
    (combined,) = fetch_dicts(connection, COMBINED_RESULTS, [wallets])
    return Result(
        wallets=by_log_order,
        total=total_of(by_log_order.values(), combined),
        breaker_trip=breaker_trip(connection),
    )


WALLET_RESULTS = """
select address, trades, wins, win_rate_pct, realized_pnl_sol, max_drawdown_sol, profit_factor,
  copied, unclosed_positions
from walltrack.wallet_results where address = any(%s)
"""

EXITS = """
select address, reason::text as key, confirmed as count
from walltrack.wallet_orders_by_reason
where side = 'sell' and confirmed > 0 and address = any(%s)
"""

SKIPS = """
select address, decision_reason as key, signals as count
from walltrack.wallet_decisions_by_reason
where decision = 'skipped' and address = any(%s)
"""

# All wallets together: their trades, PnL and ratios come from their closes taken together
# (a ratio of the whole cannot be added up from each wallet's).
COMBINED_RESULTS = """
select trades, wins, win_rate_pct, realized_pnl_sol, max_drawdown_sol, profit_factor
from walltrack.combined_results(%s)
"""


def counts_by_wallet(
    connection: Connection, query: str, wallets: list[str]
) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for row in fetch_dicts(connection, query, [wallets]):
        counts.setdefault(row["address"], {})[row["key"]] = row["count"]
    return counts


def total_of(wallets: Iterable[Figures], combined: Mapping[str, Any]) -> Figures:
    """The wallets' counts added up; their closes' figures as SQL combined them."""
    figures = list(wallets)
    exits: Counter[str] = Counter()
    skips: Counter[str] = Counter()
    for each in figures:
        exits.update(each.exits)
        skips.update(each.skips)
    return Figures(
        trades=combined["trades"],
        wins=combined["wins"],
        win_rate_pct=combined["win_rate_pct"],
        realized_pnl_sol=combined["realized_pnl_sol"],
        max_drawdown_sol=combined["max_drawdown_sol"],
        profit_factor=combined["profit_factor"],
        copied=sum(f.copied for f in figures),
        skipped=sum(f.skipped for f in figures),
        open_at_end=sum(f.open_at_end for f in figures),
        exits=dict(exits),
        skips=dict(skips),
    )


def breaker_trip(connection: Connection) -> str | None:
    """What tripped the breaker first since the replay's reset, if it did."""
    row = connection.execute(
        "select trigger || ' (threshold ' || threshold || ', observed ' || observed || ')'"
        " from walltrack.breaker_event_log"
        " where event_type = 'activated' and since_last_reset order by created_at, id limit 1"
    ).fetchone()
    return None if row is None else str(row[0])
