"""RugCheck's full report, DexScreener's pairs and Helius DAS's asset, from the scenario's token
facts at the current scenario time (price, rug, liquidity)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal, localcontext
from typing import Any

from solders.pubkey import Pubkey

from simulator.encoding import TOKEN_PROGRAM, derived_pubkey, number_text, token_account
from simulator.faults import Decision
from simulator.http import Reply, Request, error_reply, json_reply
from simulator.market import atomic, cents, leader_amounts, ui_amount, usd
from simulator.route import pool_address
from simulator.scenario import WSOL_MINT, Listing, OtherPool, Token
from simulator.world import World

DEX_BATCH = 30  # addresses per DexScreener call, as the real API caps it
NO_AUTHORITY = "11111111111111111111111111111111"
PCT_STEP = Decimal("1e-13")  # RugCheck's holder shares are doubles: 96.5387096774194
SOL_TOKEN = {"address": WSOL_MINT, "name": "Wrapped SOL", "symbol": "SOL"}
# How RugCheck's knownAccounts name a pool, by market type (others by the type itself).
POOL_NAMES = {
    "pump_fun": "Pump Fun",  # the bonding curve
    "pumpfun": "Pump Fun",
    "pumpswap": "Pump Fun AMM",
    "pump_amm": "Pump Fun AMM",
    "raydium": "Raydium",
    "raydium_cpmm": "Raydium CPMM Pool",
}


def listed(world: World, mint: str, source: Listing) -> Token | None:
    token = world.scenario.token(mint)
    return token if token is not None and source in token.listed_on else None


def iso(unix_seconds: int) -> str:
    return datetime.fromtimestamp(unix_seconds, UTC).isoformat("T", "milliseconds")


def liquidity_usd(world: World, token: Token) -> Decimal:
    """Both sides of the pool, in USD: twice its SOL side."""
    return pool_usd(world, token.liquidity_sol)


def pool_usd(world: World, liquidity_sol: Decimal) -> Decimal:
    """Both sides of a pool whose SOL side is liquidity_sol, in USD."""
    return cents(usd(2 * liquidity_sol, world.scenario.sol_usd))


def market_cap_usd(world: World, token: Token, price: Decimal) -> Decimal:
    with localcontext(prec=60):
        return cents(usd(token.supply * price, world.scenario.sol_usd))


def price_usd(world: World, token: Token) -> Decimal:
    return usd(token.price_at(world.state.now), world.scenario.sol_usd)


def pool_tokens(liquidity_sol: Decimal, price: Decimal) -> Decimal:
    """The tokens a pool whose SOL side is liquidity_sol holds at price (whole tokens)."""
    if price <= 0:
        return Decimal(0)
    with localcontext(prec=60):
        return (liquidity_sol / price).quantize(Decimal("1e-6"))


# --- RugCheck -------------------------------------------------------------------------------


def rugcheck(world: World, request: Request, decision: Decision) -> Reply:
    """GET /tokens/{mint}/report (full) and /tokens/{mint}/report/summary."""
    parts = request.path.split("/")[3:]  # after /rugcheck/v1
    summary = parts[3:] == ["summary"]
    if len(parts) != 3 + summary or parts[0] != "tokens" or parts[2] != "report":
        return error_reply(404, "not found")
    token = listed(world, parts[1], "rugcheck")
    if token is None:
        return error_reply(400, "not found")  # RugCheck's answer for an unknown mint
    if not summary and token.rugcheck_report_ms:
        time.sleep(token.rugcheck_report_ms / 1000)  # building it, outside the world's lock
    with world.lock:
        report = rugcheck_report(world, token)
    if summary:
        keys = ("tokenProgram", "tokenType", "risks", "score", "score_normalised")
        return json_reply({key: report[key] for key in keys} | {"lpLockedPct": token.lp_locked_pct})
    return json_reply(report)


def authority_risks(token: Token) -> list[dict[str, Any]]:
    """The dangers RugCheck names by itself when an authority is still active."""
    named = [
        (token.mint_authority, "Mint Authority", "More tokens can be minted by the owner"),
        (token.freeze_authority, "Freeze Authority", "Tokens can be frozen by the owner"),
    ]
    return [
        {
            "name": f"{name} still enabled",
            "value": "",
            "description": text,
            "score": 30_000,
            "level": "danger",
        }
        for authority, name, text in named
        if authority is not None
    ]


def rugcheck_report(world: World, token: Token) -> dict[str, Any]:
    """The full report, as unkind as the real one: the main pool's token account is among the
    top holders (a bonding curve's holds most of a fresh pump.fun token), knownAccounts names
    it, and the sections the scenario names in rugcheck_nulls are null."""
    seed, now = world.scenario.seed, world.state.now
    creator = str(derived_pubkey(seed, "creator", token.mint))
    supply = atomic(token.supply, token.decimals)
    mint_read = "token" not in token.rugcheck_nulls  # else no authority is named anywhere
    own_risks = [risk.model_dump() for risk in token.risks]
    risks = (authority_risks(token) if mint_read else []) + own_risks
    score = token.rugcheck_score
    pools = token_pools(seed, token)
    markets = [rugcheck_market(world, token, address, pool) for address, pool in pools]
    wallets = [top_holder(seed, token, rank, pct) for rank, pct in enumerate(token.top_holders_pct)]
    main_pool = pool_holder(world, token, markets[0])
    holders = sorted([*wallets, main_pool], key=lambda holder: holder["pct"], reverse=True)
    report = {
        "mint": token.mint,
        "tokenProgram": str(TOKEN_PROGRAM),
        "tokenType": "",
        "creator": creator,
        "creatorBalance": 0,
        "token": {
            "mintAuthority": token.mint_authority,
            "supply": supply,
            "decimals": token.decimals,
            "isInitialized": True,
            "freezeAuthority": token.freeze_authority,
        },
        "token_extensions": None,
        "tokenMeta": {
            "name": token.display_name,
            "symbol": token.symbol,
            "uri": "",
            "mutable": False,
            "updateAuthority": creator,
        },
        "topHolders": holders,
        "freezeAuthority": token.freeze_authority if mint_read else None,
        "mintAuthority": token.mint_authority if mint_read else None,
        "risks": risks,
        "score": 1 + sum(risk["score"] for risk in risks) if score is None else score,
        "score_normalised": token.risk_score,
        "fileMeta": None,
        "lockerOwners": {},
        "lockers": {},
        "markets": markets,
        "totalMarketLiquidity": sum(pool_usd(world, pool.liquidity_sol) for _, pool in pools),
        "totalLPProviders": len(markets),
        "totalHolders": 1000 + len(token.top_holders_pct),
        "price": price_usd(world, token),
        "rugged": token.is_rugged_at(now),
        "transferFee": {"pct": 0, "maxAmount": 0, "authority": NO_AUTHORITY},
        "knownAccounts": known_accounts(creator, markets),
        "graphInsidersDetected": 0,
        "detectedAt": iso(world.unix_time(token.pair_created_t)),
    }
    return report | dict.fromkeys(token.rugcheck_nulls)


def known_accounts(creator: str, markets: list[dict[str, Any]]) -> dict[str, Any]:
    """The creator, every pool (type AMM, as RugCheck types pools and bonding curves) and
    the main pool's token account, as RugCheck names a bonding curve's."""
    main = markets[0]
    pools = {market["pubkey"]: {"name": pool_name(market), "type": "AMM"} for market in markets}
    return {
        creator: {"name": "Creator", "type": "CREATOR"},
        **pools,
        main["liquidityA"]: {"name": pool_name(main), "type": "AMM"},
    }


def pool_name(market: dict[str, Any]) -> str:
    market_type: str = market["marketType"]
    return POOL_NAMES.get(market_type, market_type)


def token_pools(seed: int, token: Token) -> list[tuple[str, OtherPool]]:
    """Every pool RugCheck lists for the token, with its address: the main one (the pool
    quotes and DexScreener use) first, then each other pool `count` times over."""
    main = OtherPool(
        market_type=token.dex_id,
        liquidity_sol=token.liquidity_sol,
        lp_locked_pct=token.lp_locked_pct,
    )
    others = [pool for pool in token.other_pools for _ in range(pool.count)]
    return [(str(pool_address(seed, token.mint)), main)] + [
        (str(derived_pubkey(seed, "pool", token.mint, str(index))), pool)
        for index, pool in enumerate(others)
    ]


def rugcheck_market(world: World, token: Token, pubkey: str, pool: OtherPool) -> dict[str, Any]:
    """One entry of the report's `markets`, with every field a real report carries: the mints,
    the vaults as token accounts, and `lp` (amounts, USD sides and lock)."""
    seed, sol_usd = world.scenario.seed, world.scenario.sol_usd
    price = token.price_at(world.state.now)
    liquidity = pool_usd(world, pool.liquidity_sol)
    base = pool_tokens(pool.liquidity_sol, price)
    lp_mint = str(derived_pubkey(seed, "lp-mint", pubkey))
    lp_total = atomic(pool.liquidity_sol, 9)
    lp_locked = atomic(lp_total * pool.lp_locked_pct / 100, 0)
    # The token side is the pool's own token account, as on the simulated chain.
    mint, program = Pubkey.from_string(token.mint), Pubkey.from_string(token.program_id)
    vaults = {
        "A": str(token_account(Pubkey.from_string(pubkey), mint, program)),
        "B": str(derived_pubkey(seed, "vault", pubkey, "B")),
    }
    return {
        "pubkey": pubkey,
        "marketType": pool.market_type,
        "mintA": token.mint,
        "mintB": WSOL_MINT,
        "mintLP": lp_mint,
        "liquidityA": vaults["A"],
        "liquidityB": vaults["B"],
        "mintAAccount": mint_account(
            token.mint_authority,
            atomic(token.supply, token.decimals),
            token.decimals,
            token.freeze_authority,
        ),
        "mintBAccount": mint_account(None, 0, 9, None),
        "mintLPAccount": mint_account(None, lp_total, 9, None),
        "liquidityAAccount": vault_account(token.mint, pubkey, atomic(base, token.decimals)),
        "liquidityBAccount": vault_account(WSOL_MINT, pubkey, atomic(pool.liquidity_sol, 9)),
        "lp": {
            "baseMint": token.mint,
            "quoteMint": WSOL_MINT,
            "lpMint": lp_mint,
            "quotePrice": sol_usd,
            "basePrice": usd(price, sol_usd),
            "base": base,
            "quote": pool.liquidity_sol,
            "reserveSupply": lp_total,
            "currentSupply": 0,
            "quoteUSD": cents(liquidity / 2),
            "baseUSD": cents(liquidity / 2),
            "pctReserve": 0,
            "pctSupply": 0,
            "holders": None,
            "totalTokensUnlocked": 0,
            "tokenSupply": 0,
            "lpLocked": lp_locked,
            "lpUnlocked": lp_total - lp_locked,
            "lpLockedPct": pool.lp_locked_pct,
            "lpLockedUSD": cents(liquidity * pool.lp_locked_pct / 100),
            "lpMaxSupply": 0,
            "lpCurrentSupply": 0,
            "lpTotalSupply": lp_total,
        },
    }


def mint_account(
    mint_authority: str | None, supply: int, decimals: int, freeze_authority: str | None
) -> dict[str, Any]:
    return {
        "mintAuthority": mint_authority,
        "supply": supply,
        "decimals": decimals,
        "isInitialized": supply > 0,
        "freezeAuthority": freeze_authority,
    }


def vault_account(mint: str, pool: str, amount: int) -> dict[str, Any]:
    return {
        "mint": mint,
        "owner": pool,
        "amount": amount,
        "delegate": None,
        "state": 1,
        "delegatedAmount": 0,
        "closeAuthority": None,
    }


def top_holder(seed: int, token: Token, rank: int, pct: Decimal) -> dict[str, Any]:
    owner = derived_pubkey(seed, "holder", token.mint, str(rank))
    with localcontext(prec=60):
        amount = atomic(token.supply * pct / 100, token.decimals)
    address = str(token_account(owner, Pubkey.from_string(token.mint)))
    return holder_entry(token, address, str(owner), amount, pct)


def pool_holder(world: World, token: Token, main: dict[str, Any]) -> dict[str, Any]:
    """The main pool's token account among the top holders, with the tokens the pool holds
    at the current price, as much as the wallet holders leave (after a rug the pool holds
    most of the supply)."""
    price = token.price_at(world.state.now)
    with localcontext(prec=60):
        wallets_pct = sum(token.top_holders_pct, Decimal(0))
        left = max(token.supply * (100 - wallets_pct) / 100, Decimal(0))
        amount = atomic(min(pool_tokens(token.liquidity_sol, price), left), token.decimals)
        pct = (amount * Decimal(100) / atomic(token.supply, token.decimals)).quantize(PCT_STEP)
    return holder_entry(token, main["liquidityA"], main["pubkey"], amount, pct.normalize())


def holder_entry(
    token: Token, address: str, owner: str, amount: int, pct: Decimal
) -> dict[str, Any]:
    ui = ui_amount(amount, token.decimals)
    return {
        "address": address,
        "amount": amount,
        "decimals": token.decimals,
        "pct": pct,
        "uiAmount": ui,
        "uiAmountString": format(ui, "f"),
        "owner": owner,
        "insider": False,
    }


# --- DexScreener ----------------------------------------------------------------------------


def dexscreener(world: World, request: Request, decision: Decision) -> Reply:
    """/tokens/v1/solana/{addresses}, /token-pairs/v1/solana/{address}, the legacy
    /latest/dex/tokens/{addresses}, /latest/dex/search?q= and /token-boosts/top/v1."""
    path = request.path.removeprefix("/dexscreener")
    if path == "/token-boosts/top/v1":
        with world.lock:
            return json_reply(top_boosts(world))
    if path == "/latest/dex/search":
        query = (request.param("q") or "").strip()
        if not query:
            return error_reply(400, "q is required")
        with world.lock:
            pairs = [dex_pair(world, token) for token in searched(world, query)]
        return json_reply({"schemaVersion": "1.0.0", "pairs": pairs[:SEARCH_MAX]})
    for prefix in ("/tokens/v1/solana/", "/token-pairs/v1/solana/", "/latest/dex/tokens/"):
        if path.startswith(prefix):
            addresses = [a for a in path.removeprefix(prefix).split(",") if a]
            break
    else:
        return error_reply(404, "not found")
    if len(addresses) > DEX_BATCH:
        return error_reply(400, f"Too many addresses, max {DEX_BATCH}")
    with world.lock:
        pairs = [
            dex_pair(world, token)
            for token in world.scenario.tokens
            if "dexscreener" in token.listed_on and {token.mint, WSOL_MINT} & set(addresses)
        ]
    if prefix == "/latest/dex/tokens/":
        return json_reply({"schemaVersion": "1.0.0", "pairs": pairs})
    return json_reply(pairs)


def top_boosts(world: World) -> list[dict[str, Any]]:
    """The boosted tokens listed on DexScreener, most boosted first (ties by mint), in the
    shape of DexScreener's top boosts (only Solana tokens in the simulated world)."""
    boosted = [
        token
        for token in world.scenario.tokens
        if token.boost_amount is not None and "dexscreener" in token.listed_on
    ]
    boosted.sort(key=lambda token: (-(token.boost_amount or 0), token.mint))
    return [
        {
            "url": f"https://dexscreener.com/solana/{token.mint.lower()}",
            "chainId": "solana",
            "tokenAddress": token.mint,
            "amount": token.boost_amount,
            "totalAmount": token.boost_amount,
            "icon": "",
            "header": "",
            "description": token.display_name,
            "links": [],
        }
        for token in boosted
    ]


def searched(world: World, query: str) -> list[Token]:
    """DexScreener's search: the listed tokens whose symbol or name holds the query (case
    apart), or whose mint or pair address is the query."""
    wanted = query.lower()
    seed = world.scenario.seed
    return [
        token
        for token in world.scenario.tokens
        if "dexscreener" in token.listed_on
        and (
            wanted in token.symbol.lower()
            or wanted in token.display_name.lower()
            or query in (token.mint, str(pool_address(seed, token.mint)))
        )
    ]


WINDOWS = {"m5": 300, "h1": 3_600, "h6": 21_600, "h24": 86_400}
SEARCH_MAX = 30  # pairs per search answer


def activity(world: World, token: Token) -> tuple[dict[str, Any], dict[str, Any]]:
    """(txns, volume) per window: the scenario's swaps of the token that happened within it
    (buys and sells counted, volume in USD at the SOL each swap moved), plus the token's
    outside volume's share of the window."""
    now = world.state.now
    happened = [swap for swap in world.timeline[: world.state.next_swap] if swap.mint == token.mint]
    txns: dict[str, Any] = {}
    volume: dict[str, Any] = {}
    for window, seconds in WINDOWS.items():
        recent = [swap for swap in happened if swap.t > now - seconds]
        txns[window] = {
            "buys": sum(swap.side == "buy" for swap in recent),
            "sells": sum(swap.side == "sell" for swap in recent),
        }
        lamports = sum(leader_amounts(swap, token)[1] for swap in recent)
        outside = token.outside_volume_usd_24h * seconds / WINDOWS["h24"]
        volume[window] = cents(usd(ui_amount(lamports, 9), world.scenario.sol_usd) + outside)
    return txns, volume


def dex_pair(world: World, token: Token) -> dict[str, Any]:
    """The token's one SOL pair: price now, price changes over the windows (the price path's,
    now against then), txns and volume (the scenario's swaps within each window)."""
    now, sol_usd = world.state.now, world.scenario.sol_usd
    price = token.price_at(now)
    pool = str(pool_address(world.scenario.seed, token.mint))
    cap = market_cap_usd(world, token, price)
    base_reserve = pool_tokens(token.liquidity_sol, price)
    txns, volume = activity(world, token)
    change = {
        window: token.change_pct(now, Decimal(seconds)) for window, seconds in WINDOWS.items()
    }
    return {
        "chainId": "solana",
        "dexId": token.dex_id,
        "url": f"https://dexscreener.com/solana/{pool.lower()}",
        "pairAddress": pool,
        "labels": [],
        "baseToken": {"address": token.mint, "name": token.display_name, "symbol": token.symbol},
        "quoteToken": SOL_TOKEN,
        "priceNative": number_text(price),
        "priceUsd": number_text(usd(price, sol_usd)),
        "txns": txns,
        "volume": volume,
        "priceChange": change,
        "liquidity": {
            "usd": liquidity_usd(world, token),
            "base": base_reserve,
            "quote": token.liquidity_sol,
        },
        "fdv": cap,
        "marketCap": cap,
        "pairCreatedAt": world.unix_time(token.pair_created_t) * 1000,
        **({"boosts": {"active": token.boost_amount}} if token.boost_amount else {}),
    }


# --- Helius DAS -----------------------------------------------------------------------------


def das_asset(world: World, token: Token) -> dict[str, Any]:
    """getAsset's result; a revoked authority is absent, as Helius leaves it out."""
    authorities = {
        "mint_authority": token.mint_authority,
        "freeze_authority": token.freeze_authority,
    }
    update_authority = str(derived_pubkey(world.scenario.seed, "creator", token.mint))
    return {
        "interface": "FungibleToken",
        "id": token.mint,
        "content": {
            "$schema": "https://schema.metaplex.com/nft1.0.json",
            "json_uri": "",
            "files": [],
            "metadata": {
                "name": token.display_name,
                "symbol": token.symbol,
                "token_standard": "Fungible",
            },
            "links": {},
        },
        "authorities": [{"address": update_authority, "scopes": ["full"]}],
        "mutable": False,
        "burnt": False,
        "token_info": {
            "symbol": token.symbol,
            "supply": atomic(token.supply, token.decimals),
            "decimals": token.decimals,
            "token_program": str(TOKEN_PROGRAM),
            **{name: value for name, value in authorities.items() if value is not None},
            "price_info": {"price_per_token": price_usd(world, token), "currency": "USDC"},
        },
    }
