"""token-lookup: refresh token facts on demand (given mints) or on a schedule (the due facts
of tokens in play). SQL picks and claims what to fetch, judges what comes back, and decides
the buys that waited on it."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import flask

from walltrack import auth, database, execution, live_orders, token_sources
from walltrack.errors import BadRequest

MAX_MINTS = 100
MINT = re.compile(r"[1-9A-HJ-NP-Za-km-z]{32,44}")
# The claim covers the lookup's budget plus the time to store what it found.
CLAIM_MARGIN_SECONDS = 5.0


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


def claim_seconds(settings: token_sources.TokenSourceSettings) -> float:
    return settings.budget_seconds + CLAIM_MARGIN_SECONDS


def complete(
    wanted: dict[str, list[str]], settings: token_sources.TokenSourceSettings
) -> dict[str, Any]:
    """Fetch what SQL asked for and hand it back in one call, which stores the facts and
    decides the buys waiting on them: {verdicts, decisions, live_orders, claimed_orders},
    the live orders claimed for this process, which executes them next."""
    facts = asyncio.run(token_sources.fetch_token_facts(wanted, settings))
    params = {"facts": facts, "worker": execution.worker_name()}
    return database.rpc_object("complete_token_lookup", params)


def handle_lookup(request: flask.Request) -> tuple[dict[str, Any], int]:
    auth.require_operator(request)
    mints = requested_mints(request)
    settings = token_sources.TokenSourceSettings.from_env()
    params = {"mints": mints, "claim_seconds": claim_seconds(settings)}
    wanted = database.rpc_object("tokens_to_refresh", params)
    if not wanted:
        return {"refreshed": {}, "decisions": []}, 200
    completed = complete(wanted, settings)
    executed = live_orders.execute_now(claimed=completed["claimed_orders"])
    return {
        "refreshed": completed["verdicts"],
        "decisions": completed["decisions"],
        "executed": executed,
    }, 200
