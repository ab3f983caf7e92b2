"""Helius enhanced-webhook parsing: fixtures, batch behaviour and properties (no database)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from walltrack import helius

FIXTURES = Path(__file__).parent / "fixtures" / "helius"
EXPECTED: dict[str, Any] = json.loads((FIXTURES / "expected.json").read_text())
WSOL, USDC, USDT = helius.WSOL_MINT, helius.USDC_MINT, helius.USDT_MINT
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def address(label: str) -> str:
    """A well-formed base58 address derived from `label`."""
    number = int.from_bytes(hashlib.sha256(label.encode()).digest(), "big")
    digits = []
    while number:
        number, digit = divmod(number, 58)
        digits.append(B58[digit])
    return "".join(reversed(digits))


def fixture_tx(name: str) -> dict[str, Any]:
    [tx] = json.loads((FIXTURES / name).read_bytes())
    assert isinstance(tx, dict)
    return tx


def parse_one(tx: dict[str, Any]) -> dict[str, Any]:
    delivery = helius.parse_delivery(json.dumps([tx]).encode())
    assert delivery.rejected == []
    [payload] = delivery.transactions
    return payload


def swaps_of(payload: dict[str, Any], wallet: str) -> list[dict[str, Any]]:
    return [swap for swap in payload["swaps"] if swap["wallet"] == wallet]


# --- fixtures -------------------------------------------------------------------------------


def test_every_fixture_has_expectations() -> None:
    files = {path.name for path in FIXTURES.glob("*.json")} - {"expected.json"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_watched_wallet_swaps_match_expected(name: str) -> None:
    delivery = helius.parse_delivery((FIXTURES / name).read_bytes())
    assert delivery.rejected == []
    [payload] = delivery.transactions
    expected = EXPECTED[name]
    assert swaps_of(payload, expected["wallet"]) == expected["swaps"]
    assert expected["wallet"] in payload["accounts"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_payload_is_exact_json(name: str) -> None:
    tx = fixture_tx(name)
    payload = parse_one(tx)
    assert json.loads(json.dumps(payload, allow_nan=False)) == payload
    assert payload["raw"] == tx
    assert (payload["signature"], payload["slot"], payload["timestamp"], payload["source"]) == (
        tx["signature"],
        tx["slot"],
        tx["timestamp"],
        tx["source"],
    )
    assert payload["accounts"] == sorted(set(payload["accounts"]))
    assert tx["feePayer"] in payload["accounts"]
    assert payload["swaps"] == sorted(
        payload["swaps"], key=lambda s: (s["wallet"], s["token_mint"])
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_events_swap_is_never_used(name: str) -> None:
    tx = fixture_tx(name)
    without_events = {key: value for key, value in tx.items() if key != "events"}
    assert parse_one(without_events)["swaps"] == parse_one(tx)["swaps"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("helius_type", ["SWAP", "TRANSFER", "UNKNOWN", "NFT_MINT"])
def test_the_helius_type_is_never_read(name: str, helius_type: str) -> None:
    tx = fixture_tx(name)
    assert parse_one(tx | {"type": helius_type})["swaps"] == parse_one(tx)["swaps"]


@pytest.mark.parametrize(
    ("name", "helius_type", "side", "quote_amount"),
    [
        # 0.5 SOL went into the curve; the rent of the token account opened and the fee did not.
        ("meteora_dbc_buy.json", "TRANSFER", "buy", "500000000"),
        # The proceeds came out of the pool through a wSOL account closed in the transaction.
        ("meteora_damm_v2_sell.json", "UNKNOWN", "sell", "1234567891"),
    ],
)
def test_a_swap_helius_does_not_type_swap_is_still_a_swap(
    name: str, helius_type: str, side: str, quote_amount: str
) -> None:
    tx = fixture_tx(name)
    assert (tx["type"], tx["events"]) == (helius_type, {})
    [swap] = swaps_of(parse_one(tx), tx["feePayer"])
    assert (swap["side"], swap["quote_mint"], swap["quote_amount"]) == (side, WSOL, quote_amount)


@pytest.mark.parametrize(
    "name", ["plain_sol_transfer.json", "token_transfer.json", "nft_mint_unknown.json"]
)
def test_transfers_and_mints_typed_transfer_or_unknown_are_no_swap(name: str) -> None:
    tx = fixture_tx(name)
    assert tx["type"] in ("TRANSFER", "UNKNOWN")
    payload = parse_one(tx)
    assert payload["swaps"] == []
    assert tx["feePayer"] in payload["accounts"]  # stored as any delivery without a swap


def test_jupiter_quote_is_the_wallet_sol_outflow_not_the_wsol_top_up() -> None:
    tx = fixture_tx("jupiter_buy.json")
    [swap] = swaps_of(parse_one(tx), tx["feePayer"])
    assert tx["events"]["swap"]["nativeInput"]["amount"] == "10000000"
    assert swap["quote_amount"] == "1000000000"  # 1 SOL: the ATA rent and the fee excluded


def test_rent_of_a_token_account_paid_by_a_relayer_is_not_the_wallet_refund() -> None:
    tx = fixture_tx("relayer_pays_fee.json")
    [swap] = swaps_of(parse_one(tx), EXPECTED["relayer_pays_fee.json"]["wallet"])
    assert swap["quote_amount"] == "300000000"  # the relayer funded the new account's rent


def test_text_with_nul_is_rejected_not_stored() -> None:
    tx = fixture_tx("jupiter_buy.json")
    tx["description"] = "evil\x00text"
    delivery = helius.parse_delivery(json.dumps([tx]).encode())
    assert delivery.transactions == []
    assert delivery.rejected[0].error == "text contains a NUL character"
    assert delivery.rejected[0].signature == tx["signature"]


def test_pool_side_gets_the_mirror_image() -> None:
    tx = fixture_tx("pumpfun_buy.json")
    payload = parse_one(tx)
    [wallet_swap] = swaps_of(payload, tx["feePayer"])
    [curve_swap] = [s for s in payload["swaps"] if s["wallet"] != tx["feePayer"]]
    assert curve_swap["side"] == "sell"
    assert curve_swap["token_amount"] == wallet_swap["token_amount"]
    assert curve_swap["quote_amount"] == "500000000"  # the 1% protocol fee went elsewhere


def test_relayer_paid_fee_is_not_in_the_wallet_quote() -> None:
    tx = fixture_tx("relayer_pays_fee.json")
    wallet = EXPECTED["relayer_pays_fee.json"]["wallet"]
    assert tx["feePayer"] != wallet
    payload = parse_one(tx)
    [swap] = swaps_of(payload, wallet)
    assert int(swap["quote_amount"]) == 300_000_000
    assert swaps_of(payload, tx["feePayer"]) == []
    assert tx["feePayer"] in payload["accounts"]


def test_failed_transaction_records_error_and_accounts_but_no_swaps() -> None:
    payload = parse_one(fixture_tx("failed.json"))
    assert payload["swaps"] == []
    assert payload["tx_error"] == '{"error":"custom program error: 0x1771"}'
    assert EXPECTED["failed.json"]["wallet"] in payload["accounts"]


def test_failed_transaction_with_balance_changes_still_yields_no_swaps() -> None:
    tx = fixture_tx("jupiter_buy.json") | {"transactionError": "SlippageToleranceExceeded"}
    payload = parse_one(tx)
    assert payload["swaps"] == []
    assert payload["tx_error"] == "SlippageToleranceExceeded"


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (None, None),
        ("boom", "boom"),
        ({"error": "0x1771"}, '{"error":"0x1771"}'),
        ({"InstructionError": [0, {"Custom": 6001}]}, '{"InstructionError":[0,{"Custom":6001}]}'),
        ("", '""'),
    ],
)
def test_error_text(error: object, text: str | None) -> None:
    tx = fixture_tx("raydium_sell.json") | {"transactionError": error}
    assert parse_one(tx)["tx_error"] == text


def with_unknown_fields(value: Any) -> Any:
    if isinstance(value, dict):
        known = {key: with_unknown_fields(item) for key, item in value.items()}
        return known | {"zzUnknown": {"nested": [1, 2.5, None]}, "programVersion": 7}
    if isinstance(value, list):
        return [with_unknown_fields(item) for item in value]
    return value


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_unknown_fields_anywhere_are_ignored(name: str) -> None:
    tx = fixture_tx(name)
    # transactionError is free-form: whatever it holds is the error's text.
    noisy_tx = with_unknown_fields(tx) | {"transactionError": tx["transactionError"]}
    plain, noisy = parse_one(tx), parse_one(noisy_tx)
    assert {**noisy, "raw": None} == {**plain, "raw": None}


def test_nulls_mean_defaults() -> None:
    tx = {
        "signature": fixture_tx("failed.json")["signature"],
        "slot": None,
        "fee": None,
        "feePayer": None,
        "accountData": None,
        "transactionError": None,
        "events": None,
    }
    payload = parse_one(tx)
    assert payload["accounts"] == []
    assert payload["swaps"] == []
    assert payload["tx_error"] is None


# --- validation and batches -------------------------------------------------------------------


def first_change(tx: dict[str, Any]) -> dict[str, Any]:
    return next(c for data in tx["accountData"] for c in data["tokenBalanceChanges"])


Mutation = Callable[[dict[str, Any]], None]


def set_token_amount(value: object) -> Mutation:
    def mutate(tx: dict[str, Any]) -> None:
        first_change(tx)["rawTokenAmount"]["tokenAmount"] = value

    return mutate


def set_decimals(value: object) -> Mutation:
    def mutate(tx: dict[str, Any]) -> None:
        first_change(tx)["rawTokenAmount"]["decimals"] = value

    return mutate


def set_top(key: str, value: object) -> Mutation:
    def mutate(tx: dict[str, Any]) -> None:
        tx[key] = value

    return mutate


def set_account(value: object) -> Mutation:
    def mutate(tx: dict[str, Any]) -> None:
        tx["accountData"][0]["account"] = value

    return mutate


def set_native(value: object) -> Mutation:
    def mutate(tx: dict[str, Any]) -> None:
        tx["accountData"][0]["nativeBalanceChange"] = value

    return mutate


def second_wsol_with_other_decimals(tx: dict[str, Any]) -> None:
    first_change(tx)["mint"] = WSOL
    first_change(tx)["rawTokenAmount"]["decimals"] = 6


INVALID: dict[str, Mutation] = {
    "fractional amount string": set_token_amount("1.5"),
    "word amount": set_token_amount("abc123xyz"),
    "float amount": set_token_amount(1.5),
    "empty amount": set_token_amount(""),
    "amount over u64": set_token_amount("18446744073709551616"),
    "decimals 19": set_decimals(19),
    "negative decimals": set_decimals(-1),
    "decimals as string": set_decimals("6"),
    "account not base58": set_account("0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl"),
    "account too short": set_account("abc"),
    "native as float": set_native(1.0),
    "negative fee": set_top("fee", -1),
    "fee as boolean": set_top("fee", True),
    "slot as float": set_top("slot", 1.5),
    "fee payer not base58": set_top("feePayer", "not an address!"),
    "account data not a list": set_top("accountData", {"account": "x"}),
    "wSOL with 6 decimals": second_wsol_with_other_decimals,
}


@pytest.mark.parametrize("mutation", INVALID.values(), ids=INVALID.keys())
def test_invalid_transactions_are_rejected_with_their_signature(mutation: Mutation) -> None:
    tx = fixture_tx("raydium_sell.json")
    mutation(tx)
    delivery = helius.parse_delivery(json.dumps([tx]).encode())
    assert delivery.transactions == []
    [rejected] = delivery.rejected
    assert (rejected.index, rejected.signature) == (0, tx["signature"])
    assert 0 < len(rejected.error) < 300
    assert "abc123xyz" not in rejected.error
    assert "Traceback" not in rejected.error


def test_integer_token_amount_and_string_native_change_are_accepted() -> None:
    tx = fixture_tx("raydium_sell.json")
    amount = first_change(tx)["rawTokenAmount"]["tokenAmount"]
    first_change(tx)["rawTokenAmount"]["tokenAmount"] = int(amount)
    tx["accountData"][0]["nativeBalanceChange"] = str(tx["accountData"][0]["nativeBalanceChange"])
    assert parse_one(tx)["swaps"] == parse_one(fixture_tx("raydium_sell.json"))["swaps"]


def test_mixed_batch_keeps_the_valid_and_rejects_the_rest() -> None:
    non_integer = fixture_tx("raydium_sell.json")
    set_token_amount("1.5")(non_integer)
    no_signature = {key: v for key, v in fixture_tx("failed.json").items() if key != "signature"}
    bad_signature = fixture_tx("failed.json") | {"signature": "tooShort"}
    jupiter, pump = fixture_tx("jupiter_buy.json"), fixture_tx("pumpfun_buy.json")
    elements = [jupiter, 42, no_signature, non_integer, ["an", "array"], bad_signature, pump]
    delivery = helius.parse_delivery(json.dumps(elements).encode())
    signatures = [payload["signature"] for payload in delivery.transactions]
    assert signatures == [jupiter["signature"], pump["signature"]]
    rejected = [(r.index, r.signature) for r in delivery.rejected]
    assert rejected == [(1, None), (2, None), (3, non_integer["signature"]), (4, None), (5, None)]
    assert "signature" in delivery.rejected[1].error
    assert "tokenAmount" in delivery.rejected[2].error


@pytest.mark.parametrize(
    "body", [b"{}", b'"x"', b"null", b"42", b"true", b"[1,", b"", b"   ", b"\xff\xfe\x00", b"NaN"]
)
def test_not_an_array_bodies_raise(body: bytes) -> None:
    with pytest.raises(helius.NotAnArray):
        helius.parse_delivery(body)


def test_empty_array_is_an_empty_delivery() -> None:
    assert helius.parse_delivery(b"[]") == helius.Delivery(transactions=[], rejected=[])


def test_too_large_bodies_raise() -> None:
    with pytest.raises(helius.DeliveryTooLarge):
        helius.parse_delivery(b"[" + b" " * helius.MAX_BODY_BYTES + b"]")
    with pytest.raises(helius.DeliveryTooLarge):
        helius.parse_delivery(json.dumps([{}] * (helius.MAX_TRANSACTIONS + 1)).encode())
    delivery = helius.parse_delivery(json.dumps([{}] * helius.MAX_TRANSACTIONS).encode())
    assert len(delivery.rejected) == helius.MAX_TRANSACTIONS


# --- hand-built balance tables ------------------------------------------------------------------

WALLET, OTHER = address("wallet"), address("other")
MEME_A, MEME_B, MEME_C = address("mint-a"), address("mint-b"), address("mint-c")
NFT, POSITION_NFT = address("nft"), address("damm-v2-position")
SIGNATURE = fixture_tx("failed.json")["signature"]
DECIMALS = {WSOL: 9, USDC: 6, USDT: 6, MEME_A: 6, MEME_B: 9, MEME_C: 0, NFT: 0, POSITION_NFT: 0}


def table_tx(
    native: dict[str, int],
    tokens: dict[tuple[str, str], list[int]],
    fee: int = 0,
    fee_payer: str | None = None,
) -> dict[str, Any]:
    """An enhanced transaction from native changes and per-token-account token changes."""
    account_data = [{"account": a, "nativeBalanceChange": n} for a, n in native.items()]
    for (owner, mint), parts in tokens.items():
        for number, part in enumerate(parts):
            token_account = address(f"{owner}/{mint}/{number}")
            raw = {"tokenAmount": str(part), "decimals": DECIMALS[mint]}
            change = {"userAccount": owner, "tokenAccount": token_account, "mint": mint}
            account_data.append(
                {
                    "account": token_account,
                    "tokenBalanceChanges": [change | {"rawTokenAmount": raw}],
                }
            )
    return {"signature": SIGNATURE, "fee": fee, "feePayer": fee_payer, "accountData": account_data}


def wallet_swaps(tx: dict[str, Any]) -> list[helius.Swap]:
    swaps = helius.normalise(helius.EnhancedTransaction.model_validate(tx))
    return [swap for swap in swaps if swap.wallet == WALLET]


def test_stablecoin_quote_beats_sol_moving_the_same_way() -> None:
    tx = table_tx({WALLET: -2_000_000}, {(WALLET, USDC): [-5_000_000], (WALLET, MEME_A): [7]})
    [swap] = wallet_swaps(tx)
    assert (swap.side, swap.quote_mint, swap.quote_amount, swap.quote_decimals) == (
        "buy",
        USDC,
        5_000_000,
        6,
    )


def test_sol_wins_when_the_stablecoin_moves_the_same_way_as_the_token() -> None:
    tx = table_tx({WALLET: 9_000}, {(WALLET, USDC): [-5], (WALLET, MEME_A): [-7]})
    [swap] = wallet_swaps(tx)
    assert (swap.side, swap.quote_mint, swap.quote_amount) == ("sell", WSOL, 9_000)


def test_wsol_and_native_sol_add_up_and_token_accounts_sum() -> None:
    tx = table_tx(
        {WALLET: -1_000, OTHER: 0},
        {(WALLET, WSOL): [-500, 200], (WALLET, MEME_B): [30, 12]},
        fee=5_000,
        fee_payer=WALLET,
    )
    # native -1,000 includes the 5,000 fee: SOL moved = -1,000 + 5,000 - 300 = 3,700 (in).
    assert wallet_swaps(tx) == []  # SOL came in while the token came in too: no swap
    tx["accountData"][0]["nativeBalanceChange"] = -10_000
    [swap] = wallet_swaps(tx)
    assert (swap.side, swap.token_amount, swap.quote_amount) == ("buy", 42, 5_300)


@pytest.mark.parametrize(
    ("native", "tokens"),
    [
        ({WALLET: -5_000}, {}),  # SOL-only transfer
        ({WALLET: 0}, {(WALLET, MEME_A): [1_000]}),  # airdrop: nothing went out
        ({WALLET: -10}, {(WALLET, MEME_A): [-1_000]}),  # token sent away, SOL sent too
        ({WALLET: 0}, {(WALLET, USDC): [-5], (WALLET, USDT): [5]}),  # stable swap: no token
        ({WALLET: 0}, {(WALLET, MEME_A): [5], (WALLET, MEME_B): [5]}),  # two tokens in
        ({WALLET: -1}, {(WALLET, MEME_A): [-5], (WALLET, MEME_B): [5]}),  # a quote moved
        ({WALLET: 0}, {(WALLET, m): [d] for m, d in ((MEME_A, -5), (MEME_B, 5), (MEME_C, 1))}),
    ],
)
def test_no_swap_cases(native: dict[str, int], tokens: dict[tuple[str, str], list[int]]) -> None:
    assert wallet_swaps(table_tx(native, tokens)) == []


@pytest.mark.parametrize(
    ("native", "tokens"),
    [
        ({WALLET: -1_500_000_000}, {(WALLET, NFT): [1]}),  # an NFT minted or bought
        ({WALLET: 2_000_000_000}, {(WALLET, NFT): [-1]}),  # an NFT sold
        ({WALLET: -(10**9)}, {(WALLET, POSITION_NFT): [1]}),  # one-sided liquidity, a position
        ({WALLET: 10**9}, {(WALLET, POSITION_NFT): [-1]}),  # the position closed, SOL back
    ],
)
def test_an_account_that_moves_an_nft_did_not_swap(
    native: dict[str, int], tokens: dict[tuple[str, str], list[int]]
) -> None:
    assert wallet_swaps(table_tx(native, tokens)) == []


def test_a_token_without_decimals_bought_by_more_than_one_unit_is_a_swap() -> None:
    [swap] = wallet_swaps(table_tx({WALLET: -7_000}, {(WALLET, MEME_C): [11]}))
    assert (swap.side, swap.token_mint, swap.token_amount, swap.quote_amount) == (
        "buy",
        MEME_C,
        11,
        7_000,
    )


def test_meme_to_meme_gives_two_mirror_swaps() -> None:
    tx = table_tx({WALLET: -5_000}, {(WALLET, MEME_A): [-5], (WALLET, MEME_C): [11]}, 5_000, WALLET)
    swaps = {swap.token_mint: swap for swap in wallet_swaps(tx)}
    assert swaps[MEME_A] == helius.Swap(WALLET, "sell", MEME_A, 5, 6, MEME_C, 11, 0)
    assert swaps[MEME_C] == helius.Swap(WALLET, "buy", MEME_C, 11, 0, MEME_A, 5, 6)


def test_duplicate_account_entries_are_summed() -> None:
    tx = table_tx({WALLET: -400}, {(WALLET, MEME_A): [3]})
    tx["accountData"].append({"account": WALLET, "nativeBalanceChange": -600})
    [swap] = wallet_swaps(tx)
    assert swap.quote_amount == 1_000


# --- properties -----------------------------------------------------------------------------------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3)
    ),
    max_leaves=10,
)
FIELD_NAMES = st.sampled_from(
    ["signature", "fee", "feePayer", "slot", "timestamp", "source", "type", "transactionError"]
)


def maybe(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually a valid value, now and then anything at all."""
    return st.sampled_from(range(10)).flatmap(lambda n: valid if n else JSON_VALUES)


ADDRESSES = st.sampled_from([WALLET, OTHER, WSOL])
MINTS = st.sampled_from([WSOL, USDC, USDT, MEME_A, MEME_B])


def raw_amounts(mint: str) -> st.SearchStrategy[dict[str, Any]]:
    amount = maybe(st.integers(-(2**64), 2**64).map(str))
    return st.fixed_dictionaries(
        {"tokenAmount": amount, "decimals": maybe(st.just(DECIMALS[mint]))}
    )


TOKEN_CHANGES = MINTS.flatmap(
    lambda mint: st.fixed_dictionaries(
        {
            "userAccount": maybe(ADDRESSES),
            "mint": st.just(mint),
            "rawTokenAmount": raw_amounts(mint),
        },
        optional={"tokenAccount": maybe(ADDRESSES)},
    )
)
ACCOUNT_DATA = st.fixed_dictionaries(
    {"account": maybe(ADDRESSES)},
    optional={
        "nativeBalanceChange": maybe(st.integers(-(2**64), 2**64)),
        "tokenBalanceChanges": maybe(st.lists(TOKEN_CHANGES, max_size=3)),
    },
)
TRANSACTION_LIKE = st.fixed_dictionaries(
    {"signature": maybe(st.just(SIGNATURE))},
    optional={
        "fee": maybe(st.integers(0, 10**6)),
        "feePayer": maybe(ADDRESSES),
        "transactionError": st.one_of(st.none(), st.none(), JSON_VALUES),
        "accountData": maybe(st.lists(ACCOUNT_DATA, max_size=4)),
        "events": JSON_VALUES,
    },
)
ELEMENTS = st.one_of(JSON_VALUES, TRANSACTION_LIKE, st.dictionaries(FIELD_NAMES, JSON_VALUES))


@settings(max_examples=1_000, deadline=None)
@given(st.lists(ELEMENTS, max_size=4))
def test_any_json_elements_are_parsed_or_rejected_one_by_one(elements: list[Any]) -> None:
    delivery = helius.parse_delivery(json.dumps(elements).encode())
    assert len(delivery.transactions) + len(delivery.rejected) == len(elements)
    indices = [rejected.index for rejected in delivery.rejected]
    assert indices == sorted(set(indices))
    for rejected in delivery.rejected:
        assert 0 < len(rejected.error) < 300
        assert rejected.signature in (None, SIGNATURE)
    for payload in delivery.transactions:
        json.dumps(payload, allow_nan=False)
        for swap in payload["swaps"]:
            assert int(swap["token_amount"]) > 0
            assert int(swap["quote_amount"]) > 0


@settings(max_examples=1_000, deadline=None)
@given(st.binary(max_size=200) | JSON_VALUES.map(lambda v: json.dumps(v).encode()))
def test_any_body_is_parsed_or_refused_as_a_whole(body: bytes) -> None:
    try:
        delivery = helius.parse_delivery(body)
    except (helius.NotAnArray, helius.DeliveryTooLarge):
        return
    assert isinstance(delivery, helius.Delivery)


WALLETS = [address(f"wallet-{n}") for n in range(3)]
RELAYER = address("relayer")
TOKENS = [MEME_A, MEME_B, MEME_C]
QUOTES = [USDC, USDT, WSOL]  # in order of preference
DELTAS = st.integers(-(10**15), 10**15)


@st.composite
def balance_tables(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Counter[str]]]:
    """An enhanced transaction and, per wallet, the true SOL and token movements it encodes."""
    fee = draw(st.integers(0, 2 * 10**6))
    fee_payer = draw(st.sampled_from([*WALLETS, RELAYER]))
    truth: dict[str, Counter[str]] = {}
    native: dict[str, int] = {RELAYER: -fee} if fee_payer == RELAYER else {}
    tokens: dict[tuple[str, str], list[int]] = {}
    for wallet in WALLETS:
        moved = Counter(
            draw(st.dictionaries(st.sampled_from([WSOL, USDC, USDT, *TOKENS]), DELTAS, max_size=4))
        )
        in_wsol = draw(st.integers(-(10**12), 10**12)) if moved[WSOL] else 0
        native[wallet] = moved[WSOL] - in_wsol - (fee if wallet == fee_payer else 0)
        for mint, delta in moved.items():
            if mint != WSOL:
                split = draw(st.integers(-(10**15), 10**15))
                tokens[(wallet, mint)] = [split, delta - split]
        if in_wsol:
            tokens[(wallet, WSOL)] = [in_wsol]
        truth[wallet] = moved
    tx = table_tx(native, tokens, fee, fee_payer)
    tx["accountData"] = draw(st.permutations(tx["accountData"]))
    return tx, truth


@settings(max_examples=1_000, deadline=None)
@given(balance_tables())
def test_swaps_agree_with_the_true_movements(table: tuple[dict[str, Any], Any]) -> None:
    tx, truth = table
    swaps = helius.normalise(helius.EnhancedTransaction.model_validate(tx))
    assert swaps == sorted(swaps, key=lambda s: (s.wallet, s.token_mint))
    assert all(swap.wallet != RELAYER for swap in swaps)
    for wallet, moved in truth.items():
        mine = [swap for swap in swaps if swap.wallet == wallet]
        for swap in mine:
            token_delta, quote_delta = moved[swap.token_mint], moved[swap.quote_mint]
            assert swap.token_amount == abs(token_delta) > 0
            assert swap.quote_amount == abs(quote_delta) > 0
            assert (swap.side == "buy") == (token_delta > 0)
            assert token_delta * quote_delta < 0
            assert (swap.token_decimals, swap.quote_decimals) == (
                DECIMALS[swap.token_mint],
                DECIMALS[swap.quote_mint],
            )
        assert len(mine) == expected_swap_count(moved)
        if len(mine) == 1:
            preferred = [q for q in QUOTES if moved[q] * moved[mine[0].token_mint] < 0][0]
            assert mine[0].quote_mint == preferred
        if len(mine) == 2:
            sell, buy = sorted(mine, key=lambda s: s.side != "sell")
            assert (sell.token_mint, sell.quote_mint) == (buy.quote_mint, buy.token_mint)


def expected_swap_count(moved: Counter[str]) -> int:
    if any(DECIMALS[mint] == 0 and abs(moved[mint]) == 1 for mint in TOKENS):
        return 0  # one unit of a mint without decimals: an NFT, never a swap
    deltas = [moved[mint] for mint in TOKENS if moved[mint]]
    quotes = [moved[quote] for quote in QUOTES]
    if len(deltas) == 1:
        return int(any(quote * deltas[0] < 0 for quote in quotes))
    if len(deltas) == 2 and deltas[0] * deltas[1] < 0 and not any(quotes):
        return 2
    return 0


@settings(max_examples=200, deadline=None)
@given(
    balance_tables(),
    # NUL is rejected before anything else (test_text_with_nul_is_rejected_not_stored).
    JSON_VALUES.filter(lambda v: v is not None and "\\u0000" not in json.dumps(v)),
)
def test_failed_transactions_never_yield_swaps(
    table: tuple[dict[str, Any], Any], error: Any
) -> None:
    tx, _ = table
    payload = parse_one(tx | {"transactionError": error})
    assert payload["swaps"] == []
    assert isinstance(payload["tx_error"], str)
    assert len(payload["tx_error"]) <= helius.MAX_ERROR_TEXT


@pytest.mark.parametrize("field, value", [("timestamp", 9_224_318_016_000), ("slot", 2**63)])
def test_values_the_database_cannot_store_reject_the_transaction(field: str, value: int) -> None:
    tx = fixture_tx("jupiter_buy.json") | {field: value}
    delivery = helius.parse_delivery(json.dumps([tx]).encode())
    assert delivery.transactions == []
    assert delivery.rejected[0].error.startswith(field)
