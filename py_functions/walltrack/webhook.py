"""helius-webhook: authenticate a delivery, normalise it, store it first, answer within the
deadline.

Helius waits about a second for an answer, then retries (three times, then the event is lost
for good), so nothing outside the database may hold the answer back. The first database call
stores the whole delivery and decides what it can at once. A buy of a token whose facts are
not fresh stays pending; its lookup and the orders to execute run in the background, and
whatever they finish before WEBHOOK_DEADLINE_SECONDS is in the answer. What they finish later
is decided by that same lookup, in SQL; a lookup that dies leaves its buys to the schedule
(walltrack.decide_waiting), stale past config.max_copy_delay_seconds, never copied late.

The status says exactly one thing: 200 = stored (duplicates included), 400 = the body is not
a JSON array (or is nested too deeply to parse), 401 = wrong secret, 413 = too large, 5xx =
not stored, retry. What one transaction holds never fails the others: it is rejected alone
and listed in `rejected`.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import logging
import time
from collections.abc import Callable
from typing import Any

import flask

from walltrack import auth, database, execution, helius, live_orders, token_lookup, token_sources
from walltrack.errors import BadRequest, PayloadTooLarge
from walltrack.settings import optional

logger = logging.getLogger("walltrack.webhook")

# Lookups and executions outlive the answer: they run here, not in the request's thread.
FOLLOW_UPS = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="follow-up")
# Reading the request before the handler runs and sending the answer after it take time the
# handler cannot see: it stops waiting this much before the deadline.
ANSWER_MARGIN_SECONDS = 0.1


def deadline_seconds() -> float:
    return float(optional("WEBHOOK_DEADLINE_SECONDS", "0.7"))


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


def store(transactions: list[dict[str, Any]], claim_seconds: float) -> dict[str, Any]:
    """One round trip: the delivery stored, decided where it can be, the lookups claimed."""
    if not transactions:
        return {
            "new_signals": 0,
            "decisions": [],
            "live_orders": [],
            "claimed_orders": [],
            "pending": [],
            "tokens_to_fetch": {},
        }
    params = {
        "transactions": transactions,
        "fetch_tokens": True,
        "claim_seconds": claim_seconds,
        "worker": execution.worker_name(),  # its live orders come claimed for this process
    }
    return database.rpc_object("ingest_swaps", params)


def look_up_and_decide(
    wanted: dict[str, list[str]], settings: token_sources.TokenSourceSettings
) -> dict[str, Any]:
    """In the background: the facts fetched, the waiting buys decided, their orders executed."""
    completed = token_lookup.complete(wanted, settings)
    completed["executed"] = live_orders.execute_now(claimed=completed["claimed_orders"])
    return completed


def in_background(
    work: Callable[..., dict[str, Any]], *args: Any
) -> concurrent.futures.Future[dict[str, Any]]:
    """A follow-up in its own thread, in the request's context: its database calls keep the
    request's clock."""
    return FOLLOW_UPS.submit(contextvars.copy_context().run, work, *args)


def follow_ups(
    stored: dict[str, Any], settings: token_sources.TokenSourceSettings
) -> list[concurrent.futures.Future[dict[str, Any]]]:
    """The stored decisions' orders execute at once, beside the lookup, not after it."""
    work = []
    if stored["claimed_orders"]:
        work.append(in_background(execute_stored, stored["claimed_orders"]))
    if stored["tokens_to_fetch"]:
        work.append(in_background(look_up_and_decide, stored["tokens_to_fetch"], settings))
    return work


def execute_stored(claimed: list[dict[str, Any]]) -> dict[str, Any]:
    executed = live_orders.execute_now(claimed=claimed)
    return {"decisions": [], "live_orders": [], "executed": executed}


def finished_by(
    work: list[concurrent.futures.Future[dict[str, Any]]], deadline: float
) -> list[dict[str, Any]]:
    """What the follow-ups finished before the deadline (one that failed is logged: its
    buys stay pending for the schedule, its orders for the execution sweep)."""
    done, _late = concurrent.futures.wait(work, timeout=max(0.0, deadline - time.monotonic()))
    results = []
    for future in done:
        failure = future.exception()
        if failure is None:
            results.append(future.result())
        else:
            logger.warning("follow-up failed, left to the schedule: %s", failure)
    return results


def merged_executions(results: list[dict[str, Any]]) -> dict[str, Any] | None:
    executions = [r["executed"] for r in results if r.get("executed")]
    if not executions:
        return None
    outcomes = {k: v for e in executions for k, v in e["outcomes"].items()}
    return {"claimed": len(outcomes), "outcomes": outcomes}


def handle_delivery(request: flask.Request) -> tuple[dict[str, Any], int]:
    deadline = time.monotonic() + deadline_seconds() - ANSWER_MARGIN_SECONDS
    auth.require_helius(request)
    delivery = parse(request)
    for rejected in delivery.rejected:
        logger.warning(
            "rejected transaction %s (%s): %s", rejected.index, rejected.signature, rejected.error
        )
    settings = token_sources.TokenSourceSettings.from_env()
    stored = store(delivery.transactions, token_lookup.claim_seconds(settings))
    results = finished_by(follow_ups(stored, settings), deadline)
    decided = [d for r in results for d in r["decisions"]]
    decided_ids = {d["signal_id"] for d in decided}
    return {
        "stored": len(delivery.transactions),
        "new_signals": stored["new_signals"],
        "decisions": stored["decisions"] + decided,
        "pending": [i for i in stored["pending"] if i not in decided_ids],
        "live_orders": stored["live_orders"] + [o for r in results for o in r["live_orders"]],
        "executed": merged_executions(results),
        "rejected": [
            {"index": r.index, "signature": r.signature, "error": r.error}
            for r in delivery.rejected
        ],
    }, 200
