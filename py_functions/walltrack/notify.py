"""notify: the alerts outbox (walltrack.alerts) sent to the operator's phone.

The database raises the alerts and writes their messages (supabase/schemas/17_alerts.sql);
this function only moves them. It serves the channels whose credentials are in its
environment: Telegram (`TELEGRAM_BOT_TOKEN` and `TELEGRAM_CHAT_ID`; `TELEGRAM_API_BASE_URL`,
default https://api.telegram.org) and Discord (`DISCORD_WEBHOOK_URL`). api.claim_alerts leases
what is due on those channels, oldest first; each is sent and its outcome recorded with
api.record_alert_delivery:

- accepted (Telegram `ok: true`, Discord 2xx): sent;
- 429: retry after the channel's `retry_after` (Telegram's `parameters.retry_after`, Discord's
  `retry_after` or `Retry-After`), and nothing more is sent to that channel this run;
- a 5xx, a timeout, a connection failure: retry (SQL backs off and gives up after
  config.alert_max_attempts);
- another 4xx (a wrong token or chat): failed, with the channel's description.

The tokens are in the URLs: no URL, token or response body beyond its description is ever
logged or answered.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import flask
import httpx

from walltrack import auth, database
from walltrack.settings import optional

logger = logging.getLogger("walltrack.notify")

TIMEOUT_SECONDS = 5.0
MAX_ALERTS = 20
# A run sending MAX_ALERTS on two channels, each waiting its timeout, ends within this.
LEASE_SECONDS = int(2 * MAX_ALERTS * TIMEOUT_SECONDS) + 30


@dataclass(frozen=True)
class Channel:
    name: str  # walltrack.alert_channel
    url: str = field(repr=False)  # holds the bot or webhook token
    chat_id: str | None = field(default=None, repr=False)

    def body(self, message: str) -> dict[str, Any]:
        if self.name == "telegram":
            return {"chat_id": self.chat_id, "text": message, "disable_web_page_preview": True}
        return {"content": message}


@dataclass(frozen=True)
class Outcome:
    outcome: str  # sent, retry or failed (api.record_alert_delivery)
    retry_after_seconds: float | None = None
    error: str | None = None


def channels_from_env() -> list[Channel]:
    channels = []
    token, chat_id = optional("TELEGRAM_BOT_TOKEN", ""), optional("TELEGRAM_CHAT_ID", "")
    if token and chat_id:
        base = optional("TELEGRAM_API_BASE_URL", "https://api.telegram.org").rstrip("/")
        channels.append(Channel("telegram", f"{base}/bot{token}/sendMessage", chat_id))
    webhook = optional("DISCORD_WEBHOOK_URL", "")
    if webhook:
        channels.append(Channel("discord", webhook))
    return channels


def send(client: httpx.Client, channel: Channel, message: str) -> Outcome:
    try:
        response = client.post(channel.url, json=channel.body(message))
    except httpx.HTTPError as failed:
        return Outcome("retry", error=f"{channel.name}: {type(failed).__name__}")
    answer = json_or_empty(response)
    if response.status_code == 429:
        return Outcome("retry", retry_after(response, answer), f"{channel.name}: HTTP 429")
    refused = response.status_code >= 400 or (
        channel.name == "telegram" and answer.get("ok") is not True
    )
    if not refused:
        return Outcome("sent")
    description = str(answer.get("description") or answer.get("message") or "")[:200]
    error = f"{channel.name}: HTTP {response.status_code} {description}".strip()
    return Outcome("retry" if response.status_code >= 500 else "failed", error=error)


def retry_after(response: httpx.Response, answer: dict[str, Any]) -> float | None:
    """Telegram's parameters.retry_after, Discord's retry_after, else Retry-After."""
    parameters = answer.get("parameters")
    given = (parameters.get("retry_after") if isinstance(parameters, dict) else None) or answer.get(
        "retry_after"
    )
    for value in (given, response.headers.get("Retry-After")):
        try:
            seconds = float(value) if value is not None else None
        except (TypeError, ValueError):
            continue
        if seconds is not None and 0 <= seconds <= 86_400:
            return seconds
    return None


def json_or_empty(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def notify(channels: list[Channel]) -> dict[str, Any]:
    report: dict[str, Any] = {"channels": [c.name for c in channels], "sent": 0, "retry": 0}
    report["failed"] = 0
    if not channels:
        return report
    claimed = database.rpc(
        "claim_alerts",
        {
            "channels": [c.name for c in channels],
            "max_alerts": MAX_ALERTS,
            "lease_seconds": LEASE_SECONDS,
        },
    )
    by_name = {c.name: c for c in channels}
    throttled: dict[str, Outcome] = {}  # a channel that answered 429 gets nothing more now
    with httpx.Client(timeout=TIMEOUT_SECONDS) as client:
        for delivery in claimed:
            name = delivery["channel"]
            outcome = throttled.get(name) or send(client, by_name[name], delivery["message"])
            if outcome.retry_after_seconds is not None:
                throttled[name] = outcome
            recorded = database.rpc_object(
                "record_alert_delivery",
                {
                    "delivery_id": delivery["delivery_id"],
                    "outcome": outcome.outcome,
                    "retry_after_seconds": outcome.retry_after_seconds,
                    "error": outcome.error,
                },
            )
            report[str(recorded["status"])] += 1
            if outcome.error:
                logger.warning("alert %s: %s", delivery["alert_id"], outcome.error)
    return report


def handle_notify(request: flask.Request) -> tuple[dict[str, Any], int]:
    auth.require_operator(request)
    return notify(channels_from_env()), 200
