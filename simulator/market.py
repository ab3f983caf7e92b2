"""The market at a scenario time: each token trades in one constant-product pool against SOL
whose depth is the token's `liquidity_sol` and whose spot price follows its price path.

Quotes and fills use the same integer pool math, so a fill differs from its quote only when
the price moved in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, localcontext

from simulator.scenario import WSOL_MINT, LeaderSwap, Token

LAMPORTS_PER_SOL = 10**9
BPS = 10_000
IMPACT_STEP = Decimal("1e-10")
CENT = Decimal("0.01")


def atomic(amount: Decimal, decimals: int) -> int:
    """Whole units to atomic units, rounded down (what a u64 amount can hold)."""
    with localcontext(prec=60):
        return int((amount * 10**decimals).to_integral_value(ROUND_FLOOR))


def ui_amount(amount: int, decimals: int) -> Decimal:
    return Decimal(amount).scaleb(-decimals)


@dataclass(frozen=True)
class Pool:
    sol_reserve: int  # lamports
    token_reserve: int  # atomic units
    fee_bps: int

    def reserves(self, buying: bool) -> tuple[int, int]:
        """(reserve paid into, reserve paid out of)."""
        if buying:
            return self.sol_reserve, self.token_reserve
        return self.token_reserve, self.sol_reserve

    def amount_out(self, amount_in: int, buying: bool) -> int:
        """x·y = k after the pool's fee, rounded down as on-chain programs do."""
        paid_in, paid_out = self.reserves(buying)
        net_in = amount_in * (BPS - self.fee_bps) // BPS
        return paid_out * net_in // (paid_in + net_in)

    def price_impact(self, amount_in: int, buying: bool) -> Decimal:
        """Share of the spot value lost to the pool's depth (the fee aside): in / (x + in)."""
        paid_in, _ = self.reserves(buying)
        with localcontext(prec=60):
            return (Decimal(amount_in) / (paid_in + amount_in)).quantize(IMPACT_STEP)

    def fee_amount(self, amount_in: int) -> int:
        return amount_in - amount_in * (BPS - self.fee_bps) // BPS


def pool_at(token: Token, t: Decimal) -> Pool | None:
    """The token's pool at t, or None when it has no price (nothing to trade against)."""
    price = token.price_at(t)
    sol_reserve = atomic(token.liquidity_sol, 9)
    if price <= 0:
        return None
    with localcontext(prec=60):
        token_reserve = atomic(token.liquidity_sol / price, token.decimals)
    if token_reserve <= 0:
        return None
    return Pool(sol_reserve, token_reserve, token.pool_fee_bps)


def minimum_out(quoted_out: int, slippage_bps: int) -> int:
    """Jupiter's otherAmountThreshold: the least a route may deliver before it fails."""
    return quoted_out * (BPS - slippage_bps) // BPS


def is_buy(input_mint: str) -> bool:
    """Every pool quotes SOL: paying SOL buys the token."""
    return input_mint == WSOL_MINT


def leader_amounts(swap: LeaderSwap, token: Token) -> tuple[int, int]:
    """(token atomic units, lamports) of a leader swap; the amount left out of the scenario
    is its counterpart at the token's price at t."""
    price = token.price_at(swap.t)  # above zero whenever an amount is left out (validated)
    with localcontext(prec=60):
        tokens = swap.token_amount or (swap.sol_amount or Decimal(0)) / price
        sol = swap.sol_amount or tokens * price
    return atomic(tokens, token.decimals), atomic(sol, 9)


def usd(amount_sol: Decimal, sol_usd: Decimal) -> Decimal:
    """Exact: a USD price divided back by the SOL price gives the SOL price again."""
    with localcontext(prec=60):
        return (amount_sol * sol_usd).normalize()


def cents(amount_usd: Decimal) -> Decimal:
    with localcontext(prec=60):
        return amount_usd.quantize(CENT)
