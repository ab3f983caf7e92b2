"""helius-backfill (issue 16) through the real function, against the simulator's parsed
history and the real database: a delivery outage recovered (the missed sell mirrored, the
missed buy stale), pages walked back, the credit budget, 429, a backfill racing the late
webhook, hostile pages, and delivery_health's flag."""

from __future__ import annotations

import concurrent.futures
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest
from solders.keypair import Keypair

from scripts.stack_env import StackEnv
from simulator import Simulator, env_for, run_simulator
from simulator.delivery import leader_transaction
from simulator.helius_tx import base58, swap_transaction
from tests.support.function_app import OPERATOR, function_app, helius_functions_env
from tests.support.http_fake import Reply, Request, serve
from tests.support.stack_secrets import stack_secret

Db = psycopg.Connection[tuple[Any, ...]]
API_KEY = "backfill-test-key-never-logged"


def new_address() -> str:
    return str(Keypair().pubkey())


@dataclass
class Leader:
    address: str
    mint: str


@pytest.fixture
def leader(db: Db) -> Iterator[Leader]:
    """A watched wallet whose sells are mirrored, trading a safe token; the rest of the
    watchlist was just read, so each run reads this wallet alone."""
    leader = Leader(new_address(), new_address())
    db.execute(
        "update walltrack.config set max_open_positions = 100000,"
        " max_total_exposure_sol = 1000000, max_positions_per_token = 100000,"
        " backfill_credits_per_run = 5000, helius_history_call_credits = 100"
    )
    db.execute(
        "insert into walltrack.wallets (address, label, copy_sells)"
        " values (%s, 'backfilled', true)",
        (leader.address,),
    )
    db.execute("select tests.safe_token(%s)", (leader.mint,))
    read_all_but(db, leader.address, "now() + interval '1 day'")
    yield leader
    db.execute(
        "update walltrack.wallets set status = 'retired' where address = %s", (leader.address,)
    )
    db.execute("update walltrack.config set max_copy_delay_seconds = null")  # as in pytest


def read_all_but(db: Db, address: str, when: str) -> None:
    """Marks every other wallet read at `when` (an engine-only column)."""
    db.execute(
        "select tests.as_engine(format("
        "'update walltrack.wallets set history_checked_at = %%s where address <> %%L',"
        " %s::text, %s::text))",
        (when, address),
    )


def an_hour_later(db: Db, leader: Leader) -> None:
    """The backfill interval passed since the leader was last read."""
    db.execute(
        "select tests.as_engine(format('update walltrack.wallets set history_checked_at ="
        " history_checked_at - interval ''61 minutes'' where address = %%L', %s::text))",
        (leader.address,),
    )


def scenario(leader: Leader, swaps: list[tuple[int, str]], **extra: Any) -> dict[str, Any]:
    """The leader's swaps of 1 SOL, (t, side) each, on one token."""
    return {
        "name": "backfill",
        "seed": secrets.randbelow(2**31),  # signatures differ from run to run on one database
        "delivery": {"timeout_ms": 5000, "max_retries": 0},
        "wallets": [{"address": leader.address, "label": "leader"}],
        "tokens": [
            {"mint": leader.mint, "symbol": "BACK", "price_path": [{"t": 0, "price_sol": "0.001"}]}
        ],
        "swaps": [
            {"t": t, "wallet": leader.address, "side": side, "mint": leader.mint, "sol_amount": "1"}
            for t, side in swaps
        ],
    } | extra


def outage(from_t: int, until_t: int) -> dict[str, Any]:
    return {"service": "webhook", "kind": "outage", "when": {"from_t": from_t, "until_t": until_t}}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, stack: StackEnv, db: Db) -> Iterator[None]:
    db.execute(
        "update walltrack.config set helius_webhook_id = null, helius_webhook_url = null,"
        " helius_synced_hash = null, helius_synced_at = null"
    )
    for name, value in helius_functions_env(stack, API_KEY).items():
        monkeypatch.setenv(name, value)
    yield


@pytest.fixture
def simulate(
    monkeypatch: pytest.MonkeyPatch, environment: None
) -> Iterator[Callable[[dict[str, Any]], Simulator]]:
    """Starts a simulator for a scenario and points the functions at it."""
    with ExitStack() as running:

        def start(data: dict[str, Any]) -> Simulator:
            sim = running.enter_context(run_simulator(data))
            for name, value in env_for(sim.base_url).items():
                monkeypatch.setenv(name, value)
            return sim

        yield start


def call(target: str) -> dict[str, Any]:
    response = function_app(target).test_client().post("/", headers=OPERATOR)
    assert response.status_code == 200, response.get_json()
    answer: dict[str, Any] = response.get_json()
    return answer


def signals(db: Db, leader: Leader) -> list[tuple[Any, ...]]:
    """(side, found_by, decision reason) of the leader's signals, in chain order."""
    return db.execute(
        "select s.side::text, s.found_by::text, s.decision_reason from walltrack.signals as s"
        " join walltrack.wallets as w on w.id = s.wallet_id where w.address = %s"
        " order by s.slot, s.id",
        (leader.address,),
    ).fetchall()


def history_calls(sim: Simulator) -> int:
    return int(sim.state()["calls"].get("helius_history", 0))


def test_an_outage_is_recovered_the_missed_sell_mirrored_the_missed_buy_stale(
    simulate: Callable[[dict[str, Any]], Simulator], db: Db, leader: Leader
) -> None:
    sim = simulate(
        scenario(
            leader,
            [(10, "buy"), (100, "sell"), (120, "buy")],
            faults=[outage(50, 150)],
            start_unix=int(time.time()) - 300,
        )
    )
    synced = call("helius_sync")
    # The push's own backfill read the leader first: no history yet, so it is read from now.
    assert synced["backfill"]["wallets_done"] == 1
    deliveries = sim.advance(200)["deliveries"]
    assert [d.get("skipped") for d in deliveries] == [
        None,
        "delivery outage: dropped",
        "delivery outage: dropped",
    ]
    assert signals(db, leader) == [("buy", "webhook", "copied")]

    # The scenario began 300 s ago (its clock runs ahead of the wall clock); the copy delay
    # applies from the outage on: the buy the webhook missed is 180 s old.
    db.execute("update walltrack.config set max_copy_delay_seconds = 20")
    an_hour_later(db, leader)
    answer = call("helius_backfill")
    assert (answer["new_signals"], answer["pages"], answer["wallets_done"]) == (2, 2, 1)
    assert answer["stopped"] is None
    assert signals(db, leader) == [
        ("buy", "webhook", "copied"),
        ("sell", "backfill", "mirror_sell"),
        ("buy", "backfill", "stale"),
    ]
    position = db.execute(
        "select p.status::text, p.close_reason from walltrack.positions as p"
        " join walltrack.wallets as w on w.id = p.wallet_id where w.address = %s",
        (leader.address,),
    ).fetchall()
    assert position == [("closed", "mirror_sell")]
    health = db.execute(
        "select swaps_by_webhook, swaps_by_backfill, backfill_share_pct, flagged"
        " from walltrack.delivery_health where address = %s",
        (leader.address,),
    ).fetchone()
    assert health == (1, 2, Decimal("66.7"), True)

    # Read again: nothing new, one call (the empty page above the watermark).
    an_hour_later(db, leader)
    calls_before = history_calls(sim)
    again = call("helius_backfill")
    assert (again["new_signals"], again["pages"]) == (0, 1)
    assert history_calls(sim) == calls_before + 1


def test_a_long_history_is_walked_in_pages_and_the_budget_stops_a_run_that_resumes(
    simulate: Callable[[dict[str, Any]], Simulator], db: Db, leader: Leader
) -> None:
    swaps = [(10 + n, "buy" if n % 2 == 0 else "sell") for n in range(7)]
    sim = simulate(scenario(leader, swaps, faults=[outage(0, 1000)], helius_history_page_max=2))
    call("helius_sync")  # the first read: empty history, read from now on
    sim.advance(100)
    an_hour_later(db, leader)
    db.execute("update walltrack.config set backfill_credits_per_run = 250")  # 2 calls

    first = call("helius_backfill")
    assert (first["calls"], first["credits_spent"], first["new_signals"]) == (2, 200, 4)
    assert (first["stopped"], first["wallets_left"]) == ("credit budget spent", [leader.address])
    assert len(signals(db, leader)) == 4

    # The next run resumes below the last page (not from the top): 7 swaps = 4 pages, then
    # the empty one that ends the walk; none is stored twice.
    second = call("helius_backfill")
    assert (second["calls"], second["new_signals"]) == (2, 3)
    assert second["stopped"] == "credit budget spent"
    third = call("helius_backfill")
    assert (third["calls"], third["new_signals"], third["wallets_done"]) == (1, 0, 1)
    stored = signals(db, leader)
    assert len(stored) == 7 and {found for _side, found, _reason in stored} == {"backfill"}
    assert history_calls(sim) == 1 + 5  # the first read, then 5 pages
    newest = leader_transaction(sim.world, 6, sim.world.timeline[6])["signature"]
    watermark = db.execute(
        "select history_until_signature, history_walk_before from walltrack.wallets"
        " where address = %s",
        (leader.address,),
    ).fetchone()
    assert watermark == (newest, None)


def test_an_operator_reads_every_wallet_on_demand_and_a_bad_body_is_refused(
    simulate: Callable[[dict[str, Any]], Simulator], db: Db, leader: Leader
) -> None:
    sim = simulate(scenario(leader, [(10, "buy")], faults=[outage(0, 100)]))
    call("helius_sync")
    sim.advance(20)
    assert call("helius_backfill")["pages"] == 0  # read a moment ago: not due
    app = function_app("helius_backfill").test_client()
    on_demand = app.post("/", headers=OPERATOR, json={"every_wallet": True})
    assert (on_demand.status_code, on_demand.get_json()["new_signals"]) == (200, 1)
    bad_bodies: list[Any] = [[], {"every_wallet": "yes"}]
    for body in bad_bodies:
        refused = app.post("/", headers=OPERATOR, json=body)
        assert refused.status_code == 400
        assert refused.get_json() == {"error": 'the body is empty, or {"every_wallet": true|false}'}
    assert app.post("/", json={}).status_code == 401


def test_a_budget_of_zero_reads_nothing(
    simulate: Callable[[dict[str, Any]], Simulator], db: Db, leader: Leader
) -> None:
    sim = simulate(scenario(leader, [(10, "buy")]))
    db.execute("update walltrack.config set backfill_credits_per_run = 0")
    answer = call("helius_backfill")
    assert (answer["calls"], answer["stopped"]) == (0, "credit budget spent")
    assert answer["wallets_left"] == [leader.address]
    assert history_calls(sim) == 0


def test_a_429_stops_the_run_and_the_next_run_reads_it(
    simulate: Callable[[dict[str, Any]], Simulator], db: Db, leader: Leader
) -> None:
    limited = {
        "service": "helius_history",
        "kind": "status",
        "status": 429,
        "retry_after": "5",
        "when": {"calls": [2]},
    }
    sim = simulate(scenario(leader, [(10, "buy"), (20, "sell")], faults=[outage(0, 100), limited]))
    call("helius_sync")  # call 1: the first read
    sim.advance(50)
    an_hour_later(db, leader)
    stopped = call("helius_backfill")
    assert stopped["stopped"] == f"helius history of {leader.address}: 429, Retry-After 5"
    assert (stopped["new_signals"], stopped["wallets_left"]) == (0, [leader.address])
    assert signals(db, leader) == []
    resumed = call("helius_backfill")  # still due: its walk never completed
    assert (resumed["new_signals"], resumed["stopped"]) == (2, None)


def test_a_backfill_racing_the_late_webhook_stores_and_mirrors_the_sell_once(
    simulate: Callable[[dict[str, Any]], Simulator], stack: StackEnv, db: Db, leader: Leader
) -> None:
    sim = simulate(scenario(leader, [(10, "buy"), (100, "sell")], faults=[outage(50, 150)]))
    call("helius_sync")
    sim.advance(200)
    an_hour_later(db, leader)
    sell = leader_transaction(sim.world, 1, sim.world.timeline[1])

    def late_webhook() -> int:
        response = httpx.post(
            f"{stack.supabase_url}/functions/v1/helius-webhook",
            content=json.dumps([sell]).encode(),
            headers={"Authorization": stack_secret("HELIUS_WEBHOOK_SECRET")},
            timeout=10,
        )
        return response.status_code

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        webhook = pool.submit(late_webhook)
        backfill = pool.submit(call, "helius_backfill")
        assert webhook.result() == 200
        assert backfill.result()["stopped"] is None
    [(side, _found_by, reason)] = [s for s in signals(db, leader) if s[0] == "sell"]
    assert (side, reason) == ("sell", "mirror_sell")
    orders = db.execute(
        "select count(*) from walltrack.orders as o join walltrack.positions as p"
        " on p.id = o.position_id join walltrack.wallets as w on w.id = p.wallet_id"
        " where w.address = %s and o.side = 'sell'",
        (leader.address,),
    ).fetchone()
    assert orders == (1,)


# --- hostile pages (an HTTP fake of the history) --------------------------------------------


@pytest.fixture
def fake_history(monkeypatch: pytest.MonkeyPatch, environment: None) -> Iterator[list[bytes]]:
    """A history endpoint answering the bodies queued, then []."""
    bodies: list[bytes] = []

    def answer(request: Request) -> Reply:
        return Reply(200, {}, bodies.pop(0) if bodies else b"[]")

    with serve(answer, threading.Event()) as base_url:
        monkeypatch.setenv("HELIUS_API_BASE_URL", base_url)
        yield bodies


def test_a_malformed_transaction_is_rejected_alone_and_the_walk_goes_on(
    fake_history: list[bytes], db: Db, leader: Leader, caplog: pytest.LogCaptureFixture
) -> None:
    read_from_now(db, leader)
    good = sell_transaction(leader, base58(88))
    broken = {"signature": base58(88), "slot": "not a slot", "timestamp": 1}
    fake_history.append(json.dumps([good, broken]).encode())
    with caplog.at_level(logging.INFO):
        answer = call("helius_backfill")
    assert (answer["new_signals"], answer["rejected"], answer["pages"]) == (1, 1, 2)
    fault = db.execute(
        "select message from walltrack.faults where source = 'helius-backfill' and subject = %s",
        (broken["signature"],),
    ).fetchone()
    assert fault is not None and "slot" in fault[0]
    assert API_KEY not in caplog.text and API_KEY not in json.dumps(answer)


@pytest.mark.parametrize("body", [b"{}", b"not json", b'[{"no": "signature"}]'])
def test_a_page_that_is_not_a_history_is_a_fault_and_stores_nothing(
    fake_history: list[bytes], db: Db, leader: Leader, body: bytes
) -> None:
    read_from_now(db, leader)
    fake_history.append(body)
    answer = call("helius_backfill")
    assert (answer["new_signals"], answer["wallets_left"]) == (0, [leader.address])
    fault = db.execute(
        "select message from walltrack.faults where source = 'helius-backfill' and subject = %s"
        " order by id desc limit 1",
        (leader.address,),
    ).fetchone()
    assert fault is not None and fault[0].startswith(f"helius history of {leader.address}")
    assert API_KEY not in fault[0]
    walk = db.execute(
        "select history_walk_before from walltrack.wallets where address = %s", (leader.address,)
    ).fetchone()
    assert walk == (None,)


def read_from_now(db: Db, leader: Leader) -> None:
    """The leader was read to its end an hour ago, with no history then."""
    db.execute(
        "select tests.as_engine(format('update walltrack.wallets set history_checked_at ="
        " now() - interval ''61 minutes'' where address = %%L', %s::text))",
        (leader.address,),
    )


def sell_transaction(leader: Leader, signature: str) -> dict[str, Any]:
    return swap_transaction(
        leader.address, leader.mint, -1000, 1_000_000, signature=signature, decimals=6
    )
