"""Helius webhook management: create, list, get, edit and delete webhooks under /v0/webhooks,
with the API key in the query string. The webhooks registered here are where the simulator
delivers the leader swaps."""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.encoding import derived_pubkey
from simulator.faults import Decision
from simulator.http import Reply, Request, error_reply, json_reply
from simulator.world import World

MAX_ADDRESSES = 100_000
PREFIX = "/helius/v0/webhooks"
ENHANCED = ("enhanced", "enhancedDevnet")


class WebhookBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    webhookURL: Annotated[str, Field(min_length=1)]
    transactionTypes: list[str]
    accountAddresses: Annotated[list[str], Field(max_length=MAX_ADDRESSES)]
    webhookType: Literal[
        "enhanced", "raw", "discord", "enhancedDevnet", "rawDevnet", "discordDevnet"
    ]
    authHeader: str | None = None
    txnStatus: Literal["all", "success", "failed"] = "all"


def refuse_without_key(world: World, request: Request) -> Reply | None:
    key, given = world.scenario.api_keys.helius, request.param("api-key")
    if not given or (key is not None and given != key):
        return error_reply(401, "invalid api key")
    return None


def management(world: World, request: Request, decision: Decision) -> Reply:
    refused = refuse_without_key(world, request)
    if refused:
        return refused
    if request.path != PREFIX and not request.path.startswith(f"{PREFIX}/"):
        return error_reply(404, "not found")
    webhook_id = request.path.removeprefix(PREFIX).strip("/")
    with world.lock:
        if not webhook_id:
            if request.method == "POST":
                return save(world, request, new_id(world))
            if request.method == "GET":
                return json_reply(list(world.state.webhooks.values()))
        elif webhook_id not in world.state.webhooks:
            return error_reply(404, "webhook not found")
        elif request.method == "GET":
            return json_reply(world.state.webhooks[webhook_id])
        elif request.method == "PUT":
            return save(world, request, webhook_id)
        elif request.method == "DELETE":
            del world.state.webhooks[webhook_id]
            return json_reply({})
    return error_reply(405, f"{request.method} is not allowed here")


def new_id(world: World) -> str:
    """A UUID as Helius hands out, stable for a seed."""
    world.state.webhooks_created += 1
    label = f"{world.scenario.seed}:webhook:{world.state.webhooks_created}".encode()
    return str(uuid.UUID(bytes=hashlib.sha256(label).digest()[:16], version=4))


def save(world: World, request: Request, webhook_id: str) -> Reply:
    """Creates or replaces a webhook; the caller holds the lock."""
    try:
        body = WebhookBody.model_validate(request.json())
    except (ValidationError, ValueError) as error:
        return error_reply(400, f"invalid webhook: {problem(error)}")
    webhook = {
        "webhookID": webhook_id,
        "wallet": str(derived_pubkey(world.scenario.seed, "helius-account")),
        **body.model_dump(),
        "active": True,
    }
    world.state.webhooks[webhook_id] = webhook
    return json_reply(webhook)


def problem(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors(include_url=False, include_input=False)[0]
        return f"{'.'.join(str(part) for part in first['loc'])}: {first['msg']}"
    return str(error)


def watches(webhook: dict[str, Any], wallet: str) -> bool:
    """Whether this webhook takes the successful enhanced transactions of `wallet` (of the
    types it subscribes to)."""
    return (
        webhook["active"]
        and webhook["webhookType"] in ENHANCED
        and wallet in webhook["accountAddresses"]
        and webhook["txnStatus"] in ("all", "success")
    )


def subscribes(webhook: dict[str, Any], tx_type: str) -> bool:
    """Whether this webhook takes a transaction Helius typed `tx_type`: a swap on a venue
    Helius does not parse (TRANSFER, UNKNOWN) never reaches a webhook of SWAP alone."""
    return bool({tx_type, "ANY"} & set(webhook["transactionTypes"]))
