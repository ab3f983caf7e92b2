"""`make demo`: show the local stack at work and how to reach it.

Until the market simulator lands, the demo shows the configuration, the exit strategy
catalog and the watchlist, then posts two leader swaps to the real helius-webhook function
through the gateway, as Helius would, and shows what WallTrack did with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import httpx
import psycopg
from supabase import ClientOptions, create_client

from scripts.stack_env import REPO_ROOT, StackEnv, load_stack_env, read_env_file
from tests.py.helius_factory import new_mint, swap_transaction


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


def demo_token_facts(mint: str) -> dict[str, Any]:
    """What the sources say of a healthy token: authorities revoked, deep and old pool."""
    return {
        "mint": mint,
        "failed_sources": [],
        "rugcheck": {
            "score": 300,
            "score_normalised": 6,
            "risks": [],
            "rugged": False,
            "top10_holders_pct": "18.5",
            "lp_locked_pct": "100",
            "mint_authority": None,
            "freeze_authority": None,
        },
        "dexscreener": {
            "pair_address": mint,
            "dex_id": "raydium",
            "liquidity_usd": "420000",
            "market_cap_usd": "3100000",
            "fdv_usd": "3100000",
            "price_usd": "0.0775",
            "price_sol": "0.0005",
            "pair_created_at": "2026-11-01T00:00:00Z",
        },
        "das": {
            "decimals": 6,
            "supply": "40000000000000",
            "mint_authority": None,
            "freeze_authority": None,
            "name": "Demo Token",
            "symbol": "DEMO",
        },
    }


def replay_leader_swaps(stack: StackEnv, connection: psycopg.Connection[tuple[Any, ...]]) -> None:
    """whale-alpha buys a token for 1 SOL, then sells it all for 1.5 SOL: WallTrack copies
    the buy with 0.1 SOL and mirrors the sale, in simulation."""
    row = connection.execute(
        "select address from walltrack.wallets where label = 'whale-alpha'"
    ).fetchone()
    if row is None:
        raise SystemExit("the seeded wallet whale-alpha is missing: run `make clean && make demo`")
    wallet, mint = str(row[0]), new_mint()
    # Offline there is no RugCheck or DexScreener: the demo stores the facts they would
    # have given, through the same RPC the webhook uses, and SQL judges the token.
    create_client(
        stack.supabase_url, stack.service_role_key, options=ClientOptions(schema="api")
    ).rpc("store_token_facts", {"facts": [demo_token_facts(mint)]}).execute()
    secret = read_env_file(REPO_ROOT / ".env")["HELIUS_WEBHOOK_SECRET"]
    url = f"{stack.supabase_url}/functions/v1/helius-webhook"
    print("\nPosting two leader swaps to /functions/v1/helius-webhook, as Helius would")
    for what, tokens, lamports in (
        ("buys", 2_000_000_000, -1_000_000_000),
        ("sells", -2_000_000_000, 1_500_000_000),
    ):
        tx = swap_transaction(wallet, mint, tokens, lamports)
        response = httpx.post(url, json=[tx], headers={"Authorization": secret}, timeout=10)
        response.raise_for_status()
        decision = response.json()["decisions"][0]
        print(
            f"  whale-alpha {what} 2,000 DEMO for {abs(lamports) / 1e9} SOL -> "
            f"{decision['decision']} ({decision['reason']})"
        )
    print_table(
        "The copied position (walltrack.positions)",
        ["status", "bought", "cost SOL", "sold", "proceeds SOL", "realized PnL SOL", "closed by"],
        connection.execute(
            """
            select status, round(qty_bought / 1e6, 6), cost_basis_sol,
                   round(qty_sold / 1e6, 6), proceeds_sol, realized_pnl_sol, close_reason
            from walltrack.positions where token_mint = %s
            """,
            (mint,),
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
    with psycopg.connect(stack.database_url, autocommit=True) as connection:
        show_tables(connection)
        replay_leader_swaps(stack, connection)
    show_access(stack)


if __name__ == "__main__":
    main()
