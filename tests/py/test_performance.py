"""The scoreboard's refresh never blocks its readers, and the refresh RPC answers through
the gateway."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from supabase import Client

from scripts.stack_env import StackEnv

Db = psycopg.Connection[tuple[Any, ...]]


def test_readers_are_not_blocked_while_a_refresh_is_in_progress(stack: StackEnv) -> None:
    with (
        psycopg.connect(stack.database_url) as refresher,
        psycopg.connect(stack.database_url, autocommit=True) as reader,
    ):
        # The refresh holds its lock until this transaction ends.
        refresher.execute("select api.refresh_performance()")
        # A blocked read would wait; lock_timeout turns that wait into an error instead.
        reader.execute("set lock_timeout = '2s'")
        # It reads the figures of the last completed refresh.
        assert reader.execute("select count(*) from walltrack.scoreboard").fetchone()
        # The refresh did take its lock: the concurrent kind, which lets readers through.
        refresh_locks = reader.execute(
            "select count(*) from pg_locks as l join pg_class as c on c.oid = l.relation"
            " where c.relname = 'performance' and l.mode = 'ExclusiveLock' and l.granted"
        ).fetchone()
        assert refresh_locks == (1,)
        refresher.rollback()


def test_refresh_rpc_returns_the_refresh_time(service_client: Client, db: Db) -> None:
    refreshed = service_client.rpc("refresh_performance", {}).execute().data
    latest = db.execute("select max(refreshed_at) from walltrack.performance").fetchone()
    assert latest is not None
    assert datetime.fromisoformat(str(refreshed)) == latest[0]
