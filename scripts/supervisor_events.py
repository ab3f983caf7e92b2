"""The event listener of a local stack's supervisord (scripts/stack.sh). Usage:
python -m scripts.supervisor_events RESTARTS_LOG

- When a program's process exits, it kills what is left of its process group: a SIGKILLed
  gunicorn master or nginx master leaves workers that hold the port, so the restarted
  process could not bind it and new connections would hang.
- Each automatic restart (supervisord starting a program again after it exited, or after a
  failed start) is appended to RESTARTS_LOG as `<time> <program> restarted ...`, which
  `scripts/stack.sh status` counts. supervisord itself keeps no such count.

It speaks supervisord's listener protocol on stdin/stdout, so it prints nothing else there.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import BinaryIO


def fields(line: bytes) -> dict[str, str]:
    """`key:value key:value` (a header line, or a PROCESS_STATE payload)."""
    return dict(token.split(":", 1) for token in line.decode().split())


def handle(event: str, payload: dict[str, str], restarts_log: Path) -> None:
    name = payload.get("processname", "?")
    if event == "PROCESS_STATE_EXITED":
        try:
            # Its pid was its process group's id (supervisord starts each program in its own).
            os.killpg(int(payload["pid"]), signal.SIGKILL)
        except ProcessLookupError:
            pass  # nothing was left
    elif event == "PROCESS_STATE_STARTING" and payload.get("from_state") in ("EXITED", "BACKOFF"):
        # A start from STOPPED is someone's `start` or `restart`: not counted.
        when = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        with restarts_log.open("a") as log:
            log.write(f"{when} {name} restarted after {payload['from_state']}\n")


def listen(stdin: BinaryIO, stdout: BinaryIO, restarts_log: Path) -> None:
    while True:
        stdout.write(b"READY\n")
        stdout.flush()
        header = stdin.readline()
        if not header:
            return  # supervisord is gone
        headers = fields(header)
        payload = stdin.read(int(headers["len"])).split(b"\n", 1)[0]
        handle(headers["eventname"], fields(payload), restarts_log)
        stdout.write(b"RESULT 2\nOK")
        stdout.flush()


if __name__ == "__main__":
    listen(sys.stdin.buffer, sys.stdout.buffer, Path(sys.argv[1]))
