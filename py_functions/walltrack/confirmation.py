"""confirm-orders: what became of every submitted transaction, from the chain's view.

Statuses are read in batches, first from the node's recent status cache, then, for the
signatures it does not know, with a search of the transaction history: a swap that landed
long ago (the confirmer paused, the RPC rate-limited) is still found and recorded as landed.
A landed swap's transaction is fetched and its real amounts go to api.record_fill; a failed
one is classified for api.record_failure. Only the transactions that even the history does
not know go to api.expire_unlanded, with a finalized block height read BEFORE the statuses:
SQL retries one only once that height has passed its blockhash's last valid height, when it
can never land any more. So a landed swap is never traded twice.

Each order is settled on its own: one that cannot be read or recorded becomes a fault the
operator sees (walltrack.faults) and the run goes on.
"""

from __future__ import annotations

import logging
from typing import Any

from walltrack import database
from walltrack.errors import Refused, UpstreamFailed
from walltrack.execution import ChainSettings, failure, is_recoverable
from walltrack.failures import transaction_failure
from walltrack.solana_rpc import RpcRefused, RpcUnavailable, SolanaRpc

logger = logging.getLogger("walltrack.confirmation")

SOL = "So11111111111111111111111111111111111111112"
STATUS_BATCH = 256  # getSignatureStatuses takes at most 256 signatures

Call = tuple[str, dict[str, Any]]


class UnreadableFill(ValueError):
    """The transaction is not one our wallet paid for."""


def token_amount(balances: list[Any], owner: str, mint: str) -> int:
    return sum(
        int(b["uiTokenAmount"]["amount"])
        for b in balances
        if b.get("owner") == owner and b.get("mint") == mint
    )


def fill_amounts(order: dict[str, Any], found: dict[str, Any], owner: str) -> tuple[int, int, int]:
    """(in, out, fee) in atomic units: what the swap itself moved for our wallet.

    The SOL leg is the change of all the lamports the wallet owns, its own account and its
    token accounts together (the Helius normaliser's rule): a token account opened by the
    swap (its rent) or the empty wSOL account it closes (the rent refunded) moves lamports
    between them, not out of the wallet, and wrapped SOL counts as SOL. The accounts are
    named by index, so the addresses a v0 transaction loads from lookup tables count too.
    Whether the amounts make a fill (both above zero) is record_fill's rule, in SQL."""
    meta = found["meta"]
    if found["transaction"]["message"]["accountKeys"][0] != owner:
        raise UnreadableFill("our wallet is not the transaction's fee payer")
    pre, post, fee = meta["preBalances"], meta["postBalances"], int(meta["fee"])
    pre_tokens = meta.get("preTokenBalances") or []
    post_tokens = meta.get("postTokenBalances") or []
    ours = {0} | {b["accountIndex"] for b in pre_tokens + post_tokens if b.get("owner") == owner}
    sol_out = -sum(int(post[i]) - int(pre[i]) for i in ours) - fee
    buying = order["input_mint"] == SOL
    mint = order["output_mint"] if buying else order["input_mint"]
    tokens_in = token_amount(post_tokens, owner, mint) - token_amount(pre_tokens, owner, mint)
    filled_in, filled_out = (sol_out, tokens_in) if buying else (-tokens_in, -sol_out)
    return filled_in, filled_out, fee


def settlement(
    rpc: SolanaRpc, order: dict[str, Any], status: dict[str, Any], owner: str
) -> Call | None:
    """The RPC call to record for a transaction the chain knows, or None while it cannot be
    read yet."""
    if status.get("confirmationStatus") == "processed":
        return None  # a processed block can still be dropped with its fork
    signature = order["tx_signature"]
    found = rpc.transaction(signature)
    if found is None:
        return None  # the status ran ahead of the transaction's indexing: next round
    if status.get("err") is not None:
        failed = transaction_failure(status["err"], found["meta"].get("logMessages"))
        return "record_failure", failure(
            order["id"], signature, failed.error_class, f"failed on chain: {failed.detail}"
        )
    filled_in, filled_out, fee = fill_amounts(order, found, owner)
    return "record_fill", {
        "order_id": order["id"],
        "tx_signature": signature,
        "filled_in": filled_in,
        "filled_out": filled_out,
        "fee_lamports": fee,
    }


def settle(rpc: SolanaRpc, order: dict[str, Any], status: dict[str, Any], owner: str) -> str:
    """One order's outcome; whatever goes wrong with it stays with it."""
    subject = f"order {order['id']}"
    try:
        call = settlement(rpc, order, status, owner)
    except (RpcUnavailable, RpcRefused) as failed:
        logger.warning("%s: the node could not say (%s), next run", subject, failed)
        return "submitted"
    except BaseException as unreadable:
        if not is_recoverable(unreadable):
            raise
        message = f"cannot read the transaction: {type(unreadable).__name__}: {unreadable}"
        database.record_fault("confirm_orders", subject, message[:300], {"order": order})
        return "fault"
    if call is None:
        return "submitted"
    return record(subject, *call)


def record(subject: str, function: str, params: dict[str, Any]) -> str:
    """Record what the chain says of one order. An order whose record the database refuses
    becomes a fault the operator sees; the orders after it are still recorded."""
    try:
        return str(database.rpc_object(function, params)["status"])
    except Refused as refused:
        inputs = {"function": function, "params": params}
        database.record_fault("confirm_orders", subject, refused.message, inputs, refused)
        return "fault"


def chain_statuses(rpc: SolanaRpc, signatures: list[str]) -> dict[str, Any]:
    """Each signature's status, or None when neither the cache nor the history knows it."""
    statuses: dict[str, Any] = {}
    for search_history in (False, True):
        wanted = [s for s in signatures if statuses.get(s) is None]
        for start in range(0, len(wanted), STATUS_BATCH):
            batch = wanted[start : start + STATUS_BATCH]
            found = rpc.signature_statuses(batch, search_history)
            statuses.update(zip(batch, found, strict=True))
    return statuses


def confirm() -> dict[str, Any]:
    settings = ChainSettings.from_env()
    owner = str(settings.keypair.pubkey())
    orders: list[dict[str, Any]] = database.rpc("orders_to_confirm", {}) or []
    outcomes: dict[str, str] = {}
    unknown: list[dict[str, Any]] = []
    with SolanaRpc(settings.rpc_url, settings.timeout_seconds) as rpc:
        try:
            # Read first: a transaction unknown at statuses read later cannot have landed
            # by this height.
            height = rpc.block_height()
            statuses = chain_statuses(rpc, [order["tx_signature"] for order in orders])
        except (RpcUnavailable, RpcRefused) as failed:
            raise UpstreamFailed(f"confirm-orders: {failed}") from None
        for order in orders:
            status = statuses[order["tx_signature"]]
            if status is None:
                unknown.append({"order_id": order["id"], "tx_signature": order["tx_signature"]})
            else:
                outcomes[str(order["id"])] = settle(rpc, order, status, owner)
    if unknown:
        outcomes |= database.rpc_object(
            "expire_unlanded", {"unknown": unknown, "block_height": height}
        )
    return {"checked": len(orders), "outcomes": outcomes}
