"""execute-orders: live orders become signed Jupiter swaps sent to Solana.

For each order SQL hands over under a lease (api.claim_orders): ask Jupiter for a quote
within the order's slippage bound, read the recent prioritization fees of the pools the route
writes (getRecentPrioritizationFees) and let SQL turn them into this attempt's priority fee
(api.priority_fee), get the swap transaction with that fee, sign it with the trading keypair,
record the signature BEFORE sending (api.record_signed), then send.

With JITO_URL set and config.jito_tip_lamports set, the tip is a transfer to one of Jito's tip
accounts appended to the swap's own transaction, sent through Jito's block engine: one
transaction, so the tip lands only with the swap, and if the swap fails on chain the tip is
undone with it (only the fee is paid). Every outcome
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
import secrets
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from solders.instruction import CompiledInstruction
from solders.keypair import Keypair
from solders.message import MessageHeader, MessageV0
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM
from solders.system_program import TransferParams, transfer
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
    """The node to read the chain from and send to, Jito's block engine, the trading key."""

    rpc_url: str
    jito_url: str | None  # the block engine's root (https://mainnet.block-engine.jito.wtf)
    timeout_seconds: float
    keypair: Keypair = field(repr=False)  # never logged, never stored

    @classmethod
    def from_env(cls) -> ChainSettings:
        return cls(
            rpc_url=optional("SOLANA_RPC_URL", "https://api.mainnet-beta.solana.com"),
            jito_url=optional("JITO_URL", "").rstrip("/") or None,
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


@dataclass(frozen=True)
class Tip:
    account: Pubkey  # one of Jito's tip accounts
    lamports: int


@dataclass
class Worker:
    """One execute-orders run: its connections, opened once (a TLS context costs tens of
    milliseconds to build), and its name."""

    settings: ExecutionSettings
    jupiter: httpx.Client
    rpc: SolanaRpc  # reads the fee market, sends without Jito
    jito: SolanaRpc | None  # Jito's /api/v1/transactions, when JITO_URL is set
    name: str  # the lease owner
    tip_accounts: list[str] = field(default_factory=list)  # Jito's, read once a run


@contextmanager
def open_worker(settings: ExecutionSettings, name: str) -> Iterator[Worker]:
    timeout, jito_url = settings.chain.timeout_seconds, settings.chain.jito_url
    headers = {"x-api-key": settings.jupiter_api_key}
    with ExitStack() as stack:
        rpc = stack.enter_context(SolanaRpc(settings.chain.rpc_url, timeout))
        jito = None
        if jito_url:
            jito = stack.enter_context(SolanaRpc(f"{jito_url}/api/v1/transactions", timeout))
        client = stack.enter_context(httpx.Client(timeout=timeout, headers=headers))
        yield Worker(settings, client, rpc, jito, name)


def priority_fee(worker: Worker, quote: dict[str, Any]) -> int:
    """This attempt's priority fee (lamports), decided in SQL from the recent fees of the
    pools the route write-locks (its ammKeys). A node that cannot say is no reason to miss a
    trade: SQL's fallback fee is paid."""
    plan = quote.get("routePlan")
    steps: list[Any] = plan if isinstance(plan, list) else []
    pools = sorted({str(step["swapInfo"]["ammKey"]) for step in steps if "swapInfo" in step})
    try:
        samples = worker.rpc.recent_prioritization_fees(pools)
    except (RpcUnavailable, RpcRefused) as failed:
        logger.warning("recent prioritization fees unknown (%s): the fallback fee", failed)
        samples = []
    return int(database.rpc("priority_fee", {"samples": samples}))


def jito_tip(worker: Worker, order: dict[str, Any]) -> Tip | None:
    """The tip to pay when the swap goes through Jito: JITO_URL and config.jito_tip_lamports
    both set. The tip account is drawn among Jito's (fewer write-lock contentions)."""
    lamports = order.get("jito_tip_lamports")
    if worker.jito is None or not lamports:
        return None
    if not worker.tip_accounts:
        url = f"{worker.settings.chain.jito_url}/api/v1/getTipAccounts"
        try:
            with SolanaRpc(url, worker.settings.chain.timeout_seconds) as engine:
                worker.tip_accounts = engine.tip_accounts()
        except RpcRateLimited:
            raise AttemptFailed("rate_limited", "jito getTipAccounts: HTTP 429") from None
        except (RpcUnavailable, RpcRefused) as failed:
            raise AttemptFailed("upstream_error", f"jito getTipAccounts: {failed}") from None
    return Tip(Pubkey.from_string(secrets.choice(worker.tip_accounts)), int(lamports))


def with_tip(message: MessageV0, tip: Tip) -> MessageV0:
    """The message with a System transfer of the tip from the payer appended. The tip
    account joins the writable unsigned keys (and the System program the read-only ones if
    absent); every index past an inserted key moves up, those of lookup-loaded accounts too."""
    keys, header = list(message.account_keys), message.header
    readonly_unsigned = header.num_readonly_unsigned_accounts
    at = len(keys) - readonly_unsigned  # the end of the writable unsigned keys
    added_system = SYSTEM_PROGRAM not in keys
    new_keys = [*keys[:at], tip.account, *keys[at:], *([SYSTEM_PROGRAM] if added_system else [])]

    def moved(index: int) -> int:
        if index < at:
            return index
        return index + 1 if index < len(keys) else index + 1 + int(added_system)

    instructions = [
        CompiledInstruction(
            moved(ix.program_id_index), bytes(ix.data), bytes(moved(a) for a in bytes(ix.accounts))
        )
        for ix in message.instructions
    ]
    payer = keys[0]
    transfer_ix = transfer(
        TransferParams(from_pubkey=payer, to_pubkey=tip.account, lamports=tip.lamports)
    )
    instructions.append(
        CompiledInstruction(new_keys.index(SYSTEM_PROGRAM), bytes(transfer_ix.data), bytes([0, at]))
    )
    new_header = MessageHeader(
        header.num_required_signatures,
        header.num_readonly_signed_accounts,
        readonly_unsigned + int(added_system),
    )
    return MessageV0(
        new_header, new_keys, message.recent_blockhash, instructions, message.address_table_lookups
    )


@dataclass(frozen=True)
class SignedSwap:
    transaction: VersionedTransaction
    quote: dict[str, Any]
    swap: dict[str, Any]
    tip: Tip | None


def signed_swap(worker: Worker, order: dict[str, Any]) -> SignedSwap:
    """Quote, priority fee, swap transaction (with the tip when through Jito), signature."""
    client, settings = worker.jupiter, worker.settings
    params = {
        "inputMint": order["input_mint"],
        "outputMint": order["output_mint"],
        "amount": order["amount_in"],
        "slippageBps": str(order["slippage_bps"]),
    }
    quote = jupiter(client, "quote", client.build_request("GET", settings.quote_url, params=params))
    tip = jito_tip(worker, order)
    owner = settings.chain.keypair.pubkey()
    body = {
        "quoteResponse": quote,
        "userPublicKey": str(owner),
        "prioritizationFeeLamports": priority_fee(worker, quote),
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
    message = unsigned.message
    if tip is not None:
        if not isinstance(message, MessageV0):
            raise AttemptFailed("rejected", "swap: not a v0 transaction, no tip can be added")
        message = with_tip(message, tip)
    transaction = VersionedTransaction(message, [settings.chain.keypair])
    return SignedSwap(transaction, quote, swap, tip)


def send(
    sender: SolanaRpc, transaction: VersionedTransaction, via_jito: bool = False
) -> Failure | None:
    """Sends; returns the failure when the answer proves the transaction was not kept (so it
    cannot land), or None when it was taken or its fate is unknown (the confirmer will find
    out). Jito's block engine forwards nothing it refuses: any refusal of it is a failure."""
    step = "send via Jito" if via_jito else "send"
    try:
        sender.send_transaction(bytes(transaction), preflight=not via_jito)
    except RpcRefused as refused:
        failed = send_refusal(refused)
        if failed is None and via_jito:
            return Failure("upstream_error", f"{step}: refused ({refused.code} {refused.message})")
        if failed is not None and via_jito:
            return Failure(failed.error_class, f"{step}: {failed.detail}")
        return failed
    except RpcUnavailable as unknown:
        if not unknown.maybe_sent:
            error_class = (
                "rate_limited" if isinstance(unknown, RpcRateLimited) else "upstream_error"
            )
            return Failure(error_class, f"{step}: {unknown.reason}")
        logger.warning("%s: fate unknown (%s), left to the confirmer", step, unknown.reason)
    return None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def execute_one(order: dict[str, Any], worker: Worker) -> str:
    order_id = order["id"]
    try:
        signed = signed_swap(worker, order)
    except AttemptFailed as failed:
        database.rpc("record_failure", failure(order_id, None, failed.error_class, failed.detail))
        return failed.error_class
    signature = str(signed.transaction.signatures[0])
    database.rpc("record_signed", signed_record(order_id, worker.name, signed))
    via_jito = signed.tip is not None and worker.jito is not None
    sender = worker.jito if via_jito and worker.jito is not None else worker.rpc
    refused = send(sender, signed.transaction, via_jito)
    if refused is not None:
        database.rpc(
            "record_failure", failure(order_id, signature, refused.error_class, refused.detail)
        )
        return refused.error_class
    return "submitted"


def signed_record(order_id: int, worker: str, signed: SignedSwap) -> dict[str, Any]:
    """api.record_signed's arguments: the fees this attempt was built to pay."""
    return {
        "order_id": order_id,
        "worker": worker,
        "tx_signature": str(signed.transaction.signatures[0]),
        "last_valid_block_height": signed.swap["lastValidBlockHeight"],
        "quoted_out": signed.quote["outAmount"],
        "min_out": signed.quote["otherAmountThreshold"],
        "priority_fee_lamports": signed.swap.get("prioritizationFeeLamports"),
        "tip_lamports": signed.tip.lamports if signed.tip else None,
    }


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
    with open_worker(settings, name) as worker:
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
