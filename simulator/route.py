"""The swap instruction the simulated Jupiter puts in a transaction and the simulated chain
executes: the quote travels inside the signed transaction, as with the real route program.

Accounts: token program, user (signer), user's token account, pool SOL vault, pool token
vault, input mint, output mint. Data: the Anchor discriminator of `route`, then in_amount
(u64), quoted_out_amount (u64), slippage_bps (u16), platform_fee_bps (u8), little-endian.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from solders.instruction import AccountMeta, Instruction
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey

from simulator.encoding import (
    ATA_PROGRAM,
    SYSTEM_PROGRAM,
    TOKEN_2022_PROGRAM,
    TOKEN_PROGRAM,
    derived_pubkey,
    token_account,
)
from simulator.market import minimum_out
from simulator.scenario import WSOL_MINT

JUPITER_PROGRAM = Pubkey.from_string("JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4")
ROUTE_TAG = hashlib.sha256(b"global:route").digest()[:8]
ROUTE_ARGS = struct.Struct("<QQHB")
WSOL = Pubkey.from_string(WSOL_MINT)


def pool_address(seed: int, mint: str) -> Pubkey:
    """The token's one pool (its SOL vault); its token vault is the pool's token account."""
    return derived_pubkey(seed, "pool", mint)


@dataclass(frozen=True)
class Route:
    user: Pubkey
    input_mint: Pubkey
    output_mint: Pubkey
    in_amount: int
    quoted_out: int
    slippage_bps: int
    token_program: Pubkey = TOKEN_PROGRAM

    @property
    def buying(self) -> bool:
        return self.input_mint == WSOL

    @property
    def token_mint(self) -> Pubkey:
        return self.output_mint if self.buying else self.input_mint

    @property
    def user_tokens(self) -> Pubkey:
        return token_account(self.user, self.token_mint, self.token_program)

    @property
    def min_out(self) -> int:
        """Below it the route fails (SlippageToleranceExceeded)."""
        return minimum_out(self.quoted_out, self.slippage_bps)

    def instruction(self, seed: int) -> Instruction:
        mint = self.token_mint
        pool = pool_address(seed, str(mint))
        accounts = [
            AccountMeta(self.token_program, is_signer=False, is_writable=False),
            AccountMeta(self.user, is_signer=True, is_writable=True),
            AccountMeta(self.user_tokens, is_signer=False, is_writable=True),
            AccountMeta(pool, is_signer=False, is_writable=True),
            AccountMeta(token_account(pool, mint, self.token_program), False, True),
            AccountMeta(self.input_mint, is_signer=False, is_writable=False),
            AccountMeta(self.output_mint, is_signer=False, is_writable=False),
        ]
        args = ROUTE_ARGS.pack(self.in_amount, self.quoted_out, self.slippage_bps, 0)
        return Instruction(JUPITER_PROGRAM, ROUTE_TAG + args, accounts)


@dataclass(frozen=True)
class RouteCall:
    index: int  # of the instruction in the message
    route: Route
    user_tokens: Pubkey
    pool: Pubkey
    pool_tokens: Pubkey


def find_route(message: Message | MessageV0, keys: list[Pubkey]) -> RouteCall | None:
    """The route instruction of a message, decoded; None when it holds none. `keys` are the
    message's accounts, those loaded from lookup tables included."""
    for index, instruction in enumerate(message.instructions):
        data = bytes(instruction.data)
        accounts = [keys[position] for position in bytes(instruction.accounts)]
        is_route = keys[instruction.program_id_index] == JUPITER_PROGRAM
        well_formed = len(data) == len(ROUTE_TAG) + ROUTE_ARGS.size and len(accounts) == 7
        if not is_route or data[:8] != ROUTE_TAG or not well_formed:
            continue
        in_amount, quoted_out, slippage_bps, _ = ROUTE_ARGS.unpack(data[8:])
        program, user, user_tokens, pool, pool_tokens, input_mint, output_mint = accounts
        route = Route(user, input_mint, output_mint, in_amount, quoted_out, slippage_bps, program)
        return RouteCall(index, route, user_tokens, pool, pool_tokens)
    return None


# --- token accounts around the route ---------------------------------------------------------

CREATE_IDEMPOTENT = bytes([1])  # associated token account program
CLOSE_ACCOUNT = bytes([9])  # token program
TOKEN_PROGRAMS = (TOKEN_PROGRAM, TOKEN_2022_PROGRAM)


def create_token_account(
    payer: Pubkey, owner: Pubkey, mint: Pubkey, program: Pubkey
) -> Instruction:
    """Opens the owner's associated token account unless it exists; the payer pays its rent."""
    accounts = [
        AccountMeta(payer, is_signer=True, is_writable=True),
        AccountMeta(token_account(owner, mint, program), is_signer=False, is_writable=True),
        AccountMeta(owner, is_signer=False, is_writable=False),
        AccountMeta(mint, is_signer=False, is_writable=False),
        AccountMeta(SYSTEM_PROGRAM, is_signer=False, is_writable=False),
        AccountMeta(program, is_signer=False, is_writable=False),
    ]
    return Instruction(ATA_PROGRAM, CREATE_IDEMPOTENT, accounts)


def close_token_account(account: Pubkey, owner: Pubkey, program: Pubkey) -> Instruction:
    """Closes an empty token account: its lamports (the rent) go back to the owner."""
    accounts = [
        AccountMeta(account, is_signer=False, is_writable=True),
        AccountMeta(owner, is_signer=False, is_writable=True),
        AccountMeta(owner, is_signer=True, is_writable=False),
    ]
    return Instruction(program, CLOSE_ACCOUNT, accounts)


@dataclass(frozen=True)
class AccountCalls:
    """The token accounts a message opens (account -> payer) and closes (account -> where
    its lamports go)."""

    opened: dict[Pubkey, Pubkey]
    closed: dict[Pubkey, Pubkey]


def account_calls(message: Message | MessageV0, keys: list[Pubkey]) -> AccountCalls:
    opened: dict[Pubkey, Pubkey] = {}
    closed: dict[Pubkey, Pubkey] = {}
    for instruction in message.instructions:
        program, data = keys[instruction.program_id_index], bytes(instruction.data)
        accounts = [keys[position] for position in bytes(instruction.accounts)]
        if program == ATA_PROGRAM and data == CREATE_IDEMPOTENT and len(accounts) == 6:
            opened[accounts[1]] = accounts[0]
        elif program in TOKEN_PROGRAMS and data == CLOSE_ACCOUNT and len(accounts) == 3:
            closed[accounts[0]] = accounts[1]
    return AccountCalls(opened, closed)
