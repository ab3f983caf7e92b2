"""The local stack answers like a hosted Supabase project, and lets only service_role in."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import httpx
import jwt
import psycopg
import pytest
from postgrest.exceptions import APIError
from supabase import Client

from scripts.stack_env import REPO_ROOT, StackEnv

TABLES = [
    "wallets",
    "exit_strategies",
    "tokens",
    "signals",
    "orders",
    "positions",
    "circuit_breaker_events",
]


def test_service_role_reads_the_overview_through_the_gateway(
    service_client: Client, db: psycopg.Connection[tuple[object, ...]]
) -> None:
    overview = cast(dict[str, Any], service_client.rpc("overview").execute().data)
    for table in TABLES:
        row = db.execute(f"select count(*) from walltrack.{table}").fetchone()  # noqa: S608
        assert row is not None
        assert overview[table] == row[0], table
    assert overview["exit_strategies"] >= 3
    assert overview["trading_enabled"] is True
    assert overview["live_trading_enabled"] is False


def test_anon_key_is_refused(anon_client: Client) -> None:
    with pytest.raises(APIError) as refused:
        anon_client.rpc("overview").execute()
    assert refused.value.code == "42501"


@pytest.mark.parametrize("key_name", ["anon", "service_role"])
def test_tables_are_not_exposed_through_rest(stack: StackEnv, key_name: str) -> None:
    key = stack.anon_key if key_name == "anon" else stack.service_role_key
    response = httpx.get(
        f"{stack.supabase_url}/rest/v1/config",
        headers={"apikey": key, "Authorization": f"Bearer {key}", "Accept-Profile": "walltrack"},
    )
    assert response.status_code == 406
    assert response.json()["code"] == "PGRST106"


def test_request_without_key_is_refused(stack: StackEnv) -> None:
    response = httpx.post(f"{stack.supabase_url}/rest/v1/rpc/overview", json={})
    assert response.status_code == 401


def test_forged_service_key_is_refused(stack: StackEnv) -> None:
    forged = jwt.encode({"role": "service_role"}, "not-the-stack-secret-" * 2, algorithm="HS256")
    response = httpx.post(
        f"{stack.supabase_url}/rest/v1/rpc/overview",
        json={},
        headers={"apikey": forged, "Authorization": f"Bearer {forged}"},
    )
    assert response.status_code == 401


def test_unknown_function_is_a_json_404(stack: StackEnv) -> None:
    response = httpx.post(f"{stack.supabase_url}/functions/v1/no-such-function", json={})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")


def test_every_migration_is_recorded_by_the_cli(
    db: psycopg.Connection[tuple[object, ...]],
) -> None:
    files = sorted(
        path.name.split("_", 1)[0]
        for path in Path(REPO_ROOT, "supabase", "migrations").glob("*.sql")
    )
    applied = [
        str(row[0])
        for row in db.execute(
            "select version from supabase_migrations.schema_migrations order by version"
        )
    ]
    assert applied == files


def test_seed_wallets_are_present(db: psycopg.Connection[tuple[object, ...]]) -> None:
    labels = {row[0] for row in db.execute("select label from walltrack.wallets")}
    assert {"whale-alpha", "scalper-beta", "degen-gamma"} <= labels
