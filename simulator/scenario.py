"""The scenario file: wallets, tokens with their price paths and safety facts, the leader swaps
of the timeline, and the faults to inject. Validated with pydantic; errors name the field.

Amounts in the file are decimal UI units (SOL, whole tokens) written as strings or numbers;
the file is read with every JSON number as a Decimal, so nothing passes through a float.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, localcontext
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from solders.pubkey import Pubkey

WSOL_MINT = "So11111111111111111111111111111111111111112"
TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"  # noqa: S105 (an address)
TOKEN_2022_PROGRAM = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"  # noqa: S105
PRICE_STEP = Decimal("1e-18")

Listing = Literal["rugcheck", "dexscreener", "das", "jupiter_price"]
LISTINGS: tuple[Listing, ...] = get_args(Listing)
# Where a leader's swap happens decides how Helius types it (simulator/helius_tx.py VENUES).
Venue = Literal[
    "raydium", "jupiter", "orca", "pump_fun", "pump_amm", "meteora_dbc", "meteora_damm_v2"
]
# "das" and "rpc" share one JSON-RPC endpoint: getAsset calls are "das", the others "rpc".
Service = Literal[
    "helius",
    "helius_history",
    "das",
    "rpc",
    "rugcheck",
    "dexscreener",
    "jupiter_quote",
    "jupiter_swap",
    "jupiter_price",
    "jito",
    "webhook",
    "telegram",
    "discord",
]
FaultKind = Literal[
    "latency",
    "timeout",
    "status",
    "expired_blockhash",
    "slippage",
    "node_behind",
    "bare_error",
    "simulation_error",
    "duplicate",
    "outage",
    "fee_spike",
    "empty_fees",
    "jito_rejects",
]
ANSWER_FAULTS = ("latency", "timeout", "status")
CHAIN_FAULTS = ("expired_blockhash", "slippage", "node_behind", "bare_error")  # sendTransaction
# getRecentPrioritizationFees: the recent slots' fees jump 100-fold, or the node knows none.
FEE_FAULTS = ("fee_spike", "empty_fees")
# Which fault kinds make sense where: answers can be slowed, hung or failed on every HTTP
# service; the chain faults act on sendTransaction; duplicates and outages (the delivery is
# dropped, never sent, as when Helius gives up or goes silent) on webhook deliveries.
KINDS_BY_SERVICE: dict[str, tuple[str, ...]] = {
    **{service: ANSWER_FAULTS for service in get_args(Service)},
    "rpc": (*ANSWER_FAULTS, *CHAIN_FAULTS, *FEE_FAULTS),
    # Jito's block engine refuses a transaction it will not forward (lost auction, bundle
    # limits); its chain faults (slippage...) apply to what it forwards too.
    "jito": (*ANSWER_FAULTS, *CHAIN_FAULTS, "jito_rejects"),
    "jupiter_swap": (*ANSWER_FAULTS, "simulation_error"),
    "webhook": ("duplicate", "outage"),
}


class ScenarioError(ValueError):
    """The scenario file cannot be used; the message lists every problem found."""


def _address(value: str) -> str:
    try:
        Pubkey.from_string(value)
    except ValueError:
        raise ValueError("must be a base58 Solana address") from None
    return value


Address = Annotated[str, AfterValidator(_address)]
Seconds = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
# A moment of the scenario: negative = before t=0 (history the clock never delivers).
Moment = Annotated[Decimal, Field(allow_inf_nan=False)]
Positive = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
Percent = Annotated[Decimal, Field(ge=0, le=100, allow_inf_nan=False)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Wallet(Model):
    """A leader wallet. `profitable` and `note` document the scenario's intent for the reader
    (and the demo); the simulator only needs the address."""

    address: Address
    label: str = ""
    profitable: bool | None = None
    note: str = ""


class PricePoint(Model):
    t: Moment
    price_sol: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]


class Risk(Model):
    name: str
    level: Literal["info", "warn", "danger"]
    score: int = 0
    description: str = ""
    value: str = ""


class OtherPool(Model):
    """A pool of the token besides its main one, as RugCheck lists it among the token's
    markets (quotes, prices and DexScreener use the main pool only). A large token has
    hundreds: `count` such pools, each with this liquidity and lock."""

    market_type: str = "meteoraDlmm"
    liquidity_sol: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]  # its SOL side
    lp_locked_pct: Percent = Decimal(0)
    count: Annotated[int, Field(ge=1, le=10_000)] = 1


class Token(Model):
    mint: Address
    symbol: str
    name: str = ""
    decimals: Annotated[int, Field(ge=0, le=18)] = 6
    supply: Positive = Decimal(1_000_000_000)
    # Piecewise-linear price in SOL per whole token; flat before the first point and after
    # the last. A rug pull is a fall to (nearly) zero.
    price_path: Annotated[list[PricePoint], Field(min_length=1)]
    # SOL side of the one pool (constant product): sets the price impact of a quote.
    liquidity_sol: Positive = Decimal(500)
    pool_fee_bps: Annotated[int, Field(ge=0, lt=10_000)] = 25
    dex_id: str = "raydium"
    pair_created_t: Decimal = Decimal(-86_400)  # scenario seconds; negative = before t=0
    mint_authority: Address | None = None
    freeze_authority: Address | None = None
    lp_locked_pct: Percent = Decimal(100)
    top_holders_pct: list[Percent] = [Decimal(12), Decimal(6), Decimal(4)]
    # RugCheck's score_normalised; it may be fractional (1.5), as RugCheck sometimes sends it.
    risk_score: Percent = Decimal(1)
    # RugCheck's raw score; by default 1 + the scores of the token's risks.
    rugcheck_score: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)] | None = None
    risks: list[Risk] = []
    rugged_from_t: Seconds | None = None  # RugCheck reports rugged from this time on
    listed_on: list[Listing] = list(LISTINGS)
    tradable: bool = True  # Jupiter quotes it
    program: Literal["spl-token", "token-2022"] = "spl-token"  # the program of its accounts
    other_pools: list[OtherPool] = []  # RugCheck's markets beyond the main pool
    # How long RugCheck takes to build this token's full report (a large token's takes
    # seconds); its summary answers at once.
    rugcheck_report_ms: Annotated[int, Field(ge=0)] = 0
    # The sections of its full report RugCheck leaves null, as it does when it could not read
    # them: "token" (the mint, so no authority is named anywhere), "tokenMeta", "rugged".
    rugcheck_nulls: list[Literal["token", "tokenMeta", "rugged"]] = []
    # DexScreener boosts: the token's active boosts (GET /token-boosts/top/v1 lists the
    # boosted tokens, most boosted first); None = not boosted.
    boost_amount: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    # DexScreener volume traded by wallets outside the scenario, in USD per 24 hours, spread
    # evenly over time (added to the volume of the scenario's own swaps in each window).
    outside_volume_usd_24h: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)] = Decimal(0)

    @model_validator(mode="after")
    def _path_in_time_order(self) -> Token:
        times = [point.t for point in self.price_path]
        if any(later <= earlier for earlier, later in zip(times, times[1:], strict=False)):
            raise ValueError("price_path times must increase strictly")
        return self

    @property
    def program_id(self) -> str:
        """The token program owning its accounts."""
        return TOKEN_2022_PROGRAM if self.program == "token-2022" else TOKEN_PROGRAM

    @property
    def display_name(self) -> str:
        return self.name or self.symbol

    def price_at(self, t: Decimal) -> Decimal:
        """SOL per whole token at scenario time t, to 18 decimal places."""
        points = self.price_path
        price = points[-1].price_sol if t >= points[-1].t else points[0].price_sol
        for start, end in pairwise(points):
            if start.t <= t < end.t:
                with localcontext(prec=60):
                    share = (t - start.t) / (end.t - start.t)
                    price = start.price_sol + (end.price_sol - start.price_sol) * share
        with localcontext(prec=60):
            return price.quantize(PRICE_STEP)

    def change_pct(self, now: Decimal, window: Decimal) -> Decimal:
        """The price's change over the window ending now, in percent (4 places); 0 when the
        price was 0 then. Before the path's first point the price is flat, so a token whose
        path starts at 0 changes nothing over a window reaching before the start."""
        before = self.price_at(now - window)
        if before <= 0:
            return Decimal(0)
        with localcontext(prec=60):
            return ((self.price_at(now) - before) * 100 / before).quantize(Decimal("1e-4"))

    def is_rugged_at(self, t: Decimal) -> bool:
        return self.rugged_from_t is not None and t >= self.rugged_from_t


class LeaderSwap(Model):
    """A leader's swap at scenario time t. One amount may be left out: it is derived from the
    token's price at t. A swap before t=0 is history: it has happened when the scenario
    starts (the parsed history has it) and is never delivered to a webhook."""

    t: Moment
    wallet: Address
    side: Literal["buy", "sell"]
    mint: Address
    token_amount: Positive | None = None  # whole tokens
    sol_amount: Positive | None = None  # SOL
    source: str = "RAYDIUM"
    # When given, the venue sets the Helius type and source (meteora_dbc: TRANSFER, UNKNOWN).
    venue: Venue | None = None

    @model_validator(mode="after")
    def _one_amount_at_least(self) -> LeaderSwap:
        if self.token_amount is None and self.sol_amount is None:
            raise ValueError("give token_amount, sol_amount or both")
        if self.venue is not None and "source" in self.model_fields_set:
            raise ValueError("give venue or source, not both")
        return self


class When(Model):
    """When a fault fires; every condition given must hold. The call counts are those of the
    fault's own target (service, and method if set) within its time window, from 1."""

    first: Annotated[int, Field(ge=1)] | None = None
    every: Annotated[int, Field(ge=1)] | None = None
    calls: list[Annotated[int, Field(ge=1)]] | None = None
    from_t: Seconds | None = None
    until_t: Seconds | None = None  # exclusive
    probability: Annotated[Decimal, Field(ge=0, le=1)] | None = None


class Fault(Model):
    service: Service
    kind: FaultKind
    method: str | None = None  # a JSON-RPC method (rpc, das): only its calls count
    ms: Annotated[int, Field(ge=0)] | None = None  # latency added, or how long a timeout hangs
    status: Annotated[int, Field(ge=400, le=599)] | None = None
    retry_after: str | None = None  # Retry-After header sent with a status
    when: When = When()

    @model_validator(mode="after")
    def _consistent(self) -> Fault:
        if self.kind not in KINDS_BY_SERVICE[self.service]:
            allowed = ", ".join(KINDS_BY_SERVICE[self.service])
            raise ValueError(f"{self.service} faults can be: {allowed}")
        if (self.kind == "status") != (self.status is not None):
            raise ValueError("status is required for kind status, and only for it")
        if self.kind == "latency" and self.ms is None:
            raise ValueError("latency needs ms")
        return self

    @property
    def target_method(self) -> str | None:
        """Chain faults act on sendTransaction only, fee faults on getRecentPrioritizationFees,
        so only those calls count for them."""
        if self.kind in CHAIN_FAULTS or self.kind == "jito_rejects":
            return "sendTransaction"
        if self.kind in FEE_FAULTS:
            return "getRecentPrioritizationFees"
        return self.method


class Chain(Model):
    genesis_slot: Annotated[int, Field(ge=0)] = 300_000_000
    genesis_block_height: Annotated[int, Field(ge=0)] = 280_000_000
    slot_ms: Annotated[int, Field(ge=1)] = 400
    blockhash_valid_blocks: Annotated[int, Field(ge=1)] = 150
    finalized_after_slots: Annotated[int, Field(ge=0)] = 32
    # getSignatureStatuses without searchTransactionHistory sees only the recent slots
    status_cache_slots: Annotated[int, Field(ge=1)] = 150
    # Every payer holds an empty wSOL account (rent only) whenever a swap is built, as a
    # wallet also trading elsewhere does; Jupiter's route closes it (unwrapping SOL), which
    # refunds its rent to the payer in the swap's own transaction.
    payers_hold_empty_wsol_account: bool = False
    lamports_per_signature: Annotated[int, Field(ge=0)] = 5000
    priority_fee_lamports: Annotated[int, Field(ge=0)] = 10_000  # Jupiter's "auto" level
    # getRecentPrioritizationFees: each writable account's typical per-slot fee, micro-lamports
    # per compute unit (each account draws around its own multiple of it; many slots pay 0).
    recent_fee_micro_lamports: Annotated[int, Field(ge=0)] = 5_000
    default_balance_sol: Annotated[Decimal, Field(ge=0)] = Decimal(100)  # any unknown payer


class Delivery(Model):
    timeout_ms: Annotated[int, Field(ge=1)] = 5000
    max_retries: Annotated[int, Field(ge=0)] = 3
    backoff_ms: Annotated[int, Field(ge=0)] = 1000
    backoff_factor: Annotated[int, Field(ge=1)] = 2


class ApiKeys(Model):
    """When set, the service refuses calls without this key (HTTP 401)."""

    helius: str | None = None
    jupiter: str | None = None


class Scenario(Model):
    name: str
    description: str = ""
    seed: int = 0
    start_unix: Annotated[int, Field(ge=0)] | None = None  # default: wall clock at (re)start
    # Or second 0 this long before the simulator (re)starts: dates that stay in the recent past
    # whenever the scenario plays (the windows that judge them count back from today).
    start_seconds_ago: Annotated[int, Field(ge=0)] | None = None
    sol_usd: Positive = Decimal(150)
    api_keys: ApiKeys = ApiKeys()
    chain: Chain = Chain()
    delivery: Delivery = Delivery()
    wallets: list[Wallet] = []
    tokens: list[Token] = []
    swaps: list[LeaderSwap] = []
    faults: list[Fault] = []
    # Helius's history pages may hold fewer transactions than asked, with more behind them.
    helius_history_page_max: Annotated[int, Field(ge=1, le=100)] = 100

    @model_validator(mode="after")
    def _references_resolve(self) -> Scenario:
        if self.start_unix is not None and self.start_seconds_ago is not None:
            raise ValueError("give start_unix or start_seconds_ago, not both")
        _unique("wallets", [wallet.address for wallet in self.wallets])
        _unique("tokens", [token.mint for token in self.tokens])
        if any(token.mint == WSOL_MINT for token in self.tokens):
            raise ValueError("tokens: SOL is the quote of every pool, not a token")
        wallets = {wallet.address for wallet in self.wallets}
        for index, swap in enumerate(self.swaps):
            token = self.token(swap.mint)
            if swap.wallet not in wallets:
                raise ValueError(f"swaps[{index}]: wallet {swap.wallet} is not in wallets")
            if token is None:
                raise ValueError(f"swaps[{index}]: mint {swap.mint} is not in tokens")
            missing_amount = swap.token_amount is None or swap.sol_amount is None
            if missing_amount and token.price_at(swap.t) == 0:
                raise ValueError(f"swaps[{index}]: price is 0 at t, give both amounts")
        return self

    @cached_property
    def tokens_by_mint(self) -> dict[str, Token]:
        return {token.mint: token for token in self.tokens}

    def token(self, mint: str) -> Token | None:
        return self.tokens_by_mint.get(mint)

    def timeline(self) -> list[LeaderSwap]:
        """The leader swaps in time order (ties keep their file order)."""
        return sorted(self.swaps, key=lambda swap: swap.t)

    def history_count(self) -> int:
        """How many swaps happened before t=0: the timeline's first ones, never delivered."""
        return sum(1 for swap in self.swaps if swap.t < 0)


def _unique(what: str, keys: list[str]) -> None:
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"{what}: listed twice: {', '.join(repeated)}")


def parse_scenario(data: Mapping[str, Any], origin: str = "scenario") -> Scenario:
    """`"population": {"seed": N}` in the data adds simulator/population.py's traders."""
    try:
        return Scenario.model_validate(with_population(data, origin))
    except ValidationError as error:
        raise ScenarioError(describe(error, origin)) from None


def with_population(data: Mapping[str, Any], origin: str) -> Mapping[str, Any]:
    if "population" not in data:
        return data
    spec = data["population"]
    seed = spec.get("seed") if isinstance(spec, dict) else None
    if not (isinstance(spec, dict) and set(spec) <= {"seed"} and isinstance(seed, int)):
        raise ScenarioError(f'{origin}: population: expected {{"seed": <integer>}}, got {spec!r}')
    from simulator.population import add_population  # it builds on this module's Token

    return add_population({k: v for k, v in data.items() if k != "population"}, seed)


def load_scenario(path: str | Path) -> Scenario:
    """Reads a scenario file; every JSON number becomes a Decimal (or an int)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(), parse_float=Decimal)
    except (OSError, ValueError) as error:
        raise ScenarioError(f"{path}: cannot read the scenario: {error}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: the scenario must be a JSON object")
    return parse_scenario(data, str(path))


def describe(error: ValidationError, origin: str) -> str:
    """One line per problem: where it is (tokens.0.price_path.1.t) and what is wrong."""
    lines = [f"{origin}: {error.error_count()} problem(s):"]
    for problem in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        lines.append(f"  {where}: {problem['msg']}")
    return "\n".join(lines)
