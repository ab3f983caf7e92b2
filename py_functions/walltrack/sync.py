"""helius-sync (ADR-001): push the active wallet list and the transaction types to the one
global webhook, only when SQL says they changed and the interval has passed. Config changes
only after Helius accepts.
"""

from __future__ import annotations

import logging
from typing import Any

import flask

from walltrack import auth, database, helius_api
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
    }, 200
