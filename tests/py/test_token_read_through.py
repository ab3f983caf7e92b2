"""The webhook's token read-through, against HTTP fakes of RugCheck, DexScreener and DAS and
the real database: only missing or stale facts are fetched, once per token, and the
decision is taken on them. The webhook stores first and answers within its deadline; a
lookup that outlasts it decides the waiting buys itself."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from solders.keypair import Keypair

from scripts.stack_env import StackEnv
from simulator import run_simulator
from simulator.helius_tx import new_mint, swap_transaction
from tests.support.fake_token_apis import FakeTokenApis, fake_token_apis
from tests.support.function_app import OPERATOR, OPERATOR_SECRET, function_app
from tests.support.http_fake import Fault

Db = psycopg.Connection[tuple[Any, ...]]
FIXTURES = Path(__file__).parent / "fixtures" / "tokens"
HEALTHY = "9Bp8NfUvg5PT7zRRUcNRuDvDemhvNJKTJTp7v9XZMRs3"
RUGGED = "CcGAfhDyZkNxmQgvD2Dj6tDSszTeoBtugoAH2Dbpump"
SECRET = "read-through-secret"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def apis(monkeypatch: pytest.MonkeyPatch, stack: StackEnv) -> Iterator[FakeTokenApis]:
    with fake_token_apis(api_key="das-key") as fake:
        fake.rugcheck = {
            HEALTHY: load("rugcheck_healthy.json"),
            RUGGED: load("rugcheck_rugged.json"),
        }
        fake.pairs = load("dexscreener_pairs.json")
        fake.assets = {HEALTHY: load("das_healthy.json"), RUGGED: load("das_rugged.json")}
        for name, value in {
            **fake.env(),
            "SUPABASE_URL": stack.supabase_url,
            "SUPABASE_SERVICE_ROLE_KEY": stack.service_role_key,
            "HELIUS_WEBHOOK_SECRET": SECRET,
            "FUNCTIONS_SECRET": OPERATOR_SECRET,
        }.items():
            monkeypatch.setenv(name, value)
        yield fake


@pytest.fixture(scope="module")
def wallets(stack: StackEnv) -> list[str]:
    with psycopg.connect(stack.database_url, autocommit=True) as db:
        db.execute(
            "update walltrack.config set max_positions_per_token = 1000,"
            " max_open_positions = 100000, max_total_exposure_sol = 1000000"
        )
        rows = db.execute(
            "select address from walltrack.wallets where label in"
            " ('whale-alpha', 'scalper-beta', 'degen-gamma') order by label"
        ).fetchall()
    return [str(row[0]) for row in rows]


def deliver(*txs: dict[str, Any]) -> dict[str, Any]:
    response = (
        function_app("helius_webhook")
        .test_client()
        .post("/", data=json.dumps(list(txs)), headers={"Authorization": SECRET})
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def buy(wallet: str, mint: str) -> dict[str, Any]:
    return swap_transaction(wallet, mint, 5_000_000_000, -1_000_000_000)


def reasons(result: dict[str, Any]) -> list[str]:
    return [decision["reason"] for decision in result["decisions"]]


def decision_of(db: Db, signature: str, within_seconds: float = 15.0) -> str | None:
    """The signal's decision reason once the lookup that outlived the answer has taken it
    (None if it never does: the assertion that follows then fails)."""
    query = "select decision_reason from walltrack.signals where signature = %s"
    give_up = time.monotonic() + within_seconds
    while time.monotonic() < give_up:
        row = db.execute(query, (signature,)).fetchone()
        if row is not None and row[0] is not None:
            return str(row[0])
        time.sleep(0.05)
    return None


def verdict(db: Db, mint: str) -> tuple[Any, ...]:
    row = db.execute(
        "select verdict::text, verdict_reasons, failed_sources from walltrack.tokens"
        " where mint = %s",
        (mint,),
    ).fetchone()
    assert row is not None
    return tuple(row)


def test_a_burst_for_one_new_token_looks_it_up_once_then_hits_the_cache(
    apis: FakeTokenApis, wallets: list[str], db: Db
) -> None:
    result = deliver(*(buy(wallet, HEALTHY) for wallet in wallets))
    assert [len(apis.calls_to(source)) for source in ("rugcheck", "dexscreener", "das")] == [
        1,
        1,
        1,
    ]
    stored = verdict(db, HEALTHY)
    assert stored[2] == []
    # The decision is taken on the facts just fetched (the fixture is a healthy token whose
    # verdict the SQL rules give); the first copy holds the token for the others.
    expected = "copied" if stored[0] in ("safe", "risky") else f"token_{stored[0]}"
    assert reasons(result)[0] == expected
    again = deliver(buy(wallets[0], HEALTHY))
    assert len(apis.calls) == 3, "a cache hit makes no lookup"
    assert again["new_signals"] == 1


def test_a_rugged_token_is_refused_with_its_reason(
    apis: FakeTokenApis, wallets: list[str], db: Db
) -> None:
    result = deliver(buy(wallets[0], RUGGED))
    assert reasons(result) == ["token_unsafe"]
    assert verdict(db, RUGGED)[:2] == ("unsafe", ["rugged"])


def test_all_sources_down_answer_at_once_and_fail_closed_when_the_lookup_gives_up(
    apis: FakeTokenApis, wallets: list[str], db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every source keeps answering 503: the lookup retries for its whole budget (2 s here),
    past the webhook's deadline. The delivery is answered before, its buy stored and
    pending; the lookup that gives up stores what it knows and decides the buy."""
    monkeypatch.setenv("TOKEN_LOOKUP_BUDGET_SECONDS", "2")
    for source in ("rugcheck", "dexscreener", "das"):
        apis.faults[source] = Fault(forever=503)
    mint = new_mint()
    tx = buy(wallets[0], mint)
    result = deliver(tx)
    assert (result["new_signals"], result["decisions"], len(result["pending"])) == (1, [], 1)
    assert decision_of(db, tx["signature"]) == "token_unknown"
    assert verdict(db, mint) == (
        "unknown",
        ["authorities_unknown", "market_unknown", "rugcheck_unknown"],
        ["rugcheck", "dexscreener", "das"],
    )


def test_a_duplicate_during_the_lookup_is_answered_at_once_and_decided_once(
    apis: FakeTokenApis, wallets: list[str], db: Db
) -> None:
    """Helius re-delivers while the first delivery is still looking the new token up: the
    duplicate finds its signal stored and answers at once, without a second lookup; the
    first one's lookup decides it as a single delivery of such a token is decided."""
    apis.faults["rugcheck"] = Fault(delay=0.4)
    [single] = reasons(deliver(buy(wallets[0], new_mint())))
    assert single != "token_not_checked"
    apis.calls.clear()
    mint = new_mint()
    tx = buy(wallets[0], mint)
    answers: list[dict[str, Any]] = []
    first = threading.Thread(target=lambda: answers.append(deliver(tx)))
    first.start()
    claimed = (
        "select count(*) from walltrack.tokens where mint = %s and lookup_claimed_until > now()"
    )
    while first.is_alive() and db.execute(claimed, (mint,)).fetchone() != (1,):
        pass  # until the first delivery has claimed the lookup (or ended: then asserts fail)
    answers.append(deliver(tx))
    first.join()
    assert sorted(answer["new_signals"] for answer in answers) == [0, 1]
    assert len(apis.calls_to("rugcheck")) == 1
    assert decision_of(db, tx["signature"]) == single


def test_another_leader_buying_during_the_lookup_is_decided_by_that_lookup(
    apis: FakeTokenApis, wallets: list[str], db: Db
) -> None:
    """A second leader buys the same new token while its lookup runs: its buy waits for
    those facts (never token_not_checked) and the token is looked up once."""
    apis.faults["rugcheck"] = Fault(delay=0.4)
    mint = new_mint()
    first_tx, second_tx = buy(wallets[0], mint), buy(wallets[1], mint)
    first = threading.Thread(target=deliver, args=(first_tx,))
    first.start()
    claimed = (
        "select count(*) from walltrack.tokens where mint = %s and lookup_claimed_until > now()"
    )
    while first.is_alive() and db.execute(claimed, (mint,)).fetchone() != (1,):
        pass
    second = deliver(second_tx)
    first.join()
    assert second["decisions"] == [] and len(second["pending"]) == 1
    assert len(apis.calls_to("rugcheck")) == 1
    first_reason = decision_of(db, first_tx["signature"])
    assert first_reason not in (None, "token_not_checked")
    assert decision_of(db, second_tx["signature"]) not in (None, "token_not_checked")


def lookup(body: bytes, headers: dict[str, str] = OPERATOR) -> tuple[int, dict[str, Any]]:
    response = function_app("token_lookup").test_client().post("/", data=body, headers=headers)
    return response.status_code, response.get_json()


def test_lookup_on_demand_refreshes_every_source_of_the_given_mints(
    apis: FakeTokenApis, db: Db
) -> None:
    status, body = lookup(json.dumps({"mints": [HEALTHY, HEALTHY]}).encode())
    assert status == 200
    assert body["refreshed"][HEALTHY]["verdict"] == verdict(db, HEALTHY)[0]
    assert [len(apis.calls_to(s)) for s in ("rugcheck", "dexscreener", "das")] == [1, 1, 1]


@pytest.mark.parametrize(
    "body", [b"[1]", b'{"mints": "x"}', b'{"mints": []}', b'{"mints": ["0xBAD"]}', b"{"]
)
def test_lookup_refuses_a_bad_request(apis: FakeTokenApis, body: bytes) -> None:
    status, answer = lookup(body)
    assert status == 400 and set(answer) == {"error"}
    assert apis.calls == []


def test_scheduled_lookup_refreshes_only_due_facts_of_tokens_in_play(
    apis: FakeTokenApis, wallets: list[str], db: Db
) -> None:
    deliver(buy(wallets[0], HEALTHY))
    db.execute(
        "update walltrack.tokens set market_fetched_at = now() - interval '10 minutes',"
        " fetched_at = now() - interval '10 minutes' where mint = %s",
        (HEALTHY,),
    )
    apis.calls.clear()
    status, body = lookup(b"")
    assert status == 200 and HEALTHY in body["refreshed"]
    assert [call.source for call in apis.calls] == ["dexscreener"]


def test_lookup_refuses_a_caller_without_the_operator_secret(apis: FakeTokenApis) -> None:
    assert lookup(json.dumps({"mints": [HEALTHY]}).encode(), {}) == (
        401,
        {"error": "unauthorized"},
    )
    assert apis.calls == []


# --- a report slower than the webhook's deadline (the market simulator) ----------------------

SLOW_REPORT_MS = 2500  # past the webhook's 0.7 s, within RugCheck's 5 s and the lookup's 10 s
DEFAULTED = (
    "WEBHOOK_DEADLINE_SECONDS",
    "TOKEN_LOOKUP_BUDGET_SECONDS",
    "TOKEN_SOURCE_TIMEOUT_SECONDS",
    "RUGCHECK_TIMEOUT_SECONDS",
)


@pytest.fixture
def slow_report(monkeypatch: pytest.MonkeyPatch, stack: StackEnv) -> Iterator[str]:
    """A new token, served by the simulator, whose full RugCheck report always takes 2.5 s to
    build (its main pool is 40 % locked). Every budget and timeout is at its default."""
    mint = str(Keypair().pubkey())  # a real address: the simulator refuses any other
    token = {
        "mint": mint,
        "symbol": "SLOW",
        "price_path": [{"t": 0, "price_sol": "0.0001"}],
        "lp_locked_pct": "40",
        "rugcheck_report_ms": SLOW_REPORT_MS,
    }
    world = {"name": "slow report", "start_unix": 1764300000, "sol_usd": "150", "tokens": [token]}
    with run_simulator(world) as sim:
        for name in DEFAULTED:
            monkeypatch.delenv(name, raising=False)
        for name, value in {
            **sim.env(),
            "HELIUS_API_KEY": "das-key",
            "SUPABASE_URL": stack.supabase_url,
            "SUPABASE_SERVICE_ROLE_KEY": stack.service_role_key,
            "HELIUS_WEBHOOK_SECRET": SECRET,
            "FUNCTIONS_SECRET": OPERATOR_SECRET,
        }.items():
            monkeypatch.setenv(name, value)
        yield mint


def rugcheck_facts(db: Db, mint: str) -> tuple[Any, ...]:
    row = db.execute(
        "select lp_locked_pct, rugcheck_fetched_at is not null from walltrack.tokens"
        " where mint = %s",
        (mint,),
    ).fetchone()
    assert row is not None
    return tuple(row)


def test_a_report_slower_than_the_deadline_is_still_read_and_decides_the_buy(
    slow_report: str, wallets: list[str], db: Db
) -> None:
    """The webhook answers before the report is built, with the buy pending; its lookup,
    which no request waits on, reads the report and decides the buy on the full facts."""
    tx = buy(wallets[0], slow_report)
    result = deliver(tx)
    assert (result["new_signals"], result["decisions"], len(result["pending"])) == (1, [], 1)
    reason = decision_of(db, tx["signature"])
    stored = verdict(db, slow_report)
    assert stored[2] == [] and "rugcheck_unknown" not in stored[1]
    assert rugcheck_facts(db, slow_report) == (Decimal(40), True)
    assert reason == ("copied" if stored[0] in ("safe", "risky") else f"token_{stored[0]}")
