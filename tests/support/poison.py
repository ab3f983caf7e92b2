"""Poison transactions: valid JSON text (or nearly) that Python's json accepts but the database
cannot store, or that costs the parser more than its size. Each one must reject its own
transaction only (helius.parse_delivery), never its neighbours nor the whole delivery.

Built as bytes, since json.dumps cannot write most of them.
"""

from __future__ import annotations

import json
from typing import Any

PLACEHOLDER = "__poison__"
DEEP = 330  # levels: the depth that used to answer 500 with a 2,000-line traceback

# kind: (raw JSON text put in place of a value, what the rejection says)
POISONS: dict[str, tuple[bytes, str]] = {
    "float overflow": (b"1e400", "a number is out of range"),
    "negative float overflow": (b"-1e400", "a number is out of range"),
    "integer of 5,000 digits": (b"9" * 5000, "a number is out of range"),
    "float of 200 digits": (b"0." + b"1" * 200, "a number is out of range"),
    "NaN": (b"NaN", "NaN is not a JSON number"),
    "Infinity": (b"Infinity", "Infinity is not a JSON number"),
    "-Infinity": (b"[-Infinity]", "-Infinity is not a JSON number"),
    "lone high surrogate": (b'"abc\\ud800"', "lone surrogate"),
    "lone low surrogate in a key": (b'{"\\udfff": 1}', "lone surrogate"),
    "reversed surrogate pair": (b'"\\udc00\\ud800"', "lone surrogate"),
    "invalid UTF-8 bytes": (b'"\xff\xfe\xc0"', "lone surrogate"),
    "NUL": (b'"a\\u0000b"', "NUL character"),
    "NUL in a key": (b'{"a\\u0000": 1}', "NUL character"),
    "raw NUL byte": (b'"a\x00b"', "NUL character"),
    "deep nesting": (b"[" * DEEP + b"]" * DEEP, "nested deeper than"),
    "deep objects": (b'{"a":' * DEEP + b"1" + b"}" * DEEP, "nested deeper than"),
}


def poisoned(tx: dict[str, Any], raw: bytes, field: str = "events") -> bytes:
    """`tx` as JSON, with `field` (one Helius sends but WallTrack does not read) set to `raw`."""
    text = json.dumps(tx | {field: PLACEHOLDER}).encode()
    return text.replace(json.dumps(PLACEHOLDER).encode(), raw, 1)


def delivery(*elements: dict[str, Any] | bytes) -> bytes:
    """A JSON array of elements, each a transaction or the raw JSON text of one."""
    parts = [e if isinstance(e, bytes) else json.dumps(e).encode() for e in elements]
    return b"[" + b",".join(parts) + b"]"


def amounts_past_u64(tx: dict[str, Any]) -> dict[str, Any]:
    """`tx` where the wallet's token balance moves twice by u64::MAX in one transaction: each
    change is valid, their sum is a change no balance can make."""
    changes = tx["accountData"][0]["tokenBalanceChanges"]
    first = changes[0] | {"rawTokenAmount": changes[0]["rawTokenAmount"] | {}}
    first["rawTokenAmount"]["tokenAmount"] = str(2**64 - 1)
    second = first | {"tokenAccount": first["tokenAccount"][:-1] + "2"}
    data = tx["accountData"][0] | {"tokenBalanceChanges": [first, second]}
    return tx | {"accountData": [data, *tx["accountData"][1:]]}
