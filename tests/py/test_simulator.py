"""The offline market simulator over real HTTP on 127.0.0.1, spoken to by WallTrack's own
clients, solana-py and solders (no database: no stack fixture here)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.core import RPCException
from solana.rpc.models import TxOpts
from solders.keypair import Keypair
from solders.message import to_bytes_versioned
from solders.rpc.errors import SendTransactionPreflightFailureMessage
from solders.signature import Signature
from solders.transaction import VersionedTransaction
from solders.transaction_status import TransactionErrorFieldless

from simulator import ScenarioError, Simulator, env_for, parse_scenario, run_simulator
from simulator.chain import TOKEN_ACCOUNT_RENT
from tests.support.http_fake import Reply, Request, closed_port_url, serve
from walltrack.helius import parse_delivery
from walltrack.helius_api import WebhookNotFound, create_webhook, edit_webhook
from walltrack.prices import PriceSettings, fetch_prices_sol
from walltrack.settings import HeliusSettings
from walltrack.token_sources import TokenSourceSettings, fetch_token_facts

JUPITER_KEY = {"x-api-key": "any key"}  # the swap API wants one; a scenario may name it

REPO = Path(__file__).resolve().parents[2]
SMOKE = REPO / "simulator" / "scenarios" / "smoke.json"
SOL = "So11111111111111111111111111111111111111112"
GCAT = "9Bp8NfUvg5PT7zRRUcNRuDvDemhvNJKTJTp7v9XZMRs3"  # healthy
SAFE = "CcGAfhDyZkNxmQgvD2Dj6tDSszTeoBtugoAH2Dbpump"  # rugs at t=100, not on Jupiter price
ALICE = "GwmhjjGXJCfQc9A75yj8CtgjypauFf52saabWCKyRFNu"
BOB = "CV2pgo3ZoFSUPpF4fwrwgk6i141DSrK7wkvmpF5VFH9n"
MINTER = "7bEsxn8ru5qhGGeM1vnxQjcssuJSpvd7FxMSffuPzHKp"
SECRET = "simulated-webhook-secret"
API_KEY = "simulated-helius-key"
ALL_SOURCES = ["rugcheck", "dexscreener", "das"]
SLIPPAGE_EXCEEDED = 6001


def smoke(**changes: Any) -> dict[str, Any]:
    """The smoke scenario with some top-level entries replaced."""
    data: dict[str, Any] = json.loads(SMOKE.read_text(), parse_float=Decimal)
    return data | changes


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with run_simulator(SMOKE) as simulator:
        yield simulator


@pytest.fixture
def pointed(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> Simulator:
    """WallTrack's clients configured, through their own env names, to use the simulator."""
    for name, value in {**env_for(sim.base_url), "HELIUS_API_KEY": API_KEY}.items():
        monkeypatch.setenv(name, value)
    return sim


def token_facts(mints: list[str], timeout: float = 1.0) -> dict[str, dict[str, Any]]:
    """Facts under a short lookup budget: a source the simulator holds back fails quickly."""
    settings = TokenSourceSettings.from_env()
    settings = TokenSourceSettings(
        **{**settings.__dict__, "timeout_seconds": timeout, "budget_seconds": 1.5}
    )
    rows = asyncio.run(fetch_token_facts({mint: ALL_SOURCES for mint in mints}, settings))
    return {row["mint"]: row for row in rows}


def prices(mints: list[str]) -> dict[str, tuple[str, str]]:
    batch = asyncio.run(fetch_prices_sol(mints, PriceSettings.from_env()))
    return {row["mint"]: (row["price_sol"], row["source"]) for row in batch.prices}


# --- token facts and prices -----------------------------------------------------------------


def test_env_for_names_every_client_endpoint() -> None:
    assert env_for("http://127.0.0.1:9/") == {
        "HELIUS_API_BASE_URL": "http://127.0.0.1:9/helius",
        "HELIUS_RPC_URL": "http://127.0.0.1:9/rpc",
        "RUGCHECK_BASE_URL": "http://127.0.0.1:9/rugcheck/v1",
        "DEXSCREENER_BASE_URL": "http://127.0.0.1:9/dexscreener",
        "JUPITER_PRICE_URL": "http://127.0.0.1:9/jupiter/price/v3",
        "JUPITER_QUOTE_URL": "http://127.0.0.1:9/jupiter/swap/v1/quote",
        "JUPITER_SWAP_URL": "http://127.0.0.1:9/jupiter/swap/v1/swap",
        "SOLANA_RPC_URL": "http://127.0.0.1:9/rpc",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/telegram",
        "DISCORD_WEBHOOK_URL": "http://127.0.0.1:9/discord/webhooks/1/simulator",
    }


def test_token_sources_read_the_scenario_facts(pointed: Simulator) -> None:
    facts = token_facts([GCAT, SAFE])
    assert [row["failed_sources"] for row in facts.values()] == [[], []]
    gcat, safe = facts[GCAT], facts[SAFE]
    assert gcat["rugcheck"] | {"risks": None} == {
        "score": 501,
        "score_normalised": 3,
        "risks": None,
        "top10_holders_pct": "23.8",
        "lp_locked_pct": "100",
        "rugged": False,
        "mint_authority": None,
        "freeze_authority": None,
        "name": "Glacier Cat",
        "symbol": "GCAT",
        "decimals": 6,
        "supply": "1000000000000000",
    }
    # 300 SOL a side at $150, a billion tokens at 0.000002 SOL, a pool two days old.
    assert gcat["dexscreener"] | {"pair_address": None} == {
        "pair_address": None,
        "dex_id": "raydium",
        "liquidity_usd": "90000",
        "market_cap_usd": "300000",
        "fdv_usd": "300000",
        "price_usd": "0.0003",
        "price_sol": "0.000002",
        "pair_created_at": "2025-11-26T03:20:00.000+00:00",
    }
    assert gcat["das"]["mint_authority"] is None and gcat["das"]["decimals"] == 6
    assert safe["rugcheck"]["mint_authority"] == MINTER == safe["das"]["mint_authority"]
    assert safe["rugcheck"]["risks"][0]["level"] == "danger"
    assert safe["rugcheck"]["rugged"] is False


def test_facts_follow_the_clock_through_a_rug_pull(pointed: Simulator) -> None:
    pointed.advance(100)
    safe = token_facts([SAFE])[SAFE]
    assert safe["rugcheck"]["rugged"] is True
    assert safe["dexscreener"]["price_sol"] == "0.00000001"


def test_unknown_mints_fail_each_source_as_the_real_ones_do(pointed: Simulator) -> None:
    stranger = "Fq3KbT9mWcZ1xRrVw5nHdE2jLs8pYgA6uNcQe4tBvM7k"
    row = token_facts([stranger])[stranger]
    assert sorted(row["failed_sources"]) == ["das", "rugcheck"]  # DexScreener: no pair
    rugcheck = httpx.get(f"{os.environ['RUGCHECK_BASE_URL']}/tokens/{stranger}/report")
    assert (rugcheck.status_code, rugcheck.json()) == (400, {"error": "not found"})


def test_prices_come_from_jupiter_then_dexscreener(pointed: Simulator) -> None:
    assert prices([GCAT, SAFE]) == {
        GCAT: ("0.000002", "jupiter"),
        SAFE: ("0.00001", "dexscreener"),  # left out of Jupiter's price API
    }
    pointed.advance(30)  # halfway between 0.000002 at t=0 and 0.000003 at t=60
    assert prices([GCAT])[GCAT] == ("0.0000025", "jupiter")


# --- Helius webhook management --------------------------------------------------------------


def helius_settings(sim: Simulator, url: str, secret: str = SECRET) -> HeliusSettings:
    return HeliusSettings(
        api_base_url=env_for(sim.base_url)["HELIUS_API_BASE_URL"],
        webhook_url=url,
        transaction_types=("SWAP",),
        api_key=API_KEY,
        webhook_secret=secret,
    )


def webhook(sim: Simulator, webhook_id: str) -> httpx.Response:
    base = env_for(sim.base_url)["HELIUS_API_BASE_URL"]
    return httpx.get(f"{base}/v0/webhooks/{webhook_id}", params={"api-key": API_KEY})


def test_helius_client_creates_and_edits_webhooks(sim: Simulator) -> None:
    settings = helius_settings(sim, "http://127.0.0.1:9/functions/v1/helius-webhook")
    webhook_id = create_webhook(settings, [ALICE])
    assert webhook(sim, webhook_id).json()["accountAddresses"] == [ALICE]
    assert edit_webhook(settings, webhook_id, [ALICE, BOB]) == webhook_id
    saved = webhook(sim, webhook_id).json()
    assert saved | {"wallet": None} == {
        "webhookID": webhook_id,
        "wallet": None,
        "webhookURL": settings.webhook_url,
        "transactionTypes": ["SWAP"],
        "accountAddresses": [ALICE, BOB],
        "webhookType": "enhanced",
        "authHeader": SECRET,
        "txnStatus": "success",
        "active": True,
    }
    with pytest.raises(WebhookNotFound):
        edit_webhook(settings, "00000000-0000-4000-8000-000000000000", [ALICE])
    base = env_for(sim.base_url)["HELIUS_API_BASE_URL"]
    assert httpx.get(f"{base}/v0/webhooks").status_code == 401  # no api-key
    deleted = httpx.delete(f"{base}/v0/webhooks/{webhook_id}", params={"api-key": API_KEY})
    assert deleted.status_code == 200 and webhook(sim, webhook_id).status_code == 404


# --- deliveries -----------------------------------------------------------------------------


@dataclass
class Receiver:
    url: str
    statuses: list[int]  # answered in order, then 200
    received: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: Request) -> Reply:
        with self.lock:
            self.received.append(request)
            status = self.statuses.pop(0) if self.statuses else 200
        return Reply(status, {}, b"{}")


@contextmanager
def receiver(*statuses: int) -> Iterator[Receiver]:
    """A tiny webhook endpoint standing in for helius-webhook."""
    got = Receiver("", list(statuses))
    with serve(got.answer, threading.Event()) as base_url:
        got.url = f"{base_url}/webhook"
        yield got


def statuses(report: dict[str, Any]) -> list[int | str]:
    return [attempt.get("status", attempt.get("error")) for attempt in report["attempts"]]


def test_a_delivery_reaches_the_webhook_with_its_auth_header(sim: Simulator) -> None:
    with receiver() as hook:
        webhook_id = create_webhook(helius_settings(sim, hook.url), [ALICE, BOB])
        reports = sim.advance(15)["deliveries"]
    assert [(r["webhook_id"], r["delivered"], statuses(r)) for r in reports] == [
        (webhook_id, True, [200])
    ]
    [request] = hook.received
    assert (request.method, request.path, request.headers["authorization"]) == (
        "POST",
        "/webhook",
        SECRET,
    )
    delivery = parse_delivery(request.body)  # the webhook's own parser
    assert delivery.rejected == []
    [transaction] = delivery.transactions
    assert transaction["signature"] == reports[0]["signature"]
    assert transaction["timestamp"] == 1_764_300_010
    # Alice paid 1.5 SOL at t=10, when GCAT cost 0.000002166666666667 SOL.
    tokens = int(Decimal("1.5") / Decimal("0.000002166666666667") * 10**6)
    assert [swap for swap in transaction["swaps"] if swap["wallet"] == ALICE] == [
        {
            "wallet": ALICE,
            "side": "buy",
            "token_mint": GCAT,
            "token_amount": str(tokens),
            "token_decimals": 6,
            "quote_mint": SOL,
            "quote_amount": "1500000000",
            "quote_decimals": 9,
        }
    ]


def test_deliveries_follow_the_timeline_and_the_watched_wallets(sim: Simulator) -> None:
    with receiver() as hook:
        create_webhook(helius_settings(sim, hook.url), [ALICE])
        reports = sim.advance(200)["deliveries"]
    assert [(r["t"], r["wallet"], r["side"], "skipped" in r) for r in reports] == [
        (10, ALICE, "buy", False),
        (20, BOB, "buy", True),  # nobody watches Bob
        (70, ALICE, "sell", False),
        (110, BOB, "sell", True),
    ]
    assert len(hook.received) == 2
    [sell] = [
        swap
        for swap in parse_delivery(hook.received[1].body).transactions[0]["swaps"]
        if swap["wallet"] == ALICE
    ]
    assert (sell["side"], sell["token_amount"]) == ("sell", "400000000000")
    # 400,000 GCAT at t=70, when it cost 0.000002916666666667 SOL.
    assert sell["quote_amount"] == str(
        int(Decimal("400000") * Decimal("0.000002916666666667") * 10**9)
    )
    assert sim.advance(300)["deliveries"] == []  # nothing delivered twice


def test_a_failed_delivery_is_retried_with_backoff(sim: Simulator) -> None:
    with receiver(500, 502) as hook:
        create_webhook(helius_settings(sim, hook.url), [ALICE])
        started = time.monotonic()
        [report] = sim.advance(15)["deliveries"]
        elapsed = time.monotonic() - started
    assert (statuses(report), report["delivered"]) == ([500, 502, 200], True)
    assert len({request.body for request in hook.received}) == 1  # the same body each time
    assert elapsed >= 0.06  # paused 20 ms, then 40 ms (smoke.json's back-off)


def test_a_403_is_not_retried_and_an_unreachable_webhook_is_given_up(sim: Simulator) -> None:
    with receiver(403) as hook:
        create_webhook(helius_settings(sim, hook.url), [ALICE])
        create_webhook(helius_settings(sim, f"{closed_port_url()}/gone"), [ALICE])
        reports = sim.advance(15)["deliveries"]
    assert [(statuses(r), r["delivered"]) for r in reports] == [
        ([403], False),
        (["ConnectError"] * 4, False),  # the first try and 3 retries
    ]


def test_a_duplicate_fault_sends_the_delivery_twice() -> None:
    fault = {"service": "webhook", "kind": "duplicate", "when": {"first": 1}}
    with run_simulator(smoke(faults=[fault])) as sim, receiver() as hook:
        create_webhook(helius_settings(sim, hook.url), [ALICE])
        reports = [r for r in sim.advance(80)["deliveries"] if "skipped" not in r]
        assert [(r["t"], r["copy"], r["delivered"]) for r in reports] == [
            (10, 1, True),
            (10, 2, True),
            (70, 1, True),
        ]
        assert hook.received[0].body == hook.received[1].body


def test_signatures_are_stable_for_a_seed() -> None:
    def first_signature(scenario: dict[str, Any]) -> str:
        with run_simulator(scenario) as sim:
            return str(sim.advance(15)["deliveries"][0]["signature"])

    assert first_signature(smoke()) == first_signature(smoke())
    assert first_signature(smoke()) != first_signature(smoke(seed=8))


# --- Jupiter and the chain ------------------------------------------------------------------


def quote(
    sim: Simulator, input_mint: str, output_mint: str, amount: int, slippage: int = 100
) -> Any:
    params = {"inputMint": input_mint, "outputMint": output_mint, "amount": str(amount)}
    url = env_for(sim.base_url)["JUPITER_QUOTE_URL"]
    params |= {"slippageBps": str(slippage)}
    return httpx.get(url, params=params, headers=JUPITER_KEY).json()


def signed_swap(sim: Simulator, quoted: Any, wallet: Keypair) -> VersionedTransaction:
    """Jupiter's unsigned transaction, signed as a copier would with solders."""
    order = {"quoteResponse": quoted, "userPublicKey": str(wallet.pubkey())}
    url = env_for(sim.base_url)["JUPITER_SWAP_URL"]
    answer = httpx.post(url, json=order, headers=JUPITER_KEY).json()
    unsigned = VersionedTransaction.from_bytes(base64.b64decode(answer["swapTransaction"]))
    assert unsigned.message.account_keys[0] == wallet.pubkey()  # the payer
    return VersionedTransaction(unsigned.message, [wallet])


async def send(
    sim: Simulator, transaction: VersionedTransaction, skip_preflight: bool = False
) -> Signature:
    async with AsyncClient(env_for(sim.base_url)["SOLANA_RPC_URL"]) as client:
        # Jupiter's blockhash is recent: a preflight at `finalized` would not know it yet.
        opts = TxOpts(skip_preflight=skip_preflight, preflight_commitment=Confirmed)
        return (await client.send_raw_transaction(bytes(transaction), opts)).value


async def landed(sim: Simulator, signature: Signature, encoding: str = "jsonParsed") -> Any:
    """The status and the transaction, as solana-py parses them."""
    async with AsyncClient(env_for(sim.base_url)["SOLANA_RPC_URL"]) as client:
        [status] = (await client.get_signature_statuses([signature])).value
        found = await client.get_transaction(
            signature, encoding=encoding, max_supported_transaction_version=0
        )
    return status, found.value


def movements(found: Any, wallet: Keypair) -> tuple[int, int, int]:
    """(lamports the wallet spent besides the fee, its token change, the fee), as a confirmer
    reads them from getTransaction."""
    meta = found.transaction.meta
    spent = meta.pre_balances[0] - meta.post_balances[0] - meta.fee

    def held(balances: Any) -> int:
        own = [b for b in balances if b.owner == wallet.pubkey()]
        return sum(int(balance.ui_token_amount.amount) for balance in own)

    return spent, held(meta.post_token_balances) - held(meta.pre_token_balances), meta.fee


def test_quote_swap_sign_send_confirm_round_trip(sim: Simulator) -> None:
    wallet = Keypair()
    buy = quote(sim, SOL, GCAT, 100_000_000)  # 0.1 SOL
    assert int(buy["otherAmountThreshold"]) == int(buy["outAmount"]) * 9900 // 10000
    signature = asyncio.run(send(sim, signed_swap(sim, buy, wallet)))
    status, found = asyncio.run(landed(sim, signature))
    assert (status.err, str(status.confirmation_status)) == (
        None,
        "TransactionConfirmationStatus.Confirmed",
    )
    spent, gained, fee = movements(found, wallet)
    # The first buy opens the wallet's token account: its rent leaves the wallet too.
    assert (spent, gained) == (100_000_000 + TOKEN_ACCOUNT_RENT, int(buy["outAmount"]))
    # A signature, and the "auto" 10,000 lamports of priority fee as a whole price per unit
    # (7,142 micro-lamports over 1.4M units): 9,999 lamports.
    assert fee == 5000 + 9999

    sell = quote(sim, GCAT, SOL, gained)
    status, found = asyncio.run(landed(sim, asyncio.run(send(sim, signed_swap(sim, sell, wallet)))))
    spent, gained, _ = movements(found, wallet)
    assert (status.err, -spent, -gained) == (None, int(sell["outAmount"]), int(buy["outAmount"]))
    assert -spent < 100_000_000  # two pool fees and the price impact later

    sim.advance(13)  # 32 slots later the swaps are final
    status, _ = asyncio.run(landed(sim, signature))
    assert str(status.confirmation_status) == "TransactionConfirmationStatus.Finalized"


def test_the_fill_follows_the_price_when_the_transaction_lands(sim: Simulator) -> None:
    wallet = Keypair()
    cheap = quote(sim, SOL, GCAT, 100_000_000, slippage=5000)
    transaction = signed_swap(sim, cheap, wallet)
    sim.advance(30)  # GCAT is 25 % dearer: fewer tokens, yet within a 50 % slippage
    _, found = asyncio.run(landed(sim, asyncio.run(send(sim, transaction))))
    _, gained, _ = movements(found, wallet)
    assert gained == int(quote(sim, SOL, GCAT, 100_000_000)["outAmount"]) < int(cheap["outAmount"])


def assert_slippage_failure(status: Any, found: Any) -> None:
    assert status.err is not None
    error = found.transaction.meta.err
    assert error.err.code == SLIPPAGE_EXCEEDED  # InstructionError(2, Custom(0x1771))
    assert "custom program error: 0x1771" in found.transaction.meta.log_messages[-1]


def test_a_price_move_past_the_slippage_bound_fails_on_chain(sim: Simulator) -> None:
    wallet = Keypair()
    transaction = signed_swap(sim, quote(sim, SOL, GCAT, 100_000_000, slippage=100), wallet)
    sim.advance(30)
    status, found = asyncio.run(landed(sim, asyncio.run(send(sim, transaction))))
    assert_slippage_failure(status, found)
    spent, gained, fee = movements(found, wallet)
    assert (spent, gained, fee > 0) == (0, 0, True)  # a failed swap still pays its fee


def test_a_slippage_fault_fails_the_first_swap_only() -> None:
    fault = {"service": "rpc", "kind": "slippage", "when": {"first": 1}}
    with run_simulator(smoke(faults=[fault])) as sim:
        wallet = Keypair()
        first, second = (
            signed_swap(sim, quote(sim, SOL, GCAT, n), wallet) for n in (10**8, 2 * 10**8)
        )
        assert_slippage_failure(*asyncio.run(landed(sim, asyncio.run(send(sim, first)))))
        status, _ = asyncio.run(landed(sim, asyncio.run(send(sim, second))))
        assert status.err is None


def test_selling_tokens_not_held_fails_on_chain(sim: Simulator) -> None:
    wallet = Keypair()
    signature = asyncio.run(send(sim, signed_swap(sim, quote(sim, GCAT, SOL, 10**9), wallet)))
    _, found = asyncio.run(landed(sim, signature, encoding="json"))
    meta, message = found.transaction.meta, found.transaction.transaction.message
    assert meta.err.err.code == 6024  # Jupiter's InsufficientFunds
    assert str(message.account_keys[0]) == str(wallet.pubkey())
    assert meta.pre_balances[0] - meta.post_balances[0] == meta.fee


def test_a_bad_signature_is_rejected(sim: Simulator) -> None:
    wallet, stranger = Keypair(), Keypair()
    signed = signed_swap(sim, quote(sim, SOL, GCAT, 10**8), wallet)
    forged = VersionedTransaction.populate(
        signed.message, [stranger.sign_message(to_bytes_versioned(signed.message))]
    )
    for skip_preflight in (False, True):
        with pytest.raises(RPCException) as refused:
            asyncio.run(send(sim, forged, skip_preflight))
        assert "TransactionSignatureVerificationFailure" in str(refused.value.args[0])
    assert sim.state()["transactions"] == []


def preflight_error(refused: pytest.ExceptionInfo[RPCException]) -> Any:
    failure = refused.value.args[0]
    assert isinstance(failure, SendTransactionPreflightFailureMessage)
    return failure


def test_an_expired_blockhash_is_refused_or_dropped(sim: Simulator) -> None:
    wallet = Keypair()
    late = signed_swap(sim, quote(sim, SOL, GCAT, 10**8), wallet)
    sim.advance(61)  # 152 blocks: past the 150 a blockhash lives
    with pytest.raises(RPCException) as refused:
        asyncio.run(send(sim, late))
    failure = preflight_error(refused)
    assert failure.message == "Transaction simulation failed: Blockhash not found"
    assert failure.data.err == TransactionErrorFieldless.BlockhashNotFound
    # Without preflight a node takes it and it never lands.
    signature = asyncio.run(send(sim, late, skip_preflight=True))
    status, found = asyncio.run(landed(sim, signature))
    assert (status, found) == (None, None)
    assert sim.state()["dropped_transactions"] == [str(signature)]


def test_an_expired_blockhash_fault_refuses_a_fresh_transaction() -> None:
    fault = {"service": "rpc", "kind": "expired_blockhash", "when": {"calls": [1]}}
    with run_simulator(smoke(faults=[fault])) as sim:
        transaction = signed_swap(sim, quote(sim, SOL, GCAT, 10**8), Keypair())
        with pytest.raises(RPCException) as refused:
            asyncio.run(send(sim, transaction))
        assert preflight_error(refused).data.err == TransactionErrorFieldless.BlockhashNotFound
        asyncio.run(send(sim, transaction))  # the second send lands
        assert len(sim.state()["transactions"]) == 1


def test_a_transaction_lands_once(sim: Simulator) -> None:
    transaction = signed_swap(sim, quote(sim, SOL, GCAT, 10**8), Keypair())
    signature = asyncio.run(send(sim, transaction))
    assert asyncio.run(send(sim, transaction, skip_preflight=True)) == signature
    with pytest.raises(RPCException) as refused:
        asyncio.run(send(sim, transaction))
    assert preflight_error(refused).data.err == TransactionErrorFieldless.AlreadyProcessed
    assert len(sim.state()["transactions"]) == 1


def test_jupiter_refuses_what_it_cannot_route(sim: Simulator) -> None:
    stranger = "Fq3KbT9mWcZ1xRrVw5nHdE2jLs8pYgA6uNcQe4tBvM7k"
    assert quote(sim, SOL, stranger, 10**8)["errorCode"] == "TOKEN_NOT_TRADABLE"
    assert quote(sim, GCAT, SAFE, 10**6)["errorCode"] == "COULD_NOT_FIND_ANY_ROUTE"


# --- faults on the HTTP services ------------------------------------------------------------


def fired(sim: Simulator) -> list[tuple[str, int, int]]:
    return [(rule["fault"], rule["calls"], rule["fired"]) for rule in sim.state()["faults"]]


@contextmanager
def pointed_at(scenario: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    with run_simulator(scenario) as sim:
        for name, value in {**sim.env(), "HELIUS_API_KEY": API_KEY}.items():
            monkeypatch.setenv(name, value)
        yield sim


def test_latency_slows_each_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    fault = {"service": "rugcheck", "kind": "latency", "ms": 300}
    with pointed_at(smoke(faults=[fault]), monkeypatch) as sim:
        started = time.monotonic()
        assert token_facts([GCAT])[GCAT]["failed_sources"] == []
        assert time.monotonic() - started >= 0.3
        assert fired(sim) == [("latency on rugcheck", 1, 1)]


def test_a_timeout_hangs_past_the_clients_patience(monkeypatch: pytest.MonkeyPatch) -> None:
    fault = {"service": "dexscreener", "kind": "timeout", "ms": 5000}
    with pointed_at(smoke(faults=[fault]), monkeypatch) as sim:
        started = time.monotonic()
        row = token_facts([GCAT], timeout=0.3)[GCAT]
        assert row["failed_sources"] == ["dexscreener"]
        assert time.monotonic() - started < 2  # the client gave up, the simulator did not hold it
        assert fired(sim)[0][2] >= 1


def test_a_429_with_retry_after_is_retried_by_the_price_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fault = {
        "service": "jupiter_price",
        "kind": "status",
        "status": 429,
        "retry_after": "0",
        "when": {"first": 1},
    }
    with pointed_at(smoke(faults=[fault]), monkeypatch) as sim:
        assert prices([GCAT]) == {GCAT: ("0.000002", "jupiter")}
        assert fired(sim) == [("status 429 on jupiter_price", 2, 1)]
        log = httpx.get(f"{sim.base_url}/control/calls").json()
        assert [call["faults"] for call in log] == [["status 429 on jupiter_price"], []]


def test_every_nth_call_and_time_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    faults = [
        {"service": "rugcheck", "kind": "status", "status": 503, "when": {"every": 2}},
        {"service": "das", "kind": "status", "status": 500, "when": {"from_t": 50, "until_t": 60}},
    ]
    with pointed_at(smoke(faults=faults), monkeypatch) as sim:
        base = sim.env()["RUGCHECK_BASE_URL"]
        codes = [httpx.get(f"{base}/tokens/{GCAT}/report").status_code for _ in range(4)]
        assert codes == [200, 503, 200, 503]
        assert token_facts([SAFE])[SAFE]["failed_sources"] == []  # its 5th call: answered
        sim.advance(55)
        das = token_facts([GCAT])[GCAT]
        assert "das" in das["failed_sources"]
        sim.advance(60)
        assert "das" not in token_facts([GCAT])[GCAT]["failed_sources"]


def test_probability_faults_repeat_for_a_seed() -> None:
    fault = {
        "service": "jupiter_quote",
        "kind": "status",
        "status": 500,
        "when": {"probability": "0.5"},
    }

    def pattern() -> list[int]:
        with run_simulator(smoke(faults=[fault])) as sim:
            url = sim.env()["JUPITER_QUOTE_URL"]
            params = {"inputMint": SOL, "outputMint": GCAT, "amount": "1000"}
            return [
                httpx.get(url, params=params, headers=JUPITER_KEY).status_code for _ in range(20)
            ]

    first = pattern()
    assert first == pattern() and {200, 500} == set(first)


# --- control, scenario, entry point ---------------------------------------------------------


def test_control_api_over_http(sim: Simulator) -> None:
    control = f"{sim.base_url}/control"
    moved = httpx.post(f"{control}/advance", json={"to_seconds": 25}).json()
    assert (moved["now"], len(moved["deliveries"])) == (25, 2)  # skipped: no webhook yet
    state = httpx.get(f"{control}/state").json()
    assert (state["now"], state["swaps_delivered"], state["next_swap_t"]) == (25, 2, 70)
    assert state["slot"] == 300_000_000 + 25_000 // 400
    assert httpx.post(f"{control}/advance", json={"to_seconds": 5}).status_code == 400
    assert httpx.post(f"{control}/advance", json={"by_seconds": 5}).json()["now"] == 30
    reset = httpx.post(f"{control}/reset", json={}).json()
    assert (reset["now"], reset["swaps_delivered"]) == (0, 0)


def test_a_bad_scenario_names_each_problem() -> None:
    broken = smoke(
        tokens=[
            {
                "mint": GCAT,
                "symbol": "GCAT",
                "price_path": [{"t": 5, "price_sol": "1"}, {"t": 5, "price_sol": "2"}],
            }
        ],
        faults=[{"service": "webhook", "kind": "latency", "ms": 5}],
    )
    with pytest.raises(ScenarioError) as refused:
        parse_scenario(broken, "broken.json")
    text = str(refused.value)
    assert text.startswith("broken.json: 2 problem(s):")
    assert "tokens.0: Value error, price_path times must increase strictly" in text
    assert "faults.0: Value error, webhook faults can be: duplicate" in text


def test_the_command_line_serves_until_sigterm(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "simulator", "--scenario", str(SMOKE), "--port", "0"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("simulator ready at http://127.0.0.1:")
        base_url = line.split()[3]
        assert httpx.get(f"{base_url}/control/state").json()["scenario"] == "smoke"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "bad", "seed": "x"}')
    refused = subprocess.run(
        [*command[:3], "--scenario", str(bad)], cwd=REPO, capture_output=True, text=True
    )
    assert refused.returncode == 2 and "seed" in refused.stderr
