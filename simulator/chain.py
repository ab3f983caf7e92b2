"""The simulated chain: slots and blockhashes follow the scenario clock, payers hold balances,
and sent transactions land at once in the current slot, filled at the market of that moment.

Only the state a copier can observe is kept: its lamports and token accounts, and every
landed transaction. Pools are not state: their reserves come from the scenario's price and
depth at each moment (see `market`).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from solders.hash import Hash
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from simulator.encoding import TOKEN_PROGRAM, token_account
from simulator.market import Pool, atomic, pool_at
from simulator.route import (
    JUPITER_PROGRAM,
    WSOL,
    AccountCalls,
    RouteCall,
    account_calls,
    find_route,
)
from simulator.scenario import WSOL_MINT, Scenario, Token

COMPUTE_BUDGET = Pubkey.from_string("ComputeBudget111111111111111111111111111111")
SYSTEM_PROGRAM = "11111111111111111111111111111111"
SYSTEM_TRANSFER = 2  # SystemInstruction::Transfer {lamports}
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
    program: str


@dataclass(frozen=True)
class Landed:
    signature: str
    slot: int
    block_time: int
    transaction: VersionedTransaction
    keys: list[str]  # its accounts, those loaded from lookup tables included
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
    opened: frozenset[str] = frozenset()  # token accounts opened (their rent paid)
    closed: frozenset[str] = frozenset()  # token accounts closed (their lamports refunded)


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
        # token account -> (owner, mint, token program): what getTokenAccountsByOwner lists
        self.holders: dict[str, tuple[str, str, str]] = {}
        self.landed: dict[str, Landed] = {}
        self.dropped: set[str] = set()  # accepted without preflight, never to land
        self.issued: dict[str, int] = {}  # blockhash -> slot it belongs to
        self.lookup_tables: dict[Pubkey, list[Pubkey]] = {}  # address lookup tables

    # --- clock -------------------------------------------------------------------------

    def slot_at(self, now: Decimal, commitment: str = "processed") -> int:
        slot = self.settings.genesis_slot + int(now * 1000 // self.settings.slot_ms)
        if commitment == "finalized":
            return max(self.settings.genesis_slot, slot - self.settings.finalized_after_slots)
        return slot

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

    def is_blockhash_known(self, blockhash: str, now: Decimal, commitment: str) -> bool:
        """Whether the bank at this commitment has seen the blockhash yet."""
        slot = self.issued.get(blockhash)
        return slot is not None and slot <= self.slot_at(now, commitment)

    def recent_fee(self, slot: int, accounts: list[str]) -> int:
        """The per-slot fee of transactions writing `accounts`: deterministic, each account
        around its own multiple of the typical fee, a third of the slots at 0."""
        typical = self.settings.recent_fee_micro_lamports

        def draw(account: str) -> int:
            label = f"{self.scenario.seed}:fee:{slot}:{account}".encode()
            roll = int.from_bytes(hashlib.sha256(label).digest()[:8], "little")
            level = 1 + int.from_bytes(hashlib.sha256(account.encode()).digest()[:1], "little") % 4
            return 0 if roll % 3 == 0 else typical * level * (roll % 200) // 100

        return max((draw(account) for account in accounts), default=draw("global"))

    # --- balances ----------------------------------------------------------------------

    def balance(self, address: str) -> int:
        default = atomic(self.settings.default_balance_sol, 9)
        return self.lamports.get(address, default)

    def fee_of(self, transaction: VersionedTransaction) -> int:
        return transaction_fee(transaction.message, self.settings.lamports_per_signature)

    # --- transactions ------------------------------------------------------------------

    def status(self, signature: str, now: Decimal, search_history: bool) -> dict[str, Any] | None:
        """A node answers from its status cache of the last slots, and from its ledger only
        when asked to search the history: an older transaction is unknown without it."""
        landed = self.landed.get(signature)
        if landed is None:
            return None
        depth = self.slot_at(now) - landed.slot
        if depth > self.settings.status_cache_slots and not search_history:
            return None
        finalized = depth >= self.settings.finalized_after_slots
        return {
            "slot": landed.slot,
            "confirmations": None if finalized else depth,
            "err": landed.err,
            "status": landed.outcome,
            "confirmationStatus": "finalized" if finalized else "confirmed",
        }

    def account_keys(self, message: Message | MessageV0) -> list[Pubkey]:
        """The message's accounts: its own, then those it loads from lookup tables (all
        writable ones first, then the read-only ones), as the runtime orders them."""
        keys = list(message.account_keys)
        if isinstance(message, MessageV0):
            lookups = message.address_table_lookups
            tables = [self.lookup_tables[lookup.account_key] for lookup in lookups]
            for field_name in ("writable_indexes", "readonly_indexes"):
                keys += [
                    table[index]
                    for table, lookup in zip(tables, lookups, strict=True)
                    for index in bytes(getattr(lookup, field_name))
                ]
        return keys

    def knows_tables(self, message: Message | MessageV0) -> bool:
        if not isinstance(message, MessageV0):
            return True
        return all(
            lookup.account_key in self.lookup_tables for lookup in message.address_table_lookups
        )

    def wsol_account_of(self, user: Pubkey) -> Pubkey | None:
        """The user's wSOL account if it has one (see `payers_hold_empty_wsol_account`)."""
        account = token_account(user, WSOL)
        if self.settings.payers_hold_empty_wsol_account and str(account) not in self.tokens:
            self.tokens[str(account)] = 0
            self.lamports[str(account)] = TOKEN_ACCOUNT_RENT
            self.holders[str(account)] = (str(user), WSOL_MINT, str(TOKEN_PROGRAM))
        return account if str(account) in self.tokens else None

    def land(
        self, transaction: VersionedTransaction, now: Decimal, epoch: int, slippage_fault: bool
    ) -> Landed:
        """Executes a verified transaction in the current slot; a failed swap still pays."""
        message = transaction.message
        pubkeys = self.account_keys(message)
        keys = [str(key) for key in pubkeys]
        call = find_route(message, pubkeys)
        token = self.scenario.token(str(call.route.token_mint)) if call else None
        pool = pool_at(token, now) if token else None
        signers = message.header.num_required_signatures
        opening = self.opening_lamports(keys, signers, call, pool)
        fee = self.fee_of(transaction)
        accounts = account_calls(message, pubkeys)
        moves = Moves()
        if call:
            moves = self.swap_moves(keys, call, pool, opening, fee, slippage_fault, accounts)
        if moves.failure is None:  # a failed transaction moves nothing but its fee
            moves = with_transfers(moves, message, keys)
        closing = [
            amount + moves.lamports.get(key, 0) - (fee if index == 0 else 0)
            for index, (key, amount) in enumerate(zip(keys, opening, strict=True))
        ]
        pre_tokens = self.token_balances(keys, call, token, pool, Moves(), accounts)
        post_tokens = self.token_balances(keys, call, token, pool, moves, accounts)
        self.keep_balances(keys, closing, call, post_tokens, moves.closed)
        signature = str(transaction.signatures[0])
        landed = Landed(
            signature=signature,
            slot=self.slot_at(now),
            block_time=epoch + int(now),
            transaction=transaction,
            keys=keys,
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
        self, keys: list[str], signers: int, call: RouteCall | None, pool: Pool | None
    ) -> list[int]:
        def opening(index: int, key: str) -> int:
            if call and key == str(call.pool):
                return pool.sol_reserve if pool else 0
            if key in self.tokens or (call and key == str(call.pool_tokens)):
                return self.lamports.get(key, TOKEN_ACCOUNT_RENT)  # rent and wrapped SOL
            if key in self.lamports or index < signers:
                return self.balance(key)
            if call and key == str(call.user_tokens):
                return 0  # not opened yet
            return PROGRAM_RENT

        return [opening(index, key) for index, key in enumerate(keys)]

    def swap_moves(
        self,
        keys: list[str],
        call: RouteCall,
        pool: Pool | None,
        opening: list[int],
        fee: int,
        slippage_fault: bool,
        accounts: AccountCalls,
    ) -> Moves:
        """What the whole transaction moves when its route succeeds: the accounts it opens
        (their rent), the swap, and the accounts it closes (their lamports refunded)."""
        route = call.route
        user, user_tokens = str(route.user), str(call.user_tokens)
        lamports: Counter[str] = Counter()
        opened = []  # create-idempotent opens only the accounts that do not exist yet
        for account, payer in accounts.opened.items():
            if str(account) not in self.tokens:
                opened.append(str(account))
                lamports[str(payer)] -= TOKEN_ACCOUNT_RENT
                lamports[str(account)] += TOKEN_ACCOUNT_RENT
        if route.buying:
            user_index = keys.index(user)
            held = opening[user_index] + lamports[user] - (fee if user_index == 0 else 0)
        else:
            held = self.tokens.get(user_tokens, 0)
        if held < route.in_amount:
            return Moves(failure=(call.index, INSUFFICIENT_FUNDS))
        if route.buying and user_tokens not in self.tokens and user_tokens not in opened:
            return Moves(failure=(call.index, INSUFFICIENT_FUNDS))  # no account to receive
        out = pool.amount_out(route.in_amount, route.buying) if pool else 0
        if slippage_fault or out == 0 or out < route.min_out:
            return Moves(failure=(call.index, SLIPPAGE_EXCEEDED))
        sol, tokens = (route.in_amount, out) if route.buying else (out, route.in_amount)
        sign = 1 if route.buying else -1  # the user gains tokens when buying
        lamports[user] -= sign * sol
        lamports[str(call.pool)] += sign * sol
        for closed, destination in accounts.closed.items():
            refund = opening[keys.index(str(closed))] + lamports[str(closed)]
            lamports[str(closed)] -= refund
            lamports[str(destination)] += refund
        return Moves(
            lamports=dict(lamports),
            tokens={user_tokens: sign * tokens, str(call.pool_tokens): -sign * tokens},
            opened=frozenset(opened),
            closed=frozenset(str(closed) for closed in accounts.closed),
        )

    def token_balances(
        self,
        keys: list[str],
        call: RouteCall | None,
        token: Token | None,
        pool: Pool | None,
        moves: Moves,
        accounts: AccountCalls,
    ) -> list[TokenBalance]:
        """The token accounts of the swap that exist at that point (before: `moves` empty;
        after: those opened included, those closed left out), as the node lists them."""
        if call is None or token is None:
            return []
        user = str(call.route.user)
        holders = {
            str(call.user_tokens): (user, token.mint, token.program_id),
            str(call.pool_tokens): (str(call.pool), token.mint, token.program_id),
        }
        for closed in accounts.closed:
            holders.setdefault(str(closed), (user, WSOL_MINT, str(TOKEN_PROGRAM)))
        decimals = {token.mint: token.decimals, WSOL_MINT: 9}
        balances = []
        for account, (owner, mint, program) in holders.items():
            held = pool.token_reserve if pool and owner == str(call.pool) else None
            exists = account in self.tokens or held is not None or account in moves.opened
            if not exists or account in moves.closed:
                continue
            before = held if held is not None else self.tokens.get(account, 0)
            amount = before + moves.tokens.get(account, 0)
            balances.append(
                TokenBalance(keys.index(account), mint, owner, amount, decimals[mint], program)
            )
        return sorted(balances, key=lambda balance: balance.account_index)

    def keep_balances(
        self,
        keys: list[str],
        closing: list[int],
        call: RouteCall | None,
        post_tokens: list[TokenBalance],
        closed: frozenset[str],
    ) -> None:
        """Remembers what the copier owns; pools are re-derived from the market each time."""
        pool_accounts = {str(call.pool), str(call.pool_tokens)} if call else set()
        for key, amount in zip(keys, closing, strict=True):
            if key not in pool_accounts:
                self.lamports[key] = amount
        for balance in post_tokens:
            account = keys[balance.account_index]
            if account not in pool_accounts:
                self.tokens[account] = balance.amount
                self.holders[account] = (balance.owner, balance.mint, balance.program)
        for account in closed:
            self.tokens.pop(account, None)
            self.holders.pop(account, None)

    # --- token accounts ----------------------------------------------------------------

    def token_accounts(
        self, owner: str, program: str | None = None, mint: str | None = None
    ) -> list[tuple[str, str, int, str]]:
        """(account, mint, atomic units, token program) of every token account the owner
        holds, of one program or one mint, in account order."""
        return [
            (account, held_mint, self.tokens.get(account, 0), held_program)
            for account, (held_owner, held_mint, held_program) in sorted(self.holders.items())
            if held_owner == owner and program in (None, held_program) and mint in (None, held_mint)
        ]

    def move_tokens(
        self, mint: str, amount: int, source: str | None, destination: str | None
    ) -> dict[str, int]:
        """Moves tokens between owners' associated accounts outside any swap (a transfer
        signed elsewhere, a drain, an airdrop): from `source` (None: minted) to `destination`
        (None: burnt). Returns the owners' balances after it."""
        token = self.scenario.token(mint)
        if token is None or amount <= 0:
            raise ValueError(f"move_tokens needs a scenario token and an amount above 0 ({mint})")
        program = token.program_id
        moved: dict[str, int] = {}
        for owner, sign in ((source, -1), (destination, 1)):
            if owner is None:
                continue
            account = str(
                token_account(
                    Pubkey.from_string(owner), Pubkey.from_string(mint), Pubkey.from_string(program)
                )
            )
            held = self.tokens.get(account, 0) + sign * amount
            if held < 0:
                raise ValueError(f"{owner} holds {held - sign * amount} of {mint}, not {amount}")
            if account not in self.tokens:
                self.lamports[account] = TOKEN_ACCOUNT_RENT
            self.tokens[account] = held
            self.holders[account] = (owner, mint, program)
            moved[owner] = held
        return moved


def with_transfers(moves: Moves, message: Message | MessageV0, keys: list[str]) -> Moves:
    """The System program's transfers of the transaction (a Jito tip) added to its moves."""
    lamports = Counter(moves.lamports)
    for instruction in message.instructions:
        data, accounts = bytes(instruction.data), bytes(instruction.accounts)
        if keys[instruction.program_id_index] != SYSTEM_PROGRAM or len(data) != 12:
            continue
        if int.from_bytes(data[:4], "little") != SYSTEM_TRANSFER:
            continue
        amount = int.from_bytes(data[4:], "little")
        lamports[keys[accounts[0]]] -= amount
        lamports[keys[accounts[1]]] += amount
    return Moves(dict(lamports), moves.tokens, moves.failure, moves.opened, moves.closed)


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
