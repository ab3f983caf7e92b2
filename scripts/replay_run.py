"""Replays a signals log through the database's own rules and reads what they made of it.

Every rule stays in SQL: this module only loads the log's settings, feeds its events at
their recorded times (each swap to api.ingest_swaps when it was received, each recorded
price tick to api.apply_prices when it was applied, each operator's breaker reset; a log
without a price path ticks at the leaders' prices instead), and reads the results from
their read models
(walltrack.wallet_results, wallet_orders_by_reason, wallet_decisions_by_reason,
combined_results and breaker_event_log: supabase/schemas/16_read_models.sql).
"""

from __future__ import annotations

import json
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
    OUTCOME_QUERIES,
    STRATEGY_FLAGS,
    STRATEGY_RULES,
    Record,
    ReplayError,
    SignalsLog,
    columns,
    fetch_dicts,
    outcome_records,
    timeline,
)

Connection = psycopg.Connection[Any]


def set_option(key: str, value: str | None) -> str:
    return f"--set {key}={'null' if value is None else value}"


def rule_option(strategy: str, rule: str, value: str | None) -> str:
    return f"--exit-rule '{strategy}:{rule}={'null' if value is None else value}'"


# The rules an --exit-rule may change (a strategy's name and description are not rules).
CHANGEABLE_RULES = tuple(r for r in STRATEGY_RULES if r not in ("name", "description"))


@dataclass(frozen=True)
class Changes:
    """The what-if: config columns to set (text as Studio takes it, None for empty), one
    catalog strategy for every wallet, single rules of a strategy (strategy -> rule -> value,
    a JSON text for the take-profit ladder), wallets (by label or address) not to copy."""

    config: Mapping[str, str | None] = field(default_factory=dict)
    exit_strategy: str | None = None
    wallets_off: frozenset[str] = frozenset()
    exit_rules: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)

    def describe(self) -> list[str]:
        return (
            [set_option(key, value) for key, value in self.config.items()]
            + ([f"--exit-strategy {self.exit_strategy!r}"] if self.exit_strategy else [])
            + [
                rule_option(strategy, rule, value)
                for strategy, rules in self.exit_rules.items()
                for rule, value in rules.items()
            ]
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
    # Where the replay's decisions, positions and breaker events differ from the recorded
    # ones (the wallets that traded in simulation; a live wallet's fills were the chain's).
    # None: the log holds no recorded outcome (version 1).
    differences: list[str] | None = None


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
    for strategy, rules in changes.exit_rules.items():
        if strategy not in {s["name"] for s in log.exit_strategies}:
            raise ReplayError(
                f"--exit-rule: no strategy {strategy!r} in the catalog; "
                f"valid: {', '.join(repr(name) for name in strategies)}"
            )
        unknown_rules = sorted(set(rules) - set(CHANGEABLE_RULES))
        if unknown_rules:
            raise ReplayError(
                f"--exit-rule: {', '.join(unknown_rules)} is not a rule; "
                f"valid: {', '.join(CHANGEABLE_RULES)}"
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
        feed_events(connection, log)
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


def update_rule(connection: Connection, strategy: str, rule: str, value: str | None) -> None:
    """One rule of one strategy, cast by the column's own type (the ladder is JSON text)."""
    try:
        record = {rule: json.loads(value) if rule == "take_profit_levels" and value else value}
    except json.JSONDecodeError as error:
        raise ReplayError(f"take_profit_levels is not JSON: {error}") from None
    connection.execute(
        sql.SQL(
            "update walltrack.exit_strategies as s set {0} = r.{0}"
            " from jsonb_populate_record(null::walltrack.exit_strategies, %s) as r"
            " where s.name = %s"
        ).format(sql.Identifier(rule)),
        [Jsonb(record), strategy],
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
            r.copy_sells, r.pause_max_consecutive_losses, r.pause_max_loss_sol,
            r.pause_max_baseline_gap_pct, r.pause_cooldown_minutes
          from jsonb_to_recordset(%(wallets)s) as r (
            address text, label text, status walltrack.wallet_status, exit_strategy text,
            position_size_sol numeric, copy_sells boolean, pause_max_consecutive_losses integer,
            pause_max_loss_sol numeric, pause_max_baseline_gap_pct numeric,
            pause_cooldown_minutes integer
          )
          left join walltrack.exit_strategies as s on s.name = r.exit_strategy
        ),
        updated as (
          update walltrack.wallets as w
          set label = l.label, status = l.status, mode = 'simulation',
            exit_strategy_id = l.exit_strategy_id, position_size_sol = l.position_size_sol,
            copy_sells = l.copy_sells,
            pause_max_consecutive_losses = l.pause_max_consecutive_losses,
            pause_max_loss_sol = l.pause_max_loss_sol,
            pause_max_baseline_gap_pct = l.pause_max_baseline_gap_pct,
            pause_cooldown_minutes = l.pause_cooldown_minutes
          from logged as l where w.address = l.address
          returning w.address
        )
        insert into walltrack.wallets (
          address, label, status, mode, exit_strategy_id, position_size_sol, copy_sells,
          pause_max_consecutive_losses, pause_max_loss_sol, pause_max_baseline_gap_pct,
          pause_cooldown_minutes
        )
        select l.address, l.label, l.status, 'simulation', l.exit_strategy_id,
          l.position_size_sol, l.copy_sells, l.pause_max_consecutive_losses,
          l.pause_max_loss_sol, l.pause_max_baseline_gap_pct, l.pause_cooldown_minutes
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
    """Minutes from the log's first event to its last, rounded up, at least 1."""
    times = [datetime.fromisoformat(e.at) for e in timeline(log) if e.at is not None]
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
    return next((event.at for event in timeline(log) if event.at is not None), None)


def start_clock(connection: Connection, log: SignalsLog) -> None:
    """The replay's clock starts at its first event: its fresh equity curve, its facts and
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
    for strategy, rules in changes.exit_rules.items():
        for rule, value in rules.items():
            with explained(rule_option(strategy, rule, value)):
                update_rule(connection, strategy, rule, value)
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


# Each event is replayed at its recorded time: the database's clock (walltrack.set_clock, this
# transaction only) moves there first, so every rule that reads time (staleness, the
# breaker's windows and cooldown, time exits) sees the recorded time. A swap received out of
# block order (found late by backfill) is replayed at the latest time reached: the clock
# never goes back. Ticking at the leaders' prices, it moves a millisecond at least between
# transactions (a tick no newer than the last price is ignored); a recorded path carries
# its own tick times.
CLOCK = "select walltrack.set_clock(greatest(%s::timestamptz, walltrack.clock() + %s::interval))"
LEADER_TICK = """
select api.apply_prices((
  select jsonb_agg(t.value || jsonb_build_object('observed_at', walltrack.clock()))
  from jsonb_array_elements(%s) as t
))
"""


def feed_events(connection: Connection, log: SignalsLog) -> None:
    step = "0" if log.prices else "1 millisecond"
    for event in timeline(log):
        with explained(event.what):
            if event.at is not None:
                connection.execute(CLOCK, [event.at, step])
            if event.ticks:
                tick = LEADER_TICK if event.transaction else "select api.apply_prices(%s)"
                connection.execute(tick, [Jsonb(event.ticks)])
            if event.transaction is not None:
                connection.execute("select api.ingest_swaps(%s)", [Jsonb([event.transaction])])
            if event.minute_jobs:
                run_minute_jobs(connection)
            if event.restart is not None:
                connection.execute(
                    "select api.restart_equity_curve(%s, %s)",
                    [event.restart["actor"], event.restart["note"]],
                )
            if event.resume is not None:
                resume_if_paused(connection, event.resume)


def resume_if_paused(connection: Connection, resume: Record) -> None:
    """An operator's resume, made again when the replay paused that leader too (with other
    settings it may never have been paused)."""
    connection.execute(
        "select api.resume_leader(w.address, %(actor)s, %(note)s) from walltrack.wallets as w"
        " where w.address = %(wallet)s and w.id = any(walltrack.paused_leaders())",
        resume,
    )


def run_minute_jobs(connection: Connection) -> None:
    """pg_cron's every-minute jobs (the breaker's check, waiting buys, leases, scheduled
    alerts), run on this connection at its clock: a replay or the demo, whose clock is not
    the wall clock pg_cron runs them by."""
    commands = connection.execute(
        "select command from cron.job where jobname like 'walltrack-%' and schedule = '* * * * *'"
        " order by jobname"
    ).fetchall()
    for (command,) in commands:
        connection.execute(command)


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
        differences=differences_from_recorded(connection, log),
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


def replay_start(connection: Connection) -> int:
    """The replay's own fresh start (start_fresh_equity_curve): what it tripped came after."""
    row = connection.execute(
        "select coalesce(max(id), 0) from walltrack.breaker_event_log where actor = 'replay'"
    ).fetchone()
    return int(row[0]) if row else 0


def breaker_trip(connection: Connection) -> str | None:
    """What tripped the breaker first in the replay, if it did."""
    row = connection.execute(
        "select trigger || ' (threshold ' || threshold || ', observed ' || observed || ')'"
        " from walltrack.breaker_event_log"
        " where event_type = 'activated' and id > %s order by created_at, id limit 1",
        [replay_start(connection)],
    ).fetchone()
    return None if row is None else str(row[0])


def differences_from_recorded(connection: Connection, log: SignalsLog) -> list[str] | None:
    """What the replay decided, opened, closed and tripped, against what was recorded, for
    the wallets that traded in simulation (a live wallet's fills, failures and chain findings
    were the chain's: the replay cannot know them). Each difference in one line."""
    if not (log.decisions or log.closes or log.breaker_events):
        return None
    simulated = [w["address"] for w in log.wallets if w["mode"] == "simulation"]
    replayed = outcome_records(connection, simulated, first_time(log), replay_start(connection))
    recorded = {
        "decisions": [r for r in log.decisions if r["wallet"] in simulated],
        "closes": [r for r in log.closes if r["wallet"] in simulated],
        "breaker_events": log.breaker_events,
    }
    found: list[str] = []
    for name in OUTCOME_QUERIES:
        was, now = comparable(recorded[name]), comparable(replayed[name])
        found += [
            f"{name}: recorded {r}, replayed {p}" for r, p in zip(was, now, strict=False) if r != p
        ]
        if len(was) != len(now):
            found.append(f"{name}: {len(was)} recorded, {len(now)} replayed")
    return found


def comparable(records: list[Record]) -> list[tuple[Any, ...]]:
    """Records as tuples of values compared by meaning: times as instants, amounts as numbers
    (0.10 and 0.1 agree), the rest as written."""
    return [tuple(meaning(key, value) for key, value in record.items()) for record in records]


def meaning(key: str, value: Any) -> Any:
    if value is None or not isinstance(value, str):
        return value
    if key.endswith("_at"):
        return datetime.fromisoformat(value)
    if key in ("realized_pnl_sol", "observed", "threshold"):
        return Decimal(value)
    return value
