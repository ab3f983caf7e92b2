"""The local stack's scheduler: calls the scheduled functions through the gateway, as Cloud
Scheduler (or pg_cron + pg_net) does in production, with `Bearer $FUNCTIONS_SECRET`.
Started by `scripts/stack.sh up`."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

import httpx

logger = logging.getLogger("scheduler")


def read_schedules(path: Path) -> dict[str, float]:
    schedules = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, every = line.split("\t")[:2]
            schedules[name] = float(every)
    return schedules


def run(gateway: str, schedules: dict[str, float]) -> None:
    running = True

    def stop(_signal: int, _frame: FrameType | None) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    due = dict.fromkeys(schedules, time.monotonic())
    secret = os.environ.get("FUNCTIONS_SECRET", "")
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    with httpx.Client(timeout=30, headers=headers) as client:
        while running:
            for name, every in schedules.items():
                if time.monotonic() >= due[name]:
                    due[name] = time.monotonic() + every
                    call(client, f"{gateway}/functions/v1/{name}", name)
            time.sleep(0.5)


def call(client: httpx.Client, url: str, name: str) -> None:
    try:
        response = client.post(url, content=b"")
        logger.info("%s: HTTP %s %s", name, response.status_code, response.text[:200])
    except httpx.HTTPError as failure:
        logger.warning("%s: %s", name, type(failure).__name__)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    run(sys.argv[1], read_schedules(Path(sys.argv[2])))
