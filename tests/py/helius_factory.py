"""Builds Helius enhanced transactions for tests: the simulator's builder, re-exported so the
tests and the simulator's deliveries share one implementation. Also the normalised form the
webhook hands to api.ingest_swaps, for tests and benchmarks that skip the webhook."""

from __future__ import annotations

from typing import Any

from simulator.helius_tx import (
    BASE58,
    POOL,
    SOL_MINT,
    base58,
    new_mint,
    new_signature,
    swap_transaction,
)

__all__ = [
    "BASE58",
    "POOL",
    "SOL_MINT",
    "base58",
    "new_mint",
    "new_signature",
    "normalised_swap",
    "swap_transaction",
]


def normalised_swap(
    wallet: str, mint: str, side: str, token_amount: int, lamports: int, n: int = 0
) -> dict[str, Any]:
    """One transaction in which `wallet` swaps `token_amount` atomic units of `mint` (6
    decimals) against `lamports` of SOL, as api.ingest_swaps takes it; `n` spreads slots."""
    signature = new_signature()
    return {
        "signature": signature,
        "slot": 300_000_000 + n,
        "timestamp": 1_764_300_000 + n,
        "source": "JUPITER",
        "tx_error": None,
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
