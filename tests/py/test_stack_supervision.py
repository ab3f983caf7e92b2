"""supervisord brings a killed process back by itself (issue 13): a SIGKILLed function or
PostgREST serves again within 10 s, leaves no worker holding its port, and `stack.sh status`
counts the restart. These tests kill processes, so they run on a stack of their own."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from scripts.stack_env import REPO_ROOT, read_env_file, run_stack

# Ports under Linux's ephemeral range (32768-60999): there, a client connection of the stacks
# already running (nginx's keep-alive to its upstreams, the tests' database connections) can
# hold a port for a while, and a function started meanwhile cannot bind it (seen once).
STACK = {
    "STACK_DIR": ".local/supervision-test",
    "PG_PORT": "28422",
    "GATEWAY_PORT": "28421",
    "PGRST_PORT": "28429",
    "FUNCTIONS_PORT_BASE": "28440",
    "ENV_FILE": ".local/supervision-test/env",
    "STACK_FAST": "1",
    "STACK_SCHEDULER": "0",
    "STACK_SIMULATOR": "0",
}
STACK_DIR = REPO_ROOT / STACK["STACK_DIR"]
GATEWAY = f"http://127.0.0.1:{STACK['GATEWAY_PORT']}"
HELIUS_SYNC_PORT = int(STACK["FUNCTIONS_PORT_BASE"]) + 1  # py_functions/functions.tsv
SERVED_WITHIN_S = 10  # issue 13: "a killed function serves again within 10 s"


@pytest.fixture(scope="module")
def service_key() -> Iterator[str]:
    try:
        run_stack("reset", STACK, quiet=True)
        run_stack("up", STACK, quiet=True)
        yield read_env_file(REPO_ROOT / STACK["ENV_FILE"])["SUPABASE_SERVICE_ROLE_KEY"]
    finally:
        run_stack("down", STACK, quiet=True)


def supervisorctl(*args: str) -> str:
    return subprocess.run(
        [REPO_ROOT / ".venv/bin/supervisorctl", "-c", STACK_DIR / "supervisord.conf", *args],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


def pid_of(program: str) -> int:
    return int(supervisorctl("pid", program) or 0)


def status() -> dict[str, tuple[str, int]]:
    """Each program's state and restart count, as `stack.sh status` prints them."""
    printed = subprocess.run(
        [REPO_ROOT / "scripts/stack.sh", "status"],
        cwd=REPO_ROOT,
        env=os.environ | STACK,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    rows = re.findall(r"^stack: (\S+) +(\S+).* restarts (\d+) ", printed, re.MULTILINE)
    return {name: (state, int(restarts)) for name, state, restarts in rows}


def group_alive(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


def poll(what: str, done: Callable[[], bool], deadline_s: float) -> float:
    """Seconds until `done()` held; fails if it did not within `deadline_s`."""
    start = time.monotonic()
    while time.monotonic() - start < deadline_s:
        if done():
            return time.monotonic() - start
        time.sleep(0.05)
    pytest.fail(f"{what}: not within {deadline_s} s")


def answer(url: str, headers: dict[str, str] | None = None) -> int:
    """The HTTP status of a POST, 0 when nothing answers."""
    try:
        return httpx.post(url, headers=headers, json={}, timeout=1).status_code
    except httpx.HTTPError:
        return 0


def restarted(name: str, restarts: int) -> Callable[[], bool]:
    """`stack.sh status` shows `name` running again, with one more restart."""
    return lambda: status().get(name) == ("RUNNING", restarts + 1)


def test_a_killed_function_leaves_no_worker_and_serves_again_within_10_s(
    service_key: str,
) -> None:
    master = pid_of("functions:fn-helius-sync")
    assert len(group_alive(master)) > 1, "gunicorn runs a master and its workers"
    restarts = status()["fn-helius-sync"][1]
    # A request still arriving when the master dies: an orphaned worker would wait for it
    # (gunicorn's graceful timeout) while it holds the port.
    with socket.create_connection(("127.0.0.1", HELIUS_SYNC_PORT)) as slow_client:
        slow_client.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n{")
        os.kill(master, signal.SIGKILL)

        def served_by_a_new_master() -> bool:
            # Unauthenticated, the function answers 401 (the gateway 502 while it is down).
            # Only once no old worker is left does the answer come from a new master.
            return not group_alive(master) and answer(f"{GATEWAY}/functions/v1/helius-sync") == 401

        took = poll("helius-sync served again", served_by_a_new_master, SERVED_WITHIN_S)
    print(f"helius-sync served again {took:.1f} s after its master was killed")
    poll("status counts the restart", restarted("fn-helius-sync", restarts), 5)


def test_a_killed_postgrest_serves_again_within_10_s(service_key: str) -> None:
    old = pid_of("postgrest")
    restarts = status()["postgrest"][1]
    os.kill(old, signal.SIGKILL)
    headers = {"apikey": service_key, "Authorization": f"Bearer {service_key}"}

    def served() -> bool:
        return answer(f"{GATEWAY}/rest/v1/rpc/overview", headers) == 200

    took = poll("PostgREST served again", served, SERVED_WITHIN_S)
    print(f"PostgREST served again {took:.1f} s after it was killed")
    assert pid_of("postgrest") != old
    poll("status counts the restart", restarted("postgrest", restarts), 5)


def test_a_killed_gateway_leaves_no_worker_and_serves_again(service_key: str) -> None:
    master = pid_of("gateway")
    restarts = status()["gateway"][1]
    os.kill(master, signal.SIGKILL)

    def served() -> bool:
        return not group_alive(master) and answer(f"{GATEWAY}/functions/v1/helius-sync") == 401

    poll("the gateway served again", served, SERVED_WITHIN_S)
    poll("status counts the restart", restarted("gateway", restarts), 5)


def test_status_shows_every_process_running(service_key: str) -> None:
    states = status()
    assert {"postgres", "postgrest", "gateway", "fn-helius-webhook"} <= states.keys()
    assert {state for state, _ in states.values()} == {"RUNNING"}


def test_up_again_restarts_nothing(service_key: str) -> None:
    pids = {name: pid_of(name) for name in ("postgres", "postgrest", "gateway")}
    run_stack("up", STACK, quiet=True)
    assert {name: pid_of(name) for name in pids} == pids


def test_down_leaves_nothing_running(service_key: str) -> None:
    supervisord = int(supervisorctl("pid"))
    run_stack("down", STACK, quiet=True)
    tag = f"WALLTRACK_STACK={STACK_DIR}".encode()
    tagged = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if tag in environ.read_bytes().split(b"\0"):
                tagged.append(environ.parent.name)
        except OSError:
            continue
    assert tagged == []
    assert not group_alive(supervisord)
    for port in ("GATEWAY_PORT", "PGRST_PORT", "PG_PORT", "FUNCTIONS_PORT_BASE"):
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{STACK[port]}/", timeout=1)
