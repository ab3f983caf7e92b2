"""Swaps Helius does not type SWAP (issue 14): the simulator delivers each leader swap under
the type Helius gives its venue, and only to webhooks subscribed to that type; through the
real helius-sync and helius-webhook functions, a Meteora DBC leader is not heard with the old
SWAP-only subscription and is copied with the default one."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args

import httpx
import psycopg
import pytest
from solders.keypair import Keypair

from scripts.stack_env import StackEnv
from simulator import ScenarioError, Simulator, env_for, parse_scenario, run_simulator
from simulator.helius_tx import VENUES, base58
from simulator.scenario import Venue
from tests.support.function_app import OPERATOR, function_app, helius_functions_env
from tests.support.http_fake import Reply, Request, serve
from tests.support.stack_secrets import stack_secret
from walltrack.helius import parse_delivery
from walltrack.helius_api import create_webhook
from walltrack.settings import DEFAULT_TRANSACTION_TYPES, HeliusSettings, transaction_types

Db = psycopg.Connection[tuple[Any, ...]]
API_KEY = "simulated-helius-key"
SECRET = "simulated-webhook-secret"
LEADER_BUYS_AT = 10


def new_address() -> str:
    return str(Keypair().pubkey())


def scenario(leader: str, mint: str, venues: list[str | None]) -> dict[str, Any]:
    """The leader buys `mint` for 1 SOL once per venue, 10 s apart from t=10 (None: no venue,
    the plain SWAP of the default source)."""
    swaps = [
        {"t": LEADER_BUYS_AT * (n + 1), "wallet": leader, "side": "buy", "mint": mint}
        | ({"venue": venue} if venue else {})
        | {"sol_amount": "1"}
        for n, venue in enumerate(venues)
    ]
    return {
        "name": "hear every swap",
        "seed": secrets.randbelow(2**31),  # signatures differ from run to run on one database
        "delivery": {"timeout_ms": 5000, "max_retries": 0},
        "wallets": [{"address": leader, "label": "meteora leader"}],
        "tokens": [
            {"mint": mint, "symbol": "CURVE", "price_path": [{"t": 0, "price_sol": "0.00001"}]}
        ],
        "swaps": swaps,
    }


def test_every_venue_of_a_scenario_has_a_helius_type() -> None:
    assert set(VENUES) == set(get_args(Venue))
    assert {VENUES["meteora_dbc"], VENUES["meteora_damm_v2"]} == {
        ("TRANSFER", "UNKNOWN"),
        ("UNKNOWN", "UNKNOWN"),
    }


def test_a_venue_and_a_source_together_are_refused() -> None:
    data = scenario(new_address(), new_address(), ["meteora_dbc"])
    data["swaps"][0]["source"] = "METEORA"
    with pytest.raises(ScenarioError) as refused:
        parse_scenario(data, "venue.json")
    assert "swaps.0: Value error, give venue or source, not both" in str(refused.value)


# --- deliveries by type (no database) --------------------------------------------------------


@dataclass
class Receiver:
    url: str = ""
    bodies: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: Request) -> Reply:
        with self.lock:
            self.bodies.append(request.body)
        return Reply(200, {}, b"{}")

    def types(self) -> list[str]:
        return [tx["type"] for body in self.bodies for tx in json.loads(body)]


@contextmanager
def receivers(count: int) -> Iterator[list[Receiver]]:
    """`count` tiny webhook endpoints standing in for helius-webhook."""
    with ExitStack() as stack:
        hooks = [Receiver() for _ in range(count)]
        for hook in hooks:
            base_url = stack.enter_context(serve(hook.answer, threading.Event()))
            hook.url = f"{base_url}/webhook"
        yield hooks


def subscribe(sim: Simulator, url: str, types: tuple[str, ...], wallet: str) -> str:
    settings = HeliusSettings(
        api_base_url=env_for(sim.base_url)["HELIUS_API_BASE_URL"],
        webhook_url=url,
        transaction_types=types,
        api_key=API_KEY,
        webhook_secret=SECRET,
    )
    return create_webhook(settings, [wallet])


def test_each_swap_reaches_the_webhooks_subscribed_to_its_type() -> None:
    leader, mint = new_address(), new_address()
    venues: list[str | None] = ["raydium", "meteora_dbc", "meteora_damm_v2"]
    with run_simulator(scenario(leader, mint, venues)) as sim, receivers(3) as hooks:
        swap_only, default, anything = hooks
        subscribe(sim, swap_only.url, ("SWAP",), leader)
        subscribe(sim, default.url, ("SWAP", "TRANSFER", "UNKNOWN"), leader)
        subscribe(sim, anything.url, ("ANY",), leader)
        reports = sim.advance(60)["deliveries"]
    assert [(r["t"], r["type"], r["delivered"]) for r in reports] == [
        (10, "SWAP", True),
        (10, "SWAP", True),
        (10, "SWAP", True),
        (20, "TRANSFER", True),
        (20, "TRANSFER", True),
        (30, "UNKNOWN", True),
        (30, "UNKNOWN", True),
    ]
    assert swap_only.types() == ["SWAP"]
    assert default.types() == anything.types() == ["SWAP", "TRANSFER", "UNKNOWN"]
    # Whatever the type, the webhook's parser reads the same 1 SOL buy from the balances.
    for body in default.bodies:
        [payload] = parse_delivery(body).transactions
        [swap] = [swap for swap in payload["swaps"] if swap["wallet"] == leader]
        assert (swap["side"], swap["token_mint"], swap["quote_amount"]) == (
            "buy",
            mint,
            "1000000000",
        )
    sources = [json.loads(body)[0]["source"] for body in default.bodies]
    assert sources == ["RAYDIUM", "UNKNOWN", "UNKNOWN"]


def test_a_swap_no_webhook_subscribes_to_is_skipped_and_says_why() -> None:
    leader, mint = new_address(), new_address()
    with run_simulator(scenario(leader, mint, ["meteora_dbc"])) as sim, receivers(1) as [hook]:
        subscribe(sim, hook.url, ("SWAP",), leader)
        [report] = sim.advance(15)["deliveries"]
    assert (report["type"], report["skipped"]) == (
        "TRANSFER",
        "no webhook watching this wallet subscribes to TRANSFER",
    )
    assert hook.bodies == []


# --- through helius-sync and helius-webhook (database) ---------------------------------------


@pytest.fixture
def room_to_copy(db: Db) -> None:
    """No leftover webhook in config (helius-sync creates one), and room for the copy."""
    db.execute(
        "update walltrack.config set helius_webhook_id = null, helius_webhook_url = null,"
        " helius_synced_hash = null, helius_synced_at = null, max_open_positions = 100000,"
        " max_total_exposure_sol = 1000000, max_positions_per_token = 100000"
    )


@dataclass
class Leader:
    address: str
    mint: str


@pytest.fixture
def leader(db: Db, room_to_copy: None) -> Iterator[Leader]:
    """A watched wallet about to buy a token (already checked and safe) on a Meteora DBC curve."""
    leader = Leader(new_address(), new_address())
    db.execute(
        "insert into walltrack.wallets (address, label) values (%s, 'meteora leader')",
        (leader.address,),
    )
    db.execute("select tests.safe_token(%s)", (leader.mint,))
    yield leader
    db.execute(
        "update walltrack.wallets set status = 'retired' where address = %s", (leader.address,)
    )


def signal_of(db: Db, leader: Leader, signature: str) -> tuple[Any, ...] | None:
    return db.execute(
        "select s.source, s.side::text, s.price_sol, s.decision::text, p.status::text"
        " from walltrack.signals as s"
        " join walltrack.wallets as w on w.id = s.wallet_id"
        " left join walltrack.positions as p on p.opened_from_signal_id = s.id"
        " where s.signature = %s and w.address = %s",
        (signature, leader.address),
    ).fetchone()


def sync_and_trade(
    monkeypatch: pytest.MonkeyPatch, stack: StackEnv, leader: Leader, types: str | None
) -> dict[str, Any]:
    """helius-sync pushes the watchlist to the simulated Helius (HELIUS_TRANSACTION_TYPES =
    `types`, None: unset), then the leader buys on DBC: the delivery report."""
    with run_simulator(scenario(leader.address, leader.mint, ["meteora_dbc"])) as sim:
        for name, value in (env_for(sim.base_url) | helius_functions_env(stack, API_KEY)).items():
            monkeypatch.setenv(name, value)
        if types is None:
            monkeypatch.delenv("HELIUS_TRANSACTION_TYPES", raising=False)
        else:
            monkeypatch.setenv("HELIUS_TRANSACTION_TYPES", types)
        synced = function_app("helius_sync").test_client().post("/", headers=OPERATOR)
        assert (synced.status_code, synced.get_json()["action"]) == (200, "create")
        [report] = sim.advance(LEADER_BUYS_AT + 5)["deliveries"]
        [hook] = sim.state()["webhooks"]
    report["subscribed"] = hook["transactionTypes"]
    return dict(report)


def test_a_dbc_leader_is_not_heard_under_the_old_swap_only_subscription(
    monkeypatch: pytest.MonkeyPatch, stack: StackEnv, db: Db, leader: Leader
) -> None:
    report = sync_and_trade(monkeypatch, stack, leader, "SWAP")
    assert report["subscribed"] == ["SWAP"]
    assert report["skipped"] == "no webhook watching this wallet subscribes to TRANSFER"
    assert signal_of(db, leader, report["signature"]) is None


def test_a_dbc_leader_is_copied_under_the_default_subscription(
    monkeypatch: pytest.MonkeyPatch, stack: StackEnv, db: Db, leader: Leader
) -> None:
    report = sync_and_trade(monkeypatch, stack, leader, None)
    assert report["subscribed"] == DEFAULT_TRANSACTION_TYPES.split(",")
    assert (report["type"], report["delivered"]) == ("TRANSFER", True)
    assert [attempt["status"] for attempt in report["attempts"]] == [200]
    # 1 SOL at the curve's 0.00001 SOL per token, read from the balances of a TRANSFER.
    assert signal_of(db, leader, report["signature"]) == (
        "UNKNOWN",
        "buy",
        Decimal("0.00001"),
        "copied",
        "open",
    )


# --- real-shaped deliveries posted to helius-webhook (database) ------------------------------

FIXTURES = Path(__file__).parent / "fixtures" / "helius"


def as_watched_wallets(name: str, leader: Leader) -> dict[str, Any]:
    """The fixture's transaction, made by `leader` (its fee payer) under a fresh signature."""
    [tx] = json.loads((FIXTURES / name).read_text())
    text = json.dumps(tx).replace(tx["feePayer"], leader.address)
    return dict(json.loads(text.replace(tx["signature"], base58(88))))


def post_to_webhook(stack: StackEnv, tx: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        f"{stack.supabase_url}/functions/v1/helius-webhook",
        content=json.dumps([tx]).encode(),
        headers={"Authorization": stack_secret("HELIUS_WEBHOOK_SECRET")},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.mark.parametrize(
    "name", ["plain_sol_transfer.json", "token_transfer.json", "nft_mint_unknown.json"]
)
def test_a_watched_wallets_transfer_or_mint_is_taken_and_never_copied(
    stack: StackEnv, db: Db, leader: Leader, name: str
) -> None:
    tx = as_watched_wallets(name, leader)
    answer = post_to_webhook(stack, tx)
    assert (answer["stored"], answer["new_signals"], answer["decisions"]) == (1, 0, [])
    assert answer["rejected"] == []
    assert signal_of(db, leader, tx["signature"]) is None


def test_a_dbc_buy_typed_transfer_is_copied_by_the_webhook(
    stack: StackEnv, db: Db, leader: Leader
) -> None:
    tx = as_watched_wallets("meteora_dbc_buy.json", leader)
    mint = tx["tokenTransfers"][1]["mint"]
    db.execute("select tests.safe_token(%s)", (mint,))
    answer = post_to_webhook(stack, tx)
    assert [decision["reason"] for decision in answer["decisions"]] == ["copied"]
    # 0.5 SOL for 17,345,678.901234 tokens: the rent of the accounts opened and the fee left out.
    price = Decimal("0.5") / Decimal("17345678.901234")
    assert signal_of(db, leader, tx["signature"]) == (
        "UNKNOWN",
        "buy",
        round(price, 18),
        "copied",
        "open",
    )


def test_the_operators_list_of_types_is_read_as_helius_spells_it() -> None:
    assert transaction_types(" swap, Transfer,,UNKNOWN,SWAP ") == ("SWAP", "TRANSFER", "UNKNOWN")
    assert transaction_types(DEFAULT_TRANSACTION_TYPES) == ("SWAP", "TRANSFER", "UNKNOWN")
