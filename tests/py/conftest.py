"""Fixtures for the running local stack (scripts/test.sh starts a fresh one)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from solders.keypair import Keypair
from supabase import Client, ClientOptions, create_client

from scripts.stack_env import StackEnv, load_stack_env


@pytest.fixture(scope="session")
def stack() -> StackEnv:
    return load_stack_env()


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


@pytest.fixture
def keypair() -> Keypair:
    """A fresh trading key (the live tests fund it in their simulator)."""
    return Keypair()


@pytest.fixture
def live(db: psycopg.Connection[tuple[object, ...]]) -> Iterator[None]:
    """Live trading on, with room for every copy and quick retries; off again after."""
    db.execute(
        "update walltrack.config set live_trading_enabled = true, max_open_positions = 1000000,"
        " max_total_exposure_sol = 1000000000, max_positions_per_token = 1000000,"
        " retry_backoff_seconds = 1, order_max_attempts = 3"
    )
    yield
    db.execute("update walltrack.config set live_trading_enabled = false")
