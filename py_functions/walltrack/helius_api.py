"""Helius webhook management (create / edit), reached over HTTP at a configurable base URL.

The API key travels as a query parameter, so no URL and no httpx error text is ever logged.
"""

from __future__ import annotations

from typing import Any

import httpx

from walltrack.errors import UpstreamFailed
from walltrack.settings import HeliusSettings

TIMEOUT = httpx.Timeout(10.0, connect=3.0)


class WebhookNotFound(UpstreamFailed):
    public_message = "helius webhook not found"


def webhook_body(settings: HeliusSettings, addresses: list[str]) -> dict[str, Any]:
    return {
        "webhookURL": settings.webhook_url,
        "transactionTypes": list(settings.transaction_types),
        "accountAddresses": addresses,
        "webhookType": "enhanced",
        "authHeader": settings.webhook_secret,
        "txnStatus": "success",
    }


def send(settings: HeliusSettings, method: str, path: str, body: dict[str, Any]) -> str:
    """One call; returns the webhook id Helius answers with."""
    try:
        response = httpx.request(
            method,
            f"{settings.api_base_url}{path}",
            params={"api-key": settings.api_key},
            json=body,
            timeout=TIMEOUT,
        )
    except httpx.HTTPError as failure:
        raise UpstreamFailed(f"helius {method} {path}: {type(failure).__name__}") from None
    if response.status_code == 404:
        raise WebhookNotFound(f"helius {method} {path}: 404")
    if response.status_code >= 300:
        raise UpstreamFailed(f"helius {method} {path}: HTTP {response.status_code}")
    try:
        return str(response.json()["webhookID"])
    except (ValueError, KeyError, TypeError):
        raise UpstreamFailed(f"helius {method} {path}: answer without webhookID") from None


def create_webhook(settings: HeliusSettings, addresses: list[str]) -> str:
    return send(settings, "POST", "/v0/webhooks", webhook_body(settings, addresses))


def edit_webhook(settings: HeliusSettings, webhook_id: str, addresses: list[str]) -> str:
    return send(settings, "PUT", f"/v0/webhooks/{webhook_id}", webhook_body(settings, addresses))
