"""What-if replay: export a database's signals log, replay it with another exit strategy or
other filters, and print both results side by side.

    python -m scripts.replay export --out log.json [--database-url URL]
    python -m scripts.replay run log.json [--exit-strategy NAME] [--set KEY=VALUE]...
                                          [--exit-rule STRATEGY:RULE=VALUE]...
                                          [--wallet LABEL=off]...

`run` replays on a throwaway stack of its own (.local/replay), brought up from scratch when
it is down or lacks a migration, and left up for the next replay:
`STACK_DIR=.local/replay scripts/stack.sh down` (or `make clean`) stops it. Each swap is
replayed at the time it was received, each recorded price tick when it was applied, each
operator's breaker reset when it was made (the database's clock, walltrack.set_clock); the
replay as recorded is checked against the recorded outcome.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import psycopg

from scripts.replay_log import (
    ReplayError,
    SignalsLog,
    batches,
    export_log,
    read_log,
    write_log,
)
from scripts.replay_run import Changes, Figures, Result, check_changes, replay
from scripts.stack_env import REPO_ROOT, load_stack_env, read_env_file, run_stack

REPLAY_STACK = {
    "STACK_DIR": ".local/replay",
    "PG_PORT": "58322",
    "GATEWAY_PORT": "58321",
    "PGRST_PORT": "58329",
    "FUNCTIONS_PORT_BASE": "58340",
    "ENV_FILE": ".local/replay/env",
    "STACK_FAST": "1",
    "STACK_SCHEDULER": "0",
    "STACK_SIMULATOR": "0",
}

LIMITS = (
    "Each swap is replayed at the time it was received, each recorded price tick when it was "
    "applied and each operator's breaker reset when it was made: exits, staleness and the "
    "breaker's windows and cooldown follow the recorded clock (a log without a price path "
    "ticks at the leaders' prices instead). Every wallet trades in simulation: a live "
    "wallet's fills and chain findings were the chain's, so its results are estimates."
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.replay",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="write a database's signals log to a file")
    export.add_argument("--out", type=Path, required=True, help="the JSON file to write")
    export.add_argument("--database-url", help="default: the local stack's ($ENV_FILE or .env)")
    run = commands.add_parser("run", help="replay a log as recorded and with the changes")
    run.add_argument("log", type=Path, help="a file written by `export`")
    run.add_argument("--exit-strategy", metavar="NAME", help="every wallet uses this strategy")
    run.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="a walltrack.config column (VALUE null for empty), e.g. min_liquidity_usd=50000",
    )
    run.add_argument(
        "--exit-rule",
        metavar="STRATEGY:RULE=VALUE",
        action="append",
        default=[],
        help="one rule of one exit strategy (null for empty), e.g. 'scalper:stop_loss_pct=-20'",
    )
    run.add_argument(
        "--wallet", metavar="LABEL=off", action="append", default=[], help="do not copy it"
    )
    return parser.parse_args(argv)


def key_value(option: str, text: str) -> tuple[str, str]:
    key, equals, value = text.partition("=")
    if not equals or not key:
        raise ReplayError(f"{option} {text}: expected KEY=VALUE")
    return key, value


def changes_from(args: argparse.Namespace) -> Changes:
    config = dict(key_value("--set", text) for text in args.set)
    wallets = dict(key_value("--wallet", text) for text in args.wallet)
    for label, state in wallets.items():
        if state != "off":
            raise ReplayError(f"--wallet {label}={state}: only LABEL=off is supported")
    rules: dict[str, dict[str, str | None]] = {}
    for text in args.exit_rule:
        target, value = key_value("--exit-rule", text)
        strategy, colon, rule = target.rpartition(":")
        if not colon or not strategy or not rule:
            raise ReplayError(f"--exit-rule {text}: expected STRATEGY:RULE=VALUE")
        rules.setdefault(strategy, {})[rule] = None if value == "null" else value
    return Changes(
        config={key: None if value == "null" else value for key, value in config.items()},
        exit_strategy=args.exit_strategy,
        wallets_off=frozenset(wallets),
        exit_rules=rules,
    )


def export_command(out: Path, database_url: str | None) -> None:
    url = database_url or load_stack_env().database_url
    with psycopg.connect(url) as connection:
        # One read-only snapshot: every section of the log sees the same moment.
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        connection.read_only = True
        log = export_log(connection)
    write_log(log, out)
    print(
        f"wrote {out}: {len(log.signals)} signals of {len(log.wallets)} wallets, "
        f"{len(log.tokens)} tokens, {len(log.exit_strategies)} exit strategies, "
        f"{len(log.prices)} price ticks, {len(log.restarts)} breaker resets"
    )


def replay_database_url() -> str:
    return read_env_file(REPO_ROOT / REPLAY_STACK["ENV_FILE"])["DATABASE_URL"]


def replay_stack_is_current() -> bool:
    """Up, and holding every migration on disk (an older stack would replay older rules)."""
    try:
        run_stack("status", REPLAY_STACK, quiet=True)
        with psycopg.connect(replay_database_url()) as connection:
            applied = {
                version
                for (version,) in connection.execute(
                    "select version from supabase_migrations.schema_migrations"
                )
            }
    except (subprocess.CalledProcessError, psycopg.Error, OSError, KeyError):
        return False
    migrations = (REPO_ROOT / "supabase/migrations").glob("*.sql")
    return {path.name.partition("_")[0] for path in migrations} <= applied


def ensure_replay_stack() -> str:
    if not replay_stack_is_current():
        print(f"replay: starting a fresh stack in {REPLAY_STACK['STACK_DIR']}", file=sys.stderr)
        run_stack("reset", REPLAY_STACK, quiet=True)
        run_stack("up", REPLAY_STACK, quiet=True)
    return replay_database_url()


def run_command(path: Path, changes: Changes) -> None:
    log = read_log(path)
    check_changes(log, changes)
    with psycopg.connect(ensure_replay_stack()) as connection:
        # The what-if first: a --set value the database refuses stops the command before
        # any result is computed for nothing.
        what_if = replay(connection, log, changes)
        baseline = replay(connection, log, Changes())
    print(report(log, changes, baseline, what_if))
    print(
        f"\nThe replay stack stays up for the next replay: "
        f"STACK_DIR={REPLAY_STACK['STACK_DIR']} scripts/stack.sh down (or make clean) stops it."
    )


def cell(value: object) -> str:
    if value is None:
        return "-"
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def change(baseline: object, what_if: object) -> str:
    if not isinstance(baseline, int | Decimal) or not isinstance(what_if, int | Decimal):
        return ""
    difference = what_if - baseline
    if difference == 0:
        return ""
    return f"+{cell(difference)}" if difference > 0 else cell(difference)


def figure_rows(baseline: Figures, what_if: Figures) -> list[tuple[str, object, object]]:
    rows: list[tuple[str, object, object]] = [
        ("trades", baseline.trades, what_if.trades),
        ("wins", baseline.wins, what_if.wins),
        ("win rate %", baseline.win_rate_pct, what_if.win_rate_pct),
        ("realized PnL SOL", baseline.realized_pnl_sol, what_if.realized_pnl_sol),
        ("max drawdown SOL", baseline.max_drawdown_sol, what_if.max_drawdown_sol),
        ("profit factor", baseline.profit_factor, what_if.profit_factor),
        ("open at the end", baseline.open_at_end, what_if.open_at_end),
        ("copied", baseline.copied, what_if.copied),
        ("skipped", baseline.skipped, what_if.skipped),
    ]
    for reason in sorted(baseline.skips.keys() | what_if.skips.keys()):
        rows.append((f"  {reason}", baseline.skips.get(reason, 0), what_if.skips.get(reason, 0)))
    for reason in sorted(baseline.exits.keys() | what_if.exits.keys()):
        rows.append(
            (f"exits: {reason}", baseline.exits.get(reason, 0), what_if.exits.get(reason, 0))
        )
    return rows


def aligned(table: list[tuple[str, str, str, str]]) -> list[str]:
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    return [
        "  ".join([row[0].ljust(widths[0])] + [row[i].rjust(widths[i]) for i in (1, 2, 3)])
        for row in table
    ]


def breaker_line(result: Result) -> str:
    return f"tripped on {result.breaker_trip}" if result.breaker_trip else "never tripped"


def report(log: SignalsLog, changes: Changes, baseline: Result, what_if: Result) -> str:
    labels = {w["address"]: w["label"] or "(no label)" for w in log.wallets}
    sections = [
        (f"{labels[address]} ({address[:6]}…)", figures, what_if.wallets[address])
        for address, figures in baseline.wallets.items()
    ] + [("all wallets", baseline.total, what_if.total)]
    table = [("", "baseline", "what-if", "change")]
    for title, before, after in sections:
        table.append((title, "", "", ""))
        table += [
            (f"  {name}", cell(b), cell(a), change(b, a))
            for name, b, a in figure_rows(before, after)
        ]
    return "\n".join(
        line.rstrip()
        for line in [
            f"Replayed {len(log.signals)} signals ({sum(1 for _ in batches(log))} transactions) "
            f"of {len(log.wallets)} wallets.",
            f"What-if: {' '.join(changes.describe()) or 'nothing changed'}",
            textwrap.fill(LIMITS, width=100),
            "",
            *aligned(table),
            "",
            f"Circuit breaker: baseline {breaker_line(baseline)}; what-if {breaker_line(what_if)}.",
            *fidelity_lines(log, baseline),
        ]
    )


def fidelity_lines(log: SignalsLog, baseline: Result) -> list[str]:
    """Whether the baseline (the log replayed as recorded) reproduced the recorded outcome."""
    differences = baseline.differences
    if differences is None:
        return ["The log holds no recorded outcome (version 1): the baseline is not checked."]
    live = sum(1 for w in log.wallets if w["mode"] == "live")
    scope = f" (live wallets left out: {live})" if live else ""
    if not differences:
        return [
            "The baseline reproduces the recorded outcome exactly: every decision, position "
            f"and breaker event{scope}."
        ]
    why = (
        ""
        if log.prices
        else " (the log holds no price path: the baseline ticked at the leaders' prices)"
    )
    return [
        f"The baseline differs from the recorded outcome in {len(differences)} place(s)"
        f"{scope}{why}:",
        *(f"  {line}" for line in differences[:20]),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.command == "export":
            export_command(args.out, args.database_url)
        else:
            run_command(args.log, changes_from(args))
    except ReplayError as error:
        print(f"replay: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
