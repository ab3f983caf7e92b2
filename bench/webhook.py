"""helius-webhook end to end over HTTP (function -> supabase client -> gateway -> PostgREST ->
SQL), one swap per delivery with the token cached, against a hello-world function served
with the same functions-framework settings. Deliveries alternate a leader buy of a new token
(copied) and the leader's sale of it (mirrored, closing the position): every delivery
exercises the copy path, and the open book stays small as it does in real use."""

from __future__ import annotations

import json
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg

from scripts.stack_env import REPO_ROOT
from simulator.helius_tx import new_mint, swap_transaction

SEQUENTIAL = 600
CONCURRENT = 2400
CLIENTS = 8
HELLO_PORT = 56390


@contextmanager
def function_server(
    target: str, source: str, port: int, env: dict[str, str] | None = None
) -> Iterator[str]:
    """A functions-framework server of its own, as the stack serves each function."""
    process = subprocess.Popen(
        [
            ".venv/bin/functions-framework",
            f"--target={target}",
            f"--source={source}",
            "--host=127.0.0.1",
            f"--port={port}",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def hello_server() -> AbstractContextManager[str]:
    return function_server("hello", "bench/hello.py", HELLO_PORT)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def latencies(send: Callable[[httpx.Client], None], count: int) -> list[float]:
    samples = []
    with httpx.Client(timeout=10) as client:
        for _ in range(count):
            start = time.perf_counter()
            send(client)
            samples.append((time.perf_counter() - start) * 1000)
    return samples


def throughput(send: Callable[[httpx.Client], None], count: int) -> float:
    def worker(share: int) -> None:
        with httpx.Client(timeout=10) as client:
            for _ in range(share):
                send(client)

    start = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(worker, [count // CLIENTS] * CLIENTS))
    return count / (time.perf_counter() - start)


def memory_mb(pids: list[int], proportional: bool = False) -> float:
    """Resident memory of these processes and all their descendants. Proportional (PSS):
    a page shared by several processes (Postgres' shared buffers, a forked worker's
    libraries) counts once in all, split between them, instead of once per process."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo, seen = 0, list(pids), set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        todo += children.get(pid, [])
        source, label = ("smaps_rollup", "Pss:") if proportional else ("status", "VmRSS:")
        try:
            lines = Path(f"/proc/{pid}/{source}").read_text().splitlines()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in lines if line.startswith(label)), 0)
    return total / 1024


def stack_pids(stack_dir: Path) -> dict[str, int]:
    """supervisord, whose descendants are the whole stack, and the webhook function."""

    def pid(*program: str) -> int:
        conf = str(stack_dir / "supervisord.conf")
        ctl = [str(REPO_ROOT / ".venv/bin/supervisorctl"), "-c", conf, "pid", *program]
        return int(subprocess.run(ctl, capture_output=True, text=True, check=True).stdout)

    return {"supervisord": pid(), "fn-helius-webhook": pid("functions:fn-helius-webhook")}


def run(database_url: str, webhook_url: str, secret: str, stack_dir: Path) -> dict[str, Any]:
    deliveries = 2 * (50 + SEQUENTIAL + CONCURRENT)
    mints = [new_mint() for _ in range(deliveries // 2)]
    with psycopg.connect(database_url, autocommit=True) as db:
        row = db.execute(
            "select address from walltrack.wallets where label = 'whale-alpha'"
        ).fetchone()
        assert row is not None
        wallet = str(row[0])
        with db.cursor() as cursor:
            cursor.executemany("select tests.safe_token(%s)", [(m,) for m in mints])
    swaps = iter(
        swap_transaction(wallet, mint, sign * 2_000_000_000, -sign * 1_000_000_000)
        for mint in mints
        for sign in (1, -1)
    )
    lock = threading.Lock()

    def deliver(client: httpx.Client) -> None:
        with lock:
            tx = next(swaps)
        response = client.post(
            webhook_url, content=json.dumps([tx]), headers={"Authorization": secret}
        )
        assert response.status_code == 200 and response.json()["new_signals"] == 1

    with hello_server() as hello_url:

        def greet(client: httpx.Client) -> None:
            assert client.post(hello_url, content=b"[]").status_code == 200

        latencies(greet, 50)
        latencies(deliver, 50)
        hello_ms, webhook_ms = latencies(greet, SEQUENTIAL), latencies(deliver, SEQUENTIAL)
        hello_rps, webhook_rps = throughput(greet, CONCURRENT), throughput(deliver, CONCURRENT)
    pids = stack_pids(stack_dir)
    function_mb = memory_mb([pids["fn-helius-webhook"]])
    stack_mb = memory_mb(list(pids.values()), proportional=True)
    return {
        "hello_p50": statistics.median(hello_ms),
        "hello_p99": percentile(hello_ms, 0.99),
        "webhook_p50": statistics.median(webhook_ms),
        "webhook_p99": percentile(webhook_ms, 0.99),
        "added_p50": statistics.median(webhook_ms) - statistics.median(hello_ms),
        "added_p99": percentile(webhook_ms, 0.99) - percentile(hello_ms, 0.99),
        "hello_rps": hello_rps,
        "webhook_rps": webhook_rps,
        "ratio": webhook_rps / hello_rps,
        "function_mb": function_mb,
        "stack_mb": stack_mb,
    }
