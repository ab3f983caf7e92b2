"""price-refresh: prices for the tokens of every live position, in batches, each batch sent
to SQL in one apply_prices call, which re-values the positions and fires their exits."""

from __future__ import annotations

import asyncio
from typing import Any

import flask

from walltrack import auth, database, live_orders, prices

BATCH = 49  # Jupiter takes 50 ids per call; SOL itself rides along in every call


def handle_refresh(request: flask.Request) -> tuple[dict[str, Any], int]:
    auth.require_operator(request)
    mints: list[str] = database.rpc("live_position_mints", {}) or []
    settings = prices.PriceSettings.from_env()
    summary: dict[str, Any] = {
        "tokens": len(mints),
        "priced": 0,
        "missing": [],
        "orders": [],
        "executed": [],
    }
    for start in range(0, len(mints), BATCH):
        batch = asyncio.run(prices.fetch_prices_sol(mints[start : start + BATCH], settings))
        applied = database.rpc_object(
            "apply_prices", {"prices": batch.prices, "missing": batch.missing}
        )
        summary["priced"] += len(batch.prices)
        summary["missing"] += batch.missing
        summary["orders"] += applied["orders"]
        summary["executed"].append(live_orders.execute_now(applied["live_orders"]))
    return summary, 200
