"""Telegram's Bot API `sendMessage` and Discord's webhooks, as WallTrack's notify function
calls them: each message received is kept in the world (`/control/messages`), in order.

- Telegram: `POST /telegram/bot<token>/sendMessage` with `{"chat_id", "text", ...}` answers
  `{"ok": true, "result": {"message_id", "chat": {"id"}, "text"}}`; no chat_id or no text is
  a 400 `{"ok": false, "error_code": 400, "description": "Bad Request: ..."}`, a text over
  4,096 characters too.
- Discord: `POST /discord/webhooks/<id>/<token>` with `{"content"}` answers 204 (no body, as
  without `?wait=true`); empty content or over 2,000 characters is a 400 with Discord's
  `{"message", "code": 50006}`.

A `status` fault answers in each service's own shape: a 429 carries Telegram's
`parameters.retry_after` (seconds) or Discord's `retry_after` and `Retry-After` header.
"""

from __future__ import annotations

from typing import Any

from simulator.faults import Decision
from simulator.http import BadRequest, Reply, Request, json_reply
from simulator.world import World

TELEGRAM_PREFIX = "/telegram"
DISCORD_PREFIX = "/discord"
TELEGRAM_MAX_TEXT = 4_096
DISCORD_MAX_CONTENT = 2_000


def telegram(world: World, request: Request, _decision: Decision) -> Reply:
    parts = request.path.removeprefix(TELEGRAM_PREFIX).strip("/").split("/")
    if len(parts) != 2 or not parts[0].startswith("bot") or parts[1] != "sendMessage":
        return telegram_error(404, "Not Found")
    body = json_object(request)
    chat_id, text = body.get("chat_id"), body.get("text")
    if chat_id in (None, ""):
        return telegram_error(400, "Bad Request: chat_id is empty")
    if not isinstance(text, str) or not text.strip():
        return telegram_error(400, "Bad Request: message text is empty")
    if len(text) > TELEGRAM_MAX_TEXT:
        return telegram_error(400, "Bad Request: message is too long")
    message_id = record(world, "telegram", str(chat_id), text)
    return json_reply(
        {"ok": True, "result": {"message_id": message_id, "chat": {"id": chat_id}, "text": text}}
    )


def discord(world: World, request: Request, _decision: Decision) -> Reply:
    parts = request.path.removeprefix(DISCORD_PREFIX).strip("/").split("/")
    if len(parts) != 3 or parts[0] != "webhooks":
        return json_reply({"message": "404: Not Found", "code": 0}, 404)
    content = json_object(request).get("content")
    if not isinstance(content, str) or not content.strip():
        return json_reply({"message": "Cannot send an empty message", "code": 50006}, 400)
    if len(content) > DISCORD_MAX_CONTENT:
        return json_reply({"content": ["Must be 2000 or fewer in length."], "code": 50035}, 400)
    record(world, "discord", parts[1], content)
    return Reply(204, b"")


TELEGRAM_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
}


def fault_body(service: str, status: int, retry_after: str | None) -> Any:
    """A refusal in the service's own shape."""
    seconds = float(retry_after) if retry_after else 1.0
    if service == "telegram":
        description = TELEGRAM_DESCRIPTIONS.get(status, "Internal Server Error")
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if status == 429:
            body["description"] = f"Too Many Requests: retry after {int(seconds)}"
            body["parameters"] = {"retry_after": int(seconds)}
        return body
    if status == 429:
        return {"message": "You are being rate limited.", "retry_after": seconds, "global": False}
    return {"message": f"{status}: simulated refusal", "code": 0}


def json_object(request: Request) -> dict[str, Any]:
    body = request.json() if request.body else None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def telegram_error(status: int, description: str) -> Reply:
    return json_reply({"ok": False, "error_code": status, "description": description}, status)


def record(world: World, channel: str, to: str, text: str) -> int:
    with world.lock:
        messages = world.state.messages
        messages.append({"channel": channel, "to": to, "text": text, "t": world.state.now})
        return len(messages)
