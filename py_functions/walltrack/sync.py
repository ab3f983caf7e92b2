"""helius-sync (ADR-001): push the active wallet list and the transaction types to the one
global webhook, only when SQL says they changed and the interval has passed. Config changes
only after Helius accepts. After a push, a backfill run reads the history of the wallets
just added (their watermark starts there) and of any wallet the change left unwatched for a
moment.
"""

from __future__ import annotations

import logging
from typing import Any

import flask

from walltrack import auth, backfill, database, helius_api
from walltrack.errors import WalltrackError
from walltrack.settings import HeliusSettings

logger = logging.getLogger("walltrack.sync")


def push(settings: HeliusSettings, plan: dict[str, Any]) -> str:
    """Create or edit the webhook; a webhook deleted on Helius's side is created again."""
    addresses = list(plan["addresses"])
    if plan["action"] == "edit":
        try:
            return helius_api.edit_webhook(settings, plan["webhook_id"], addresses)
        except helius_api.WebhookNotFound:
            logger.warning("webhook %s is gone on Helius: creating a new one", plan["webhook_id"])
    return helius_api.create_webhook(settings, addresses)


def handle_sync(request: flask.Request) -> tuple[dict[str, Any], int]:
    auth.require_operator(request)
    settings = HeliusSettings.from_env()
    plan = database.rpc_object(
        "helius_sync_plan",
        {"webhook_url": settings.webhook_url, "transaction_types": settings.transaction_types},
    )
    if plan["action"] in ("none", "wait"):
        return {"action": plan["action"]}, 200
    webhook_id = push(settings, plan)
    database.rpc(
        "helius_sync_done",
        {
            "webhook_id": webhook_id,
            "webhook_url": settings.webhook_url,
            "address_hash": plan["address_hash"],
        },
    )
    logger.info("helius webhook %s now watches %s wallets", webhook_id, len(plan["addresses"]))
    return {
        "action": plan["action"],
        "webhook_id": webhook_id,
        "addresses": len(plan["addresses"]),
        "backfill": backfill_after_push(settings),
    }, 200


def backfill_after_push(settings: HeliusSettings) -> dict[str, Any]:
    """The push is done and recorded: a backfill that fails now is left to its schedule."""
    try:
        return backfill.run_backfill(
            backfill.HistorySettings(settings.api_base_url, settings.api_key)
        )
    except WalltrackError as failure:
        logger.warning("backfill after the push failed, left to its schedule: %s", failure.detail)
        return {"error": failure.public_message}
