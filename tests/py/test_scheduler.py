"""The local scheduler calls each scheduled function through the gateway URL, and stops on
SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from scripts.stack_env import REPO_ROOT


def test_scheduler_calls_every_function_on_its_schedule(tmp_path: Path) -> None:
    paths: list[str] = []
    authorizations: set[str | None] = set()

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            paths.append(self.path)
            authorizations.add(self.headers.get("Authorization"))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    schedules = tmp_path / "schedules.tsv"
    schedules.write_text("# name\tevery\nfast-one\t0.2\nslow-one\t3600\n")
    process = subprocess.Popen(
        [
            sys.executable,
            "scripts/scheduler.py",
            f"http://127.0.0.1:{server.server_address[1]}",
            str(schedules),
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "FUNCTIONS_SECRET": "scheduler-secret"},
    )
    try:
        for _ in range(100):
            if paths.count("/functions/v1/fast-one") >= 3:
                break
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        server.shutdown()
    assert paths.count("/functions/v1/fast-one") >= 3
    assert paths.count("/functions/v1/slow-one") == 1
    assert authorizations == {"Bearer scheduler-secret"}
