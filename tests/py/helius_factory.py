"""Builds Helius enhanced transactions for tests: the simulator's builder, re-exported so the
tests and the simulator's deliveries share one implementation."""

from __future__ import annotations

from simulator.helius_tx import (
    BASE58,
    POOL,
    SOL_MINT,
    base58,
    new_mint,
    new_signature,
    swap_transaction,
)

__all__ = ["BASE58", "POOL", "SOL_MINT", "base58", "new_mint", "new_signature", "swap_transaction"]
