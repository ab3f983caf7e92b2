"""Jito's block engine: `getTipAccounts` and `sendTransaction` (JSON-RPC under /api/v1).

A transaction sent here is forwarded without preflight (as Jito always does) to the same
simulated chain, but only when it pays a tip: a System transfer of at least 1,000 lamports to
one of the tip accounts. Otherwise, or when the injected `jito_rejects` fault fires (a lost
auction), it is refused with a JSON-RPC error and never forwarded. Rate limits (HTTP 429)
and outages are the usual answer faults.
"""

from __future__ import annotations

from solders.transaction import VersionedTransaction

from simulator.chain import SYSTEM_PROGRAM, SYSTEM_TRANSFER
from simulator.faults import Decision
from simulator.http import Reply, Request, json_reply
from simulator.rpc import RpcError, decode_transaction, envelope, invalid_params, submit
from simulator.world import World

# The tip accounts Jito publishes (getTipAccounts on mainnet).
TIP_ACCOUNTS = (
    "96gYZGLnJYVFmbjzopPSU6QiEV5fGqZNyN9nmNhvrZU5",
    "HFqU5x63VTqvQss8hp11i4wVV8bD44PvwucfZ2bU7gRe",
    "Cw8CFyM9FkoMi7K7Crf6HNQqf4uEMzpKw6QNghXLvLkY",
    "ADaUMid9yfUytqMBgopwjb2DTLSokTSzL1zt6iGPaS49",
    "DfXygSm4jCyNCybVYYK6DwvWqjKee8pbDmJGcLWNDXjh",
    "ADuUkR4vqLUMWXxW9gh6D6L8pMSawimctcNZ5pGwDcEt",
    "DttWaMuVvTiduZRnguLF7jNxTgiMBZ1hyAumKUiL2KRL",
    "3AVi9Tg9Uo68tJfuvoKvqKNWKkC5wPdSSdeBnizKZ6jT",
)
MIN_TIP_LAMPORTS = 1000


def handle(world: World, request: Request, decision: Decision) -> Reply:
    try:
        body = request.json()
    except ValueError:
        return json_reply(envelope(None, error=RpcError(-32700, "Parse error")))
    if not isinstance(body, dict) or not isinstance(body.get("method"), str):
        return json_reply(envelope(None, error=RpcError(-32600, "Invalid request")))
    request_id, params = body.get("id"), body.get("params") or []
    try:
        if body["method"] == "getTipAccounts":
            return json_reply(envelope(request_id, result=list(TIP_ACCOUNTS)))
        if body["method"] != "sendTransaction" or not request.path.endswith("/transactions"):
            raise RpcError(-32601, "Method not found")
        return json_reply(envelope(request_id, result=send(world, params, decision)))
    except RpcError as error:
        return json_reply(envelope(request_id, error=error))


def send(world: World, params: list[object], decision: Decision) -> str:
    config = params[1] if len(params) > 1 and isinstance(params[1], dict) else {}
    encoding = config.get("encoding", "base58")
    if encoding not in ("base58", "base64"):
        raise invalid_params(f"unsupported encoding: {encoding}")
    transaction = decode_transaction(params[0] if params else None, encoding)
    if not all(transaction.verify_with_results()):
        raise RpcError(-32003, "Transaction signature verification failure")
    if "jito_rejects" in decision.chain:
        raise RpcError(-32000, "Transaction rejected: the bundle lost the auction, not forwarded")
    with world.lock:
        if tip_paid(world, transaction) < MIN_TIP_LAMPORTS:
            raise invalid_params(
                f"transaction must tip one of the tip accounts at least {MIN_TIP_LAMPORTS} "
                "lamports (getTipAccounts)"
            )
        return submit(world, transaction, True, "confirmed", decision)


def tip_paid(world: World, transaction: VersionedTransaction) -> int:
    """Lamports the transaction transfers to Jito's tip accounts."""
    message = transaction.message
    keys = [str(key) for key in world.state.chain.account_keys(message)]
    paid = 0
    for instruction in message.instructions:
        data, accounts = bytes(instruction.data), bytes(instruction.accounts)
        if keys[instruction.program_id_index] != SYSTEM_PROGRAM or len(data) != 12:
            continue
        if (
            int.from_bytes(data[:4], "little") == SYSTEM_TRANSFER
            and keys[accounts[1]] in TIP_ACCOUNTS
        ):
            paid += int.from_bytes(data[4:], "little")
    return paid
