"""What an operator can do to WallTrack in Studio, as data: the columns of every walltrack
table (read from the catalog, so a new column is fuzzed without touching the fuzzer), the
hostile values tried on each, and the rule that tells a WallTrack refusal from a raw
Postgres error. Used by tests/py/test_operator_edits.py."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import tuple_row

from simulator.helius_tx import new_mint, new_signature

# A refusal carries a WallTrack message when both hold:
#  1. its SQLSTATE is an integrity or raise class: check_violation, restrict_violation,
#     foreign_key_violation, not_null_violation, unique_violation or raise_exception;
#  2. it was raised by a RAISE in a walltrack.* PL/pgSQL function (the first line of the
#     error's CONTEXT), so its text is WallTrack's own: walltrack.ensure (every CHECK and
#     domain rule, always with a HINT) or a guard trigger.
# Postgres's own texts ("violates foreign key constraint", "duplicate key value", "null value
# in column", "invalid input syntax", "integer out of range", "cannot truncate a table
# referenced in a foreign key constraint") have no such CONTEXT, and a type error raised
# inside a WallTrack function has another SQLSTATE: both fail the rule.
WALLTRACK_SQLSTATES = frozenset({"23514", "23001", "23503", "23502", "23505", "P0001"})
RAISED_BY_WALLTRACK = re.compile(r"^PL/pgSQL function walltrack\.\w+\(.*\) line \d+ at RAISE")


def is_walltrack_message(error: psycopg.Error) -> bool:
    context = (error.diag.context or "").splitlines()
    return error.sqlstate in WALLTRACK_SQLSTATES and bool(
        context and RAISED_BY_WALLTRACK.match(context[0])
    )


def describe_error(error: psycopg.Error) -> str:
    context = (error.diag.context or "").splitlines()
    where = f" [{context[0]}]" if context else " [no WallTrack context]"
    hint = f" (hint: {error.diag.message_hint})" if error.diag.message_hint else ""
    return f"SQLSTATE {error.sqlstate}: {error.diag.message_primary}{hint}{where}"


@dataclass(frozen=True)
class Column:
    table: str
    name: str
    type_name: str  # format_type(), as written in a cast: numeric, walltrack.trade_side...
    kind: str  # numeric, integer, timestamp, text, jsonb, boolean, enum, array
    nullable: bool
    labels: tuple[str, ...] = ()  # an enum's labels (or its arrays' elements')
    references: tuple[str, str] | None = None  # (table, column) of a one-column foreign key


def walltrack_tables(db: psycopg.Connection[Any]) -> dict[str, str]:
    """Every table of the walltrack schema and its one-column primary key."""
    rows = (
        db.cursor(row_factory=tuple_row)
        .execute(
            """
        select c.relname, a.attname
        from pg_class as c
        join pg_namespace as n on n.oid = c.relnamespace
        join pg_index as i on i.indrelid = c.oid and i.indisprimary
        join pg_attribute as a on a.attrelid = c.oid and a.attnum = i.indkey[0]
        where n.nspname = 'walltrack' and c.relkind in ('r', 'p')
        order by c.relname
        """
        )
        .fetchall()
    )
    return {str(table): str(key) for table, key in rows}


def kind_of(type_name: str, typtype: str, category: str) -> str:
    if typtype == "e":
        return "enum"
    if category == "A":
        return "array"
    if type_name in ("numeric",):
        return "numeric"
    if type_name in ("smallint", "integer", "bigint"):
        return "integer"
    if type_name.startswith("timestamp"):
        return "timestamp"
    if type_name in ("text", "walltrack.solana_address", "walltrack.solana_signature"):
        return "text"
    if type_name in ("jsonb", "boolean"):
        return type_name
    raise AssertionError(f"no hostile values for type {type_name}: add them to operator_edits.py")


def walltrack_columns(db: psycopg.Connection[Any]) -> list[Column]:
    """Every column an operator can write in Studio. Skipped: identity columns (GENERATED
    ALWAYS), which Postgres itself refuses to write, whatever the client."""
    rows = (
        db.cursor(row_factory=tuple_row)
        .execute(
            """
        select c.relname, a.attname, format_type(a.atttypid, a.atttypmod), t.typtype::text,
          t.typcategory::text, not a.attnotnull,
          coalesce((select array_agg(e.enumlabel::text order by e.enumsortorder)
                    from pg_enum as e where e.enumtypid in (a.atttypid, t.typelem)), '{}'),
          fk.table_name, fk.column_name
        from pg_class as c
        join pg_namespace as n on n.oid = c.relnamespace
        join pg_attribute as a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        join pg_type as t on t.oid = a.atttypid
        left join lateral (
          select r.relname::text as table_name, ra.attname::text as column_name
          from pg_constraint as k
          join pg_class as r on r.oid = k.confrelid
          join pg_attribute as ra on ra.attrelid = k.confrelid and ra.attnum = k.confkey[1]
          where k.conrelid = c.oid and k.contype = 'f' and k.conkey = array[a.attnum]
          limit 1
        ) as fk on true
        where n.nspname = 'walltrack' and c.relkind in ('r', 'p') and a.attidentity <> 'a'
        order by c.relname, a.attnum
        """
        )
        .fetchall()
    )
    columns = []
    for table, name, type_name, typtype, category, nullable, labels, ref_table, ref_col in rows:
        assert isinstance(labels, list)
        columns.append(
            Column(
                table=str(table),
                name=str(name),
                type_name=str(type_name),
                kind=kind_of(str(type_name), str(typtype), str(category)),
                nullable=bool(nullable),
                labels=tuple(str(label) for label in labels),
                references=(str(ref_table), str(ref_col)) if ref_table else None,
            )
        )
    return columns


@dataclass(frozen=True)
class Value:
    label: str  # how the report names it
    text: str | None  # the literal, cast to the column's type; None is SQL null


NONEXISTENT_ID = "987654321"

NUMERIC = ["NaN", "Infinity", "-Infinity", "1e30", "-1", "0", "0.5", "-1e-9"]
WHOLE = {"smallint": "32767", "integer": "2147483647", "bigint": "9223372036854775807"}
JSON = [
    "null",
    "[]",
    '"x"',
    "{}",
    '{"stop_loss_pct": "NaN"}',
    '{"stop_loss_pct": null}',
    '{"stop_loss_pct": -100}',
    '{"stop_loss_pct": -1e-7}',
    '{"time_exit_minutes": 0.5}',
    '{"time_exit_minutes": 1e10}',
    '{"time_exit_minutes": "30"}',
    '{"take_profits": [{"pct": -5}]}',
    '{"take_profit_levels": "x"}',
    '{"take_profit_levels": [{"at_pct": "NaN", "sell_pct": 10}]}',
    '{"take_profit_levels": [{"at_pct": 1e400, "sell_pct": 10}]}',
    '{"take_profit_levels": [{"at_pct": 0, "sell_pct": 100}]}',
    '{"moonbag_pct": -5}',
    '{"mirror_leader_sells": "yes"}',
    '{"trailing_activation_pct": 0, "trailing_distance_pct": 1e-9}',
    '{"a": {"b": [[[[1e308, null, {"c": ""}]]]]}}',
]


def timestamps() -> list[Value]:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    return [
        Value("'-infinity'", "-infinity"),
        Value("'infinity'", "infinity"),
        Value("1970-01-01", "1970-01-01 00:00:00+00"),
        Value("2200-01-01", "2200-01-01 00:00:00+00"),
        Value("now() + 1 day", tomorrow),
    ]


def texts(type_name: str) -> list[Value]:
    values = [
        Value("''", ""),
        Value("' '", " "),
        Value("10,000 characters", "x" * 10_000),
        Value("another valid-looking address", new_mint()),
    ]
    if type_name == "walltrack.solana_signature":
        values.append(Value("another valid-looking signature", new_signature()))
    return values


def hostile_values(column: Column, other_rows: Sequence[str]) -> list[Value]:
    """Values valid for the column's type (so any refusal must be WallTrack's), hostile to
    what it means. A foreign key gets the ids of other rows and one that does not exist."""
    values: list[Value]
    if column.references is not None:
        missing = new_mint() if column.kind == "text" else NONEXISTENT_ID
        values = [Value(f"another row's key {key}", key) for key in other_rows]
        values.append(Value("a key that does not exist", missing))
    elif column.kind == "numeric":
        values = [Value(f"'{v}'", v) for v in NUMERIC]
    elif column.kind == "integer":
        values = [Value(v, v) for v in (WHOLE[column.type_name], "-1", "0")]
    elif column.kind == "timestamp":
        values = timestamps()
    elif column.kind == "text":
        values = texts(column.type_name)
    elif column.kind == "jsonb":
        values = [Value(v if len(v) < 60 else v[:57] + "...", v) for v in JSON]
    elif column.kind == "boolean":
        values = [Value("true", "true"), Value("false", "false")]
    elif column.kind == "enum":
        values = [Value(f"'{label}'", label) for label in column.labels]
    elif column.labels:  # an array of an enum: nothing, one, one twice, all
        first, every = column.labels[0], ",".join(column.labels)
        values = [
            Value(v, v) for v in ("{}", f"{{{first}}}", f"{{{first},{first}}}", f"{{{every}}}")
        ]
    else:  # arrays
        values = [Value(v, v) for v in ("{}", "{0}", "{-1,99}", "{1}")]
        if column.type_name == "text[]":
            values = [Value(v, v) for v in ("{}", '{""}', "{x,y}")]
    # Clearing a cell is an edit too; Postgres's own not-null message is left to Studio,
    # which marks a required column (so only nullable columns are cleared).
    if column.nullable:
        values.append(Value("NULL", None))
    return values


@dataclass(frozen=True)
class Edit:
    """One operator action: a single statement, run on its own and rolled back."""

    kind: str  # update, insert, delete, truncate
    table: str
    what: str  # the column, or the name of the insert
    target: str  # which row, in words
    value: str  # the value, in words
    sql: str | sql.Composed
    params: tuple[object, ...] = ()
    column: str | None = None
    row_key: object = None
    # Why the action must be refused (it forges what only the product writes, or breaks a
    # documented rule no later check would see): its acceptance is a failure by itself.
    must_refuse: str | None = None
    # The SQLSTATE of a refusal Postgres makes before any WallTrack rule can run (said
    # where it is set): accepted in Postgres's own words.
    raw_refusal: str | None = None

    def name(self) -> str:
        return f"{self.kind} {self.table}.{self.what} [{self.target}] = {self.value}"


@dataclass
class Findings:
    """Failures grouped into classes for the report: (table, what, failure) -> values."""

    by_class: dict[tuple[str, str, str], list[str]] = field(
        default_factory=lambda: defaultdict(list)
    )
    count: int = 0
    edits: set[str] = field(default_factory=set)

    def add(self, edit: Edit, failure: str) -> None:
        """Failures that differ only by row ids or amounts make one class."""
        self.count += 1
        self.edits.add(edit.name())
        failure = re.sub(r"(?<![\w.])(?<!SQLSTATE )-?(\d{3,}|\d+\.\d+)(e[+-]?\d+)?", "N", failure)
        failure = failure if len(failure) <= 400 else failure[:400] + "..."
        key = (f"{edit.kind} {edit.table}", edit.what, failure)
        self.by_class[key].append(f"{edit.value} [{edit.target}]")

    def report(self) -> str:
        lines = [
            f"{len(self.edits)} edits broke a rule: {self.count} failures in"
            f" {len(self.by_class)} classes (action.what: failure, then the values):"
        ]
        for (action, what, failure), values in sorted(self.by_class.items()):
            lines.append(f"- {action}.{what}: {failure}")
            lines.append(f"    values: {'; '.join(shorten(values))}")
        return "\n".join(lines)


def shorten(values: Iterable[str], most: int = 12) -> list[str]:
    values = list(values)
    return values[:most] + ([f"... {len(values) - most} more"] if len(values) > most else [])
