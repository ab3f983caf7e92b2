"""Jupiter: price v3, and the swap API's quote and swap (lite-api /swap/v1 style).

A quote prices the amount through the token's pool at the current scenario time; the swap
answers an unsigned v0 transaction for the user to sign, carrying the quote in its route
instruction (see `route`) and a blockhash of the simulated chain.
"""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.hash import Hash
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from simulator.chain import (
    INSUFFICIENT_FUNDS,
    MAX_UNITS,
    MICRO_LAMPORTS,
    ROUTE_UNITS,
    SLIPPAGE_EXCEEDED,
    TOKEN_ACCOUNT_RENT,
    priority_fee,
)
from simulator.encoding import TOKEN_PROGRAM, derived_pubkey, number_text, token_account
from simulator.faults import Decision
from simulator.http import Reply, Request, error_reply, json_reply
from simulator.market import BPS, is_buy, minimum_out, pool_at, usd
from simulator.route import Route, close_token_account, create_token_account, pool_address
from simulator.scenario import WSOL_MINT, Token
from simulator.token_apis import iso, liquidity_usd, listed
from simulator.world import World

PRICE_BATCH = 50
DAY = Decimal(86_400)
DYNAMIC_UNIT_LIMIT = ROUTE_UNITS + 40_000  # what a simulated route asks with dynamic limits
USDC_MINT = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"


def refuse_without_key(world: World, request: Request, keyed: bool = False) -> Reply | None:
    """The scenario's key when it sets one; the swap API (`keyed`) wants a key in any case:
    the keyless host is retired."""
    key, given = world.scenario.api_keys.jupiter, request.headers.get("x-api-key")
    if (key is not None and given != key) or (keyed and not given):
        return json_reply({"message": "Invalid API key"}, 401)
    return None


# --- price v3 -------------------------------------------------------------------------------


def price(world: World, request: Request, decision: Decision) -> Reply:
    """GET ?ids=a,b → {mint: {usdPrice, ...}}; mints without a price are left out."""
    refused = refuse_without_key(world, request)
    if refused:
        return refused
    ids = [mint for value in request.query.get("ids", []) for mint in value.split(",") if mint]
    if not ids:
        return error_reply(400, "Query parameter ids is required")
    if len(ids) > PRICE_BATCH:
        return error_reply(400, f"Too many ids, max {PRICE_BATCH}")
    with world.lock:
        entries = {mint: price_entry(world, mint) for mint in dict.fromkeys(ids)}
    return json_reply({mint: entry for mint, entry in entries.items() if entry is not None})


def price_entry(world: World, mint: str) -> dict[str, Any] | None:
    state, sol_usd = world.state, world.scenario.sol_usd
    slot = state.chain.slot_at(state.now)
    if mint in (WSOL_MINT, USDC_MINT):
        usd_price, decimals = (sol_usd, 9) if mint == WSOL_MINT else (Decimal(1), 6)
        return {"usdPrice": usd_price, "blockId": slot, "decimals": decimals, "priceChange24h": 0}
    token = listed(world, mint, "jupiter_price")
    if token is None or token.price_at(state.now) <= 0:
        return None  # Jupiter omits what it cannot price reliably
    return {
        "usdPrice": usd(token.price_at(state.now), sol_usd),
        "blockId": slot,
        "decimals": token.decimals,
        "priceChange24h": day_change_pct(token, state.now),
        "liquidity": liquidity_usd(world, token),
        "createdAt": iso(world.unix_time(token.pair_created_t)),
    }


def day_change_pct(token: Token, now: Decimal) -> Decimal:
    return token.change_pct(now, DAY)


# --- quote ----------------------------------------------------------------------------------


class QuoteError(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code

    def reply(self) -> Reply:
        return error_reply(400, str(self), errorCode=self.code)


class QuoteParams(BaseModel):
    model_config = ConfigDict(extra="ignore")

    inputMint: str
    outputMint: str
    amount: Annotated[int, Field(gt=0, lt=2**64)]
    slippageBps: Annotated[int, Field(ge=0, le=BPS)] = 50
    swapMode: str = "ExactIn"


def quote(world: World, request: Request, decision: Decision) -> Reply:
    """GET ?inputMint&outputMint&amount&slippageBps → the quote (ExactIn only)."""
    refused = refuse_without_key(world, request, keyed=True)
    if refused:
        return refused
    try:
        params = QuoteParams.model_validate({name: request.param(name) for name in request.query})
        with world.lock:
            return json_reply(build_quote(world, params))
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        return error_reply(400, f"{where}: {first['msg']}", errorCode="INVALID_REQUEST")
    except QuoteError as error:
        return error.reply()


def tradable_token(world: World, input_mint: str, output_mint: str) -> Token:
    """The one token of a SOL pair; every pool quotes SOL."""
    if (input_mint == WSOL_MINT) == (output_mint == WSOL_MINT):
        raise QuoteError("Could not find any route", "COULD_NOT_FIND_ANY_ROUTE")
    mint = output_mint if is_buy(input_mint) else input_mint
    token = world.scenario.token(mint)
    if token is None or not token.tradable:
        raise QuoteError(f"The token {mint} is not tradable", "TOKEN_NOT_TRADABLE")
    return token


def build_quote(world: World, params: QuoteParams) -> dict[str, Any]:
    if params.swapMode != "ExactIn":
        raise QuoteError("Only ExactIn is simulated", "INVALID_REQUEST")
    token = tradable_token(world, params.inputMint, params.outputMint)
    state = world.state
    pool = pool_at(token, state.now)
    buying = is_buy(params.inputMint)
    out = pool.amount_out(params.amount, buying) if pool else 0
    if pool is None or out <= 0:
        raise QuoteError("Could not find any route", "COULD_NOT_FIND_ANY_ROUTE")
    amounts = {"inAmount": str(params.amount), "outAmount": str(out)}
    mints = {"inputMint": params.inputMint, "outputMint": params.outputMint}
    swap_info = {
        "ammKey": str(pool_address(world.scenario.seed, token.mint)),
        "label": token.dex_id.capitalize(),
        **mints,
        **amounts,
        "feeAmount": str(pool.fee_amount(params.amount)),
        "feeMint": params.inputMint,
    }
    return {
        **mints,
        **amounts,
        "otherAmountThreshold": str(minimum_out(out, params.slippageBps)),
        "swapMode": "ExactIn",
        "slippageBps": params.slippageBps,
        "platformFee": None,
        "priceImpactPct": number_text(pool.price_impact(params.amount, buying)),
        "routePlan": [{"swapInfo": swap_info, "percent": 100, "bps": BPS}],
        "contextSlot": state.chain.slot_at(state.now),
        "timeTaken": Decimal("0.0005"),
    }


# --- swap -----------------------------------------------------------------------------------


class QuoteResponse(BaseModel):
    model_config = ConfigDict(extra="ignore")

    inputMint: str
    outputMint: str
    inAmount: Annotated[int, Field(gt=0, lt=2**64)]
    outAmount: Annotated[int, Field(ge=0, lt=2**64)]
    slippageBps: Annotated[int, Field(ge=0, le=BPS)]


class SwapRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    userPublicKey: str
    quoteResponse: QuoteResponse
    wrapAndUnwrapSol: bool = True
    dynamicComputeUnitLimit: bool = False
    prioritizationFeeLamports: Any = None


def swap(world: World, request: Request, decision: Decision) -> Reply:
    """POST {quoteResponse, userPublicKey, ...} → {swapTransaction, lastValidBlockHeight}."""
    refused = refuse_without_key(world, request, keyed=True)
    if refused:
        return refused
    try:
        order = SwapRequest.model_validate(request.json())
        user = Pubkey.from_string(order.userPublicKey)
        with world.lock:
            return json_reply(build_swap(world, order, user, decision))
    except (ValidationError, ValueError) as error:
        return error_reply(
            400, f"Invalid swap request: {type(error).__name__}", errorCode="INVALID_REQUEST"
        )
    except QuoteError as error:
        return error.reply()


def priority_lamports(requested: Any, market_fee: int) -> int:
    """The priority fee Jupiter would set: an exact number, the market's fee capped by
    maxLamports, or the market's fee ("auto", absent). A Jito tip is not a priority fee."""
    if isinstance(requested, int) and not isinstance(requested, bool):
        return max(0, requested)
    if isinstance(requested, dict):
        level = requested.get("priorityLevelWithMaxLamports")
        cap = level.get("maxLamports") if isinstance(level, dict) else None
        if isinstance(cap, int):
            return max(0, min(market_fee, cap))
        if "jitoTipLamports" in requested:
            return 0
    return market_fee


def build_swap(
    world: World, order: SwapRequest, user: Pubkey, decision: Decision
) -> dict[str, Any]:
    """Jupiter's swap transaction: compute budget, the output token account opened when
    buying (idempotent), the route, and the user's wSOL account closed if it has one
    (unwrapping SOL), the pool's accounts loaded from a lookup table, as real routes are.
    Jupiter simulates it first and reports a failure in `simulationError`."""
    quoted = order.quoteResponse
    token = tradable_token(world, quoted.inputMint, quoted.outputMint)
    state, seed = world.state, world.scenario.seed
    program = Pubkey.from_string(token.program_id)
    route = Route(
        user,
        Pubkey.from_string(quoted.inputMint),
        Pubkey.from_string(quoted.outputMint),
        quoted.inAmount,
        quoted.outAmount,
        quoted.slippageBps,
        program,
    )
    wanted = priority_lamports(
        order.prioritizationFeeLamports, world.scenario.chain.priority_fee_lamports
    )
    unit_limit = DYNAMIC_UNIT_LIMIT if order.dynamicComputeUnitLimit else MAX_UNITS
    unit_price = wanted * MICRO_LAMPORTS // unit_limit  # a whole price per unit
    fee = priority_fee(unit_limit, unit_price)  # what the transaction will pay
    chain = state.chain
    blockhash, last_valid = chain.latest_blockhash(state.now)
    instructions = [set_compute_unit_limit(unit_limit), set_compute_unit_price(unit_price)]
    if route.buying:
        instructions.append(create_token_account(user, user, route.token_mint, program))
    instructions.append(route.instruction(seed))
    wsol_account = chain.wsol_account_of(user)
    if wsol_account is not None:
        instructions.append(close_token_account(wsol_account, user, TOKEN_PROGRAM))
    message = MessageV0.try_compile(
        user, instructions, [pool_table(world, route)], Hash.from_string(blockhash)
    )
    unsigned = VersionedTransaction.populate(message, [Signature.default()])
    return {
        "swapTransaction": base64.b64encode(bytes(unsigned)).decode(),
        "lastValidBlockHeight": last_valid,
        "prioritizationFeeLamports": fee,
        "computeUnitLimit": unit_limit,
        "prioritizationType": {
            "computeBudget": {"microLamports": unit_price, "estimatedMicroLamports": unit_price}
        },
        "dynamicSlippageReport": None,
        "simulationError": simulation_error(world, route, fee, decision),
    }


def pool_table(world: World, route: Route) -> AddressLookupTableAccount:
    """The token pool's lookup table, registered on the chain: its vaults, mints, program."""
    seed, mint = world.scenario.seed, str(route.token_mint)
    pool = pool_address(seed, mint)
    addresses = [
        pool,
        token_account(pool, route.token_mint, route.token_program),
        route.input_mint,
        route.output_mint,
        route.token_program,
    ]
    table = derived_pubkey(seed, "lookup-table", mint)
    world.state.chain.lookup_tables[table] = addresses
    return AddressLookupTableAccount(table, addresses)


def simulation_error(
    world: World, route: Route, fee: int, decision: Decision
) -> dict[str, str] | None:
    """What Jupiter's simulation of the swap reports: the user cannot pay (Jupiter's
    InsufficientFunds) or, injected, the price moved past the bound (slippage)."""
    chain = world.state.chain
    if route.buying:
        held = chain.balance(str(route.user)) - fee - chain.settings.lamports_per_signature
        if str(route.user_tokens) not in chain.tokens:
            held -= TOKEN_ACCOUNT_RENT  # the account the route opens
    else:
        held = chain.tokens.get(str(route.user_tokens), 0)
    code = None
    if held < route.in_amount:
        code = INSUFFICIENT_FUNDS
    elif "simulation_error" in decision.chain:
        code = SLIPPAGE_EXCEEDED
    if code is None:
        return None
    return {
        "errorCode": "TRANSACTION_ERROR",
        "error": f"Error processing Instruction 3: custom program error: {code:#x}",
    }
