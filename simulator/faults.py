"""Injected faults: which of the scenario's rules fire on a call, deterministically.

Each rule counts the calls of its own target (service, and JSON-RPC method when it names
one) inside its time window; `first`, `every` and `calls` refer to that count, and
`probability` draws from a generator seeded by the scenario's seed and the rule's position.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from simulator.scenario import Fault

DEFAULT_HANG_MS = 30_000  # far past every client's timeout


@dataclass
class Decision:
    """What the faults firing on one call do to it."""

    delay_ms: int = 0
    hang_ms: int | None = None
    status: int | None = None
    retry_after: str | None = None
    chain: set[str] = field(default_factory=set)  # expired_blockhash, slippage
    duplicate: bool = False
    dropped: bool = False  # a webhook delivery lost in an outage
    fired: list[str] = field(default_factory=list)  # rule descriptions, for the call log

    def apply(self, fault: Fault) -> None:
        self.fired.append(describe(fault))
        if fault.kind == "latency":
            self.delay_ms += fault.ms or 0
        elif fault.kind == "timeout" and self.hang_ms is None and self.status is None:
            self.hang_ms = fault.ms if fault.ms is not None else DEFAULT_HANG_MS
        elif fault.kind == "status" and self.hang_ms is None and self.status is None:
            self.status, self.retry_after = fault.status, fault.retry_after
        elif fault.kind == "duplicate":
            self.duplicate = True
        elif fault.kind == "outage":
            self.dropped = True
        else:
            self.chain.add(fault.kind)


def describe(fault: Fault) -> str:
    what = f"{fault.kind} {fault.status}" if fault.status else fault.kind
    target = f"{fault.service}.{fault.target_method}" if fault.target_method else fault.service
    return f"{what} on {target}"


@dataclass
class Rule:
    fault: Fault
    generator: random.Random
    calls: int = 0  # calls of the target inside the time window
    fired: int = 0

    def fires(self, service: str, method: str | None, now: Decimal) -> bool:
        fault, when = self.fault, self.fault.when
        if fault.service != service or fault.target_method not in (None, method):
            return False
        if (when.from_t is not None and now < when.from_t) or (
            when.until_t is not None and now >= when.until_t
        ):
            return False
        self.calls += 1
        number = self.calls
        chosen = (
            (when.first is None or number <= when.first)
            and (when.every is None or number % when.every == 0)
            and (when.calls is None or number in when.calls)
        )
        if chosen and when.probability is not None:
            chosen = self.generator.random() < float(when.probability)  # a draw, not money
        self.fired += chosen
        return chosen


class FaultBook:
    """Not thread-safe: the simulator calls it under its state lock."""

    def __init__(self, faults: list[Fault], seed: int) -> None:
        self.rules = [
            Rule(fault, random.Random(f"{seed}:fault:{index}"))  # noqa: S311 (not a secret)
            for index, fault in enumerate(faults)
        ]

    def decide(self, service: str, method: str | None, now: Decimal) -> Decision:
        decision = Decision()
        for rule in self.rules:
            if rule.fires(service, method, now):
                decision.apply(rule.fault)
        return decision

    def summary(self) -> list[dict[str, object]]:
        return [
            {"fault": describe(rule.fault), "calls": rule.calls, "fired": rule.fired}
            for rule in self.rules
        ]
