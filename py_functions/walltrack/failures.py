"""What a failed swap means, as the class SQL decides on (walltrack.retryable_failure).

A program error is read with the program that raised it: the first `Program X failed` line
of the logs (an inner program fails first; Jupiter's route then fails with the same code),
so a custom code is never mistaken for another program's.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from walltrack.solana_rpc import RpcRefused

JUPITER = "JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4"
PUMP_FUN = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"
RAYDIUM_AMM_V4 = "675kPX9MHTjS2zt1qwr1NYHuzeLXfQM9H24wFSUt1Mp8"
TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"  # noqa: S105 (an address)
TOKEN_2022_PROGRAM = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"  # noqa: S105
SYSTEM_PROGRAM = "11111111111111111111111111111111"

PROGRAM_ERRORS = {
    (JUPITER, 6001): "slippage_exceeded",  # SlippageToleranceExceeded
    (JUPITER, 6024): "insufficient_funds",  # InsufficientFunds
    (PUMP_FUN, 6002): "slippage_exceeded",  # TooMuchSolRequired
    (PUMP_FUN, 6003): "slippage_exceeded",  # TooLittleSolReceived
    (RAYDIUM_AMM_V4, 30): "slippage_exceeded",  # ExceededSlippage
    (TOKEN_PROGRAM, 1): "insufficient_funds",  # InsufficientFunds
    (TOKEN_2022_PROGRAM, 1): "insufficient_funds",
    (SYSTEM_PROGRAM, 1): "insufficient_funds",  # ResultWithNegativeLamports
}
TRANSACTION_ERRORS = {
    "BlockhashNotFound": "blockhash_expired",
    "InsufficientFundsForFee": "insufficient_funds",
    "InsufficientFundsForRent": "insufficient_funds",
    "AccountNotFound": "insufficient_funds",  # the payer holds no SOL at all
}
# JSON-RPC codes of sendTransaction (agave's rpc custom errors).
PREFLIGHT_FAILURE = -32002
NODE_UNHEALTHY = -32005  # "Node is behind by N slots": checked before simulating
MIN_CONTEXT_SLOT = -32016
NOT_SENDABLE = (-32003, -32600, -32602)  # bad signature, malformed request or parameters
FAILED_LINE = re.compile(r"^Program (\w+) failed: (.*)$")
CUSTOM_CODE = re.compile(r"custom program error: 0x([0-9a-fA-F]+)")


@dataclass(frozen=True)
class Failure:
    error_class: str
    detail: str


def raising_program(logs: Any) -> str | None:
    for line in logs if isinstance(logs, list) else []:
        found = FAILED_LINE.match(line) if isinstance(line, str) else None
        if found:
            return found.group(1)
    return None


def transaction_failure(err: Any, logs: Any = None) -> Failure:
    """The class of a TransactionError in its JSON form (a status, a preflight, a meta)."""
    if isinstance(err, str):
        return Failure(TRANSACTION_ERRORS.get(err, "rejected"), err)
    instruction = err.get("InstructionError") if isinstance(err, dict) else None
    if not (isinstance(instruction, list) and len(instruction) == 2):
        return Failure("rejected", json.dumps(err)[:200])
    index, error = instruction
    program = raising_program(logs)
    if isinstance(error, dict) and type(error.get("Custom")) is int:
        code = error["Custom"]
        detail = f"program {program or 'unknown'} error {code} ({code:#x}), instruction {index}"
        return Failure(PROGRAM_ERRORS.get((program or "", code), "program_error"), detail)
    if error == "InsufficientFunds":
        return Failure("insufficient_funds", f"instruction {index}: {error}")
    return Failure("program_error", f"instruction {index}: {json.dumps(error)[:200]}")


def message_failure(message: str) -> Failure:
    """A refusal known only by its text (an error body without `data`)."""
    lowered = message.lower()
    if "blockhash not found" in lowered:
        return Failure("blockhash_expired", message)
    if "insufficient" in lowered:
        return Failure("insufficient_funds", message)
    found = CUSTOM_CODE.search(message)
    if found:  # a simulation names no program: the route's top-level one is Jupiter's
        code = int(found.group(1), 16)
        return Failure(PROGRAM_ERRORS.get((JUPITER, code), "simulation_failed"), message)
    return Failure("simulation_failed", message)


def send_refusal(refused: RpcRefused) -> Failure | None:
    """The failure a node's refusal of sendTransaction proves, or None when the node may have
    forwarded the transaction (or it already landed): then the confirmer decides."""
    if refused.code == PREFLIGHT_FAILURE:
        data = refused.data if isinstance(refused.data, dict) else {}
        err = data.get("err")
        if err == "AlreadyProcessed":
            return None
        if err is None:
            return message_failure(refused.message)
        return transaction_failure(err, data.get("logs"))
    if refused.code in (NODE_UNHEALTHY, MIN_CONTEXT_SLOT):
        return Failure("node_behind", refused.message)
    if refused.code in NOT_SENDABLE:
        return Failure("rejected", refused.message)
    return None


def simulation_failure(simulation_error: Any) -> Failure:
    """Jupiter's `simulationError` of a swap it built: {errorCode, error} or a text."""
    if isinstance(simulation_error, dict):
        text = str(simulation_error.get("error") or simulation_error.get("errorCode") or "")
    else:
        text = str(simulation_error)
    return message_failure(f"swap simulation failed: {text}"[:300])
