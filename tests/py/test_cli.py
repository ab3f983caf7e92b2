"""The `walltrack` command (issue 18): the console script the set-up installs, run as an
operator runs it, against the test stack's gateway (and, for the long runs, an HTTP fake of
the gateway). Errors say what to do and exit 1, never with a trace or a key."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import threading
from typing import Any

import psycopg

from scripts.stack_env import REPO_ROOT, StackEnv
from simulator.helius_tx import new_mint
from tests.support.http_fake import Reply, Request, closed_port_url, serve

WALLTRACK = str(REPO_ROOT / ".venv" / "bin" / "walltrack")
Db = psycopg.Connection[tuple[Any, ...]]


def walltrack(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [WALLTRACK, *args],
        env=os.environ | {"COLUMNS": "200"} | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def no_trace_nor_key(done: subprocess.CompletedProcess[str], stack: StackEnv) -> None:
    for text in (done.stdout, done.stderr):
        assert "Traceback" not in text
        assert stack.service_role_key not in text


def test_the_console_script_is_installed_and_lists_its_commands() -> None:
    done = walltrack("--help")
    assert done.returncode == 0
    for command in ("status", "wallets", "breaker", "candidates", "promote", "discover"):
        assert command in done.stdout
    for command in ("backfill", "report", "replay"):
        assert command in done.stdout


def test_status_shows_the_switches_the_breaker_and_the_open_positions(stack: StackEnv) -> None:
    done = walltrack("status")
    assert done.returncode == 0, done.stderr
    assert "trading on" in done.stdout
    assert "circuit breaker armed" in done.stdout
    assert "Open positions" in done.stdout and "Deliveries" in done.stdout
    no_trace_nor_key(done, stack)


def test_a_wallet_is_added_listed_paused_resumed_and_retired(stack: StackEnv, db: Db) -> None:
    address, label = new_mint(), f"cli-{secrets.token_hex(3)}"
    added = walltrack("wallets", "add", address, "--label", label, "--exit-strategy", "scalper")
    assert added.returncode == 0, added.stderr
    assert f"watching {address} ({label}), simulation" in added.stdout
    assert label in walltrack("wallets", "list").stdout
    for command, status in (("pause", "paused"), ("resume", "active"), ("retire", "retired")):
        done = walltrack("wallets", command, label)
        assert (done.returncode, done.stdout.strip()) == (0, f"{label} is {status}")
    row = db.execute(
        "select w.status::text, s.name from walltrack.wallets as w"
        " join walltrack.exit_strategies as s on s.id = w.exit_strategy_id where w.address = %s",
        (address,),
    ).fetchone()
    assert row == ("retired", "scalper")


def test_what_the_database_refuses_is_said_with_what_to_do_and_exit_1(stack: StackEnv) -> None:
    refused = walltrack("wallets", "add", "O0Il-not-an-address")
    assert refused.returncode == 1
    assert refused.stderr.startswith("walltrack: ")
    assert "is not a Solana address" in refused.stderr and "explorer" in refused.stderr
    unknown = walltrack("wallets", "pause", f"nobody-{secrets.token_hex(3)}")
    assert unknown.returncode == 1 and "names 0 wallets, not one" in unknown.stderr
    strategy = walltrack("wallets", "add", new_mint(), "--exit-strategy", "yolo")
    assert strategy.returncode == 1 and "no exit strategy named yolo" in strategy.stderr
    for done in (refused, unknown, strategy):
        no_trace_nor_key(done, stack)


def test_a_wrong_command_line_exits_2_and_a_reset_needs_its_note() -> None:
    assert walltrack("breaker", "reset").returncode == 2
    assert walltrack("wallets", "fly").returncode == 2


def test_a_stack_that_is_down_is_said_so(stack: StackEnv) -> None:
    down = walltrack("status", SUPABASE_URL=closed_port_url())
    assert down.returncode == 1
    assert "cannot reach the stack" in down.stderr and "make up" in down.stderr
    no_trace_nor_key(down, stack)


def test_discover_runs_until_the_walk_is_done_and_a_function_failure_is_said(
    stack: StackEnv,
) -> None:
    """An HTTP fake of the gateway: two runs left work, the third finished it."""
    calls: list[dict[str, Any]] = []

    def answer(request: Request) -> Reply:
        if request.path != "/functions/v1/wallet-discovery":
            return Reply(404, {}, b"{}")
        calls.append(json.loads(request.body or b"{}"))
        left = ["a walk"] if len(calls) < 3 else []
        body = {"left": left, "new_candidates": 2, "credits_spent": 500}
        return Reply(200, {}, json.dumps(body).encode())

    with serve(answer, threading.Event()) as base_url:
        done = walltrack("discover", "--address", "Addr1", "--note", "tip", SUPABASE_URL=base_url)
    assert done.returncode == 0, done.stderr
    assert "3 run(s): 6 new candidate(s), 1500 credits" in done.stdout
    # The operator's addresses go with the first run only.
    assert calls == [{"addresses": ["Addr1"], "note": "tip"}, {}, {}]

    def failing(request: Request) -> Reply:
        return Reply(500, {}, b'{"error": "HELIUS_API_KEY is not set"}')

    with serve(failing, threading.Event()) as base_url:
        failed = walltrack("backfill", SUPABASE_URL=base_url)
    assert failed.returncode == 1
    assert failed.stderr.strip() == (
        "walltrack: helius-backfill answered 500: HELIUS_API_KEY is not set"
    )
    no_trace_nor_key(failed, stack)


def test_a_candidate_is_listed_and_promoted_once(stack: StackEnv, db: Db) -> None:
    address = new_mint()
    db.execute("select api.submit_candidates(array[%s], 'from the cli test')", (address,))
    db.execute("select api.record_candidate_page(%s, '[]', null, true)", (address,))
    candidate_id = db.execute(
        "select id from walltrack.discovery_candidates where address = %s", (address,)
    ).fetchone()
    assert candidate_id is not None
    listed = walltrack("candidates", "--limit", "100000")
    assert listed.returncode == 0, listed.stderr
    assert address in listed.stdout and "low_activity" in listed.stdout
    promoted = walltrack("promote", str(candidate_id[0]), "--operator", "cli-test")
    assert promoted.returncode == 0, promoted.stderr
    assert f"{address} is on the watchlist" in promoted.stdout
    again = walltrack("promote", str(candidate_id[0]), "--operator", "cli-test")
    assert again.returncode == 1 and "is already promoted" in again.stderr
