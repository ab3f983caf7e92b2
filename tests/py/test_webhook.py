"""helius-webhook end to end: gateway -> function -> supabase client -> PostgREST -> SQL."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest

from scripts.stack_env import REPO_ROOT, StackEnv
from simulator.helius_tx import new_mint, swap_transaction
from tests.support.function_app import function_app
from tests.support.poison import POISONS, amounts_past_u64, delivery, poisoned
from tests.support.stack_secrets import stack_secret
from walltrack import helius

Db = psycopg.Connection[tuple[Any, ...]]


@pytest.fixture(scope="module")
def webhook_url(stack: StackEnv) -> str:
    return f"{stack.supabase_url}/functions/v1/helius-webhook"


@pytest.fixture(scope="module")
def secret() -> str:
    return stack_secret("HELIUS_WEBHOOK_SECRET")


@pytest.fixture(scope="module")
def whale(stack: StackEnv) -> str:
    with psycopg.connect(stack.database_url, autocommit=True) as connection:
        # Room for every copy these tests make.
        connection.execute(
            "update walltrack.config set max_open_positions = 100000,"
            " max_total_exposure_sol = 1000000, max_positions_per_token = 100000"
        )
        row = connection.execute(
            "select address from walltrack.wallets where label = 'whale-alpha'"
        ).fetchone()
    assert row is not None
    return str(row[0])


def safe_token(db: Db) -> str:
    mint = new_mint()
    db.execute("select tests.safe_token(%s)", (mint,))
    return mint


def post(url: str, body: Any, secret: str | None) -> httpx.Response:
    headers = {"Authorization": secret} if secret is not None else {}
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(url, content=content, headers=headers, timeout=10)


def counts(db: Db, signature: str) -> tuple[int, int, int]:
    row = db.execute(
        """
        select count(distinct s.id), count(distinct o.id), count(distinct p.id)
        from walltrack.signals as s
        left join walltrack.orders as o on o.signal_id = s.id
        left join walltrack.positions as p on p.opened_from_signal_id = s.id
        where s.signature = %s
        """,
        (signature,),
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def test_a_delivery_becomes_a_signal_an_order_and_a_filled_position(
    webhook_url: str, secret: str, whale: str, db: Db
) -> None:
    mint = safe_token(db)
    tx = swap_transaction(whale, mint, token_delta=2_000_000_000, lamports_delta=-1_000_000_000)
    response = post(webhook_url, [tx], secret)
    assert response.status_code == 200, response.text
    assert response.json()["new_signals"] == 1
    assert [d["reason"] for d in response.json()["decisions"]] == ["copied"]
    assert counts(db, tx["signature"]) == (1, 1, 1)
    row = db.execute(
        "select s.price_sol, p.status::text, p.qty_bought, p.cost_basis_sol"
        " from walltrack.signals as s join walltrack.positions as p"
        " on p.opened_from_signal_id = s.id where s.signature = %s",
        (tx["signature"],),
    ).fetchone()
    # 1 SOL for 2,000 tokens; 0.1 SOL at 0.0005 x 1.005; cost = 0.1 + 15,000 lamports fee.
    assert row == (Decimal("0.0005"), "open", Decimal(199004975), Decimal("0.100015"))


def test_a_duplicate_delivery_changes_nothing(
    webhook_url: str, secret: str, whale: str, db: Db
) -> None:
    tx = swap_transaction(whale, safe_token(db), 1_000_000, -500_000_000)
    assert post(webhook_url, [tx], secret).json()["new_signals"] == 1
    again = post(webhook_url, [tx, tx], secret)
    assert again.status_code == 200
    assert again.json()["new_signals"] == 0
    assert counts(db, tx["signature"]) == (1, 1, 1)


def test_concurrent_deliveries_store_once(
    webhook_url: str, secret: str, whale: str, db: Db
) -> None:
    tx = swap_transaction(whale, safe_token(db), 3_000_000, -700_000_000)
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: post(webhook_url, [tx], secret), range(8)))
    assert [r.status_code for r in responses] == [200] * 8
    assert sum(r.json()["new_signals"] for r in responses) == 1
    assert counts(db, tx["signature"]) == (1, 1, 1)


@pytest.mark.parametrize("presented", [None, "", "wrong-secret", "Bearer x"])
def test_wrong_or_missing_secret_is_401_and_stores_nothing(
    webhook_url: str, secret: str, whale: str, db: Db, presented: str | None
) -> None:
    tx = swap_transaction(whale, new_mint(), 1_000, -1_000_000)
    response = post(webhook_url, [tx], presented)
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized"}
    assert counts(db, tx["signature"]) == (0, 0, 0)


@pytest.mark.parametrize("body", [b"", b"{}", b'"text"', b"null", b"[1, 2", b"\xff\xfe"])
def test_a_body_that_is_not_an_array_is_400(webhook_url: str, secret: str, body: bytes) -> None:
    response = post(webhook_url, body, secret)
    assert response.status_code == 400
    assert set(response.json()) == {"error"}


def test_one_malformed_transaction_does_not_block_the_others(
    webhook_url: str, secret: str, whale: str, db: Db
) -> None:
    good = swap_transaction(whale, safe_token(db), 5_000_000, -200_000_000)
    bad = swap_transaction(whale, new_mint(), 5_000_000, -200_000_000)
    bad["accountData"][0]["tokenBalanceChanges"][0]["rawTokenAmount"]["tokenAmount"] = "1.5e3"
    response = post(webhook_url, [bad, good, "junk"], secret)
    assert response.status_code == 200
    body = response.json()
    assert body["stored"] == 1
    assert [r["index"] for r in body["rejected"]] == [0, 2]
    assert body["rejected"][0]["signature"] == bad["signature"]
    assert counts(db, good["signature"]) == (1, 1, 1)
    assert counts(db, bad["signature"]) == (0, 0, 0)


def test_no_secret_or_trace_in_any_response(webhook_url: str, secret: str, stack: StackEnv) -> None:
    for response in (
        post(webhook_url, b"[", secret),
        post(webhook_url, [{"signature": 5}], secret),
        post(webhook_url, [], "nope"),
    ):
        text = response.text
        assert secret not in text and stack.service_role_key not in text
        assert "Traceback" not in text and 'File "' not in text


@pytest.fixture
def offline_database(monkeypatch: pytest.MonkeyPatch, secret: str) -> Iterator[None]:
    """The function as deployed, but its database unreachable (nothing listens there)."""
    monkeypatch.setenv("SUPABASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", "unused-key")
    monkeypatch.setenv("HELIUS_WEBHOOK_SECRET", secret)
    yield


def test_database_down_is_503_and_the_retry_stores_once(
    offline_database: None, webhook_url: str, secret: str, whale: str, db: Db
) -> None:
    app = function_app("helius_webhook")
    tx = swap_transaction(whale, safe_token(db), 9_000_000, -300_000_000)
    down = app.test_client().post("/", data=json.dumps([tx]), headers={"Authorization": secret})
    assert down.status_code == 503
    assert down.get_json() == {"error": "storage unavailable, retry later"}
    assert counts(db, tx["signature"]) == (0, 0, 0)
    # Helius retries against the real deployment once the database is back.
    assert post(webhook_url, [tx], secret).json()["new_signals"] == 1
    assert counts(db, tx["signature"]) == (1, 1, 1)


def test_an_oversized_delivery_is_413_and_stores_nothing(
    webhook_url: str, secret: str, whale: str, db: Db
) -> None:
    txs = [swap_transaction(whale, new_mint(), 1_000, -1_000_000) for _ in range(1001)]
    response = post(webhook_url, txs, secret)
    assert response.status_code == 413
    assert "1001 transactions" in response.json()["error"]
    assert counts(db, txs[0]["signature"]) == (0, 0, 0)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_only_post_is_served(webhook_url: str, method: str) -> None:
    response = httpx.request(method, webhook_url, timeout=10)
    assert response.status_code == 405
    assert response.json() == {"error": "use POST"}


# --- poison deliveries --------------------------------------------------------------------------


@pytest.fixture
def new_log_text() -> Iterator[Callable[[], str]]:
    """What the function logs from now on (its log in the stack's directory)."""
    log = REPO_ROOT / os.environ.get("STACK_DIR", ".local/stack") / "logs" / "fn-helius-webhook.log"
    start = log.stat().st_size

    def read_once() -> str:
        with log.open("rb") as file:
            file.seek(start)
            return file.read().decode(errors="replace")

    def read() -> str:
        """supervisord copies the function's output into the file on its own time: wait
        until something came and stopped growing (a few seconds at most)."""
        seen, deadline = read_once(), time.monotonic() + 5
        while time.monotonic() < deadline:
            time.sleep(0.2)
            now = read_once()
            if now and now == seen:
                break
            seen = now
        return seen

    yield read


@pytest.mark.parametrize("kind", [*POISONS, "amount past u64"])
def test_a_poison_transaction_is_rejected_alone_and_its_neighbours_stored(
    webhook_url: str, secret: str, whale: str, db: Db, kind: str, new_log_text: Callable[[], str]
) -> None:
    before = swap_transaction(whale, safe_token(db), 4_000_000, -100_000_000)
    after = swap_transaction(whale, safe_token(db), 6_000_000, -150_000_000)
    poison = swap_transaction(whale, safe_token(db), 8_000_000, -120_000_000)
    if kind in POISONS:
        raw, reason = POISONS[kind]
        element = poisoned(poison, raw)
    else:
        element, reason = delivery(amounts_past_u64(poison))[1:-1], "out of the u64 range"
    for attempt in range(2):  # the answer and the outcome are the same on a retry
        response = post(webhook_url, delivery(before, element, after), secret)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["stored"] == 2
        assert answer["new_signals"] == (2 if attempt == 0 else 0)
        [rejected] = answer["rejected"]
        assert (rejected["index"], rejected["signature"]) == (1, poison["signature"])
        assert reason in rejected["error"]
    assert counts(db, before["signature"]) == (1, 1, 1)
    assert counts(db, after["signature"]) == (1, 1, 1)
    assert counts(db, poison["signature"]) == (0, 0, 0)
    log = new_log_text()
    assert f"rejected transaction 1 ({poison['signature']}): {rejected['error']}" in log
    assert "Traceback" not in log


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"[" * 100_000 + b"]" * 100_000, 400, "body is nested too deeply"),
        (b"[" + b"[" * 2_000 + b"]" * 2_000 + b"]", 400, "body is nested too deeply"),
        (b"[" + b" " * helius.MAX_BODY_BYTES + b"]", 413, "over the 5242880 limit"),
    ],
    ids=["100,000 levels", "2,000 levels", "over 5 MiB"],
)
def test_nesting_and_size_limits_answer_cleanly(
    webhook_url: str,
    secret: str,
    stack: StackEnv,
    body: bytes,
    status: int,
    error: str,
    new_log_text: Callable[[], str],
) -> None:
    response = post(webhook_url, body, secret)
    assert response.status_code == status
    assert set(response.json()) == {"error"} and error in response.json()["error"]
    log = new_log_text()
    assert error in log
    assert "Traceback" not in log and 'File "' not in log
    assert len(log.splitlines()) < 5
    assert secret not in log and stack.service_role_key not in log


def test_values_at_the_parser_limits_are_stored(
    webhook_url: str, secret: str, whale: str, db: Db
) -> None:
    """What the parser lets through, PostgREST and Postgres take: no 503 at the edges."""
    tx = swap_transaction(whale, safe_token(db), 7_000_000, -110_000_000)
    depth = helius.MAX_TRANSACTION_DEPTH - 1
    edges = [
        1.7976931348623157e308,
        5e-324,
        -(10 ** (helius.MAX_NUMBER_CHARS - 2)),
        "\uffff\ufffe\U0010ffff\U0001f600",
        {"\u2028": "\\u0000"},
    ]
    raw = json.dumps(edges).encode()[:-1] + b"," + b"[" * (depth - 1) + b"]" * (depth - 1) + b"]"
    response = post(webhook_url, delivery(poisoned(tx, raw)), secret)
    assert response.status_code == 200, response.text
    assert response.json()["rejected"] == []
    assert counts(db, tx["signature"]) == (1, 1, 1)
    row = db.execute(
        "select raw -> 'events' from walltrack.signals where signature = %s", (tx["signature"],)
    ).fetchone()
    assert row is not None and row[0][3:5] == edges[3:5]


def test_leaders_buying_one_token_at_once_make_one_position(
    webhook_url: str, secret: str, db: Db
) -> None:
    """Eight leaders buy one new token in the same block, each delivery on its own
    connection at once: with config.max_positions_per_token 1, exactly one is copied and
    the others are already_holding (decisions take one batch at a time)."""
    mint = safe_token(db)
    leaders = []
    for n in range(8):
        row = db.execute("select tests.new_wallet(%s)", (f"same-block {n}",)).fetchone()
        assert row is not None
        address = db.execute("select address from walltrack.wallets where id = %s", row)
        leaders.append(str((address.fetchone() or ("",))[0]))
    txs = [swap_transaction(leader, mint, 1_000_000, -500_000_000) for leader in leaders]
    db.execute("update walltrack.config set max_positions_per_token = 1")
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            responses = list(pool.map(lambda tx: post(webhook_url, [tx], secret), txs))
    finally:
        db.execute("update walltrack.config set max_positions_per_token = 100000")
    assert [r.status_code for r in responses] == [200] * 8
    reasons = sorted(r.json()["decisions"][0]["reason"] for r in responses)
    assert reasons == ["already_holding"] * 7 + ["copied"]
    assert db.execute(
        "select count(*) from walltrack.positions where token_mint = %s", (mint,)
    ).fetchone() == (1,)
