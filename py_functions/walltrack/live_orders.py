"""The HTTP side of live execution: execute-orders and confirm-orders, and the in-request
execution the webhook and price-refresh use for the orders they have just created."""

from __future__ import annotations

import logging
from typing import Any

import flask

from walltrack import auth, confirmation, execution
from walltrack.errors import BadRequest, WalltrackError

logger = logging.getLogger("walltrack.live_orders")


def requested_ids(request: flask.Request) -> list[int] | None:
    body = request.get_json(silent=True) or {}
    ids = body.get("order_ids") if isinstance(body, dict) else None
    if ids is None:
        return None
    if not isinstance(ids, list) or not all(type(i) is int and i > 0 for i in ids):
        raise BadRequest("order_ids must be a list of positive integers")
    return ids


def handle_execute(request: flask.Request) -> tuple[dict[str, Any], int]:
    auth.require_operator(request)
    return execution.execute(requested_ids(request)), 200


def handle_confirm(request: flask.Request) -> tuple[dict[str, Any], int]:
    auth.require_operator(request)
    return confirmation.confirm(), 200


def execute_now(
    order_ids: list[int] | None = None, claimed: list[dict[str, Any]] | None = None
) -> dict[str, Any] | None:
    """Executes orders just created, within the request that created them (low latency):
    given by id, or already claimed for this worker by the decision that created them.
    They are stored whatever happens here: a failure is logged and the schedule's sweep
    executes them instead (once a claim's lease expires), so the caller's answer never
    depends on it."""
    if not order_ids and not claimed:
        return None
    which = order_ids or [order["id"] for order in claimed or []]
    try:
        return execution.execute(order_ids, claimed)
    except WalltrackError as failed:
        logger.warning("live orders %s left to the sweep: %s", which, failed.detail)
    except Exception:
        logger.exception("live orders %s left to the sweep: unexpected failure", which)
    return None
