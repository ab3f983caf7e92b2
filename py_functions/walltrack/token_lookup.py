"""token-lookup: refresh token facts on demand (given mints) or on a schedule (the due facts
of tokens in play). SQL picks and claims what to fetch and judges what comes back."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import flask

from walltrack import auth, database, token_sources
from walltrack.errors import BadRequest

MAX_MINTS = 100
MINT = re.compile(r"[1-9A-HJ-NP-Za-km-z]{32,44}")


def requested_mints(request: flask.Request) -> list[str] | None:
    """The mints of `{"mints": [...]}`, or None for a scheduled run (empty body)."""
    body = request.get_data(cache=False)
    if not body.strip():
        return None
    try:
        mints = json.loads(body).get("mints")
    except (ValueError, AttributeError):
        raise BadRequest('body must be a JSON object such as {"mints": ["<mint>"]}') from None
    if (
        not isinstance(mints, list)
        or not 0 < len(mints) <= MAX_MINTS
        or not all(isinstance(m, str) and MINT.fullmatch(m) for m in mints)
    ):
        raise BadRequest(f"mints must be a list of 1 to {MAX_MINTS} base58 token addresses")
    return list(dict.fromkeys(mints))


def lookup(
    wanted: dict[str, list[str]], settings: token_sources.TokenSourceSettings
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Fetch what SQL asked for, store it: (the facts, the new verdicts)."""
    facts = asyncio.run(token_sources.fetch_token_facts(wanted, settings))
    verdicts: dict[str, Any] = database.rpc_object("store_token_facts", {"facts": facts})
    return facts, verdicts


def refresh(wanted: dict[str, list[str]]) -> dict[str, Any]:
    """The new verdicts, within the webhook's budget (a request may be waiting on these
    tokens)."""
    if not wanted:
        return {}
    return lookup(wanted, token_sources.TokenSourceSettings.from_env())[1]


def handle_lookup(request: flask.Request) -> tuple[dict[str, Any], int]:
    """A first pass within the webhook's budget stores what came (its claim ends, so no
    delivery waits longer than on its own lookup); RugCheck reports that took longer are
    then read again, unclaimed, within TOKEN_REFRESH_BUDGET_SECONDS."""
    auth.require_operator(request)
    mints = requested_mints(request)
    wanted = database.rpc_object("tokens_to_refresh", {"mints": mints})
    if not wanted:
        return {"refreshed": {}}, 200
    settings = token_sources.TokenSourceSettings.from_env()
    facts, verdicts = lookup(wanted, settings)
    slow = {row["mint"]: ["rugcheck"] for row in facts if "rugcheck" in row["failed_sources"]}
    if slow:
        verdicts |= lookup(slow, settings.off_hot_path())[1]
    return {"refreshed": verdicts}, 200
