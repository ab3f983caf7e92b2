"""confirm-orders: what became of every submitted transaction, from the chain's view.

Statuses are read in batches, first from the node's recent status cache, then, for the
signatures it does not know, with a search of the transaction history: a swap that landed
long ago (the confirmer paused, the RPC rate-limited) is still found and recorded as landed.
A landed swap's transaction is fetched and its real amounts make a fill; a failed one is
classified as a failure, with the fee it paid all the same (charged to the position in
SQL). Only the transactions that even the history does not know are handed over for expiry,
with a finalized block height read BEFORE the statuses: SQL retries one only once that
height has passed its blockhash's last valid height, when it can never
land any more. So a landed swap is never traded twice.

The run records all of it in one call, api.record_confirmations. Each order is settled on
its own: one whose transaction cannot be read, or whose record the database refuses,
becomes a fault the operator sees (walltrack.faults) and the others are still recorded.
"""

from __future__ import annotations

import logging
from typing import Any

from walltrack import database
from walltrack.errors import UpstreamFailed
from walltrack.execution import ChainSettings, failure, is_recoverable
from walltrack.failures import transaction_failure
from walltrack.solana_rpc import RpcRefused, RpcUnavailable, SolanaRpc

logger = logging.getLogger("walltrack.confirmation")

SOL = "So11111111111111111111111111111111111111112"
STATUS_BATCH = 256  # getSignatureStatuses takes at most 256 signatures

# One order's outcome to record: the list of api.record_confirmations it goes to (fills,
# failures, faults) and its element there.
Outcome = tuple[str, dict[str, Any]]


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
    A Jito tip rides in the swap's transaction: it left the wallet too, but it is a fee, not
    the swap's (the order keeps it as tip_lamports), so it is taken out of the SOL leg.
    Whether the amounts make a fill (both above zero) is record_fill's rule, in SQL."""
    meta = found["meta"]
    if found["transaction"]["message"]["accountKeys"][0] != owner:
        raise UnreadableFill("our wallet is not the transaction's fee payer")
    pre, post, fee = meta["preBalances"], meta["postBalances"], int(meta["fee"])
    pre_tokens = meta.get("preTokenBalances") or []
    post_tokens = meta.get("postTokenBalances") or []
    ours = {0} | {b["accountIndex"] for b in pre_tokens + post_tokens if b.get("owner") == owner}
    tip = int(order.get("tip_lamports") or 0)
    sol_out = -sum(int(post[i]) - int(pre[i]) for i in ours) - fee - tip
    buying = order["input_mint"] == SOL
    mint = order["output_mint"] if buying else order["input_mint"]
    tokens_in = token_amount(post_tokens, owner, mint) - token_amount(pre_tokens, owner, mint)
    filled_in, filled_out = (sol_out, tokens_in) if buying else (-tokens_in, -sol_out)
    return filled_in, filled_out, fee


def settlement(
    rpc: SolanaRpc, order: dict[str, Any], status: dict[str, Any], owner: str
) -> Outcome | None:
    """What to record of a transaction the chain knows, or None while it cannot be read yet."""
    if status.get("confirmationStatus") == "processed":
        return None  # a processed block can still be dropped with its fork
    signature = order["tx_signature"]
    found = rpc.transaction(signature)
    if found is None:
        return None  # the status ran ahead of the transaction's indexing: next round
    if status.get("err") is not None:
        # It landed and failed: it still paid its fee, which SQL charges to the position.
        failed = transaction_failure(status["err"], found["meta"].get("logMessages"))
        detail = f"failed on chain: {failed.detail}"
        paid = {"fee_lamports": int(found["meta"]["fee"])}
        return "failures", failure(order["id"], signature, failed.error_class, detail) | paid
    filled_in, filled_out, fee = fill_amounts(order, found, owner)
    return "fills", {
        "order_id": order["id"],
        "tx_signature": signature,
        "filled_in": filled_in,
        "filled_out": filled_out,
        "fee_lamports": fee,
    }


def settle(
    rpc: SolanaRpc, order: dict[str, Any], status: dict[str, Any], owner: str
) -> Outcome | None:
    """One order's outcome; whatever goes wrong reading it stays with it: a node that cannot
    say leaves the order to the next run (None), a transaction we cannot read is a fault."""
    try:
        return settlement(rpc, order, status, owner)
    except (RpcUnavailable, RpcRefused) as failed:
        logger.warning("order %s: the node could not say (%s), next run", order["id"], failed)
        return None
    except BaseException as unreadable:
        if not is_recoverable(unreadable):
            raise
        message = f"cannot read the transaction: {type(unreadable).__name__}: {unreadable}"
        return "faults", {
            "order_id": order["id"],
            "message": message[:300],
            "input": {"order": order},
        }


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


def sort_out(
    rpc: SolanaRpc, orders: list[dict[str, Any]], statuses: dict[str, Any], owner: str
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
    """What to record of the run, as api.record_confirmations takes it (fills, failures,
    faults, unknown), and the orders left submitted until a later run can read them."""
    run: dict[str, list[dict[str, Any]]] = {
        "fills": [],
        "failures": [],
        "faults": [],
        "unknown": [],
    }
    waiting: dict[str, str] = {}
    for order in orders:
        status = statuses[order["tx_signature"]]
        if status is None:
            run["unknown"].append({"order_id": order["id"], "tx_signature": order["tx_signature"]})
        elif (outcome := settle(rpc, order, status, owner)) is None:
            waiting[str(order["id"])] = "submitted"
        else:
            kind, element = outcome
            run[kind].append(element)
    return run, waiting


def confirm() -> dict[str, Any]:
    settings = ChainSettings.from_env()
    owner = str(settings.keypair.pubkey())
    orders: list[dict[str, Any]] = database.rpc("orders_to_confirm", {}) or []
    with SolanaRpc(settings.rpc_url, settings.timeout_seconds) as rpc:
        try:
            # Read first: a transaction unknown at statuses read later cannot have landed
            # by this height.
            height = rpc.block_height()
            statuses = chain_statuses(rpc, [order["tx_signature"] for order in orders])
        except (RpcUnavailable, RpcRefused) as failed:
            raise UpstreamFailed(f"confirm-orders: {failed}") from None
        run, outcomes = sort_out(rpc, orders, statuses, owner)
    if any(run.values()):  # one call records the whole run
        outcomes |= database.rpc_object("record_confirmations", {**run, "block_height": height})
    return {"checked": len(orders), "outcomes": outcomes}
