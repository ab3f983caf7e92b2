"""The Solana JSON-RPC calls of live trading, as plain JSON over httpx.

Not solana-py's client: it parses answers with solders, which panics (an exception that is
not an `Exception`, so it kills the worker) on error bodies real providers send, such as a
preflight failure or an unhealthy node without `data`, and it cannot tell a refusal that
proves nothing was forwarded from a send whose fate is unknown. Here an answer is a value or
one of two failures: `RpcRefused` (the node answered with a JSON-RPC error) or
`RpcUnavailable` (no usable answer: timeout, connection, HTTP status, not JSON).
"""

from __future__ import annotations

import base64
from types import TracebackType
from typing import Any

import httpx

# Commitment of the block height that proves a transaction can no longer land: a finalized
# block past its last valid height can never be rolled back.
PROOF_COMMITMENT = "finalized"
# Jupiter builds swaps on a recent (confirmed) blockhash; a preflight at `finalized` would
# not know it yet and refuse the swap as BlockhashNotFound.
PREFLIGHT_COMMITMENT = "confirmed"


class RpcUnavailable(Exception):
    """No usable answer. `maybe_sent` is False only when the request never reached the node
    (the connection failed), so a transaction in it cannot have been forwarded."""

    def __init__(self, method: str, reason: str, maybe_sent: bool = True) -> None:
        super().__init__(f"{method}: {reason}")
        self.reason, self.maybe_sent = reason, maybe_sent


class RpcRateLimited(RpcUnavailable):
    """HTTP 429: the provider refused the call itself; nothing reached the node."""

    def __init__(self, method: str) -> None:
        super().__init__(method, "HTTP 429", maybe_sent=False)


class RpcRefused(Exception):
    """The node's JSON-RPC error: its code, message and (optional) data."""

    def __init__(self, method: str, code: int, message: str, data: Any) -> None:
        super().__init__(f"{method}: {code} {message}")
        self.code, self.message, self.data = code, message, data


def refusal(method: str, error: Any) -> RpcRefused:
    if not isinstance(error, dict):
        return RpcRefused(method, 0, str(error)[:300], None)
    code = error.get("code")
    return RpcRefused(
        method,
        code if type(code) is int else 0,
        str(error.get("message", ""))[:300],
        error.get("data"),
    )


class SolanaRpc:
    """One connection to a node for a run (a TLS context costs tens of milliseconds)."""

    def __init__(self, url: str, timeout_seconds: float) -> None:
        self.url = url
        self.http = httpx.Client(timeout=timeout_seconds)

    def __enter__(self) -> SolanaRpc:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.http.close()

    def call(self, method: str, params: list[Any]) -> Any:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        try:
            response = self.http.post(self.url, json=body)
        except httpx.ConnectError:
            raise RpcUnavailable(method, "no connection", maybe_sent=False) from None
        except httpx.HTTPError as failure:
            raise RpcUnavailable(method, type(failure).__name__) from None
        if response.status_code == 429:
            raise RpcRateLimited(method)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if isinstance(answer, dict) and "error" in answer:
            error = answer["error"]
            if isinstance(error, dict) and error.get("code") == 429:  # providers' JSON form
                raise RpcRateLimited(method)
            raise refusal(method, error)
        if response.status_code != 200 or not isinstance(answer, dict) or "result" not in answer:
            raise RpcUnavailable(method, f"HTTP {response.status_code}, no result")
        return answer["result"]

    def block_height(self) -> int:
        height = self.call("getBlockHeight", [{"commitment": PROOF_COMMITMENT}])
        if type(height) is not int:
            raise RpcUnavailable("getBlockHeight", "not a block height")
        return height

    def signature_statuses(self, signatures: list[str], search_history: bool) -> list[Any]:
        """One status (a dict) or None per signature, in order. Without the history search a
        node answers from its recent status cache only (a few hundred slots)."""
        config = {"searchTransactionHistory": search_history}
        result = self.call("getSignatureStatuses", [signatures, config])
        statuses = result.get("value") if isinstance(result, dict) else None
        if not isinstance(statuses, list) or len(statuses) != len(signatures):
            raise RpcUnavailable("getSignatureStatuses", "not one status per signature")
        return statuses

    def transaction(self, signature: str) -> dict[str, Any] | None:
        config = {
            "encoding": "json",
            "commitment": "confirmed",
            "maxSupportedTransactionVersion": 0,
        }
        found = self.call("getTransaction", [signature, config])
        if found is not None and not isinstance(found, dict):
            raise RpcUnavailable("getTransaction", "not a transaction")
        return found

    def send_transaction(self, transaction: bytes, preflight: bool = True) -> None:
        """Without preflight for Jito's block engine, which takes the encoding only (it
        never simulates before forwarding)."""
        config: dict[str, Any] = {"encoding": "base64"}
        if preflight:
            config |= {"skipPreflight": False, "preflightCommitment": PREFLIGHT_COMMITMENT}
        self.call("sendTransaction", [base64.b64encode(transaction).decode(), config])

    def recent_prioritization_fees(self, writable_accounts: list[str]) -> list[int]:
        """The recent slots' fees (micro-lamports per compute unit) of transactions that
        write-locked these accounts; possibly none."""
        found = self.call("getRecentPrioritizationFees", [writable_accounts])
        entries = found if isinstance(found, list) else [None]
        fees = [
            entry.get("prioritizationFee") if isinstance(entry, dict) else None for entry in entries
        ]
        if not all(type(fee) is int and fee >= 0 for fee in fees):
            raise RpcUnavailable("getRecentPrioritizationFees", "not a list of fees")
        return [int(fee) for fee in fees if fee is not None]

    def tip_accounts(self) -> list[str]:
        """Jito's tip accounts (getTipAccounts on the block engine)."""
        found = self.call("getTipAccounts", [])
        if not isinstance(found, list) or not found or not all(isinstance(a, str) for a in found):
            raise RpcUnavailable("getTipAccounts", "not a list of accounts")
        return found
