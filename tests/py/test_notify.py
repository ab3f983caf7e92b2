"""notify (issue 18, alerts) through the real function against the market simulator's
Telegram and Discord: each alert reaches each channel once, a 429's retry_after is honoured,
a refusal is given up, and the tokens in the URLs reach no table, answer or log."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import psycopg
import pytest

from scripts.stack_env import StackEnv
from simulator import Simulator, env_for, run_simulator
from tests.support.function_app import OPERATOR, OPERATOR_SECRET, function_app

Db = psycopg.Connection[tuple[Any, ...]]
TOKEN = "123456:SECRET-bot-token"
KIND = "order_written_off"  # raised by nothing else the tests run: this test's alerts only


@pytest.fixture
def simulate(
    monkeypatch: pytest.MonkeyPatch, stack: StackEnv, db: Db
) -> Iterator[Callable[..., Simulator]]:
    """Routes only KIND to both channels, marks every alert earlier tests raised as failed
    (so they are not sent here), and starts simulators whose Telegram and Discord notify
    uses."""
    monkeypatch.setenv("SUPABASE_URL", stack.supabase_url)
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", stack.service_role_key)
    monkeypatch.setenv("FUNCTIONS_SECRET", OPERATOR_SECRET)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_CHAT_ID", "-1001234")
    db.execute(
        "update walltrack.config set alert_kinds_telegram = %s, alert_kinds_discord = %s",
        ([KIND], [KIND]),
    )
    db.execute(
        """
        select walltrack.record_alert_delivery((d ->> 'delivery_id')::bigint, 'failed')
        from jsonb_array_elements(walltrack.claim_alerts('{telegram,discord}', 100000)) as d
        """
    )
    with ExitStack() as running:

        def start(data: dict[str, Any]) -> Simulator:
            sim = running.enter_context(run_simulator({"name": "notify"} | data))
            for name, value in env_for(sim.base_url).items():
                monkeypatch.setenv(name, value)
            return sim

        yield start
    db.execute(
        "update walltrack.config set alert_kinds_telegram = default,"
        " alert_kinds_discord = default, alert_max_attempts = default"
    )


def raise_alerts(db: Db, count: int) -> list[str]:
    messages = [f"WallTrack: test alert {secrets.token_hex(4)}" for _ in range(count)]
    for message in messages:
        db.execute("select walltrack.raise_alert(%s, %s, %s)", (KIND, message, message))
    return messages


def call() -> dict[str, Any]:
    response = function_app("notify").test_client().post("/", headers=OPERATOR)
    assert response.status_code == 200, response.get_json()
    answer: dict[str, Any] = response.get_json()
    return answer


def received(sim: Simulator, channel: str) -> list[str]:
    return [m["text"] for m in sim.world.state.messages if m["channel"] == channel]


def deliveries(db: Db, messages: list[str]) -> list[tuple[Any, ...]]:
    return db.execute(
        """
        select a.message, d.channel::text, d.status::text, d.attempts, d.last_error
        from walltrack.alert_deliveries as d join walltrack.alerts as a on a.id = d.alert_id
        where a.message = any(%s) order by a.id, d.channel
        """,
        (messages,),
    ).fetchall()


def test_each_alert_reaches_each_channel_once(simulate: Callable[..., Simulator], db: Db) -> None:
    sim = simulate({})
    messages = raise_alerts(db, 3)
    assert call() | {"channels": None} == {"channels": None, "sent": 6, "retry": 0, "failed": 0}
    assert received(sim, "telegram") == messages
    assert received(sim, "discord") == messages
    assert {m["to"] for m in sim.world.state.messages if m["channel"] == "telegram"} == {"-1001234"}
    assert call()["sent"] == 0  # never twice
    assert len(sim.world.state.messages) == 6


def test_a_429_is_honoured_and_that_channel_waits(
    simulate: Callable[..., Simulator], db: Db
) -> None:
    sim = simulate(
        {
            "faults": [
                {
                    "service": "telegram",
                    "kind": "status",
                    "status": 429,
                    "retry_after": "7",
                    "when": {"first": 1},
                }
            ]
        }
    )
    messages = raise_alerts(db, 3)
    assert call() | {"channels": None} == {"channels": None, "sent": 3, "retry": 3, "failed": 0}
    assert received(sim, "discord") == messages
    assert received(sim, "telegram") == []  # one 429, then nothing more to that chat
    assert sim.state()["calls"].get("telegram") == 1
    waits = db.execute(
        """
        select bool_and(d.next_attempt_at >= now() + interval '6 seconds'), count(*)
        from walltrack.alert_deliveries as d join walltrack.alerts as a on a.id = d.alert_id
        where a.message = any(%s) and d.channel = 'telegram' and d.status = 'retry'
        """,
        (messages,),
    ).fetchone()
    assert waits == (True, 3)  # retry_after 7 s, not the backoff
    assert call()["sent"] == 0  # not before its retry_after
    db.execute(
        "select tests.as_engine('update walltrack.alert_deliveries set next_attempt_at = now()"
        " where status = ''retry''')"
    )
    assert call()["sent"] == 3
    assert received(sim, "telegram") == messages
    assert [row[1:4] for row in deliveries(db, messages)] == [
        ("telegram", "sent", 2),
        ("discord", "sent", 1),
    ] * 3


def test_a_refusal_is_given_up_and_an_unreachable_channel_retried(
    simulate: Callable[..., Simulator], monkeypatch: pytest.MonkeyPatch, db: Db
) -> None:
    simulate({"faults": [{"service": "telegram", "kind": "status", "status": 403}]})
    monkeypatch.setenv("DISCORD_WEBHOOK_URL", "http://127.0.0.1:9/webhooks/1/nothing-listens")
    messages = raise_alerts(db, 1)
    assert call() | {"channels": None} == {"channels": None, "sent": 0, "retry": 1, "failed": 1}
    assert deliveries(db, messages) == [
        (
            messages[0],
            "telegram",
            "failed",
            1,
            "telegram: HTTP 403 Forbidden: bot was blocked by the user",
        ),
        (messages[0], "discord", "retry", 1, "discord: ConnectError"),
    ]


def test_without_credentials_nothing_is_claimed(
    simulate: Callable[..., Simulator], monkeypatch: pytest.MonkeyPatch, db: Db
) -> None:
    simulate({})
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN")
    monkeypatch.delenv("DISCORD_WEBHOOK_URL")
    messages = raise_alerts(db, 1)
    assert call() == {"channels": [], "sent": 0, "retry": 0, "failed": 0}
    assert deliveries(db, messages) == []


def test_the_tokens_reach_no_table_answer_or_log(
    simulate: Callable[..., Simulator], db: Db, caplog: pytest.LogCaptureFixture
) -> None:
    simulate({"faults": [{"service": "telegram", "kind": "status", "status": 500}]})
    raise_alerts(db, 1)
    with caplog.at_level(logging.DEBUG):
        answer = call()
    errors = db.execute("select string_agg(last_error, ' ') from walltrack.alert_deliveries")
    stored = str((errors.fetchone() or ("",))[0])
    assert "telegram: HTTP 500" in stored
    webhook = os.environ["DISCORD_WEBHOOK_URL"]
    # WallTrack's log lines (the in-process simulator logs the paths it serves: not ours).
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("walltrack"))
    assert "telegram: HTTP 500" in logged
    for text in (stored, str(answer), logged):
        assert TOKEN not in text and webhook not in text
