"""helius-backfill: what the webhook missed, recovered from each wallet's parsed history.

Helius retries a failed delivery three times, then drops it; webhooks also go silent in
outages. SQL says which wallets are due and the run's credit budget (walltrack.backfill_plan);
this function walks each one's parsed history (`/v0/addresses/{address}/transactions`,
newest first, `before` to page back, `until` = the wallet's watermark) and hands every page,
normalised by the webhook's own parser, to SQL (walltrack.record_backfill_page), which stores
and decides it as found by backfill: a late buy is stale, a late sell still mirrors. No type
filter: swaps on venues Helius does not parse come back UNKNOWN.

Each call spends the plan's per-call credits (a walk ends on an empty page); when the budget
is spent, or Helius answers 429, the run stops and the walks left resume next run (the
database remembers where). An operator's call with `{"every_wallet": true}` reads every
watched wallet, due or not.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import flask
import httpx

from walltrack import auth, database, helius
from walltrack.errors import BadRequest, UpstreamFailed
from walltrack.settings import optional, required

logger = logging.getLogger("walltrack.backfill")

PAGE_LIMIT = 100  # the most Helius returns per call
TIMEOUT = httpx.Timeout(15.0, connect=3.0)


class RateLimited(UpstreamFailed):
    public_message = "helius rate limit"


@dataclass(frozen=True)
class HistorySettings:
    api_base_url: str
    api_key: str = field(repr=False)  # secrets never reach a log line

    @classmethod
    def from_env(cls) -> HistorySettings:
        return cls(
            api_base_url=optional("HELIUS_API_BASE_URL", "https://api.helius.xyz").rstrip("/"),
            api_key=required("HELIUS_API_KEY"),
        )


@dataclass
class Budget:
    """A run's Helius credits: each history call costs call_credits (helius-backfill and
    wallet-discovery alike)."""

    credits: int
    call_credits: int
    calls: int = 0

    def spend(self) -> bool:
        """Pays for one call if the budget allows it."""
        if self.credits < self.call_credits:
            return False
        self.credits -= self.call_credits
        self.calls += 1
        return True

    @property
    def spent(self) -> bool:
        return self.credits < self.call_credits


@dataclass
class Run(Budget):
    """What one run did, for its answer and the log."""

    pages: int = 0
    new_signals: int = 0
    decisions: list[dict[str, Any]] = field(default_factory=list)
    wallets_done: list[str] = field(default_factory=list)
    wallets_left: list[str] = field(default_factory=list)
    rejected: int = 0
    stopped: str | None = None  # why the run ended before its plan did

    def report(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "credits_spent": self.calls * self.call_credits,
            "pages": self.pages,
            "new_signals": self.new_signals,
            "decisions": self.decisions,
            "wallets_done": len(self.wallets_done),
            "wallets_left": self.wallets_left,
            "rejected": self.rejected,
            "stopped": self.stopped,
        }


@dataclass(frozen=True)
class Page:
    """One history page: its transactions normalised, and where it starts and ends."""

    transactions: list[dict[str, Any]]
    rejected: list[helius.Rejected]
    newest: dict[str, Any] | None  # {signature, slot} of its first transaction
    oldest_signature: str | None  # where the next page starts (`before`)
    size: int  # transactions Helius returned, rejected ones included


def fetch(
    client: httpx.Client,
    settings: HistorySettings,
    address: str,
    before: str | None,
    until: str | None,
    limit: int,
) -> Page:
    params: dict[str, Any] = {"api-key": settings.api_key, "limit": limit}
    if before:
        params["before"] = before
    if until:
        params["until"] = until
    path = f"/v0/addresses/{address}/transactions"
    try:
        response = client.get(f"{settings.api_base_url}{path}", params=params, timeout=TIMEOUT)
    except httpx.HTTPError as failure:  # its text holds the URL, and the URL the key
        raise UpstreamFailed(f"helius history of {address}: {type(failure).__name__}") from None
    if response.status_code == 429:
        wait = response.headers.get("Retry-After", "unknown")
        raise RateLimited(f"helius history of {address}: 429, Retry-After {wait}")
    if response.status_code != 200:
        raise UpstreamFailed(f"helius history of {address}: HTTP {response.status_code}")
    return parse_page(address, response.content)


def parse_page(address: str, body: bytes) -> Page:
    """The webhook's parser reads the transactions; the page's bounds come from the readable
    signatures at its two ends (a transaction rejected alone still moves the walk past it)."""
    try:
        delivery = helius.parse_delivery(body)
        elements = json.loads(body)
    except (helius.NotAnArray, helius.DeliveryTooLarge, ValueError) as problem:
        raise UpstreamFailed(f"helius history of {address}: {problem}") from None
    ends = [
        element
        for element in elements
        if isinstance(element, dict) and helius.readable_signature(element)
    ]
    if elements and not ends:
        raise UpstreamFailed(f"helius history of {address}: a page without one signature")
    newest = None
    if ends:
        slot = ends[0].get("slot")
        newest = {
            "signature": helius.readable_signature(ends[0]),
            "slot": slot if isinstance(slot, int) and not isinstance(slot, bool) else None,
        }
    return Page(
        transactions=delivery.transactions,
        rejected=delivery.rejected,
        newest=newest,
        oldest_signature=helius.readable_signature(ends[-1]) if ends else None,
        size=len(elements),
    )


def walk_history(
    client: httpx.Client,
    settings: HistorySettings,
    address: str,
    before: str | None,
    until: str | None,
    limit: int,
    budget: Budget,
    record: Callable[[Page], tuple[dict[str, Any], bool]],
) -> bool:
    """Pages of an address's history, newest first from `before` down to `until`, each
    handed to `record` (which stores it and says whether the walk is complete), while the
    budget pays; True when complete, False when the budget ran out first."""
    while budget.spend():
        page = fetch(client, settings, address, before, until, limit)
        stored, complete = record(page)
        if complete:
            return True
        before = stored["before"]
    return False


def walk(client: httpx.Client, settings: HistorySettings, wallet: dict[str, Any], run: Run) -> bool:
    """Reads one wallet's history down to its watermark; False when the budget ran out first.
    A first read only needs the newest transaction: it becomes the watermark."""
    address, first_read = wallet["address"], wallet["first_read"]

    def record(page: Page) -> tuple[dict[str, Any], bool]:
        # Only an empty page ends a walk: a page may hold fewer than asked and still have
        # older ones behind it (the cost: one more call per walk).
        complete = first_read or page.size == 0
        stored = database.rpc_object(
            "record_backfill_page",
            {
                "address": address,
                "transactions": page.transactions,
                "newest": page.newest,
                "oldest_signature": page.oldest_signature,
                "complete": complete,
            },
        )
        run.pages += 1
        run.new_signals += stored["new_signals"]
        run.decisions.extend(stored["decisions"])
        for rejected in page.rejected:
            run.rejected += 1
            database.record_fault("helius-backfill", rejected.signature or address, rejected.error)
        return stored, complete

    limit = 1 if first_read else PAGE_LIMIT
    return walk_history(
        client, settings, address, wallet["before"], wallet["until"], limit, run, record
    )


def run_backfill(settings: HistorySettings, every_wallet: bool = False) -> dict[str, Any]:
    """One run over the plan's wallets (every watched one, due or not, on an operator's
    demand), within its credit budget."""
    plan = database.rpc_object("backfill_plan", {"max_wallets": 100, "every_wallet": every_wallet})
    run = Run(credits=plan["credits"], call_credits=plan["call_credits"])
    wallets = list(plan["wallets"])
    with httpx.Client() as client:
        for index, wallet in enumerate(wallets):
            try:
                finished = walk(client, settings, wallet, run)
            except RateLimited as limited:
                run.stopped = limited.detail
                finished = False
            except UpstreamFailed as failure:  # this wallet waits for the next run
                database.record_fault("helius-backfill", wallet["address"], failure.detail)
                finished = False
            if not finished:
                run.wallets_left.append(wallet["address"])
            else:
                run.wallets_done.append(wallet["address"])
            if run.stopped or (not finished and run.spent):
                run.stopped = run.stopped or "credit budget spent"
                run.wallets_left.extend(w["address"] for w in wallets[index + 1 :])
                break
    logger.info(
        "backfill: %s calls, %s new signals, %s wallets done, %s left%s",
        run.calls,
        run.new_signals,
        len(run.wallets_done),
        len(run.wallets_left),
        f" ({run.stopped})" if run.stopped else "",
    )
    return run.report()


def handle_backfill(request: flask.Request) -> tuple[dict[str, Any], int]:
    """A schedule's call reads the wallets due; `{"every_wallet": true}` reads them all."""
    auth.require_operator(request)
    body = request.get_json(silent=True) if request.content_length else {}
    if not isinstance(body, dict) or not isinstance(body.get("every_wallet", False), bool):
        raise BadRequest('the body is empty, or {"every_wallet": true|false}')
    return run_backfill(HistorySettings.from_env(), body.get("every_wallet", False)), 200
