"""execute-orders: live orders become signed Jupiter swaps sent to Solana.

For each order SQL hands over under a lease (api.claim_orders): ask Jupiter for a quote
within the order's slippage bound, get the swap transaction, sign it with the trading
keypair, record the signature BEFORE sending (api.record_signed), then send. Every outcome
goes back to SQL, which decides retry or failure (api.record_failure). When the send's fate
is unknown (a timeout, a 5xx, a refusal that does not prove the node kept it), nothing is
recorded: the confirmer reconciles the order from its signature, so a transaction is never
sent twice.

Jupiter refusing our API key is not a failure of the order: the run stops, the orders it
claimed go back untouched (api.release_order) and the operator is told (walltrack.faults).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
from dataclasses import dataclass, field
from typing import Any

import httpx
from solders.keypair import Keypair
from solders.transaction import VersionedTransaction

from walltrack import database
from walltrack.errors import NotConfigured, StorageUnavailable, WalltrackError
from walltrack.failures import Failure, send_refusal, simulation_failure
from walltrack.settings import optional, required
from walltrack.solana_rpc import RpcRateLimited, RpcRefused, RpcUnavailable, SolanaRpc

logger = logging.getLogger("walltrack.execution")

CLAIM_BATCH = 10  # orders leased at a time: a lease must outlive its batch's execution
ROUTE_ERRORS = {"TOKEN_NOT_TRADABLE": "not_tradable", "COULD_NOT_FIND_ANY_ROUTE": "no_route"}
KEY_REFUSED = (401, 403)
JUPITER_SWAP_API = "https://api.jup.ag/swap/v1"


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
class ChainSettings:
    """The node to read the chain from, where to send, and the trading key."""

    rpc_url: str
    send_url: str  # Jito's block engine when JITO_URL is set, else the RPC node
    timeout_seconds: float
    keypair: Keypair = field(repr=False)  # never logged, never stored

    @classmethod
    def from_env(cls) -> ChainSettings:
        rpc_url = optional("SOLANA_RPC_URL", "https://api.mainnet-beta.solana.com")
        return cls(
            rpc_url=rpc_url,
            send_url=optional("JITO_URL", rpc_url),
            timeout_seconds=float(optional("EXECUTION_TIMEOUT_SECONDS", "5")),
            keypair=load_keypair(required("WALLTRACK_KEYPAIR")),
        )


@dataclass(frozen=True)
class ExecutionSettings:
    quote_url: str
    swap_url: str
    chain: ChainSettings
    jupiter_api_key: str = field(repr=False)  # Jupiter's swap API answers 401 without it

    @classmethod
    def from_env(cls) -> ExecutionSettings:
        return cls(
            quote_url=optional("JUPITER_QUOTE_URL", f"{JUPITER_SWAP_API}/quote"),
            swap_url=optional("JUPITER_SWAP_URL", f"{JUPITER_SWAP_API}/swap"),
            chain=ChainSettings.from_env(),
            jupiter_api_key=required("JUPITER_API_KEY"),
        )


class AttemptFailed(Exception):
    """An attempt ended before anything was sent: SQL classifies `error_class`."""

    def __init__(self, error_class: str, detail: str) -> None:
        super().__init__(detail)
        self.error_class, self.detail = error_class, detail


class KeyRefused(Exception):
    """Jupiter refused our API key: no order can be executed until the operator fixes it."""


class ExecutionStopped(WalltrackError):
    status = 503
    public_message = "live execution stopped: Jupiter refused the API key"


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
    if response.status_code in KEY_REFUSED:
        raise KeyRefused(f"{step}: HTTP {response.status_code}")
    if response.status_code != 200:
        raise http_failure(step, None, response)
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise AttemptFailed("upstream_error", f"{step}: the answer is not a JSON object")
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
    owner = settings.chain.keypair.pubkey()
    body = {
        "quoteResponse": quote,
        "userPublicKey": str(owner),
        "prioritizationFeeLamports": order["priority_fee_lamports"],
        "dynamicComputeUnitLimit": True,
    }
    swap = jupiter(client, "swap", client.build_request("POST", settings.swap_url, json=body))
    if swap.get("simulationError"):
        # Jupiter ran the transaction and it failed: sending it would only pay the fee.
        failed = simulation_failure(swap["simulationError"])
        raise AttemptFailed(failed.error_class, failed.detail)
    unsigned = VersionedTransaction.from_bytes(base64.b64decode(swap["swapTransaction"]))
    if unsigned.message.account_keys[0] != owner:
        raise AttemptFailed("rejected", "swap: the transaction's payer is not our wallet")
    return VersionedTransaction(unsigned.message, [settings.chain.keypair]), quote, swap


def send(sender: SolanaRpc, transaction: VersionedTransaction) -> Failure | None:
    """Sends; returns the failure when the node's answer proves it did not keep the
    transaction (so it cannot land), or None when it was taken or its fate is unknown (the
    confirmer will find out)."""
    try:
        sender.send_transaction(bytes(transaction))
    except RpcRefused as refused:
        return send_refusal(refused)
    except RpcUnavailable as unknown:
        if not unknown.maybe_sent:
            error_class = (
                "rate_limited" if isinstance(unknown, RpcRateLimited) else "upstream_error"
            )
            return Failure(error_class, f"send: {unknown.reason}")
        logger.warning("send: fate unknown (%s), left to the confirmer", unknown.reason)
    return None


@dataclass
class Worker:
    """One execute-orders run: its connections, opened once (a TLS context costs tens of
    milliseconds to build), and its name."""

    settings: ExecutionSettings
    jupiter: httpx.Client
    sender: SolanaRpc
    name: str  # the lease owner


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def execute_one(order: dict[str, Any], worker: Worker) -> str:
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
    refused = send(worker.sender, transaction)
    if refused is not None:
        database.rpc(
            "record_failure", failure(order_id, signature, refused.error_class, refused.detail)
        )
        return refused.error_class
    return "submitted"


def failure(order_id: int, signature: str | None, error_class: str, detail: str) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "tx_signature": signature,
        "error_class": error_class,
        "detail": detail,
    }


def is_recoverable(error: BaseException) -> bool:
    """What one order's work may raise and the run survive: an exception, or a native
    library's panic (pyo3's PanicException derives from BaseException only). Anything else
    (KeyboardInterrupt, SystemExit) means the process is stopping."""
    return isinstance(error, Exception) or type(error).__name__ == "PanicException"


def execute(
    order_ids: list[int] | None = None, claimed: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Claims the due live orders (or the given ones), a batch at a time, and executes
    each; returns what happened to each claimed order. Orders already claimed for this
    worker (a decision hands them over so) are executed as they are, without a claim. With
    nothing to execute, nothing is asked of the configuration (a paper-only deployment has
    no trading key)."""
    name = worker_name()
    handed_over = claimed is not None
    claimed = claimed if claimed is not None else claim(name, order_ids)
    if not claimed:
        return {"claimed": 0, "outcomes": {}}
    try:
        settings = ExecutionSettings.from_env()
    except NotConfigured as missing:
        give_back(claimed, name, "configuration", missing.detail)
        raise
    outcomes: dict[str, str] = {}
    timeout = settings.chain.timeout_seconds
    headers = {"x-api-key": settings.jupiter_api_key}
    with (
        SolanaRpc(settings.chain.send_url, timeout) as sender,
        httpx.Client(timeout=timeout, headers=headers) as jupiter_client,
    ):
        worker = Worker(settings, jupiter_client, sender, name)
        while claimed:
            execute_batch(claimed, worker, outcomes)
            claimed = [] if handed_over else claim(name, order_ids)
    return {"claimed": len(outcomes), "outcomes": outcomes}


def claim(name: str, order_ids: list[int] | None) -> list[dict[str, Any]]:
    params = {"worker": name, "order_ids": order_ids, "max_orders": CLAIM_BATCH}
    return database.rpc("claim_orders", params) or []


def give_back(claimed: list[dict[str, Any]], name: str, subject: str, problem: str) -> None:
    """The run cannot execute these for a reason that is not theirs: they go back untouched,
    and the operator is told what to fix."""
    for order in claimed:
        database.rpc("release_order", {"order_id": order["id"], "worker": name})
    database.record_fault(
        "execute_orders", subject, f"{problem}; live orders stay pending until it is fixed"
    )


def execute_batch(claimed: list[dict[str, Any]], worker: Worker, outcomes: dict[str, str]) -> None:
    for index, order in enumerate(claimed):
        try:
            outcomes[str(order["id"])] = execute_claimed(order, worker)
        except KeyRefused as refused:
            problem = f"Jupiter refused the API key ({refused}): set a valid JUPITER_API_KEY"
            give_back(claimed[index:], worker.name, "jupiter api key", problem)
            raise ExecutionStopped(str(refused)) from None


def execute_claimed(order: dict[str, Any], worker: Worker) -> str:
    """One order, whatever happens to it: the others of the batch still run."""
    try:
        return execute_one(order, worker)
    except StorageUnavailable as lost:
        # Lease lost, a duplicate transaction or the database away: nothing was sent.
        logger.warning("order %s: %s", order["id"], lost.detail)
        return "not_recorded"
    except KeyRefused:
        raise
    except BaseException as unexpected:
        if not is_recoverable(unexpected):
            raise
        # Whatever was recorded stands: a signed order is reconciled by the confirmer, a
        # claimed one is freed when its lease expires.
        logger.exception("order %s: unexpected failure", order["id"])
        database.record_fault(
            "execute_orders",
            f"order {order['id']}",
            f"{type(unexpected).__name__}: {unexpected}"[:300],
        )
        return "fault"
