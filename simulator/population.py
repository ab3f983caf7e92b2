"""A population of traders for wallet discovery (issue 17): wallets with histories, winner
and loser tokens, and their swaps, deterministic from a seed.

Who is in it (labels in the scenario's `wallets`, roles in `Population.roles`):

- `patient-N`: buy every winner minutes after launch, hold hours, sell higher; cut one
  loser early. `patient-1` (`Population.best_patient_trader`) trades the largest sizes.
- `sniper-N`: buy seconds after each launch, sell within the minute.
- `bot`: a round trip every 2 s across many tokens at each winner's launch.
- `lucky`: one early winner held to the top (nearly all its profit), then small losses.
- `wash-N`: buy and sell the same winner over and over at one price.
- `insider`: an early buyer of one winner that sells another it never bought.
- `whale`: one large buy mid-pump (a size buyer), sold higher later.
- `retail-N`: late buyers of losers, selling lower.

Tokens: winners MOONCAT, ROCKETX, MOONPIG, LUNADOG (price up 8-20 fold over two days, +300 %
over the last 24 h at t=0), two of them boosted on DexScreener and two found by a search for
`SEARCH_QUERY` ("moon"); losers (down 80 %), one boosted, one named so the search finds it.

Every swap of the population happens before t=0 (a scenario's history: the parsed history
endpoints have it from the start, webhooks never deliver it), except, with `after_start`,
every patient trader's round trip on `NEXT` at t=60 (buy) and t=180 (sell), so that whichever
the operator promotes trades during a demo.

Each role's mark is there whatever the seed (tests/py/test_discovery.py ranks a random one):
a patient trader keeps one style on every winner, so no one token carries its record.

Use: `scenario = add_population(scenario_dict, seed=17)` (a new dict; the input is left
alone), or `population(seed)` for the parts and the roles.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from simulator.encoding import derived_pubkey
from simulator.scenario import Token

HOUR = 3_600
DAY = 86_400
SEARCH_QUERY = "moon"
LAUNCH = -2 * DAY  # the first winner's pair is created two days before t=0
SOL_STEP = Decimal("0.001")
TOKEN_STEP = Decimal("0.000001")  # 6 decimals
AFTER_START_BUY, AFTER_START_SELL = 60, 180  # the patient traders' round trip on NEXT


@dataclass
class Population:
    seed: int
    wallets: list[dict[str, Any]] = field(default_factory=list)
    tokens: list[dict[str, Any]] = field(default_factory=list)
    swaps: list[dict[str, Any]] = field(default_factory=list)
    roles: dict[str, list[str]] = field(default_factory=dict)  # role -> addresses
    winners: list[str] = field(default_factory=list)  # mints
    losers: list[str] = field(default_factory=list)
    boosted: list[str] = field(default_factory=list)

    @property
    def best_patient_trader(self) -> str:
        return self.roles["patient"][0]

    def address(self, label: str) -> str:
        return str(next(w["address"] for w in self.wallets if w["label"] == label))


class Builder:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.random = random.Random(f"population:{seed}")  # noqa: S311 (not a secret)
        self.result = Population(seed)
        self.models: dict[str, Token] = {}

    def address(self, *labels: str) -> str:
        return str(derived_pubkey(self.seed, "population", *labels))

    def wallet(self, role: str, label: str, profitable: bool | None, note: str) -> str:
        address = self.address("wallet", label)
        self.result.wallets.append(
            {"address": address, "label": label, "profitable": profitable, "note": note}
        )
        self.result.roles.setdefault(role, []).append(address)
        return address

    def token(
        self,
        symbol: str,
        name: str,
        path: list[tuple[int, str]],
        created: int,
        boost: int | None = None,
    ) -> str:
        mint = self.address("token", symbol)
        data: dict[str, Any] = {
            "mint": mint,
            "symbol": symbol,
            "name": name,
            "price_path": [{"t": t, "price_sol": price} for t, price in path],
            "liquidity_sol": "800",
            "pair_created_t": created,
            "outside_volume_usd_24h": "250000",  # the crowd beyond the population
        }
        if boost is not None:
            data["boost_amount"] = boost
            self.result.boosted.append(mint)
        self.result.tokens.append(data)
        self.models[mint] = Token.model_validate(data)
        return mint

    def buy(self, wallet: str, mint: str, t: int, sol: Decimal) -> Decimal:
        """A buy of `sol` SOL at the path's price; returns the tokens bought."""
        price = self.models[mint].price_at(Decimal(t))
        tokens = (sol / price).quantize(TOKEN_STEP)
        self.swap(wallet, mint, t, "buy", tokens, sol.quantize(SOL_STEP))
        return tokens

    def sell(self, wallet: str, mint: str, t: int, tokens: Decimal) -> None:
        price = self.models[mint].price_at(Decimal(t))
        self.swap(wallet, mint, t, "sell", tokens, (tokens * price).quantize(SOL_STEP))

    def swap(
        self, wallet: str, mint: str, t: int, side: str, tokens: Decimal, sol: Decimal
    ) -> None:
        self.result.swaps.append(
            {
                "t": t,
                "wallet": wallet,
                "side": side,
                "mint": mint,
                "token_amount": str(tokens),
                "sol_amount": str(sol),
            }
        )

    def round_trip(self, wallet: str, mint: str, bought: int, sold: int, sol: Decimal) -> None:
        self.sell(wallet, mint, sold, self.buy(wallet, mint, bought, sol))

    def sol(self, low: str, high: str) -> Decimal:
        lo, hi = Decimal(low), Decimal(high)
        return (lo + (hi - lo) * Decimal(self.random.randint(0, 1000)) / 1000).quantize(SOL_STEP)

    def within(self, low: int, high: int) -> int:
        return self.random.randint(low, high)


def winner_path(launch: int, start: str, peak_factor: int) -> list[tuple[int, str]]:
    """Up many-fold: x2 in the first hour, x(peak/4) a day before t=0, x peak at t=-1 h (so
    +300 % over the last 24 h at t=0)."""
    base = Decimal(start)
    return [
        (launch, start),
        (launch + HOUR, str(base * 2)),
        (-DAY, str(base * peak_factor / 4)),
        (-HOUR, str(base * peak_factor)),
    ]


def loser_path(launch: int, start: str) -> list[tuple[int, str]]:
    """A short pop, then down 80 %."""
    base = Decimal(start)
    return [
        (launch, start),
        (launch + HOUR, str(base * Decimal("1.3"))),
        (launch + 6 * HOUR, str(base * Decimal("0.5"))),
        (-HOUR, str(base / 5)),
    ]


def population(seed: int = 17, after_start: bool = True) -> Population:
    """The population for `seed` (the same seed, the same population)."""
    b = Builder(seed)
    launches = [LAUNCH + index * 2 * HOUR for index in range(4)]
    winners = [
        b.token("MOONCAT", "Moon Cat", winner_path(launches[0], "0.000001", 20), launches[0], 900),
        b.token("ROCKETX", "Rocket X", winner_path(launches[1], "0.000002", 12), launches[1], 500),
        b.token("MOONPIG", "Moon Pig", winner_path(launches[2], "0.000004", 10), launches[2]),
        b.token("LUNADOG", "Luna Moon Dog", winner_path(launches[3], "0.000003", 8), launches[3]),
    ]
    loser_launches = [LAUNCH + HOUR, LAUNCH + 3 * HOUR, LAUNCH + 5 * HOUR]
    losers = [
        b.token(
            "FADE", "Fade Coin", loser_path(loser_launches[0], "0.00001"), loser_launches[0], 700
        ),
        b.token("MOONDUD", "Moon Dud", loser_path(loser_launches[1], "0.00002"), loser_launches[1]),
        b.token("DRIP", "Drip", loser_path(loser_launches[2], "0.000005"), loser_launches[2]),
    ]
    b.result.winners, b.result.losers = winners, losers
    launch_of = dict(zip(winners + losers, launches + loser_launches, strict=True))

    # Snipers: in within seconds of every launch, out within the minute.
    for n in range(1, 4):
        sniper = b.wallet("sniper", f"sniper-{n}", None, "buys at launch, sells within a minute")
        for mint in winners + losers:
            bought = launch_of[mint] + b.within(1, 8)
            b.round_trip(sniper, mint, bought, bought + b.within(20, 50), b.sol("0.5", "1.5"))

    # Patient traders: in minutes after launch, out hours later, higher; one loser cut early.
    # Each has a style of its own (how soon in, how long held, how big), kept on every winner,
    # so that no one winner carries its record whatever the seed.
    for n in range(1, 5):
        note = "buys winners early, holds hours, sells higher"
        patient = b.wallet("patient", f"patient-{n}", True, note)
        delay_minutes, hold_hours = b.within(5, 25), b.within(6, 18)
        size = b.sol("3", "5") if n == 1 else b.sol("1", "2.5")
        for mint in winners:
            bought = launch_of[mint] + (delay_minutes + b.within(0, 5)) * 60
            sold = bought + (hold_hours + b.within(0, 2)) * HOUR
            b.round_trip(patient, mint, bought, sold, size)
        loser = losers[n % len(losers)]
        bought = launch_of[loser] + b.within(45, 58) * 60  # near its pop's top
        b.round_trip(patient, loser, bought, bought + 3 * HOUR, b.sol("0.5", "1"))

    # The bot: a round trip every 2 s across every token, 12 at each winner's launch: 24
    # transactions within 24 s, so at least 12 in one calendar minute wherever it starts.
    bot = b.wallet("bot", "bot", None, "many swaps per minute across many tokens")
    every = winners + losers
    for mint in winners:
        t = launch_of[mint] + 2
        for _ in range(12):
            traded = every[b.within(0, len(every) - 1)]
            b.round_trip(bot, traded, t, t + 1, b.sol("0.1", "0.3"))
            t += 2

    # One lucky token: in early on the best winner, out near its top; then small losses.
    lucky = b.wallet("lucky", "lucky", True, "all its profit from one token")
    b.round_trip(lucky, winners[0], launches[0] + 180, -2 * HOUR, Decimal(2))
    for index, mint in enumerate(losers * 2):
        bought = launch_of[mint] + 2 * HOUR + index * 60
        b.round_trip(lucky, mint, bought, bought + 3 * HOUR, b.sol("0.3", "0.6"))

    # Wash traders: the same winner bought and sold again and again at one price.
    for n in range(1, 3):
        wash = b.wallet("wash", f"wash-{n}", None, "buys and sells one token at one price")
        mint = winners[1]
        price = b.models[mint].price_at(Decimal(launch_of[mint]))
        sol = Decimal(5)
        tokens = (sol / price).quantize(TOKEN_STEP)
        t = launch_of[mint] + 60 + n * 7
        for _ in range(10):
            b.swap(wash, mint, t, "buy", tokens, sol)
            b.swap(wash, mint, t + 30, "sell", tokens, sol)
            t += 90

    # An insider: an early buyer of one winner that sells another it never bought.
    insider = b.wallet("insider", "insider", None, "sells tokens it never bought")
    b.round_trip(insider, winners[2], launches[2] + 40, launches[2] + 5 * HOUR, Decimal(1))
    b.sell(insider, winners[1], launches[1] + 3 * HOUR, Decimal(200_000))

    # A whale: one large buy mid-pump, sold higher (a size buyer with one trade).
    whale = b.wallet("whale", "whale", True, "one large buy mid-pump")
    b.round_trip(whale, winners[2], -30 * HOUR, -3 * HOUR, Decimal(40))

    # Retail: late buyers of losers, selling lower, and of a winner near its top, holding.
    for n in range(1, 9):
        retail = b.wallet("retail", f"retail-{n}", False, "buys late, sells lower")
        mint = losers[n % len(losers)]
        bought = launch_of[mint] + b.within(2, 5) * HOUR
        b.round_trip(retail, mint, bought, bought + b.within(4, 12) * HOUR, b.sol("0.1", "0.8"))
        b.buy(retail, winners[n % len(winners)], -b.within(2, 20) * HOUR, b.sol("0.2", "1"))

    if after_start:  # the patient traders trade during a demo: one promoted is copied
        path = [(0, "0.00001"), (AFTER_START_SELL + 120, "0.000013")]
        following = b.token("NEXT", "Next Up", path, -HOUR)
        for patient in b.result.roles["patient"]:
            b.round_trip(patient, following, AFTER_START_BUY, AFTER_START_SELL, Decimal(1))
    return b.result


def add_population(
    scenario: dict[str, Any], seed: int = 17, after_start: bool = True
) -> dict[str, Any]:
    """A copy of the scenario dict with the population's wallets, tokens and swaps added."""
    people = population(seed, after_start)
    return scenario | {
        "wallets": [*scenario.get("wallets", []), *people.wallets],
        "tokens": [*scenario.get("tokens", []), *people.tokens],
        "swaps": [*scenario.get("swaps", []), *people.swaps],
    }
