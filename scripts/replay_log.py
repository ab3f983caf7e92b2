"""The signals log of a database as one JSON document, for the what-if replay.

The log holds what the copy decisions and the exits read: the config row, the exit strategy
catalog, the watchlist, the tokens' safety and market facts, every signal in chain order,
the price path (each tick applied, when it was applied) and the operators' breaker resets,
each read from its read model (walltrack.signals_log_config, signals_log_exit_strategies,
watchlist, signals_log_tokens, signal_list, signals_log_prices and signals_log_restarts:
supabase/schemas/16_read_models.sql). It also holds what WallTrack decided (each signal's
decision, each position's close, the breaker's events), so a replay can show it reproduces
the recorded outcome. Amounts
stay exact: numeric columns are written as strings, never as floats (the JSON documents a
column holds, such as a take-profit ladder, are kept as they are).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

FORMAT = "walltrack-signals-log"
VERSION = 2  # 2 added the price path, the resets and the outcome; a version 1 log has none

Record = dict[str, Any]

STRATEGY_RULES = (
    "name",
    "description",
    "take_profit_levels",
    "stop_loss_pct",
    "trailing_activation_pct",
    "trailing_distance_pct",
    "time_exit_minutes",
    "time_exit_max_pnl_pct",
    "mirror_leader_sells",
    "moonbag_pct",
    "moonbag_keeps_stop_loss",
    "consensus_min_leaders",
    "consensus_window_minutes",
    "consensus_weighted",
    "consensus_exit",
)
# A version 1 log predates consensus entries: its strategies copy each leader on its own.
CONSENSUS_OFF = {
    "consensus_min_leaders": None,
    "consensus_window_minutes": 10,
    "consensus_weighted": False,
    "consensus_exit": "first_out",
}
STRATEGY_FLAGS = ("is_default", "archived")
WALLET_FIELDS = (
    "address",
    "label",
    "status",
    "mode",
    "exit_strategy",
    "position_size_sol",
    "copy_sells",
)
# Version 2: each wallet's own protections (empty: config's).
WALLET_PROTECTIONS = (
    "pause_max_consecutive_losses",
    "pause_max_loss_sol",
    "pause_max_baseline_gap_pct",
    "pause_cooldown_minutes",
)
# Identity, safety and market facts, the manual list and when each source last answered;
# the verdict is left out: the replay judges the facts again.
TOKEN_FACTS = (
    "mint",
    "symbol",
    "name",
    "decimals",
    "supply",
    "mint_authority",
    "freeze_authority",
    "authorities_checked_at",
    "rugcheck_score",
    "rugcheck_score_normalised",
    "risks",
    "top10_holders_pct",
    "lp_locked_pct",
    "rugged",
    "pair_address",
    "dex_id",
    "liquidity_usd",
    "market_cap_usd",
    "fdv_usd",
    "price_usd",
    "price_sol",
    "pair_created_at",
    "manual_list",
    "manual_note",
    "fetched_at",
    "rugcheck_fetched_at",
    "market_fetched_at",
    "failed_sources",
)
# What one wallet's swap in a transaction says, as api.ingest_swaps takes it.
SWAP_FIELDS = (
    "wallet",
    "side",
    "token_mint",
    "token_amount",
    "token_decimals",
    "quote_mint",
    "quote_amount",
    "quote_decimals",
)
SIGNAL_FIELDS = ("slot", "block_time", "signature", "source", *SWAP_FIELDS, "price_sol", "tx_error")
# When WallTrack received each swap: the replay's clock (a log without it replays at the
# block times).
SIGNAL_TIMES = ("received_at",)
SECTIONS: Mapping[str, Sequence[str]] = {
    "exit_strategies": STRATEGY_RULES + STRATEGY_FLAGS,
    "wallets": WALLET_FIELDS,
    "tokens": TOKEN_FACTS,
    "signals": SIGNAL_FIELDS,
}
# Version 2: each tick applied (walltrack.price_history) and each manual breaker reset, from
# the first signal on; and the recorded outcome (see OUTCOME_QUERIES).
PRICE_FIELDS = ("mint", "price_sol", "observed_at", "applied_at")
RESTART_FIELDS = ("created_at", "actor", "note")
RESUME_FIELDS = ("created_at", "wallet", "actor", "note")
SECTIONS_SINCE_2: Mapping[str, Sequence[str]] = {
    "prices": PRICE_FIELDS,
    "restarts": RESTART_FIELDS,
    "resumes": RESUME_FIELDS,
    "decisions": ("signature", "wallet", "decision", "decision_reason"),
    "closes": (
        "wallet",
        "token_mint",
        "opened_at",
        "status",
        "close_reason",
        "closed_at",
        "realized_pnl_sol",
    ),
    "breaker_events": ("created_at", "event_type", "trigger", "observed", "threshold", "actor"),
}
# What WallTrack made of the signals, read the same way from the recorded database and from
# a replay: each signal's decision, each position (open or closed), the breaker's events
# from a time on (%(since)s), after an event (%(after)s: a replay's own fresh start).
OUTCOME_QUERIES: Mapping[str, str] = {
    "decisions": """
        select signature, wallet_address as wallet, decision, decision_reason
        from walltrack.signal_list where wallet_address = any(%(wallets)s)
        order by block_time, slot, signature, wallet_address
    """,
    "closes": """
        select w.address as wallet, p.token_mint, p.opened_at, p.status, p.close_reason,
          p.closed_at, p.realized_pnl_sol
        from walltrack.position_list as p join walltrack.watchlist as w on w.id = p.wallet_id
        where w.address = any(%(wallets)s)
        order by p.opened_at, w.address, p.token_mint
    """,
    "breaker_events": """
        select created_at, event_type, trigger, observed, threshold, actor
        from walltrack.breaker_event_log
        where created_at >= %(since)s::timestamptz and id > %(after)s
        order by created_at, id
    """,
}


class ReplayError(ValueError):
    """A log, an option or a replay the database refused, said in words."""


@dataclass(frozen=True)
class SignalsLog:
    config: Record
    exit_strategies: list[Record]
    wallets: list[Record]
    tokens: list[Record]
    signals: list[Record]
    prices: list[Record] = field(default_factory=list)
    restarts: list[Record] = field(default_factory=list)
    resumes: list[Record] = field(default_factory=list)
    decisions: list[Record] = field(default_factory=list)
    closes: list[Record] = field(default_factory=list)
    breaker_events: list[Record] = field(default_factory=list)


@dataclass(frozen=True)
class Event:
    """One step of a replay, at its recorded time: a transaction (with the leaders' prices to
    tick first, when the log has no price path), a batch of recorded ticks, pg_cron's
    every-minute jobs at a whole minute, or an operator's breaker reset."""

    at: str | None  # the replay's clock (None: a log without times)
    what: str  # for a refusal's message
    ticks: list[Record]
    transaction: Record | None = None
    minute_jobs: bool = False
    restart: Record | None = None
    resume: Record | None = None


@dataclass(frozen=True)
class Batch:
    """One recorded transaction: the leaders' prices to tick first, then the transaction."""

    signature: str
    ticks: list[Record]
    transaction: Record
    at: str | None  # when it was received (else its block time): the replay's clock


def json_value(value: object) -> object:
    """A column value as exact JSON: numerics and times as strings."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


Params = Sequence[Any] | Mapping[str, Any] | None


def fetch_dicts(
    connection: psycopg.Connection[Any],
    query: str | sql.SQL | sql.Composed,
    params: Params = None,
) -> list[Record]:
    with connection.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(query, params).fetchall()


def fetch_records(
    connection: psycopg.Connection[Any],
    query: str | sql.SQL | sql.Composed,
    params: Params = None,
) -> list[Record]:
    """Rows as JSON records."""
    return [
        {k: json_value(v) for k, v in row.items()} for row in fetch_dicts(connection, query, params)
    ]


def columns(names: Sequence[str], table: str = "") -> sql.Composable:
    qualify = (lambda name: sql.Identifier(table, name)) if table else sql.Identifier
    return sql.SQL(", ").join(qualify(name) for name in names)


def export_log(connection: psycopg.Connection[Any]) -> SignalsLog:
    """Reads the log from the connection's database, in one transaction (the caller's when
    one is open): with repeatable read, every section sees the same moment."""
    with connection.transaction():
        # The settings only: the view leaves out the source database's operational state.
        (config,) = fetch_records(connection, sql.SQL("select * from walltrack.signals_log_config"))
        wallets = fetch_records(
            connection,
            sql.SQL("select {} from walltrack.watchlist order by id").format(
                columns(WALLET_FIELDS + WALLET_PROTECTIONS)
            ),
        )
        # The order api.ingest_swaps decides in.
        signals = fetch_records(
            connection,
            sql.SQL(
                "select {}, wallet_address as wallet from walltrack.signal_list"
                " order by block_time, slot, id"
            ).format(columns([f for f in (*SIGNAL_FIELDS, *SIGNAL_TIMES) if f != "wallet"])),
        )
        since = min((s.get("received_at") or s["block_time"] for s in signals), default=None)
        return SignalsLog(
            config=config,
            exit_strategies=fetch_records(
                connection,
                sql.SQL("select {} from walltrack.signals_log_exit_strategies order by id").format(
                    columns(SECTIONS["exit_strategies"])
                ),
            ),
            wallets=wallets,
            tokens=fetch_records(
                connection,
                sql.SQL("select {} from walltrack.signals_log_tokens order by mint").format(
                    columns(TOKEN_FACTS)
                ),
            ),
            signals=signals,
            prices=[
                tick
                for tick in since_records(
                    connection, "signals_log_prices", PRICE_FIELDS, "applied_at", since
                )
                if tick["mint"] in {s["token_mint"] for s in signals}
            ],
            restarts=since_records(
                connection, "signals_log_restarts", RESTART_FIELDS, "created_at", since
            ),
            resumes=since_records(
                connection, "signals_log_resumes", RESUME_FIELDS, "created_at", since
            ),
            **outcome_records(connection, [w["address"] for w in wallets], since),
        )


def since_records(
    connection: psycopg.Connection[Any],
    view: str,
    fields: Sequence[str],
    time_column: str,
    since: str | None,
) -> list[Record]:
    """A read model's rows from the log's first signal on, in the order they happened."""
    query = sql.SQL("select {} from walltrack.{} where {} >= %s order by {}, id").format(
        columns(fields),
        sql.Identifier(view),
        sql.Identifier(time_column),
        sql.Identifier(time_column),
    )
    return fetch_records(connection, query, [since]) if since is not None else []


def outcome_records(
    connection: psycopg.Connection[Any], wallets: Sequence[str], since: str | None, after: int = 0
) -> dict[str, list[Record]]:
    """What WallTrack made of these wallets' signals, from `since` on (OUTCOME_QUERIES), its
    breaker events after the event `after`."""
    params = {"wallets": list(wallets), "since": since or "-infinity", "after": after}
    return {
        name: fetch_records(connection, query, params) for name, query in OUTCOME_QUERIES.items()
    }


def write_log(log: SignalsLog, path: Path) -> None:
    document = {"format": FORMAT, "version": VERSION} | vars(log)
    path.write_text(json.dumps(document, indent=1) + "\n")


def read_log(path: Path) -> SignalsLog:
    try:
        document = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ReplayError(f"cannot read the signals log {path}: {error}") from None
    return parse_log(document)


def parse_log(document: object) -> SignalsLog:
    """The log, checked for what the replay relies on; a ReplayError says what is wrong."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ReplayError(f"not a signals log: expected a JSON object with format {FORMAT!r}")
    version = document.get("version")
    if version not in (1, VERSION):
        raise ReplayError(f"signals log version {version!r}: expected 1 or {VERSION}")
    config = document.get("config")
    if not isinstance(config, dict):
        raise ReplayError("signals log: 'config' must be an object of config columns")
    reject_floats("config", config)
    if version == 1 and isinstance(document.get("exit_strategies"), list):
        document = document | {
            "exit_strategies": [
                CONSENSUS_OFF | s if isinstance(s, dict) else s for s in document["exit_strategies"]
            ]
        }
    sections = dict(SECTIONS) | (dict(SECTIONS_SINCE_2) if version == VERSION else {})
    log = SignalsLog(
        config=config,
        **{name: records_of(document, name, fields) for name, fields in sections.items()},
    )
    check_references(log)
    return log


def records_of(document: dict[str, Any], name: str, fields: Sequence[str]) -> list[Record]:
    records = document.get(name)
    if not isinstance(records, list):
        raise ReplayError(f"signals log: {name!r} must be a list")
    for index, record in enumerate(records):
        where = f"{name}[{index}]"
        if not isinstance(record, dict):
            raise ReplayError(f"signals log: {where} must be an object")
        missing = [field for field in fields if field not in record]
        if missing:
            raise ReplayError(f"signals log: {where} lacks {', '.join(missing)}")
        reject_floats(where, record)
    return records


def reject_floats(where: str, record: Record) -> None:
    floats = [key for key, value in record.items() if isinstance(value, float)]
    if floats:
        raise ReplayError(
            f"signals log: {where}.{floats[0]} is a float: write numbers as strings "
            '(e.g. "0.1") so amounts stay exact'
        )


def check_references(log: SignalsLog) -> None:
    strategies = {s["name"] for s in log.exit_strategies}
    for wallet in log.wallets:
        if wallet["exit_strategy"] is not None and wallet["exit_strategy"] not in strategies:
            raise ReplayError(
                f"signals log: wallet {wallet['address']} names exit strategy "
                f"{wallet['exit_strategy']!r}, which is not in exit_strategies"
            )
    addresses = {w["address"] for w in log.wallets}
    for index, signal in enumerate(log.signals):
        if signal["wallet"] not in addresses:
            raise ReplayError(
                f"signals log: signals[{index}] is from {signal['wallet']}, which is not in wallets"
            )


def epoch_seconds(block_time: str | None) -> int | None:
    return None if block_time is None else int(datetime.fromisoformat(block_time).timestamp())


def batches(log: SignalsLog) -> Iterator[Batch]:
    """The signals back as the normalised transactions api.ingest_swaps takes, one per
    signature in chain order, each with the price tick of its leaders' swaps."""
    for signature, grouped in itertools.groupby(log.signals, key=lambda s: s["signature"]):
        signals = list(grouped)
        first = signals[0]
        traded = [s for s in signals if s["tx_error"] is None]
        prices = {s["token_mint"]: s["price_sol"] for s in traded if s["price_sol"] is not None}
        yield Batch(
            signature=signature,
            at=first.get("received_at") or first["block_time"],
            ticks=[{"mint": mint, "price_sol": price} for mint, price in prices.items()],
            transaction={
                "signature": signature,
                "slot": first["slot"],
                "timestamp": epoch_seconds(first["block_time"]),
                "source": first["source"],
                "tx_error": first["tx_error"],
                "accounts": list(dict.fromkeys(s["wallet"] for s in signals)),
                "swaps": [{field: s[field] for field in SWAP_FIELDS} for s in traded],
                # The signal's raw column must hold something; the payload is not replayed.
                "raw": {"signature": signature, "replayed": True},
            },
        )


def timeline(log: SignalsLog) -> list[Event]:
    """The log's events in the order they happened. A transaction is replayed when it was
    received, a batch of ticks when it was applied, pg_cron's every-minute jobs at each whole
    minute (the breaker's check resets it after its cooldown), a reset when the operator made
    it; at one time, transactions first, then ticks, then the minute's jobs, then resets (a
    delivery comes in, the prices of that moment are refreshed, the operator acts). Without a
    recorded price path (a version 1 log, or a database that never refreshed prices) each
    transaction is preceded by a tick at its leaders' prices instead."""
    recorded_path = bool(log.prices)
    keyed: list[tuple[datetime | None, int, int, Event]] = []
    for index, batch in enumerate(batches(log)):
        event = Event(
            at=batch.at,
            what=f"replaying transaction {batch.signature}",
            ticks=[] if recorded_path else batch.ticks,
            transaction=batch.transaction,
        )
        keyed.append((moment(batch.at), 0, index, event))
    for index, (applied_at, ticks) in enumerate(
        itertools.groupby(log.prices, key=lambda p: p["applied_at"])
    ):
        recorded = [
            {k: v for k, v in tick.items() if k in ("mint", "price_sol", "observed_at") and v}
            for tick in ticks
        ]
        keyed.append(
            (
                moment(applied_at),
                1,
                index,
                Event(applied_at, f"the ticks at {applied_at}", recorded),
            )
        )
    for index, restart in enumerate(log.restarts):
        at = restart["created_at"]
        what = f"{restart['actor']}'s breaker reset at {at}"
        keyed.append((moment(at), 3, index, Event(at, what, [], restart=restart)))
    for index, resume in enumerate(log.resumes, start=len(log.restarts)):
        at = resume["created_at"]
        what = f"{resume['actor']}'s resume of {resume['wallet']} at {at}"
        keyed.append((moment(at), 3, index, Event(at, what, [], resume=resume)))
    if any(key[0] is None for key in keyed):
        return [event for *_, event in keyed]  # no times: chain order
    times = [key[0] for key in keyed if key[0] is not None]
    for index, minute in enumerate(whole_minutes(min(times), max(times)) if times else []):
        at = minute.isoformat()
        keyed.append((minute, 2, index, Event(at, f"the jobs of {at}", [], minute_jobs=True)))
    return [event for *_, event in sorted(keyed, key=lambda key: key[:3])]


def whole_minutes(after: datetime, until: datetime) -> list[datetime]:
    """Each whole minute of the clock in (after, until]: when pg_cron runs its minute jobs."""
    minute = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    minutes = []
    while minute <= until:
        minutes.append(minute)
        minute += timedelta(minutes=1)
    return minutes


def moment(at: str | None) -> datetime | None:
    return None if at is None else datetime.fromisoformat(at)
