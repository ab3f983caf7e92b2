"""supabase/schemas/ is the map of the database: every object the database holds has exactly
one live definition there, and each table's file lists its triggers in the order Postgres
fires them. Checked against the running stack, which the migrations built
(make check-schema proves the two trees build the same database)."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import psycopg

from scripts.stack_env import REPO_ROOT

SCHEMAS = Path(REPO_ROOT, "supabase", "schemas")
EVENTS = ("insert", "update", "delete", "truncate")
Db = psycopg.Connection[tuple[object, ...]]


def schema_text() -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(SCHEMAS.glob("*.sql"))}


def code_only(sql: str) -> str:
    """The SQL without its `--` comments, so a name mentioned in prose is not a definition."""
    return re.sub(r"--[^\n]*", "", sql)


def definitions(kind: str, name: str) -> list[str]:
    """The schema files (one entry per definition) holding `create <kind> <name>`."""
    pattern = re.compile(
        rf"\bcreate\s+(?:or\s+replace\s+)?(?:unique\s+)?{kind}\s+{re.escape(name)}\b", re.I
    )
    return [file for file, sql in schema_text().items() for _ in pattern.finditer(code_only(sql))]


def catalog(db: Db) -> list[tuple[str, str]]:
    """(kind, qualified name) of every object of the walltrack and api schemas."""
    rows = db.execute(
        """
        select 'function', n.nspname || '.' || p.proname
        from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace
        where n.nspname in ('walltrack', 'api')
        union all
        select case c.relkind when 'r' then 'table' when 'v' then 'view'
                 when 'm' then 'materialized view' else 'index' end,
               case when c.relkind = 'i' then c.relname else n.nspname || '.' || c.relname end
        from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = 'walltrack' and c.relkind in ('r', 'v', 'm', 'i')
          and not exists (select from pg_constraint as k where k.conindid = c.oid)
        union all
        select 'trigger', t.tgname
        from pg_trigger as t join pg_class as c on c.oid = t.tgrelid
        where c.relnamespace = 'walltrack'::regnamespace and not t.tgisinternal
        union all
        select case t.typtype when 'd' then 'domain' else 'type' end,
               'walltrack.' || t.typname
        from pg_type as t
        where t.typnamespace = 'walltrack'::regnamespace and t.typtype in ('e', 'c', 'd')
          and (t.typtype <> 'c'
               or (select c.relkind from pg_class as c where c.oid = t.typrelid) = 'c')
        """
    ).fetchall()
    return [(str(kind), str(name)) for kind, name in rows]


def test_every_object_has_exactly_one_live_definition(db: Db) -> None:
    objects = catalog(db)
    assert len(objects) > 150, "the catalog query found the project's objects"
    wrong = {
        f"{kind} {name}": files
        for kind, name in objects
        if len(files := definitions(kind, name)) != 1
    }
    assert wrong == {}


def test_the_schema_files_speak_in_the_present_tense() -> None:
    """No history inside the map: no redefinition, no drop, no commented-out rollback."""
    for file, sql in schema_text().items():
        code = code_only(sql)
        assert not re.search(r"\bcreate\s+or\s+replace\b", code, re.I), file
        assert not re.search(r"(?m)^\s*(drop|alter\s+table\s+\S+\s+drop)\b", code, re.I), file
        assert not re.search(r"(?im)^--\s*(rollback|drop |alter table)", sql), file


def listed_triggers(files: dict[str, str]) -> dict[str, dict[str, list[str]]]:
    """From each `-- Triggers on TABLE, ...` comment block: event -> trigger names, in order."""
    lists: dict[str, dict[str, list[str]]] = {}
    for sql in files.values():
        for block in re.finditer(r"(?m)^-- Triggers on (\w+),[^\n]*\n((?:--[^\n]*\n)+)", sql):
            table, events = block.group(1), defaultdict(list)
            event = ""
            for line in block.group(2).splitlines():
                words = line.removeprefix("--").split()
                if words and words[0] in EVENTS:
                    event, words = words[0], words[1:]
                if words and words[0].startswith(f"{table}_"):
                    events[event].append(words[0])
            lists[table] = dict(events)
    return lists


# tgtype bits: 1 row-level, 2 before, 4 insert, 8 delete, 16 update, 32 truncate.
EVENT_BITS = {"insert": 4, "update": 16, "delete": 8, "truncate": 32}


def fire_phase(tgtype: int) -> int:
    """BEFORE statement, BEFORE row, AFTER row, AFTER statement: the order of the phases."""
    before, row = bool(tgtype & 2), bool(tgtype & 1)
    return {(True, False): 0, (True, True): 1, (False, True): 2, (False, False): 3}[(before, row)]


def fired_triggers(db: Db) -> dict[str, dict[str, list[str]]]:
    """Per table and event, the triggers in the order Postgres fires them: by phase, then
    by name within a phase."""
    rows = [
        (str(table), str(name), int(str(tgtype)))
        for table, name, tgtype in db.execute(
            """
            select c.relname, t.tgname, t.tgtype
            from pg_trigger as t join pg_class as c on c.oid = t.tgrelid
            where c.relnamespace = 'walltrack'::regnamespace and not t.tgisinternal
            """
        )
    ]
    fired: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for table, name, tgtype in sorted(rows, key=lambda r: (r[0], fire_phase(r[2]), r[1])):
        for event, bit in EVENT_BITS.items():
            if tgtype & bit:
                fired[table].setdefault(event, []).append(name)
    return dict(fired)


def test_each_table_lists_its_triggers_in_firing_order(db: Db) -> None:
    assert listed_triggers(schema_text()) == fired_triggers(db)


def test_a_list_out_of_firing_order_is_caught(db: Db) -> None:
    """The same files with two of the positions' update triggers swapped in the list."""
    files = schema_text()
    first = "positions_before_update_guard_money"
    second = "positions_before_update_keep_equity"
    positions = files["07_positions.sql"]
    assert first in positions and second in positions
    files["07_positions.sql"] = (
        positions.replace(first, "@swap@").replace(second, first).replace("@swap@", second)
    )
    assert listed_triggers(files) != fired_triggers(db)
