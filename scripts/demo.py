"""`make demo`: WallTrack at work from end to end, offline.

On a fresh local stack whose outside world is the market simulator (simulator/README.md),
the demo plays a scenario (default simulator/scenarios/demo.json): it makes the operator's
few setup moves in SQL, registers the Helius webhook through the helius-sync function, then
moves the scenario clock step by step. At each step the simulator delivers the leaders'
swaps to the helius-webhook function (which looks tokens up at the simulator's RugCheck,
DexScreener and DAS), and the demo runs the schedules itself: price-refresh (the simulator's
Jupiter prices) places the exits, execute-orders and confirm-orders trade the live wallet's,
notify sends the alerts. Every line it prints is read back from the database.

The scenario's time is the database's: the demo's session and every function call it makes
run at the step's scenario time (walltrack.set_clock, X-WallTrack-Clock), and the simulator
delivers each swap at its own. Nothing waits on the wall clock: a time exit fires at its
scenario minute, as fast as the machine plays.

With a real HELIUS_API_KEY in .env the demo plays nothing: it starts the stack serving the
functions for real and says where they are.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg

from scripts.replay_run import run_minute_jobs
from scripts.report import write_report
from scripts.stack_env import (
    REPO_ROOT,
    StackEnv,
    env_file_path,
    load_stack_env,
    read_env_file,
    run_stack,
)
from simulator.population import SEARCH_QUERY
from simulator.scenario import load_scenario

Db = psycopg.Connection[tuple[Any, ...]]
STEP_SECONDS = 10
# At this scenario second the live wallet's HODL leaves the trading key outside WallTrack
# (a drained wallet, a transfer by hand): reconciliation must catch it.
TOKENS_MOVED_AT = 220
STRANGER = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"
DISCOVERY_RUNS = 5  # each run spends at most config.discovery_credits_per_run
# The demo plays on after the scenario's last swap while a time exit is due within this
# much scenario time (it never waits for the default strategy's day-long one).
TIME_EXIT_HORIZON_SECONDS = 300
# What the local scheduler would call every step, in this order (py_functions/schedules.tsv):
# the exits first, then the live orders sent and confirmed, then the alerts.
STEP_SCHEDULES = ("price-refresh", "execute-orders", "confirm-orders", "notify")
# The operator acts half a second after a step's schedules: what those wrote is then in the
# past (a reconciliation reading the chain at the very instant of a fill would set it aside
# as possibly landed after its read).
OPERATOR_DELAY = Decimal("0.5")
OPERATOR = "demo-operator"
LOOK_FOR_YOURSELF = """    select * from walltrack.scoreboard;
    select * from walltrack.signals order by id;"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="simulator/scenarios/demo.json")
    parser.add_argument(
        "--pace", type=float, default=0.0, help="wall seconds per 10 s step (to watch it play)"
    )
    parser.add_argument("--report", default=None, help="HTML report path")
    return parser.parse_args()


def has_real_keys() -> bool:
    path = env_file_path()
    key = read_env_file(path).get("HELIUS_API_KEY", "") if path.exists() else ""
    return key not in ("", "simulator")


def cell(value: object) -> str:
    if value is None:
        return ""
    return f"{value:f}" if isinstance(value, Decimal) else str(value)  # 0, not 0E-9


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in header]] + [[cell(v) for v in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for index, row in enumerate(cells):
        print(
            "  " + "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True))
        )
        if index == 0:
            print("  " + "  ".join("-" * width for width in widths))


class Functions:
    """The functions, called through the gateway as the scheduler or an operator would, at
    the scenario's time (X-WallTrack-Clock: each forwards it with its database calls)."""

    def __init__(self, supabase_url: str) -> None:
        secret = read_env_file(env_file_path())["FUNCTIONS_SECRET"]
        self.client = httpx.Client(
            base_url=f"{supabase_url}/functions/v1/",
            headers={"Authorization": f"Bearer {secret}"},
            timeout=30,
        )
        self.clock: str | None = None

    def call(self, name: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {} if self.clock is None else {"X-WallTrack-Clock": self.clock}
        response = self.client.post(name, json=body or {}, headers=headers)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer


class Simulator:
    """The simulator's control API: the scenario clock moves only when told."""

    def __init__(self) -> None:
        values = read_env_file(env_file_path())
        base = values["RUGCHECK_BASE_URL"].removesuffix("/rugcheck/v1")
        self.client = httpx.Client(base_url=f"{base}/control/", timeout=60)

    def move_tokens(self, mint: str, amount: int, source: str, destination: str) -> None:
        """A transfer out of a wallet that WallTrack never made (demo.json's HODL)."""
        body = {"mint": mint, "amount": str(amount), "from": source, "to": destination}
        self.client.post("move_tokens", json=body).raise_for_status()

    def messages(self) -> list[dict[str, Any]]:
        """What the simulator's Telegram and Discord received, in order."""
        response = self.client.get("messages")
        response.raise_for_status()
        answer: list[dict[str, Any]] = response.json()
        return answer

    def epoch(self) -> int:
        """The unix time of the scenario's second 0."""
        response = self.client.get("state")
        response.raise_for_status()
        return int(response.json()["epoch"])

    def advance(self, to_seconds: int) -> dict[str, Any]:
        response = self.client.post("advance", json={"to_seconds": to_seconds})
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer


class ScenarioClock:
    """The database's clock at the scenario's time: set for the demo's own session (its SQL,
    as an operator's in Studio) and sent with each function call, step after step."""

    def __init__(self, db: Db, functions: Functions, epoch: int) -> None:
        self.db, self.functions, self.epoch = db, functions, epoch

    def move(self, t: Decimal | int) -> None:
        at = datetime.fromtimestamp(float(self.epoch + t), UTC).isoformat()
        self.db.execute("select walltrack.set_clock(%s, true)", (at,))
        self.functions.clock = at

    def whole_minutes(self, after: int, until: int) -> list[int]:
        """The scenario seconds in (after, until] at a whole minute of the clock."""
        return [t for t in range(after + 1, until + 1) if (self.epoch + t) % 60 == 0]


def scenario_end(scenario: Path) -> int:
    """One step past the last leader swap, so its consequences show."""
    last = max(int(swap["t"]) for swap in json.loads(scenario.read_text())["swaps"])
    return (last // STEP_SECONDS + 2) * STEP_SECONDS


def operator_setup(db: Db) -> None:
    """What an operator does in Studio before the start: a tighter breaker, a quick time-exit
    strategy, and one more wallet to follow with it."""
    db.execute(
        "update walltrack.config"
        " set breaker_max_consecutive_losses = 3, leader_max_consecutive_losses = 3"
    )
    db.execute(
        """
        insert into walltrack.exit_strategies (
          name, description, take_profit_levels, stop_loss_pct, time_exit_minutes,
          time_exit_max_pnl_pct, mirror_leader_sells
        ) values (
          'one-minute flat', 'Demo: out after one minute unless up 5 %%; -30 %% stop.',
          '[]', -30, 1, 5, true
        )
        """
    )
    db.execute(
        """
        insert into walltrack.wallets (address, label, notes, exit_strategy_id)
        select 'AYsPh8VtE4sRdQ7dPy56SaRnm9KyTKozLpJMciJG2J1u', 'sleepy-delta',
          'Added by the demo operator: buys tokens that never move.', s.id
        from walltrack.exit_strategies as s where s.name = 'one-minute flat'
        """
    )
    # Two wallets copied only when they agree: a consensus of two within five minutes.
    db.execute(
        """
        insert into walltrack.exit_strategies (
          name, description, take_profit_levels, stop_loss_pct, mirror_leader_sells,
          consensus_min_leaders, consensus_window_minutes, consensus_exit
        ) values (
          'two agree', 'Demo: copy a token once both twins bought it within 5 minutes; out'
          || ' with the first of them.', '[]', -30, true, 2, 5, 'first_out'
        )
        """
    )
    db.execute(
        """
        insert into walltrack.wallets (address, label, notes, exit_strategy_id)
        select v.address, v.label, 'Added by the demo operator: copied when both agree.', s.id
        from (values
          ('FMUEmtxhU46GzhKF4FW9MLJdQWiLgjiXP9TYRWSrqTpV', 'twin-a'),
          ('6TcyBfPdBt1kjsvDZLzmBFnuMaLWiTaAt4RjUr9VA5YD', 'twin-b')
        ) as v (address, label)
        cross join walltrack.exit_strategies as s where s.name = 'two agree'
        """
    )
    # Live: real transactions, signed with the stack's throwaway key (WALLTRACK_KEYPAIR),
    # sent to the simulator's chain.
    db.execute("update walltrack.config set live_trading_enabled = true")
    db.execute(
        """
        insert into walltrack.wallets (address, label, notes, mode, position_size_sol)
        values ('Erwu3a3iFCmJDUMnnoReHGVGVR2qXiVHc88gGJZepn97', 'live-epsilon',
          'Added by the demo operator: copied with real transactions.', 'live', 0.05)
        """
    )
    print("Operator setup (SQL, as in Studio's editor):")
    print("  config.breaker_max_consecutive_losses = 3, leader_max_consecutive_losses = 3")
    print("  new exit strategy 'one-minute flat' (time exit after 1 minute unless up 5 %)")
    print("  new wallet sleepy-delta following it")
    print("  new exit strategy 'two agree' (a consensus of 2 within 5 minutes, out with the first)")
    print("  new wallets twin-a and twin-b following it")
    print("  config.live_trading_enabled = true, new live wallet live-epsilon (0.05 SOL a copy)")


def discover(db: Db, functions: Functions, labels: dict[str, str]) -> None:
    """The operator looks for wallets worth copying: wallet-discovery reads the tokens that did
    well and their buyers' histories (a few runs: each spends its credit budget), the ranking
    is read from walltrack.candidate_ranking, and the top one is promoted by one edit."""
    db.execute(
        "update walltrack.config"
        " set discovery_search_queries = %s, discovery_fresh_wallet_days = 1",
        ([SEARCH_QUERY],),
    )
    print("\nWallet discovery (the operator sets config.discovery_search_queries = {moon},")
    print("  discovery_fresh_wallet_days = 1: the scenario's market, and all in it, is days old)")
    for run in range(1, DISCOVERY_RUNS + 1):
        answer = functions.call("wallet-discovery")
        print(
            f"  wallet-discovery run {run}: {len(answer['winners'])} winner(s),"
            f" {answer['new_candidates']} new candidate(s), {answer['candidate_pages']} history"
            f" page(s) of candidates, {answer['credits_spent']} credits"
        )
        if not answer["left"]:
            break
    rows = db.execute(
        """
        select rank, address, source, trade_count, win_rate_pct, realized_pnl_sol,
          expectancy_after_decay_pct, array_to_string(flag_names, ' '), id
        from walltrack.candidate_ranking where rank is not null order by rank
        """
    ).fetchall()
    print_table(
        "Candidates (walltrack.candidate_ranking; 'who' is the scenario's label, unknown to"
        " WallTrack)",
        ["rank", "who", "found as", "trades", "win %", "PnL SOL", "exp. after decay %", "flags"],
        [(r[0], labels.get(r[1], r[1][:8]), *r[2:8]) for r in rows],
    )
    top = rows[0]
    db.execute(
        "update walltrack.discovery_candidates set status = 'promoted', promoted_by = %s"
        " where id = %s",
        (OPERATOR, top[8]),
    )
    wallet = db.execute(
        """
        select label, mode, baseline_trade_count, baseline_win_rate_pct, baseline_pnl_sol,
          baseline_period_days
        from walltrack.wallets where address = %s
        """,
        (top[1],),
    ).fetchone()
    if wallet is None:
        raise SystemExit("demo: the promotion made no wallet: see walltrack.discovery_candidates")
    label, mode, trades, win_rate, pnl, days = wallet
    print(
        f"  promoted rank 1 ({labels.get(top[1], top[1])}) by one edit: wallet '{label}',"
        f" {mode} mode, baseline measured from its history: {trades} trades, {win_rate} % won,"
        f" {pnl:+} SOL over {days} days"
    )


class Progress:
    """Prints what the database recorded since the last step: decisions, exits and closes,
    breaker events. Each is read from its read model (supabase/schemas/16_read_models.sql)."""

    def __init__(self, db: Db) -> None:
        self.db = db
        self.seen = {
            "signals": 0,
            "orders": 0,
            "circuit_breaker_events": 0,
            "leader_pause_events": 0,
        }
        self.closed: set[int] = set()
        self.landed: set[int] = set()

    def newer(self, table: str, query: str) -> list[tuple[Any, ...]]:
        rows = self.db.execute(query, (self.seen[table],)).fetchall()
        if rows:
            self.seen[table] = max(int(row[0]) for row in rows)
        return rows

    def new_closes(self) -> list[tuple[Any, ...]]:
        rows = self.db.execute(
            """
            select id, wallet_label, token_symbol, close_reason, realized_pnl_sol
            from walltrack.position_list
            where status = 'closed' and id <> all(%s) order by closed_at, id
            """,
            (list(self.closed),),
        ).fetchall()
        self.closed.update(int(row[0]) for row in rows)
        return [row[1:] for row in rows]

    def new_live_fills(self) -> list[tuple[Any, ...]]:
        rows = self.db.execute(
            """
            select id, wallet_label, token_symbol, side, reason, tx_signature, filled_in,
              filled_out, realized_slippage_bps, attempts
            from walltrack.order_list
            where mode = 'live' and status = 'confirmed' and tx_signature is not null
              and id <> all(%s)
            order by confirmed_at, id
            """,
            (list(self.landed),),
        ).fetchall()
        self.landed.update(int(row[0]) for row in rows)
        return [row[1:] for row in rows]

    def report(self, t: int) -> None:
        for _, label, side, symbol, mint, decision, reason, found_by, agreed in self.newer(
            "signals",
            """
            select l.id, l.wallet_label, l.side, l.token_symbol, l.token_mint, l.decision,
              l.decision_reason, l.found_by, (
                select string_agg(w.label, ' + ' order by w.label)
                from jsonb_array_elements(s.consensus -> 'leaders') as c
                inner join walltrack.wallets as w on w.id = (c.value ->> 'wallet_id')::bigint
              )
            from walltrack.signal_list as l
            inner join walltrack.signals as s on s.id = l.id
            where l.id > %s order by l.id
            """,
        ):
            token = mint[:6] if symbol is None else symbol  # not looked up yet: its mint
            late = ", found by backfill" if found_by == "backfill" else ""
            group = f", leaders so far: {agreed}" if agreed else ""
            if agreed and decision == "copied":
                group = f", a consensus of {agreed}"
            print(
                f"  t={t:>3}s  {label:<12} {side:<4} {token:<5} -> {decision}"
                f" ({reason}{late}{group})"
            )
        for _, label, symbol, reason, level, status in self.newer(
            "orders",
            """
            select id, wallet_label, token_symbol, reason, take_profit_level, status
            from walltrack.order_list where id > %s and is_exit order by id
            """,
        ):
            what = f"{reason} level {level}" if level is not None else reason
            print(f"  t={t:>3}s  {label:<12} exit {symbol:<5} -> {what} ({status})")
        for (
            label,
            symbol,
            side,
            reason,
            signature,
            paid,
            got,
            slippage,
            tries,
        ) in self.new_live_fills():
            print(
                f"  t={t:>3}s  {label:<12} live {side} {symbol:<5} ({reason}) confirmed on chain:"
                f" {str(signature)[:12]}..., {paid} in, {got} out, slippage {slippage} bps,"
                f" attempt {tries}"
            )
        for label, symbol, reason, pnl in self.new_closes():
            print(f"  t={t:>3}s  {label:<12} {symbol:<5} closed by {reason}: {pnl:+} SOL")
        for _, event, trigger, observed, threshold, actor in self.newer(
            "circuit_breaker_events",
            """
            select id, event_type, trigger, observed, threshold, actor
            from walltrack.breaker_event_log where id > %s order by id
            """,
        ):
            print(
                f"  t={t:>3}s  CIRCUIT BREAKER {str(event).upper()} ({trigger}"
                + (f": {observed} vs threshold {threshold}" if observed is not None else "")
                + f", by {actor})"
            )
        for _, label, event, trigger, observed, threshold, actor in self.newer(
            "leader_pause_events",
            """
            select id, wallet_label, event_type, trigger, observed, threshold, actor
            from walltrack.leader_pause_log where id > %s order by id
            """,
        ):
            print(
                f"  t={t:>3}s  {label:<12} LEADER {str(event).upper()} ({trigger}"
                + (f": {observed} vs threshold {threshold}" if observed is not None else "")
                + f", by {actor}; its exits still run)"
            )


def breaker_refused_a_buy(db: Db) -> bool:
    row = db.execute(
        """
        select (walltrack.breaker_state() ->> 'active')::boolean
          and exists (select from walltrack.breaker_refusals)
        """
    ).fetchone()
    return bool(row and row[0])


def play(
    db: Db,
    functions: Functions,
    simulator: Simulator,
    clock: ScenarioClock,
    pace: float,
    end_t: int,
) -> Progress:
    """Moves the scenario clock 10 s at a time, and the database's with it: the simulator
    delivers the swaps due (each at its own second), then the step's schedules run at the
    step's second. After them the operator acts, as from Studio: once the breaker has refused
    a buy they review and reset it. A step after the scenario's swaps, the operator reads
    every wallet's history; the demo then plays on while a time exit is due soon."""
    progress = Progress(db)
    recover_t = end_t + STEP_SECONDS
    t = 0
    while t < recover_t or (time_exit_due(db) and t < recover_t + TIME_EXIT_HORIZON_SECONDS):
        t += STEP_SECONDS
        started = time.monotonic()
        # A whole minute within the step: the swaps until then, then that minute's jobs.
        minutes = clock.whole_minutes(t - STEP_SECONDS, t)
        for minute in [m for m in minutes if m < t]:
            report_dropped(db, simulator.advance(minute)["deliveries"], t)
            clock.move(minute)
            run_minute_jobs(db)
        report_dropped(db, simulator.advance(t)["deliveries"], t)
        clock.move(t)
        if t == recover_t:
            recover_missed(functions)
        for name in STEP_SCHEDULES:
            functions.call(name)
        if t in minutes:
            run_minute_jobs(db)
        progress.report(t)
        clock.move(t + OPERATOR_DELAY)
        if t == TOKENS_MOVED_AT:
            move_tokens_away(db, functions, simulator)
        if breaker_refused_a_buy(db):
            db.execute(
                "select api.reset_circuit_breaker(%s, %s)",
                (OPERATOR, "three small stop losses in a row: reviewed, resuming"),
            )
            progress.report(t)
        time.sleep(max(0.0, pace - (time.monotonic() - started)))
    return progress


@contextmanager
def wall_clock_jobs_paused(db: Db) -> Iterator[None]:
    """pg_cron runs the database's jobs at the wall clock's time, which the scenario's is not:
    while the demo plays they are paused (it runs the minute's jobs itself at each whole
    minute of the scenario's clock, as a replay does), and they resume when it ends."""
    db.execute("update cron.job set active = false where jobname like 'walltrack-%'")
    try:
        yield
    finally:
        db.execute("update cron.job set active = true where jobname like 'walltrack-%'")


def report_dropped(db: Db, deliveries: list[dict[str, Any]], t: int) -> None:
    for lost in dropped(deliveries):
        label, symbol = db.execute(
            "select (select label from walltrack.wallets where address = %s),"
            " (select symbol from walltrack.tokens where mint = %s)",
            (lost["wallet"], lost["mint"]),
        ).fetchone() or (None, None)
        print(
            f"  t={t:>3}s  {label:<12} {lost['side']:<4} {symbol or lost['mint'][:6]:<5}"
            " -> never delivered (a Helius webhook outage)"
        )


def time_exit_due(db: Db) -> bool:
    """An open position's time exit falls within the horizon (scenario time)."""
    row = db.execute(
        """
        select exists (
          select from walltrack.position_list
          where status in ('open', 'closing')
            and opened_at + time_exit_minutes * interval '1 minute'
              <= walltrack.clock() + %s * interval '1 second'
        )
        """,
        (TIME_EXIT_HORIZON_SECONDS,),
    ).fetchone()
    return bool(row and row[0])


def move_tokens_away(db: Db, functions: Functions, simulator: Simulator) -> None:
    """Reconciliation first finds the chain and the database agreeing; then HODL leaves the
    trading key behind WallTrack's back, and the next reconciliation records the phantom,
    which holds new live buys of HODL until an operator resolves it."""
    agreed = functions.call("reconcile-wallet")
    row = db.execute(
        "select token_mint, filled_out from walltrack.order_list where token_symbol = 'HODL'"
        " and mode = 'live' and side = 'buy' and status = 'confirmed'"
    ).fetchone()
    if row is None:
        raise SystemExit("demo: the live HODL copy has not filled by t=220: the scenario changed?")
    mint, amount = row
    print(f"  reconcile-wallet: {agreed['matched']} token(s) match the chain")
    simulator.move_tokens(mint, int(amount), agreed["owner"], STRANGER)
    print(f"  t={TOKENS_MOVED_AT}s  HODL moved out of the trading key outside WallTrack")
    found = functions.call("reconcile-wallet")
    for finding in found["findings"]:
        print(
            f"  reconcile-wallet: {finding['kind']}"
            f" {'HODL' if finding['token_mint'] == mint else finding['token_mint'][:6]}"
            f": database {finding['db_amount']}, chain {finding['chain_amount']}"
            " (new live buys of it held until an operator resolves it)"
        )


def resolve_findings(db: Db) -> None:
    """The operator looks at the findings (walltrack.chain_finding_list) and resolves them
    with a note, as from Studio."""
    rows = db.execute(
        "select id, token_symbol, kind, db_amount, chain_amount from walltrack.chain_finding_list"
        " order by id"
    ).fetchall()
    print_table(
        "Chain findings (walltrack.chain_finding_list)",
        ["#", "token", "kind", "database", "chain"],
        rows,
    )
    for finding_id, *_ in rows:
        db.execute(
            "select api.resolve_chain_finding(%s, %s, %s)",
            (finding_id, OPERATOR, "moved out by hand to cold storage: written off, resuming"),
        )
    if rows:
        print(f"  resolved by {OPERATOR} with a note: live buys of those tokens resume")


def dropped(deliveries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The swaps the simulator's outage kept from the webhook (demo.json's outage fault)."""
    return [d for d in deliveries if str(d.get("skipped", "")).startswith("delivery outage")]


def recover_missed(functions: Functions) -> None:
    """The operator reads every wallet's parsed history on demand (the schedule would, within
    config.backfill_interval_minutes): what the webhook missed is stored and decided late."""
    answer = functions.call("helius-backfill", {"every_wallet": True})
    print(
        f"  helius-backfill on demand: {answer['pages']} history pages read, "
        f"{answer['new_signals']} swap(s) the webhook never delivered"
    )


def delivery_health(db: Db) -> None:
    print_table(
        "Delivery health (walltrack.delivery_health)",
        ["wallet", "by webhook", "by backfill", "backfill %", "flagged"],
        db.execute(
            """
            select label, swaps_by_webhook, swaps_by_backfill, backfill_share_pct, flagged
            from walltrack.delivery_health where swaps_by_webhook + swaps_by_backfill > 0
            order by wallet_id
            """
        ).fetchall(),
    )


def remeasure_baselines(db: Db) -> None:
    """The nightly schedule's job, run now: promoted wallets' baselines measured again from
    the trades WallTrack saw them make (the scoreboard then compares against those)."""
    db.execute("select walltrack.remeasure_baselines()")
    for label, trades, win_rate, pnl in db.execute(
        """
        select w.label, w.baseline_trade_count, w.baseline_win_rate_pct, w.baseline_pnl_sol
        from walltrack.wallets as w
        where exists (select from walltrack.discovery_candidates as d where d.wallet_id = w.id)
        order by w.id
        """
    ):
        print(
            f"\nBaseline of '{label}' re-measured from its signals (walltrack.remeasure_baselines):"
            f" {trades} trade(s), {win_rate} % won, {pnl:+} SOL"
        )


def show_alerts(functions: Functions, simulator: Simulator) -> None:
    """The alerts the operator's phone got: notify drains what is left, then each message the
    simulator's Telegram and Discord received is listed once, with where it arrived."""
    functions.call("notify")
    channels: dict[str, list[str]] = {}
    for message in simulator.messages():
        channels.setdefault(message["text"], []).append(message["channel"])
    print("\nAlerts sent by notify (received by the simulator's Telegram and Discord):")
    for text, where in channels.items():
        print(f"  [{' + '.join(where)}] {text}")


def summary(db: Db) -> None:
    db.execute("select api.refresh_performance()")
    print_table(
        "Scoreboard, all time (walltrack.scoreboard)",
        [
            "wallet",
            "trades",
            "win %",
            "baseline %",
            "realized SOL",
            "profit factor",
            "max DD SOL",
            "copy decay pts",
            "signals",
            "copied %",
            "paused by",
        ],
        db.execute(
            """
            select label, trades, win_rate_pct, baseline_win_rate_pct, realized_pnl_sol,
              profit_factor, max_drawdown_sol, copy_decay_pct, signals_seen, copied_pct,
              paused_by
            from walltrack.scoreboard where time_window = 'all'
            """
        ).fetchall(),
    )
    print_table(
        "Positions (walltrack.position_list)",
        [
            "#",
            "wallet",
            "token",
            "status",
            "closed by",
            "cost SOL",
            "proceeds SOL",
            "realized SOL",
            "unrealized SOL",
        ],
        db.execute(
            """
            select id, wallet_label, token_symbol, status, close_reason, cost_basis_sol,
              proceeds_sol, realized_pnl_sol, unrealized_pnl_sol
            from walltrack.position_list order by id
            """
        ).fetchall(),
    )
    print_table(
        "Orders by reason (walltrack.orders_by_reason)",
        ["side", "reason", "orders", "confirmed"],
        db.execute(
            "select side, reason, orders, confirmed from walltrack.orders_by_reason"
            " order by side, reason"
        ).fetchall(),
    )
    print_table(
        "Circuit breaker events (walltrack.breaker_event_log)",
        ["#", "event", "trigger", "observed", "threshold", "by", "note"],
        db.execute(
            """
            select id, event_type, trigger, observed, threshold, actor, note
            from walltrack.breaker_event_log order by id
            """
        ).fetchall(),
    )
    total = db.execute("select realized_pnl_sol from walltrack.pnl_totals").fetchone()
    print(f"\nRealized PnL, all positions: {Decimal(total[0] if total else 0):+} SOL")


def show_access(stack_env: StackEnv, report: Path) -> None:
    print(f"\nHTML report: {report}")
    print("\nEverything above is in the database; look for yourself:")
    # The URL holds the database password: read from the env file, not shown.
    print(f"  psql \"$(sed -n 's/^DATABASE_URL=//p' {env_file_path()})\"")
    print(LOOK_FOR_YOURSELF)
    print(
        f"""  gateway   {stack_env.supabase_url}  (/rest/v1/, /functions/v1/<name>)
  keys      {env_file_path()}
  simulator its control API at /control/state (its port: RUGCHECK_BASE_URL in the keys file)
  command   .venv/bin/walltrack status    (and wallets, candidates, report: --help)
  stop it   make down    (the next `make demo` starts again from an empty database)"""
    )


def serve_for_real() -> None:
    run_stack("up")
    stack_env = load_stack_env()
    print(
        f"""
HELIUS_API_KEY is set in {env_file_path()}: the functions serve for real, nothing is simulated.
  Helius posts to HELIUS_WEBHOOK_URL (a public URL forwarding to
  {stack_env.supabase_url}/functions/v1/helius-webhook); helius-sync registers it.
  The scheduler calls helius-sync, token-lookup and price-refresh (py_functions/schedules.tsv).
  Stop: make down"""
    )


def main() -> None:
    args = parse_args()
    if has_real_keys():
        serve_for_real()
        return
    print(f"Starting a fresh local stack with the market simulator playing {args.scenario}")
    # No scheduler: the demo runs the schedules itself, at the scenario's time.
    stack = {"STACK_SIMULATOR": args.scenario, "STACK_SCHEDULER": "0"}
    run_stack("reset", stack)
    run_stack("up", stack)
    stack_env = load_stack_env()
    functions, simulator = Functions(stack_env.supabase_url), Simulator()
    with psycopg.connect(stack_env.database_url, autocommit=True) as db:
        clock = ScenarioClock(db, functions, simulator.epoch())
        clock.move(0)
        with wall_clock_jobs_paused(db):
            operator_setup(db)
            labels = {w.address: w.label for w in load_scenario(args.scenario).wallets}
            discover(db, functions, labels)
            sync = functions.call("helius-sync")
            print(f"helius-sync: {sync.get('action')} (the simulator delivers to helius-webhook)")
            print("\nThe scenario, 10 s of scenario time per step (the database's clock follows):")
            play(db, functions, simulator, clock, args.pace, scenario_end(Path(args.scenario)))
            delivery_health(db)
            resolve_findings(db)
            remeasure_baselines(db)
            show_alerts(functions, simulator)
            summary(db)
            report = write_report(db, Path(args.report or REPO_ROOT / ".local/demo-report.html"))
    show_access(stack_env, report)


if __name__ == "__main__":
    main()
