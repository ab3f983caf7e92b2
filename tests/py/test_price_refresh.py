"""price-refresh against an HTTP fake of Jupiter and DexScreener and the real database: the
tokens of live positions are priced, and the exits their strategies call for are placed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from scripts.stack_env import StackEnv
from simulator.helius_tx import new_mint, normalised_swap
from tests.support.fake_price_apis import FakePriceApis, fake_price_apis
from tests.support.function_app import OPERATOR, OPERATOR_SECRET, function_app

Db = psycopg.Connection[tuple[Any, ...]]
SOL = "So11111111111111111111111111111111111111112"


@pytest.fixture
def apis(monkeypatch: pytest.MonkeyPatch, stack: StackEnv, db: Db) -> Iterator[FakePriceApis]:
    # Only this test's positions are live: close out nothing, but price only what it opens.
    db.execute(
        "update walltrack.config set max_open_positions = 1000000,"
        " max_total_exposure_sol = 1000000000, max_positions_per_token = 1000000"
    )
    with fake_price_apis() as fake:
        for name, value in {
            **fake.env(),
            "SUPABASE_URL": stack.supabase_url,
            "SUPABASE_SERVICE_ROLE_KEY": stack.service_role_key,
            "FUNCTIONS_SECRET": OPERATOR_SECRET,
        }.items():
            monkeypatch.setenv(name, value)
        yield fake


def open_position(db: Db, mint: str) -> None:
    """whale-alpha (balanced strategy: stop loss at -30%) buys at 0.0005 SOL per token."""
    db.execute("select tests.safe_token(%s)", (mint,))
    wallet = db.execute(
        "select address from walltrack.wallets where label = 'whale-alpha'"
    ).fetchone()
    assert wallet is not None
    payload = normalised_swap(str(wallet[0]), mint, "buy", 2_000_000_000, 1_000_000_000)
    db.execute("select api.ingest_swaps(%s::jsonb)", (json.dumps([payload]),))


def test_refresh_prices_live_positions_and_fires_their_exits(apis: FakePriceApis, db: Db) -> None:
    crashed, steady = new_mint(), new_mint()
    open_position(db, crashed)
    open_position(db, steady)
    apis.jupiter = {
        SOL: {"usdPrice": 150},
        crashed: {"usdPrice": 0.03},  # 0.0002 SOL: -60%, the stop loss fires
        steady: {"usdPrice": 0.078},  # 0.00052 SOL: +3.5% over the entry
    }
    response = function_app("price_refresh").test_client().post("/", headers=OPERATOR)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert {crashed, steady} <= set(
        row[0]
        for row in db.execute(
            "select token_mint from walltrack.positions where last_price_at is not null"
        )
    )
    reasons = {o["reason"] for o in body["orders"]}
    assert "stop_loss" in reasons
    rows: dict[str, str] = dict(
        db.execute(
            "select token_mint, status::text from walltrack.positions where token_mint = any(%s)",
            ([crashed, steady],),
        ).fetchall()
    )
    assert rows == {crashed: "closed", steady: "open"}
    price = db.execute(
        "select last_price_sol from walltrack.positions where token_mint = %s", (steady,)
    ).fetchone()
    assert price is not None and str(price[0]) == "0.00052"
    assert all(len(call.mints) <= 50 for call in apis.calls_to("jupiter"))


def test_a_token_no_source_prices_keeps_its_last_price_and_is_flagged(
    apis: FakePriceApis, db: Db
) -> None:
    mint = new_mint()
    open_position(db, mint)
    apis.jupiter = {SOL: {"usdPrice": 150}}
    response = function_app("price_refresh").test_client().post("/", headers=OPERATOR)
    assert response.status_code == 200
    assert mint in response.get_json()["missing"]
    row = db.execute(
        "select t.price_stale, p.status::text from walltrack.tokens as t"
        " join walltrack.positions as p on p.token_mint = t.mint where t.mint = %s",
        (mint,),
    ).fetchone()
    assert row == (True, "open")


def test_refresh_refuses_a_caller_without_the_operator_secret(apis: FakePriceApis) -> None:
    response = function_app("price_refresh").test_client().post("/")
    assert response.status_code == 401
    assert apis.calls == []
