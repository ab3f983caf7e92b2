"""scripts/check_schema.py: the migrations and the schemas tree must build the same database.

Small synthetic trees (a schema, a table, a trigger, functions, comments, grants, a pg_cron job)
keep these tests fast and independent of the project's SQL; the last two edit a copy of one of
the repository's own trees alone (make test runs the check on the trees themselves). No running
stack needed: the check starts throwaway clusters of its own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scripts.stack_env import REPO_ROOT

TABLES = """\
create schema shop;
comment on schema shop is 'A tiny shop.';
revoke all on schema shop from public;
grant usage on schema shop to service_role;

create table shop.items (
  id bigint generated always as identity primary key,
  name text not null unique,
  price numeric not null check (price >= 0)
);
comment on table shop.items is 'What the shop sells.';
grant select on shop.items to service_role;
"""

FUNCTIONS = """\
create extension if not exists pg_cron with schema pg_catalog;
alter table shop.items add column updated_at timestamptz not null default now();

create function shop.touch() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.updated_at := now();
  return new;
end;
$$;
create trigger items_touch before update on shop.items
for each row execute function shop.touch();

create function shop.total() returns numeric
language plpgsql stable set search_path = '' as $$
begin
  return (select coalesce(sum(i.price), 0) from shop.items as i);
end;
$$;
comment on function shop.total() is 'What the whole stock is worth.';

select cron.schedule('shop-total', '*/5 * * * *', 'select shop.total()');
"""

# The same database, built the way the schemas tree does: each concern in its final form.
SCHEMAS = {
    "00_shop.sql": TABLES.replace(
        "  price numeric not null check (price >= 0)\n",
        "  price numeric not null check (price >= 0),\n"
        "  updated_at timestamptz not null default now()\n",
    ),
    "01_functions.sql": FUNCTIONS.replace(
        "alter table shop.items add column updated_at timestamptz not null default now();\n", ""
    ),
}
MIGRATIONS = {"20260101000000_shop.sql": TABLES, "20260101000100_functions.sql": FUNCTIONS}

NEW_TOTAL = """\
create or replace function shop.total() returns numeric
language plpgsql stable set search_path = '' as $$
begin
  return (select coalesce(sum(i.price), 0) + 1 from shop.items as i);
end;
$$;
"""

# Calls shop.total(), which a later file defines.
REPORT = """\
create function shop.report() returns text
language plpgsql stable set search_path = '' as $$
begin
  return format('stock worth %s', shop.total());
end;
$$;
"""


def write_tree(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir()
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


def check(
    migrations: Path | None = None, schemas: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The check as make runs it; without arguments, on the repository's own trees."""
    args = [sys.executable, "-m", "scripts.check_schema"]
    if migrations is not None:
        args += ["--migrations", str(migrations)]
    if schemas is not None:
        args += ["--schemas", str(schemas)]
    return subprocess.run(  # noqa: S603 (the project's own script)
        args, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
    )


def trees(tmp_path: Path, migrations: dict[str, str], schemas: dict[str, str]) -> list[Path]:
    return [
        write_tree(tmp_path / "migrations", migrations),
        write_tree(tmp_path / "schemas", schemas),
    ]


def test_identical_trees_build_the_same_database(tmp_path: Path) -> None:
    result = check(*trees(tmp_path, MIGRATIONS, MIGRATIONS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "migrations and schemas build the same database" in result.stdout


def test_a_tree_of_final_definitions_builds_the_same_database(tmp_path: Path) -> None:
    # A column a later migration added is a column like any other. The shim's objects are not
    # counted: 1 schema, 1 table and its 4 columns, 3 constraints, 2 indexes, 1 sequence,
    # 1 trigger, 2 functions, the pg_cron extension (not its own objects) and the job.
    result = check(*trees(tmp_path, MIGRATIONS, SCHEMAS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("(17 objects)"), result.stdout


def test_a_function_body_changed_in_the_migrations_only_is_a_difference(tmp_path: Path) -> None:
    changed = MIGRATIONS | {"20260101000200_total.sql": NEW_TOTAL}
    result = check(*trees(tmp_path, changed, SCHEMAS))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "--- migrations\n+++ schemas" in result.stdout
    assert "-function shop.total() definition |   return (select coalesce(sum(i.price), 0) + 1" in (
        result.stdout
    )


def test_a_function_body_changed_in_the_schemas_only_is_a_difference(tmp_path: Path) -> None:
    changed = SCHEMAS | {"01_functions.sql": SCHEMAS["01_functions.sql"].replace("now()", "now() ")}
    result = check(*trees(tmp_path, MIGRATIONS, changed))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "+function shop.touch() definition |   new.updated_at := now() ;" in result.stdout


def test_a_comment_a_grant_or_a_cron_job_that_differs_is_a_difference(tmp_path: Path) -> None:
    changed = {
        "00_shop.sql": SCHEMAS["00_shop.sql"]
        .replace("'What the shop sells.'", "'What the shop sold.'")
        .replace("grant select on shop.items", "grant select, insert on shop.items"),
        "01_functions.sql": SCHEMAS["01_functions.sql"].replace("*/5 * * * *", "*/10 * * * *"),
    }
    result = check(*trees(tmp_path, MIGRATIONS, changed))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "-table shop.items comment: What the shop sells." in result.stdout
    assert "+table shop.items comment: What the shop sold." in result.stdout
    assert "+table shop.items acl: postgres=arwdDxt/postgres,service_role=ar/postgres" in (
        result.stdout
    )
    assert '+cron job "shop-total" schedule: */10 * * * *' in result.stdout


def test_a_schemas_file_that_calls_a_function_of_a_later_file_is_refused(tmp_path: Path) -> None:
    # The same files in both trees, so the databases match: only the order is wrong.
    files = SCHEMAS | {"00_shop.sql": SCHEMAS["00_shop.sql"] + REPORT}
    result = check(*trees(tmp_path, files, files))
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "00_shop.sql: function shop.report() refers to something defined later: "
        "function shop.total() does not exist"
    ) in result.stdout
    assert "build the same database" not in result.stdout


def test_a_file_that_does_not_apply_is_named(tmp_path: Path) -> None:
    broken = SCHEMAS | {"01_functions.sql": "create table shop.oops (id int;\n"}
    result = check(*trees(tmp_path, MIGRATIONS, broken))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "01_functions.sql does not apply (the schemas build)" in result.stderr
    assert 'syntax error at or near ";"' in result.stderr


def repository_trees(tmp_path: Path) -> tuple[Path, Path]:
    """Copies of the repository's own two trees, to edit one of them alone."""
    copies = []
    for tree in ("migrations", "schemas"):
        files = {p.name: p.read_text() for p in (REPO_ROOT / "supabase" / tree).glob("*.sql")}
        assert files, f"supabase/{tree}/ holds the project's SQL"
        copies.append(write_tree(tmp_path / tree, files))
    return copies[0], copies[1]


# The open cost of a position, one lamport dearer: a rule change that must not go unnoticed.
OPEN_COST = "return pos.cost_basis_sol - pos.proceeds_sol + pos.realized_pnl_sol;"
DEARER = "return pos.cost_basis_sol - pos.proceeds_sol + pos.realized_pnl_sol + 0.000000001;"


def test_the_repository_schemas_edited_alone_is_a_difference(tmp_path: Path) -> None:
    migrations, schemas = repository_trees(tmp_path)
    positions = schemas / "07_positions.sql"
    assert OPEN_COST in positions.read_text()
    positions.write_text(positions.read_text().replace(OPEN_COST, DEARER))
    result = check(migrations, schemas)
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        f"+function walltrack.position_open_cost_sol(walltrack.positions) definition |   {DEARER}"
        in (result.stdout)
    )


def test_the_repository_migrations_edited_alone_is_a_difference(tmp_path: Path) -> None:
    migrations, schemas = repository_trees(tmp_path)
    source = (schemas / "07_positions.sql").read_text()
    start = source.index("create function walltrack.position_open_cost_sol")
    definition = source[start : source.index("$$;", start) + 3]
    (migrations / "29990101000000_dearer_open_cost.sql").write_text(
        definition.replace("create function", "create or replace function").replace(
            OPEN_COST, DEARER
        )
        + "\n"
    )
    result = check(migrations, schemas)
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        f"-function walltrack.position_open_cost_sol(walltrack.positions) definition |   {DEARER}"
        in (result.stdout)
    )
