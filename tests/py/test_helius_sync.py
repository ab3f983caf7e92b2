"""helius-sync against an HTTP fake of Helius and the real database (ADR-001)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from scripts.stack_env import StackEnv
from simulator.helius_tx import base58
from tests.support.fake_helius import FakeHelius, fake_helius
from tests.support.function_app import OPERATOR, OPERATOR_SECRET, function_app

Db = psycopg.Connection[tuple[Any, ...]]
API_KEY = "helius-test-api-key-never-logged"
HOOK_URL = "https://walltrack.example/functions/v1/helius-webhook"
HOOK_SECRET = "hook-secret-never-logged"


@pytest.fixture
def helius(monkeypatch: pytest.MonkeyPatch, stack: StackEnv, db: Db) -> Iterator[FakeHelius]:
    db.execute(
        "update walltrack.config set helius_webhook_id = null, helius_webhook_url = null,"
        " helius_synced_hash = null, helius_synced_at = null"
    )
    with fake_helius() as fake:
        for name, value in {
            "SUPABASE_URL": stack.supabase_url,
            "SUPABASE_SERVICE_ROLE_KEY": stack.service_role_key,
            "HELIUS_API_BASE_URL": fake.base_url,
            "HELIUS_API_KEY": API_KEY,
            "HELIUS_WEBHOOK_URL": HOOK_URL,
            "HELIUS_WEBHOOK_SECRET": HOOK_SECRET,
            "FUNCTIONS_SECRET": OPERATOR_SECRET,
        }.items():
            monkeypatch.setenv(name, value)
        yield fake


def run_sync(headers: dict[str, str] = OPERATOR) -> tuple[int, dict[str, Any]]:
    app = function_app("helius_sync")
    response = app.test_client().post("/", headers=headers)
    return response.status_code, response.get_json()


def active_addresses(db: Db) -> list[str]:
    rows = db.execute(
        "select address from walltrack.wallets where status = 'active' order by address"
    ).fetchall()
    return [str(row[0]) for row in rows]


def synced(db: Db) -> tuple[Any, ...]:
    row = db.execute(
        "select helius_webhook_id, helius_synced_hash, helius_webhook_url,"
        " helius_synced_hash = api.helius_sync_plan(helius_webhook_url,"
        "   array['SWAP', 'TRANSFER', 'UNKNOWN']) ->> 'address_hash'"
        " from walltrack.config"
    ).fetchone()
    assert row is not None
    return tuple(row)


def add_wallet(db: Db) -> str:
    address = base58(44)
    db.execute(
        "insert into walltrack.wallets (address, label) values (%s, 'sync test')", (address,)
    )
    return address


def allow_next_push(db: Db) -> None:
    db.execute("update walltrack.config set helius_synced_at = now() - interval '6 minutes'")


def test_first_run_creates_the_global_webhook(helius: FakeHelius, db: Db) -> None:
    status, body = run_sync()
    assert (status, body["action"], body["webhook_id"]) == (200, "create", "wh-1")
    [call] = helius.calls
    assert (call.method, call.path, call.query["api-key"]) == ("POST", "/v0/webhooks", [API_KEY])
    assert call.body == {
        "webhookURL": HOOK_URL,
        "transactionTypes": ["SWAP", "TRANSFER", "UNKNOWN"],  # what real swaps arrive as
        "accountAddresses": active_addresses(db),
        "webhookType": "enhanced",
        "authHeader": HOOK_SECRET,
        "txnStatus": "success",
    }
    assert synced(db)[0] == "wh-1" and synced(db)[2:] == (HOOK_URL, True)


def test_an_unchanged_watchlist_makes_no_call(helius: FakeHelius, db: Db) -> None:
    run_sync()
    allow_next_push(db)
    status, body = run_sync()
    assert (status, body) == (200, {"action": "none"})
    assert len(helius.calls) == 1


def test_a_changed_watchlist_is_pushed_once_per_interval(helius: FakeHelius, db: Db) -> None:
    run_sync()
    address = add_wallet(db)
    assert run_sync()[1] == {"action": "wait"}
    allow_next_push(db)
    status, body = run_sync()
    assert (status, body["action"]) == (200, "edit")
    edit = helius.calls[-1]
    assert (edit.method, edit.path) == ("PUT", "/v0/webhooks/wh-1")
    assert address in edit.body["accountAddresses"]
    assert edit.body["accountAddresses"] == active_addresses(db)
    assert len(helius.calls) == 2
    db.execute("update walltrack.wallets set status = 'retired' where address = %s", (address,))


def test_other_transaction_types_are_pushed_like_a_new_wallet(
    helius: FakeHelius, db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deployment still subscribed to SWAP alone gets the wider default once."""
    monkeypatch.setenv("HELIUS_TRANSACTION_TYPES", "SWAP")
    run_sync()
    allow_next_push(db)
    assert run_sync()[1] == {"action": "none"}
    monkeypatch.delenv("HELIUS_TRANSACTION_TYPES")
    status, body = run_sync()
    assert (status, body["action"]) == (200, "edit")
    assert helius.calls[-1].body["transactionTypes"] == ["SWAP", "TRANSFER", "UNKNOWN"]
    assert synced(db)[3] is True


def test_a_failed_call_leaves_config_unchanged_and_is_retried(
    helius: FakeHelius, db: Db, caplog: pytest.LogCaptureFixture
) -> None:
    run_sync()
    before = synced(db)
    address = add_wallet(db)
    allow_next_push(db)
    helius.statuses = [500]
    with caplog.at_level(logging.DEBUG):
        status, body = run_sync()
    assert (status, body) == (502, {"error": "upstream service failed"})
    assert synced(db)[:3] == before[:3]
    assert synced(db)[3] is False
    assert API_KEY not in caplog.text and HOOK_SECRET not in caplog.text
    status, body = run_sync()
    assert (status, body["action"]) == (200, "edit")
    assert synced(db)[3] is True
    db.execute("update walltrack.wallets set status = 'retired' where address = %s", (address,))


def test_a_webhook_deleted_on_helius_is_created_again(helius: FakeHelius, db: Db) -> None:
    run_sync()
    address = add_wallet(db)
    allow_next_push(db)
    helius.statuses = [404]
    status, body = run_sync()
    assert (status, body["action"], body["webhook_id"]) == (200, "edit", "wh-2")
    assert [(c.method, c.path) for c in helius.calls[1:]] == [
        ("PUT", "/v0/webhooks/wh-1"),
        ("POST", "/v0/webhooks"),
    ]
    assert synced(db)[0] == "wh-2"
    db.execute("update walltrack.wallets set status = 'retired' where address = %s", (address,))


def test_missing_configuration_is_a_clear_error(
    helius: FakeHelius, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HELIUS_API_KEY")
    assert run_sync() == (500, {"error": "function not configured"})
    assert helius.calls == []


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": OPERATOR_SECRET}]
)
def test_a_caller_without_the_operator_secret_is_refused(
    helius: FakeHelius, headers: dict[str, str]
) -> None:
    assert run_sync(headers) == (401, {"error": "unauthorized"})
    assert helius.calls == []
