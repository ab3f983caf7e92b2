"""Poison transactions in the parser (no database): each rejects its own transaction only, with
a reason, and parsing costs time linear in the body's size."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import pytest

from simulator.helius_tx import new_mint, new_signature, swap_transaction
from tests.support.poison import DEEP, POISONS, amounts_past_u64, delivery, poisoned
from walltrack import helius

WALLET = "FuzzWa11etPaused111111111111111111111111111"


def swap() -> dict[str, Any]:
    return swap_transaction(WALLET, new_mint(), 2_000_000, -1_000_000_000)


def assert_only_the_middle_is_rejected(body: bytes, poison: dict[str, Any], reason: str) -> None:
    parsed = helius.parse_delivery(body)
    signatures = [tx["signature"] for tx in parsed.transactions]
    assert len(signatures) == 2 and poison["signature"] not in signatures
    [rejected] = parsed.rejected
    assert (rejected.index, rejected.signature) == (1, poison["signature"])
    assert reason in rejected.error
    assert len(rejected.error) < 300
    for payload in parsed.transactions:
        # What reaches PostgREST: strict JSON, UTF-8 encodable, no NUL.
        text = json.dumps(payload, allow_nan=False, ensure_ascii=False)
        assert "\x00" not in text
        text.encode()


@pytest.mark.parametrize("kind", POISONS)
def test_a_poison_value_rejects_its_transaction_alone(kind: str) -> None:
    raw, reason = POISONS[kind]
    poison = swap()
    body = delivery(swap(), poisoned(poison, raw), swap())
    assert_only_the_middle_is_rejected(body, poison, reason)


@pytest.mark.parametrize("field", ["description", "source", "transactionError", "signature"])
def test_poison_in_any_field_rejects_the_transaction(field: str) -> None:
    poison = swap()
    body = delivery(swap(), poisoned(poison, b'"\\ud800"', field), swap())
    parsed = helius.parse_delivery(body)
    assert len(parsed.transactions) == 2
    [rejected] = parsed.rejected
    assert rejected.index == 1
    assert rejected.signature == (None if field == "signature" else poison["signature"])


def test_an_amount_no_balance_can_reach_rejects_the_transaction() -> None:
    poison = amounts_past_u64(swap())
    body = delivery(swap(), poison, swap())
    assert_only_the_middle_is_rejected(body, poison, "out of the u64 range")


def test_a_poison_top_level_element_is_rejected_as_not_an_object() -> None:
    body = b"[NaN, 1e400, " + json.dumps(swap()).encode() + b', "\\ud800", ' + b"[" * DEEP
    body += b"]" * DEEP + b"]"
    parsed = helius.parse_delivery(body)
    assert len(parsed.transactions) == 1
    assert [(r.index, r.error) for r in parsed.rejected] == [
        (index, "not a JSON object") for index in (0, 1, 3, 4)
    ]


def test_nesting_up_to_the_limit_is_stored() -> None:
    depth = helius.MAX_TRANSACTION_DEPTH - 1  # the transaction itself is the first level
    tx = swap()
    raw = b"[" * depth + b"]" * depth
    parsed = helius.parse_delivery(delivery(poisoned(tx, raw)))
    assert parsed.rejected == []
    parsed = helius.parse_delivery(delivery(poisoned(tx, b"[" + raw + b"]")))
    assert parsed.rejected[0].error == f"nested deeper than {helius.MAX_TRANSACTION_DEPTH} levels"


@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_a_body_too_deep_to_parse_is_refused_as_a_whole(depth: int) -> None:
    body = delivery(swap(), b"[" * depth + b"]" * depth)
    with pytest.raises(helius.NotAnArray, match="nested too deeply"):
        helius.parse_delivery(body)


def test_numbers_within_range_are_kept() -> None:
    tx = swap()
    raw = b'[1e308, -1e-400, 123456789012345678901234567890, 0.5, "\\ud83d\\ude00"]'
    [payload] = helius.parse_delivery(delivery(poisoned(tx, raw))).transactions
    assert payload["raw"]["events"] == [1e308, -0.0, 123456789012345678901234567890, 0.5, "😀"]


def test_raw_control_characters_in_a_string_are_stored_escaped() -> None:
    tx = swap()
    [payload] = helius.parse_delivery(delivery(poisoned(tx, b'"a\tb\nc\x1f"'))).transactions
    assert payload["raw"]["events"] == "a\tb\nc\x1f"
    assert "\\u001f" in json.dumps(payload)


# --- cost -------------------------------------------------------------------------------------


@contextmanager
def counted_lines(module: object) -> Iterator[list[int]]:
    """Counts the lines of `module` executed inside the block: a measure of work that does
    not depend on the machine's speed (C code, like pydantic-core's, is not counted)."""
    filename = getattr(module, "__file__", None)
    count = [0]

    def trace(frame: FrameType, event: str, _: object) -> Any:
        if frame.f_code.co_filename != filename:
            return None

        def local(frame: FrameType, event: str, _: object) -> Any:
            if event == "line":
                count[0] += 1
            return local

        return local(frame, event, None)

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        yield count
    finally:
        sys.settrace(previous)


def many_token_accounts(n: int) -> bytes:
    """One transaction moving one token through n token accounts, each opened with its rent
    paid by a native transfer: the shape that cost quadratic time (4.8 s for 3.9 MB)."""
    tx = swap()
    mint = tx["accountData"][0]["tokenBalanceChanges"][0]["mint"]
    payer = tx["feePayer"]
    for number in range(n):
        owner, token_account = new_mint(), new_mint()
        change = {
            "userAccount": owner,
            "tokenAccount": token_account,
            "mint": mint,
            "rawTokenAmount": {"tokenAmount": str(1 + number), "decimals": 6},
        }
        tx["accountData"].append(
            {
                "account": token_account,
                "nativeBalanceChange": 2_039_280,
                "tokenBalanceChanges": [change],
            }
        )
        tx["nativeTransfers"].append(
            {"fromUserAccount": payer, "toUserAccount": token_account, "amount": 2_039_280}
        )
    tx["signature"] = new_signature()
    return delivery(tx)


def test_parsing_work_is_linear_in_the_number_of_token_accounts() -> None:
    small, large = many_token_accounts(200), many_token_accounts(2_000)
    assert 9 * len(small) < len(large) < 11 * len(small)
    work = []
    for body in (small, large):
        with counted_lines(helius) as lines:
            parsed = helius.parse_delivery(body)
        assert len(parsed.transactions) == 1
        work.append(lines[0])
    # Linear: 10x the accounts, about 10x the work (quadratic would be about 100x).
    assert work[1] < 12 * work[0]


def test_an_unexpected_failure_rejects_its_transaction_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    poison = swap()
    real = helius.normalise

    def failing(tx: helius.EnhancedTransaction) -> list[helius.Swap]:
        if tx.signature == poison["signature"]:
            raise RecursionError("a bug")
        return real(tx)

    monkeypatch.setattr(helius, "normalise", failing)
    assert_only_the_middle_is_rejected(delivery(swap(), poison, swap()), poison, "not be parsed")
