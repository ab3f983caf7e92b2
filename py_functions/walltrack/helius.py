"""Helius enhanced-webhook deliveries turned into the swaps of the accounts involved.

An account's swap is read from its OWN balance changes in `accountData`, never from
`events.swap`, which can be missing, empty, or show only a wSOL top-up, nor from `type`:
Helius types swaps on venues its parser does not know (Meteora DBC, DAMM v2...) TRANSFER or
UNKNOWN, and the same types carry plain transfers, stakes and mints, which yield no swap.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

WSOL_MINT = "So11111111111111111111111111111111111111112"
USDC_MINT = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
USDT_MINT = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY2oA4u5Ghmoozmf"
# SOL and wSOL are one quote, counted in lamports under the wSOL mint.
QUOTE_DECIMALS = {WSOL_MINT: 9, USDC_MINT: 6, USDT_MINT: 6}
# A stablecoin beats SOL: a USDC → token swap also moves a few lamports (fees, rent).
QUOTE_PREFERENCE = (USDC_MINT, USDT_MINT, WSOL_MINT)

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_TRANSACTIONS = 1_000
MAX_ERROR_TEXT = 500
# Levels of arrays and objects inside one transaction (real ones need fewer than 10); a deeper
# one is rejected alone. A body too deep for the JSON parser itself (about 1,000 levels) is 400.
MAX_TRANSACTION_DEPTH = 32
# Characters of one number literal: u64 needs 20, a float about 25. A longer one (Python would
# refuse past 4,300 digits, failing the whole body) rejects its transaction.
MAX_NUMBER_CHARS = 100

_ADDRESS = re.compile(r"[1-9A-HJ-NP-Za-km-z]{32,44}")
_SIGNATURE = re.compile(r"[1-9A-HJ-NP-Za-km-z]{64,88}")
# Balances are u64, so a change never needs more than 20 digits.
_INTEGER = re.compile(r"-?[0-9]{1,20}")
_U64_LIMIT = 2**64

Side = Literal["buy", "sell"]

logger = logging.getLogger("walltrack.helius")


MAX_TIMESTAMP = 253_402_300_799  # 9999-12-31T23:59:59Z


class NotAnArray(ValueError):
    """The body is not valid JSON, or not a JSON array."""


class DeliveryTooLarge(ValueError):
    """The body is over MAX_BODY_BYTES, or holds more than MAX_TRANSACTIONS elements."""


class Unstorable(ValueError):
    """One transaction holds something the database cannot store: it is rejected alone."""


def _base58(pattern: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise PydanticCustomError("base58", "must be a base58 {what}", {"what": what})
        return value

    return AfterValidator(check)


def _atomic_amount(value: object) -> object:
    """An integer string (as Helius sends raw amounts) or a JSON integer; never a float."""
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < _U64_LIMIT:
        return value
    raise PydanticCustomError("atomic_amount", "must be an integer amount of atomic units")


Address = Annotated[str, _base58(_ADDRESS, "address")]
Signature = Annotated[str, _base58(_SIGNATURE, "signature")]
AtomicAmount = Annotated[int, BeforeValidator(_atomic_amount)]
Decimals = Annotated[StrictInt, Field(ge=0, le=18)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", alias_generator=to_camel)

    @model_validator(mode="before")
    @classmethod
    def _null_means_default(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data


class RawTokenAmount(_Model):
    token_amount: AtomicAmount
    decimals: Decimals


class TokenBalanceChange(_Model):
    user_account: Address
    token_account: Address | None = None
    mint: Address
    raw_token_amount: RawTokenAmount


class NativeTransfer(_Model):
    from_user_account: Address | None = None
    to_user_account: Address | None = None
    amount: AtomicAmount = 0


class AccountData(_Model):
    account: Address
    native_balance_change: AtomicAmount = 0
    token_balance_changes: list[TokenBalanceChange] = []


class EnhancedTransaction(_Model):
    signature: Signature
    # Bounded as the database stores them (bigint, timestamptz): a wild value must reject
    # this transaction, not fail the whole batch in SQL.
    slot: Annotated[StrictInt, Field(ge=0, le=2**63 - 1)] | None = None
    timestamp: Annotated[StrictInt, Field(ge=0, le=MAX_TIMESTAMP)] | None = None
    source: str | None = None
    tx_type: str | None = Field(default=None, alias="type")
    fee: Annotated[AtomicAmount, Field(ge=0)] = 0
    fee_payer: Address | None = None
    transaction_error: Any = None
    native_transfers: list[NativeTransfer] = []
    account_data: list[AccountData] = []

    @model_validator(mode="after")
    def _one_decimals_per_mint(self) -> EnhancedTransaction:
        self.mint_decimals()
        return self

    @property
    def failed(self) -> bool:
        return self.transaction_error is not None

    def token_changes(self) -> Iterator[TokenBalanceChange]:
        for data in self.account_data:
            yield from data.token_balance_changes

    def mint_decimals(self) -> dict[str, int]:
        """Decimals per mint. Two values for one mint, or a quote mint with other decimals than
        its known ones, make the transaction invalid."""
        decimals = dict(QUOTE_DECIMALS)
        for change in self.token_changes():
            expected = decimals.setdefault(change.mint, change.raw_token_amount.decimals)
            if expected != change.raw_token_amount.decimals:
                raise PydanticCustomError(
                    "decimals", "mint {mint} has inconsistent decimals", {"mint": change.mint}
                )
        return decimals

    def accounts(self) -> list[str]:
        """Fee payer, every `accountData` account and every token-balance owner, sorted."""
        accounts = {data.account for data in self.account_data}
        accounts |= {change.user_account for change in self.token_changes()}
        if self.fee_payer is not None:
            accounts.add(self.fee_payer)
        return sorted(accounts)

    def error_text(self) -> str | None:
        error = self.transaction_error
        if error is None:
            return None
        if not (isinstance(error, str) and error):
            error = json.dumps(error, separators=(",", ":"))
        return str(error)[:MAX_ERROR_TEXT]


@dataclass(frozen=True, slots=True)
class Swap:
    wallet: str
    side: Side
    token_mint: str
    token_amount: int
    token_decimals: int
    quote_mint: str
    quote_amount: int
    quote_decimals: int

    def as_json(self) -> dict[str, Any]:
        """JSON-ready, with amounts as integer strings so they stay exact."""
        amounts = {"token_amount": str(self.token_amount), "quote_amount": str(self.quote_amount)}
        return asdict(self) | amounts


def normalise(tx: EnhancedTransaction) -> list[Swap]:
    """The swaps of every account of `tx`, sorted by wallet then token mint."""
    if tx.failed:
        return []
    decimals = tx.mint_decimals()
    swaps = [
        swap
        for account, changes in _net_changes(tx).items()
        for swap in _account_swaps(account, changes, decimals)
    ]
    return sorted(swaps, key=lambda swap: (swap.wallet, swap.token_mint))


def _net_changes(tx: EnhancedTransaction) -> dict[str, Counter[str]]:
    """Per account, its net change per mint; SOL and wSOL together in lamports under WSOL_MINT.

    Linear in the transaction's size: every lookup is a dict, never a scan."""
    net: defaultdict[str, Counter[str]] = defaultdict(Counter)
    token_account_owners = {
        change.token_account: change.user_account
        for change in tx.token_changes()
        if change.token_account is not None and change.mint != WSOL_MINT
    }
    counterparties = _transfer_counterparties(tx)
    for data in tx.account_data:
        owner = token_account_owners.get(data.account)
        # The rent of a token account opened (or refunded when it closes) is not trade value:
        # it goes back to whoever paid (or received) it, else its owner. wSOL accounts are left
        # out: their wrapped lamports already count through the wSOL token change.
        holder = data.account if owner is None else counterparties.get(data.account, owner)
        net[holder][WSOL_MINT] += data.native_balance_change
    for change in tx.token_changes():
        net[change.user_account][change.mint] += change.raw_token_amount.token_amount
    if tx.fee_payer is not None:
        # The network fee is not trade value.
        net[tx.fee_payer][WSOL_MINT] += tx.fee
    return net


def _transfer_counterparties(tx: EnhancedTransaction) -> dict[str, str]:
    """Per account, the other side of the first native transfer touching it (either way)."""
    counterparties: dict[str, str] = {}
    for transfer in tx.native_transfers:
        source, destination = transfer.from_user_account, transfer.to_user_account
        if source and destination:
            counterparties.setdefault(destination, source)
            counterparties.setdefault(source, destination)
    return counterparties


def _account_swaps(wallet: str, changes: Counter[str], decimals: Mapping[str, int]) -> list[Swap]:
    if any(_moves_an_nft(mint, delta, decimals) for mint, delta in changes.items()):
        # An NFT minted, bought or sold, or a liquidity position opened or closed (DAMM v2 and
        # CLMM positions are NFTs): the account paid or got SOL for it, yet traded no token.
        return []
    tokens = [
        (mint, delta) for mint, delta in changes.items() if delta and mint not in QUOTE_DECIMALS
    ]
    if len(tokens) == 1:
        mint, delta = tokens[0]
        quote = _opposite_quote(changes, delta)
        if quote is None:
            return []
        return [_swap(wallet, mint, delta, quote, changes[quote], decimals)]
    if len(tokens) == 2:
        (given, given_delta), (received, received_delta) = sorted(tokens, key=lambda t: t[1])
        # Token for token only when no quote moves: a quote moving either way could be
        # what paid for one of the two tokens, or what one of them was sold for.
        quotes_still = all(changes[quote] == 0 for quote in QUOTE_DECIMALS)
        if given_delta < 0 < received_delta and quotes_still:
            return [
                _swap(wallet, given, given_delta, received, received_delta, decimals),
                _swap(wallet, received, received_delta, given, given_delta, decimals),
            ]
    return []


def _moves_an_nft(mint: str, delta: int, decimals: Mapping[str, int]) -> bool:
    """One whole unit of a mint without decimals: an NFT (a fungible token with no decimals
    moving by exactly one unit is too rare to be worth copying)."""
    return decimals[mint] == 0 and abs(delta) == 1


def _opposite_quote(changes: Counter[str], token_delta: int) -> str | None:
    """The preferred quote mint whose change has the sign opposite to the token's."""
    return next((quote for quote in QUOTE_PREFERENCE if changes[quote] * token_delta < 0), None)


def _swap(
    wallet: str,
    token_mint: str,
    token_delta: int,
    quote_mint: str,
    quote_delta: int,
    decimals: Mapping[str, int],
) -> Swap:
    for mint, delta in ((token_mint, token_delta), (quote_mint, quote_delta)):
        # A balance is a u64, so no real change is larger: the database must not get one.
        if abs(delta) >= _U64_LIMIT:
            raise Unstorable(f"net change of {mint} for {wallet} is out of the u64 range")
    return Swap(
        wallet=wallet,
        side="buy" if token_delta > 0 else "sell",
        token_mint=token_mint,
        token_amount=abs(token_delta),
        token_decimals=decimals[token_mint],
        quote_mint=quote_mint,
        quote_amount=abs(quote_delta),
        quote_decimals=decimals[quote_mint],
    )


def ingest_payload(raw: dict[str, Any], tx: EnhancedTransaction) -> dict[str, Any]:
    """What the database receives for one transaction (JSON-serialisable)."""
    return {
        "signature": tx.signature,
        "slot": tx.slot,
        "timestamp": tx.timestamp,
        "source": tx.source,
        "tx_error": tx.error_text(),
        "fee_payer": tx.fee_payer,
        "accounts": tx.accounts(),
        "swaps": [swap.as_json() for swap in normalise(tx)],
        "raw": raw,
    }


@dataclass(frozen=True, slots=True)
class Rejected:
    index: int
    signature: str | None
    error: str


@dataclass(frozen=True, slots=True)
class Delivery:
    transactions: list[dict[str, Any]]
    rejected: list[Rejected]


def parse_delivery(body: bytes) -> Delivery:
    """Ingest payloads of the valid transactions of a delivery; the others are rejected one by one.

    Whatever one transaction holds (numbers out of range, invalid unicode, NUL, deep nesting,
    amounts no balance can reach) rejects that transaction alone, with a reason. The cost is
    linear in the body's size. Raises NotAnArray or DeliveryTooLarge when the body as a whole
    is unusable.
    """
    delivery = Delivery(transactions=[], rejected=[])
    for index, element in enumerate(_json_array(body)):
        if not isinstance(element, dict):
            delivery.rejected.append(Rejected(index, None, "not a JSON object"))
            continue
        signature = readable_signature(element)
        problem = _unstorable(element, MAX_TRANSACTION_DEPTH)
        if problem is not None:
            delivery.rejected.append(Rejected(index, signature, problem))
            continue
        try:
            tx = EnhancedTransaction.model_validate(element)
            delivery.transactions.append(ingest_payload(element, tx))
        except ValidationError as error:
            delivery.rejected.append(Rejected(index, signature, _describe(error)))
        except Unstorable as error:
            delivery.rejected.append(Rejected(index, signature, str(error)))
        except Exception as error:  # a bug must not cost the transaction's neighbours
            logger.error("transaction %s (%s) failed to parse: %r", index, signature, error)
            delivery.rejected.append(Rejected(index, signature, "could not be parsed"))
    return delivery


def _json_array(body: bytes) -> list[Any]:
    if len(body) > MAX_BODY_BYTES:
        raise DeliveryTooLarge(f"body is {len(body)} bytes, over the {MAX_BODY_BYTES} limit")
    # Invalid UTF-8 inside one string becomes lone surrogates, and a raw control character
    # is let through (strict=False; json.dumps escapes it again): so what only one string holds
    # rejects (or not) its transaction alone (_unstorable), never the whole body.
    text = body.decode("utf-8", errors="surrogateescape")
    try:
        value = json.loads(
            text,
            strict=False,
            parse_int=_integer,
            parse_float=_float,
            parse_constant=_not_a_number,
        )
    except RecursionError as error:
        raise NotAnArray("body is nested too deeply") from error
    except ValueError as error:
        raise NotAnArray("body is not valid JSON") from error
    if not isinstance(value, list):
        raise NotAnArray(f"body is {_JSON_KINDS.get(type(value), 'a number')}, not a JSON array")
    if len(value) > MAX_TRANSACTIONS:
        raise DeliveryTooLarge(f"{len(value)} transactions, over the {MAX_TRANSACTIONS} limit")
    return value


_JSON_KINDS = {
    dict: "an object",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


@dataclass(frozen=True, slots=True)
class _Refused:
    """Where the JSON parser met a number the database cannot take: rejects its transaction."""

    reason: str


_OUT_OF_RANGE = _Refused("a number is out of range")


def _integer(literal: str) -> int | _Refused:
    return int(literal) if len(literal) <= MAX_NUMBER_CHARS else _OUT_OF_RANGE


def _float(literal: str) -> float | _Refused:
    # 1e400 would become inf, which no JSON (nor jsonb) can hold. Never money: amounts are
    # integers (AtomicAmount refuses floats).
    value = float(literal) if len(literal) <= MAX_NUMBER_CHARS else math.inf
    return value if math.isfinite(value) else _OUT_OF_RANGE


def _not_a_number(name: str) -> _Refused:
    # NaN and Infinity are not JSON, and jsonb refuses them.
    return _Refused(f"{name} is not a JSON number")


# Postgres text and jsonb refuse U+0000, and UTF-8 cannot encode a lone surrogate.
_UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")


def _unstorable(value: Any, max_depth: int) -> str | None:
    """Why `value` cannot be stored as jsonb, or None. Level by level, without recursion (any
    depth is safe), and linear in the value's size."""
    level, depth = [value], 0
    while level:
        below: list[Any] = []
        for item in level:
            kind = type(item)
            if kind is str:
                if _UNSTORABLE_TEXT.search(item):
                    return _unstorable_text(item)
            elif kind is dict or kind is list:
                if depth >= max_depth:
                    return f"nested deeper than {max_depth} levels"
                if kind is dict:
                    below.extend(item.keys())
                    below.extend(item.values())
                else:
                    below.extend(item)
            elif kind is _Refused:
                return str(item.reason)
        level, depth = below, depth + 1
    return None


def _unstorable_text(text: str) -> str:
    if "\x00" in text:
        return "text contains a NUL character"
    return "text is not valid unicode (lone surrogate)"


def readable_signature(element: Mapping[str, Any]) -> str | None:
    signature = element.get("signature")
    return signature if isinstance(signature, str) and _SIGNATURE.fullmatch(signature) else None


def _describe(error: ValidationError) -> str:
    """A short message naming the first problem, without echoing the input."""
    problems = error.errors(include_url=False, include_input=False, include_context=False)
    first = problems[0]
    where = ".".join(str(part) for part in first["loc"]) or "transaction"
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{where}: {first['msg']}{more}"
