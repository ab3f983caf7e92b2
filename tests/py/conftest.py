"""Fixtures for the running local stack (scripts/test.sh starts a fresh one)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from supabase import Client, ClientOptions, create_client

from scripts.stack_env import StackEnv, load_stack_env


@pytest.fixture(scope="session", autouse=True)
def stack() -> StackEnv:
    """The running stack, with the circuit breaker out of the way: these tests lose money on
    purpose (stop losses, random price paths) and would trip it; pgTAP tests the breaker."""
    env = load_stack_env()
    with psycopg.connect(env.database_url, autocommit=True) as connection:
        connection.execute(
            "update walltrack.config set breaker_max_daily_loss_sol = 1000000,"
            " breaker_max_drawdown_pct = 100, breaker_max_consecutive_losses = 1000000,"
            " breaker_min_win_rate_pct = 0, breaker_capital_sol = 1000000"
        )
    return env


def api_client(stack: StackEnv, key: str) -> Client:
    """A supabase-py client, unmodified, pointed at the local gateway and the `api` schema."""
    return create_client(stack.supabase_url, key, options=ClientOptions(schema="api"))


@pytest.fixture(scope="session")
def service_client(stack: StackEnv) -> Client:
    return api_client(stack, stack.service_role_key)


@pytest.fixture(scope="session")
def anon_client(stack: StackEnv) -> Client:
    return api_client(stack, stack.anon_key)


@pytest.fixture
def db(stack: StackEnv) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A direct connection as the operator, for checking what the API did."""
    with psycopg.connect(stack.database_url, autocommit=True) as connection:
        yield connection
