"""`make demo`: show what the freshly started local stack holds and how to reach it.

Until the market simulator lands, the demo is a guided look at the foundation: the
configuration, the exit strategy catalog and the watchlist, read through the same gateway
the functions use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import psycopg
from supabase import ClientOptions, create_client

from scripts.stack_env import StackEnv, load_stack_env


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in header]] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for index, row in enumerate(cells):
        padded = (value.ljust(width) for value, width in zip(row, widths, strict=True))
        print("  " + "  ".join(padded))
        if index == 0:
            print("  " + "  ".join("-" * width for width in widths))


def show_overview(stack: StackEnv) -> None:
    client = create_client(
        stack.supabase_url, stack.service_role_key, options=ClientOptions(schema="api")
    )
    overview = cast(dict[str, Any], client.rpc("overview").execute().data)
    print_table(
        "api.overview() through the gateway (service_role key)",
        ["what", "value"],
        sorted(overview.items()),
    )


def show_tables(connection: psycopg.Connection[tuple[Any, ...]]) -> None:
    print_table(
        "walltrack.wallets (the watchlist)",
        ["label", "address", "status", "mode", "exit strategy", "baseline win %"],
        connection.execute(
            """
            select w.label, w.address, w.status, w.mode,
                   coalesce(s.name, '(default)'), w.baseline_win_rate_pct
            from walltrack.wallets as w
            left join walltrack.exit_strategies as s on s.id = w.exit_strategy_id
            order by w.id
            """
        ).fetchall(),
    )
    print_table(
        "walltrack.exit_strategies (the catalog)",
        ["name", "default", "take-profit ladder", "stop %", "trail (arm/dist %)", "time min"],
        connection.execute(
            """
            select name, is_default, take_profit_levels, stop_loss_pct,
                   trailing_activation_pct || ' / ' || trailing_distance_pct, time_exit_minutes
            from walltrack.exit_strategies
            order by id
            """
        ).fetchall(),
    )
    print_table(
        "walltrack.config (the singleton, highlights)",
        ["setting", "value"],
        connection.execute(
            """
            select key, value from walltrack.config as c,
              jsonb_each_text(to_jsonb(c)) as e(key, value)
            where key in ('trading_enabled', 'live_trading_enabled', 'sizing_mode',
              'fixed_amount_sol', 'max_open_positions', 'max_total_exposure_sol',
              'unknown_token_policy', 'breaker_max_daily_loss_sol', 'breaker_max_drawdown_pct')
            order by key
            """
        ).fetchall(),
    )


def show_access(stack: StackEnv) -> None:
    print(
        f"""
How to reach it
  gateway     {stack.supabase_url}  (/rest/v1/ -> PostgREST, /functions/v1/<name> -> functions)
  database    {stack.database_url}
              psql "{stack.database_url}"
  keys        SUPABASE_ANON_KEY and SUPABASE_SERVICE_ROLE_KEY in .env (anon reaches nothing)
  python      create_client(SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY,
                            options=ClientOptions(schema="api")).rpc("overview").execute()
  stop it     make down"""
    )


def main() -> None:
    stack = load_stack_env()
    show_overview(stack)
    with psycopg.connect(stack.database_url) as connection:
        show_tables(connection)
    show_access(stack)


if __name__ == "__main__":
    main()
