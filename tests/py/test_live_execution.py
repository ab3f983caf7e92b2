"""Live execution against the market simulator (real HTTP: Jupiter, a Solana RPC node that
verifies signatures) and the real database: execute-orders and confirm-orders, in-process
as functions-framework serves them. In every failure the simulator injects, each order
ends confirmed or failed with its reason, and the chain never sees two swaps for it."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql
from solders.keypair import Keypair
from solders.rpc.responses import SendTransactionResp
from solders.transaction import VersionedTransaction

from scripts.stack_env import StackEnv
from simulator import Simulator, env_for, run_simulator
from simulator.chain import TOKEN_ACCOUNT_RENT
from simulator.helius_tx import base58, normalised_swap
from simulator.jito import TIP_ACCOUNTS
from simulator.route import pool_address
from simulator.scenario import TOKEN_2022_PROGRAM as TOKEN_2022
from tests.support.function_app import OPERATOR, OPERATOR_SECRET, function_app
from walltrack import database, execution
from walltrack.failures import Failure
from walltrack.solana_rpc import SolanaRpc

Db = psycopg.Connection[tuple[Any, ...]]
JUPITER_KEY = "jupiter-test-key"


def scenario(
    mint: str, faults: list[dict[str, Any]], tradable: bool = True, **more: Any
) -> dict[str, Any]:
    """One token at 0.0001 SOL in a deep pool, steady, then down 80 % from t=100."""
    chain = more.pop("chain", {})
    token = more.pop("token", {})
    return {
        "name": "live",
        "seed": 3,
        "start_unix": 1764300000,
        "chain": chain,
        "api_keys": {"jupiter": JUPITER_KEY},
        "tokens": [
            {
                "mint": mint,
                "symbol": "LIVE",
                "decimals": 6,
                "supply": "1000000000",
                "price_path": [
                    {"t": 0, "price_sol": "0.0001"},
                    {"t": 100, "price_sol": "0.0001"},
                    {"t": 110, "price_sol": "0.00002"},
                ],
                "liquidity_sol": "5000",
                "tradable": tradable,
                **token,
            }
        ],
        "faults": faults,
    }


class Book:
    """A live wallet copying one token, the simulator playing its market, the functions'
    environment pointed at both."""

    def __init__(self, db: Db, sim: Simulator, mint: str) -> None:
        self.db, self.sim, self.mint = db, sim, mint
        self.wallet = base58(44)
        db.execute(
            "insert into walltrack.wallets (address, label, mode, position_size_sol)"
            " values (%s, 'live test', 'live', 0.1)",
            (self.wallet,),
        )
        db.execute("select tests.safe_token(%s)", (mint,))

    def leader_buys(self) -> int:
        """The leader buys 1,000 tokens for 0.1 SOL: the copy is one pending live buy."""
        payload = normalised_swap(self.wallet, self.mint, "buy", 1_000_000_000, 100_000_000)
        row = self.db.execute(
            "select api.ingest_swaps(%s::jsonb) -> 'live_orders' ->> 0", (json.dumps([payload]),)
        ).fetchone()
        assert row is not None and row[0] is not None
        return int(row[0])

    def order(self, order_id: int) -> dict[str, Any]:
        row = self.db.execute(
            "select to_jsonb(o) from walltrack.orders as o where o.id = %s", (order_id,)
        ).fetchone()
        assert row is not None
        found: dict[str, Any] = row[0]
        return found

    def position(self, order_id: int) -> dict[str, Any]:
        row = self.db.execute(
            "select to_jsonb(p) from walltrack.positions as p"
            " where p.id = (select position_id from walltrack.orders where id = %s)",
            (order_id,),
        ).fetchone()
        assert row is not None
        found: dict[str, Any] = row[0]
        return found

    def due_now(self, order_id: int) -> None:
        """Skips the back-off, which passes on the chain too (new blocks, new blockhash)."""
        self.sim.advance(self.sim.state()["now"] + 2)
        self.db.execute(
            "update walltrack.orders set next_attempt_at = now() where id = %s", (order_id,)
        )

    def landed(self) -> list[dict[str, Any]]:
        return list(self.sim.state()["transactions"])


def call(function: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = function_app(function).test_client().post("/", json=body or {}, headers=OPERATOR)
    assert response.status_code == 200, response.get_json()
    answer: dict[str, Any] = response.get_json()
    return answer


def open_book(
    monkeypatch: pytest.MonkeyPatch,
    stack: StackEnv,
    db: Db,
    keypair: Keypair,
    faults: list[dict[str, Any]],
    tradable: bool = True,
    **more: Any,
) -> Iterator[Book]:
    mint = str(Keypair().pubkey())
    with run_simulator(scenario(mint, faults, tradable, **more)) as sim:
        for name, value in {
            **env_for(sim.base_url),
            "SUPABASE_URL": stack.supabase_url,
            "SUPABASE_SERVICE_ROLE_KEY": stack.service_role_key,
            "FUNCTIONS_SECRET": OPERATOR_SECRET,
            "WALLTRACK_KEYPAIR": str(keypair),
            "JUPITER_API_KEY": JUPITER_KEY,
            "EXECUTION_TIMEOUT_SECONDS": "1",
        }.items():
            monkeypatch.setenv(name, value)
        yield Book(db, sim, mint)


@pytest.fixture
def book(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    stack: StackEnv,
    db: Db,
    keypair: Keypair,
    live: None,
) -> Iterator[Book]:
    faults = getattr(request, "param", [])
    yield from open_book(monkeypatch, stack, db, keypair, faults)


def test_a_live_copy_is_quoted_signed_sent_and_confirmed_from_the_chain(
    book: Book, keypair: Keypair
) -> None:
    order_id = book.leader_buys()
    executed = call("execute_orders", {"order_ids": [order_id]})
    assert executed["outcomes"] == {str(order_id): "submitted"}
    submitted = book.order(order_id)
    assert submitted["status"] == "submitted" and submitted["attempts"] == 1
    assert call("confirm_orders")["outcomes"][str(order_id)] == "confirmed"

    order = book.order(order_id)
    [landed] = book.landed()
    assert landed == {"signature": order["tx_signature"], "slot": landed["slot"], "err": None}
    # The fill is what the chain says, within the quote's bound.
    assert order["filled_in"] == 100_000_000
    assert Decimal(order["min_out"]) <= Decimal(order["filled_out"]) <= Decimal(order["quoted_out"])
    assert order["realized_slippage_bps"] is not None
    # The priority fee is the one the fee market set for the attempt (possibly 0 this early).
    assert order["network_fee_lamports"] == 5000
    assert order["priority_fee_lamports"] == order["attempt_log"][0]["priority_fee_lamports"]
    position = book.position(order_id)
    assert (position["status"], position["qty_bought"]) == ("open", order["filled_out"])
    fees = (order["network_fee_lamports"] + order["priority_fee_lamports"]) / Decimal(10**9)
    assert Decimal(str(position["cost_basis_sol"])) == Decimal("0.1") + fees

    # What the node took verifies with solders against our payer key.
    rpc = env_for(book.sim.base_url)["SOLANA_RPC_URL"]
    found = httpx.post(
        rpc,
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "getTransaction",
            "params": [
                order["tx_signature"],
                {"encoding": "base64", "maxSupportedTransactionVersion": 0},
            ],
        },
    ).json()["result"]
    sent = VersionedTransaction.from_bytes(base64.b64decode(found["transaction"][0]))
    assert sent.message.account_keys[0] == keypair.pubkey()
    assert sent.verify_with_results() == [True]


RETRYABLE = [
    pytest.param(
        [{"service": "jupiter_quote", "kind": "status", "status": 429, "when": {"first": 1}}],
        "rate_limited",
        id="quote-429",
    ),
    pytest.param(
        [{"service": "jupiter_quote", "kind": "timeout", "ms": 3000, "when": {"first": 1}}],
        "timeout",
        id="quote-timeout",
    ),
    pytest.param(
        [{"service": "jupiter_swap", "kind": "status", "status": 503, "when": {"first": 1}}],
        "upstream_error",
        id="swap-5xx",
    ),
    pytest.param(
        [{"service": "rpc", "kind": "expired_blockhash", "when": {"first": 1}}],
        "blockhash_expired",
        id="expired-blockhash",
    ),
    pytest.param(
        [{"service": "rpc", "kind": "slippage", "when": {"first": 1}}],
        "slippage_exceeded",
        id="slippage",
    ),
    pytest.param(
        [{"service": "jupiter_swap", "kind": "simulation_error", "when": {"first": 1}}],
        "slippage_exceeded",
        id="jupiter-simulation-error-never-sent",
    ),
    pytest.param(
        [{"service": "rpc", "kind": "node_behind", "when": {"first": 1}}],
        "node_behind",
        id="node-behind",
    ),
    pytest.param(
        # A refusal without `data`: solders panics on it; here it is read by its message.
        [{"service": "rpc", "kind": "bare_error", "when": {"first": 1}}],
        "blockhash_expired",
        id="error-body-without-data",
    ),
]


@pytest.mark.parametrize(("book", "error_class"), RETRYABLE, indirect=["book"])
def test_each_retryable_failure_becomes_a_new_attempt_that_lands_once(
    book: Book, error_class: str
) -> None:
    order_id = book.leader_buys()
    call("execute_orders", {"order_ids": [order_id]})
    call("confirm_orders")  # a slippage failure is only known once the chain has it
    first = book.order(order_id)
    assert (first["status"], first["attempts"]) == ("pending", 1)
    assert first["last_error"].startswith(f"{error_class}:")
    assert first["attempt_log"][0]["outcome"] == error_class

    assert call("execute_orders", {"order_ids": [order_id]})["claimed"] == 0  # back-off
    book.due_now(order_id)
    assert call("execute_orders", {"order_ids": [order_id]})["outcomes"] == {
        str(order_id): "submitted"
    }
    call("confirm_orders")
    final = book.order(order_id)
    assert (final["status"], final["attempts"]) == ("confirmed", 2)
    succeeded = [t["signature"] for t in book.landed() if t["err"] is None]
    assert succeeded == [final["tx_signature"]]


@pytest.mark.parametrize(
    "book",
    [[{"service": "jupiter_quote", "kind": "status", "status": 429}]],
    indirect=True,
)
def test_an_order_out_of_attempts_fails_and_its_entry_with_it(book: Book) -> None:
    order_id = book.leader_buys()
    for _ in range(3):
        book.due_now(order_id)
        call("execute_orders", {"order_ids": [order_id]})
    order = book.order(order_id)
    assert (order["status"], order["attempts"]) == ("failed", 3)
    assert order["last_error"] == "rate_limited: quote: HTTP 429"
    assert book.position(order_id)["status"] == "failed"
    assert book.landed() == []


def test_a_token_jupiter_cannot_trade_fails_at_once(
    monkeypatch: pytest.MonkeyPatch, stack: StackEnv, db: Db, keypair: Keypair, live: None
) -> None:
    for book in open_book(monkeypatch, stack, db, keypair, [], tradable=False):
        order_id = book.leader_buys()
        assert call("execute_orders", {"order_ids": [order_id]})["outcomes"] == {
            str(order_id): "not_tradable"
        }
        assert book.order(order_id)["status"] == "failed"
        assert book.position(order_id)["status"] == "failed"


def claim_sign_record(
    book: Book, order_id: int, signer: Keypair | None = None
) -> VersionedTransaction:
    """A worker's steps up to the send, as execute_one takes them (signed by `signer` in
    place of the trading key when given)."""
    settings = execution.ExecutionSettings.from_env()
    if signer is not None:
        settings = replace(settings, chain=replace(settings.chain, keypair=signer))
    [order] = database.rpc("claim_orders", {"worker": "doomed", "order_ids": [order_id]})
    with execution.open_worker(settings, "doomed") as worker:
        signed = execution.signed_swap(worker, order)
    database.rpc("record_signed", execution.signed_record(order_id, "doomed", signed))
    return signed.transaction


def send_once(transaction: VersionedTransaction) -> Failure | None:
    with SolanaRpc(execution.ChainSettings.from_env().rpc_url, 1) as sender:
        return execution.send(sender, transaction)


def worker_dies(book: Book, order_id: int) -> None:
    book.db.execute(
        "update walltrack.orders set lease_until = now() - interval '1 minute' where id = %s",
        (order_id,),
    )
    book.db.execute("select walltrack.release_expired_leases()")


def test_a_crash_after_sending_is_reconciled_and_nothing_is_sent_again(book: Book) -> None:
    order_id = book.leader_buys()
    transaction = claim_sign_record(book, order_id)
    assert send_once(transaction) is None
    worker_dies(book, order_id)  # before it could record anything more

    assert call("execute_orders")["outcomes"].get(str(order_id)) is None  # never re-sent
    assert call("confirm_orders")["outcomes"][str(order_id)] == "confirmed"
    assert [t["signature"] for t in book.landed()] == [str(transaction.signatures[0])]


def test_a_crash_before_sending_is_retried_once_the_transaction_can_never_land(
    book: Book,
) -> None:
    order_id = book.leader_buys()
    transaction = claim_sign_record(book, order_id)
    worker_dies(book, order_id)  # it never sent

    assert call("confirm_orders")["outcomes"][str(order_id)] == "submitted"  # may still land
    book.sim.advance(61)  # 152 blocks later: its blockhash expired, not yet final
    assert call("confirm_orders")["outcomes"][str(order_id)] == "submitted"
    book.sim.advance(75)  # the finalized height too has passed its last valid height
    assert call("confirm_orders")["outcomes"][str(order_id)] == "pending"
    book.due_now(order_id)
    call("execute_orders", {"order_ids": [order_id]})
    call("confirm_orders")
    order = book.order(order_id)
    assert (order["status"], order["attempts"]) == ("confirmed", 2)
    assert order["tx_signature"] != str(transaction.signatures[0])
    assert [t["signature"] for t in book.landed()] == [order["tx_signature"]]


def test_two_workers_racing_for_an_order_send_it_once(book: Book) -> None:
    order_id = book.leader_buys()
    results: list[dict[str, Any]] = []
    workers = [
        threading.Thread(target=lambda: results.append(execution.execute([order_id])))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(r["claimed"] for r in results) == [0, 1]
    assert len(book.landed()) == 1


@pytest.mark.parametrize(
    "book",
    [[{"service": "jupiter_quote", "kind": "status", "status": 429, "when": {"from_t": 100}}]],
    indirect=True,
)
def test_an_exit_that_cannot_fill_is_written_off_with_the_loss_realized(book: Book) -> None:
    order_id = book.leader_buys()
    call("execute_orders", {"order_ids": [order_id]})
    call("confirm_orders")
    book.sim.advance(110)  # -80 %: the stop loss fires, and Jupiter now answers 429
    refreshed = call("price_refresh")
    [stop] = [o["order_id"] for o in refreshed["orders"] if o["reason"] == "stop_loss"]
    for _ in range(2):
        book.due_now(stop)
        call("execute_orders", {"order_ids": [stop]})
    order = book.order(stop)
    assert (order["status"], order["attempts"]) == ("failed", 3)
    position = book.position(order_id)
    assert (position["status"], position["close_reason"]) == ("closed", "write_off")
    assert Decimal(str(position["realized_pnl_sol"])) == -Decimal(str(position["cost_basis_sol"]))


SET_CONFIG = sql.SQL("update walltrack.config set ")
LANDING_DEFAULTS = (
    "jito_tip_lamports = null, priority_fee_lamports = 10000, priority_fee_percentile = 75,"
    " priority_fee_compute_units = 200000, priority_fee_max_lamports = 1000000"
)


@pytest.fixture
def landing(db: Db) -> Iterator[None]:
    """Landing settings a test changes, set back after it."""
    db.execute(SET_CONFIG + sql.SQL(LANDING_DEFAULTS))
    yield
    db.execute(SET_CONFIG + sql.SQL(LANDING_DEFAULTS))


def recent_fees(book: Book) -> list[int]:
    """What the node says the token's pool (the route's writable account) paid lately."""
    pool = str(pool_address(3, book.mint))  # the scenario's seed
    answer = node(book, "getRecentPrioritizationFees", [[pool]])["result"]
    return [entry["prioritizationFee"] for entry in answer]


def nearest_rank(samples: list[int], percentile: int) -> int:
    ranked = sorted(samples)
    return ranked[-(-percentile * len(ranked) // 100) - 1]


def sent_through(book: Book, service: str) -> int:
    with book.sim.world.lock:
        calls = list(book.sim.world.state.calls)
    return sum(1 for c in calls if c["service"] == service and c["method"] == "sendTransaction")


FEE_SPIKE = [{"service": "rpc", "kind": "fee_spike"}]
NO_FEES = [{"service": "rpc", "kind": "empty_fees"}]


@pytest.mark.parametrize(
    ("book", "settings", "expected"),
    [
        pytest.param([], "priority_fee_percentile = 75", "p75", id="p75-of-the-pool"),
        pytest.param(
            FEE_SPIKE,
            "priority_fee_percentile = 100, priority_fee_max_lamports = 50000",
            "cap",
            id="spike-capped",
        ),
        pytest.param(NO_FEES, "priority_fee_lamports = 7000", "fallback", id="no-fees-fallback"),
    ],
    indirect=["book"],
)
def test_the_priority_fee_follows_the_pools_recent_fees_within_the_cap(
    book: Book, landing: None, settings: str, expected: str
) -> None:
    book.db.execute(SET_CONFIG + sql.SQL(settings))
    book.sim.advance(30)  # 76 slots of fee history (slots 0..75)
    samples = recent_fees(book)
    order_id = book.leader_buys()
    assert call("execute_orders", {"order_ids": [order_id]})["outcomes"] == {
        str(order_id): "submitted"
    }
    paid = book.order(order_id)["priority_fee_lamports"]
    if expected == "p75":
        assert len(samples) == 76 and 0 in samples and max(samples) > 0
        assert paid == -(-nearest_rank(samples, 75) * 200_000 // 1_000_000)
    elif expected == "cap":
        assert max(samples) * 200_000 // 1_000_000 > 50_000  # the spike asks for more
        assert paid == 50_000
    else:
        assert samples == [] and paid == 7000
    assert book.order(order_id)["attempt_log"][0]["priority_fee_lamports"] == paid
    assert call("confirm_orders")["outcomes"][str(order_id)] == "confirmed"
    assert book.order(order_id)["priority_fee_lamports"] == paid  # what the chain charged


def jito(book: Book, monkeypatch: pytest.MonkeyPatch, tip: int | None) -> None:
    monkeypatch.setenv("JITO_URL", f"{book.sim.base_url}/jito")
    book.db.execute("update walltrack.config set jito_tip_lamports = %s", (tip,))


def tip_account_of(book: Book, signature: str) -> tuple[str, int, int]:
    """(the tip account, its lamports before, after) in a landed transaction."""
    found = chain_transaction(book, signature)
    keys = found["transaction"]["message"]["accountKeys"]
    [index] = [i for i, key in enumerate(keys) if key in TIP_ACCOUNTS]
    meta = found["meta"]
    return keys[index], meta["preBalances"][index], meta["postBalances"][index]


def test_with_jito_and_a_tip_the_tip_rides_in_the_swap_sent_through_jito(
    book: Book, landing: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    jito(book, monkeypatch, 5000)
    order_id = book.leader_buys()
    assert call("execute_orders", {"order_ids": [order_id]})["outcomes"] == {
        str(order_id): "submitted"
    }
    assert (sent_through(book, "jito"), sent_through(book, "rpc")) == (1, 0)
    assert call("confirm_orders")["outcomes"][str(order_id)] == "confirmed"
    order = book.order(order_id)
    _, before, after = tip_account_of(book, order["tx_signature"])
    assert after - before == 5000 and order["tip_lamports"] == 5000
    assert order["filled_in"] == 100_000_000  # the tip is not part of the swap
    fees = order["network_fee_lamports"] + order["priority_fee_lamports"] + 5000
    position = book.position(order_id)
    assert Decimal(str(position["cost_basis_sol"])) == Decimal("0.1") + Decimal(fees) / 10**9


def test_without_a_tip_configured_jito_is_not_used(
    book: Book, landing: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    jito(book, monkeypatch, None)
    order_id = book.leader_buys()
    call("execute_orders", {"order_ids": [order_id]})
    assert (sent_through(book, "jito"), sent_through(book, "rpc")) == (0, 1)
    assert call("confirm_orders")["outcomes"][str(order_id)] == "confirmed"
    assert book.order(order_id)["tip_lamports"] is None


@pytest.mark.parametrize(
    "book", [[{"service": "jito", "kind": "slippage", "when": {"first": 1}}]], indirect=True
)
def test_a_failed_attempt_that_landed_is_charged_to_the_position_and_its_tip_undone(
    book: Book, landing: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    jito(book, monkeypatch, 5000)
    order_id = book.leader_buys()
    call("execute_orders", {"order_ids": [order_id]})
    failed_signature = book.order(order_id)["tx_signature"]
    assert call("confirm_orders")["outcomes"][str(order_id)] == "pending"
    failed = chain_transaction(book, failed_signature)
    assert failed["meta"]["err"] is not None
    _, before, after = tip_account_of(book, failed_signature)
    assert after == before  # the tip went down with the swap; the fee did not
    charged = book.db.execute(
        "select network_fee_lamports + priority_fee_lamports from walltrack.failed_attempt_fees"
        " where order_id = %s",
        (order_id,),
    ).fetchall()
    assert charged == [(failed["meta"]["fee"],)]
    failed_sol = Decimal(failed["meta"]["fee"]) / 10**9

    book.due_now(order_id)
    call("execute_orders", {"order_ids": [order_id]})
    assert call("confirm_orders")["outcomes"][str(order_id)] == "confirmed"
    call("confirm_orders")  # a run after: nothing of this order is charged again
    assert book.db.execute(
        "select count(*) from walltrack.failed_attempt_fees where order_id = %s", (order_id,)
    ).fetchone() == (1,)
    order = book.order(order_id)
    filled_fees = (
        Decimal(
            order["network_fee_lamports"] + order["priority_fee_lamports"] + order["tip_lamports"]
        )
        / 10**9
    )
    position = book.position(order_id)
    assert Decimal(str(position["cost_basis_sol"])) == Decimal("0.1") + filled_fees + failed_sol
    assert Decimal(str(position["realized_pnl_sol"])) == -failed_sol
    assert [t["signature"] for t in book.landed() if t["err"] is None] == [order["tx_signature"]]


JITO_TROUBLE = [
    pytest.param(
        [{"service": "jito", "kind": "jito_rejects", "when": {"first": 1}}],
        "upstream_error: send via Jito: refused",
        id="jito-refuses",
    ),
    pytest.param(
        [
            {
                "service": "jito",
                "kind": "status",
                "status": 429,
                "method": "sendTransaction",
                "when": {"first": 1},
            }
        ],
        "rate_limited: send via Jito: HTTP 429",
        id="jito-rate-limits",
    ),
    pytest.param([], "upstream_error: jito getTipAccounts", id="jito-down"),
]


@pytest.mark.parametrize(("book", "error"), JITO_TROUBLE, indirect=["book"])
def test_jito_in_trouble_is_a_clear_failure_and_the_swap_lands_once(
    book: Book, landing: None, monkeypatch: pytest.MonkeyPatch, error: str
) -> None:
    jito(book, monkeypatch, 5000)
    if "down" in error or "getTipAccounts" in error:
        monkeypatch.setenv("JITO_URL", "http://127.0.0.1:9")  # nothing listens
    order_id = book.leader_buys()
    call("execute_orders", {"order_ids": [order_id]})
    first = book.order(order_id)
    assert first["status"] == "pending" and first["last_error"].startswith(error)
    assert book.landed() == []
    monkeypatch.setenv("JITO_URL", f"{book.sim.base_url}/jito")  # Jito is back
    book.due_now(order_id)
    call("execute_orders", {"order_ids": [order_id]})
    assert call("confirm_orders")["outcomes"][str(order_id)] == "confirmed"
    assert [t["signature"] for t in book.landed()] == [book.order(order_id)["tx_signature"]]
    assert book.order(order_id)["attempts"] == 2


@pytest.mark.parametrize("secret", ["", "not-a-keypair-but-a-secret-all-the-same"])
def test_a_missing_or_bad_trading_key_is_refused_without_showing_it(
    book: Book, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, secret: str
) -> None:
    monkeypatch.setenv("WALLTRACK_KEYPAIR", secret)
    order_id = book.leader_buys()
    response = (
        function_app("execute_orders")
        .test_client()
        .post("/", json={"order_ids": [order_id]}, headers=OPERATOR)
    )
    assert (response.status_code, response.get_json()) == (
        500,
        {"error": "function not configured"},
    )
    assert "WALLTRACK_KEYPAIR" in caplog.text
    if secret:
        assert secret not in caplog.text and secret not in response.get_data(as_text=True)
    assert book.order(order_id)["status"] == "pending"  # nothing was claimed or sent
    assert book.order(order_id)["attempts"] == 0


def test_an_order_whose_fill_the_database_refuses_is_a_fault_and_the_others_confirm(
    book: Book,
) -> None:
    """The database refusing one order's fill (injected: a trigger refusing that order's
    confirmation) is recorded as a fault; the orders after it are still confirmed."""
    refused_id, next_id = book.leader_buys(), book.leader_buys()
    call("execute_orders", {"order_ids": [refused_id]})
    book.sim.advance(book.sim.state()["now"] + 2)  # a new blockhash: another transaction
    call("execute_orders", {"order_ids": [next_id]})
    book.db.execute(
        "create function tests.refuse_fill() returns trigger language plpgsql as $$"
        " begin raise exception using message = 'injected refusal', errcode = 'check_violation';"
        " end $$"
    )
    book.db.execute(
        "create trigger zz_test_refuse_fill before update on walltrack.orders for each row"
        f" when (new.id = {refused_id} and new.status = 'confirmed')"
        " execute function tests.refuse_fill()"
    )
    try:
        outcomes = call("confirm_orders")["outcomes"]
    finally:
        book.db.execute("drop trigger zz_test_refuse_fill on walltrack.orders")
        book.db.execute("drop function tests.refuse_fill()")
    assert (outcomes[str(refused_id)], outcomes[str(next_id)]) == ("fault", "confirmed")
    fault = book.db.execute(
        "select source, sqlstate, message, input -> 'params' ->> 'order_id'"
        " from walltrack.faults where subject = %s",
        (f"order {refused_id}",),
    ).fetchone()
    assert fault == ("confirm_orders", "23514", "injected refusal", str(refused_id))
    # Its cause gone, the next run confirms it.
    assert call("confirm_orders")["outcomes"][str(refused_id)] == "confirmed"


FIRST_SEND_FAILS = [
    {"service": "rpc", "kind": "slippage", "method": "sendTransaction", "when": {"first": 1}}
]


@pytest.mark.parametrize("book", [FIRST_SEND_FAILS], indirect=True)
def test_a_run_records_all_its_orders_in_one_database_call(book: Book) -> None:
    """A fill, a failure on chain, an expiry and an unreadable transaction, all recorded by
    one call: one transaction, so one transaction time (now()) on every row it wrote. One
    call per order, as before, would stamp each with its own."""
    expired, failed, filled, strange = (book.leader_buys() for _ in range(4))
    claim_sign_record(book, expired)  # never sent
    worker_dies(book, expired)
    book.sim.advance(book.sim.state()["now"] + 136)  # past its last valid height, finalized
    call("execute_orders", {"order_ids": [failed]})  # lands, failing: slippage
    book.sim.advance(book.sim.state()["now"] + 2)  # a new blockhash: another transaction
    call("execute_orders", {"order_ids": [filled]})
    book.sim.advance(book.sim.state()["now"] + 2)
    assert send_once(claim_sign_record(book, strange, signer=Keypair())) is None

    outcomes = call("confirm_orders")["outcomes"]
    assert [outcomes[str(i)] for i in (expired, failed, filled, strange)] == [
        "pending",
        "pending",
        "confirmed",
        "fault",
    ]
    stamps = book.db.execute(
        "select updated_at from walltrack.orders where id = any(%s)"
        " union select last_seen_at from walltrack.faults"
        " where source = 'confirm_orders' and subject = %s",
        ([expired, failed, filled], f"order {strange}"),
    ).fetchall()
    assert len(stamps) == 1


def node(book: Book, method: str, params: list[Any]) -> Any:
    """A JSON-RPC call to the simulated node, as any client would make it."""
    url = env_for(book.sim.base_url)["SOLANA_RPC_URL"]
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    return httpx.post(url, json=body).json()


def chain_transaction(book: Book, signature: str) -> dict[str, Any]:
    config = {"encoding": "json", "maxSupportedTransactionVersion": 0}
    found: dict[str, Any] = node(book, "getTransaction", [signature, config])["result"]
    return found


def test_a_swap_that_landed_while_the_confirmer_was_paused_is_never_traded_again(
    book: Book,
) -> None:
    order_id = book.leader_buys()
    call("execute_orders", {"order_ids": [order_id]})
    signature = book.order(order_id)["tx_signature"]
    book.sim.advance(book.sim.state()["now"] + 600)  # the confirmer was away ten minutes
    # The node's status cache has forgotten it, and its blockhash expired long ago.
    [cached] = node(book, "getSignatureStatuses", [[signature]])["result"]["value"]
    assert cached is None

    assert call("confirm_orders")["outcomes"][str(order_id)] == "confirmed"
    assert call("execute_orders")["outcomes"].get(str(order_id)) is None
    assert [t["signature"] for t in book.landed()] == [signature]
    assert book.order(order_id)["attempts"] == 1


def test_fills_are_the_swaps_amounts_whatever_accounts_the_route_opens_or_closes(
    monkeypatch: pytest.MonkeyPatch, stack: StackEnv, db: Db, keypair: Keypair, live: None
) -> None:
    """Real routes: a v0 transaction loading the pool from a lookup table, a Token-2022
    token, the token account opened by the first buy (its rent paid) and the wallet's empty
    wSOL account closed by every swap (its rent refunded: more than a 0.001 SOL buy)."""
    chain = {"payers_hold_empty_wsol_account": True}
    for book in open_book(
        monkeypatch, stack, db, keypair, [], chain=chain, token={"program": "token-2022"}
    ):
        first = book.leader_buys()  # 0.1 SOL
        call("execute_orders", {"order_ids": [first]})
        db.execute(
            "update walltrack.wallets set position_size_sol = 0.001 where address = %s",
            (book.wallet,),
        )
        min_position = db.execute("select min_position_sol from walltrack.config").fetchone()
        db.execute("update walltrack.config set min_position_sol = 0.001")
        try:
            second = book.leader_buys()
        finally:
            db.execute("update walltrack.config set min_position_sol = %s", min_position)
        call("execute_orders", {"order_ids": [second]})
        outcomes = call("confirm_orders")["outcomes"]
        assert (outcomes[str(first)], outcomes[str(second)]) == ("confirmed", "confirmed")
        for order_id, spent in ((first, 100_000_000), (second, 1_000_000)):
            order = book.order(order_id)
            assert order["filled_in"] == spent
            assert book.position(order_id)["qty_bought"] == order["filled_out"]
            meta = chain_transaction(book, order["tx_signature"])["meta"]
            assert meta["loadedAddresses"]["writable"]  # the pool's vaults
            assert TOKEN_2022 in {b["programId"] for b in meta["postTokenBalances"]}
            wallet_change = meta["postBalances"][0] - meta["preBalances"][0]
            opened = TOKEN_ACCOUNT_RENT if order_id == first else 0
            assert wallet_change == -spent - meta["fee"] - opened + TOKEN_ACCOUNT_RENT
        # The second buy left the wallet with more lamports than before: read naively, a
        # negative SOL leg that the database would refuse.
        assert wallet_change > 0


def test_with_nothing_to_execute_no_trading_configuration_is_needed(
    book: Book, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A paper-only deployment has no trading key: the schedule's sweep finds nothing."""
    monkeypatch.delenv("JUPITER_API_KEY")
    monkeypatch.delenv("WALLTRACK_KEYPAIR")
    assert call("execute_orders", {"order_ids": [10**12]}) == {"claimed": 0, "outcomes": {}}


def test_without_a_jupiter_key_the_orders_stay_pending_and_the_operator_is_told(
    book: Book, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JUPITER_API_KEY")
    order_id = book.leader_buys()
    response = function_app("execute_orders").test_client().post("/", json={}, headers=OPERATOR)
    assert (response.status_code, response.get_json()) == (
        500,
        {"error": "function not configured"},
    )
    assert (book.order(order_id)["status"], book.order(order_id)["attempts"]) == ("pending", 0)
    assert fault(book, "configuration") == (
        "environment variable JUPITER_API_KEY is not set; live orders stay pending until it is"
        " fixed"
    )


def test_a_refused_jupiter_key_stops_the_run_and_gives_the_orders_back(
    book: Book, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("JUPITER_API_KEY", "revoked-key-never-shown")
    ids = [book.leader_buys(), book.leader_buys()]  # claimed in one batch
    response = (
        function_app("execute_orders")
        .test_client()
        .post("/", json={"order_ids": ids}, headers=OPERATOR)
    )
    assert (response.status_code, response.get_json()) == (
        503,
        {"error": "live execution stopped: Jupiter refused the API key"},
    )
    for order_id in ids:
        order = book.order(order_id)
        assert (order["status"], order["attempts"], order["attempt_log"]) == ("pending", 0, [])
    message = fault(book, "jupiter api key")
    assert message == (
        "Jupiter refused the API key (quote: HTTP 401): set a valid JUPITER_API_KEY; live orders"
        " stay pending until it is fixed"
    )
    assert "revoked-key-never-shown" not in message + caplog.text
    assert book.landed() == []

    monkeypatch.setenv("JUPITER_API_KEY", JUPITER_KEY)  # the operator fixes it
    for order_id in ids:
        book.sim.advance(book.sim.state()["now"] + 2)  # the same buy again: another blockhash
        outcomes = call("execute_orders", {"order_ids": [order_id]})["outcomes"]
        assert outcomes == {str(order_id): "submitted"}


def test_a_swap_jupiter_sees_failing_is_never_sent(
    monkeypatch: pytest.MonkeyPatch, stack: StackEnv, db: Db, keypair: Keypair, live: None
) -> None:
    """Our wallet holds 0.05 SOL: Jupiter's simulation of a 0.1 SOL buy fails for lack of
    funds. That is final; sending it would only have paid the fee."""
    for book in open_book(
        monkeypatch, stack, db, keypair, [], chain={"default_balance_sol": "0.05"}
    ):
        order_id = book.leader_buys()
        outcomes = call("execute_orders", {"order_ids": [order_id]})["outcomes"]
        assert outcomes == {str(order_id): "insufficient_funds"}
        order = book.order(order_id)
        assert order["status"] == "failed" and order["tx_signature"] is None
        assert "swap simulation failed" in order["last_error"]
        assert book.landed() == []


def test_the_preflight_runs_at_the_commitment_of_the_swaps_blockhash(book: Book) -> None:
    """Jupiter's blockhash is recent: a preflight at the node's default (finalized) does not
    know it yet; ours runs at confirmed, and the swap is taken."""
    book.sim.advance(30)  # 75 slots in: the finalized bank is 32 slots behind
    transaction = claim_sign_record(book, book.leader_buys())
    encoded = base64.b64encode(bytes(transaction)).decode()
    finalized = {"encoding": "base64", "preflightCommitment": "finalized"}
    refused = node(book, "sendTransaction", [encoded, finalized])["error"]
    assert (refused["code"], refused["data"]["err"]) == (-32002, "BlockhashNotFound")
    assert send_once(transaction) is None
    assert [t["signature"] for t in book.landed()] == [str(transaction.signatures[0])]


def fault(book: Book, subject: str) -> str:
    row = book.db.execute(
        "select message from walltrack.faults where source = 'execute_orders' and subject = %s",
        (subject,),
    ).fetchone()
    assert row is not None
    return str(row[0])


def test_a_transaction_our_wallet_did_not_pay_is_a_fault_and_the_next_order_confirms(
    book: Book,
) -> None:
    """The chain knows the signature but the transaction is not ours to read as a fill (here
    another wallet paid it): the order waits, the operator sees why, the run goes on."""
    strange_id, next_id = book.leader_buys(), book.leader_buys()
    strange = claim_sign_record(book, strange_id, signer=Keypair())
    assert send_once(strange) is None  # it lands, paid by the other wallet
    book.sim.advance(book.sim.state()["now"] + 2)
    call("execute_orders", {"order_ids": [next_id]})
    outcomes = call("confirm_orders")["outcomes"]
    assert (outcomes[str(strange_id)], outcomes[str(next_id)]) == ("fault", "confirmed")
    row = book.db.execute(
        "select message from walltrack.faults where source = 'confirm_orders' and subject = %s",
        (f"order {strange_id}",),
    ).fetchone()
    assert row == (
        "cannot read the transaction: UnreadableFill: our wallet is not the transaction's fee"
        " payer",
    )
    assert book.order(strange_id)["status"] == "submitted"


def test_a_native_panic_is_recoverable_for_the_run_and_a_stop_is_not() -> None:
    """solders panics on an error body without `data` (a BaseException, not an Exception):
    caught at an order's boundary, as an exception is; a stopping process is not."""
    body = '{"jsonrpc":"2.0","id":0,"error":{"code":-32005,"message":"Node is unhealthy"}}'
    with pytest.raises(BaseException) as panicked:
        SendTransactionResp.from_json(body)
    assert not isinstance(panicked.value, Exception)
    assert execution.is_recoverable(panicked.value)
    assert execution.is_recoverable(ValueError("bad answer"))
    assert not execution.is_recoverable(KeyboardInterrupt())
