"""wallet-discovery (issue 17): wallets worth copying, found from tokens that did well.

SQL decides everything (walltrack's discovery tables, config, ledger, flags, ranking); this
function fetches, parses and hands over:

1. the plan (api.discovery_plan): the run's Helius credits, the DexScreener search queries,
   the winners whose mint history is not walked yet, the candidates whose history is not read;
2. DexScreener: the top boosted tokens (`/token-boosts/top/v1`, Solana only) and a search per
   query (`/latest/dex/search?q=`), then the tokens' pairs in batches of 30
   (`/tokens/v1/solana/{mints}`); the deepest SOL pair of each token gives the facts sent to
   api.record_winners, which applies the winner thresholds;
3. Helius parsed history, newest first, pages of 100, through helius-backfill's client:
   each winner's mint history (api.record_winner_page: its buyers, early and size buyers
   become candidates), then each candidate's own history (api.record_candidate_page). Each
   call costs the plan's call_credits; the run stops before a call the budget cannot pay, or
   on a 429, and the walks resume next run where the database says. A page that is not a
   history is a fault for that winner or candidate (walltrack.faults), and the run goes on.

`{"addresses": [...], "note": "..."}` submits an operator's addresses first
(api.submit_candidates), then runs. The Helius key travels in a query string: no URL and no
httpx error text is ever logged or answered.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import flask
import httpx
from pydantic import TypeAdapter, ValidationError

from walltrack import auth, database
from walltrack.backfill import PAGE_LIMIT, Budget, HistorySettings, Page, RateLimited, walk_history
from walltrack.errors import BadRequest, Refused, UpstreamFailed
from walltrack.settings import optional
from walltrack.token_sources import DEX_BATCH, MINT, WSOL_MINT, DsPair, Loose, text

logger = logging.getLogger("walltrack.discovery")

SOURCE = "wallet-discovery"  # in walltrack.faults
BOOSTS_REF = "token-boosts/top"
DEX_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
MAX_ADDRESSES = 1_000  # one operator call
MAX_NOTE = 1_000
PLAN_ITEMS = 100


@dataclass(frozen=True)
class DexSettings:
    base_url: str

    @classmethod
    def from_env(cls) -> DexSettings:
        return cls(optional("DEXSCREENER_BASE_URL", "https://api.dexscreener.com").rstrip("/"))


# --- DexScreener ----------------------------------------------------------------------------


class DsBoost(Loose):
    chainId: str
    tokenAddress: str


class DsWindows(Loose):
    h24: Decimal | None = None


class DsDiscoveryLiquidity(Loose):
    usd: Decimal | None = None


class DsMarketPair(DsPair):
    """A pair with the market facts discovery needs besides token_sources' own."""

    priceChange: DsWindows | None = None
    volume: DsWindows | None = None


class DsSearch(Loose):
    pairs: list[DsMarketPair] | None = None


BOOSTS = TypeAdapter(list[DsBoost])
PAIRS = TypeAdapter(list[DsMarketPair])


class DexFailed(UpstreamFailed):
    public_message = "dexscreener failed"


def dex_get(client: httpx.Client, settings: DexSettings, path: str, **params: str) -> Any:
    """The decoded JSON of a 200 answer (floats as Decimal), else DexFailed."""
    try:
        response = client.get(f"{settings.base_url}{path}", params=params, timeout=DEX_TIMEOUT)
    except httpx.HTTPError as failure:
        raise DexFailed(f"dexscreener {path}: {type(failure).__name__}") from None
    if response.status_code != 200:
        raise DexFailed(f"dexscreener {path}: HTTP {response.status_code}")
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError:
        raise DexFailed(f"dexscreener {path}: not JSON") from None


def boosted_mints(client: httpx.Client, settings: DexSettings) -> list[str]:
    body = dex_get(client, settings, "/token-boosts/top/v1")
    try:
        boosts = BOOSTS.validate_python(body)
    except ValidationError:
        raise DexFailed("dexscreener top boosts: not a list of boosts") from None
    return [
        b.tokenAddress for b in boosts if b.chainId == "solana" and MINT.fullmatch(b.tokenAddress)
    ]


def searched_mints(client: httpx.Client, settings: DexSettings, query: str) -> list[str]:
    body = dex_get(client, settings, "/latest/dex/search", q=query)
    try:
        pairs = DsSearch.model_validate(body).pairs or []
    except ValidationError:
        raise DexFailed(f"dexscreener search {query!r}: not a search answer") from None
    found = (p.baseToken.address for p in pairs if p.chainId == "solana")
    return [mint for mint in dict.fromkeys(found) if MINT.fullmatch(mint)]


def token_pairs(
    client: httpx.Client, settings: DexSettings, mints: list[str]
) -> list[DsMarketPair]:
    pairs: list[DsMarketPair] = []
    for start in range(0, len(mints), DEX_BATCH):
        batch = mints[start : start + DEX_BATCH]
        body = dex_get(client, settings, f"/tokens/v1/solana/{','.join(batch)}")
        try:
            pairs += PAIRS.validate_python(body)
        except ValidationError:
            raise DexFailed("dexscreener tokens: not a list of pairs") from None
    return pairs


def winner_facts(mint: str, source: str, ref: str, pairs: list[DsMarketPair]) -> dict[str, Any]:
    """The facts of the token's deepest SOL pair (all null without one), as exact text."""
    own = [
        p
        for p in pairs
        if p.chainId == "solana"
        and p.baseToken.address == mint
        and p.quoteToken is not None
        and p.quoteToken.address == WSOL_MINT
    ]
    best = max(own, key=lambda p: (p.liquidity and p.liquidity.usd) or Decimal(-1), default=None)
    facts: dict[str, Any] = {"mint": mint, "source": source, "ref": ref}
    if best is None:
        return facts | dict.fromkeys(
            [
                "price_change_h24_pct",
                "liquidity_usd",
                "volume_h24_usd",
                "market_cap_usd",
                "pair_created_at_ms",
            ]
        )
    return facts | {
        "price_change_h24_pct": text(best.priceChange.h24 if best.priceChange else None),
        "liquidity_usd": text(best.liquidity.usd if best.liquidity else None),
        "volume_h24_usd": text(best.volume.h24 if best.volume else None),
        "market_cap_usd": text(best.marketCap),
        "pair_created_at_ms": best.pairCreatedAt,
    }


def find_tokens(
    client: httpx.Client, settings: DexSettings, queries: list[str], run: Run
) -> list[dict[str, Any]]:
    """The boosted and searched tokens with their facts; a source that fails is a fault and
    the others still count."""
    found: dict[str, tuple[str, str]] = {}  # mint -> (source, ref); boosts first
    sources: list[tuple[str, str]] = [("boost", BOOSTS_REF)] + [("search", q) for q in queries]
    for source, ref in sources:
        try:
            if source == "boost":
                mints = boosted_mints(client, settings)
            else:
                mints = searched_mints(client, settings, ref)
        except DexFailed as failure:
            run.fault(ref, failure.detail)
            continue
        for mint in mints:
            found.setdefault(mint, (source, ref))
    if not found:
        return []
    try:
        pairs = token_pairs(client, settings, list(found))
    except DexFailed as failure:
        run.fault("tokens/v1", failure.detail)
        return []
    return [winner_facts(mint, source, ref, pairs) for mint, (source, ref) in found.items()]


# --- Helius histories -----------------------------------------------------------------------


@dataclass
class Run(Budget):
    """What one run did, for its answer and the log."""

    tokens_found: int = 0
    winners: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    submitted: dict[str, Any] | None = None
    winner_pages: int = 0
    candidate_pages: int = 0
    new_candidates: int = 0
    new_swaps: int = 0
    winners_done: list[str] = field(default_factory=list)
    candidates_done: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    faults: int = 0
    stopped: str | None = None

    def fault(self, subject: str, message: str) -> None:
        self.faults += 1
        database.record_fault(SOURCE, subject, message)

    def report(self) -> dict[str, Any]:
        return {
            "submitted": self.submitted,
            "tokens_found": self.tokens_found,
            "winners": self.winners,
            "rejected": self.rejected,
            "calls": self.calls,
            "credits_spent": self.calls * self.call_credits,
            "winner_pages": self.winner_pages,
            "candidate_pages": self.candidate_pages,
            "new_candidates": self.new_candidates,
            "new_swaps": self.new_swaps,
            "winners_done": self.winners_done,
            "candidates_done": self.candidates_done,
            "left": self.left,
            "faults": self.faults,
            "stopped": self.stopped,
        }


def record_page(kind: str, subject: str, page: Page, complete: bool) -> dict[str, Any]:
    key = "mint" if kind == "winner" else "address"
    return database.rpc_object(
        f"record_{kind}_page",
        {
            key: subject,
            "transactions": page.transactions,
            "oldest_signature": page.oldest_signature,
            "complete": complete,
        },
    )


def walk(
    client: httpx.Client, settings: HistorySettings, kind: str, item: dict[str, Any], run: Run
) -> bool:
    """Reads one winner's mint history or one candidate's own, page after page, from where
    the database says; True when the walk is complete, False when the budget ran out."""
    subject = item["mint"] if kind == "winner" else item["address"]

    def record(page: Page) -> tuple[dict[str, Any], bool]:
        complete = page.size == 0  # only an empty page ends a history
        stored = record_page(kind, subject, page, complete)
        for rejected in page.rejected:
            run.fault(rejected.signature or subject, rejected.error)
        if kind == "winner":
            run.winner_pages += 1
            run.new_candidates += int(stored.get("new_candidates") or 0)
        else:
            run.candidate_pages += 1
            run.new_swaps += int(stored.get("new_swaps") or 0)
            complete = complete or bool(stored.get("complete"))
        return stored, complete

    return walk_history(
        client, settings, subject, item.get("before"), None, PAGE_LIMIT, run, record
    )


def walk_all(
    client: httpx.Client,
    settings: HistorySettings,
    kind: str,
    items: list[dict[str, Any]],
    run: Run,
) -> None:
    """Every item's walk in turn, until the budget or a 429 stops the run."""
    done = run.winners_done if kind == "winner" else run.candidates_done
    for index, item in enumerate(items):
        subject = item["mint"] if kind == "winner" else item["address"]
        try:
            finished = walk(client, settings, kind, item, run)
        except RateLimited as limited:
            run.stopped, finished = limited.detail, False
        except (UpstreamFailed, Refused) as failure:  # this one waits for the next run
            run.fault(subject, failure.detail)
            finished = False
        (done if finished else run.left).append(subject)
        if run.stopped or (not finished and run.spent):
            run.stopped = run.stopped or "credit budget spent"
            run.left += [
                i["mint"] if kind == "winner" else i["address"] for i in items[index + 1 :]
            ]
            return


def plan() -> dict[str, Any]:
    return database.rpc_object("discovery_plan", {"max_items": PLAN_ITEMS})


def run_discovery(
    history: HistorySettings, dex: DexSettings, submission: dict[str, Any] | None = None
) -> dict[str, Any]:
    submitted = None
    if submission is not None:
        submitted = submit(submission["addresses"], submission.get("note") or "")
    first = plan()
    run = Run(credits=int(first["credits"]), call_credits=int(first["call_credits"]))
    run.submitted = submitted
    with httpx.Client() as client:
        tokens = find_tokens(client, dex, list(first.get("search_queries") or []), run)
        run.tokens_found = len(tokens)
        if tokens:
            recorded = database.rpc_object("record_winners", {"tokens": tokens})
            run.winners = list(recorded.get("winners") or [])
            run.rejected = list(recorded.get("rejected") or [])
        # The winners just recorded, then the candidates their walks found, are in the plan.
        walk_all(client, history, "winner", list(plan()["winners"]), run)
        if not run.stopped:
            walk_all(client, history, "candidate", list(plan()["candidates"]), run)
    logger.info(
        "discovery: %s tokens, %s winners, %s calls, %s new candidates, %s new swaps%s",
        run.tokens_found,
        len(run.winners),
        run.calls,
        run.new_candidates,
        run.new_swaps,
        f" ({run.stopped})" if run.stopped else "",
    )
    return run.report()


def submit(addresses: list[str], note: str) -> dict[str, Any]:
    """An operator's addresses; SQL refuses invalid ones with a message said back as a 400."""
    try:
        return database.rpc_object("submit_candidates", {"addresses": addresses, "note": note})
    except Refused as refused:
        raise BadRequest(f"addresses refused: {refused.message}") from None


def submission(body: Any) -> dict[str, Any] | None:
    """None for a run; the operator's addresses and note; else a BadRequest saying why."""
    usage = 'the body is empty, {}, or {"addresses": ["<base58 address>", ...], "note": "..."}'
    if not isinstance(body, dict):
        raise BadRequest(usage)
    if not body:
        return None
    unknown = sorted(set(body) - {"addresses", "note"})
    if unknown:
        raise BadRequest(f"unknown field(s) {', '.join(map(repr, unknown))[:200]}: {usage}")
    addresses, note = body.get("addresses"), body.get("note")
    if not isinstance(addresses, list) or not addresses:
        raise BadRequest(f"addresses must be a non-empty list: {usage}")
    if len(addresses) > MAX_ADDRESSES:
        raise BadRequest(f"at most {MAX_ADDRESSES} addresses per call")
    if not all(isinstance(address, str) for address in addresses):
        raise BadRequest("addresses must be strings")
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        raise BadRequest(f"note must be a string of at most {MAX_NOTE} characters")
    return {"addresses": addresses, "note": note}


def handle_discovery(request: flask.Request) -> tuple[dict[str, Any], int]:
    """A schedule's call (no body, or {}) runs; an operator's addresses are submitted first."""
    auth.require_operator(request)
    body = request.get_json(silent=True) if request.content_length else {}
    wanted = submission(body)
    return run_discovery(HistorySettings.from_env(), DexSettings.from_env(), wanted), 200
