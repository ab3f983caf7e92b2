"""One clock (issue 19), the Python side: a function decides nothing by its own wall clock.
Retries, backoff and leases are decided in SQL by walltrack.clock(), a blockhash's validity
by the chain's block height; the one wall-clock read left is the webhook's answer deadline,
a latency budget (Helius waits about a second), not a rule. (Waiting is not reading: a
lookup's back-off after a 429 sleeps, and decides nothing by the time.)"""

from __future__ import annotations

import re

from scripts.stack_env import REPO_ROOT

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
