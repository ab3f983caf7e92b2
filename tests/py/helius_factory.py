"""Builds Helius enhanced transactions for tests: a watched wallet swapping against a pool."""

from __future__ import annotations

import secrets
from typing import Any

BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
SOL_MINT = "So11111111111111111111111111111111111111112"
POOL = "5Q544fKrFoe6tsEbD7S8EmxGTJYAKtTVhAW5Q5pge4j1"


def base58(length: int) -> str:
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
    timestamp: int = 1_764_300_000,
) -> dict[str, Any]:
    """The wallet gains token_delta of mint and lamports_delta SOL (negative = gives), the
    pool the opposite; the wallet pays the fee, as Helius reports it."""
    signature = signature or new_signature()

    def token_change(owner: str, amount: int) -> dict[str, Any]:
        return {
            "userAccount": owner,
            "tokenAccount": base58(44),
            "mint": mint,
            "rawTokenAmount": {"tokenAmount": str(amount), "decimals": decimals},
        }

    return {
        "description": f"{wallet} swapped",
        "type": "SWAP",
        "source": "RAYDIUM",
        "fee": fee,
        "feePayer": wallet,
        "signature": signature,
        "slot": 300_000_000,
        "timestamp": timestamp,
        "nativeTransfers": [],
        "tokenTransfers": [],
        "accountData": [
            {
                "account": wallet,
                "nativeBalanceChange": lamports_delta - fee,
                "tokenBalanceChanges": [token_change(wallet, token_delta)],
            },
            {
                "account": POOL,
                "nativeBalanceChange": -lamports_delta,
                "tokenBalanceChanges": [token_change(POOL, -token_delta)],
            },
        ],
        "transactionError": None,
        "instructions": [],
        "events": {},
    }
