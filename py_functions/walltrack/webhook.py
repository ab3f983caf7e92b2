"""helius-webhook: authenticate a delivery, normalise it, store it (one RPC call when the
token cache answers for every token bought).

Helius retries on 5xx, timeouts and 4xx other than 403, so the status says exactly one
thing: 200 = stored (duplicates included), 400 = the body is not a JSON array (or is nested
too deeply to parse), 401 = wrong secret, 413 = too large, 5xx = not stored, retry. What one
transaction holds never fails the others: it is rejected alone and listed in `rejected`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import flask

from walltrack import auth, database, helius, live_orders, token_lookup, token_sources
from walltrack.errors import BadRequest, PayloadTooLarge, StorageUnavailable

logger = logging.getLogger("walltrack.webhook")


def parse(request: flask.Request) -> helius.Delivery:
    declared = request.content_length
    if declared is not None and declared > helius.MAX_BODY_BYTES:
        # Refused before reading it.
        raise PayloadTooLarge(f"body is {declared} bytes, over the {helius.MAX_BODY_BYTES} limit")
    try:
        return helius.parse_delivery(request.get_data(cache=False))
    except helius.DeliveryTooLarge as too_large:
        raise PayloadTooLarge(str(too_large)) from too_large
    except helius.NotAnArray as not_an_array:
        raise BadRequest(str(not_an_array)) from not_an_array


IN_FLIGHT_POLL_SECONDS = 0.05


def ingest(transactions: list[dict[str, Any]]) -> dict[str, Any]:
    """Store the delivery; when a bought token lacks fresh facts, fetch them first (within
    the lookup budget) so the decision is taken on them. A cache hit is one round trip.

    When another request is fetching a token this delivery buys (a duplicate, or another
    leader buying the same new token), wait for that lookup, at most its budget: deciding
    before would refuse the buy as token_not_checked for good. Past that, 503: Helius
    delivers again, and by then the facts are stored (or the claim has lapsed)."""
    give_up_at: float | None = None  # set once a lookup in flight is seen: off the cache-hit path
    while True:
        result = database.rpc_object(
            "ingest_swaps", {"transactions": transactions, "fetch_tokens": True}
        )
        if "tokens_to_fetch" in result:
            token_lookup.refresh(result["tokens_to_fetch"])
            return database.rpc_object("ingest_swaps", {"transactions": transactions})
        if "tokens_in_flight" not in result:
            return result
        if give_up_at is None:
            budget = token_sources.TokenSourceSettings.from_env().budget_seconds
            give_up_at = time.monotonic() + budget + 0.5
        elif time.monotonic() >= give_up_at:
            raise StorageUnavailable(
                f"tokens {result['tokens_in_flight']} are still being looked up by another"
                " request: not stored, retry"
            )
        time.sleep(IN_FLIGHT_POLL_SECONDS)


def handle_delivery(request: flask.Request) -> tuple[dict[str, Any], int]:
    auth.require_helius(request)
    delivery = parse(request)
    for rejected in delivery.rejected:
        logger.warning(
            "rejected transaction %s (%s): %s", rejected.index, rejected.signature, rejected.error
        )
    result: dict[str, Any] = {"new_signals": 0, "decisions": [], "live_orders": []}
    if delivery.transactions:
        result = ingest(delivery.transactions)
    executed = live_orders.execute_now(result["live_orders"])
    return {
        "stored": len(delivery.transactions),
        "new_signals": result["new_signals"],
        "decisions": result["decisions"],
        "live_orders": result["live_orders"],
        "executed": executed,
        "rejected": [
            {"index": r.index, "signature": r.signature, "error": r.error}
            for r in delivery.rejected
        ],
    }, 200
