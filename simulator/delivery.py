"""Helius deliveries: each leader swap of the timeline, as an enhanced transaction in a JSON
array, POSTed to every registered webhook that watches its wallet and subscribes to the type
Helius gives it (by its venue: SWAP, TRANSFER or UNKNOWN), with the webhook's authHeader
verbatim in Authorization.

As Helius documents: a delivery is retried on a connection failure, a timeout, a 5xx or a 4xx
other than 403, up to `max_retries` times with a growing pause; a `duplicate` fault sends the
same body once more after it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from solders.pubkey import Pubkey

from simulator.encoding import derived_signature, token_account
from simulator.helius import subscribes, watches
from simulator.helius_tx import VENUES, swap_transaction
from simulator.market import leader_amounts
from simulator.route import pool_address
from simulator.scenario import Delivery, LeaderSwap
from simulator.world import World

logger = logging.getLogger("simulator.delivery")


def leader_transaction(world: World, index: int, swap: LeaderSwap) -> dict[str, Any]:
    """The enhanced transaction Helius would send for the timeline's swap number `index`."""
    token = world.scenario.token(swap.mint)
    if token is None:  # the scenario's validation rules it out
        raise LookupError(f"swap of unknown mint {swap.mint}")
    tokens, lamports = leader_amounts(swap, token)
    tx_type, source = VENUES[swap.venue] if swap.venue else ("SWAP", swap.source)
    sign = 1 if swap.side == "buy" else -1  # a buy gains tokens and gives SOL
    seed = world.scenario.seed
    pool = pool_address(seed, swap.mint)
    mint = Pubkey.from_string(swap.mint)
    return swap_transaction(
        swap.wallet,
        swap.mint,
        sign * tokens,
        -sign * lamports,
        signature=str(derived_signature(seed, "leader", str(index))),
        decimals=token.decimals,
        fee=world.scenario.chain.lamports_per_signature,
        timestamp=world.unix_time(swap.t),
        slot=world.state.chain.slot_at(swap.t),
        source=source,
        tx_type=tx_type,
        pool=str(pool),
        token_accounts=(
            str(token_account(Pubkey.from_string(swap.wallet), mint)),
            str(token_account(pool, mint)),
        ),
    )


def deliver_due(
    world: World, client: httpx.Client, to_seconds: Decimal, stopping: threading.Event
) -> list[dict[str, Any]]:
    """Moves the clock to `to_seconds`, delivering every swap due on the way, in order, with
    the clock at each swap's time while it is delivered (lookups see that moment)."""
    reports: list[dict[str, Any]] = []
    while True:
        with world.lock:
            state = world.state
            due = state.next_swap < len(world.timeline)
            swap = world.timeline[state.next_swap] if due else None
            if swap is None or swap.t > to_seconds:
                state.now = max(state.now, to_seconds)
                return reports
            index = state.next_swap
            state.next_swap += 1
            state.now = max(state.now, swap.t)
            transaction = leader_transaction(world, index, swap)
            tx_type = transaction["type"]
            watching = [hook for hook in state.webhooks.values() if watches(hook, swap.wallet)]
            hooks = [dict(hook) for hook in watching if subscribes(hook, tx_type)]
            delivery = world.decide_locked("webhook", None, "delivery")
        about = {
            "t": swap.t,
            "signature": transaction["signature"],
            "wallet": swap.wallet,
            "side": swap.side,
            "mint": swap.mint,
            "type": tx_type,
        }
        body = json.dumps([transaction]).encode()
        if delivery.dropped:
            hooks = []
        skipped = skip_reason(bool(watching), tx_type, delivery.dropped)
        new = [about | {"skipped": skipped}] if not hooks else []
        at = scenario_clock(world, swap.t)
        for hook in hooks:
            for copy in range(1, 3 if delivery.duplicate else 2):
                outcome = post(client, hook, body, at, world.scenario.delivery, stopping)
                new.append(about | {"webhook_id": hook["webhookID"], "copy": copy, **outcome})
        with world.lock:
            world.state.deliveries.extend(new)
        for report in new:
            logger.info("delivery %s", summary(report))
        reports.extend(new)


def scenario_clock(world: World, t: Decimal) -> str:
    """The swap's moment on the scenario's clock, as X-WallTrack-Clock carries it: an offline
    WallTrack runs each delivery at the scenario's time, not the wall clock's (the real
    Helius sends no such header)."""
    return datetime.fromtimestamp(float(world.state.epoch + t), UTC).isoformat()


def skip_reason(wallet_watched: bool, tx_type: str, dropped: bool) -> str:
    if dropped:
        return "delivery outage: dropped"
    if not wallet_watched:
        return "no webhook watches this wallet"
    # A swap on a venue Helius does not parse, under a subscription to SWAP alone.
    return f"no webhook watching this wallet subscribes to {tx_type}"


def summary(report: dict[str, Any]) -> str:
    """One log line: t=10 buy of <mint> by <wallet>: webhook <id> copy 1 [500, 200] delivered."""
    what = f"t={report['t']} {report['side']} of {report['mint']} by {report['wallet']}"
    if "skipped" in report:
        return f"{what}: skipped, {report['skipped']}"
    tries = [attempt.get("status", attempt.get("error")) for attempt in report["attempts"]]
    outcome = "delivered" if report["delivered"] else "NOT delivered"
    return f"{what}: webhook {report['webhook_id']} copy {report['copy']} {tries} {outcome}"


def post(
    client: httpx.Client,
    hook: dict[str, Any],
    body: bytes,
    at: str,
    settings: Delivery,
    stopping: threading.Event,
) -> dict[str, Any]:
    """One delivery with its retries: every attempt's status (or error) and elapsed ms."""
    headers = {"Content-Type": "application/json", "X-WallTrack-Clock": at}
    if hook.get("authHeader"):
        headers["Authorization"] = hook["authHeader"]
    attempts: list[dict[str, Any]] = []
    pause = settings.backoff_ms / 1000
    for attempt in range(settings.max_retries + 1):
        if attempt and stopping.wait(pause):
            break  # the simulator is stopping: give up quietly
        if attempt:
            pause *= settings.backoff_factor
        attempts.append(attempt_once(client, hook["webhookURL"], body, headers, settings))
        if not wants_retry(attempts[-1]):
            break
    delivered = 200 <= attempts[-1].get("status", 0) < 300 if attempts else False
    return {"attempts": attempts, "delivered": delivered}


def attempt_once(
    client: httpx.Client, url: str, body: bytes, headers: dict[str, str], settings: Delivery
) -> dict[str, Any]:
    started = time.monotonic()
    try:
        response = client.post(
            url, content=body, headers=headers, timeout=settings.timeout_ms / 1000
        )
    except httpx.HTTPError as error:
        return {"error": type(error).__name__, "ms": elapsed_ms(started)}
    return {"status": response.status_code, "ms": elapsed_ms(started)}


def elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def wants_retry(attempt: dict[str, Any]) -> bool:
    status = attempt.get("status")
    return status is None or (not 200 <= status < 300 and status != 403)
