"""Prices in SOL from Jupiter price v3 and DexScreener, against HTTP fakes (no database)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.helius_tx import new_mint
from tests.support.fake_price_apis import FakePriceApis, fake_price_apis
from tests.support.http_fake import Fault, closed_port_url
from tests.support.json_checks import JSON, assert_exact_json, changed
from walltrack.prices import PriceBatch, PriceSettings, fetch_prices_sol

FIXTURES = Path(__file__).parent / "fixtures" / "prices"
API_KEY = "jup-key-8d2e7a-never-logged"
SOL = "So11111111111111111111111111111111111111112"
USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
BONK = "DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263"
JUP = "JUPyiwrYJFskUPiHa7hkeR8VUtAeFoSYbKedZNsDvCN"
WIF = "EKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm"
GCAT = "9Bp8NfUvg5PT7zRRUcNRuDvDemhvNJKTJTp7v9XZMRs3"  # Jupiter omits it
PUMP = "4kXqv7kVQfyrSJQnzKtqGZ8BrNqLdGCy6bR3hC8Xpump"  # Jupiter omits it
NOWHERE = "Fq3KbT9mWcZ1xRrVw5nHdE2jLs8pYgA6uNcQe4tBvM7k"  # no source knows it

# By hand, SOL at $146.25: 0.00001755 / 146.25 = 0.00000012, 0.4095 / 146.25 = 0.0028,
# 0.8775 / 146.25 = 0.006, and 0.99985 / 146.25 = 0.006836581196581196|58... rounds up.
FROM_JUPITER = {
    BONK: "0.00000012",
    JUP: "0.0028",
    WIF: "0.006",
    USDC: "0.006836581196581197",
}
# Deepest pair against SOL: not the deeper USDC pair, nor the pair quoting GCAT, nor PUMP's
# deepest pair whose price is 0.
FROM_DEXSCREENER = {GCAT: "0.000001712", PUMP: "0.00000004127", BONK: "0.0000001201"}
FROM_DEXSCREENER[JUP] = "0.002801"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePriceApis]:
    with fake_price_apis(API_KEY) as fake:
        fake.jupiter = load("jupiter_prices.json")
        fake.pairs = load("dexscreener_pairs.json")
        env = {**fake.env(), "PRICE_BUDGET_SECONDS": "2", "PRICE_TIMEOUT_SECONDS": "1"}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield fake


def fetch(mints: list[str], **overrides: Any) -> PriceBatch:
    batch = asyncio.run(fetch_prices_sol(mints, replace(PriceSettings.from_env(), **overrides)))
    assert_exact_json([batch.prices, batch.missing])
    priced = [price["mint"] for price in batch.prices]
    assert sorted(priced + batch.missing) == sorted(set(mints))  # each mint once, somewhere
    assert priced == [mint for mint in dict.fromkeys(mints) if mint in priced]  # input order
    assert batch.missing == [mint for mint in dict.fromkeys(mints) if mint in batch.missing]
    for price in batch.prices:
        assert set(price) == {"mint", "price_sol", "source"}
        assert price["source"] in ("jupiter", "dexscreener")
        number, text = Decimal(price["price_sol"]), price["price_sol"]
        assert number.is_finite() and number > 0
        assert set(text) <= set("0123456789.") and len(text.partition(".")[2]) <= 18
    return batch


def by_source(batch: PriceBatch, source: str) -> dict[str, str]:
    return {p["mint"]: p["price_sol"] for p in batch.prices if p["source"] == source}


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JUPITER_PRICE_URL", "JUPITER_API_KEY", "DEXSCREENER_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name in ("PRICE_BUDGET_SECONDS", "PRICE_CONCURRENCY", "PRICE_TIMEOUT_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    assert PriceSettings.from_env() == PriceSettings(
        "https://api.jup.ag/price/v3", "", "https://api.dexscreener.com", 3.0, 4, 1.5
    )
    monkeypatch.setenv("JUPITER_API_KEY", API_KEY)
    monkeypatch.setenv("JUPITER_PRICE_URL", "http://127.0.0.1:9/price/v3/")
    settings = PriceSettings.from_env()
    assert (settings.jupiter_api_key, settings.jupiter_price_url) == (
        API_KEY,
        "http://127.0.0.1:9/price/v3",
    )
    assert API_KEY not in repr(settings)


def test_jupiter_prices_are_divided_by_sol_exactly(fake: FakePriceApis) -> None:
    batch = fetch(list(FROM_JUPITER))
    assert batch == PriceBatch(
        [{"mint": m, "price_sol": p, "source": "jupiter"} for m, p in FROM_JUPITER.items()], []
    )
    [call] = fake.calls_to("jupiter")
    assert call.mints == [*FROM_JUPITER, SOL]
    assert call.target == f"/jupiter/price/v3?ids={','.join([*FROM_JUPITER, SOL])}"
    assert call.headers["x-api-key"] == API_KEY
    assert fake.calls_to("dexscreener") == []


def test_120_mints_take_three_jupiter_calls_each_with_sol(fake: FakePriceApis) -> None:
    mints = [new_mint() for _ in range(120)]
    for k, mint in enumerate(mints, 1):  # priced at k micro-SOL
        fake.jupiter[mint] = {
            **fake.jupiter[BONK],
            "usdPrice": float(Decimal("146.25") * k / 10**6),
        }
    batch = fetch(mints)
    assert by_source(batch, "jupiter") == {
        m: f"{k / 10**6:.6f}".rstrip("0") for k, m in enumerate(mints, 1)
    }
    calls = fake.calls_to("jupiter")
    assert len(calls) == 3
    assert all(len(call.mints) <= 50 and SOL in call.mints for call in calls)
    assert sorted(m for call in calls for m in call.mints if m != SOL) == sorted(mints)
    assert fake.calls_to("dexscreener") == []


def test_dexscreener_fills_in_what_jupiter_omits(fake: FakePriceApis) -> None:
    batch = fetch([GCAT, BONK, PUMP, NOWHERE, JUP])
    assert batch.prices == [
        {"mint": GCAT, "price_sol": FROM_DEXSCREENER[GCAT], "source": "dexscreener"},
        {"mint": BONK, "price_sol": FROM_JUPITER[BONK], "source": "jupiter"},
        {"mint": PUMP, "price_sol": FROM_DEXSCREENER[PUMP], "source": "dexscreener"},
        {"mint": JUP, "price_sol": FROM_JUPITER[JUP], "source": "jupiter"},
    ]
    assert batch.missing == [NOWHERE]
    [call] = fake.calls_to("dexscreener")
    assert call.mints == [GCAT, PUMP, NOWHERE]
    assert "x-api-key" not in call.headers  # the Jupiter key goes to Jupiter only


def test_dexscreener_batches_of_thirty(fake: FakePriceApis) -> None:
    mints = [GCAT, *(new_mint() for _ in range(69))]
    batch = fetch(mints)
    assert by_source(batch, "dexscreener") == {GCAT: FROM_DEXSCREENER[GCAT]}
    batches = [call.mints for call in fake.calls_to("dexscreener")]
    assert sorted(len(b) for b in batches) == [10, 30, 30]
    assert sorted(m for b in batches for m in b) == sorted(mints)


def test_jupiter_down_everything_from_dexscreener(fake: FakePriceApis) -> None:
    fake.faults["jupiter"] = Fault(forever=503)
    started = time.monotonic()
    batch = fetch([GCAT, BONK, WIF, JUP, PUMP])
    assert time.monotonic() - started < 2.5
    assert by_source(batch, "dexscreener") == {
        m: FROM_DEXSCREENER[m] for m in (GCAT, BONK, JUP, PUMP)
    }
    assert batch.missing == [WIF]
    assert len(fake.calls_to("jupiter")) >= 2  # retried within its share of the budget


@pytest.mark.parametrize("fault", [Fault(forever=503), Fault(forever=429, retry_after="30")])
def test_both_down_everything_missing(fake: FakePriceApis, fault: Fault) -> None:
    fake.faults = {"jupiter": fault, "dexscreener": fault}
    assert fetch([BONK, GCAT], budget_seconds=0.6) == PriceBatch([], [BONK, GCAT])
    down = closed_port_url()
    settings = PriceSettings(down, API_KEY, down, budget_seconds=0.6)
    assert asyncio.run(fetch_prices_sol([BONK, GCAT], settings)) == PriceBatch([], [BONK, GCAT])


def test_429_with_retry_after_then_success(fake: FakePriceApis) -> None:
    fake.faults["jupiter"] = Fault([429], retry_after="0.3")
    started = time.monotonic()
    batch = fetch([BONK, JUP])
    assert time.monotonic() - started >= 0.3
    assert by_source(batch, "jupiter") == {BONK: FROM_JUPITER[BONK], JUP: FROM_JUPITER[JUP]}
    assert len(fake.calls_to("jupiter")) == 2


@pytest.mark.parametrize(
    "body",
    [
        b"<html>502 Bad Gateway</html>",
        b'{"' + SOL.encode() + b'": {"usdPrice": 146.25}, "',
        b'{"' + SOL.encode() + b'": {"usdPrice": NaN}, "' + BONK.encode() + b'": {"usdPrice": 1}}',
        b'[{"id": "' + BONK.encode() + b'", "usdPrice": 0.00001755}]',
        b'{"' + BONK.encode() + b'": {"usdPrice": 0.00001755}}',  # no SOL: nothing converts
        b'{"' + SOL.encode() + b'": {"usdPrice": 0}, "' + BONK.encode() + b'": {"usdPrice": 1}}',
        b'{"'
        + SOL.encode()
        + b'": {"usdPrice": -146.25}, "'
        + BONK.encode()
        + b'": {"usdPrice": -1}}',
        b'{"'
        + SOL.encode()
        + b'": {"usdPrice": 1e-999999}, "'
        + BONK.encode()
        + b'": {"usdPrice": 1e999999}}',
        b'{"'
        + SOL.encode()
        + b'": {"usdPrice": 146.25}, "'
        + BONK.encode()
        + b'": {"usdPrice": 1e300}}',
        b"\xff\xfe not even utf-8",
    ],
)
def test_malformed_jupiter_answer_falls_back_to_dexscreener(
    fake: FakePriceApis, body: bytes
) -> None:
    fake.faults["jupiter"] = Fault(body=body)
    batch = fetch([BONK, GCAT])
    assert by_source(batch, "dexscreener") == {m: FROM_DEXSCREENER[m] for m in (BONK, GCAT)}


def test_odd_jupiter_entries_count_as_omitted(fake: FakePriceApis) -> None:
    fake.jupiter[BONK] = {**fake.jupiter[BONK], "usdPrice": -0.00001755}
    fake.jupiter[JUP] = {**fake.jupiter[JUP], "usdPrice": None}
    fake.jupiter[WIF] = {**fake.jupiter[WIF], "usdPrice": "lots"}
    fake.jupiter[USDC] = {**fake.jupiter[USDC], "usdPrice": 1e-30}  # rounds to 0 in SOL
    fake.jupiter[GCAT] = "0.0002510"
    batch = fetch([BONK, JUP, WIF, USDC, GCAT])
    assert by_source(batch, "dexscreener") == {m: FROM_DEXSCREENER[m] for m in (BONK, JUP, GCAT)}
    assert batch.missing == [WIF, USDC]


def test_malformed_dexscreener_answer_leaves_mints_missing(fake: FakePriceApis) -> None:
    fake.faults["dexscreener"] = Fault(body=b'{"schemaVersion": "1.0.0", "pairs": []}')
    assert fetch([GCAT, BONK]).missing == [GCAT]


def test_budget_holds_when_sources_hang(fake: FakePriceApis) -> None:
    fake.faults["jupiter"] = Fault(delay=60)
    started = time.monotonic()
    batch = fetch([GCAT, BONK], timeout_seconds=60.0, budget_seconds=1.0)
    assert time.monotonic() - started < 1.5
    assert by_source(batch, "dexscreener") == {m: FROM_DEXSCREENER[m] for m in (GCAT, BONK)}
    fake.faults["dexscreener"] = Fault(delay=60)
    started = time.monotonic()
    assert fetch([GCAT, BONK], timeout_seconds=60.0, budget_seconds=1.0).missing == [GCAT, BONK]
    assert time.monotonic() - started < 1.5


def test_invalid_and_repeated_mints(fake: FakePriceApis) -> None:
    bad = ["", "short", "0OIl" + BONK[4:], BONK + "x", f"{BONK[:20]}/../{BONK[:20]}"]
    batch = fetch([*bad, GCAT, BONK, GCAT, SOL, BONK, *bad])
    assert batch.prices == [
        {"mint": GCAT, "price_sol": FROM_DEXSCREENER[GCAT], "source": "dexscreener"},
        {"mint": BONK, "price_sol": FROM_JUPITER[BONK], "source": "jupiter"},
        {"mint": SOL, "price_sol": "1", "source": "jupiter"},
    ]
    assert batch.missing == bad
    assert [call.mints for call in fake.calls] == [[GCAT, BONK, SOL], [GCAT]]
    assert fetch([]) == PriceBatch([], []) and len(fake.calls) == 2


def test_api_key_never_logged_nor_returned(
    fake: FakePriceApis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")
    fake.faults["jupiter"] = Fault([503, 500])
    results = [fetch([BONK, GCAT])]
    fake.faults["jupiter"] = Fault(forever=401)
    results.append(fetch([BONK, GCAT]))
    results.append(fetch([BONK], jupiter_price_url=closed_port_url(), budget_seconds=0.6))
    assert by_source(results[0], "jupiter") == {BONK: FROM_JUPITER[BONK]}
    assert any("/jupiter/" in record.getMessage() for record in caplog.records)
    assert any("jupiter failed" in record.getMessage() for record in caplog.records)
    assert API_KEY not in caplog.text
    assert all(API_KEY not in record.getMessage() for record in caplog.records)
    assert API_KEY not in json.dumps([[r.prices, r.missing] for r in results])


NUMBERS = (
    st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.decimals(allow_nan=True).map(str)
    | st.text(max_size=6)
)


def test_any_answer_gives_positive_prices_or_missing(fake: FakePriceApis) -> None:
    entry = load("jupiter_prices.json")[BONK]
    [pair] = [p for p in load("dexscreener_pairs.json") if p["pairAddress"].startswith("Gm1x")]
    entries = JSON | changed(entry) | st.builds(lambda n: {**entry, "usdPrice": n}, NUMBERS)
    answers = st.dictionaries(st.sampled_from([SOL, BONK, JUP, GCAT]), entries, max_size=4)
    pairs = JSON | changed(pair) | st.builds(lambda n: {**pair, "priceNative": n}, NUMBERS)

    @settings(max_examples=80, deadline=None)
    @given(jupiter=JSON | answers, dexscreener=JSON | st.lists(pairs, max_size=3))
    def check(jupiter: Any, dexscreener: Any) -> None:
        fake.faults = {
            "jupiter": Fault(body=json.dumps(jupiter).encode()),
            "dexscreener": Fault(body=json.dumps(dexscreener).encode()),
        }
        fetch([BONK, GCAT, JUP, BONK])  # checks every price is a positive exact decimal

    check()
