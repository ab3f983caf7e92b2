"""confirm-orders: what became of every submitted transaction, from the chain's view.

Statuses are read in batches. A landed swap's transaction is fetched and its real amounts
(what left and entered the wallet, the fee) go to api.record_fill; a failed one is
classified for api.record_failure. The transactions the chain does not know go to
api.expire_unlanded with the block height: SQL retries one only once the height has passed
its blockhash's last valid height, when it can never land any more.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from solana.rpc.async_api import AsyncClient
from solders.pubkey import Pubkey
from solders.signature import Signature

from walltrack import database
from walltrack.errors import Refused
from walltrack.execution import ExecutionSettings, chain_failure, failure

SOL = "So11111111111111111111111111111111111111112"
STATUS_BATCH = 256  # getSignatureStatuses takes at most 256 signatures


def token_change(balances: Any, owner: Pubkey, mint: str) -> int:
    return sum(
        int(b.ui_token_amount.amount)
        for b in balances or []
        if b.owner == owner and str(b.mint) == mint
    )


def fill_amounts(order: dict[str, Any], meta: Any, owner: Pubkey) -> tuple[int, int, int]:
    """(in, out, fee) in atomic units as the wallet saw them: SOL moved besides the fee, and
    its token account's change."""
    sol_spent = meta.pre_balances[0] - meta.post_balances[0] - meta.fee
    if order["input_mint"] == SOL:
        mint = order["output_mint"]
        tokens = token_change(meta.post_token_balances, owner, mint) - token_change(
            meta.pre_token_balances, owner, mint
        )
        return sol_spent, tokens, meta.fee
    mint = order["input_mint"]
    tokens = token_change(meta.pre_token_balances, owner, mint) - token_change(
        meta.post_token_balances, owner, mint
    )
    return tokens, -sol_spent, meta.fee


async def settle(
    client: AsyncClient, order: dict[str, Any], status: Any, owner: Pubkey
) -> tuple[str, dict[str, Any]] | None:
    """The RPC call to record for a transaction the chain knows, or None while it cannot
    be read yet."""
    signature = order["tx_signature"]
    if status.err is not None:
        return "record_failure", failure(
            order["id"], signature, chain_failure(status.err), "failed on chain"
        )
    found = await client.get_transaction(
        Signature.from_string(signature), encoding="json", max_supported_transaction_version=0
    )
    if found.value is None:
        return None  # the status ran ahead of the transaction's indexing: next round
    filled_in, filled_out, fee = fill_amounts(order, found.value.transaction.meta, owner)
    return "record_fill", {
        "order_id": order["id"],
        "tx_signature": signature,
        "filled_in": filled_in,
        "filled_out": filled_out,
        "fee_lamports": fee,
    }


@dataclass
class ChainView:
    """What the chain says of the submitted orders: the block height, the calls to record
    for the transactions it knows, and the orders whose transactions it does not know."""

    height: int = 0
    calls: dict[int, tuple[str, dict[str, Any]] | None] = field(default_factory=dict)
    unknown: list[dict[str, Any]] = field(default_factory=list)


async def read_chain(orders: list[dict[str, Any]], settings: ExecutionSettings) -> ChainView:
    owner = settings.keypair.pubkey()
    view = ChainView()
    async with AsyncClient(settings.rpc_url, timeout=settings.timeout_seconds) as client:
        view.height = (await client.get_block_height()).value
        for start in range(0, len(orders), STATUS_BATCH):
            batch = orders[start : start + STATUS_BATCH]
            signatures = [Signature.from_string(o["tx_signature"]) for o in batch]
            statuses = (await client.get_signature_statuses(signatures)).value
            for order, status in zip(batch, statuses, strict=True):
                if status is None:
                    view.unknown.append(
                        {"order_id": order["id"], "tx_signature": order["tx_signature"]}
                    )
                else:
                    view.calls[order["id"]] = await settle(client, order, status, owner)
    return view


def record(order_id: int, function: str, params: dict[str, Any]) -> str:
    """Record what the chain says of one order. An order whose record the database refuses
    becomes a fault the operator sees; the orders after it are still recorded."""
    try:
        return str(database.rpc_object(function, params)["status"])
    except Refused as refused:
        database.rpc(
            "record_fault",
            {
                "source": "confirm_orders",
                "subject": f"order {order_id}",
                "sqlstate": refused.sqlstate,
                "message": refused.message,
                "hint": refused.hint,
                "input": {"function": function, "params": params},
            },
        )
        return "fault"


def confirm() -> dict[str, Any]:
    settings = ExecutionSettings.from_env()
    orders: list[dict[str, Any]] = database.rpc("orders_to_confirm", {}) or []
    view = asyncio.run(read_chain(orders, settings))
    outcomes: dict[str, str] = {}
    for order_id, call in view.calls.items():
        if call is None:
            outcomes[str(order_id)] = "submitted"
            continue
        function, params = call
        outcomes[str(order_id)] = record(order_id, function, params)
    if view.unknown:
        outcomes |= database.rpc_object(
            "expire_unlanded", {"unknown": view.unknown, "block_height": view.height}
        )
    return {"checked": len(orders), "outcomes": outcomes}
