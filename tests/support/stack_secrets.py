"""Secrets of the stack under test that StackEnv does not carry, from the same env file
($ENV_FILE, as scripts/stack_env.load_stack_env finds it): tests then talk to whichever stack
they were pointed at, not always to the one scripts/test.sh starts."""

from __future__ import annotations

from scripts.stack_env import env_file_path, read_env_file


def stack_secret(name: str) -> str:
    """`name` (HELIUS_WEBHOOK_SECRET, say) from the running stack's env file."""
    return read_env_file(env_file_path())[name]
