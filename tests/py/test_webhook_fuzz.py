"""Fuzzed deliveries through the real gateway: never a 500, never a partial write; a poison
transaction (tests/support/poison.py) is rejected alone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scripts.stack_env import StackEnv, load_stack_env
from simulator.helius_tx import new_mint, swap_transaction
from tests.support.poison import POISONS, delivery, poisoned
from tests.support.stack_secrets import stack_secret
from walltrack import helius

STACK: StackEnv = load_stack_env()
URL = f"{STACK.supabase_url}/functions/v1/helius-webhook"
SECRET = stack_secret("HELIUS_WEBHOOK_SECRET")
# A paused watched wallet: its swaps are recorded like any other, and being paused it asks
# for no token lookup, so thousands of random tokens cost no lookup budget.
WATCHED = "FuzzWa11etPaused111111111111111111111111111"

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    # json.dumps writes NaN and Infinity, which are not JSON: their transaction is rejected.
    | st.floats()
    # Lone surrogates and NUL included: json.dumps escapes them, Postgres refuses them.
    | st.text(st.characters(exclude_categories=()), max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def transactions(draw: st.DrawFn) -> dict[str, Any]:
    """A valid swap of the watched wallet, possibly with one field replaced by junk."""
    tx = swap_transaction(
        WATCHED,
        new_mint(),
        draw(st.integers(-(10**15), 10**15).filter(bool)),
        draw(st.integers(-(10**12), 10**12)),
        decimals=draw(st.integers(0, 18)),
    )
    if draw(st.booleans()):
        path = draw(
            st.sampled_from(
                [
                    ("signature",),
                    ("timestamp",),
                    ("accountData",),
                    ("accountData", 0, "account"),
                    ("accountData", 0, "nativeBalanceChange"),
                    ("accountData", 0, "tokenBalanceChanges", 0, "mint"),
                    ("accountData", 0, "tokenBalanceChanges", 0, "rawTokenAmount"),
                    ("accountData", 0, "tokenBalanceChanges", 0, "rawTokenAmount", "decimals"),
                    ("transactionError",),
                ]
            )
        )
        target: Any = tx
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = draw(json_values)
    return tx


@dataclass(frozen=True)
class Poisoned:
    signature: str
    text: bytes


@st.composite
def poison_transactions(draw: st.DrawFn) -> Poisoned:
    """A valid swap of the watched wallet holding one poison value in a field it ignores."""
    tx = swap_transaction(WATCHED, new_mint(), draw(st.integers(1, 10**15)), -1_000_000)
    raw, _ = POISONS[draw(st.sampled_from(sorted(POISONS)))]
    field = draw(st.sampled_from(["events", "description", "source"]))
    return Poisoned(tx["signature"], poisoned(tx, raw, field))


def storable(text: object) -> bool:
    return isinstance(text, str) and "\x00" not in text and text.isprintable()


bodies = st.lists(transactions() | json_values | poison_transactions(), max_size=5)


HTTP = httpx.Client(timeout=10)
DB = psycopg.connect(STACK.database_url, autocommit=True)
DB.execute(
    "insert into walltrack.wallets (address, label, status) select %s, 'fuzz', 'paused'"
    " where not exists (select from walltrack.wallets where address = %s)",
    (WATCHED, WATCHED),
)


def stored_signatures(signatures: list[str]) -> set[str]:
    rows = DB.execute(
        "select distinct signature from walltrack.signals where signature = any(%s)",
        (signatures,),
    ).fetchall()
    return {str(row[0]) for row in rows}


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=bodies)
def test_fuzzed_deliveries_never_fail_and_never_write_partially(body: list[Any]) -> None:
    elements = [e.text if isinstance(e, Poisoned) else json.dumps(e).encode() for e in body]
    content = delivery(*elements)
    response = HTTP.post(URL, content=content, headers={"Authorization": SECRET})
    assert response.status_code == 200, response.text
    result = response.json()
    rejected = {r["index"] for r in result["rejected"]}
    assert result["stored"] + len(rejected) == len(body)
    assert {i for i, e in enumerate(body) if isinstance(e, Poisoned)} <= rejected
    # What the function should have stored: every transaction it accepted that involves
    # the watched wallet (a swap, or a failed transaction naming it), and nothing else.
    expected = {
        tx["signature"]
        for tx in helius.parse_delivery(content).transactions
        if (tx["tx_error"] is None and any(s["wallet"] == WATCHED for s in tx["swaps"]))
        or (tx["tx_error"] is not None and WATCHED in tx["accounts"])
    }
    candidates = [e.signature for e in body if isinstance(e, Poisoned)] + [
        e["signature"] for e in body if isinstance(e, dict) and storable(e.get("signature"))
    ]
    assert stored_signatures(candidates) == expected
    assert result["new_signals"] == len(expected)
