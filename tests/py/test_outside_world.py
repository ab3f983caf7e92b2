"""Where a local stack's functions reach the outside world: offline, the market simulator
and a throwaway trading key; once a real HELIUS_API_KEY is set, the real services, with
every local URL and the throwaway key gone from the env file, and no simulator running.
`make demo` with real keys plays nothing and says so."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from scripts.stack_env import REPO_ROOT, read_env_file, run_stack

STACK = {
    "STACK_DIR": ".local/outside",
    "PG_PORT": "55522",
    "GATEWAY_PORT": "55521",
    "PGRST_PORT": "55529",
    "FUNCTIONS_PORT_BASE": "55540",
    "ENV_FILE": ".local/outside/env",
    "STACK_FAST": "1",
    "STACK_SCHEDULER": "0",
    "STACK_SIMULATOR": "simulator/scenarios/demo.json",  # make test runs with none
}
SIMULATOR = "http://127.0.0.1:55530"
ENV_FILE = REPO_ROOT / STACK["ENV_FILE"]


@pytest.fixture(scope="module")
def offline_stack() -> Iterator[dict[str, str]]:
    try:
        run_stack("reset", STACK, quiet=True)
        run_stack("up", STACK, quiet=True)
        yield read_env_file(ENV_FILE)
    finally:
        run_stack("down", STACK, quiet=True)


def simulator_answers() -> bool:
    try:
        return httpx.get(f"{SIMULATOR}/control/state", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_offline_the_functions_talk_to_the_simulator(offline_stack: dict[str, str]) -> None:
    assert offline_stack["HELIUS_API_KEY"] == "simulator"
    assert offline_stack["RUGCHECK_BASE_URL"] == f"{SIMULATOR}/rugcheck/v1"
    assert offline_stack["SOLANA_RPC_URL"] == f"{SIMULATOR}/rpc"
    key = (REPO_ROOT / STACK["STACK_DIR"] / "simulator.key").read_text().strip()
    assert offline_stack["WALLTRACK_KEYPAIR"] == key
    assert offline_stack["JUPITER_API_KEY"] == "simulator"
    assert (
        oct(ENV_FILE.stat().st_mode & 0o777) == oct(0o600) or ENV_FILE.stat().st_mode & 0o077 == 0
    )
    assert simulator_answers()


def test_a_real_key_switches_to_the_real_services_and_the_demo_plays_nothing(
    offline_stack: dict[str, str],
) -> None:
    run_stack("down", STACK, quiet=True)
    # The operator sets real Helius settings in the env file and runs the demo again.
    kept = [
        line
        for line in ENV_FILE.read_text().splitlines()
        if not line.startswith(("HELIUS_API_KEY=", "HELIUS_WEBHOOK_URL="))
    ]
    real = ["HELIUS_API_KEY=a-real-looking-key", "HELIUS_WEBHOOK_URL=https://example.org/hook"]
    ENV_FILE.write_text("\n".join(kept + real) + "\n")
    played = subprocess.run(
        [sys.executable, "-m", "scripts.demo"],
        cwd=REPO_ROOT,
        env=os.environ | STACK,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert played.returncode == 0, played.stdout[-2000:] + played.stderr[-2000:]
    assert "the functions serve for real, nothing is simulated" in played.stdout
    values = read_env_file(ENV_FILE)
    assert values["HELIUS_API_KEY"] == "a-real-looking-key"
    leftovers = {
        k: v
        for k, v in values.items()
        if v.startswith(SIMULATOR) or v.startswith("http://127.0.0.1:9")
    }
    assert leftovers == {}
    assert "WALLTRACK_KEYPAIR" not in values  # the throwaway key never trades real money
    assert "JUPITER_API_KEY" not in values  # the simulator's: the operator sets a real one
    assert (
        "SUPABASE_SERVICE_ROLE_KEY" in values
        and values["HELIUS_WEBHOOK_URL"] == "https://example.org/hook"
    )
    assert not simulator_answers()
    assert not (REPO_ROOT / STACK["STACK_DIR"] / "run" / "simulator.pid").exists()
