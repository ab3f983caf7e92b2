"""Token safety and market facts from RugCheck, DexScreener and Helius DAS, fetched in parallel.

One call looks up many mints under a single time budget; a source that fails or does not
answer in time is reported in `failed_sources`, never raised. The Helius key travels in a
query string, so no URL and no httpx error text is ever logged or raised.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
import re
import ssl
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Annotated, Any

import httpx
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter

from walltrack.settings import optional

logger = logging.getLogger("walltrack.token_sources")

SOURCES = ("rugcheck", "dexscreener", "das")
WSOL_MINT = "So11111111111111111111111111111111111111112"
MINT = re.compile(r"[1-9A-HJ-NP-Za-km-z]{32,44}")
DEX_BATCH = 30
FIRST_BACKOFF = 0.1
# A large token's full RugCheck report is hundreds of KB; ten times that is no report but a
# fault, and decoding it would hold the event loop (and the webhook waiting on it).
MAX_ANSWER_BYTES = 4 * 1024 * 1024
SHARE_STEP = Decimal("0.000001")  # a weighted lock share is rounded to a millionth of a percent
# knownAccounts types that mark liquidity. Real reports name "AMM" (pools, bonding curves,
# their token accounts and the authorities owning their vaults: "Pump Fun", "Pump Fun AMM",
# "Raydium CPMM Pool"...), "CREATOR" and "LOCKER"; older ones also "token". Only AMM is
# liquidity: a CREATOR is a wallet, and a LOCKER holds supply that goes back to its owner at
# unlock, so both still count as holders (the safer reading for a buy filter).
LIQUIDITY_TYPES = frozenset({"AMM"})
SQL_INTEGER = 2**31 - 1  # rugcheck_score is an SQL integer column


def base_url(name: str, default: str) -> str:
    return optional(name, default).rstrip("/")


@dataclass(frozen=True)
class TokenSourceSettings:
    rugcheck_base_url: str = "https://api.rugcheck.xyz/v1"
    dexscreener_base_url: str = "https://api.dexscreener.com"
    helius_rpc_url: str = "https://mainnet.helius-rpc.com"
    helius_api_key: str = field(default="", repr=False)
    # The whole lookup. No request waits on it (the webhook answers at its deadline and the
    # lookup decides the buys that waited): a report that takes seconds is still read.
    budget_seconds: float = 10.0
    concurrency: int = 8
    timeout_seconds: float = 1.0
    # RugCheck builds a full report on request: a large token's takes seconds to start.
    rugcheck_timeout_seconds: float = 5.0

    @classmethod
    def from_env(cls) -> TokenSourceSettings:
        return cls(
            rugcheck_base_url=base_url("RUGCHECK_BASE_URL", cls.rugcheck_base_url),
            dexscreener_base_url=base_url("DEXSCREENER_BASE_URL", cls.dexscreener_base_url),
            helius_rpc_url=optional("HELIUS_RPC_URL", cls.helius_rpc_url),
            helius_api_key=optional("HELIUS_API_KEY", ""),
            budget_seconds=float(optional("TOKEN_LOOKUP_BUDGET_SECONDS", "10")),
            concurrency=max(1, int(optional("TOKEN_LOOKUP_CONCURRENCY", "8"))),
            timeout_seconds=float(optional("TOKEN_SOURCE_TIMEOUT_SECONDS", "1.0")),
            rugcheck_timeout_seconds=float(optional("RUGCHECK_TIMEOUT_SECONDS", "5.0")),
        )


class HideQueries(logging.Filter):
    """httpx logs every request URL at INFO, and the Helius key sits in its query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                arg.copy_with(query=None) if isinstance(arg, httpx.URL) else arg
                for arg in record.args
            )
        return True


logging.getLogger("httpx").addFilter(HideQueries())


# --- response shapes ------------------------------------------------------------------------


class Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


def whole_score(value: Any) -> Any:
    """RugCheck's scores are whole numbers, yet a report may carry 1.5: it is rounded up, so a
    score just above a whole limit stays above it (50.2 > 50 as 51 > 50) and the SQL integer
    columns take it. Anything else is left to int's own validation."""
    if isinstance(value, Decimal):
        if not value.is_finite() or abs(value) > SQL_INTEGER:
            raise ValueError("score out of range")  # 1e999999999 would be a billion digits
        return int(value.to_integral_value(rounding=ROUND_CEILING))
    return value


Score = Annotated[int, BeforeValidator(whole_score), Field(ge=-SQL_INTEGER, le=SQL_INTEGER)]
ScoreOutOf100 = Annotated[int, BeforeValidator(whole_score), Field(ge=0, le=100)]


class RcRisk(Loose):
    name: str
    level: str | None = None
    description: str | None = None
    score: Score | None = None


class RcHolder(Loose):
    address: str | None = None  # the token account
    owner: str | None = None  # who owns it: a wallet, a pool, a bonding curve...
    pct: Decimal | None = None

    def is_in(self, accounts: set[str]) -> bool:
        return self.address in accounts or self.owner in accounts


class RcKnownAccount(Loose):
    name: str | None = None
    type: str | None = None


class RcTokenAccount(Loose):
    owner: str | None = None


Percent = Annotated[Decimal, Field(ge=0, le=100)]
Usd = Annotated[Decimal, Field(ge=0)]


class RcLp(Loose):
    lpLockedPct: Percent | None = None
    quoteUSD: Usd | None = None
    baseUSD: Usd | None = None

    @property
    def pool_usd(self) -> Decimal | None:
        """Both sides of the pool, as RugCheck adds them up in totalMarketLiquidity."""
        if self.quoteUSD is None or self.baseUSD is None:
            return None
        return self.quoteUSD + self.baseUSD

    @property
    def locked_usd_weight(self) -> Decimal:
        """Locked share x pool USD: 100 x the locked USD, 0 when either is unknown."""
        return (self.lpLockedPct or Decimal(0)) * (self.pool_usd or Decimal(0))

    def shallowness(self) -> tuple[Decimal, Decimal]:
        """Sorts the deepest pool first (a pool without figures last), the least locked first."""
        depth = Decimal(-1) if self.pool_usd is None else self.pool_usd
        return -depth, self.lpLockedPct if self.lpLockedPct is not None else Decimal(100)


class RcMarket(Loose):
    pubkey: str | None = None  # the pool or bonding curve
    liquidityA: str | None = None  # its token accounts (for pump.fun: liquidityB is the curve)
    liquidityB: str | None = None
    liquidityAAccount: RcTokenAccount | None = None  # the same accounts, with their owner
    liquidityBAccount: RcTokenAccount | None = None
    lp: RcLp | None = None

    def accounts(self) -> set[str]:
        """The pool, its token accounts and their owner (a pool authority)."""
        owners = [side.owner for side in (self.liquidityAAccount, self.liquidityBAccount) if side]
        return {a for a in (self.pubkey, self.liquidityA, self.liquidityB, *owners) if a}


class RcToken(Loose):
    mintAuthority: str | None = None
    freezeAuthority: str | None = None
    supply: int | None = None
    decimals: int | None = None


class Names(Loose):
    name: str | None = None
    symbol: str | None = None


class RcReport(Loose):
    """A full report. RugCheck leaves `token`, `tokenMeta` or `rugged` null when it could not
    read them: the rest of the report is still read."""

    mint: str | None = None
    score: Score | None = None
    score_normalised: ScoreOutOf100 | None = None
    risks: list[RcRisk] | None = None
    topHolders: list[RcHolder] | None = None
    knownAccounts: dict[str, RcKnownAccount | None] | None = None
    markets: list[RcMarket] | None = None
    lpLockedPct: Percent | None = None
    rugged: bool | None = None
    mintAuthority: str | None = None
    freezeAuthority: str | None = None
    token: RcToken | None = None
    tokenMeta: Names | None = None


class DsToken(Loose):
    address: str


class DsLiquidity(Loose):
    usd: Decimal | None = None


class DsPair(Loose):
    chainId: str
    dexId: str | None = None
    pairAddress: str
    baseToken: DsToken
    quoteToken: DsToken | None = None
    priceNative: Decimal | None = None
    priceUsd: Decimal | None = None
    liquidity: DsLiquidity | None = None
    fdv: Decimal | None = None
    marketCap: Decimal | None = None
    pairCreatedAt: int | None = None


DS_PAIRS = TypeAdapter(list[DsPair])


class DasTokenInfo(Loose):
    supply: int | None = None
    decimals: int | None = None
    mint_authority: str | None = None
    freeze_authority: str | None = None
    symbol: str | None = None


class DasContent(Loose):
    metadata: Names = Names()


class DasAsset(Loose):
    id: str
    content: DasContent = DasContent()
    token_info: DasTokenInfo = DasTokenInfo()


class DasReply(Loose):
    result: DasAsset


# --- facts ----------------------------------------------------------------------------------


def text(value: Decimal | int | None) -> str | None:
    """Exact decimal text without exponent: amounts never pass through a float."""
    if value is None or isinstance(value, int):
        return None if value is None else str(value)
    if not value.is_finite() or abs(value.adjusted()) > 60:
        raise ValueError("number out of range")  # 1e999999999 would print a billion digits
    return format(value, "f")


def lp_locked_share(report: RcReport) -> Decimal | None:
    """The share of the token's pool liquidity that is locked, judged on the pools that hold it.

    Each market RugCheck lists with a lock share (`lp.lpLockedPct`) counts with its liquidity,
    `lp.quoteUSD + lp.baseUSD`:

    - every such market gives its liquidity, and they add up to more than 0: the lock share
      weighted by liquidity, sum(lpLockedPct x pool USD) / sum(pool USD). That is the locked
      USD over the pool USD (RugCheck's `lpLockedUSD` is lpLockedPct x pool USD / 100); it is
      computed from the share so that it stays within 0-100 when a report rounds its amounts;
    - otherwise (a market without its liquidity, or only empty pools): the share of the
      deepest pool, pools without figures counting as the shallowest and, among pools equally
      deep, the least locked one;
    - no market with a share: the report's own top-level `lpLockedPct` (the summary's field).

    Never the maximum: one tiny locked pool must not make a token whose main pool is unlocked
    look locked.
    """
    pools = [m.lp for m in report.markets or [] if m.lp and m.lp.lpLockedPct is not None]
    if not pools:
        return report.lpLockedPct
    depths = [lp.pool_usd for lp in pools]
    total = sum((depth for depth in depths if depth is not None), Decimal(0))
    if None not in depths and total > 0:
        locked = sum((lp.locked_usd_weight for lp in pools), Decimal(0))
        return (locked / total).quantize(SHARE_STEP).normalize()
    return min(pools, key=RcLp.shallowness).lpLockedPct


def liquidity_accounts(report: RcReport) -> set[str]:
    """What RugCheck shows to be liquidity: the accounts knownAccounts types as such and the
    accounts of every market (pool, bonding curve, their token accounts and vault owner)."""
    known = report.knownAccounts or {}
    named = {
        address
        for address, account in known.items()
        if account and (account.type or "").upper() in LIQUIDITY_TYPES
    }
    return named.union(*(market.accounts() for market in report.markets or []))


def top10_holders_share(report: RcReport) -> Decimal | None:
    """The share of the supply held by the ten largest holders that are not liquidity.

    RugCheck lists a pool's or a bonding curve's token account among `topHolders`, where a
    fresh pump.fun token's curve holds most of the supply: counted as a holder it would put
    any such token at 100 %. Unknown (None) only when no holder has a share; when every
    listed holder is liquidity, 0.
    """
    listed = [(holder, holder.pct) for holder in report.topHolders or [] if holder.pct is not None]
    if not listed:
        return None
    liquidity = liquidity_accounts(report)
    pcts = sorted((pct for holder, pct in listed if not holder.is_in(liquidity)), reverse=True)
    return sum(pcts[:10], Decimal(0))


def authorities(report: RcReport) -> dict[str, str | None]:
    """The mint's authorities, None when revoked; no entry at all when the report lacks its
    `token` section: it did not read the mint, and its null authorities mean unknown."""
    if report.token is None:
        return {}
    # Either place naming an authority means it is still active.
    return {
        "mint_authority": report.mintAuthority or report.token.mintAuthority,
        "freeze_authority": report.freezeAuthority or report.token.freezeAuthority,
    }


def rugcheck_facts(body: Any, mint: str) -> dict[str, Any]:
    report = RcReport.model_validate(body)
    if report.mint not in (None, mint):
        raise ValueError("report of another mint")
    token, names = report.token or RcToken(), report.tokenMeta or Names()
    return {
        "score": report.score,
        "score_normalised": report.score_normalised,
        "risks": [risk.model_dump() for risk in report.risks or []],
        "top10_holders_pct": text(top10_holders_share(report)),
        "lp_locked_pct": text(lp_locked_share(report)),
        "rugged": report.rugged,
        **authorities(report),
        "name": names.name,
        "symbol": names.symbol,
        "decimals": token.decimals,
        "supply": text(token.supply),
    }


DEX_KEYS = "pair_address dex_id liquidity_usd market_cap_usd fdv_usd price_usd price_sol".split()
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def dex_facts(pairs: list[DsPair], mint: str) -> dict[str, Any]:
    own = [p for p in pairs if p.chainId == "solana" and p.baseToken.address == mint]
    if not own:
        return dict.fromkeys([*DEX_KEYS, "pair_created_at"])
    best = max(own, key=lambda p: (p.liquidity and p.liquidity.usd) or Decimal(-1))
    in_sol = best.quoteToken is not None and best.quoteToken.address == WSOL_MINT
    created = best.pairCreatedAt
    return {
        "pair_address": best.pairAddress,
        "dex_id": best.dexId,
        "liquidity_usd": text(best.liquidity.usd if best.liquidity else None),
        "market_cap_usd": text(best.marketCap),
        "fdv_usd": text(best.fdv),
        "price_usd": text(best.priceUsd),
        "price_sol": text(best.priceNative) if in_sol else None,
        "pair_created_at": None
        if created is None
        else (EPOCH + timedelta(milliseconds=created)).isoformat("T", "milliseconds"),
    }


def das_facts(body: Any, mint: str) -> dict[str, Any]:
    asset = DasReply.model_validate(body).result
    if asset.id != mint:
        raise ValueError("asset of another mint")
    info, meta = asset.token_info, asset.content.metadata
    return {
        "decimals": info.decimals,
        "supply": text(info.supply),
        "mint_authority": info.mint_authority or None,
        "freeze_authority": info.freeze_authority or None,
        "name": meta.name,
        "symbol": info.symbol or meta.symbol,
    }


# --- transport ------------------------------------------------------------------------------


class SourceFailed(Exception):
    """A source gave no usable answer; the text is safe to log (no URL, no key)."""


@dataclass
class Lookup:
    client: httpx.AsyncClient
    settings: TokenSourceSettings
    gate: asyncio.Semaphore
    deadline: float
    found: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def remaining(self) -> float:
        return self.deadline - asyncio.get_running_loop().time()


def reject_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name}")


def retry_after(response: httpx.Response) -> float | None:
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None  # absent, or an HTTP date: plain backoff
    return seconds if 0 <= seconds < float("inf") else None


async def capped_body(response: httpx.Response) -> bytes:
    """The body, read as it streams in and refused past MAX_ANSWER_BYTES (once decompressed)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise SourceFailed(f"answer larger than {MAX_ANSWER_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def answer(lookup: Lookup, method: str, url: str, **options: Any) -> Any:
    """The decoded JSON of a 2xx answer, retrying 429, 5xx and transport errors in budget."""
    backoff = FIRST_BACKOFF
    while True:
        try:
            async with lookup.gate, lookup.client.stream(method, url, **options) as response:
                body = await capped_body(response) if response.is_success else b""
        except httpx.HTTPError as error:
            problem, pause = type(error).__name__, None
        else:
            if response.is_success:
                return json.loads(body, parse_float=Decimal, parse_constant=reject_constant)
            problem = f"HTTP {response.status_code}"
            if response.status_code != 429 and response.status_code < 500:
                raise SourceFailed(problem)
            pause = retry_after(response)
        # The server's Retry-After is a floor; jitter spreads parallel retries (not a secret).
        wait = max(pause or 0.0, backoff * random.uniform(0.5, 1.5))  # noqa: S311
        if wait >= lookup.remaining():
            raise SourceFailed(f"{problem}, no budget left to retry")
        await asyncio.sleep(wait)
        backoff *= 2


async def collect(
    lookup: Lookup, source: str, mints: list[str], method: str, url: str, **options: Any
) -> None:
    """Ask once for `mints` and store the facts the answer gives for each of them."""
    try:
        body = await answer(lookup, method, url, **options)
        for mint in mints:
            lookup.found[source, mint] = PARSERS[source](body, mint)
    except Exception as error:  # one bad source must never sink the whole lookup
        reason = error if isinstance(error, SourceFailed) else type(error).__name__
        logger.warning("%s failed for %s mint(s) from %s: %s", source, len(mints), mints[0], reason)


PARSERS = {
    "rugcheck": rugcheck_facts,
    "dexscreener": lambda body, mint: dex_facts(DS_PAIRS.validate_python(body), mint),
    "das": das_facts,
}


def jobs(lookup: Lookup, asked: dict[str, list[str]]) -> Iterator[Coroutine[Any, Any, None]]:
    settings = lookup.settings
    for mint in (m for m, sources in asked.items() if "rugcheck" in sources):
        url = f"{settings.rugcheck_base_url}/tokens/{mint}/report"  # the summary has no markets
        timeout = settings.rugcheck_timeout_seconds
        yield collect(lookup, "rugcheck", [mint], "GET", url, timeout=timeout)
    dex = [m for m, sources in asked.items() if "dexscreener" in sources]
    for batch in (dex[i : i + DEX_BATCH] for i in range(0, len(dex), DEX_BATCH)):
        url = f"{settings.dexscreener_base_url}/tokens/v1/solana/{','.join(batch)}"
        yield collect(lookup, "dexscreener", batch, "GET", url)
    for mint in (m for m, sources in asked.items() if "das" in sources):
        key = {"api-key": settings.helius_api_key}
        rpc = {"jsonrpc": "2.0", "id": "walltrack", "method": "getAsset", "params": {}}
        rpc["params"] = {"id": mint, "options": {"showFungible": True}}
        yield collect(lookup, "das", [mint], "POST", settings.helius_rpc_url, params=key, json=rpc)


# --- the call -------------------------------------------------------------------------------


@functools.cache
def tls() -> ssl.SSLContext:
    """Loading the CA bundle takes ~50 ms: once per process, not once per lookup."""
    return httpx.create_ssl_context()


def asked_sources(sources: list[str]) -> list[str]:
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown token sources: {sorted(unknown)}")
    return [source for source in SOURCES if source in sources]


async def fetch_token_facts(
    wanted: dict[str, list[str]], settings: TokenSourceSettings
) -> list[dict[str, Any]]:
    """One dict per mint of `wanted`, in order, with the facts of each source asked for it."""
    asked = {mint: asked_sources(sources) for mint, sources in wanted.items()}
    valid = {mint: sources for mint, sources in asked.items() if MINT.fullmatch(mint)}
    if not settings.helius_api_key and any("das" in s for s in valid.values()):
        # A webhook must not fail for it: without a key DAS is not asked, its facts stay
        # unknown and the verdict follows the fail-closed setting.
        logger.warning("token lookup: HELIUS_API_KEY is not set, DAS is not asked")
        valid = {mint: [s for s in sources if s != "das"] for mint, sources in valid.items()}
    deadline = asyncio.get_running_loop().time() + settings.budget_seconds
    async with httpx.AsyncClient(timeout=settings.timeout_seconds, verify=tls()) as client:
        lookup = Lookup(client, settings, asyncio.Semaphore(settings.concurrency), deadline)
        try:
            async with asyncio.timeout_at(deadline), asyncio.TaskGroup() as group:
                for job in jobs(lookup, valid):
                    group.create_task(job)
        except TimeoutError:
            logger.warning(
                "token lookup: budget of %ss spent, late sources count as failed",
                settings.budget_seconds,
            )
    return [row(mint, sources, lookup.found) for mint, sources in asked.items()]


def row(mint: str, sources: list[str], found: dict[tuple[str, str], Any]) -> dict[str, Any]:
    facts = {source: found.get((source, mint)) for source in SOURCES}
    failed = [source for source in sources if facts[source] is None]
    return {"mint": mint, "failed_sources": failed, **facts}
