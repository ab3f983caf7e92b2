"""execute-orders: live orders become signed Jupiter swaps sent to Solana.

For each order SQL hands over under a lease (api.claim_orders): ask Jupiter for a quote
within the order's slippage bound, get the swap transaction, sign it with the trading
keypair, record the signature BEFORE sending (api.record_signed), then send. Every outcome
goes back to SQL, which decides retry or failure (api.record_failure). When the send's fate
is unknown (a timeout, a 5xx), nothing is recorded: the confirmer reconciles the order from
its signature, so a transaction is never sent twice.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import socket
from dataclasses import dataclass, field
from typing import Any

import httpx
from solana.exceptions import SolanaRpcException
from solana.rpc.async_api import AsyncClient
from solana.rpc.core import RPCException
from solana.rpc.models import TxOpts
from solders.keypair import Keypair
from solders.rpc.errors import SendTransactionPreflightFailureMessage
from solders.transaction import VersionedTransaction
from solders.transaction_status import (
    InstructionErrorCustom,
    TransactionErrorFieldless,
    TransactionErrorInstructionError,
)

from walltrack import database
from walltrack.errors import NotConfigured, StorageUnavailable
from walltrack.settings import optional, required

logger = logging.getLogger("walltrack.execution")

# Jupiter's program errors, as the chain reports them (InstructionError Custom codes).
JUPITER_ERRORS = {6001: "slippage_exceeded", 6024: "insufficient_funds"}
CLAIM_BATCH = 10  # orders leased at a time: a lease must outlive its batch's execution
ROUTE_ERRORS = {"TOKEN_NOT_TRADABLE": "not_tradable", "COULD_NOT_FIND_ANY_ROUTE": "no_route"}


def load_keypair(secret: str) -> Keypair:
    """The trading key: a JSON array of 64 bytes (solana-keygen's file format) or base58."""
    try:
        if secret.lstrip().startswith("["):
            return Keypair.from_bytes(bytes(json.loads(secret)))
        return Keypair.from_base58_string(secret.strip())
    except (ValueError, TypeError):
        # Never echo the value: it is the key.
        raise NotConfigured("WALLTRACK_KEYPAIR", "is not a keypair") from None


@dataclass(frozen=True)
class ExecutionSettings:
    quote_url: str
    swap_url: str
    rpc_url: str
    send_url: str  # Jito's block engine when JITO_URL is set, else the RPC node
    timeout_seconds: float
    keypair: Keypair = field(repr=False)  # never logged, never stored

    @classmethod
    def from_env(cls) -> ExecutionSettings:
        rpc_url = optional("SOLANA_RPC_URL", "https://api.mainnet-beta.solana.com")
        return cls(
            quote_url=optional("JUPITER_QUOTE_URL", "https://lite-api.jup.ag/swap/v1/quote"),
            swap_url=optional("JUPITER_SWAP_URL", "https://lite-api.jup.ag/swap/v1/swap"),
            rpc_url=rpc_url,
            send_url=optional("JITO_URL", rpc_url),
            timeout_seconds=float(optional("EXECUTION_TIMEOUT_SECONDS", "5")),
            keypair=load_keypair(required("WALLTRACK_KEYPAIR")),
        )


class AttemptFailed(Exception):
    """An attempt ended before anything was sent: SQL classifies `error_class`."""

    def __init__(self, error_class: str, detail: str) -> None:
        super().__init__(detail)
        self.error_class, self.detail = error_class, detail


def http_failure(
    step: str, failure: httpx.HTTPError | None, response: httpx.Response | None
) -> AttemptFailed:
    if isinstance(failure, httpx.TimeoutException):
        return AttemptFailed("timeout", f"{step}: no answer in time")
    if failure is not None or response is None:
        return AttemptFailed("upstream_error", f"{step}: {type(failure).__name__}")
    if response.status_code == 429:
        return AttemptFailed("rate_limited", f"{step}: HTTP 429")
    code = route_error_code(response)
    if code in ROUTE_ERRORS:
        return AttemptFailed(ROUTE_ERRORS[code], f"{step}: {code}")
    if response.status_code >= 500:
        return AttemptFailed("upstream_error", f"{step}: HTTP {response.status_code}")
    return AttemptFailed("rejected", f"{step}: HTTP {response.status_code} {code or ''}".strip())


def route_error_code(response: httpx.Response) -> str | None:
    try:
        code = response.json().get("errorCode")
    except (ValueError, AttributeError):
        return None
    return str(code) if code else None


def jupiter(client: httpx.Client, step: str, request: httpx.Request) -> dict[str, Any]:
    try:
        response = client.send(request)
    except httpx.HTTPError as failure:
        raise http_failure(step, failure, None) from None
    if response.status_code != 200:
        raise http_failure(step, None, response)
    answer: dict[str, Any] = response.json()
    return answer


def signed_swap(
    client: httpx.Client, order: dict[str, Any], settings: ExecutionSettings
) -> tuple[VersionedTransaction, dict[str, Any], dict[str, Any]]:
    """Quote, swap transaction, signature: (the signed transaction, the quote, the swap)."""
    params = {
        "inputMint": order["input_mint"],
        "outputMint": order["output_mint"],
        "amount": order["amount_in"],
        "slippageBps": str(order["slippage_bps"]),
    }
    quote = jupiter(client, "quote", client.build_request("GET", settings.quote_url, params=params))
    body = {
        "quoteResponse": quote,
        "userPublicKey": str(settings.keypair.pubkey()),
        "prioritizationFeeLamports": order["priority_fee_lamports"],
        "dynamicComputeUnitLimit": True,
    }
    swap = jupiter(client, "swap", client.build_request("POST", settings.swap_url, json=body))
    unsigned = VersionedTransaction.from_bytes(base64.b64decode(swap["swapTransaction"]))
    if unsigned.message.account_keys[0] != settings.keypair.pubkey():
        raise AttemptFailed("rejected", "swap: the transaction's payer is not our wallet")
    return VersionedTransaction(unsigned.message, [settings.keypair]), quote, swap


def chain_failure(error: Any) -> str:
    """The class of a transaction error the chain (or a preflight) reports."""
    if isinstance(error, TransactionErrorInstructionError) and isinstance(
        error.err, InstructionErrorCustom
    ):
        return JUPITER_ERRORS.get(error.err.code, "rejected")
    if error == TransactionErrorFieldless.BlockhashNotFound:
        return "blockhash_expired"
    if error == TransactionErrorFieldless.InsufficientFundsForFee:
        return "insufficient_funds"
    return "rejected"


async def send(sender: AsyncClient, transaction: VersionedTransaction) -> str | None:
    """Sends; returns the failure class when the node refused it (so it cannot land), or
    None when it was taken or its fate is unknown (the confirmer will find out)."""
    try:
        await sender.send_raw_transaction(bytes(transaction), TxOpts(skip_preflight=False))
    except RPCException as refused:
        message = refused.args[0]
        if isinstance(message, SendTransactionPreflightFailureMessage):
            if message.data.err == TransactionErrorFieldless.AlreadyProcessed:
                return None
            return chain_failure(message.data.err)
        return "rejected"
    except SolanaRpcException as unknown:
        cause = unknown.__cause__
        if isinstance(cause, httpx.HTTPStatusError) and cause.response.status_code == 429:
            return "rate_limited"
        logger.warning("send: fate unknown (%s), left to the confirmer", type(cause).__name__)
    return None


@dataclass
class Worker:
    """One execute-orders run: its name (the lease owner) and its connections, opened once
    (a TLS context costs tens of milliseconds to build)."""

    settings: ExecutionSettings
    jupiter: httpx.Client
    sender: AsyncClient
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")


async def execute_one(order: dict[str, Any], worker: Worker) -> str:
    order_id = order["id"]
    try:
        transaction, quote, swap = signed_swap(worker.jupiter, order, worker.settings)
    except AttemptFailed as failed:
        database.rpc("record_failure", failure(order_id, None, failed.error_class, failed.detail))
        return failed.error_class
    signature = str(transaction.signatures[0])
    database.rpc(
        "record_signed",
        {
            "order_id": order_id,
            "worker": worker.name,
            "tx_signature": signature,
            "last_valid_block_height": swap["lastValidBlockHeight"],
            "quoted_out": quote["outAmount"],
            "min_out": quote["otherAmountThreshold"],
            "priority_fee_lamports": swap.get("prioritizationFeeLamports"),
            "tip_lamports": None,
        },
    )
    refused = await send(worker.sender, transaction)
    if refused is not None:
        database.rpc("record_failure", failure(order_id, signature, refused, "send refused"))
        return refused
    return "submitted"


def failure(order_id: int, signature: str | None, error_class: str, detail: str) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "tx_signature": signature,
        "error_class": error_class,
        "detail": detail,
    }


def execute(order_ids: list[int] | None = None) -> dict[str, Any]:
    """Claims the due live orders (or the given ones), a batch at a time, and executes
    each; returns what happened to each claimed order."""
    return asyncio.run(execute_all(order_ids, ExecutionSettings.from_env()))


async def execute_all(order_ids: list[int] | None, settings: ExecutionSettings) -> dict[str, Any]:
    outcomes: dict[str, str] = {}
    async with AsyncClient(settings.send_url, timeout=settings.timeout_seconds) as sender:
        with httpx.Client(timeout=settings.timeout_seconds) as jupiter:
            worker = Worker(settings, jupiter, sender)
            while claimed := database.rpc(
                "claim_orders",
                {"worker": worker.name, "order_ids": order_ids, "max_orders": CLAIM_BATCH},
            ):
                for order in claimed:
                    outcomes[str(order["id"])] = await execute_claimed(order, worker)
    return {"claimed": len(outcomes), "outcomes": outcomes}


async def execute_claimed(order: dict[str, Any], worker: Worker) -> str:
    try:
        return await execute_one(order, worker)
    except StorageUnavailable as lost:
        # Lease lost, a duplicate transaction or the database away: nothing was sent.
        logger.warning("order %s: %s", order["id"], lost.detail)
        return "not_recorded"
