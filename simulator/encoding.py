"""Wire encodings: JSON with exact decimal numbers, base58, and deterministic keys.

Services send amounts as JSON numbers (DexScreener's liquidity, RugCheck's percentages,
Jupiter's usdPrice); the standard encoder only writes floats, so Decimals are written here
digit for digit.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from solders.pubkey import Pubkey
from solders.signature import Signature

BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
TOKEN_PROGRAM = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
ATA_PROGRAM = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
TOKEN_2022_PROGRAM = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
SYSTEM_PROGRAM = Pubkey.from_string("11111111111111111111111111111111")


def to_json(value: Any) -> bytes:
    return _encode(value).encode()


def _encode(value: Any) -> str:
    if isinstance(value, Decimal):
        return number_text(value)
    if isinstance(value, dict):
        items = (f"{json.dumps(str(key))}:{_encode(item)}" for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(item) for item in value) + "]"
    return json.dumps(value)


def number_text(value: Decimal) -> str:
    """Plain decimal notation, no exponent, no trailing zeros: 1.50E+2 -> 150."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a JSON number")
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    digits = ""
    while number:
        number, remainder = divmod(number, 58)
        digits = BASE58[remainder] + digits
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading_zeros + digits


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        position = BASE58.find(char)
        if position < 0:
            raise ValueError(f"invalid base58 character {char!r}")
        number = number * 58 + position
    leading_ones = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * leading_ones + body


def derived_pubkey(seed: int, *labels: str) -> Pubkey:
    """A stable address for what the scenario leaves unnamed (pools, holders, creators)."""
    return Pubkey(hashlib.sha256(":".join([str(seed), *labels]).encode()).digest())


def derived_signature(seed: int, *labels: str) -> Signature:
    return Signature(hashlib.sha512(":".join([str(seed), *labels]).encode()).digest())


def token_account(owner: Pubkey, mint: Pubkey, program: Pubkey = TOKEN_PROGRAM) -> Pubkey:
    """The owner's associated token account for mint, as the ATA program derives it."""
    seeds = [bytes(owner), bytes(program), bytes(mint)]
    return Pubkey.find_program_address(seeds, ATA_PROGRAM)[0]
