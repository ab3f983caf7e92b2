"""Helius parsed transaction history: GET /v0/addresses/{address}/transactions, newest
first, at most `limit` (1-100, default 100) per page, `before` (older than that signature)
and `until` (stop at, not including, that signature), the API key in the query string.

The history is the chain's: every leader swap whose time has come, delivered or not (a
delivery outage drops webhooks, never the chain), typed by its venue as Helius types it
(SWAP, TRANSFER or UNKNOWN), so only a caller that reads balance changes finds every swap.
A wallet's history is its own swaps; a token mint's is every swap of that mint, whoever made
it (each swap's transaction references the mint). Swaps before t=0 are history from the start.
"""

from __future__ import annotations

import re
from typing import Any

from simulator.delivery import leader_transaction
from simulator.encoding import derived_signature
from simulator.faults import Decision
from simulator.helius import refuse_without_key
from simulator.http import Reply, Request, error_reply, json_reply
from simulator.world import World

PREFIX = "/helius/v0/addresses"
MAX_LIMIT = 100
_PATH = re.compile(rf"{PREFIX}/([1-9A-HJ-NP-Za-km-z]{{32,44}})/transactions")


def transactions(world: World, request: Request, decision: Decision) -> Reply:
    refused = refuse_without_key(world, request)
    if refused:
        return refused
    match = _PATH.fullmatch(request.path)
    if request.method != "GET" or match is None:
        return error_reply(404, "not found")
    limit_text = request.param("limit") or str(MAX_LIMIT)
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_LIMIT:
        return error_reply(400, f"limit must be within 1..{MAX_LIMIT}")
    address, before, until = match.group(1), request.param("before"), request.param("until")
    with world.lock:
        return json_reply(page_of(world, address, before, until, int(limit_text)))


def page_of(
    world: World, address: str, before: str | None, until: str | None, limit: int
) -> list[dict[str, Any]]:
    """The caller holds the lock. Signatures first: only the page's transactions are built."""
    seed = world.scenario.seed
    happened = world.timeline[: world.state.next_swap]
    if world.scenario.token(address) is not None:  # a mint: every swap of it
        mine = [index for index, swap in enumerate(happened) if swap.mint == address][::-1]
    else:
        mine = [index for index, swap in enumerate(happened) if swap.wallet == address][::-1]
    signatures = [str(derived_signature(seed, "leader", str(index))) for index in mine]
    if before is None:
        start = 0
    else:  # past that signature; one not in this history leaves nothing older to read
        start = signatures.index(before) + 1 if before in signatures else len(mine)
    end = signatures.index(until) if until in signatures else len(mine)
    page_size = min(limit, world.scenario.helius_history_page_max)
    chosen = mine[start:end][:page_size] if start < end else []
    return [leader_transaction(world, index, happened[index]) for index in chosen]
