"""What a failed swap means, from the shapes real nodes and Jupiter send (agave's error
bodies, mainnet log lines)."""

from __future__ import annotations

from typing import Any

import pytest

from walltrack.failures import (
    JUPITER,
    PUMP_FUN,
    Failure,
    send_refusal,
    simulation_failure,
    transaction_failure,
)
from walltrack.solana_rpc import RpcRefused

# A pump.fun buy routed by Jupiter whose price moved: the bonding curve fails first
# (TooMuchSolRequired, 6002), then the route fails with the same code.
PUMP_FUN_INSIDE_JUPITER = [
    f"Program {JUPITER} invoke [1]",
    "Program log: Instruction: Route",
    f"Program {PUMP_FUN} invoke [2]",
    "Program log: Instruction: Buy",
    "Program log: AnchorError thrown in programs/pump/src/lib.rs:287. Error Code: "
    "TooMuchSolRequired. Error Number: 6002. Error Message: slippage: Too much SOL required "
    "to buy the given amount of tokens..",
    f"Program {PUMP_FUN} consumed 33406 of 1362571 compute units",
    f"Program {PUMP_FUN} failed: custom program error: 0x1772",
    f"Program {JUPITER} consumed 70850 of 1400000 compute units",
    f"Program {JUPITER} failed: custom program error: 0x1772",
]
TOKEN_SHORT = [
    f"Program {JUPITER} invoke [1]",
    "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA invoke [2]",
    "Program log: Instruction: TransferChecked",
    "Program log: Error: insufficient funds",
    "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA failed: custom program error: 0x1",
    f"Program {JUPITER} failed: custom program error: 0x1",
]


def custom(index: int, code: int) -> dict[str, Any]:
    return {"InstructionError": [index, {"Custom": code}]}


@pytest.mark.parametrize(
    ("err", "logs", "error_class"),
    [
        (custom(3, 6002), PUMP_FUN_INSIDE_JUPITER, "slippage_exceeded"),
        (custom(3, 1), TOKEN_SHORT, "insufficient_funds"),
        # Jupiter's own 6001 when the logs are its own: slippage; with no logs the program is
        # unknown and a bare code says nothing: a program error, tried again.
        (
            custom(2, 6001),
            [f"Program {JUPITER} failed: custom program error: 0x1771"],
            "slippage_exceeded",
        ),
        (custom(2, 6001), None, "program_error"),
        # The same code 1 from a program we do not know is not "insufficient funds".
        (
            custom(2, 1),
            ["Program Some1111111111111111111111111111111111111 failed: custom program error: 0x1"],
            "program_error",
        ),
        ({"InstructionError": [2, "InsufficientFunds"]}, None, "insufficient_funds"),
        ({"InstructionError": [2, "ComputationalBudgetExceeded"]}, None, "program_error"),
        ("BlockhashNotFound", None, "blockhash_expired"),
        ("InsufficientFundsForFee", None, "insufficient_funds"),
        ("AccountNotFound", None, "insufficient_funds"),
        ("SanitizeFailure", None, "rejected"),
    ],
)
def test_a_transaction_error_is_read_with_the_program_that_raised_it(
    err: Any, logs: Any, error_class: str
) -> None:
    assert transaction_failure(err, logs).error_class == error_class


def test_the_detail_names_the_program_and_the_code() -> None:
    failed = transaction_failure(custom(3, 6002), PUMP_FUN_INSIDE_JUPITER)
    assert failed.detail == f"program {PUMP_FUN} error 6002 (0x1772), instruction 3"


def preflight(data: Any = None, message: str = "Transaction simulation failed") -> RpcRefused:
    return RpcRefused("sendTransaction", -32002, message, data)


@pytest.mark.parametrize(
    ("refused", "expected"),
    [
        (preflight({"err": "BlockhashNotFound", "logs": []}), "blockhash_expired"),
        (preflight({"err": custom(2, 6001), "logs": TOKEN_SHORT[:0]}), "program_error"),
        (preflight({"err": "AlreadyProcessed"}), None),  # it landed: the confirmer records it
        # Bodies without `data`, as some providers send them: read by their message.
        (
            preflight(None, "Transaction simulation failed: Blockhash not found"),
            "blockhash_expired",
        ),
        (
            preflight(
                None,
                "Transaction simulation failed: Attempt to debit an account but found "
                "no record of a prior credit. insufficient funds",
            ),
            "insufficient_funds",
        ),
        (
            preflight(
                None,
                "Transaction simulation failed: Error processing Instruction 2: "
                "custom program error: 0x1771",
            ),
            "slippage_exceeded",
        ),
        (preflight(None), "simulation_failed"),
        (
            RpcRefused(
                "sendTransaction", -32005, "Node is behind by 42 slots", {"numSlotsBehind": 42}
            ),
            "node_behind",
        ),
        (RpcRefused("sendTransaction", -32005, "Node is unhealthy", None), "node_behind"),
        (
            RpcRefused(
                "sendTransaction", -32003, "Transaction signature verification failure", None
            ),
            "rejected",
        ),
        # An internal error does not prove the node kept nothing: the confirmer decides.
        (RpcRefused("sendTransaction", -32603, "Internal error", None), None),
    ],
)
def test_a_send_refusal_is_a_failure_only_when_it_proves_nothing_was_forwarded(
    refused: RpcRefused, expected: str | None
) -> None:
    failed = send_refusal(refused)
    assert (failed.error_class if failed else None) == expected


@pytest.mark.parametrize(
    ("simulation_error", "expected"),
    [
        (
            {"errorCode": "TRANSACTION_ERROR", "error": "custom program error: 0x1788"},
            Failure("insufficient_funds", "swap simulation failed: custom program error: 0x1788"),
        ),
        (
            "Error processing Instruction 3: custom program error: 0x1771",
            Failure(
                "slippage_exceeded",
                "swap simulation failed: Error processing Instruction 3: custom program error: "
                "0x1771",
            ),
        ),
        (
            {"errorCode": "SIMULATION_FAILED"},
            Failure("simulation_failed", "swap simulation failed: SIMULATION_FAILED"),
        ),
    ],
)
def test_a_jupiter_simulation_error_is_classed_by_what_it_says(
    simulation_error: Any, expected: Failure
) -> None:
    assert simulation_failure(simulation_error) == expected
