"""Where the running local stack is: read from the env file `stack.sh up` writes."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class StackEnv:
    supabase_url: str
    anon_key: str
    service_role_key: str
    database_url: str


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments are skipped."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip("'\"")
    return values


def env_file_path() -> Path:
    """The env file of the stack in use: $ENV_FILE, default .env."""
    return REPO_ROOT / os.environ.get("ENV_FILE", ".env")


def load_stack_env() -> StackEnv:
    """The stack named by $ENV_FILE (default .env), or a clear error saying how to start it."""
    path = env_file_path()
    if not path.exists():
        raise RuntimeError(f"{path} not found: start the local stack with `make up` first")
    values = read_env_file(path)
    try:
        return StackEnv(
            supabase_url=values["SUPABASE_URL"],
            anon_key=values["SUPABASE_ANON_KEY"],
            service_role_key=values["SUPABASE_SERVICE_ROLE_KEY"],
            database_url=values["DATABASE_URL"],
        )
    except KeyError as missing:
        raise RuntimeError(f"{path} lacks {missing}: run `make up` to rewrite it") from None


def run_stack(action: str, overrides: Mapping[str, str] | None = None, quiet: bool = False) -> None:
    """`scripts/stack.sh ACTION` with this process's environment plus `overrides`."""
    subprocess.run(  # noqa: S603 (the project's own script, fixed arguments)
        [str(REPO_ROOT / "scripts" / "stack.sh"), action],
        cwd=REPO_ROOT,
        env=os.environ | dict(overrides or {}),
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )
