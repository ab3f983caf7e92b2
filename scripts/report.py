"""The demo's report: one self-contained HTML file (inline CSS and SVG, nothing fetched) with
the realized equity curve (the book's, and each wallet's), the realized PnL per wallet, the
exits by reason, the tables behind them, the chain reconciliation's open findings, the
delivery health and the alerts sent. Every section names the table or
view it reads and shows its SQL, so each figure can be checked against the database.

    python -m scripts.report --out reports/report.html
"""

from __future__ import annotations

import argparse
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Context, Decimal
from pathlib import Path
from textwrap import dedent
from typing import Any

import psycopg
from psycopg.rows import dict_row

from scripts.stack_env import REPO_ROOT, load_stack_env

Row = dict[str, Any]

# Amounts are shown to the lamport; the wide context keeps large atomic amounts exact.
LAMPORT = Decimal("1e-9")
WIDE = Context(prec=100)

# The charts' canvas (SVG user units) and the plot area inside it.
WIDTH, HEIGHT = 900, 290
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 80, 880, 28, 230
# An axis label's room: about 7 units a character, left of the plot.
TICK_CHARS = (PLOT_LEFT - 10) // 7
# The marks' colours, named so a test can look for them in a screenshot.
CURVE_COLOUR, GAIN_COLOUR, LOSS_COLOUR = "#1565c0", "#2e7d32", "#c62828"
# One per wallet on the per-wallet curves, in the order wallets first close.
WALLET_COLOURS = ("#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#558b2f", "#4e342e")


@dataclass(frozen=True)
class Query:
    """Where a section's figures come from, printed next to them."""

    source: str
    sql: str


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    query: Query
    render: Callable[[list[Row]], str]


TOTALS = Query(
    "walltrack.overview(), walltrack.breaker_state() and walltrack.pnl_totals",
    """
    select
      walltrack.overview() as counts,
      (walltrack.breaker_state() ->> 'active')::boolean as breaker_active,
      t.closed_realized_pnl_sol as realized_pnl_sol,
      t.open_unrealized_pnl_sol as unrealized_pnl_sol
    from walltrack.pnl_totals as t
    """,
)

EQUITY_CURVE = Query(
    "walltrack.equity_curve (closes, in close order)",
    """
    select position_id, wallet_label as label, closed_at, realized_pnl_sol, equity_sol
    from walltrack.equity_curve
    order by closed_at, position_id
    """,
)

EQUITY_BY_WALLET = Query(
    "walltrack.equity_curve, summed per wallet (closes, in close order)",
    """
    select
      position_id, wallet_id, wallet_label as label, realized_pnl_sol,
      sum(realized_pnl_sol) over (partition by wallet_id order by closed_at, position_id)
        as wallet_equity_sol
    from walltrack.equity_curve
    order by closed_at, position_id
    """,
)

PNL_BY_WALLET = Query(
    "walltrack.wallet_realized_pnl",
    """
    select label, realized_pnl_sol
    from walltrack.wallet_realized_pnl
    order by label, wallet_id
    """,
)

EXITS_BY_REASON = Query(
    "walltrack.orders_by_reason (confirmed sells)",
    """
    select reason::text as reason, confirmed as orders
    from walltrack.orders_by_reason
    where side = 'sell' and confirmed > 0
    order by orders desc, reason
    """,
)

SCOREBOARD = Query(
    "walltrack.scoreboard (window 'all'), i.e. walltrack.performance as of its last refresh",
    """
    select
      label, status, mode, trades,
      win_rate_pct as "win rate %", baseline_win_rate_pct as "baseline win rate %",
      realized_pnl_sol as "realized SOL", baseline_pnl_sol as "baseline PnL SOL",
      avg_return_pct as "avg return %", profit_factor as "profit factor",
      expectancy_sol as "expectancy SOL", max_drawdown_sol as "max drawdown SOL",
      max_consecutive_losses as "max losing run", copy_decay_pct as "copy decay (points)",
      leader_trades_compared as "trades compared", open_exposure_sol as "open exposure SOL",
      unrealized_pnl_sol as "unrealized SOL", open_chain_findings as "open chain findings",
      sizing, paused_by as "paused by", consensus_entries as "consensus entries",
      refreshed_at as refreshed
    from walltrack.scoreboard
    where time_window = 'all'
    """,
)

POSITIONS = Query(
    "walltrack.position_list",
    """
    select
      wallet_label as label, coalesce(token_symbol, '') as token, token_mint as mint, status,
      close_reason as "close reason", cost_basis_sol as "cost SOL",
      realized_pnl_sol as "realized SOL", unrealized_pnl_sol as "unrealized SOL",
      opened_at as opened, closed_at as closed
    from walltrack.position_list
    order by opened_at desc, id desc
    limit 500
    """,
)

ORDERS = Query(
    "walltrack.order_list",
    """
    select
      created_at as created, wallet_label as label, side, reason,
      take_profit_level as "take-profit level", status, mode,
      amount_in as "amount in (atomic)", filled_in as "filled in (atomic)",
      filled_out as "filled out (atomic)", fill_price_sol as "fill price SOL",
      attempts, last_error as "last error"
    from walltrack.order_list
    order by created_at desc, id desc
    limit 500
    """,
)

CHAIN_FINDINGS = Query(
    "walltrack.chain_finding_list (not resolved yet)",
    """
    select
      id as finding, coalesce(token_symbol, '') as token, token_mint as mint, kind, state,
      blocks_live_buys as "blocks live buys", db_amount as "database (atomic)",
      chain_amount as "chain (atomic)", difference as "difference (atomic)",
      sol_balance_sol as "SOL balance", coalesce(wallet_labels, '') as "held for",
      first_seen_at as "first seen", last_seen_at as "last seen", times_seen as runs
    from walltrack.chain_finding_list
    order by id desc
    limit 500
    """,
)

DELIVERY_HEALTH = Query(
    "walltrack.delivery_health",
    """
    select
      label, status, last_delivery_at as "last delivery", last_backfill_at as "last backfill",
      swaps_by_webhook as "by webhook", swaps_by_backfill as "by backfill only",
      backfill_share_pct as "backfill %", webhook_silent_for as "webhook silent for",
      missed_since_last_delivery as "missed since last delivery", flagged
    from walltrack.delivery_health
    order by wallet_id
    limit 500
    """,
)

ALERTS = Query(
    "walltrack.alert_list (newest first)",
    """
    select created_at as raised, kind, message, telegram, discord
    from walltrack.alert_list
    order by id desc
    limit 200
    """,
)

BREAKER_EVENTS = Query(
    "walltrack.breaker_event_log",
    """
    select
      created_at as "at", event_type as event, trigger, threshold, observed, actor, note
    from walltrack.breaker_event_log
    order by created_at desc, id desc
    limit 500
    """,
)

LEADER_PAUSES = Query(
    "walltrack.leader_pause_log",
    """
    select
      created_at as "at", wallet_label as leader, event_type as event, trigger, threshold,
      observed, actor, note
    from walltrack.leader_pause_log
    order by created_at desc, id desc
    limit 500
    """,
)

CONSENSUS_ENTRIES = Query(
    "walltrack.signal_list, walltrack.position_list (signals.consensus)",
    """
    select
      l.decided_at as "at", l.token_symbol as token, s.consensus ->> 'strategy' as strategy,
      (
        select string_agg(w.label, ' + ' order by w.label)
        from jsonb_array_elements(s.consensus -> 'leaders') as c
        inner join walltrack.wallets as w on w.id = (c.value ->> 'wallet_id')::bigint
      ) as leaders,
      s.consensus ->> 'exit' as "exit rule", p.status, p.realized_pnl_sol as "realized SOL"
    from walltrack.signal_list as l
    inner join walltrack.signals as s on s.id = l.id
    left join walltrack.position_list as p on p.id = s.position_id
    where l.decision = 'copied' and (s.consensus ->> 'formed')::boolean
    order by l.decided_at desc, l.id desc
    limit 500
    """,
)


def fetch(connection: psycopg.Connection[Any], query: Query) -> list[Row]:
    # A cursor of its own: rows by column name whatever the caller's row factory.
    with connection.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(query.sql).fetchall()


def format_decimal(value: Decimal) -> str:
    """Exact to the lamport, without float: 0.5000000000001 -> 0.5, 1E+9 -> 1000000000."""
    return format(value.quantize(LAMPORT, context=WIDE).normalize(WIDE), "f")


def format_value(value: object) -> str:
    """Any database value as plain text (not yet escaped)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def text(value: object) -> str:
    """A database value escaped for HTML: labels and notes are typed by operators."""
    return html.escape(format_value(value))


def cell(value: object) -> str:
    classes = []
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        classes.append("num")
        if value < 0:
            classes.append("neg")
    class_attribute = f' class="{" ".join(classes)}"' if classes else ""
    return f"<td{class_attribute}>{text(value)}</td>"


def html_table(rows: list[Row]) -> str:
    if not rows:
        return '<p class="empty">No rows yet.</p>'
    header = "".join(f"<th>{html.escape(column)}</th>" for column in rows[0])
    body = "".join("<tr>" + "".join(cell(v) for v in row.values()) + "</tr>" for row in rows)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def value_range(values: Sequence[Decimal]) -> tuple[Decimal, Decimal]:
    """The values' span widened to 0, so bars and the curve start from the axis."""
    low, high = min([Decimal(0), *values]), max([Decimal(0), *values])
    return (low, high) if low < high else (low, low + 1)


def y_pixel(value: Decimal, low: Decimal, high: Decimal) -> float:
    # Float only here: a pixel position, not an amount.
    return PLOT_TOP + float((high - value) / (high - low)) * (PLOT_BOTTOM - PLOT_TOP)


def tick_label(value: Decimal) -> str:
    """An axis label short enough for the room left of the plot (the exact figures are on
    the marks): 4 decimals, and 3 significant digits past 10 characters."""
    label = format(value.quantize(Decimal("0.0001"), context=WIDE).normalize(WIDE), "f")
    # Float only for a label's digits: the marks keep the exact amounts.
    return label if len(label) <= TICK_CHARS else f"{float(value):.3g}"


def svg_chart(chart_id: str, count: int, low: Decimal, high: Decimal, unit: str, body: str) -> str:
    """The canvas with its value axis (top, zero, bottom labelled) around the marks."""
    zero = y_pixel(Decimal(0), low, high)
    ticks = "".join(
        f'<text class="tick" x="{PLOT_LEFT - 6}" y="{y_pixel(v, low, high) + 4:.1f}">'
        f"{html.escape(tick_label(v))}</text>"
        for v in sorted({low, Decimal(0), high})
    )
    return (
        f'<svg id="{chart_id}" class="chart" data-count="{count}" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' xmlns="http://www.w3.org/2000/svg" role="img">'
        f'<text class="unit" x="4" y="12">{html.escape(unit)}</text>{ticks}'
        f'<line class="axis" x1="{PLOT_LEFT}" x2="{PLOT_RIGHT}" y1="{zero:.1f}" y2="{zero:.1f}"/>'
        f"{body}</svg>"
    )


def equity_curve_svg(closes: list[Row]) -> str:
    """One point per close, in close order; the line starts from 0 before the first."""
    equities = [row["equity_sol"] for row in closes]
    low, high = value_range(equities)
    step = (PLOT_RIGHT - PLOT_LEFT) / max(len(closes), 1)
    points = [(PLOT_LEFT + step * (i + 1), y_pixel(e, low, high)) for i, e in enumerate(equities)]
    line = [(PLOT_LEFT, y_pixel(Decimal(0), low, high)), *points]
    polyline = " ".join(f"{x:.1f},{y:.1f}" for x, y in line)
    marks = "".join(
        f'<circle class="point" data-chart="equity-curve" data-position="{row["position_id"]}"'
        f' data-pnl="{text(row["realized_pnl_sol"])}" data-value="{text(row["equity_sol"])}"'
        f' cx="{x:.1f}" cy="{y:.1f}" r="3"><title>close {i + 1}: {text(row["label"])}'
        f" {text(row['realized_pnl_sol'])} SOL, equity {text(row['equity_sol'])} SOL</title>"
        "</circle>"
        for i, (row, (x, y)) in enumerate(zip(closes, points, strict=True))
    )
    caption = (
        f'<text class="label" x="{(PLOT_LEFT + PLOT_RIGHT) / 2}" y="{PLOT_BOTTOM + 40}">'
        f"{len(closes)} closes, in close order</text>"
    )
    body = f'<polyline class="curve" points="{polyline}"/>{marks}{caption}'
    return svg_chart("equity-curve", len(closes), low, high, "cumulative realized PnL, SOL", body)


def equity_by_wallet_svg(closes: list[Row]) -> str:
    """Each wallet's own realized equity, from 0, against the book's close order (a shared
    x axis), one colour per wallet, its name in the legend."""
    low, high = value_range([row["wallet_equity_sol"] for row in closes])
    step = (PLOT_RIGHT - PLOT_LEFT) / max(len(closes), 1)
    zero = y_pixel(Decimal(0), low, high)
    curves: dict[object, list[tuple[Row, float, float]]] = {}
    for i, row in enumerate(closes):
        x, y = PLOT_LEFT + step * (i + 1), y_pixel(row["wallet_equity_sol"], low, high)
        curves.setdefault(row["wallet_id"], []).append((row, x, y))
    marks, legend = [], []
    slot = (PLOT_RIGHT - PLOT_LEFT) / max(len(curves), 1)
    for n, points in enumerate(curves.values()):
        colour, label = WALLET_COLOURS[n % len(WALLET_COLOURS)], format_value(points[0][0]["label"])
        line = " ".join(
            f"{x:.1f},{y:.1f}" for x, y in [(PLOT_LEFT, zero)] + [p[1:] for p in points]
        )
        marks.append(f'<polyline class="wallet-curve" stroke="{colour}" points="{line}"/>')
        marks.extend(
            f'<circle data-chart="equity-by-wallet" data-wallet="{html.escape(label)}"'
            f' data-wallet-id="{row["wallet_id"]}"'
            f' data-position="{row["position_id"]}" data-value="{text(row["wallet_equity_sol"])}"'
            f' fill="{colour}" cx="{x:.1f}" cy="{y:.1f}" r="3"><title>{html.escape(label)}:'
            f" {text(row['wallet_equity_sol'])} SOL</title></circle>"
            for row, x, y in points
        )
        legend.append(
            # style, not fill: the stylesheet's colour for svg text would win over an attribute.
            f'<text class="legend" style="fill: {colour}" x="{PLOT_LEFT + slot * n:.1f}"'
            f' y="{PLOT_BOTTOM + 40}">\u25a0 {html.escape(fit(label, slot - 24))}</text>'
        )
    body = "".join(marks) + "".join(legend)
    return svg_chart(
        "equity-by-wallet", len(closes), low, high, "realized PnL per wallet, SOL", body
    )


def fit(label: str, width: float) -> str:
    """The label cut to what fits under its bar (about 7 units a character); the bar's
    title keeps it whole."""
    room = max(int(width // 7), 2)
    return label if len(label) <= room else label[: room - 1] + "\u2026"


def bar_chart_svg(chart_id: str, bars: Sequence[tuple[str, Decimal]], unit: str) -> str:
    """One bar per label, up from the zero axis for a positive value, down for a negative,
    with its value at its end and its label under the plot."""
    low, high = value_range([value for _, value in bars])
    zero = y_pixel(Decimal(0), low, high)
    slot = (PLOT_RIGHT - PLOT_LEFT) / max(len(bars), 1)
    marks = []
    for i, (label, value) in enumerate(bars):
        end, middle = y_pixel(value, low, high), PLOT_LEFT + slot * (i + 0.5)
        sign = "negative" if value < 0 else "positive"
        value_y = end + 14 if value < 0 else end - 4
        marks.append(
            f'<rect class="bar {sign}" data-chart="{chart_id}" data-label="{html.escape(label)}"'
            f' data-value="{text(value)}" x="{middle - slot * 0.35:.1f}" y="{min(end, zero):.1f}"'
            f' width="{slot * 0.7:.1f}" height="{abs(end - zero):.1f}">'
            f"<title>{html.escape(label)}: {text(value)} {html.escape(unit)}</title></rect>"
            f'<text class="value" x="{middle:.1f}" y="{value_y:.1f}">{text(value)}</text>'
            f'<text class="label" x="{middle:.1f}" y="{PLOT_BOTTOM + 40}">'
            f"{html.escape(fit(label, slot))}</text>"
        )
    return svg_chart(chart_id, len(bars), low, high, unit, "".join(marks))


def pnl_by_wallet_svg(rows: list[Row]) -> str:
    bars = [(format_value(row["label"]), row["realized_pnl_sol"]) for row in rows]
    return bar_chart_svg("pnl-by-wallet", bars, "realized PnL, SOL")


def exits_by_reason_svg(rows: list[Row]) -> str:
    bars = [(format_value(row["reason"]), Decimal(row["orders"])) for row in rows]
    return bar_chart_svg("exits-by-reason", bars, "confirmed sell orders")


SECTIONS = (
    Section("equity", "Realized equity curve", EQUITY_CURVE, equity_curve_svg),
    Section(
        "equity-by-wallet", "Realized equity per wallet", EQUITY_BY_WALLET, equity_by_wallet_svg
    ),
    Section("wallet-pnl", "Realized PnL per wallet", PNL_BY_WALLET, pnl_by_wallet_svg),
    Section("exits", "Exits by reason", EXITS_BY_REASON, exits_by_reason_svg),
    Section("scoreboard", "Scoreboard", SCOREBOARD, html_table),
    Section("positions", "Positions (latest opened first, at most 500)", POSITIONS, html_table),
    Section("orders", "Orders (most recent first, at most 500)", ORDERS, html_table),
    Section(
        "chain-findings",
        "Chain reconciliation: open findings (resolve with api.resolve_chain_finding)",
        CHAIN_FINDINGS,
        html_table,
    ),
    Section(
        "delivery-health",
        "Delivery health: what the webhook delivered, what only backfill found",
        DELIVERY_HEALTH,
        html_table,
    ),
    Section("alerts", "Alerts sent to the operator (newest first)", ALERTS, html_table),
    Section("breaker", "Circuit breaker events", BREAKER_EVENTS, html_table),
    Section(
        "consensus",
        "Consensus entries: copies formed by several leaders of a group",
        CONSENSUS_ENTRIES,
        html_table,
    ),
    Section(
        "leader-pauses",
        "Leaders paused by their own protections, and resumed (api.resume_leader)",
        LEADER_PAUSES,
        html_table,
    ),
)


def sql_details(query: Query) -> str:
    """The exact SQL behind a figure, folded: anyone can re-run it in Studio."""
    return (
        f"<details><summary>SQL ({html.escape(query.source)})</summary>"
        f"<pre>{html.escape(dedent(query.sql).strip())}</pre></details>"
    )


def section_html(connection: psycopg.Connection[Any], section: Section) -> str:
    body = section.render(fetch(connection, section.query))
    return (
        f'<section id="{section.key}"><h2>{html.escape(section.title)}</h2>'
        f'<p class="source">From <code>{html.escape(section.query.source)}</code></p>{body}'
        f"{sql_details(section.query)}</section>"
    )


def totals_html(connection: psycopg.Connection[Any], generated_at: datetime) -> str:
    (totals,) = fetch(connection, TOTALS)
    figures = {
        **totals["counts"],
        "breaker_active": totals["breaker_active"],
        "realized_pnl_sol (closed)": totals["realized_pnl_sol"],
        "unrealized_pnl_sol (open)": totals["unrealized_pnl_sol"],
    }
    rows = "".join(f"<tr><th>{html.escape(k)}</th>{cell(v)}</tr>" for k, v in figures.items())
    return (
        f"<header><h1>WallTrack report</h1><p>Generated {text(generated_at)}</p>"
        f'<table id="totals">{rows}</table>{sql_details(TOTALS)}</header>'
    )


STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 13px; margin: .5em 0; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; }
td { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.neg { color: #b00020; }
.source { color: #555; }
pre { background: #f4f4f4; padding: .5em; }
svg.chart { width: 100%; max-width: 900px; background: #fafafa; border: 1px solid #ddd; }
svg .axis { stroke: #555; }
svg text { font-size: 12px; fill: #333; }
svg .tick { text-anchor: end; }
svg .label, svg .value { text-anchor: middle; }
svg .wallet-curve { fill: none; stroke-width: 2; }
""" + (
    f"svg .curve {{ fill: none; stroke: {CURVE_COLOUR}; stroke-width: 2; }}\n"
    f"svg .point {{ fill: {CURVE_COLOUR}; }}\n"
    f"svg .bar.positive {{ fill: {GAIN_COLOUR}; }}\n"
    f"svg .bar.negative {{ fill: {LOSS_COLOUR}; }}\n"
)


def render_report(connection: psycopg.Connection[Any], generated_at: datetime) -> str:
    sections = "".join(section_html(connection, section) for section in SECTIONS)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>WallTrack report</title><style>{STYLE}</style></head>"
        f"<body>{totals_html(connection, generated_at)}{sections}</body></html>\n"
    )


def write_report(connection: psycopg.Connection[Any], path: Path) -> Path:
    """Reads only, so it can run inside the caller's open transaction."""
    report = render_report(connection, datetime.now(UTC))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report, encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write WallTrack's HTML report.")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "reports" / "report.html")
    arguments = parser.parse_args(argv)
    with psycopg.connect(load_stack_env().database_url) as connection:
        # Read only: a report never changes the book. One snapshot: the figures of every
        # section agree (the curve's end is the sum of the bars).
        connection.read_only = True
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        path = write_report(connection, arguments.out)
    print(f"report: wrote {path.resolve()}")


if __name__ == "__main__":
    main()
