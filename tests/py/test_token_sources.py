"""Token facts from RugCheck, DexScreener and Helius DAS, against HTTP fakes (no database)."""

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

import httpx
import pytest
from hypothesis import given, settings

from simulator import run_simulator
from simulator.helius_tx import new_mint
from tests.support.fake_token_apis import FakeTokenApis, fake_token_apis
from tests.support.http_fake import Fault, closed_port_url
from tests.support.json_checks import JSON, assert_exact_json, changed
from walltrack import token_sources
from walltrack.token_sources import SOURCES, TokenSourceSettings, fetch_token_facts

FIXTURES = Path(__file__).parent / "fixtures" / "tokens"
API_KEY = "das-key-4f1c9e-never-logged"
HEALTHY = "9Bp8NfUvg5PT7zRRUcNRuDvDemhvNJKTJTp7v9XZMRs3"
RUGGED = "CcGAfhDyZkNxmQgvD2Dj6tDSszTeoBtugoAH2Dbpump"
MINTER = "7bEsxn8ru5qhGGeM1vnxQjcssuJSpvd7FxMSffuPzHKp"
# rugcheck_large.json has the shape of recorded full reports (every market field, float
# artefacts included): $3.2M of liquidity in seven pools, the $2.4M main one not locked.
LARGE = "3bCFNBMiqjaY51e1qZK96heRK7AwWA6makaf1aqDFra9"
# rugcheck_pump_fun_curve.json is a report RugCheck gave of a fresh pump.fun token (whole, as
# recorded): score 1, no risk, and first among its holders the bonding curve's token account.
CURVE_MINT = "J94jBu9K2zaMhuwjGAFmjzpj25LYGQmSNvsrcdzwpump"
CURVE_ACCOUNT = "77wYiKUN68i5pGFGYocVHouXyzAYQcx5yhodZS2DLFnq"  # holds 96.5387096774194 %
CURVE = "9G6HaM5uyjWvEPVjHwTvKeNokfycQ1o3YSbBAUJ4rjBD"  # the curve, which owns that account
ALL = list(SOURCES)

HEALTHY_FACTS: dict[str, Any] = {
    "rugcheck": {
        "score": 501,
        "score_normalised": 7,
        "risks": [
            {
                "name": "Low amount of LP Providers",
                "level": "warn",
                "description": "Only a few users are providing liquidity",
                "score": 500,
            },
            {
                "name": "Mutable metadata",
                "level": "info",
                "description": "Token metadata can be changed by the owner",
                "score": 1,
            },
        ],
        # 12 holders listed, the first (18.273412) the Raydium CPMM pool's token account, owned
        # by the authority knownAccounts types AMM: of the 11 others the smallest (0.87) is out.
        "top10_holders_pct": "18.9220445",
        # Two pools weighted by liquidity, the third lists no lp: (99.99812 x 247,912.50 +
        # 42.5 x 162,451.24) / 410,363.74 = 77.2362627. The maximum would say 99.99812.
        "lp_locked_pct": "77.236263",
        "rugged": False,
        "mint_authority": None,
        "freeze_authority": None,
        "name": "Glacier Cat",
        "symbol": "GCAT",
        "decimals": 6,
        "supply": "999982316268915",
    },
    "dexscreener": {
        "pair_address": "Gm1xWQ7sZb6a8dA2fQk3cJmH9uY4pR5tLwE7nVbXo2Kz",
        "dex_id": "raydium",
        "liquidity_usd": "251234.56",
        "market_cap_usd": "251000",
        "fdv_usd": "251004.12",
        "price_usd": "0.0002510",
        "price_sol": "0.000001712",
        "pair_created_at": "2025-04-29T07:39:05.678+00:00",
    },
    "das": {
        "decimals": 6,
        "supply": "999982316268915",
        "mint_authority": None,
        "freeze_authority": None,
        "name": "Glacier Cat",
        "symbol": "GCAT",
    },
}

RUGGED_FACTS: dict[str, Any] = {
    "rugcheck": {
        "score": 78201,
        "score_normalised": 96,
        "top10_holders_pct": "85.44",
        "lp_locked_pct": "0",  # no market listed: the top-level figure
        "rugged": True,
        "mint_authority": MINTER,
        "freeze_authority": None,
        "name": "Totally Safe Inu",
        "symbol": "SAFE",
        "decimals": 6,
        "supply": "1000000000000000",
    },
    "dexscreener": {
        "pair_address": "5tLwE7nVbXo2KzGm1xWQ7sZb6a8dA2fQk3cJmH9uYp4R",
        "dex_id": "pumpswap",
        "liquidity_usd": "312.5",
        "market_cap_usd": "31.4",
        "fdv_usd": "31.4",
        "price_usd": "0.0000000314",
        "price_sol": None,  # quoted in USDC
        "pair_created_at": "2025-05-02T10:00:01.000+00:00",
    },
    "das": {
        "decimals": 6,
        "supply": "1000000000000000",
        "mint_authority": MINTER,
        "freeze_authority": None,
        "name": "Totally Safe Inu",
        "symbol": "SAFE",
    },
}
NO_POOL = dict.fromkeys(HEALTHY_FACTS["dexscreener"])


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTokenApis]:
    with fake_token_apis(API_KEY) as fake:
        fake.rugcheck = {
            HEALTHY: load("rugcheck_healthy.json"),
            RUGGED: load("rugcheck_rugged.json"),
        }
        fake.pairs = load("dexscreener_pairs.json")
        fake.assets = {HEALTHY: load("das_healthy.json"), RUGGED: load("das_rugged.json")}
        env = {
            **fake.env(),
            "TOKEN_LOOKUP_BUDGET_SECONDS": "5",
            "TOKEN_SOURCE_TIMEOUT_SECONDS": "2",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield fake


def fetch(wanted: dict[str, list[str]], **overrides: Any) -> list[dict[str, Any]]:
    settings = replace(TokenSourceSettings.from_env(), **overrides)
    rows = asyncio.run(fetch_token_facts(wanted, settings))
    assert_exact_json(rows)
    assert [row["mint"] for row in rows] == list(wanted)
    return rows


def facts(row: dict[str, Any], source: str) -> dict[str, Any]:
    found = row[source]
    assert isinstance(found, dict), f"{source} failed: {row['failed_sources']}"
    return found


# --- settings -------------------------------------------------------------------------------


def test_settings_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "RUGCHECK_BASE_URL",
        "DEXSCREENER_BASE_URL",
        "HELIUS_RPC_URL",
        "HELIUS_API_KEY",
        "TOKEN_LOOKUP_BUDGET_SECONDS",
        "TOKEN_LOOKUP_CONCURRENCY",
        "TOKEN_SOURCE_TIMEOUT_SECONDS",
        "RUGCHECK_TIMEOUT_SECONDS",
    ):
        monkeypatch.delenv(name, raising=False)
    assert TokenSourceSettings.from_env() == TokenSourceSettings(
        rugcheck_base_url="https://api.rugcheck.xyz/v1",
        dexscreener_base_url="https://api.dexscreener.com",
        helius_rpc_url="https://mainnet.helius-rpc.com",
        helius_api_key="",
        budget_seconds=10.0,
        concurrency=8,
        timeout_seconds=1.0,
        rugcheck_timeout_seconds=5.0,
    )


def test_settings_never_show_the_key(fake: FakeTokenApis) -> None:
    settings = TokenSourceSettings.from_env()
    assert settings.helius_api_key == API_KEY
    assert API_KEY not in repr(settings)


# --- happy paths ----------------------------------------------------------------------------


def test_healthy_token_from_every_source(fake: FakeTokenApis) -> None:
    [row] = fetch({HEALTHY: ALL})
    assert row == {"mint": HEALTHY, "failed_sources": [], **HEALTHY_FACTS}
    [das] = fake.calls_to("das")
    assert das.method == "POST"
    assert das.query == {"api-key": [API_KEY]}
    assert das.body == {
        "jsonrpc": "2.0",
        "id": "walltrack",
        "method": "getAsset",
        "params": {"id": HEALTHY, "options": {"showFungible": True}},
    }
    [report] = fake.calls_to("rugcheck")
    assert (report.method, report.path) == ("GET", f"/rugcheck/v1/tokens/{HEALTHY}/report")
    [pairs] = fake.calls_to("dexscreener")
    assert (pairs.method, pairs.path) == ("GET", f"/dexscreener/tokens/v1/solana/{HEALTHY}")
    assert report.query == pairs.query == {}  # the Helius key goes to Helius only


def test_rugged_token_with_mint_authority_active(fake: FakeTokenApis) -> None:
    [row] = fetch({RUGGED: ALL})
    assert row["failed_sources"] == []
    rugcheck = facts(row, "rugcheck")
    assert {k: rugcheck[k] for k in RUGGED_FACTS["rugcheck"]} == RUGGED_FACTS["rugcheck"]
    assert [risk["level"] for risk in rugcheck["risks"]] == ["danger"] * 5
    assert rugcheck["risks"][0]["name"] == "Mint Authority still enabled"
    assert row["dexscreener"] == RUGGED_FACTS["dexscreener"]
    assert row["das"] == RUGGED_FACTS["das"]


def test_several_mints_keep_their_order_and_share_one_dexscreener_call(
    fake: FakeTokenApis,
) -> None:
    rows = fetch({RUGGED: ALL, HEALTHY: ["dexscreener", "das"]})
    assert rows[0]["dexscreener"] == RUGGED_FACTS["dexscreener"]
    assert rows[1] == {"mint": HEALTHY, "failed_sources": [], **HEALTHY_FACTS, "rugcheck": None}
    [pairs] = fake.calls_to("dexscreener")
    assert pairs.path.rsplit("/", 1)[-1].split(",") == [RUGGED, HEALTHY]
    assert len(fake.calls_to("rugcheck")) == 1


def test_only_the_sources_asked_are_fetched(fake: FakeTokenApis) -> None:
    [row] = fetch({HEALTHY: ["das"]})
    assert row == {
        "mint": HEALTHY,
        "failed_sources": [],
        "rugcheck": None,
        "dexscreener": None,
        "das": HEALTHY_FACTS["das"],
    }
    assert [call.source for call in fake.calls] == ["das"]


def test_deepest_own_pool_is_picked(fake: FakeTokenApis) -> None:
    # The fixture lists a shallower pool first, one without liquidity, and a deeper pool
    # where the token is only the quote: the Raydium pool of the token itself wins.
    quoted = [p for p in fake.pairs if p["quoteToken"]["address"] == HEALTHY]
    assert quoted and quoted[0]["liquidity"]["usd"] > 251234.56
    [row] = fetch({HEALTHY: ["dexscreener"]})
    assert row["dexscreener"] == HEALTHY_FACTS["dexscreener"]


def test_pool_without_liquidity_or_creation_time(fake: FakeTokenApis) -> None:
    fake.pairs = [p for p in fake.pairs if p["dexId"] == "meteora"]
    [row] = fetch({HEALTHY: ["dexscreener"]})
    assert row["dexscreener"] == {
        "pair_address": "3vQmL8kXr2bNf5wY9tHc6sJdA4pE7gUzK1oRyMnBxT5a",
        "dex_id": "meteora",
        "liquidity_usd": None,
        "market_cap_usd": "251100.12",
        "fdv_usd": "251104.12",
        "price_usd": "0.0002511",
        "price_sol": None,
        "pair_created_at": None,
    }


def test_token_without_pool_is_an_answer(fake: FakeTokenApis) -> None:
    mint = new_mint()
    [row] = fetch({mint: ["dexscreener"]})
    assert row == {
        "mint": mint,
        "failed_sources": [],
        "rugcheck": None,
        "dexscreener": NO_POOL,
        "das": None,
    }


def test_dexscreener_batches_of_thirty(fake: FakeTokenApis) -> None:
    mints = [HEALTHY, *(new_mint() for _ in range(60))]
    rows = fetch(dict.fromkeys(mints, ["dexscreener"]))
    batches = [call.path.rsplit("/", 1)[-1].split(",") for call in fake.calls_to("dexscreener")]
    assert sorted(len(batch) for batch in batches) == [1, 30, 30]
    assert sorted(mint for batch in batches for mint in batch) == sorted(mints)
    assert rows[0]["dexscreener"] == HEALTHY_FACTS["dexscreener"]
    assert all(row["dexscreener"] == NO_POOL and not row["failed_sources"] for row in rows[1:])


# --- RugCheck's liquidity lock --------------------------------------------------------------


def lp_of(report: dict[str, Any], index: int) -> dict[str, Any]:
    lp: dict[str, Any] = report["markets"][index]["lp"]
    return lp


def lock_of(fake: FakeTokenApis, report: dict[str, Any]) -> str | None:
    fake.rugcheck[LARGE] = report
    [row] = fetch({LARGE: ["rugcheck"]})
    lock: str | None = facts(row, "rugcheck")["lp_locked_pct"]
    return lock


def test_large_token_lock_is_weighted_by_the_liquidity_of_its_pools(fake: FakeTokenApis) -> None:
    report = load("rugcheck_large.json")
    shares = [m["lp"]["lpLockedPct"] for m in report["markets"] if m["lp"]]
    assert max(shares) == 100 and len(report["markets"]) == 7  # what the old rule answered
    # Locked: 12.5 % of 39,996.0532 + all of 1,211.081 and 403.62 = 661,420.765 USD out of
    # 3,230,773.1692404 USD in pools (the $2.4M Raydium main pool is not locked at all).
    assert lock_of(fake, report) == "0.204725"


def test_a_tiny_locked_pool_leaves_an_unlocked_main_pool_unlocked(fake: FakeTokenApis) -> None:
    report = load("rugcheck_large.json")
    main, tiny = report["markets"][0], report["markets"][5]
    assert (main["lp"]["lpLockedPct"], tiny["lp"]["lpLockedPct"]) == (0, 100)
    report["markets"] = [tiny, main]  # the locked pool first: no rule by position
    # 100 x 403.62 / (2,403,387.4207811 + 403.62)
    assert lock_of(fake, report) == "0.016791"


def test_a_pool_without_liquidity_figures_leaves_it_to_the_deepest_pool(
    fake: FakeTokenApis,
) -> None:
    report = load("rugcheck_large.json")
    lp_of(report, 0)["lpLockedPct"] = 7.5  # the Raydium main pool, $2.4M
    del lp_of(report, 4)["quoteUSD"], lp_of(report, 4)["baseUSD"]  # the tiny pump pool
    assert lock_of(fake, report) == "7.5"


@pytest.mark.parametrize("pools", ["without figures", "all empty"])
def test_when_no_pool_can_be_called_deepest_the_least_locked_decides(
    fake: FakeTokenApis, pools: str
) -> None:
    report = load("rugcheck_large.json")
    for index, share in enumerate([40, 55, 60, 12.5, 100, 100]):
        lp = lp_of(report, index)
        lp["lpLockedPct"] = share
        if pools == "without figures":
            del lp["quoteUSD"], lp["baseUSD"]
        else:
            lp["quoteUSD"] = lp["baseUSD"] = 0
    assert lock_of(fake, report) == "12.5"


def test_a_report_without_lock_by_market_gives_its_own_figure(fake: FakeTokenApis) -> None:
    report = load("rugcheck_large.json") | {"markets": None, "lpLockedPct": 3.25}
    assert lock_of(fake, report) == "3.25"


# --- RugCheck's holders: pools and bonding curves are liquidity, not holders ----------------

CURVE_FACTS: dict[str, Any] = {
    "score": 1,
    "score_normalised": 1,
    "risks": [],
    "top10_holders_pct": "3.4612903225806",  # 96.5387096774194 % are in the curve
    "lp_locked_pct": "100",
    "rugged": False,
    "mint_authority": None,
    "freeze_authority": None,
    "name": "Stay Hydrated",
    "symbol": "Dalí",
    "decimals": 6,
    "supply": "1000000000000000",
}
AMM = {"name": "Pump Fun", "type": "AMM"}


def curve_report(**changes: Any) -> dict[str, Any]:
    report: dict[str, Any] = load("rugcheck_pump_fun_curve.json")
    return report | changes


def rugcheck_of(fake: FakeTokenApis, report: dict[str, Any]) -> dict[str, Any]:
    fake.rugcheck[CURVE_MINT] = report
    [row] = fetch({CURVE_MINT: ["rugcheck"]})
    return facts(row, "rugcheck")


def test_a_fresh_pump_fun_token_is_not_held_by_its_bonding_curve(fake: FakeTokenApis) -> None:
    report = curve_report()
    shares = [Decimal(str(holder["pct"])) for holder in report["topHolders"]]
    assert sum(shares) == 100  # what counting every listed holder gave: unsafe at any limit
    assert rugcheck_of(fake, report) == CURVE_FACTS


LIQUIDITY_MARKS: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {
    "knownAccounts types the curve's token account AMM": ({CURVE_ACCOUNT: AMM}, None),
    "knownAccounts types its owner, the curve, AMM": ({CURVE: AMM}, None),
    "a market's token account": ({}, {"liquidityA": CURVE_ACCOUNT}),
    "a market's other token account": ({}, {"liquidityB": CURVE_ACCOUNT}),
    "owned by a market": ({}, {"pubkey": CURVE}),
    "owned by what owns a market's vault": ({}, {"liquidityBAccount": {"owner": CURVE}}),
}


@pytest.mark.parametrize(("known", "market"), LIQUIDITY_MARKS.values(), ids=LIQUIDITY_MARKS)
def test_any_one_mark_of_liquidity_leaves_the_curve_out(
    fake: FakeTokenApis, known: dict[str, Any], market: dict[str, Any] | None
) -> None:
    report = curve_report(knownAccounts=known, markets=None if market is None else [market])
    assert rugcheck_of(fake, report)["top10_holders_pct"] == "3.4612903225806"


@pytest.mark.parametrize("kind", ["CREATOR", "LOCKER", "token", None])
def test_accounts_known_as_anything_but_liquidity_still_hold(
    fake: FakeTokenApis, kind: str | None
) -> None:
    """A creator is a wallet; a locker gives its supply back at unlock: both can still sell."""
    known = {CURVE_ACCOUNT: {"name": "Known", "type": kind}, CURVE: {"name": "Known", "type": kind}}
    report = curve_report(knownAccounts=known, markets=None)
    assert rugcheck_of(fake, report)["top10_holders_pct"] == "100.0000000000000"


def test_ten_holders_are_counted_besides_the_pools(fake: FakeTokenApis) -> None:
    wallets = [{"address": f"wallet-{n}", "owner": f"owner-{n}", "pct": 1.25} for n in range(11)]
    report = curve_report(topHolders=curve_report()["topHolders"][:1] + wallets)
    assert rugcheck_of(fake, report)["top10_holders_pct"] == "12.50"


@pytest.mark.parametrize(
    ("holders", "top10"),
    [
        (1, "0"),  # only the curve: nobody else holds any of it yet
        (0, None),  # no holder listed: unknown
    ],
)
def test_holders_all_liquidity_or_none_at_all(
    fake: FakeTokenApis, holders: int, top10: str | None
) -> None:
    report = curve_report(topHolders=curve_report()["topHolders"][:holders])
    assert rugcheck_of(fake, report)["top10_holders_pct"] == top10


# --- RugCheck's half-read reports and fractional scores ---------------------------------------


# What a null section changes in the facts, and which facts it leaves out altogether.
NULL_SECTIONS: dict[str, tuple[dict[str, Any], set[str]]] = {
    # Without the mint, RugCheck's null authorities mean unknown, not revoked: none is given.
    "token": ({"decimals": None, "supply": None}, {"mint_authority", "freeze_authority"}),
    "tokenMeta": ({"name": None, "symbol": None}, set()),
    "rugged": ({"rugged": None}, set()),  # not said, so never read as rugged
}


@pytest.mark.parametrize("section", NULL_SECTIONS)
def test_a_null_section_leaves_the_rest_of_the_report_read(
    fake: FakeTokenApis, section: str
) -> None:
    changed, left_out = NULL_SECTIONS[section]
    expected = {k: v for k, v in (CURVE_FACTS | changed).items() if k not in left_out}
    assert rugcheck_of(fake, curve_report(**{section: None})) == expected


def test_a_report_with_every_section_null_still_gives_its_scores_and_holders(
    fake: FakeTokenApis,
) -> None:
    report = curve_report(token=None, tokenMeta=None, rugged=None)
    read = rugcheck_of(fake, report)
    assert "mint_authority" not in read and "freeze_authority" not in read
    assert (read["score"], read["top10_holders_pct"], read["lp_locked_pct"]) == (
        1,
        "3.4612903225806",
        "100",
    )


@pytest.mark.parametrize(
    ("score", "normalised", "risk", "whole"),
    [
        (1.5, 1.5, 0.5, (2, 2, 1)),
        (501.25, 50.000001, 500, (502, 51, 500)),  # just above a limit of 50 stays above it
        (7.0, 100.0, 2.0, (7, 100, 2)),
        (-2.5, 0.0, -0.5, (-2, 0, 0)),
    ],
)
def test_fractional_scores_are_rounded_up_to_whole_ones(
    fake: FakeTokenApis,
    score: float,
    normalised: float,
    risk: float,
    whole: tuple[int, int, int],
) -> None:
    risks = [{"name": "Low Liquidity", "level": "warn", "score": risk}]
    read = rugcheck_of(fake, curve_report(score=score, score_normalised=normalised, risks=risks))
    assert (read["score"], read["score_normalised"], read["risks"][0]["score"]) == whole
    assert read | {"score": 1, "score_normalised": 1, "risks": []} == CURVE_FACTS


# --- a large token's report, slow as RugCheck builds it (the simulator) ------------------------

SLOW_REPORT_MS = 1300  # past the 1 s of the other sources, far within RugCheck's own 5 s


def large_token_world() -> dict[str, Any]:
    """A token whose $90k main pool is not locked, next to a tiny locked pool and 300 dust
    pools: its full report is about half a megabyte and takes 1.3 s to build."""
    token = {
        "mint": LARGE,
        "symbol": "WHAT",
        "price_path": [{"t": 0, "price_sol": "0.0001"}],
        "liquidity_sol": "300",
        "lp_locked_pct": "0",
        "other_pools": [
            {"market_type": "pump_amm", "liquidity_sol": "1.5", "lp_locked_pct": "100"},
            {"market_type": "meteoraDlmm", "liquidity_sol": "0.01", "count": 300},
        ],
        "rugcheck_report_ms": SLOW_REPORT_MS,
    }
    return {"name": "large token", "start_unix": 1764300000, "sol_usd": "150", "tokens": [token]}


def test_a_large_slow_report_is_read_within_rugchecks_own_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with run_simulator(large_token_world()) as sim:
        for name, value in {**sim.env(), "HELIUS_API_KEY": API_KEY}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("TOKEN_SOURCE_TIMEOUT_SECONDS", "1")
        monkeypatch.setenv("RUGCHECK_TIMEOUT_SECONDS", "5")
        monkeypatch.setenv("TOKEN_LOOKUP_BUDGET_SECONDS", "5")
        settings = TokenSourceSettings.from_env()
        [row] = asyncio.run(fetch_token_facts({LARGE: ALL}, settings))
        report = httpx.get(f"{sim.env()['RUGCHECK_BASE_URL']}/tokens/{LARGE}/report", timeout=5)
    assert row["failed_sources"] == []
    assert len(report.content) > 300_000 and len(report.json()["markets"]) == 302
    # 150 x 2 x 1.5 = $450 locked out of $90,000 + $450 + 300 x $3 = $91,350 in pools.
    assert row["rugcheck"]["lp_locked_pct"] == "0.492611"


def test_the_same_report_is_lost_to_a_one_second_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    with run_simulator(large_token_world()) as sim:
        for name, value in {**sim.env(), "HELIUS_API_KEY": API_KEY}.items():
            monkeypatch.setenv(name, value)
        settings = TokenSourceSettings.from_env()
        settings = replace(settings, rugcheck_timeout_seconds=1.0, budget_seconds=5.0)
        [row] = asyncio.run(fetch_token_facts({LARGE: ALL}, settings))
    assert row["failed_sources"] == ["rugcheck"]
    assert row["das"]["symbol"] == "WHAT"


def test_the_lookup_budget_still_bounds_rugcheck(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lookup budget bounds the whole lookup, whatever RugCheck's timeout."""
    with run_simulator(large_token_world()) as sim:
        for name, value in {**sim.env(), "HELIUS_API_KEY": API_KEY}.items():
            monkeypatch.setenv(name, value)
        settings = TokenSourceSettings.from_env()
        settings = replace(settings, rugcheck_timeout_seconds=5.0, budget_seconds=0.5)
        [row] = asyncio.run(fetch_token_facts({LARGE: ALL}, settings))
    assert row["failed_sources"] == ["rugcheck"]
    assert row["dexscreener"]["liquidity_usd"] == "90000"


def test_an_answer_past_the_size_cap_fails_only_that_source(
    fake: FakeTokenApis, monkeypatch: pytest.MonkeyPatch
) -> None:
    report_size = len(json.dumps(load("rugcheck_healthy.json")).encode())
    monkeypatch.setattr(token_sources, "MAX_ANSWER_BYTES", report_size - 1)
    [row] = fetch({HEALTHY: ALL})
    assert row == {
        "mint": HEALTHY,
        "failed_sources": ["rugcheck"],
        **HEALTHY_FACTS,
        "rugcheck": None,
    }


# --- the simulator's RugCheck, as unkind as the real one ------------------------------------

HALF_READ = "9nMikBoJ182A4fVdsuthTKy7Z6TXSM7bDv32TMacpeZJ"


def unkind_world() -> dict[str, Any]:
    """A fresh pump.fun token whose bonding curve holds 96 % of the supply, and a token whose
    report RugCheck could only half read, with fractional scores."""
    curve = {
        "mint": CURVE_MINT,
        "symbol": "CURVE",
        "dex_id": "pump_fun",
        "price_path": [{"t": 0, "price_sol": "0.00000003"}],
        "liquidity_sol": "28.8",  # 960M tokens at 0.00000003 SOL: 96 % of the billion
        "top_holders_pct": ["3.46"],
    }
    half_read = {
        "mint": HALF_READ,
        "symbol": "HALF",
        "price_path": [{"t": 0, "price_sol": "0.000002"}],
        "liquidity_sol": "300",  # 150M tokens: 15 %, besides the 12 + 6 + 4 % of its wallets
        "mint_authority": MINTER,  # unread: named nowhere in the report, nor among its risks
        "risk_score": "50.2",
        "rugcheck_score": "1.5",
        "rugcheck_nulls": ["token", "tokenMeta", "rugged"],
    }
    return {
        "name": "unkind RugCheck",
        "start_unix": 1764300000,
        "sol_usd": "150",
        "tokens": [curve, half_read],
    }


def test_the_simulated_reports_are_read_as_the_real_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    with run_simulator(unkind_world()) as sim:
        for name, value in {**sim.env(), "HELIUS_API_KEY": API_KEY}.items():
            monkeypatch.setenv(name, value)
        base = sim.env()["RUGCHECK_BASE_URL"]
        curve = httpx.get(f"{base}/tokens/{CURVE_MINT}/report", timeout=5).json()
        half = httpx.get(f"{base}/tokens/{HALF_READ}/report", timeout=5).json()
        wanted = {CURVE_MINT: ["rugcheck"], HALF_READ: ["rugcheck"]}
        rows = asyncio.run(fetch_token_facts(wanted, TokenSourceSettings.from_env()))
    pool, main = curve["topHolders"][0], curve["markets"][0]
    assert (pool["pct"], pool["address"], pool["owner"]) == (96, main["liquidityA"], main["pubkey"])
    assert curve["knownAccounts"][pool["address"]] == {"name": "Pump Fun", "type": "AMM"}
    assert [row["failed_sources"] for row in rows] == [[], []]
    assert rows[0]["rugcheck"]["top10_holders_pct"] == "3.46"
    unread = (half["token"], half["tokenMeta"], half["rugged"], half["mintAuthority"])
    assert unread == (None, None, None, None) and half["risks"] == []
    assert (half["score"], half["score_normalised"]) == (1.5, 50.2)
    assert rows[1]["rugcheck"] == {
        "score": 2,
        "score_normalised": 51,
        "risks": [],
        "top10_holders_pct": "22",
        "lp_locked_pct": "100",
        "rugged": None,
        "name": None,
        "symbol": None,
        "decimals": None,
        "supply": None,
    }


# --- failures -------------------------------------------------------------------------------


def test_rugcheck_not_found_fails_that_source_without_retry(fake: FakeTokenApis) -> None:
    mint = new_mint()  # RugCheck answers 400 {"error": "not found"}, the pool list is empty
    [row] = fetch({mint: ["rugcheck", "dexscreener"]})
    assert row == {
        "mint": mint,
        "failed_sources": ["rugcheck"],
        "rugcheck": None,
        "dexscreener": NO_POOL,
        "das": None,
    }
    assert len(fake.calls_to("rugcheck")) == 1


def test_das_unknown_asset_fails_that_source(fake: FakeTokenApis) -> None:
    [row] = fetch({new_mint(): ["das"]})
    assert row["failed_sources"] == ["das"]


def test_429_then_success_honours_retry_after(fake: FakeTokenApis) -> None:
    fake.faults[f"/rugcheck/v1/tokens/{HEALTHY}/report"] = Fault([429], retry_after="0.2")
    fake.faults["dexscreener"] = Fault([429, 503])
    [row] = fetch({HEALTHY: ALL})
    assert row == {"mint": HEALTHY, "failed_sources": [], **HEALTHY_FACTS}
    assert (len(fake.calls_to("rugcheck")), len(fake.calls_to("dexscreener"))) == (2, 3)


def test_retry_after_beyond_the_budget_gives_up_at_once(fake: FakeTokenApis) -> None:
    fake.faults["rugcheck"] = Fault([429], retry_after="30")
    [row] = fetch({HEALTHY: ALL}, budget_seconds=3.0)
    assert row["failed_sources"] == ["rugcheck"]
    assert row["das"] == HEALTHY_FACTS["das"]
    assert len(fake.calls_to("rugcheck")) == 1


def test_5xx_retried_until_the_budget_is_spent(fake: FakeTokenApis) -> None:
    fake.faults["das"] = Fault(forever=503)
    [row] = fetch({HEALTHY: ALL}, budget_seconds=0.8)
    assert row == {"mint": HEALTHY, "failed_sources": ["das"], **HEALTHY_FACTS, "das": None}
    assert len(fake.calls_to("das")) >= 2


def test_4xx_is_final(fake: FakeTokenApis) -> None:
    fake.faults["dexscreener"] = Fault(forever=403)
    [row] = fetch({HEALTHY: ["dexscreener"]})
    assert row["failed_sources"] == ["dexscreener"]
    assert len(fake.calls_to("dexscreener")) == 1


def test_one_source_timing_out_leaves_the_others_stored(fake: FakeTokenApis) -> None:
    fake.faults["dexscreener"] = Fault(delay=10)
    [row] = fetch({HEALTHY: ALL}, timeout_seconds=0.2, budget_seconds=1.0)
    assert row == {
        "mint": HEALTHY,
        "failed_sources": ["dexscreener"],
        **HEALTHY_FACTS,
        "dexscreener": None,
    }


def test_whole_call_stays_within_budget_when_a_source_hangs(fake: FakeTokenApis) -> None:
    fake.faults["rugcheck"] = Fault(delay=60)
    started = time.monotonic()
    [row] = fetch({HEALTHY: ALL}, timeout_seconds=60.0, budget_seconds=0.5)
    assert time.monotonic() - started < 3.0
    assert row == {
        "mint": HEALTHY,
        "failed_sources": ["rugcheck"],
        **HEALTHY_FACTS,
        "rugcheck": None,
    }


def test_all_sources_down() -> None:
    down = closed_port_url()
    settings = TokenSourceSettings(down, down, down, "key", budget_seconds=0.5)
    rows = asyncio.run(fetch_token_facts({HEALTHY: ALL, RUGGED: ["rugcheck"]}, settings))
    assert rows == [
        {
            "mint": HEALTHY,
            "failed_sources": ALL,
            "rugcheck": None,
            "dexscreener": None,
            "das": None,
        },
        {
            "mint": RUGGED,
            "failed_sources": ["rugcheck"],
            "rugcheck": None,
            "dexscreener": None,
            "das": None,
        },
    ]


@pytest.mark.parametrize(
    ("source", "body"),
    [
        ("rugcheck", b'{"mint": "' + HEALTHY.encode() + b'", "score": 5'),
        ("rugcheck", b'{"score": "high", "risks": "many"}'),
        ("rugcheck", b'{"topHolders": [{"pct": NaN}]}'),
        ("rugcheck", b'{"markets": [{"lp": {"lpLockedPct": 150}}]}'),
        ("rugcheck", b'{"markets": [{"lp": {"lpLockedPct": 5, "quoteUSD": -1, "baseUSD": 9}}]}'),
        ("rugcheck", b'{"score_normalised": 100.5}'),  # 101 once whole: out of 0-100
        ("rugcheck", b'{"score": 1e999999999}'),
        ("rugcheck", b'{"score": 3000000000}'),  # more than the SQL integer column holds
        ("dexscreener", b"<html>502 Bad Gateway</html>"),
        ("dexscreener", b'{"schemaVersion": "1.0.0", "pairs": []}'),
        ("dexscreener", b'[{"chainId": "solana", "pairAddress": 7}]'),
        ("das", b'{"jsonrpc": "2.0", "id": "walltrack", "result": null}'),
        ("das", b'{"jsonrpc": "2.0", "result": {"id": "' + RUGGED.encode() + b'"}}'),
        ("das", b"\xff\xfe not even utf-8"),
    ],
)
def test_malformed_answer_fails_only_that_source(
    fake: FakeTokenApis, source: str, body: bytes
) -> None:
    fake.faults[source] = Fault(body=body)
    [row] = fetch({HEALTHY: ALL})
    assert row == {"mint": HEALTHY, "failed_sources": [source], **HEALTHY_FACTS, source: None}


def test_invalid_mints_fail_without_a_request(fake: FakeTokenApis) -> None:
    bad = ["", "short", "0OIl" + HEALTHY[4:], HEALTHY + "x", f"{HEALTHY[:20]}/../{HEALTHY[:20]}"]
    rows = fetch({**dict.fromkeys(bad, ALL), HEALTHY: ["das"]})
    assert [row["failed_sources"] for row in rows] == [ALL] * len(bad) + [[]]
    assert [call.source for call in fake.calls] == ["das"]


def test_das_without_key_is_not_asked_and_counts_as_failed(fake: FakeTokenApis) -> None:
    [row] = fetch({HEALTHY: ALL}, helius_api_key="")
    assert row["failed_sources"] == ["das"]
    assert row["rugcheck"] is not None and row["dexscreener"] is not None
    assert fake.calls_to("das") == []


def test_unknown_source_is_refused(fake: FakeTokenApis) -> None:
    with pytest.raises(ValueError, match="birdeye"):
        fetch({HEALTHY: ["birdeye"]})


def test_api_key_never_logged_nor_returned(
    fake: FakeTokenApis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # main.py quiets it when imported first
    fake.faults["das"] = Fault([503, 500])
    rows = fetch({HEALTHY: ALL, new_mint(): ALL})
    down = closed_port_url()
    rows += fetch({RUGGED: ALL}, helius_rpc_url=down, budget_seconds=0.4)
    fake.faults["das"] = Fault(forever=401)
    rows += fetch({RUGGED: ["das"]})
    assert rows[0]["das"] == HEALTHY_FACTS["das"]
    assert "das" in rows[2]["failed_sources"] and "das" in rows[3]["failed_sources"]
    assert any("/helius/" in record.getMessage() for record in caplog.records)
    for record in caplog.records:
        assert API_KEY not in record.getMessage()
    assert API_KEY not in caplog.text
    assert API_KEY not in json.dumps(rows)


# --- any answer at all ----------------------------------------------------------------------


def test_any_answer_gives_a_well_formed_row(fake: FakeTokenApis) -> None:
    report, [pair] = load("rugcheck_healthy.json"), load("dexscreener_pairs.json")[1:2]
    asset = load("das_healthy.json")
    assets = changed(asset["result"]["token_info"]).map(
        lambda info: {**asset, "result": {**asset["result"], "token_info": info}}
    )

    @settings(max_examples=60, deadline=None)
    @given(
        rugcheck=JSON | changed(report),
        dexscreener=JSON | changed(pair).map(lambda p: [p]),
        das=JSON | assets,
    )
    def check(rugcheck: Any, dexscreener: Any, das: Any) -> None:
        bodies = {"rugcheck": rugcheck, "dexscreener": dexscreener, "das": das}
        fake.faults = {s: Fault(body=json.dumps(b).encode()) for s, b in bodies.items()}
        [row] = fetch({HEALTHY: ALL})
        assert set(row) == {"mint", "failed_sources", *SOURCES}
        for source in SOURCES:
            assert (row[source] is None) == (source in row["failed_sources"])

    check()
