"""A batch is decided as its swaps would be one by one: over random sequences of leader buys
and sells (several wallets, a few tokens, one of them never checked, tight limits), one
delivery of the whole sequence, in any order, gives every swap the same decision, the same
reason, and leaves every position with the same exact amounts and PnL as delivering the
swaps one at a time in chain order. Each side runs in its own transaction, rolled back."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scripts.stack_env import load_stack_env
from simulator.helius_tx import new_mint, normalised_swap

DB = psycopg.connect(load_stack_env().database_url)
WALLETS = [
    str(row[0])
    for row in DB.execute(
        "select address from walltrack.wallets"
        " where label in ('whale-alpha', 'scalper-beta', 'degen-gamma') order by label"
    ).fetchall()
]
DB.rollback()
SAFE_MINTS = [new_mint() for _ in range(3)]
UNCHECKED_MINT = new_mint()  # no facts: every buy of it is token_not_checked
MINTS = [*SAFE_MINTS, UNCHECKED_MINT]

# Limits a short sequence reaches: a few more open positions and a little more SOL at stake
# than the database already holds, one position per token.
LIMITS = """
update walltrack.config set
  max_open_positions = %(positions)s + (
    select count(*) from walltrack.positions where status in ('opening', 'open', 'closing')
  ),
  max_total_exposure_sol = %(sol)s + walltrack.open_exposure_sol(),
  max_positions_per_token = 1, fixed_amount_sol = 0.1, sizing_mode = 'fixed',
  trading_enabled = true, max_copy_delay_seconds = null
"""
LIMITS_DRAWN = st.fixed_dictionaries(
    {"positions": st.integers(1, 3), "sol": st.sampled_from(["0.15", "0.25", "0.35"])}
)
Limits = dict[str, Any]
Swap = tuple[int, int, str, int, int]
Outcome = dict[str, tuple[Any, ...]]


@st.composite
def sequences(draw: st.DrawFn) -> list[Swap]:
    """Leader swaps in chain order: (leader, token, side, millions of token units, tenths of
    SOL). Half the sells are by a leader of a token it bought earlier (a mirror sell)."""
    swaps: list[Swap] = []
    for _ in range(draw(st.integers(1, 14))):
        bought = [(w, m) for w, m, side, _, _ in swaps if side == "buy"]
        side = draw(st.sampled_from(["buy", "sell"]))
        if side == "sell" and bought and draw(st.booleans()):
            wallet, mint = draw(st.sampled_from(bought))
        else:
            wallet = draw(st.integers(0, len(WALLETS) - 1))
            mint = draw(st.integers(0, len(MINTS) - 1))
        swaps.append((wallet, mint, side, draw(st.integers(1, 50)), draw(st.integers(1, 30))))
    return swaps


def transactions(swaps: list[Swap]) -> list[dict[str, Any]]:
    return [
        normalised_swap(WALLETS[w], MINTS[m], side, tokens * 10**6, sol * 10**8, n)
        for n, (w, m, side, tokens, sol) in enumerate(swaps)
    ]


def outcome(db: psycopg.Connection[Any], signatures: list[str]) -> Outcome:
    """Per signature: its decision and reason, and the position it opened or sold as it is
    now (amounts and PnL, exact)."""
    rows = db.execute(
        """select s.signature, s.decision::text, s.decision_reason, p.status::text, p.token_mint,
             p.qty_bought, p.qty_sold, p.cost_basis_sol, p.proceeds_sol, p.realized_pnl_sol,
             p.unrealized_pnl_sol
           from walltrack.signals as s
           left join walltrack.positions as p on p.id = s.position_id
           where s.signature = any(%s)""",
        (signatures,),
    ).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


def played(
    txs: list[dict[str, Any]], limits: Limits, deliver: Callable[[psycopg.Connection[Any]], None]
) -> Outcome:
    with DB.transaction(force_rollback=True):
        DB.execute(LIMITS, limits)
        for mint in SAFE_MINTS:
            DB.execute("select tests.safe_token(%s)", (mint,))
        deliver(DB)
        return outcome(DB, [tx["signature"] for tx in txs])


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(sequences(), LIMITS_DRAWN, st.randoms(use_true_random=False))
def test_one_batch_decides_as_the_swaps_one_by_one(
    swaps: list[Swap], limits: Limits, shuffler: random.Random
) -> None:
    txs = transactions(swaps)
    delivered = shuffler.sample(txs, len(txs))  # Helius does not promise chain order

    def as_one_batch(db: psycopg.Connection[Any]) -> None:
        db.execute("select api.ingest_swaps(%s::jsonb)", (json.dumps(delivered),))

    def one_by_one(db: psycopg.Connection[Any]) -> None:
        for tx in txs:  # in chain order: slot and time grow with the index
            db.execute("select api.ingest_swaps(%s::jsonb)", (json.dumps([tx]),))

    batch = played(txs, limits, as_one_batch)
    assert len(batch) == len(txs)
    assert batch == played(txs, limits, one_by_one)
