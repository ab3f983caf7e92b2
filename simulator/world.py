"""The simulator's shared state: scenario clock, chain, registered webhooks, faults and the
call log, behind one lock. Every service reads the market at the clock's current time."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from simulator.chain import Chain
from simulator.faults import Decision, FaultBook
from simulator.scenario import Scenario

CALL_LOG_SIZE = 2_000


@dataclass
class State:
    """Everything a reset starts afresh."""

    epoch: int  # unix time of scenario second 0
    chain: Chain
    faults: FaultBook
    now: Decimal = Decimal(0)
    # index in the timeline of the first swap not yet delivered; those before t=0 happened
    # before the start and are never delivered
    next_swap: int = 0
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    webhooks_created: int = 0
    calls: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=CALL_LOG_SIZE))
    call_counts: Counter[str] = field(default_factory=Counter)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)  # Telegram and Discord got


class World:
    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.timeline = scenario.timeline()
        self.lock = threading.Lock()
        self.state = self.fresh_state()

    def fresh_state(self) -> State:
        epoch = self.scenario.start_unix
        if epoch is None:
            epoch = int(time.time()) - (self.scenario.start_seconds_ago or 0)
        return State(
            epoch=epoch,
            chain=Chain(self.scenario),
            faults=FaultBook(self.scenario.faults, self.scenario.seed),
            next_swap=self.scenario.history_count(),
        )

    def reset(self, keep_webhooks: bool = False) -> None:
        with self.lock:
            webhooks = self.state.webhooks if keep_webhooks else {}
            self.state = self.fresh_state()
            self.state.webhooks = webhooks

    def record_call(self, service: str, method: str | None, path: str, decision: Decision) -> None:
        """Logs a call (the caller holds the lock)."""
        state = self.state
        state.call_counts[service] += 1
        state.calls.append(
            {
                "t": state.now,
                "service": service,
                "method": method,
                "path": path,
                "faults": decision.fired,
            }
        )

    def decide(self, service: str, method: str | None, path: str) -> Decision:
        """The faults for one call, logged with it."""
        with self.lock:
            return self.decide_locked(service, method, path)

    def decide_locked(self, service: str, method: str | None, path: str) -> Decision:
        """`decide`, for a caller that holds the lock."""
        decision = self.state.faults.decide(service, method, self.state.now)
        self.record_call(service, method, path, decision)
        return decision

    def now(self) -> Decimal:
        with self.lock:
            return self.state.now

    def unix_time(self, t: Decimal) -> int:
        return self.state.epoch + int(t)
