"""One HTTP server on 127.0.0.1 for every simulated service, each under its own path prefix,
plus the /control API that moves the scenario clock.

Injected faults are applied here, before a service sees the call: latency, a hang past the
client's timeout, or an error status. The chain faults travel to the service in the decision.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from simulator import helius, history, jito, jupiter, notify_apis, rpc, token_apis
from simulator.delivery import deliver_due
from simulator.encoding import number_text
from simulator.faults import Decision
from simulator.http import BadRequest, Reply, Request, error_reply, json_reply, write_json
from simulator.scenario import Scenario, load_scenario, parse_scenario
from simulator.world import World

logger = logging.getLogger("simulator")

Handler = Callable[[World, Request, Decision], Reply]


@dataclass(frozen=True)
class Service:
    prefix: str
    name: str  # in fault rules and the call log (the JSON-RPC endpoint refines it per method)
    handler: Handler


HELIUS_HISTORY = Service(history.PREFIX, "helius_history", history.transactions)
HELIUS = Service("/helius", "helius", helius.management)
RPC = Service("/rpc", "rpc", rpc.handle)
RUGCHECK = Service("/rugcheck/v1", "rugcheck", token_apis.rugcheck)
DEXSCREENER = Service("/dexscreener", "dexscreener", token_apis.dexscreener)
JUPITER_PRICE = Service("/jupiter/price/v3", "jupiter_price", jupiter.price)
JUPITER_QUOTE = Service("/jupiter/swap/v1/quote", "jupiter_quote", jupiter.quote)
JUPITER_SWAP = Service("/jupiter/swap/v1/swap", "jupiter_swap", jupiter.swap)
JITO = Service("/jito", "jito", jito.handle)  # the block engine's root: /jito/api/v1/...
TELEGRAM = Service(notify_apis.TELEGRAM_PREFIX, "telegram", notify_apis.telegram)
DISCORD = Service(notify_apis.DISCORD_PREFIX, "discord", notify_apis.discord)
# The history's prefix lies under Helius's: it is matched first.
SERVICES = (
    HELIUS_HISTORY,
    HELIUS,
    RPC,
    RUGCHECK,
    DEXSCREENER,
    JUPITER_PRICE,
    JUPITER_QUOTE,
    JUPITER_SWAP,
    JITO,
    TELEGRAM,
    DISCORD,
)
CONTROL_PREFIX = "/control"

# Where each client's base URL must point (the values of `env_for`).
ENV_PREFIXES = {
    "HELIUS_API_BASE_URL": HELIUS.prefix,
    "HELIUS_RPC_URL": RPC.prefix,
    "RUGCHECK_BASE_URL": RUGCHECK.prefix,
    "DEXSCREENER_BASE_URL": DEXSCREENER.prefix,
    "JUPITER_PRICE_URL": JUPITER_PRICE.prefix,
    "JUPITER_QUOTE_URL": JUPITER_QUOTE.prefix,
    "JUPITER_SWAP_URL": JUPITER_SWAP.prefix,
    "SOLANA_RPC_URL": RPC.prefix,
    "TELEGRAM_API_BASE_URL": TELEGRAM.prefix,
    "DISCORD_WEBHOOK_URL": f"{DISCORD.prefix}/webhooks/1/simulator",
}
# Jito is opt-in (setting JITO_URL sends live transactions through it): not in `env_for`.
JITO_URL_PREFIX = JITO.prefix


def env_for(base_url: str) -> dict[str, str]:
    """The environment that points every WallTrack client at the simulator at `base_url`."""
    base = base_url.rstrip("/")
    return {name: f"{base}{prefix}" for name, prefix in ENV_PREFIXES.items()}


def under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(f"{prefix}/")


class Simulator:
    """The server and its world. `advance`, `state` and `reset` are the control API in
    process; over HTTP they are POST /control/advance, GET /control/state, POST /control/reset."""

    def __init__(self, scenario: Scenario, host: str = "127.0.0.1", port: int = 0) -> None:
        self.world = World(scenario)
        self.stopping = threading.Event()
        self.advancing = threading.Lock()  # one clock move at a time
        self.client = httpx.Client()
        self.server = ThreadingHTTPServer((host, port), handler_class(self))
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.1,), daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def env(self) -> dict[str, str]:
        return env_for(self.base_url)

    def start(self) -> Simulator:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # ends injected waits and delivery back-offs at once
        self.server.shutdown()
        self.server.server_close()
        with self.advancing:  # a clock move in progress winds down first
            self.client.close()

    # --- control -----------------------------------------------------------------------

    def advance(self, to_seconds: Decimal | int | str) -> dict[str, Any]:
        """Moves the clock forward to `to_seconds`, delivering the swaps due on the way."""
        target = Decimal(to_seconds)
        with self.advancing:
            if self.stopping.is_set():
                raise BadRequest("the simulator is stopping")
            now = self.world.now()
            if not target.is_finite() or target < now:
                raise BadRequest(f"the clock is at {now}: it only moves forward (reset first)")
            deliveries = deliver_due(self.world, self.client, target, self.stopping)
        return {"now": target, "deliveries": deliveries}

    def reset(self, keep_webhooks: bool = False) -> dict[str, Any]:
        with self.advancing:
            self.world.reset(keep_webhooks)
        return self.state()

    def state(self) -> dict[str, Any]:
        world = self.world
        with world.lock:
            state, timeline = world.state, world.timeline
            chain, now = state.chain, state.now
            upcoming = timeline[state.next_swap].t if state.next_swap < len(timeline) else None
            history = world.scenario.history_count()  # swaps before t=0, never delivered
            return {
                "scenario": world.scenario.name,
                "now": now,
                "epoch": state.epoch,
                "unix_time": world.unix_time(now),
                "slot": chain.slot_at(now),
                "block_height": chain.height_at(now),
                "swaps_delivered": state.next_swap - history,
                "swaps_total": len(timeline) - history,
                "swaps_before_start": history,
                "next_swap_t": upcoming,
                "prices_sol": {
                    token.mint: number_text(token.price_at(now)) for token in world.scenario.tokens
                },
                "webhooks": list(state.webhooks.values()),
                "calls": dict(state.call_counts),
                "faults": state.faults.summary(),
                "transactions": [
                    {"signature": s, "slot": t.slot, "err": t.err} for s, t in chain.landed.items()
                ],
                "dropped_transactions": sorted(chain.dropped),
            }

    def move_tokens(
        self, mint: str, amount: int, source: str | None = None, destination: str | None = None
    ) -> dict[str, Any]:
        """Moves tokens outside WallTrack, as a transfer signed elsewhere would: out of
        `source`'s account of the mint (None: minted) into `destination`'s (None: burnt)."""
        with self.world.lock:
            try:
                held = self.world.state.chain.move_tokens(mint, amount, source, destination)
            except ValueError as refused:
                raise BadRequest(str(refused)) from None
        return {"mint": mint, "amount": amount, "held": held}

    def control(self, request: Request) -> Reply:
        action = request.path.removeprefix(CONTROL_PREFIX).strip("/")
        if request.method == "GET" and action in ("calls", "deliveries", "messages"):
            with self.world.lock:
                return json_reply(list(getattr(self.world.state, action)))
        if request.method == "GET" and action == "state":
            return json_reply(self.state())
        body = request.json() if request.body else {}
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        if request.method == "POST" and action == "advance":
            return json_reply(self.advance(advance_target(body, self.world.now())))
        if request.method == "POST" and action == "reset":
            return json_reply(self.reset(keep_webhooks=body.get("keep_webhooks") is True))
        if request.method == "POST" and action == "move_tokens":
            return json_reply(self.move_tokens(*move_arguments(body)))
        return error_reply(404, f"no control action {request.method} {action or '(none)'}")

    # --- requests ----------------------------------------------------------------------

    def dispatch(self, request: Request) -> Reply | None:
        """The reply to a request; None when the simulator stopped while the call hung."""
        try:
            if under(request.path, CONTROL_PREFIX):
                return self.control(request)
            service = next((s for s in SERVICES if under(request.path, s.prefix)), None)
            if service is None:
                return error_reply(404, f"no simulated service at {request.path}")
            return self.serve(service, request)
        except BadRequest as error:
            return error_reply(400, str(error))

    def serve(self, service: Service, request: Request) -> Reply | None:
        name, method = service.name, None
        if service is RPC:
            name, method = rpc.classify(request)
        elif service is JITO:
            method = rpc.classify(request)[1]  # its faults may name a method too
        decision = self.world.decide(name, method, request.path)
        if decision.delay_ms and self.stopping.wait(decision.delay_ms / 1000):
            return None
        if decision.hang_ms is not None:
            if self.stopping.wait(decision.hang_ms / 1000):
                return None
            return error_reply(504, "simulated timeout")  # the client left long ago
        if decision.status is not None:
            return fault_reply(service, decision.status, decision.retry_after)
        return service.handler(self.world, request, decision)


def move_arguments(body: dict[str, Any]) -> tuple[str, int, str | None, str | None]:
    """{"mint", "amount" (atomic units, a string or an integer), "from"?, "to"?}."""
    mint, amount = body.get("mint"), body.get("amount")
    source, destination = body.get("from"), body.get("to")
    if not isinstance(mint, str) or not (
        type(amount) is int or (isinstance(amount, str) and amount.isdigit())
    ):
        raise BadRequest("move_tokens takes {mint, amount (atomic units), from?, to?}")
    if source is None and destination is None:
        raise BadRequest("move_tokens needs from, to or both")
    if not all(owner is None or isinstance(owner, str) for owner in (source, destination)):
        raise BadRequest("from and to are owner addresses")
    return mint, int(amount), source, destination


def advance_target(body: dict[str, Any], now: Decimal) -> Decimal:
    """{"to_seconds": t} or {"by_seconds": dt}."""
    try:
        if "to_seconds" in body:
            return Decimal(str(body["to_seconds"]))
        if "by_seconds" in body:
            return now + Decimal(str(body["by_seconds"]))
    except ArithmeticError:
        raise BadRequest("to_seconds / by_seconds must be numbers") from None
    raise BadRequest('give {"to_seconds": t} or {"by_seconds": dt}')


def fault_reply(service: Service, status: int, retry_after: str | None) -> Reply:
    headers = {"Retry-After": retry_after} if retry_after else {}
    if service in (RPC, JITO):
        return json_reply(rpc.fault_body(status), status, headers)
    if service in (TELEGRAM, DISCORD):
        return json_reply(
            notify_apis.fault_body(service.name, status, retry_after), status, headers
        )
    return json_reply({"error": "simulated failure"}, status, headers)


def handler_class(simulator: Simulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: clients reuse their connections
        disable_nagle_algorithm = True  # headers and body go out in two writes
        timeout = 30  # an idle kept-alive connection is closed after this many seconds

        def handle_any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = dict(self.headers.items())
            request = Request.parse(self.command, self.path, headers, body)
            try:
                reply = simulator.dispatch(request)
            except Exception:
                logger.exception("simulator: %s %s failed", self.command, request.path)
                reply = error_reply(500, "simulator failure")
            if reply is None:
                self.close_connection = True
                return
            if not write_json(self, reply.status, reply.headers, reply.body):
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_DELETE = handle_any  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            logger.debug("simulator: " + format, *args)

    return Handler


ScenarioSource = Scenario | Mapping[str, Any] | str | Path


def as_scenario(source: ScenarioSource) -> Scenario:
    if isinstance(source, Scenario):
        return source
    if isinstance(source, Mapping):
        return parse_scenario(source)
    return load_scenario(source)


@contextmanager
def run_simulator(
    scenario: ScenarioSource, port: int = 0, host: str = "127.0.0.1"
) -> Iterator[Simulator]:
    """Serves the scenario (a model, a dict, or a file path) until the block ends."""
    simulator = Simulator(as_scenario(scenario), host, port).start()
    try:
        yield simulator
    finally:
        simulator.stop()
