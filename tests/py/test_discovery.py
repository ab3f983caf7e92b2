"""wallet-discovery (issue 17) through the real function, against the market simulator running
the discovery population (simulator/population.py) and the real database: winners from
DexScreener's boosts and search, their early and size buyers as candidates, the candidates'
histories stored, pages walked back, the credit budget, 429, a page that is not a history,
an operator's submission, hostile bodies, and the ranking."""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest

from scripts.stack_env import StackEnv
from simulator import ScenarioError, Simulator, env_for, parse_scenario, run_simulator
from simulator.population import SEARCH_QUERY, Population, add_population, population
from simulator.world import World
from tests.support.function_app import OPERATOR, function_app, helius_functions_env
from tests.support.http_fake import Reply, Request, serve

Db = psycopg.Connection[tuple[Any, ...]]
API_KEY = "discovery-test-key-never-logged"
CALL_CREDITS = 100


def configure(db: Db, credits: int = 1_000_000, **extra: Any) -> None:
    settings = {
        "discovery_credits_per_run": credits,
        "helius_history_call_credits": CALL_CREDITS,
        "discovery_search_queries": [SEARCH_QUERY],
        "discovery_min_size_buy_sol": 5,
        "discovery_early_buyers": 20,
    } | extra
    assignments = ", ".join(f"{name} = %s" for name in settings)
    db.execute(f"update walltrack.config set {assignments}", list(settings.values()))  # noqa: S608


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, stack: StackEnv, db: Db) -> Iterator[None]:
    for name, value in helius_functions_env(stack, API_KEY).items():
        monkeypatch.setenv(name, value)
    yield
    db.execute(
        "update walltrack.config set discovery_credits_per_run = default,"
        " discovery_search_queries = default, discovery_min_size_buy_sol = default,"
        " discovery_early_buyers = default, discovery_fresh_wallet_days = default"
    )


@pytest.fixture
def simulate(
    monkeypatch: pytest.MonkeyPatch, environment: None, db: Db
) -> Iterator[Callable[..., Simulator]]:
    """Starts a simulator and points the functions at it; first, what earlier tests left
    to walk is walked to its end against an empty world (their histories are gone)."""
    with ExitStack() as running:

        def start(data: dict[str, Any]) -> Simulator:
            sim = running.enter_context(run_simulator(data))
            for name, value in env_for(sim.base_url).items():
                monkeypatch.setenv(name, value)
            return sim

        configure(db, discovery_search_queries=[])
        with run_simulator({"name": "empty"}) as empty:
            for name, value in env_for(empty.base_url).items():
                monkeypatch.setenv(name, value)
            for _ in range(5):
                if not call()["left"]:
                    break
        yield start


def call(body: Any = None) -> dict[str, Any]:
    response = function_app("wallet_discovery").test_client().post("/", headers=OPERATOR, json=body)
    assert response.status_code == 200, response.get_json()
    answer: dict[str, Any] = response.get_json()
    return answer


def populated(seed: int | None = None, **extra: Any) -> tuple[dict[str, Any], Population]:
    """The population of a fresh seed (fresh addresses on a shared database)."""
    seed = secrets.randbelow(2**31) if seed is None else seed
    people = population(seed)
    return add_population({"name": "discovery", "seed": seed} | extra, seed), people


def expected_candidates(people: Population, early: int = 20, size_sol: int = 5) -> set[str]:
    """By hand from the scenario: each winner's first `early` buyers, and every buyer whose
    SOL paid at least `size_sol`."""
    chosen: set[str] = set()
    for mint in people.winners:
        buys = sorted(
            (s for s in people.swaps if s["mint"] == mint and s["side"] == "buy" and s["t"] < 0),
            key=lambda s: s["t"],
        )
        first = list(dict.fromkeys(s["wallet"] for s in buys))[:early]
        sized = {s["wallet"] for s in buys if Decimal(s["sol_amount"]) >= size_sol}
        chosen |= set(first) | sized
    return chosen


def candidates(db: Db, people: Population) -> dict[str, str]:
    """address -> source of the population's candidates."""
    rows = db.execute(
        "select address::text, source::text from walltrack.discovery_candidates"
        " where address = any(%s)",
        ([w["address"] for w in people.wallets],),
    ).fetchall()
    return dict(rows)


def stored_swaps(db: Db, address: str) -> int:
    row = db.execute(
        "select count(*) from walltrack.candidate_swaps as s"
        " join walltrack.discovery_candidates as c on c.id = s.candidate_id where c.address = %s",
        (address,),
    ).fetchone()
    return int(row[0]) if row else 0


def own_swaps(people: Population, address: str) -> int:
    return sum(1 for s in people.swaps if s["wallet"] == address and s["t"] < 0)


def winners(db: Db, people: Population) -> set[str]:
    rows = db.execute(
        "select mint::text from walltrack.discovery_winners where mint = any(%s)",
        ([t["mint"] for t in people.tokens],),
    ).fetchall()
    return {row[0] for row in rows}


def history_calls(sim: Simulator) -> int:
    return int(sim.state()["calls"].get("helius_history", 0))


def run_until_done(limit: int = 50) -> list[dict[str, Any]]:
    answers = [call()]
    while answers[-1]["stopped"] or answers[-1]["left"]:
        assert len(answers) < limit, answers[-1]
        answers.append(call())
    return answers


def test_winners_their_early_and_size_buyers_and_the_candidates_histories(
    simulate: Callable[..., Simulator], db: Db, caplog: pytest.LogCaptureFixture
) -> None:
    data, people = populated()
    configure(db)
    sim = simulate(data)
    with caplog.at_level(logging.INFO):
        answer = call()
    assert answer["stopped"] is None and answer["left"] == []
    assert set(answer["winners"]) == set(people.winners) == winners(db, people)
    rejected = {r["mint"] for r in answer["rejected"]}
    assert rejected >= set(people.losers) - {people.losers[2]}  # DRIP is neither boosted nor found
    found = candidates(db, people)
    assert set(found) == expected_candidates(people)
    assert set(people.roles["patient"]) | set(people.roles["sniper"]) <= set(found)
    assert found[people.address("whale")] == "size_buyer"
    assert not set(people.roles["retail"]) & {a for a, s in found.items() if s == "size_buyer"}
    for address in found:
        assert stored_swaps(db, address) == own_swaps(people, address), address
    assert answer["calls"] == history_calls(sim)
    assert answer["credits_spent"] == answer["calls"] * CALL_CREDITS
    assert API_KEY not in caplog.text and API_KEY not in json.dumps(answer)

    again = call()  # nothing new: every walk is complete, every swap stored once
    assert (again["new_candidates"], again["new_swaps"], again["calls"]) == (0, 0, 0)
    assert stored_swaps(db, people.best_patient_trader) == own_swaps(
        people, people.best_patient_trader
    )


def test_short_pages_are_walked_back_to_the_same_result(
    simulate: Callable[..., Simulator], db: Db
) -> None:
    data, people = populated(helius_history_page_max=7)
    configure(db)
    sim = simulate(data)
    answer = call()
    assert answer["stopped"] is None
    assert answer["winner_pages"] > 2 * len(people.winners)  # 28+ swaps per mint, 7 a page
    assert set(candidates(db, people)) == expected_candidates(people)
    patient = people.best_patient_trader
    assert stored_swaps(db, patient) == own_swaps(people, patient) == 10
    assert answer["calls"] == history_calls(sim)


def test_the_credit_budget_stops_a_run_and_the_next_runs_resume(
    simulate: Callable[..., Simulator], db: Db
) -> None:
    data, people = populated(helius_history_page_max=10)
    configure(db, credits=5 * CALL_CREDITS + CALL_CREDITS - 1)
    sim = simulate(data)
    answers = run_until_done()
    first = answers[0]
    assert (first["calls"], first["stopped"]) == (5, "credit budget spent")
    assert len(answers) > 3
    assert all(a["calls"] <= 5 for a in answers)
    assert sum(a["calls"] for a in answers) == history_calls(sim)
    assert set(candidates(db, people)) == expected_candidates(people)
    for address in people.roles["patient"]:
        assert stored_swaps(db, address) == own_swaps(people, address)

    configure(db, credits=CALL_CREDITS - 1)  # a budget below one call reads nothing
    assert call()["calls"] == 0


def test_a_429_stops_the_run_and_the_next_run_goes_on(
    simulate: Callable[..., Simulator], db: Db
) -> None:
    limited = {
        "service": "helius_history",
        "kind": "status",
        "status": 429,
        "retry_after": "7",
        "when": {"calls": [3]},
    }
    data, people = populated(faults=[limited], helius_history_page_max=20)
    configure(db)
    simulate(data)
    stopped = call()
    assert stopped["stopped"] is not None and stopped["stopped"].endswith(": 429, Retry-After 7")
    assert stopped["calls"] == 3 and stopped["left"]
    resumed = call()
    assert resumed["stopped"] is None and resumed["left"] == []
    assert set(candidates(db, people)) == expected_candidates(people)
    patient = people.best_patient_trader
    assert stored_swaps(db, patient) == own_swaps(people, patient)


def test_a_page_that_is_not_a_history_is_a_fault_for_that_winner_and_the_run_goes_on(
    simulate: Callable[..., Simulator], db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, people = populated()
    configure(db)
    sim = simulate(data)
    broken = people.winners[0]

    def answer(request: Request) -> Reply:
        if f"/addresses/{broken}/" in request.path:
            return Reply(200, {}, b'{"not": "a history"}')
        forwarded = httpx.get(f"{sim.base_url}/helius{request.path}")
        return Reply(forwarded.status_code, {}, forwarded.content)

    with serve(answer, threading.Event()) as base_url:
        monkeypatch.setenv("HELIUS_API_BASE_URL", base_url)
        result = call()
    assert result["stopped"] is None and result["left"] == [broken]
    assert set(result["winners_done"]) >= set(people.winners) - {broken}
    fault = db.execute(
        "select message from walltrack.faults where source = 'wallet-discovery'"
        " and subject = %s order by id desc limit 1",
        (broken,),
    ).fetchone()
    assert fault is not None and fault[0].startswith(f"helius history of {broken}")
    assert API_KEY not in fault[0]
    assert people.best_patient_trader in candidates(db, people)  # found through other winners


def test_an_operator_submits_addresses_and_their_histories_are_read(
    simulate: Callable[..., Simulator], db: Db
) -> None:
    data, people = populated()
    configure(db, discovery_search_queries=[])
    simulate(data)
    retail = people.address("retail-1")
    answer = call({"addresses": [retail], "note": "seen on a leaderboard"})
    assert answer["submitted"] is not None
    assert candidates(db, people)[retail] == "operator"
    assert stored_swaps(db, retail) == own_swaps(people, retail) > 0
    note = db.execute(
        "select note from walltrack.discovery_candidates where address = %s", (retail,)
    ).fetchone()
    assert note == ("seen on a leaderboard",)

    refused = (
        function_app("wallet_discovery")
        .test_client()
        .post("/", headers=OPERATOR, json={"addresses": ["not-an-address"], "note": ""})
    )
    assert refused.status_code == 400
    assert "address" in refused.get_json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        [],
        "addresses",
        {"addresses": "x"},
        {"addresses": []},
        {"addresses": [1]},
        {"addresses": [None]},
        {"wallets": ["x"]},
        {"addresses": ["x"], "note": 5},
        {"addresses": ["x"], "note": "n" * 1001},
        {"addresses": ["x"] * 1001},
    ],
)
def test_a_bad_body_is_refused_with_what_to_send(environment: None, body: Any) -> None:
    response = function_app("wallet_discovery").test_client().post("/", headers=OPERATOR, json=body)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]


def test_no_secret_no_run_and_get_is_refused(environment: None) -> None:
    client = function_app("wallet_discovery").test_client()
    assert client.post("/", json={}).status_code == 401
    assert client.get("/", headers=OPERATOR).status_code == 405
    broken = client.post("/", headers=OPERATOR, data=b"{not json", content_type="application/json")
    assert broken.status_code == 400


def test_a_failing_dexscreener_source_is_a_fault_and_the_search_still_counts(
    simulate: Callable[..., Simulator], db: Db
) -> None:
    boosts_down = {
        "service": "dexscreener",
        "kind": "status",
        "status": 500,
        "when": {"calls": [1]},
    }
    data, people = populated(faults=[boosts_down])
    configure(db)
    simulate(data)
    answer = call()
    searched = {people.winners[0], people.winners[2], people.winners[3]}  # names hold "moon"
    assert set(answer["winners"]) == searched
    fault = db.execute(
        "select message from walltrack.faults where source = 'wallet-discovery'"
        " and subject = 'token-boosts/top' order by id desc limit 1"
    ).fetchone()
    assert fault == ("dexscreener /token-boosts/top/v1: HTTP 500",)


def test_the_ranking_lists_patient_traders_first_and_flags_every_other_role(
    simulate: Callable[..., Simulator], db: Db
) -> None:
    # Any seed: the population gives each role its mark whatever the seed. Its histories
    # span two days, so the fresh-wallet flag looks back one day only.
    data, people = populated()
    configure(db, discovery_fresh_wallet_days=1)
    simulate(data)
    assert call()["left"] == []
    ranked = db.execute(
        "select address::text, rank, flag_names from walltrack.candidate_ranking"
        " where address = any(%s) order by rank",
        ([w["address"] for w in people.wallets],),
    ).fetchall()
    assert len(ranked) == len(people.wallets)  # every one found, measured and ranked
    patients = set(people.roles["patient"])
    assert {address for address, _, _ in ranked[:4]} == patients
    assert [flags for _, _, flags in ranked[:4]] == [[]] * 4
    marks = {
        "bot": "bot",
        "sniper": "sniper",
        "wash": "wash_trading",
        "lucky": "single_token_profit",
        "insider": "sold_never_bought",
        "whale": "low_activity",
        "retail": "low_activity",
    }
    flags_of = {address: flags for address, _, flags in ranked}
    for role, mark in marks.items():
        for address in people.roles[role]:
            assert mark in flags_of[address], (role, flags_of[address])


# --- the simulator's side: no database needed ------------------------------------------------


def test_the_simulator_serves_a_mints_history_and_keeps_history_before_t0_undelivered() -> None:
    data, people = populated(helius_history_page_max=9)
    mint = people.winners[0]
    swaps_of_mint = [s for s in people.swaps if s["mint"] == mint]
    with run_simulator(data) as sim:
        url = f"{sim.base_url}/helius/v0/addresses/{mint}/transactions"
        pages: list[list[dict[str, Any]]] = []
        before: str | None = None
        while True:
            params = {"api-key": API_KEY} | ({"before": before} if before else {})
            page = httpx.get(url, params=params).json()
            if not page:
                break
            pages.append(page)
            before = page[-1]["signature"]
        seen = [tx for page in pages for tx in page]
        assert all(len(page) <= 9 for page in pages) and len(pages) > 2
        assert len(seen) == len(swaps_of_mint)
        times = [tx["timestamp"] for tx in seen]
        assert times == sorted(times, reverse=True) and times[0] < sim.state()["epoch"]
        wallets = {tx["feePayer"] for tx in seen}
        assert wallets == {s["wallet"] for s in swaps_of_mint}  # every wallet, not one
        state = sim.state()
        before_start = sum(1 for s in people.swaps if s["t"] < 0)
        assert (state["swaps_before_start"], state["swaps_delivered"]) == (before_start, 0)
        delivered = sim.advance(1000)["deliveries"]
        # The patient traders' round trips on NEXT, nothing older.
        assert [d["t"] for d in delivered] == [60] * 4 + [180] * 4


def test_the_simulator_lists_boosted_tokens_and_finds_tokens_by_search() -> None:
    data, people = populated()
    with run_simulator(data) as sim:
        dex = f"{sim.base_url}/dexscreener"
        boosts = httpx.get(f"{dex}/token-boosts/top/v1").json()
        mooncat, rocketx, fade = people.boosted  # boosts 900, 500 and 700
        assert [b["tokenAddress"] for b in boosts] == [mooncat, fade, rocketx]
        assert [b["amount"] for b in boosts] == [900, 700, 500]
        keys = {"url", "chainId", "tokenAddress", "amount", "totalAmount", "icon", "header"}
        assert keys | {"description", "links"} == set(boosts[0])
        found = httpx.get(f"{dex}/latest/dex/search", params={"q": "MoOn"}).json()
        symbols = [pair["baseToken"]["symbol"] for pair in found["pairs"]]
        assert symbols == ["MOONCAT", "MOONPIG", "LUNADOG", "MOONDUD"]
        winner = found["pairs"][0]
        assert Decimal(winner["priceChange"]["h24"]) == 300
        assert Decimal(winner["volume"]["h24"]) >= 250_000
        assert Decimal(found["pairs"][3]["priceChange"]["h24"]) < 0
        assert httpx.get(f"{dex}/latest/dex/search").status_code == 400


def test_the_population_is_deterministic_and_the_scenario_stays_strict() -> None:
    assert population(5).swaps == population(5).swaps
    assert population(5).best_patient_trader != population(6).best_patient_trader
    data, _ = populated()
    data["tokens"][0]["boost_amount"] = 0
    with pytest.raises(ScenarioError, match="boost_amount"):
        parse_scenario(data)


def test_a_scenario_file_takes_the_population_by_its_seed_and_refuses_anything_else() -> None:
    scenario = parse_scenario({"name": "file", "population": {"seed": 8}})
    people = population(8)
    assert {w.address for w in scenario.wallets} == {w["address"] for w in people.wallets}
    assert len(scenario.swaps) == len(people.swaps)
    for bad in ({"seed": "8"}, {"seed": 8, "size": 3}, 8, None):
        with pytest.raises(ScenarioError, match='population: expected {"seed": <integer>}'):
            parse_scenario({"name": "file", "population": bad})


def test_second_0_is_dated_either_absolutely_or_back_from_the_start_never_both() -> None:
    started = int(time.time())
    world = World(parse_scenario({"name": "a day ago", "start_seconds_ago": 86_400}))
    assert started - 86_400 <= world.state.epoch <= int(time.time()) - 86_400
    with pytest.raises(ScenarioError, match="start_unix or start_seconds_ago, not both"):
        parse_scenario({"name": "both", "start_unix": 1, "start_seconds_ago": 1})
