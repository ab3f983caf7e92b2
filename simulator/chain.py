"""The simulated chain: slots and blockhashes follow the scenario clock, payers hold balances,
and sent transactions land at once in the current slot, filled at the market of that moment.

Only the state a copier can observe is kept: its lamports and token accounts, and every
landed transaction. Pools are not state: their reserves come from the scenario's price and
depth at each moment (see `market`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from solders.hash import Hash
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from simulator.market import Pool, atomic, pool_at
from simulator.route import JUPITER_PROGRAM, RouteCall, find_route
from simulator.scenario import Scenario, Token

COMPUTE_BUDGET = Pubkey.from_string("ComputeBudget111111111111111111111111111111")
SET_UNIT_LIMIT, SET_UNIT_PRICE = 2, 3
DEFAULT_UNITS_PER_INSTRUCTION = 200_000
MAX_UNITS = 1_400_000
MICRO_LAMPORTS = 1_000_000
TOKEN_ACCOUNT_RENT = 2_039_280  # lamports held by any token account
PROGRAM_RENT = 1_141_440  # what program and mint accounts show as balance
ROUTE_UNITS = 110_000
BUDGET_UNITS = 150
# Jupiter's program errors (its IDL): what a failed route reports.
SLIPPAGE_EXCEEDED = 6001
INSUFFICIENT_FUNDS = 6024
ERROR_NAMES = {
    SLIPPAGE_EXCEEDED: ("SlippageToleranceExceeded", "Slippage tolerance exceeded"),
    INSUFFICIENT_FUNDS: ("InsufficientFunds", "Insufficient funds"),
}


@dataclass(frozen=True)
class TokenBalance:
    account_index: int
    mint: str
    owner: str
    amount: int
    decimals: int


@dataclass(frozen=True)
class Landed:
    signature: str
    slot: int
    block_time: int
    transaction: VersionedTransaction
    fee: int
    err: Any  # the TransactionError as JSON, None when the transaction succeeded
    pre_balances: list[int]
    post_balances: list[int]
    pre_tokens: list[TokenBalance]
    post_tokens: list[TokenBalance]
    logs: list[str]
    units: int

    @property
    def outcome(self) -> dict[str, Any]:
        """The node's `status` field: {"Ok": null} or {"Err": the error}."""
        return {"Ok": None} if self.err is None else {"Err": self.err}


@dataclass(frozen=True)
class Moves:
    """What a transaction changes: lamports per address, atomic units per token account."""

    lamports: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    failure: tuple[int, int] | None = None  # (instruction index, custom error code)


def compute_budget(message: Message | MessageV0) -> tuple[int, int]:
    """(compute unit limit, micro-lamports per unit) the message asks for."""
    keys = message.account_keys
    limit, price, others = None, 0, 0
    for instruction in message.instructions:
        data = bytes(instruction.data)
        if keys[instruction.program_id_index] != COMPUTE_BUDGET:
            others += 1
        elif data[:1] == bytes([SET_UNIT_LIMIT]) and len(data) == 5:
            limit = int.from_bytes(data[1:], "little")
        elif data[:1] == bytes([SET_UNIT_PRICE]) and len(data) == 9:
            price = int.from_bytes(data[1:], "little")
    if limit is None:
        limit = min(MAX_UNITS, DEFAULT_UNITS_PER_INSTRUCTION * others)
    return limit, price


def priority_fee(unit_limit: int, micro_lamports_per_unit: int) -> int:
    """Lamports, rounded up as the runtime does."""
    return -(-unit_limit * micro_lamports_per_unit // MICRO_LAMPORTS)


def transaction_fee(message: Message | MessageV0, lamports_per_signature: int) -> int:
    """Base fee per signature plus the priority fee."""
    signatures = message.header.num_required_signatures
    return lamports_per_signature * signatures + priority_fee(*compute_budget(message))


class Chain:
    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.settings = scenario.chain
        self.lamports: dict[str, int] = {}
        self.tokens: dict[str, int] = {}  # token account -> atomic units
        self.landed: dict[str, Landed] = {}
        self.dropped: set[str] = set()  # accepted without preflight, never to land
        self.issued: dict[str, int] = {}  # blockhash -> slot it belongs to

    # --- clock -------------------------------------------------------------------------

    def slot_at(self, now: Decimal) -> int:
        return self.settings.genesis_slot + int(now * 1000 // self.settings.slot_ms)

    def height_of(self, slot: int) -> int:
        return self.settings.genesis_block_height + slot - self.settings.genesis_slot

    def height_at(self, now: Decimal) -> int:
        return self.height_of(self.slot_at(now))

    def blockhash(self, slot: int) -> str:
        label = f"{self.scenario.seed}:blockhash:{slot}".encode()
        blockhash = str(Hash(hashlib.sha256(label).digest()))
        self.issued[blockhash] = slot
        return blockhash

    def latest_blockhash(self, now: Decimal) -> tuple[str, int]:
        """The current blockhash and the last block height at which it is still accepted."""
        slot = self.slot_at(now)
        return self.blockhash(slot), self.height_of(slot) + self.settings.blockhash_valid_blocks

    def is_blockhash_valid(self, blockhash: str, now: Decimal) -> bool:
        slot = self.issued.get(blockhash)
        if slot is None:
            return False  # never handed out: as unknown to the cluster as a random hash
        return self.height_at(now) <= self.height_of(slot) + self.settings.blockhash_valid_blocks

    # --- balances ----------------------------------------------------------------------

    def balance(self, address: str) -> int:
        default = atomic(self.settings.default_balance_sol, 9)
        return self.lamports.get(address, default)

    def fee_of(self, transaction: VersionedTransaction) -> int:
        return transaction_fee(transaction.message, self.settings.lamports_per_signature)

    # --- transactions ------------------------------------------------------------------

    def status(self, signature: str, now: Decimal) -> dict[str, Any] | None:
        landed = self.landed.get(signature)
        if landed is None:
            return None
        depth = self.slot_at(now) - landed.slot
        finalized = depth >= self.settings.finalized_after_slots
        return {
            "slot": landed.slot,
            "confirmations": None if finalized else depth,
            "err": landed.err,
            "status": landed.outcome,
            "confirmationStatus": "finalized" if finalized else "confirmed",
        }

    def land(
        self, transaction: VersionedTransaction, now: Decimal, epoch: int, slippage_fault: bool
    ) -> Landed:
        """Executes a verified transaction in the current slot; a failed swap still pays."""
        message = transaction.message
        keys = [str(key) for key in message.account_keys]
        call = find_route(message)
        token = self.scenario.token(str(call.route.token_mint)) if call else None
        pool = pool_at(token, now) if token else None
        opening = self.opening_lamports(message, call, pool)
        fee = self.fee_of(transaction)
        moves = Moves()
        if call:
            moves = self.swap_moves(keys, call, pool, opening, fee, slippage_fault)
        closing = [
            amount + moves.lamports.get(key, 0) - (fee if index == 0 else 0)
            for index, (key, amount) in enumerate(zip(keys, opening, strict=True))
        ]
        pre_tokens = self.token_balances(keys, call, token, pool, {})
        post_tokens = self.token_balances(keys, call, token, pool, moves.tokens)
        self.keep_balances(keys, closing, call, post_tokens)
        signature = str(transaction.signatures[0])
        landed = Landed(
            signature=signature,
            slot=self.slot_at(now),
            block_time=epoch + int(now),
            transaction=transaction,
            fee=fee,
            err=failure_json(moves.failure),
            pre_balances=opening,
            post_balances=closing,
            pre_tokens=pre_tokens,
            post_tokens=post_tokens,
            logs=program_logs(keys, message, moves.failure),
            units=units_consumed(keys, message),
        )
        self.landed[signature] = landed
        return landed

    def opening_lamports(
        self, message: Message | MessageV0, call: RouteCall | None, pool: Pool | None
    ) -> list[int]:
        def opening(index: int, key: Pubkey) -> int:
            if call and key == call.pool:
                return pool.sol_reserve if pool else 0
            if str(key) in self.lamports or message.is_signer(index):
                return self.balance(str(key))
            is_token_account = call is not None and key in (call.user_tokens, call.pool_tokens)
            return TOKEN_ACCOUNT_RENT if is_token_account else PROGRAM_RENT

        return [opening(index, key) for index, key in enumerate(message.account_keys)]

    def swap_moves(
        self,
        keys: list[str],
        call: RouteCall,
        pool: Pool | None,
        opening: list[int],
        fee: int,
        slippage_fault: bool,
    ) -> Moves:
        route = call.route
        user, user_tokens = str(route.user), str(call.user_tokens)
        if route.buying:
            user_index = keys.index(user)
            held = opening[user_index] - (fee if user_index == 0 else 0)
        else:
            held = self.tokens.get(user_tokens, 0)
        if held < route.in_amount:
            return Moves(failure=(call.index, INSUFFICIENT_FUNDS))
        out = pool.amount_out(route.in_amount, route.buying) if pool else 0
        if slippage_fault or out == 0 or out < route.min_out:
            return Moves(failure=(call.index, SLIPPAGE_EXCEEDED))
        sol, tokens = (route.in_amount, out) if route.buying else (out, route.in_amount)
        sign = 1 if route.buying else -1  # the user gains tokens when buying
        return Moves(
            lamports={user: -sign * sol, str(call.pool): sign * sol},
            tokens={user_tokens: sign * tokens, str(call.pool_tokens): -sign * tokens},
        )

    def token_balances(
        self,
        keys: list[str],
        call: RouteCall | None,
        token: Token | None,
        pool: Pool | None,
        changes: dict[str, int],
    ) -> list[TokenBalance]:
        if call is None or token is None:
            return []
        user_tokens, pool_tokens = str(call.user_tokens), str(call.pool_tokens)
        holders = {
            user_tokens: (str(call.route.user), self.tokens.get(user_tokens, 0)),
            pool_tokens: (str(call.pool), pool.token_reserve if pool else 0),
        }
        return [
            TokenBalance(
                keys.index(account),
                token.mint,
                owner,
                amount + changes.get(account, 0),
                token.decimals,
            )
            for account, (owner, amount) in holders.items()
        ]

    def keep_balances(
        self,
        keys: list[str],
        closing: list[int],
        call: RouteCall | None,
        post_tokens: list[TokenBalance],
    ) -> None:
        """Remembers what the copier owns; pools are re-derived from the market each time."""
        pool_accounts = {str(call.pool), str(call.pool_tokens)} if call else set()
        for key, amount in zip(keys, closing, strict=True):
            if key not in pool_accounts:
                self.lamports[key] = amount
        for balance in post_tokens:
            if keys[balance.account_index] not in pool_accounts:
                self.tokens[keys[balance.account_index]] = balance.amount


def failure_json(failure: tuple[int, int] | None) -> Any:
    if failure is None:
        return None
    index, code = failure
    return {"InstructionError": [index, {"Custom": code}]}


def program_logs(
    keys: list[str], message: Message | MessageV0, failure: tuple[int, int] | None
) -> list[str]:
    """The log lines a validator prints, up to the failing instruction."""
    logs: list[str] = []
    for index, instruction in enumerate(message.instructions):
        program = keys[instruction.program_id_index]
        logs.append(f"Program {program} invoke [1]")
        if program == str(JUPITER_PROGRAM):
            logs.append("Program log: Instruction: Route")
        if failure is not None and failure[0] == index:
            name, text = ERROR_NAMES[failure[1]]
            logs.append(
                f"Program log: AnchorError occurred. Error Code: {name}. "
                f"Error Number: {failure[1]}. Error Message: {text}."
            )
            logs.append(f"Program {program} failed: custom program error: {failure[1]:#x}")
            return logs
        logs.append(f"Program {program} success")
    return logs


def units_consumed(keys: list[str], message: Message | MessageV0) -> int:
    programs = [keys[instruction.program_id_index] for instruction in message.instructions]
    return sum(ROUTE_UNITS if p == str(JUPITER_PROGRAM) else BUDGET_UNITS for p in programs)
