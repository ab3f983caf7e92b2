"""One clock (issue 19), the Python side: a function decides nothing by its own wall clock.
Retries, backoff and leases are decided in SQL by walltrack.clock(), a blockhash's validity
by the chain's block height; the one wall-clock read left is the webhook's answer deadline,
a latency budget (Helius waits about a second), not a rule. (Waiting is not reading: a
lookup's back-off after a 429 sleeps, and decides nothing by the time.)"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg

from scripts.stack_env import REPO_ROOT, StackEnv
from simulator.helius_tx import new_mint, swap_transaction
from tests.support.stack_secrets import stack_secret

Db = psycopg.Connection[tuple[Any, ...]]

WALL_CLOCK = re.compile(
    r"\btime\.(time|time_ns|monotonic|perf_counter)\(|\bdatetime\.(now|utcnow|today)\("
    r"|\bdate\.today\("
)


def test_the_functions_read_no_wall_clock_but_the_webhooks_answer_deadline() -> None:
    reads = [
        (path.name, line.strip())
        for path in sorted((REPO_ROOT / "py_functions").rglob("*.py"))
        for line in path.read_text().splitlines()
        if WALL_CLOCK.search(line)
    ]
    assert reads, "the scan finds the webhook's deadline (it can fail)"
    assert {name for name, _ in reads} == {"webhook.py"}
    assert all("deadline" in line for _, line in reads), reads


def test_a_request_carrying_a_clock_runs_at_that_time(stack: StackEnv, db: Db) -> None:
    """X-WallTrack-Clock (the demo's scenario time): the webhook forwards it with its database
    calls, and PostgREST's pre-request hook runs them at that time. The swap is received, and
    its copy opened, at the request's time (an hour ago), not the wall clock's."""
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    tx, mint = delivery_for(db, at)
    response = post_delivery(stack, tx, at)
    # Its facts fresh again, as of now: an hour-old token in play would be looked up by the
    # next test's scheduled lookup.
    db.execute("select tests.safe_token(%s)", (mint,))
    assert response.status_code == 200, response.text
    assert db.execute(
        "select s.received_at, p.opened_at from walltrack.signals as s"
        " join walltrack.positions as p on p.opened_from_signal_id = s.id"
        " where s.signature = %s",
        (tx["signature"],),
    ).fetchone() == (at, at)


def test_a_clock_sent_to_a_database_trading_for_real_is_refused(stack: StackEnv, db: Db) -> None:
    """With live trading on a real chain, a request carrying a clock stores nothing: the
    database refuses to run it at another time than its own."""
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    tx, mint = delivery_for(db, at)
    db.execute("update walltrack.config set live_trading_enabled = true")
    try:
        response = post_delivery(stack, tx, at)
    finally:
        db.execute("update walltrack.config set live_trading_enabled = false")
        db.execute("select tests.safe_token(%s)", (mint,))
    assert response.status_code >= 500, response.text
    assert "clock" not in response.text  # the answer says nothing of the database's rules
    assert db.execute(
        "select count(*) from walltrack.signals where signature = %s", (tx["signature"],)
    ).fetchone() == (0,)


def delivery_for(db: Db, at: datetime) -> tuple[dict[str, Any], str]:
    """A whale-alpha buy of a safe new token, two seconds before `at`, its facts fetched then
    (facts are never dated ahead of the clock that reads them)."""
    mint = new_mint()
    with db.transaction():
        db.execute("select walltrack.set_clock(%s)", (at - timedelta(seconds=2),))
        db.execute("select tests.safe_token(%s)", (mint,))
    row = db.execute("select address from walltrack.wallets where label = 'whale-alpha'").fetchone()
    assert row is not None
    tx = swap_transaction(
        str(row[0]), mint, 2_000_000_000, -1_000_000_000, timestamp=int(at.timestamp()) - 2
    )
    return tx, mint


def post_delivery(stack: StackEnv, tx: dict[str, Any], at: datetime) -> httpx.Response:
    return httpx.post(
        f"{stack.supabase_url}/functions/v1/helius-webhook",
        json=[tx],
        headers={
            "Authorization": stack_secret("HELIUS_WEBHOOK_SECRET"),
            "X-WallTrack-Clock": at.isoformat(),
        },
        timeout=10,
    )
