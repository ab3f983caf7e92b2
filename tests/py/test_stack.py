"""The local stack answers like a hosted Supabase project, and lets only service_role in."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import jwt
import psycopg
import pytest
from postgrest.exceptions import APIError
from psycopg.conninfo import conninfo_to_dict
from supabase import Client

from scripts.stack_env import REPO_ROOT, StackEnv, env_file_path, read_env_file
from simulator.helius_tx import base58, new_mint, swap_transaction

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


# --- Trust (issue 13): passwords over TCP, keys readable by their owner only, the gateway's
# body limit and chunked bodies.


def stack_dir() -> Path:
    """The stack under test's folder, found as scripts/stack.sh finds it ($STACK_DIR)."""
    return REPO_ROOT / os.environ.get("STACK_DIR", ".local/stack")


def test_tcp_logins_want_the_password(
    stack: StackEnv, db: psycopg.Connection[tuple[object, ...]]
) -> None:
    rules = db.execute("select type, user_name, auth_method from pg_hba_file_rules").fetchall()
    assert rules == [
        ("local", ["postgres"], "trust"),  # only root and postgres can enter the socket's folder
        ("local", ["all"], "scram-sha-256"),
        ("host", ["all"], "scram-sha-256"),
        ("host", ["all"], "scram-sha-256"),
    ]
    assert (stack_dir() / "run").stat().st_mode & 0o777 == 0o700
    port = conninfo_to_dict(stack.database_url)["port"]
    tries = [("127.0.0.1", "postgres"), ("127.0.0.1", "authenticator")]
    tries.append((str(stack_dir() / "run"), "authenticator"))  # PostgREST's way in
    for host, user in tries:
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(host=host, port=port, user=user, dbname="postgres", password="guessed")


def test_files_holding_keys_are_readable_by_their_owner_only(stack: StackEnv) -> None:
    folder = stack_dir()
    env = read_env_file(env_file_path())
    secrets = [
        stack.service_role_key,
        str(conninfo_to_dict(stack.database_url)["password"]),
        (folder / "jwt_secret").read_text().strip(),
        (folder / "authenticator_password").read_text().strip(),
        env["HELIUS_WEBHOOK_SECRET"],
        env["FUNCTIONS_SECRET"],
    ] + ([env["WALLTRACK_KEYPAIR"]] if "WALLTRACK_KEYPAIR" in env else [])
    holders, readable = set(), []
    # pgdata is the cluster's (mode 700, checked below): no key is written there.
    files = [env_file_path(), *(p for p in folder.rglob("*") if "pgdata" not in p.parts)]
    for path in files:
        if path.is_file() and any(s.encode() in path.read_bytes() for s in secrets):
            holders.add(path.name)
            if path.stat().st_mode & 0o077:
                readable.append(f"{path} {oct(path.stat().st_mode & 0o777)}")
    assert readable == []
    assert {"jwt_secret", "keys.env", "postgrest.conf", "nginx.conf"} <= holders
    assert (folder / "pgdata").stat().st_mode & 0o777 == 0o700


def test_a_body_over_the_gateway_limit_gets_a_short_json_413(stack: StackEnv) -> None:
    url = f"{stack.supabase_url}/functions/v1/helius-webhook"
    too_large = 10 * 1024 * 1024 + 1

    def chunked() -> Iterator[bytes]:  # no Content-Length: nginx counts while reading
        for _ in range(11):
            yield b" " * (1024 * 1024)

    for content in (b" " * too_large, chunked()):
        response = httpx.post(url, content=content, timeout=30)
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"message": "request body over the 10 MB limit"}


def test_a_chunked_body_reaches_the_function_whole(stack: StackEnv) -> None:
    # 900 swaps of wallets nobody watches (stored as nothing), about 1 MB: over nginx's
    # in-memory buffer, so the body goes through its temp folder.
    swaps = [swap_transaction(base58(44), new_mint(), 1_000, -1_000) for _ in range(900)]
    body = json.dumps(swaps).encode()

    def chunked() -> Iterator[bytes]:
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    response = httpx.post(
        f"{stack.supabase_url}/functions/v1/helius-webhook",
        content=chunked(),
        headers={"Authorization": read_env_file(env_file_path())["HELIUS_WEBHOOK_SECRET"]},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == len(swaps)
    assert response.json()["rejected"] == []
