"""Token prices in SOL: Jupiter price v3 first, DexScreener for what Jupiter leaves out.

One call prices many mints under a single time budget. Nothing is raised for network or data
problems: a mint no source priced in time is reported in `missing`, and the database keeps its
last price, flagged stale. The Jupiter key travels in a header; as in `token_sources`, no URL
and no httpx error text is ever logged or raised. Prices stay exact decimal strings.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

import httpx
from pydantic import ValidationError

from walltrack.settings import optional
from walltrack.token_sources import (
    DEX_BATCH,
    MINT,
    WSOL_MINT,
    DsPair,
    Lookup,
    SourceFailed,
    TokenSourceSettings,
    answer,
    base_url,
    tls,
)

logger = logging.getLogger("walltrack.prices")

JUPITER_BATCH = 50  # ids per call, the SOL mint included
# Jupiter may use at most this share of the budget, so DexScreener keeps time to stand in.
JUPITER_SHARE = 0.5
STEP = Decimal("1e-18")  # prices are kept to 18 decimal places

Prices = dict[str, str]  # mint -> price in SOL, exact text


@dataclass(frozen=True)
class PriceSettings:
    jupiter_price_url: str = "https://api.jup.ag/price/v3"
    jupiter_api_key: str = field(default="", repr=False)
    dexscreener_base_url: str = "https://api.dexscreener.com"
    budget_seconds: float = 3.0
    concurrency: int = 4
    timeout_seconds: float = 1.5

    @classmethod
    def from_env(cls) -> PriceSettings:
        return cls(
            jupiter_price_url=base_url("JUPITER_PRICE_URL", cls.jupiter_price_url),
            jupiter_api_key=optional("JUPITER_API_KEY", ""),
            dexscreener_base_url=base_url("DEXSCREENER_BASE_URL", cls.dexscreener_base_url),
            budget_seconds=float(optional("PRICE_BUDGET_SECONDS", "3")),
            concurrency=max(1, int(optional("PRICE_CONCURRENCY", "4"))),
            timeout_seconds=float(optional("PRICE_TIMEOUT_SECONDS", "1.5")),
        )


@dataclass(frozen=True)
class PriceBatch:
    prices: list[dict[str, str]]  # {"mint", "price_sol", "source": "jupiter"|"dexscreener"}
    missing: list[str]


# --- answers --------------------------------------------------------------------------------


def positive(value: Any) -> Decimal | None:
    """A finite number above zero, from a JSON number or a numeric string."""
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        return None
    try:
        number = Decimal(value)
    except ArithmeticError:
        return None
    return number if number.is_finite() and number > 0 else None


def sol_text(numerator: Decimal, denominator: Decimal = Decimal(1)) -> str | None:
    """numerator / denominator to 18 places, or None when that is not a positive number."""
    try:
        with localcontext(prec=60):
            price = (numerator / denominator).quantize(STEP)
            return format(price.normalize(), "f") if price > 0 else None
    except ArithmeticError:  # absurd magnitudes: overflow, or more digits than 60
        return None


def usd_price(entry: Any) -> Decimal | None:
    return positive(entry.get("usdPrice")) if isinstance(entry, dict) else None


def jupiter_prices(body: Any, mints: list[str]) -> Prices:
    """{mint: {usdPrice, ...}} in USD, divided by the SOL price of the same answer."""
    sol = usd_price(body.get(WSOL_MINT)) if isinstance(body, dict) else None
    if sol is None:
        raise SourceFailed("answer without a SOL price")
    usd = {mint: usd_price(body.get(mint)) for mint in mints}
    in_sol = {mint: sol_text(price, sol) for mint, price in usd.items() if price is not None}
    return {mint: price for mint, price in in_sol.items() if price is not None}


def dexscreener_prices(body: Any, mints: list[str]) -> Prices:
    """Per mint, priceNative of its deepest pair against SOL; odd pairs are skipped."""
    if not isinstance(body, list):
        raise SourceFailed("answer is not a list of pairs")
    best: dict[str, tuple[Decimal, str]] = {}
    for item in body:
        try:
            pair = DsPair.model_validate(item)
        except ValidationError:
            continue
        mint, quote = pair.baseToken.address, pair.quoteToken
        price = sol_text(pair.priceNative) if pair.priceNative is not None else None
        if mint not in mints or quote is None or quote.address != WSOL_MINT or price is None:
            continue
        depth = positive(pair.liquidity.usd if pair.liquidity else None) or Decimal(-1)
        if mint not in best or depth > best[mint][0]:
            best[mint] = (depth, price)
    return {mint: price for mint, (_, price) in best.items()}


# --- the call -------------------------------------------------------------------------------

PARSERS: dict[str, Callable[[Any, list[str]], Prices]] = {
    "jupiter": jupiter_prices,
    "dexscreener": dexscreener_prices,
}


@dataclass
class Pricing:
    lookup: Lookup  # what `answer` needs: client, gate and the deadline of the current round
    found: dict[str, tuple[str, str]] = field(default_factory=dict)  # mint -> (price, source)

    async def ask(self, source: str, mints: list[str], url: str, **options: Any) -> None:
        """One request for `mints`; what it prices lands in `found`, failures are only logged."""
        try:
            prices = PARSERS[source](await answer(self.lookup, "GET", url, **options), mints)
        except (SourceFailed, ValueError, RecursionError) as error:  # ValueError: JSON, shape
            reason = error if isinstance(error, SourceFailed) else type(error).__name__
            logger.warning(
                "%s failed for %s mint(s) from %s: %s", source, len(mints), mints[0], reason
            )
            return
        self.found.update((mint, (price, source)) for mint, price in prices.items())

    async def round(self, deadline: float, jobs: list[Coroutine[Any, Any, None]]) -> None:
        self.lookup.deadline = deadline
        try:
            async with asyncio.timeout_at(deadline), asyncio.TaskGroup() as group:
                for job in jobs:
                    group.create_task(job)
        except TimeoutError:
            logger.warning("prices: out of time, late answers count as missing")


def batches(mints: list[str], size: int) -> list[list[str]]:
    return [mints[i : i + size] for i in range(0, len(mints), size)]


def jupiter_batches(mints: list[str]) -> list[list[str]]:
    """SOL rides along in every call (it counts within the 50): each answer converts itself."""
    others = batches([mint for mint in mints if mint != WSOL_MINT], JUPITER_BATCH - 1)
    return [[*batch, WSOL_MINT] for batch in others] or ([[WSOL_MINT]] if mints else [])


async def fetch_prices_sol(mints: list[str], settings: PriceSettings) -> PriceBatch:
    """Prices in SOL of `mints`, in their order, each once; invalid or unpriced ones missing."""
    wanted = list(dict.fromkeys(mints))
    valid = [mint for mint in wanted if MINT.fullmatch(mint)]
    start = asyncio.get_running_loop().time()
    # Commas stay literal as in Jupiter's docs (httpx `params` would send %2C); mints are base58.
    url, key = settings.jupiter_price_url, settings.jupiter_api_key
    headers = {"x-api-key": key} if key else {}
    async with httpx.AsyncClient(timeout=settings.timeout_seconds, verify=tls()) as client:
        # TokenSourceSettings() is a placeholder: `answer` never reads the settings.
        lookup = Lookup(client, TokenSourceSettings(), asyncio.Semaphore(settings.concurrency), 0)
        run = Pricing(lookup)
        jobs = [
            run.ask("jupiter", ids, f"{url}?ids={','.join(ids)}", headers=headers)
            for ids in jupiter_batches(valid)
        ]
        await run.round(start + settings.budget_seconds * JUPITER_SHARE, jobs)
        dex = f"{settings.dexscreener_base_url}/tokens/v1/solana"
        rest = [mint for mint in valid if mint not in run.found]
        jobs = [run.ask("dexscreener", b, f"{dex}/{','.join(b)}") for b in batches(rest, DEX_BATCH)]
        await run.round(start + settings.budget_seconds, jobs)
    found = run.found
    prices = [
        {"mint": mint, "price_sol": found[mint][0], "source": found[mint][1]}
        for mint in wanted
        if mint in found
    ]
    return PriceBatch(prices, [mint for mint in wanted if mint not in found])
