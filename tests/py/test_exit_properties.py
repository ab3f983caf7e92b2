"""Properties of the exit engine over random price paths and random strategies: sells never
exceed what was bought, and realized + unrealized PnL always reconcile with the cash flows."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scripts.stack_env import StackEnv, load_stack_env
from simulator.helius_tx import new_mint, normalised_swap

STACK: StackEnv = load_stack_env()
DB = psycopg.connect(STACK.database_url, autocommit=True)
DB.execute(
    "update walltrack.config set max_open_positions = 1000000,"
    " max_total_exposure_sol = 1000000000, max_positions_per_token = 1000000"
)
WHALE_ROW = DB.execute(
    "select address from walltrack.wallets where label = 'whale-alpha'"
).fetchone()
assert WHALE_ROW is not None
WHALE = str(WHALE_ROW[0])


@st.composite
def overrides(draw: st.DrawFn) -> dict[str, Any]:
    moonbag = draw(st.sampled_from([0, 10, 25]))
    shares = draw(st.lists(st.integers(5, 40), max_size=3))
    while sum(shares) + moonbag > 100:
        shares.pop()
    levels = sorted(
        draw(st.lists(st.integers(5, 400), min_size=len(shares), max_size=len(shares), unique=True))
    )
    trailing = draw(st.one_of(st.none(), st.tuples(st.integers(0, 100), st.integers(1, 60))))
    return {
        "take_profit_levels": [
            {"at_pct": a, "sell_pct": s} for a, s in zip(levels, shares, strict=True)
        ],
        "stop_loss_pct": draw(st.one_of(st.none(), st.integers(-90, -1))),
        "trailing_activation_pct": trailing and trailing[0],
        "trailing_distance_pct": trailing and trailing[1],
        "moonbag_pct": moonbag,
        "moonbag_keeps_stop_loss": draw(st.booleans()),
    }


def open_position(mint: str, override: dict[str, Any]) -> int:
    DB.execute("select tests.safe_token(%s)", (mint,))
    tx = normalised_swap(WHALE, mint, "buy", 100_000_000, 100_000_000)
    DB.execute("select api.ingest_swaps(%s::jsonb)", (json.dumps([tx]),))
    row = DB.execute("select id from walltrack.positions where token_mint = %s", (mint,)).fetchone()
    assert row is not None
    DB.execute(
        "update walltrack.positions set exit_strategy_override = %s where id = %s",
        (json.dumps(override), row[0]),
    )
    return int(row[0])


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    override=overrides(),
    path=st.lists(st.decimals("0.00001", "0.01", places=6), min_size=1, max_size=12),
)
def test_sells_never_exceed_buys_and_pnl_reconciles(
    override: dict[str, Any], path: list[Decimal]
) -> None:
    mint = new_mint()
    position_id = open_position(mint, override)
    for second, price in enumerate(path):
        DB.execute(
            "select api.apply_prices(jsonb_build_array(jsonb_build_object('mint', %s::text,"
            " 'price_sol', %s::numeric, 'observed_at', now() + make_interval(secs => %s))))",
            (mint, price, second + 1),
        )
    row = DB.execute(
        """
        select p.qty_bought, p.qty_sold, p.cost_basis_sol, p.realized_pnl_sol,
               p.unrealized_pnl_sol, p.last_price_sol, p.status::text,
               (select coalesce(sum(o.filled_in), 0) from walltrack.orders as o
                where o.position_id = p.id and o.side = 'sell' and o.status = 'confirmed'),
               (select coalesce(sum(o.filled_out - o.network_fee_lamports), 0) / 1e9
                from walltrack.orders as o
                where o.position_id = p.id and o.side = 'sell' and o.status = 'confirmed')
        from walltrack.positions as p where p.id = %s
        """,
        (position_id,),
    ).fetchone()
    assert row is not None
    bought, sold, cost, realized, unrealized, price, status, sells, proceeds = row
    assert sells == sold <= bought
    held_value = (bought - sold) / Decimal(10**6) * price
    if status == "closed":
        assert unrealized == 0 and realized == proceeds - cost
    else:
        assert abs(realized + unrealized - (proceeds + held_value - cost)) <= Decimal("1e-9")
