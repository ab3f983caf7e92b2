"""Configuration from the environment: secrets and endpoints never live in a table."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from walltrack.errors import NotConfigured


def required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise NotConfigured(name)
    return value


def optional(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


# Helius types a swap SWAP only on the venues its parser knows; swaps on newer ones (Meteora
# DBC, DAMM v2...) arrive as TRANSFER or UNKNOWN. The webhook finds swaps in the balance
# changes, whatever the type. ANY would also cost a credit for every NFT, staking, lending or
# liquidity event of a watched wallet, none of which is ever copied (docs/functions.md).
DEFAULT_TRANSACTION_TYPES = "SWAP,TRANSFER,UNKNOWN"


def transaction_types(listed: str) -> tuple[str, ...]:
    """`SWAP, transfer,,UNKNOWN` -> ("SWAP", "TRANSFER", "UNKNOWN"): as Helius spells them,
    each once."""
    types = (name.strip().upper() for name in listed.split(","))
    return tuple(dict.fromkeys(name for name in types if name))


@dataclass(frozen=True)
class DatabaseSettings:
    supabase_url: str
    service_role_key: str = field(repr=False)  # secrets never reach a log line

    @classmethod
    def from_env(cls) -> DatabaseSettings:
        return cls(required("SUPABASE_URL"), required("SUPABASE_SERVICE_ROLE_KEY"))


@dataclass(frozen=True)
class HeliusSettings:
    api_base_url: str
    webhook_url: str
    transaction_types: tuple[str, ...]
    api_key: str = field(repr=False)  # secrets never reach a log line
    webhook_secret: str = field(repr=False)

    @classmethod
    def from_env(cls) -> HeliusSettings:
        return cls(
            api_base_url=optional("HELIUS_API_BASE_URL", "https://api.helius.xyz").rstrip("/"),
            api_key=required("HELIUS_API_KEY"),
            webhook_url=required("HELIUS_WEBHOOK_URL"),
            webhook_secret=required("HELIUS_WEBHOOK_SECRET"),
            transaction_types=transaction_types(
                optional("HELIUS_TRANSACTION_TYPES", DEFAULT_TRANSACTION_TYPES)
            ),
        )
