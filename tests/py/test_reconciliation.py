"""Chain reconciliation through the real reconcile-wallet function, against the market
simulator's chain (getTokenAccountsByOwner over both token programs, getBalance) and the real
database: tokens moved out of the trading key outside WallTrack become a finding, the next
live buy of that token is refused until an operator resolves it; a chain that cannot be read
(429, a malformed answer) writes nothing and says why; no secret leaves the function."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from solders.keypair import Keypair

from scripts.stack_env import StackEnv
from simulator.helius_tx import normalised_swap
from simulator.scenario import TOKEN_2022_PROGRAM, TOKEN_PROGRAM
from tests.py.test_live_execution import Book, call, open_book
from tests.support.function_app import OPERATOR, function_app
from tests.support.http_fake import Reply, serve
from walltrack.solana_rpc import SolanaRpc

Db = psycopg.Connection[tuple[Any, ...]]
STRANGER = str(Keypair().pubkey())  # where the tokens go: a wallet WallTrack never heard of


@pytest.fixture(params=["spl-token", "token-2022"])
def book(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    stack: StackEnv,
    db: Db,
    keypair: Keypair,
    live: None,
) -> Iterator[Book]:
    yield from open_book(monkeypatch, stack, db, keypair, [], token={"program": request.param})


def bought(book: Book) -> int:
    """A live copy bought, sent and confirmed: what the position holds, atomic units."""
    order_id = book.leader_buys()
    call("execute_orders", {"order_ids": [order_id]})
    assert call("confirm_orders")["outcomes"][str(order_id)] == "confirmed"
    held = int(book.order(order_id)["filled_out"])
    assert held > 0
    return held


def leader_buys_again(book: Book) -> dict[str, Any]:
    payload = normalised_swap(book.wallet, book.mint, "buy", 1_000_000_000, 100_000_000)
    row = book.db.execute(
        "select api.ingest_swaps(%s::jsonb) -> 'decisions' -> 0", (json.dumps([payload]),)
    ).fetchone()
    assert row is not None
    decision: dict[str, Any] = row[0]
    return decision


def open_finding(db: Db, mint: str) -> dict[str, Any] | None:
    row = db.execute(
        "select to_jsonb(f) from walltrack.chain_finding_list as f where f.token_mint = %s",
        (mint,),
    ).fetchone()
    return None if row is None else dict(row[0])


def test_tokens_moved_away_are_caught_and_block_live_buys_until_resolved(
    book: Book, keypair: Keypair, db: Db
) -> None:
    held = bought(book)
    owner = str(keypair.pubkey())
    report = call("reconcile_wallet")
    assert report["owner"] == owner and book.mint not in report["in_flight"]
    assert open_finding(db, book.mint) is None, "what the chain holds matches: no finding"

    # A third of the tokens leave the key outside WallTrack (a transfer signed elsewhere).
    moved = held // 3
    book.sim.move_tokens(book.mint, moved, source=owner, destination=STRANGER)
    report = call("reconcile_wallet")
    [finding] = [f for f in report["findings"] if f["token_mint"] == book.mint]
    assert (finding["kind"], finding["db_amount"], finding["chain_amount"]) == (
        "deficit",
        str(held),
        str(held - moved),
    )
    row = open_finding(db, book.mint)
    assert row is not None and row["blocks_live_buys"] and row["state"] == "open"
    assert int(row["sol_balance_sol"] * 10**9) == book.sim.world.state.chain.balance(owner)

    # Then the rest: the same finding, now a phantom; not a second row.
    book.sim.move_tokens(book.mint, held - moved, source=owner, destination=STRANGER)
    call("reconcile_wallet")
    row = open_finding(db, book.mint)
    assert row is not None and (row["id"], row["kind"], row["times_seen"]) == (
        finding["finding_id"],
        "phantom",
        2,
    )
    position = db.execute(
        "select qty_bought, status from walltrack.positions where token_mint = %s", (book.mint,)
    ).fetchone()
    assert position == (held, "open"), "a finding is never a fix"

    refused = leader_buys_again(book)
    assert (refused["decision"], refused["reason"]) == ("skipped", "chain_mismatch")

    with pytest.raises(psycopg.errors.CheckViolation, match="names the operator"):
        db.execute("select api.resolve_chain_finding(%s, 'ops', '')", (row["id"],))
    db.execute(
        "select api.resolve_chain_finding(%s, 'ops', 'drained by a leaked key; key rotated')",
        (row["id"],),
    )
    again = leader_buys_again(book)
    assert (again["decision"], again["reason"]) == ("copied", "copied")
    # Never executed here: cancelled, so no later test finds a due live order it did not make.
    db.execute(
        "update walltrack.orders set status = 'cancelled' where id = %s", (again["order_id"],)
    )


def test_the_simulator_lists_token_accounts_as_a_node_does(book: Book, keypair: Keypair) -> None:
    """jsonParsed, filtered by program or by mint: the copy's account under its program."""
    held = bought(book)
    owner = str(keypair.pubkey())
    program = book.sim.world.scenario.tokens[0].program_id
    config = {"encoding": "jsonParsed", "commitment": "confirmed"}
    with SolanaRpc(book.sim.env()["SOLANA_RPC_URL"], 2) as rpc:
        listed = rpc.call("getTokenAccountsByOwner", [owner, {"programId": program}, config])
        [account] = [a for a in listed["value"] if mint_of(a) == book.mint]
        info = account["account"]["data"]["parsed"]["info"]
        assert info["owner"] == owner and info["tokenAmount"]["amount"] == str(held)
        assert info["tokenAmount"]["decimals"] == 6 and account["account"]["owner"] == program
        other = TOKEN_PROGRAM if program == TOKEN_2022_PROGRAM else TOKEN_2022_PROGRAM
        elsewhere = rpc.call("getTokenAccountsByOwner", [owner, {"programId": other}, config])
        assert book.mint not in [mint_of(a) for a in elsewhere["value"]]
        by_mint = rpc.call("getTokenAccountsByOwner", [owner, {"mint": book.mint}, config])
        assert [a["pubkey"] for a in by_mint["value"]] == [account["pubkey"]]


def mint_of(account: dict[str, Any]) -> str:
    return str(account["account"]["data"]["parsed"]["info"]["mint"])


@pytest.fixture
def chain_env(monkeypatch: pytest.MonkeyPatch, stack: StackEnv, keypair: Keypair) -> None:
    for name, value in {
        "SUPABASE_URL": stack.supabase_url,
        "SUPABASE_SERVICE_ROLE_KEY": stack.service_role_key,
        "FUNCTIONS_SECRET": "operator-test-secret",
        "WALLTRACK_KEYPAIR": str(keypair),
        "EXECUTION_TIMEOUT_SECONDS": "1",
    }.items():
        monkeypatch.setenv(name, value)


def findings_state(db: Db) -> tuple[Any, ...]:
    row = db.execute("select count(*), max(last_seen_at) from walltrack.chain_findings").fetchone()
    assert row is not None
    return tuple(row)


def rpc_reply(body: dict[str, Any]) -> Reply:
    return Reply(200, {}, json.dumps({"jsonrpc": "2.0", "id": 1, **body}).encode())


# An account whose amount is a number, not the string of atomic units a node sends.
MALFORMED = {
    "pubkey": STRANGER,
    "account": {
        "owner": TOKEN_PROGRAM,
        "data": {"parsed": {"info": {"mint": STRANGER, "tokenAmount": {"amount": 5}}}},
    },
}


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (Reply(429, {}, b'{"error": "rate limited"}'), "getTokenAccountsByOwner: HTTP 429"),
        (
            rpc_reply({"error": {"code": 429, "message": "Too many requests"}}),
            "getTokenAccountsByOwner: HTTP 429",
        ),
        (
            rpc_reply({"result": {"context": {"slot": 1}, "value": [MALFORMED]}}),
            "getTokenAccountsByOwner: malformed account",
        ),
        (rpc_reply({"result": {"context": {"slot": 1}}}), "no list of accounts"),
        (Reply(200, {}, b"not json"), "getTokenAccountsByOwner: HTTP 200, no result"),
    ],
    ids=["http-429", "json-rpc-429", "malformed-account", "no-value", "not-json"],
)
def test_a_chain_that_cannot_be_read_writes_nothing_and_says_why(
    monkeypatch: pytest.MonkeyPatch,
    chain_env: None,
    db: Db,
    keypair: Keypair,
    stack: StackEnv,
    caplog: pytest.LogCaptureFixture,
    answer: Reply,
    said: str,
) -> None:
    before = findings_state(db)
    with serve(lambda request: answer, threading.Event()) as url:
        monkeypatch.setenv("SOLANA_RPC_URL", f"{url}/?api-key=rpc-secret-key")
        with caplog.at_level(logging.INFO):
            response = (
                function_app("reconcile_wallet").test_client().post("/", json={}, headers=OPERATOR)
            )
    assert response.status_code == 502
    message = response.get_json()["error"]
    assert message.startswith("chain read failed, nothing recorded: ") and said in message
    assert findings_state(db) == before, "nothing written"
    told = response.get_data(as_text=True) + caplog.text
    for secret in (str(keypair), "rpc-secret-key", stack.service_role_key, "operator-test-secret"):
        assert secret not in told
