"""reconcile-wallet: what the trading key holds on chain, handed to SQL to compare.

The key's token accounts are read with getTokenAccountsByOwner (jsonParsed) over both token
programs, Token and Token-2022, and its SOL balance with getBalance; the database's clock is
taken BEFORE the read (api.chain_read_started), so SQL knows which fills may have landed
after it. The accounts go to api.reconcile_wallet as they are, one per account: summing per
mint, comparing with the open live positions and recording findings are SQL's
(walltrack.reconcile_wallet). A read that fails or answers something that is not a list of
token accounts stops the run before anything is written: a half-read wallet would raise
phantoms for every token it missed.
"""

from __future__ import annotations

import logging
from typing import Any

import flask

from walltrack import auth, database
from walltrack.errors import UpstreamFailed
from walltrack.execution import ChainSettings
from walltrack.failures import TOKEN_2022_PROGRAM, TOKEN_PROGRAM
from walltrack.solana_rpc import RpcRefused, RpcUnavailable, SolanaRpc

logger = logging.getLogger("walltrack.reconciliation")

TOKEN_PROGRAMS = (TOKEN_PROGRAM, TOKEN_2022_PROGRAM)
# Confirmed: what the confirmer records fills from; finalized lags it by about 13 seconds.
COMMITMENT = "confirmed"


class ChainReadFailed(UpstreamFailed):
    """The chain could not be read: nothing was recorded. The answer says which call and why
    (a method name and a reason; never the node's URL, which may carry an API key)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.public_message = f"chain read failed, nothing recorded: {detail}"


def token_account(item: Any, program: str) -> dict[str, Any]:
    """One entry of getTokenAccountsByOwner's `value` as api.reconcile_wallet takes it."""
    try:
        account = item["account"]
        info = account["data"]["parsed"]["info"]
        amount = info["tokenAmount"]["amount"]
        decimals = info["tokenAmount"]["decimals"]
        mint = info["mint"]
        if not (isinstance(amount, str) and amount.isdigit()) or type(decimals) is not int:
            raise TypeError("tokenAmount is not {amount: digits, decimals: int}")
        if not isinstance(mint, str) or account.get("owner") != program:
            raise TypeError("not a token account of the program asked for")
    except (KeyError, TypeError) as malformed:
        raise ChainReadFailed(f"getTokenAccountsByOwner: malformed account ({malformed})") from None
    return {
        "account": item.get("pubkey"),
        "mint": mint,
        "amount": amount,
        "decimals": decimals,
        "program": program,
    }


def token_accounts(rpc: SolanaRpc, owner: str) -> list[dict[str, Any]]:
    accounts: list[dict[str, Any]] = []
    config = {"encoding": "jsonParsed", "commitment": COMMITMENT}
    for program in TOKEN_PROGRAMS:
        result = rpc.call("getTokenAccountsByOwner", [owner, {"programId": program}, config])
        listed = result.get("value") if isinstance(result, dict) else None
        if not isinstance(listed, list):
            raise ChainReadFailed("getTokenAccountsByOwner: no list of accounts")
        accounts += [token_account(item, program) for item in listed]
    return accounts


def sol_balance(rpc: SolanaRpc, owner: str) -> int:
    result = rpc.call("getBalance", [owner, {"commitment": COMMITMENT}])
    lamports = result.get("value") if isinstance(result, dict) else None
    if type(lamports) is not int or lamports < 0:
        raise ChainReadFailed("getBalance: not a balance in lamports")
    return lamports


def reconcile() -> dict[str, Any]:
    settings = ChainSettings.from_env()
    owner = str(settings.keypair.pubkey())
    read_at = database.rpc("chain_read_started", {})
    with SolanaRpc(settings.rpc_url, settings.timeout_seconds) as rpc:
        try:
            accounts = token_accounts(rpc, owner)
            lamports = sol_balance(rpc, owner)
        except (RpcUnavailable, RpcRefused) as failed:
            raise ChainReadFailed(str(failed)) from None
    report = database.rpc_object(
        "reconcile_wallet",
        {"owner": owner, "token_accounts": accounts, "sol_lamports": lamports, "read_at": read_at},
    )
    for finding in report.get("findings", []):
        logger.warning(
            "chain finding %s: %s of %s, database %s, chain %s",
            finding.get("finding_id"),
            finding.get("kind"),
            finding.get("token_mint"),
            finding.get("db_amount"),
            finding.get("chain_amount"),
        )
    return report


def handle_reconcile(request: flask.Request) -> tuple[dict[str, Any], int]:
    auth.require_operator(request)
    return reconcile(), 200
