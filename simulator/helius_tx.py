"""Helius enhanced transactions of swaps, shaped as Helius delivers them to a webhook (typed
SWAP, or TRANSFER / UNKNOWN on the venues its parser does not know), and the normalised form
the webhook hands on to api.ingest_swaps.

The one builder behind the simulator's deliveries and the transactions the tests and the
benchmarks make by hand, so all of them share one implementation; it lives here, outside
tests/, so that the benchmarks need nothing from the tests.
"""

from __future__ import annotations

import secrets
from typing import Any

BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
SOL_MINT = "So11111111111111111111111111111111111111112"
POOL = "5Q544fKrFoe6tsEbD7S8EmxGTJYAKtTVhAW5Q5pge4j1"
DEFAULT_SLOT = 300_000_000
DEFAULT_TIMESTAMP = 1_764_300_000

# How Helius types a swap and names its source, by the venue it happens on. Its parser knows
# the older venues (SWAP); swaps on newer ones arrive as TRANSFER or UNKNOWN from an UNKNOWN
# source, though their balance changes are a swap all the same (tests/py/fixtures/helius/).
VENUES: dict[str, tuple[str, str]] = {
    "raydium": ("SWAP", "RAYDIUM"),
    "jupiter": ("SWAP", "JUPITER"),
    "orca": ("SWAP", "ORCA"),
    "pump_fun": ("SWAP", "PUMP_FUN"),
    "pump_amm": ("SWAP", "PUMP_AMM"),
    "meteora_dbc": ("TRANSFER", "UNKNOWN"),
    "meteora_damm_v2": ("UNKNOWN", "UNKNOWN"),
}


def base58(length: int) -> str:
    """Random base58 text: an address (44) or a signature (88) nobody owns."""
    return "".join(secrets.choice(BASE58) for _ in range(length))


def new_signature() -> str:
    return base58(88)


def new_mint() -> str:
    return base58(44)


def swap_transaction(
    wallet: str,
    mint: str,
    token_delta: int,
    lamports_delta: int,
    *,
    signature: str | None = None,
    decimals: int = 6,
    fee: int = 5000,
    timestamp: int = DEFAULT_TIMESTAMP,
    slot: int = DEFAULT_SLOT,
    source: str = "RAYDIUM",
    pool: str = POOL,
    token_accounts: tuple[str, str] | None = None,
    tx_type: str = "SWAP",
) -> dict[str, Any]:
    """The wallet gains token_delta of mint and lamports_delta SOL (negative = gives), the
    pool the opposite; the wallet pays the fee, as Helius reports it.

    `token_accounts` are the wallet's and the pool's token accounts (random when omitted).
    `tx_type` is the type Helius gives it (see VENUES).
    """
    signature = signature or new_signature()
    wallet_tokens, pool_tokens = token_accounts or (base58(44), base58(44))

    def token_change(owner: str, token_account: str, amount: int) -> dict[str, Any]:
        return {
            "userAccount": owner,
            "tokenAccount": token_account,
            "mint": mint,
            "rawTokenAmount": {"tokenAmount": str(amount), "decimals": decimals},
        }

    return {
        "description": f"{wallet} swapped" if tx_type == "SWAP" else "",
        "type": tx_type,
        "source": source,
        "fee": fee,
        "feePayer": wallet,
        "signature": signature,
        "slot": slot,
        "timestamp": timestamp,
        "nativeTransfers": [],
        "tokenTransfers": [],
        "accountData": [
            {
                "account": wallet,
                "nativeBalanceChange": lamports_delta - fee,
                "tokenBalanceChanges": [token_change(wallet, wallet_tokens, token_delta)],
            },
            {
                "account": pool,
                "nativeBalanceChange": -lamports_delta,
                "tokenBalanceChanges": [token_change(pool, pool_tokens, -token_delta)],
            },
        ],
        "transactionError": None,
        "instructions": [],
        "events": {},
    }


def normalised_swap(
    wallet: str, mint: str, side: str, token_amount: int, lamports: int, n: int = 0
) -> dict[str, Any]:
    """One transaction in which `wallet` swaps `token_amount` atomic units of `mint` (6
    decimals) against `lamports` of SOL, as api.ingest_swaps takes it: for the tests and
    benchmarks that skip the webhook. `n` spreads slots."""
    signature = new_signature()
    return {
        "signature": signature,
        "slot": DEFAULT_SLOT + n,
        "timestamp": DEFAULT_TIMESTAMP + n,
        "source": "JUPITER",
        "tx_error": None,
        "fee_payer": wallet,
        "accounts": [wallet],
        "swaps": [
            {
                "wallet": wallet,
                "side": side,
                "token_mint": mint,
                "token_amount": str(token_amount),
                "token_decimals": 6,
                "quote_mint": SOL_MINT,
                "quote_amount": str(lamports),
                "quote_decimals": 9,
            }
        ],
        "raw": {"signature": signature, "type": "SWAP"},
    }
