"""The JSON-RPC endpoint: Helius DAS `getAsset` and the Solana methods a copier needs, with
the real node's error shapes (agave's rpc custom errors).

sendTransaction verifies every signature whatever the options (a real node only does so in
preflight). A transaction that cannot land (expired blockhash, fee unpaid) is refused with
the preflight error, or with skipPreflight accepted and never landed, as a real node drops it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from solders.instruction import CompiledInstruction
from solders.message import MessageHeader, MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from simulator.chain import TOKEN_ACCOUNT_RENT, Landed, TokenBalance
from simulator.encoding import b58decode, b58encode, number_text
from simulator.faults import Decision
from simulator.http import Reply, Request, json_reply
from simulator.market import ui_amount
from simulator.scenario import TOKEN_2022_PROGRAM, TOKEN_PROGRAM, WSOL_MINT
from simulator.token_apis import das_asset, listed
from simulator.world import World

API_VERSION = "2.2.7"
DAS_METHODS = ("getAsset",)
MAX_SIGNATURES = 256
UNSUPPORTED_VERSION = (
    "Transaction version (0) is not supported by the requesting client. Please try the request "
    'again with the following configuration parameter: "maxSupportedTransactionVersion": 0'
)
COMMITMENTS = ("processed", "confirmed", "finalized")
TRANSACTION_ERRORS = {  # TransactionError variants and how the node prints them
    "BlockhashNotFound": "Blockhash not found",
    "AlreadyProcessed": "This transaction has already been processed",
    "InsufficientFundsForFee": "Insufficient funds for fee",
    "AddressLookupTableNotFound": ("Transaction loads an address table account that doesn't exist"),
}


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data

    def body(self) -> dict[str, Any]:
        error = {"code": self.code, "message": self.message}
        return error if self.data is None else {**error, "data": self.data}


def invalid_params(message: str) -> RpcError:
    return RpcError(-32602, message)


def preflight_failure(error: str) -> RpcError:
    """SendTransactionPreflightFailure: the simulation result rides in `data`."""
    result: dict[str, Any] = {
        "err": error,
        "logs": [],
        "accounts": None,
        "unitsConsumed": 0,
        "returnData": None,
        "innerInstructions": None,
        "replacementBlockhash": None,
    }
    message = f"Transaction simulation failed: {TRANSACTION_ERRORS[error]}"
    return RpcError(-32002, message, result)


@dataclass(frozen=True)
class Call:
    world: World
    params: list[Any]
    request: Request
    decision: Decision

    def param(self, index: int, default: Any = None) -> Any:
        return self.params[index] if len(self.params) > index else default

    def config(self, index: int) -> dict[str, Any]:
        value = self.param(index)
        return value if isinstance(value, dict) else {}


def classify(request: Request) -> tuple[str, str | None]:
    """(service for faults and the call log, JSON-RPC method)."""
    try:
        body = request.json()
    except ValueError:
        return "rpc", None
    method = body.get("method") if isinstance(body, dict) else None
    if not isinstance(method, str):
        return "rpc", None
    return ("das" if method in DAS_METHODS else "rpc"), method


def handle(world: World, request: Request, decision: Decision) -> Reply:
    try:
        body = request.json()
    except ValueError:
        return json_reply(envelope(None, error=RpcError(-32700, "Parse error")))
    if not isinstance(body, dict) or not isinstance(body.get("method"), str):
        return json_reply(envelope(None, error=RpcError(-32600, "Invalid request")))
    request_id, params = body.get("id"), body.get("params", [])
    method = METHODS.get(body["method"])
    try:
        if method is None:
            raise RpcError(-32601, "Method not found")
        if isinstance(params, dict):
            params = [params]  # DAS takes named params; the Solana methods an array
        if not isinstance(params, list):
            raise invalid_params("Invalid params: expected an array")
        result = method(Call(world, params, request, decision))
    except RpcError as error:
        if error.code == -32401:
            return json_reply(envelope(request_id, error=error), 401)
        return json_reply(envelope(request_id, error=error))
    return json_reply(envelope(request_id, result=result))


def envelope(request_id: Any, result: Any = None, error: RpcError | None = None) -> dict[str, Any]:
    if error is not None:
        return {"jsonrpc": "2.0", "error": error.body(), "id": request_id}
    return {"jsonrpc": "2.0", "result": result, "id": request_id}


def fault_body(status: int) -> dict[str, Any]:
    """What an RPC provider answers with an injected HTTP status."""
    if status == 429:
        return envelope(None, error=RpcError(429, "Too many requests for a specific RPC call"))
    return envelope(None, error=RpcError(-32603, "Internal error"))


def with_context(world: World, value: Any) -> dict[str, Any]:
    slot = world.state.chain.slot_at(world.state.now)
    return {"context": {"apiVersion": API_VERSION, "slot": slot}, "value": value}


# --- DAS ------------------------------------------------------------------------------------


def get_asset(call: Call) -> Any:
    world = call.world
    key = world.scenario.api_keys.helius
    given = call.request.param("api-key")
    if not given or (key is not None and given != key):
        raise RpcError(-32401, "invalid api key")
    params = call.param(0) if isinstance(call.param(0), dict) else {"id": call.param(0)}
    mint = params.get("id")
    token = listed(world, mint, "das") if isinstance(mint, str) else None
    if token is None:
        raise RpcError(-32000, "Asset Not Found")
    with world.lock:
        return das_asset(world, token)


# --- chain ----------------------------------------------------------------------------------


def get_latest_blockhash(call: Call) -> Any:
    with call.world.lock:
        state = call.world.state
        blockhash, last_valid = state.chain.latest_blockhash(state.now)
        return with_context(
            call.world, {"blockhash": blockhash, "lastValidBlockHeight": last_valid}
        )


def commitment(level: Any) -> str:
    """A commitment asked for; a node's default is `finalized`. Processed and confirmed are
    the current slot here (a landed transaction confirms at once)."""
    if level not in COMMITMENTS:
        raise invalid_params(f"Invalid params: unknown commitment {level}")
    return str(level)


def get_block_height(call: Call) -> Any:
    with call.world.lock:
        chain, now = call.world.state.chain, call.world.state.now
        return chain.height_of(
            chain.slot_at(now, commitment(call.config(0).get("commitment", "finalized")))
        )


def get_slot(call: Call) -> Any:
    with call.world.lock:
        return call.world.state.chain.slot_at(
            call.world.state.now, commitment(call.config(0).get("commitment", "finalized"))
        )


def get_balance(call: Call) -> Any:
    address = call.param(0)
    try:
        Pubkey.from_string(address)
    except (TypeError, ValueError):
        raise invalid_params("Invalid param: Invalid") from None
    with call.world.lock:
        return with_context(call.world, call.world.state.chain.balance(address))


TOKEN_PROGRAMS = {TOKEN_PROGRAM: "spl-token", TOKEN_2022_PROGRAM: "spl-token-2022"}
TOKEN_ACCOUNT_SPACE = 165  # a token account without extensions
# Token-2022 accounts carry the ImmutableOwner extension its associated accounts get.
TOKEN_2022_ACCOUNT_SPACE = 170


def get_token_accounts_by_owner(call: Call) -> Any:
    """The owner's token accounts of one program or one mint, as a node lists them with
    `encoding: jsonParsed` (the only encoding served here)."""
    owner, account_filter, config = call.param(0), call.param(1), call.config(2)
    try:
        Pubkey.from_string(owner)
    except (TypeError, ValueError):
        raise invalid_params("Invalid param: Invalid") from None
    if not isinstance(account_filter, dict) or len(account_filter) != 1:
        raise invalid_params("Invalid params: expected a mint or programId filter")
    program, mint = account_filter.get("programId"), account_filter.get("mint")
    if program is None and mint is None:
        raise invalid_params("Invalid params: expected a mint or programId filter")
    if program is not None and program not in TOKEN_PROGRAMS:
        raise invalid_params("Invalid param: unrecognized Token program id")
    if config.get("encoding") != "jsonParsed":
        raise invalid_params("Invalid params: this node serves encoding jsonParsed only")
    commitment(config.get("commitment", "finalized"))
    with call.world.lock:
        chain = call.world.state.chain
        accounts = chain.token_accounts(owner, program, mint)
        return with_context(
            call.world,
            [parsed_token_account(call.world, owner, *account) for account in accounts],
        )


def parsed_token_account(
    world: World, owner: str, account: str, mint: str, amount: int, program: str
) -> dict[str, Any]:
    token = world.scenario.token(mint)
    decimals = token.decimals if token else 9  # wSOL, the only other mint a payer holds
    ui = ui_amount(amount, decimals)
    space = TOKEN_2022_ACCOUNT_SPACE if program == TOKEN_2022_PROGRAM else TOKEN_ACCOUNT_SPACE
    info: dict[str, Any] = {
        "isNative": mint == WSOL_MINT,
        "mint": mint,
        "owner": owner,
        "state": "initialized",
        "tokenAmount": {
            "amount": str(amount),
            "decimals": decimals,
            "uiAmount": ui,
            "uiAmountString": number_text(ui),
        },
    }
    if program == TOKEN_2022_PROGRAM:
        info["extensions"] = [{"extension": "immutableOwner"}]
    return {
        "pubkey": account,
        "account": {
            "data": {
                "program": TOKEN_PROGRAMS[program],
                "parsed": {"info": info, "type": "account"},
                "space": space,
            },
            "executable": False,
            "lamports": world.state.chain.lamports.get(account, TOKEN_ACCOUNT_RENT),
            "owner": program,
            "rentEpoch": 18446744073709551615,
            "space": space,
        },
    }


def get_health(call: Call) -> Any:
    return "ok"


def get_version(call: Call) -> Any:
    return {"solana-core": API_VERSION, "feature-set": 3294202862}


def decode_transaction(data: Any, encoding: str) -> VersionedTransaction:
    if not isinstance(data, str):
        raise invalid_params("Invalid params: the transaction must be a string")
    try:
        raw = base64.b64decode(data, validate=True) if encoding == "base64" else b58decode(data)
    except (binascii.Error, ValueError) as error:
        raise invalid_params(f"invalid {encoding} encoding: {error}") from None
    try:
        transaction = VersionedTransaction.from_bytes(raw)
        transaction.sanitize()
    except ValueError as error:
        raise invalid_params(
            f"failed to deserialize solana_transaction::versioned::VersionedTransaction: {error}"
        ) from None
    return transaction


def send_transaction(call: Call) -> Any:
    config = call.config(1)
    encoding = config.get("encoding", "base58")
    if encoding not in ("base58", "base64"):
        raise invalid_params(
            f"unsupported encoding: {encoding}. Supported encodings: base58, base64"
        )
    transaction = decode_transaction(call.param(0), encoding)
    if not all(transaction.verify_with_results()):
        raise RpcError(-32003, "Transaction signature verification failure")
    skip_preflight = config.get("skipPreflight") is True
    preflight_commitment = commitment(config.get("preflightCommitment", "finalized"))
    refuse_as_faulted(call.decision, skip_preflight)
    with call.world.lock:
        return submit(call.world, transaction, skip_preflight, preflight_commitment, call.decision)


def refuse_as_faulted(decision: Decision, skip_preflight: bool) -> None:
    """The refusals of a real node that carry no transaction error: an unhealthy node (it
    checks its health before simulating, only with preflight), and providers' bodies
    without `data` (which make solders panic)."""
    if "node_behind" in decision.chain and not skip_preflight:
        raise RpcError(-32005, "Node is behind by 42 slots", {"numSlotsBehind": 42})
    if "bare_error" in decision.chain:
        raise RpcError(-32002, "Transaction simulation failed: Blockhash not found")


def submit(
    world: World,
    transaction: VersionedTransaction,
    skip_preflight: bool,
    preflight_commitment: str,
    decision: Decision,
) -> str:
    state = world.state
    chain, now = state.chain, state.now
    signature = str(transaction.signatures[0])
    if signature in chain.landed:
        if skip_preflight:
            return signature  # a node forwards a resent transaction; it cannot land twice
        raise preflight_failure("AlreadyProcessed")
    blockhash = str(transaction.message.recent_blockhash)
    problem = None
    if not chain.knows_tables(transaction.message):
        problem = "AddressLookupTableNotFound"
    elif "expired_blockhash" in decision.chain or not chain.is_blockhash_valid(blockhash, now):
        problem = "BlockhashNotFound"
    elif not skip_preflight and not chain.is_blockhash_known(blockhash, now, preflight_commitment):
        # The preflight simulates on the bank of its commitment: at `finalized` (the
        # default) a blockhash of the last ~32 slots does not exist yet.
        problem = "BlockhashNotFound"
    elif chain.balance(str(transaction.message.account_keys[0])) < chain.fee_of(transaction):
        problem = "InsufficientFundsForFee"
    if problem is not None:
        if not skip_preflight:
            raise preflight_failure(problem)
        chain.dropped.add(signature)
        return signature
    chain.land(transaction, now, state.epoch, "slippage" in decision.chain)
    return signature


MAX_FEE_ACCOUNTS = 128
FEE_CACHE_SLOTS = 150  # a node keeps the prioritization fees of its last 150 blocks
SPIKE_SLOTS = 30  # a spike covers the most recent slots
SPIKE_FACTOR = 100


def get_recent_prioritization_fees(call: Call) -> Any:
    """One entry per recent slot (the node's cache: up to 150, fewer on a young chain): the
    lowest fee a transaction write-locking the accounts paid in that slot, in micro-lamports
    per compute unit, the highest of the accounts'. Many slots show 0. Faults: a spike of the
    latest slots, or a node that knows no fees at all (an empty list)."""
    accounts = call.param(0, [])
    if not isinstance(accounts, list) or not all(isinstance(a, str) for a in accounts):
        raise invalid_params("Invalid params: expected an array of addresses")
    if len(accounts) > MAX_FEE_ACCOUNTS:
        raise invalid_params(f"Too many inputs provided; max {MAX_FEE_ACCOUNTS}")
    for account in accounts:
        try:
            Pubkey.from_string(account)
        except ValueError:
            raise invalid_params(f"Invalid param: {account} is not a pubkey") from None
    if "empty_fees" in call.decision.chain:
        return []
    with call.world.lock:
        chain, now = call.world.state.chain, call.world.state.now
        latest = chain.slot_at(now)
        first = max(chain.settings.genesis_slot, latest - FEE_CACHE_SLOTS + 1)
        spike = "fee_spike" in call.decision.chain
        return [
            {
                "slot": slot,
                "prioritizationFee": chain.recent_fee(slot, accounts)
                * (SPIKE_FACTOR if spike and slot > latest - SPIKE_SLOTS else 1),
            }
            for slot in range(first, latest + 1)
        ]


def get_signature_statuses(call: Call) -> Any:
    signatures = call.param(0)
    if not isinstance(signatures, list) or not all(isinstance(s, str) for s in signatures):
        raise invalid_params("Invalid params: expected an array of signatures")
    if len(signatures) > MAX_SIGNATURES:
        raise invalid_params(f"Too many inputs provided; max {MAX_SIGNATURES}")
    search_history = call.config(1).get("searchTransactionHistory") is True
    with call.world.lock:
        chain, now = call.world.state.chain, call.world.state.now
        statuses = [chain.status(signature, now, search_history) for signature in signatures]
        return with_context(call.world, statuses)


def get_transaction(call: Call) -> Any:
    signature = call.param(0)
    config = call.config(1)
    if isinstance(call.param(1), str):
        config = {"encoding": call.param(1)}  # the deprecated form: the encoding alone
    if config.get("commitment") == "processed":
        raise invalid_params("Method does not support commitment below `confirmed`")
    with call.world.lock:
        landed = call.world.state.chain.landed.get(str(signature))
    if landed is None:
        return None
    max_version = config.get("maxSupportedTransactionVersion")
    message = landed.transaction.message
    if isinstance(message, MessageV0) and max_version is None:
        raise RpcError(-32015, UNSUPPORTED_VERSION)
    encoded = encode_landed(landed, config.get("encoding", "json"))
    if max_version is not None:
        encoded["version"] = 0 if isinstance(message, MessageV0) else "legacy"
    return encoded


# --- encodings of a landed transaction ------------------------------------------------------


def encode_landed(landed: Landed, encoding: str) -> dict[str, Any]:
    transaction = landed.transaction
    parsed = encoding == "jsonParsed"
    if encoding == "base64":
        encoded: Any = [base64.b64encode(bytes(transaction)).decode(), "base64"]
    elif encoding == "base58":
        encoded = [b58encode(bytes(transaction)), "base58"]
    elif encoding in ("json", "jsonParsed"):
        encoded = {
            "signatures": [str(signature) for signature in transaction.signatures],
            "message": message_json(landed, parsed),
        }
    else:
        raise invalid_params(f"unsupported encoding: {encoding}")
    return {
        "slot": landed.slot,
        "blockTime": landed.block_time,
        "transaction": encoded,
        "meta": meta_json(landed, parsed),
    }


def loaded_addresses(landed: Landed) -> dict[str, list[str]]:
    """The accounts a v0 message loaded from lookup tables (after its own), by kind."""
    message = landed.transaction.message
    if not isinstance(message, MessageV0):
        return {"writable": [], "readonly": []}
    loaded = landed.keys[len(message.account_keys) :]
    writable = sum(len(bytes(lookup.writable_indexes)) for lookup in message.address_table_lookups)
    return {"writable": loaded[:writable], "readonly": loaded[writable:]}


def is_writable(header: MessageHeader, index: int, static_count: int, writable_loaded: int) -> bool:
    signers = header.num_required_signatures
    if index < signers:
        return index < signers - header.num_readonly_signed_accounts
    if index >= static_count:
        return index < static_count + writable_loaded
    return index < static_count - header.num_readonly_unsigned_accounts


def message_json(landed: Landed, parsed: bool) -> dict[str, Any]:
    """jsonParsed lists every account (source: transaction or lookupTable); json only the
    message's own, and the lookups that load the others."""
    message = landed.transaction.message
    header, keys = message.header, landed.keys
    static_count = len(message.account_keys)
    instructions = [instruction_json(ix, keys, parsed) for ix in message.instructions]
    body: dict[str, Any] = {}
    if parsed:
        writable_loaded = len(loaded_addresses(landed)["writable"])
        body["accountKeys"] = [
            {
                "pubkey": key,
                "writable": is_writable(header, index, static_count, writable_loaded),
                "signer": index < header.num_required_signatures,
                "source": "transaction" if index < static_count else "lookupTable",
            }
            for index, key in enumerate(keys)
        ]
    else:
        body["header"] = {
            "numRequiredSignatures": header.num_required_signatures,
            "numReadonlySignedAccounts": header.num_readonly_signed_accounts,
            "numReadonlyUnsignedAccounts": header.num_readonly_unsigned_accounts,
        }
        body["accountKeys"] = keys[:static_count]
    body["recentBlockhash"] = str(message.recent_blockhash)
    body["instructions"] = instructions
    if isinstance(message, MessageV0):
        body["addressTableLookups"] = [
            {
                "accountKey": str(lookup.account_key),
                "writableIndexes": list(bytes(lookup.writable_indexes)),
                "readonlyIndexes": list(bytes(lookup.readonly_indexes)),
            }
            for lookup in message.address_table_lookups
        ]
    return body


def instruction_json(
    instruction: CompiledInstruction, keys: list[str], parsed: bool
) -> dict[str, Any]:
    accounts = list(bytes(instruction.accounts))
    data = b58encode(bytes(instruction.data))
    if parsed:  # jsonParsed names the programs it cannot parse, and accounts by address
        program = keys[instruction.program_id_index]
        named = [keys[index] for index in accounts]
        return {"programId": program, "accounts": named, "data": data, "stackHeight": None}
    return {
        "programIdIndex": instruction.program_id_index,
        "accounts": accounts,
        "data": data,
        "stackHeight": None,
    }


def token_balance_json(balance: TokenBalance) -> dict[str, Any]:
    ui = ui_amount(balance.amount, balance.decimals)
    return {
        "accountIndex": balance.account_index,
        "mint": balance.mint,
        "owner": balance.owner,
        "programId": balance.program,
        "uiTokenAmount": {
            "uiAmount": ui,
            "decimals": balance.decimals,
            "amount": str(balance.amount),
            "uiAmountString": number_text(ui),
        },
    }


def meta_json(landed: Landed, parsed: bool) -> dict[str, Any]:
    meta = {
        "err": landed.err,
        "status": landed.outcome,
        "fee": landed.fee,
        "preBalances": landed.pre_balances,
        "postBalances": landed.post_balances,
        "innerInstructions": [],
        "logMessages": landed.logs,
        "preTokenBalances": [token_balance_json(b) for b in landed.pre_tokens],
        "postTokenBalances": [token_balance_json(b) for b in landed.post_tokens],
        "rewards": [],
        "computeUnitsConsumed": landed.units,
    }
    if not parsed and isinstance(landed.transaction.message, MessageV0):
        meta["loadedAddresses"] = loaded_addresses(landed)
    return meta


METHODS: dict[str, Callable[[Call], Any]] = {
    "getAsset": get_asset,
    "getLatestBlockhash": get_latest_blockhash,
    "getBlockHeight": get_block_height,
    "getSlot": get_slot,
    "getBalance": get_balance,
    "getTokenAccountsByOwner": get_token_accounts_by_owner,
    "getHealth": get_health,
    "getVersion": get_version,
    "sendTransaction": send_transaction,
    "getSignatureStatuses": get_signature_statuses,
    "getTransaction": get_transaction,
    "getRecentPrioritizationFees": get_recent_prioritization_fees,
}
