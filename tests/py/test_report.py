"""The demo's HTML report: its figures match the database it read, and headless Chromium
renders its charts. The trades are made through the real SQL API in one transaction
that is rolled back, so the shared test database is left as it was."""

from __future__ import annotations

import html
import re
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, localcontext
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import psycopg
import pytest

from scripts.report import (
    CURVE_COLOUR,
    GAIN_COLOUR,
    LOSS_COLOUR,
    PLOT_LEFT,
    tick_label,
    write_report,
)
from scripts.stack_env import StackEnv

Db = psycopg.Connection[tuple[Any, ...]]

# Operator-typed labels reach the report: this one must come out escaped, never as markup.
ALPHA = '<b>Alpha & "friends"</b>'
BETA = "beta"
TWINS = ("report twin a", "report twin b")
LAMPORT = Decimal("1e-9")
CHARTS = ("equity-curve", "equity-by-wallet", "pnl-by-wallet", "exits-by-reason")
SECTIONS = (
    "equity",
    "equity-by-wallet",
    "wallet-pnl",
    "exits",
    "scoreboard",
    "positions",
    "orders",
    "chain-findings",
    "delivery-health",
    "alerts",
    "breaker",
    "consensus",
    "leader-pauses",
)
# A token the trading key holds and no position accounts for: an excess finding.
STRAY = ("Rprt" + "Stray").ljust(44, "1")


@dataclass(frozen=True)
class Book:
    """What the database held when the report was written, read by the test's own SQL."""

    closes: list[Decimal]  # realized PnL of every close, in close order
    close_wallets: list[int]  # the id of each close's wallet, in the same order
    wallet_pnl: list[tuple[str, Decimal]]  # realized PnL of the closes per wallet, by label
    exits: dict[str, Decimal]  # confirmed sell orders per reason
    scoreboard_rows: int
    breaker_events: int
    leader_events: int
    consensus_entries: int
    chain_findings: int


def mint(seed: str) -> str:
    return ("Rprt" + seed).ljust(44, "1")  # base58: no 0, O, I or l in the seeds


def new_wallet(db: Db, label: str) -> int:
    row = db.execute("select tests.new_wallet(%s)", (label,)).fetchone()
    assert row is not None
    db.execute(
        "update walltrack.wallets set position_size_sol = 1, exit_strategy_id = ("
        " select id from walltrack.exit_strategies where name = 'mirror only') where id = %s",
        (row[0],),
    )
    return int(row[0])


def leader_swap(db: Db, wallet_id: int, seed: str, side: str, sol: Decimal) -> str:
    """The leader swaps 1,000 tokens (6 decimals) for `sol` SOL; returns the decision."""
    row = db.execute(
        "select api.ingest_swaps(jsonb_build_array(tests.swap_tx("
        " %s::text, (select address from walltrack.wallets where id = %s), %s::text, %s::text,"
        " 1000000000, %s::numeric * 1e9, %s::integer))) #>> '{decisions,0,reason}'",
        (side + seed, wallet_id, side, mint(seed), sol, 0 if side == "buy" else 1),
    ).fetchone()
    assert row is not None
    return str(row[0])


def buy(db: Db, wallet_id: int, seed: str) -> None:
    db.execute("select tests.safe_token(%s)", (mint(seed),))
    assert leader_swap(db, wallet_id, seed, "buy", Decimal(1)) == "copied"


def mirrored_trade(db: Db, wallet_id: int, seed: str, pnl: str) -> None:
    """1 SOL in; the leader sells it all for 1 + pnl SOL and the sale is mirrored."""
    buy(db, wallet_id, seed)
    assert leader_swap(db, wallet_id, seed, "sell", 1 + Decimal(pnl)) == "mirror_sell"


def stopped_out_trade(db: Db, wallet_id: int, seed: str) -> None:
    """1 SOL in at 0.001 SOL a token; a tick at half that fires the -40% stop loss."""
    buy(db, wallet_id, seed)
    db.execute(
        "select api.apply_prices(jsonb_build_array(jsonb_build_object("
        " 'mint', %s::text, 'price_sol', 0.0005, 'observed_at', now() + interval '1 second')))",
        (mint(seed),),
    )
    closed_by = db.execute(
        "select status::text, close_reason::text from walltrack.positions"
        " where wallet_id = %s and token_mint = %s",
        (wallet_id, mint(seed)),
    ).fetchone()
    assert closed_by == ("closed", "stop_loss")


def make_book(db: Db) -> None:
    """Alpha: +0.5 and -0.2 mirrored, the loss pausing it (its own limit: one loss). Beta:
    -0.5 by the stop loss, +0.25 mirrored. And a manual breaker trip with an operator's note,
    then its reset."""
    db.execute(
        "update walltrack.config set sim_slippage_bps = 0, sim_fee_lamports = 0,"
        " max_open_positions = 1000000, max_total_exposure_sol = 1000000,"
        " breaker_max_daily_loss_sol = 1000000, breaker_max_drawdown_pct = 100,"
        " breaker_max_consecutive_losses = 1000000, breaker_min_win_rate_pct = 0"
    )
    alpha, beta = new_wallet(db, ALPHA), new_wallet(db, BETA)
    mirrored_trade(db, alpha, "A1", "0.5")
    db.execute(
        "update walltrack.wallets set pause_max_consecutive_losses = 1 where id = %s", (alpha,)
    )
    mirrored_trade(db, alpha, "A2", "-0.2")
    stopped_out_trade(db, beta, "B1")
    mirrored_trade(db, beta, "B2", "0.25")
    # Two twins copied only when both buy: the second one's buy is a consensus entry.
    db.execute(
        "insert into walltrack.exit_strategies (name, description, consensus_min_leaders)"
        " values ('report twins', 'both must buy', 2)"
    )
    twins = [new_wallet(db, label) for label in TWINS]
    db.execute(
        "update walltrack.wallets set exit_strategy_id = ("
        " select id from walltrack.exit_strategies where name = 'report twins')"
        " where id = any(%s)",
        (twins,),
    )
    db.execute("select tests.safe_token(%s)", (mint("T1"),))
    assert leader_swap(db, twins[0], "T1", "buy", Decimal(1)) == "awaiting_consensus"
    assert leader_swap(db, twins[1], "T1", "buy", Decimal(1)) == "copied"
    db.execute(
        "insert into walltrack.circuit_breaker_events (event_type, trigger, actor, note)"
        " values ('activated', 'manual', 'report-test', '<script>alert(1)</script>')"
    )
    db.execute("select api.reset_circuit_breaker('report-test', 'drill over')")
    db.execute(
        "select api.reconcile_wallet('RprtKeyhaver1111111111111111111111111111111',"
        " jsonb_build_array(jsonb_build_object('mint', %s::text, 'amount', '7', 'decimals', 6)),"
        " 1000000000, now())",
        (STRAY,),
    )
    db.execute("select api.refresh_performance()")


def read_book(db: Db) -> Book:
    def scalar(sql: str) -> int:
        row = db.execute(sql).fetchone()
        assert row is not None
        return int(row[0])

    closes = db.execute(
        "select p.realized_pnl_sol, p.wallet_id from walltrack.positions as p"
        " where p.status = 'closed' order by p.closed_at, p.id"
    ).fetchall()
    wallet_pnl = db.execute(
        "select w.label, sum(p.realized_pnl_sol) from walltrack.wallets as w"
        " join walltrack.positions as p on p.wallet_id = w.id where p.status = 'closed'"
        " group by w.id order by w.label, w.id"
    ).fetchall()
    exits = db.execute(
        "select reason::text, count(*) from walltrack.orders"
        " where side = 'sell' and status = 'confirmed' group by reason"
    ).fetchall()
    return Book(
        closes=[pnl for pnl, _ in closes],
        close_wallets=[wallet for _, wallet in closes],
        wallet_pnl=[(label, pnl.quantize(LAMPORT)) for label, pnl in wallet_pnl],
        exits={reason: Decimal(count) for reason, count in exits},
        scoreboard_rows=scalar(
            "select count(*) from walltrack.scoreboard where time_window = 'all'"
        ),
        breaker_events=scalar("select count(*) from walltrack.circuit_breaker_events"),
        leader_events=scalar("select count(*) from walltrack.leader_pause_events"),
        consensus_entries=scalar(
            "select count(*) from walltrack.signals"
            " where decision = 'copied' and (consensus ->> 'formed')::boolean"
        ),
        chain_findings=scalar("select count(*) from walltrack.chain_finding_list"),
    )


@pytest.fixture(scope="module")
def report(
    stack: StackEnv, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Book]]:
    with psycopg.connect(stack.database_url) as db:
        try:
            make_book(db)
            path = write_report(db, tmp_path_factory.mktemp("report") / "report.html")
            book = read_book(db)
        finally:
            db.rollback()
    yield path, book


class Tags(HTMLParser):
    """Every start tag of a document with its attributes and the id of its section."""

    def __init__(self, document: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, str, dict[str, str]]] = []
        self.section = ""
        self.feed(document)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "section":
            self.section = values.get("id", "")
        self.tags.append((self.section, tag, values))

    def marks(self, chart: str) -> list[dict[str, str]]:
        """The points or bars of a chart, in document order."""
        return [values for _, _, values in self.tags if values.get("data-chart") == chart]

    def bars(self, chart: str) -> list[tuple[str, Decimal]]:
        return [(bar["data-label"], Decimal(bar["data-value"])) for bar in self.marks(chart)]

    def count(self, section: str, tag: str) -> int:
        return sum(1 for s, t, _ in self.tags if s == section and t == tag)


def assert_charts_match(tags: Tags, book: Book) -> None:
    """The three charts carry the database's numbers, as data attributes."""
    points = tags.marks("equity-curve")
    assert [Decimal(p["data-pnl"]) for p in points] == [
        pnl.quantize(LAMPORT) for pnl in book.closes
    ]
    with localcontext(prec=100):  # sums as exact as the database's numeric
        running = Decimal(0)
        for point, pnl in zip(points, book.closes, strict=True):
            running += pnl
            assert Decimal(point["data-value"]) == running.quantize(LAMPORT)
        total = sum(book.closes, Decimal(0)).quantize(LAMPORT)
    assert Decimal(points[-1]["data-value"]) == total

    # Each wallet's own curve (drawn one wallet after another, in the order wallets first
    # close): its closes summed in close order, one point per close.
    curves: dict[int, list[Decimal]] = {}
    with localcontext(prec=100):
        for pnl, wallet in zip(book.closes, book.close_wallets, strict=True):
            curve = curves.setdefault(wallet, [])
            curve.append((curve[-1] if curve else Decimal(0)) + pnl)
    drawn = [
        (int(p["data-wallet-id"]), Decimal(p["data-value"])) for p in tags.marks("equity-by-wallet")
    ]
    assert drawn == [
        (wallet, value.quantize(LAMPORT)) for wallet, curve in curves.items() for value in curve
    ]

    assert tags.bars("pnl-by-wallet") == book.wallet_pnl
    assert sorted(tags.bars("exits-by-reason")) == sorted(book.exits.items())
    svgs = {values.get("id"): values for _, tag, values in tags.tags if tag == "svg"}
    assert int(svgs["equity-curve"]["data-count"]) == len(book.closes)
    assert int(svgs["equity-by-wallet"]["data-count"]) == len(book.closes)
    assert int(svgs["pnl-by-wallet"]["data-count"]) == len(book.wallet_pnl)
    assert int(svgs["exits-by-reason"]["data-count"]) == len(book.exits)


def test_the_charts_carry_the_database_figures(report: tuple[Path, Book]) -> None:
    path, book = report
    # The fixture's own trades are in: 4 closes, one of them by the stop loss.
    assert len(book.closes) >= 4
    assert book.exits["stop_loss"] >= 1 and book.exits["mirror_sell"] >= 3
    assert (ALPHA, Decimal("0.3")) in book.wallet_pnl and (
        BETA,
        Decimal("-0.25"),
    ) in book.wallet_pnl
    assert_charts_match(Tags(path.read_text()), book)


def test_the_tables_and_their_sources(report: tuple[Path, Book]) -> None:
    path, book = report
    document = path.read_text()
    tags = Tags(document)
    assert tags.count("scoreboard", "tr") == 1 + book.scoreboard_rows  # header + one per wallet
    assert tags.count("breaker", "tr") == 1 + book.breaker_events
    assert book.leader_events >= 1, "alpha's loss paused it"
    assert tags.count("leader-pauses", "tr") == 1 + min(book.leader_events, 500)
    scoreboard = re.search(r'<section id="scoreboard">(.*?)</section>', document, re.S)
    assert scoreboard, "the scoreboard section"
    for shown in ("sizing", "paused by", "consensus entries", "consecutive_losses"):
        assert shown in scoreboard.group(1), shown  # alpha is paused, by its losing streak
    assert book.consensus_entries >= 1, "the twins' entry"
    assert tags.count("consensus", "tr") == 1 + min(book.consensus_entries, 500)
    assert book.chain_findings >= 1 and tags.count("chain-findings", "tr") == 1 + min(
        book.chain_findings, 500
    )
    findings = re.search(r'<section id="chain-findings">(.*?)</section>', document, re.S)
    assert findings and STRAY in findings[1] and "excess" in findings[1]
    assert "open chain findings" in document
    for section in SECTIONS:
        found = re.search(rf'<section id="{section}">(.*?)</section>', document, re.S)
        assert found, f"section {section} is missing"
        assert re.search(r"<code>[^<]*walltrack\.", found[1]), f"{section} names no source"
        assert re.search(r"<details>.*<pre>[^<]*\bfrom walltrack\.", found[1], re.S)


def test_operator_text_is_escaped_and_nothing_is_fetched(report: tuple[Path, Book]) -> None:
    document = report[0].read_text()
    assert ALPHA not in document and html.escape(ALPHA) in document
    assert "<script" not in document and "&lt;script&gt;" in document
    assert not re.search(r"""(src|href)=|@import|url\(""", document), "the report is offline"


def chromium(profile: Path, *arguments: str) -> str:
    binary = shutil.which("chromium")
    assert binary, "chromium is missing: scripts/setup.sh installs it (apt package chromium)"
    headless = [binary, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}"]
    # The timeout only keeps a wedged browser from hanging the suite.
    done = subprocess.run(
        [*headless, *arguments], capture_output=True, text=True, check=True, timeout=300
    )
    return done.stdout


def png_colours(png: bytes) -> tuple[int, int, set[str]]:
    """Width, height and the distinct colours (#rrggbb) of an 8-bit RGB or RGBA PNG,
    decoded with the standard library: zlib, then each row's filter undone."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    offset, compressed = 8, b""
    while offset < len(png):
        length, kind = struct.unpack(">I4s", png[offset : offset + 8])
        body = png[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour_type = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            compressed += body
        offset += 12 + length
    assert depth == 8 and colour_type in (2, 6)
    pixel = 3 if colour_type == 2 else 4
    raw, stride = zlib.decompress(compressed), width * pixel
    colours: set[str] = set()
    previous = bytes(stride)
    for start in range(0, height * (stride + 1), stride + 1):
        line = bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - pixel] if i >= pixel else 0
            up_left = previous[i - pixel] if i >= pixel else 0
            line[i] = (line[i] + predict(raw[start], left, previous[i], up_left)) & 0xFF
        colours.update("#" + line[i : i + 3].hex() for i in range(0, stride, pixel))
        previous = bytes(line)
    return width, height, colours


def predict(kind: int, left: int, up: int, up_left: int) -> int:
    """The PNG filter predictors: none, sub, up, average, Paeth."""
    if kind == 0:
        return 0
    if kind == 1:
        return left
    if kind == 2:
        return up
    if kind == 3:
        return (left + up) // 2
    guess = left + up - up_left
    nearest = min((abs(guess - left), 0), (abs(guess - up), 1), (abs(guess - up_left), 2))
    return (left, up, up_left)[nearest[1]]


def test_axis_labels_fit_left_of_the_plot() -> None:
    """Long SOL figures were clipped on the left: a label now fits in the room there."""
    for value in ("-0.099039951", "0.123456789", "-1234.567891234", "1234567890.5", "0"):
        label = tick_label(Decimal(value))
        assert len(label) * 7 <= PLOT_LEFT - 10, label
    assert tick_label(Decimal("-0.099039951")) == "-0.099"
    assert tick_label(Decimal("1234567890.5")) == "1.23e+09"


def test_chromium_renders_the_charts(report: tuple[Path, Book], tmp_path: Path) -> None:
    path, book = report
    dom = chromium(tmp_path / "profile", "--dump-dom", path.as_uri())
    tags = Tags(dom)
    rendered = [values.get("id") for _, tag, values in tags.tags if tag == "svg"]
    assert rendered == list(CHARTS)
    assert_charts_match(tags, book)


def test_the_screenshot_is_not_blank(report: tuple[Path, Book], tmp_path: Path) -> None:
    screenshot = tmp_path / "report.png"
    chromium(
        tmp_path / "profile",
        f"--screenshot={screenshot}",
        "--window-size=1200,2000",
        "--hide-scrollbars",
        report[0].as_uri(),
    )
    width, height, colours = png_colours(screenshot.read_bytes())
    assert (width, height) == (1200, 2000)
    assert len(colours) > 10, "one flat colour: nothing was drawn"
    # The curve and the bars of both signs were painted, not only present in the DOM.
    assert {CURVE_COLOUR, GAIN_COLOUR, LOSS_COLOUR} <= colours
