"""A throwaway local stack of its own for the benchmarks (never the demo's or the tests')."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scripts.stack_env import REPO_ROOT, StackEnv, load_stack_env, run_stack

BENCH_ENV = {
    "STACK_DIR": ".local/bench",
    "PG_PORT": "56322",
    "GATEWAY_PORT": "56321",
    "PGRST_PORT": "56329",
    "FUNCTIONS_PORT_BASE": "56340",
    "ENV_FILE": ".local/bench/env",
    "STACK_FAST": "1",
    "STACK_SCHEDULER": "0",
    "STACK_SIMULATOR": "0",
}


def function_port(name: str) -> int:
    """Port of a function of py_functions/functions.tsv under FUNCTIONS_PORT_BASE."""
    lines = (REPO_ROOT / "py_functions/functions.tsv").read_text().splitlines()
    names = [line.split("\t")[0] for line in lines if line.strip() and not line.startswith("#")]
    return int(BENCH_ENV["FUNCTIONS_PORT_BASE"]) + names.index(name)


def stack_command(action: str) -> None:
    run_stack(action, BENCH_ENV, quiet=True)


@contextmanager
def bench_stack() -> Iterator[StackEnv]:
    stack_command("reset")
    try:
        stack_command("up")
        os.environ["ENV_FILE"] = BENCH_ENV["ENV_FILE"]
        yield load_stack_env()
    finally:
        stack_command("down")


def env_file_values() -> dict[str, str]:
    from scripts.stack_env import read_env_file

    return read_env_file(REPO_ROOT / Path(BENCH_ENV["ENV_FILE"]))
