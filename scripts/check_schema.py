"""Prove that supabase/migrations and supabase/schemas build the same database.

    .venv/bin/python -m scripts.check_schema [--migrations DIR] [--schemas DIR]

Each tree is applied (local/shim.sql first, then its .sql files in lexical order, one
`psql -v ON_ERROR_STOP=1` each) to a fresh throwaway Postgres 15 cluster of its own under
.local/check-schema/, the two built in parallel. Then:

* the objects of both databases are described one line per object attribute (normalised and
  sorted) and compared: any difference is printed as a unified diff, `migrations` vs `schemas`;
* the schemas tree must have no forward reference: after each of its files, every PL/pgSQL
  function that exists so far passes plpgsql_check (a body that calls a function or reads a
  table only a later file defines fails it).

Exit status: 0 same database, 1 a difference or a forward reference, 2 a file that does not
apply (or no tree to apply). The clusters are stopped and deleted on every exit, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PGBIN = Path("/usr/lib/postgresql/15/bin")
WORK = ROOT / ".local" / "check-schema"
SHIM = ROOT / "local" / "shim.sql"
PORTS = range(58600, 59000)

# scripts/stack.sh's settings (with STACK_FAST=1), so both builds see what the stack sees.
# Only the unix socket listens: the builds need no TCP, so they cannot clash with anything.
SERVER_SETTINGS = """
listen_addresses = ''
port = {port}
unix_socket_directories = '{socket_dir}'
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
fsync = off
synchronous_commit = off
full_page_writes = off
# Jobs the trees schedule must not run during the build (they would write behind its back).
cron.max_running_jobs = 0
"""

# psql reads PG* variables (scripts/test.sh exports PGHOST and co. for its stack): none of them.
PSQL_ENV = {k: v for k, v in os.environ.items() if not k.startswith("PG")} | {
    "PGOPTIONS": "-c client_min_messages=warning"
}

Row = tuple[str, str, str]  # (object, attribute, value)
Connection = psycopg.Connection[tuple[Any, ...]]


class BuildError(Exception):
    """A file that does not apply, or a tree with nothing to apply: exit status 2."""


class Cancelled(Exception):
    """The other build failed or the user pressed Ctrl-C: this build stops quietly."""


def shown(path: Path) -> str:
    """A path as the user wants to read it: relative to the repository when inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------------------------------------
# Throwaway clusters


def as_postgres(*command: str) -> subprocess.CompletedProcess[str]:
    """A server binary run as the postgres OS user (initdb refuses root), from / like stack.sh."""
    return subprocess.run(  # noqa: S603 (Postgres's own binaries, arguments built here)
        ["/usr/sbin/runuser", "-u", "postgres", "--", *command],
        cwd="/",
        capture_output=True,
        text=True,
        check=False,
    )


def make_traversable(path: Path) -> None:
    """The postgres user must be able to reach the cluster: o+x on every directory above it."""
    for directory in [path, *path.parents]:
        if directory != Path("/") and not directory.stat().st_mode & 0o001:
            directory.chmod(directory.stat().st_mode | 0o001)


_ports_lock = threading.Lock()
_ports_taken: set[int] = set()


def free_port() -> int:
    """A 58xxx port nothing listens on. It only names the unix socket, but stays polite."""
    start = os.getpid() % len(PORTS)
    with _ports_lock:
        for offset in range(len(PORTS)):
            port = PORTS[(start + offset) % len(PORTS)]
            if port in _ports_taken:
                continue
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    continue
            _ports_taken.add(port)
            return port
    raise BuildError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


@dataclass
class Cluster:
    """One throwaway Postgres cluster in its own temp dir under .local/check-schema."""

    label: str
    directory: Path
    port: int = field(default_factory=free_port)

    @property
    def pgdata(self) -> Path:
        return self.directory / "pgdata"

    @property
    def socket_dir(self) -> Path:
        return self.directory / "run"

    def start(self) -> None:
        result = as_postgres(
            str(PGBIN / "initdb"), "-D", str(self.pgdata), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions",
        )  # fmt: skip
        if result.returncode != 0:
            raise BuildError(f"initdb failed for the {self.label} build:\n{result.stderr}")
        self.socket_dir.mkdir()
        shutil.chown(self.socket_dir, "postgres", "postgres")
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            conf.write(SERVER_SETTINGS.format(port=self.port, socket_dir=self.socket_dir))
        log = self.directory / "postgres.log"
        result = as_postgres(
            str(PGBIN / "pg_ctl"), "start", "-D", str(self.pgdata), "-l", str(log), "-w", "-t", "60"
        )
        if result.returncode != 0:
            raise BuildError(
                f"postgres did not start for the {self.label} build:\n{log.read_text()}"
            )

    def stop(self) -> None:
        stop_cluster(self.pgdata)

    def psql(self, path: Path, single_transaction: bool = False) -> None:
        # A migration applies in one transaction, as `supabase db push` applies it (an enum
        # value added is not usable before the transaction commits, for one).
        one = ["--single-transaction"] if single_transaction else []
        result = subprocess.run(  # noqa: S603 (Postgres's psql on the project's SQL files)
            [str(PGBIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.socket_dir),
             "-p", str(self.port), "-U", "postgres", "-d", "postgres", *one, "-f", str(path)],
            cwd=ROOT,
            env=PSQL_ENV,
            capture_output=True,
            text=True,
            check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise BuildError(
                f"{shown(path)} does not apply (the {self.label} build):\n{result.stderr.strip()}"
            )

    def connect(self, qualified_names: bool = True) -> Connection:
        """A superuser connection. qualified_names: search_path = pg_catalog, so every name the
        description prints comes schema-qualified; otherwise the database's own search_path."""
        options = "-c client_min_messages=warning"
        return psycopg.connect(
            host=str(self.socket_dir),
            port=self.port,
            user="postgres",
            dbname="postgres",
            autocommit=True,
            options=options + (" -c search_path=pg_catalog" if qualified_names else ""),
        )


def stop_cluster(pgdata: Path) -> None:
    """Immediate shutdown (nothing here is worth a checkpoint), SIGKILL if that fails. Looks at
    postmaster.pid, not at what this run believes, so a cluster still starting is not missed."""
    pidfile = pgdata / "postmaster.pid"
    if not pidfile.exists():
        return
    as_postgres(str(PGBIN / "pg_ctl"), "stop", "-D", str(pgdata), "-m", "immediate", "-t", "30")
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int(pidfile.read_text().split()[0])
        # Only that cluster's postmaster: a stale pid file's pid may belong to anything by now.
        if str(pgdata) in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
            os.kill(pid, signal.SIGKILL)


class Clusters:
    """Every cluster of this run, so Ctrl-C or a failed build can stop all of them at once."""

    def __init__(self) -> None:
        self.cancelled = threading.Event()
        self._lock = threading.Lock()
        self._clusters: list[Cluster] = []

    @contextlib.contextmanager
    def new(self, label: str) -> Iterator[Cluster]:
        WORK.mkdir(parents=True, exist_ok=True)
        make_traversable(WORK)
        directory = Path(tempfile.mkdtemp(prefix=f"{label}-{os.getpid()}-", dir=WORK))
        shutil.chown(directory, "postgres", "postgres")
        cluster = Cluster(label, directory)
        with self._lock:
            self._clusters.append(cluster)
        try:
            self.check()
            cluster.start()
            self.check()
            yield cluster
        except Exception:
            if self.cancelled.is_set():
                raise Cancelled from None
            raise
        finally:
            cluster.stop()
            shutil.rmtree(directory, ignore_errors=True)

    def check(self) -> None:
        if self.cancelled.is_set():
            raise Cancelled

    def cancel(self) -> None:
        """Stops every cluster: a build still running fails at once and sees it was cancelled."""
        self.cancelled.set()
        with self._lock:
            clusters = list(self._clusters)
        for cluster in clusters:
            cluster.stop()


def remove_stale_runs() -> None:
    """A run killed with SIGKILL leaves its clusters behind: stopped and deleted by the next run.
    Each directory is named label-PID-random after the run that owns it; other runs (another
    terminal, pytest beside make) are left alone while their process lives."""
    if not WORK.is_dir():
        return
    for directory in WORK.iterdir():
        owner = directory.name.split("-")[1] if directory.name.count("-") >= 2 else ""
        if owner.isdigit() and Path(f"/proc/{owner}").exists():
            continue
        stop_cluster(directory / "pgdata")
        shutil.rmtree(directory, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Describing a database: one query per kind of object, each row (object, attribute, value).
# Names print schema-qualified (search_path = pg_catalog), ACLs sorted and with NULL replaced by
# the built-in default (an ACL granted then revoked reads the same as one never touched).
# A VALUES list takes its column type from its first row: owners are cast ::text, or every value
# after them would be a `name`, cut at 63 characters.

SESSION_HELPERS = """
-- What the trees may create in: everything but the system's schemas and the CLI's history.
create temporary view described_namespace as
select oid from pg_namespace
where
    nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'supabase_migrations')
    and nspname !~ '^pg_(toast_)?temp_';
-- Objects an extension created are the extension's (described as the extension itself).
create temporary view extension_member as
select classid, objid from pg_depend where deptype = 'e';
create function pg_temp.acl(acl aclitem[], kind "char", owner oid) returns text
language sql stable as $$
    select coalesce(string_agg(item::text, ',' order by item::text), '')
    from unnest(coalesce(acl, acldefault(kind, owner))) as item
$$;
create function pg_temp.sorted(items anyarray) returns text
language sql immutable as $$
    select string_agg(item::text, ', ' order by item::text) from unnest(items) as item
$$;
"""

QUERIES: dict[str, str] = {}

QUERIES["schemas"] = """
select format('schema %I', n.nspname), a.attr, a.value
from pg_namespace as n
cross join lateral (values
    ('owner', pg_get_userbyid(n.nspowner)::text),
    ('acl', pg_temp.acl(n.nspacl, 'n', n.nspowner)),
    ('comment', obj_description(n.oid, 'pg_namespace'))
) as a (attr, value)
where
    n.oid in (table pg_temp.described_namespace)
    and ('pg_namespace'::regclass, n.oid) not in (table pg_temp.extension_member)
"""

QUERIES["tables"] = """
select format('table %s', c.oid::regclass), a.attr, a.value
from pg_class as c
cross join lateral (values
    ('kind', concat_ws(' ', c.relkind, nullif(c.relpersistence, 'p'), 'replica identity '
        || c.relreplident::text)),
    ('options', pg_temp.sorted(c.reloptions)),
    ('row security', format('enabled=%s forced=%s', c.relrowsecurity, c.relforcerowsecurity)),
    ('owner', pg_get_userbyid(c.relowner)::text),
    ('acl', pg_temp.acl(c.relacl, 'r', c.relowner)),
    ('inherits', (select string_agg(i.inhparent::regclass::text, ', ' order by i.inhseqno)
        from pg_inherits as i where i.inhrelid = c.oid)),
    ('partition key', case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end),
    ('partition bound', pg_get_expr(c.relpartbound, c.oid)),
    ('comment', obj_description(c.oid, 'pg_class'))
) as a (attr, value)
where
    c.relkind in ('r', 'p', 'f')
    and c.relnamespace in (table pg_temp.described_namespace)
    and ('pg_class'::regclass, c.oid) not in (table pg_temp.extension_member)
"""

# Columns of tables, views and composite types. The position is counted over live columns, so
# a column dropped by an old migration does not shift the ones after it. (An extension's
# composite type is a member as a type, not as a relation.)
QUERIES["columns"] = """
select format('column %s.%I', c.oid::regclass, att.attname), a.attr, a.value
from pg_class as c
join pg_attribute as att on att.attrelid = c.oid and att.attnum > 0 and not att.attisdropped
join pg_type as t on t.oid = att.atttypid
left join pg_attrdef as d on d.adrelid = att.attrelid and d.adnum = att.attnum
cross join lateral (values
    ('definition', concat_ws(' ',
        '#' || (select count(*) from pg_attribute as b where b.attrelid = att.attrelid
            and b.attnum > 0 and not b.attisdropped and b.attnum <= att.attnum),
        format_type(att.atttypid, att.atttypmod),
        case when att.attcollation <> t.typcollation then 'collate '
            || att.attcollation::regcollation end,
        case when att.attnotnull then 'not null' end,
        case att.attidentity when 'a' then 'generated always as identity'
            when 'd' then 'generated by default as identity' end,
        case when att.attgenerated = 's'
            then format('generated always as (%s) stored', pg_get_expr(d.adbin, d.adrelid))
            else 'default ' || pg_get_expr(d.adbin, d.adrelid) end)),
    ('acl', nullif(pg_temp.acl(att.attacl, 'c', c.relowner), '')),
    ('comment', col_description(c.oid, att.attnum))
) as a (attr, value)
where
    c.relkind in ('r', 'p', 'f', 'v', 'm', 'c')
    and c.relnamespace in (table pg_temp.described_namespace)
    and ('pg_class'::regclass, c.oid) not in (table pg_temp.extension_member)
    and ('pg_type'::regclass, c.reltype) not in (table pg_temp.extension_member)
"""

# Table and domain constraints (NOT NULL is a column attribute in Postgres 15).
QUERIES["constraints"] = """
select
    format('constraint %s.%I',
        coalesce(nullif(co.conrelid, 0)::regclass::text, co.contypid::regtype::text), co.conname),
    a.attr, a.value
from pg_constraint as co
cross join lateral (values
    ('definition', pg_get_constraintdef(co.oid)),
    ('deferrable', format('deferrable=%s deferred=%s', co.condeferrable, co.condeferred)),
    ('comment', obj_description(co.oid, 'pg_constraint'))
) as a (attr, value)
where
    co.connamespace in (table pg_temp.described_namespace)
    and ('pg_class'::regclass, co.conrelid) not in (table pg_temp.extension_member)
    and ('pg_type'::regclass, co.contypid) not in (table pg_temp.extension_member)
"""

QUERIES["indexes"] = """
select format('index %s', c.oid::regclass), a.attr, a.value
from pg_index as i
join pg_class as c on c.oid = i.indexrelid
cross join lateral (values
    ('definition', pg_get_indexdef(i.indexrelid)),
    ('comment', obj_description(c.oid, 'pg_class'))
) as a (attr, value)
where
    c.relnamespace in (table pg_temp.described_namespace)
    and ('pg_class'::regclass, i.indrelid) not in (table pg_temp.extension_member)
"""

# pg_get_functiondef carries the whole body, language, volatility, SECURITY DEFINER and SET.
QUERIES["functions"] = """
select
    format('%s %s', case p.prokind when 'p' then 'procedure' when 'a' then 'aggregate'
        else 'function' end, p.oid::regprocedure),
    a.attr, a.value
from pg_proc as p
cross join lateral (values
    ('owner', pg_get_userbyid(p.proowner)::text),
    ('acl', pg_temp.acl(p.proacl, 'f', p.proowner)),
    ('security', case when p.prosecdef then 'definer' else 'invoker' end),
    ('config', pg_temp.sorted(p.proconfig)),
    ('comment', obj_description(p.oid, 'pg_proc')),
    ('definition', case when p.prokind = 'a'
        then (select format('sfunc %s stype %s finalfunc %s initcond %s', ag.aggtransfn,
            ag.aggtranstype::regtype, ag.aggfinalfn, ag.agginitval)
            from pg_aggregate as ag where ag.aggfnoid = p.oid)
        else pg_get_functiondef(p.oid) end)
) as a (attr, value)
where
    p.pronamespace in (table pg_temp.described_namespace)
    and ('pg_proc'::regclass, p.oid) not in (table pg_temp.extension_member)
"""

QUERIES["triggers"] = """
select format('trigger %I on %s', tg.tgname, tg.tgrelid::regclass), a.attr, a.value
from pg_trigger as tg
join pg_class as c on c.oid = tg.tgrelid
cross join lateral (values
    ('definition', pg_get_triggerdef(tg.oid)),
    ('enabled', case tg.tgenabled when 'O' then 'origin' when 'D' then 'disabled'
        when 'R' then 'replica' when 'A' then 'always' end),
    ('comment', obj_description(tg.oid, 'pg_trigger'))
) as a (attr, value)
where
    not tg.tgisinternal
    and c.relnamespace in (table pg_temp.described_namespace)
    and ('pg_class'::regclass, c.oid) not in (table pg_temp.extension_member)
"""

QUERIES["views"] = """
select
    format('%s %s', case c.relkind when 'm' then 'materialized view' else 'view' end,
        c.oid::regclass),
    a.attr, a.value
from pg_class as c
cross join lateral (values
    ('definition', pg_get_viewdef(c.oid, true)),
    ('options', pg_temp.sorted(c.reloptions)),
    ('populated', case when c.relkind = 'm' then c.relispopulated::text end),
    ('owner', pg_get_userbyid(c.relowner)::text),
    ('acl', pg_temp.acl(c.relacl, 'r', c.relowner)),
    ('comment', obj_description(c.oid, 'pg_class'))
) as a (attr, value)
where
    c.relkind in ('v', 'm')
    and c.relnamespace in (table pg_temp.described_namespace)
    and ('pg_class'::regclass, c.oid) not in (table pg_temp.extension_member)
"""

# Enums, composite types (their attributes are in "columns"), domains (their CHECKs are in
# "constraints"), ranges. Not array types, nor the row type every table has.
QUERIES["types"] = """
select
    format('%s %s', case t.typtype when 'e' then 'enum' when 'c' then 'composite type'
        when 'd' then 'domain' when 'r' then 'range type' else 'type' end, t.oid::regtype),
    a.attr, a.value
from pg_type as t
cross join lateral (values
    ('labels', (select string_agg(quote_literal(e.enumlabel), ', ' order by e.enumsortorder)
        from pg_enum as e where e.enumtypid = t.oid)),
    ('domain', case when t.typtype = 'd' then concat_ws(' ',
        format_type(t.typbasetype, t.typtypmod),
        case when t.typcollation <> 0 then 'collate ' || t.typcollation::regcollation end,
        case when t.typnotnull then 'not null' end,
        'default ' || pg_get_expr(t.typdefaultbin, 0)) end),
    ('range', (select format('subtype %s', r.rngsubtype::regtype) from pg_range as r
        where r.rngtypid = t.oid)),
    ('owner', pg_get_userbyid(t.typowner)::text),
    ('acl', pg_temp.acl(t.typacl, 'T', t.typowner)),
    ('comment', obj_description(t.oid, 'pg_type'))
) as a (attr, value)
where
    t.typnamespace in (table pg_temp.described_namespace)
    and ('pg_type'::regclass, t.oid) not in (table pg_temp.extension_member)
    and not exists (select from pg_type as el where el.typarray = t.oid)
    and (t.typrelid = 0 or (select c.relkind from pg_class as c where c.oid = t.typrelid) = 'c')
    and t.typtype <> 'm'  -- a range's multirange comes with it
"""

QUERIES["sequences"] = """
select format('sequence %s', c.oid::regclass), a.attr, a.value
from pg_class as c
join pg_sequence as s on s.seqrelid = c.oid
cross join lateral (values
    ('definition', format('%s start %s increment %s min %s max %s cache %s%s',
        s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
        case when s.seqcycle then ' cycle' else '' end)),
    ('owned by', (select format('%s.%I', d.refobjid::regclass, att.attname)
        from pg_depend as d
        join pg_attribute as att on att.attrelid = d.refobjid and att.attnum = d.refobjsubid
        where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i')
        and d.refobjsubid > 0)),
    ('owner', pg_get_userbyid(c.relowner)::text),
    ('acl', pg_temp.acl(c.relacl, 's', c.relowner)),
    ('comment', obj_description(c.oid, 'pg_class'))
) as a (attr, value)
where
    c.relnamespace in (table pg_temp.described_namespace)
    and ('pg_class'::regclass, c.oid) not in (table pg_temp.extension_member)
"""

# Name and schema, not the version: that is the machine's, not the tree's.
QUERIES["extensions"] = """
select format('extension %I', x.extname), 'schema', x.extnamespace::regnamespace::text
from pg_extension as x
"""

# What a tree changed on an extension's own objects, e.g. `grant usage on schema cron`.
QUERIES["extension grants"] = """
with member as (
    select x.extname, d.classid, d.objid,
        case d.classid
            when 'pg_class'::regclass then (select relacl from pg_class where oid = d.objid)
            when 'pg_proc'::regclass then (select proacl from pg_proc where oid = d.objid)
            when 'pg_namespace'::regclass then
                (select nspacl from pg_namespace where oid = d.objid)
            when 'pg_type'::regclass then (select typacl from pg_type where oid = d.objid)
        end as acl
    from pg_depend as d
    join pg_extension as x on x.oid = d.refobjid
    where d.deptype = 'e' and d.refclassid = 'pg_extension'::regclass
)
select format('extension %I member %s', m.extname, pg_describe_object(m.classid, m.objid, 0)),
    'acl', coalesce(pg_temp.sorted(m.acl), 'default')
from member as m
left join pg_init_privs as ip
    on ip.classoid = m.classid and ip.objoid = m.objid and ip.objsubid = 0
where m.acl is distinct from ip.initprivs
"""

# Row-level security policies (an extension's own, like pg_cron's on cron.job, are its own).
QUERIES["policies"] = """
select format('policy %I on %s', p.policyname, c.oid::regclass), 'definition',
    concat_ws(' ', p.permissive, 'for', p.cmd, 'to', pg_temp.sorted(p.roles),
        'using (' || p.qual || ')', 'with check (' || p.with_check || ')')
from pg_policies as p
join pg_class as c on c.oid = format('%I.%I', p.schemaname, p.tablename)::regclass
where
    c.relnamespace in (table pg_temp.described_namespace)
    and ('pg_class'::regclass, c.oid) not in (table pg_temp.extension_member)
"""

QUERIES["default privileges"] = """
select
    format('default privileges of %s in %s on %s', d.defaclrole::regrole,
        coalesce(d.defaclnamespace::regnamespace::text, 'every schema'),
        case d.defaclobjtype when 'r' then 'tables' when 'S' then 'sequences'
            when 'f' then 'functions' when 'T' then 'types' when 'n' then 'schemas' end),
    'acl', pg_temp.sorted(d.defaclacl)
from pg_default_acl as d
"""

QUERIES["event triggers"] = """
select format('event trigger %I', e.evtname), a.attr, a.value
from pg_event_trigger as e
cross join lateral (values
    ('definition', format('on %s tags %s execute %s', e.evtevent, pg_temp.sorted(e.evttags),
        e.evtfoid::regprocedure)),
    ('enabled', e.evtenabled::text),
    ('owner', pg_get_userbyid(e.evtowner)::text),
    ('comment', obj_description(e.oid, 'pg_event_trigger'))
) as a (attr, value)
"""

# Roles and the database's own settings and grants: cluster-wide, so initdb's and the shim's
# are in the baseline; listed in case a tree adds a role or an `alter database ... set`.
QUERIES["roles"] = """
select format('role %I', r.rolname), a.attr, a.value
from pg_roles as r
cross join lateral (values
    ('attributes', format('login=%s super=%s inherit=%s createrole=%s createdb=%s bypassrls=%s',
        r.rolcanlogin, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls)),
    ('config', pg_temp.sorted(r.rolconfig)),
    ('member of', (select string_agg(m.roleid::regrole::text, ', ' order by m.roleid::regrole::text)
        from pg_auth_members as m where m.member = r.oid))
) as a (attr, value)
where r.rolname !~ '^pg_'
"""

QUERIES["database"] = """
select 'database', a.attr, a.value
from pg_database as db
cross join lateral (values
    ('acl', pg_temp.acl(db.datacl, 'd', db.datdba)),
    ('settings', (select pg_temp.sorted(s.setconfig) from pg_db_role_setting as s
        where s.setdatabase = db.oid and s.setrole = 0))
) as a (attr, value)
where db.datname = current_database()
"""

# pg_cron's jobs: by name (the job id is a counter). Only once a tree created the extension.
CRON_JOBS = """
select format('cron job %s', coalesce(quote_ident(j.jobname), quote_literal(j.command))),
    a.attr, a.value
from cron.job as j
cross join lateral (values
    ('schedule', j.schedule),
    ('command', j.command),
    ('database', j.database),
    ('username', j.username),
    ('active', j.active::text)
) as a (attr, value)
"""


def describe(connection: Connection) -> set[Row]:
    """Every (object, attribute, value) of the database; attributes without a value are left out."""
    connection.execute(SESSION_HELPERS)
    queries = list(QUERIES.values())
    if connection.execute("select to_regclass('cron.job') is not null").fetchone() == (True,):
        queries.append(CRON_JOBS)
    rows: set[Row] = set()
    for query in queries:
        for name, attr, value in connection.execute(query):
            if value is not None:
                rows.add((name, attr, value))
    return rows


def render(rows: set[Row]) -> list[str]:
    """Sorted lines; a multi-line value (a function body, a view) gets one line per line, each
    carrying the object's name so any hunk of the diff says which object it is."""
    lines = []
    for name, attr, value in sorted(rows):
        value_lines = [line.rstrip() for line in value.rstrip().splitlines()] or [""]
        if len(value_lines) == 1:
            lines.append(f"{name} {attr}: {value_lines[0]}")
        else:
            lines.extend(f"{name} {attr} | {line}" for line in value_lines)
    return lines


# ---------------------------------------------------------------------------------------------
# No forward references: run after each schemas file.

# Each PL/pgSQL function of the trees, and for a trigger function each table it is attached to
# (plpgsql_check needs the table to resolve NEW and OLD, and the names of its transition
# tables; one attached nowhere yet is skipped).
PLPGSQL_FUNCTIONS = """
select
    p.oid, p.oid::regprocedure::text, coalesce(tg.tgrelid, 0), tg.tgrelid::regclass::text,
    tg.tgnewtable, tg.tgoldtable
from pg_proc as p
join pg_language as l on l.oid = p.prolang and l.lanname = 'plpgsql'
left join pg_trigger as tg on tg.tgfoid = p.oid and not tg.tgisinternal
where
    p.pronamespace in (table pg_temp.described_namespace)
    and ('pg_proc'::regclass, p.oid) not in (table pg_temp.extension_member)
    and (p.prorettype <> 'trigger'::regtype or tg.tgrelid is not null)
order by 2, 4
"""


def forward_references(connection: Connection, schema_file: Path, seen: set[str]) -> list[str]:
    """plpgsql_check's errors (not warnings) for every function that exists so far. `seen`
    keeps a finding to the first file where it appears."""
    (check_schema,) = connection.execute(
        "select extnamespace::regnamespace::text from pg_extension where extname = 'plpgsql_check'"
    ).fetchone() or ("",)
    check = sql.SQL(
        "select message from {}.plpgsql_check_function_tb("
        "%s::oid, %s::oid, newtable => %s, oldtable => %s) where level = 'error'"
    ).format(sql.Identifier(check_schema))
    findings = []
    for oid, function, relid, table, new_table, old_table in connection.execute(
        PLPGSQL_FUNCTIONS
    ).fetchall():
        subject = f"{function} (trigger on {table})" if table else function
        try:
            messages = [
                message
                for (message,) in connection.execute(check, (oid, relid, new_table, old_table))
            ]
        except psycopg.Error as error:  # plpgsql_check itself gave up on the function
            messages = [str(error).strip()]
        for message in messages:
            finding = f"function {subject} refers to something defined later: {message}"
            if finding not in seen:
                seen.add(finding)
                findings.append(f"{shown(schema_file)}: {finding}")
    return findings


# ---------------------------------------------------------------------------------------------
# Builds


@dataclass
class Build:
    label: str
    baseline: set[Row]  # after the shim alone: what the trees did not create
    rows: set[Row]
    forward_references: list[str]


def tree_files(directory: Path) -> list[Path]:
    """The tree's .sql files in lexical order (the order both Supabase and this check apply)."""
    if not directory.is_dir():
        raise BuildError(f"{shown(directory)} is not a directory")
    files = [path.absolute() for path in sorted(directory.glob("*.sql"))]  # psql runs in ROOT
    if not files:
        raise BuildError(f"no .sql files in {shown(directory)}")
    return files


def build(clusters: Clusters, label: str, files: list[Path], check_references: bool) -> Build:
    """Shim, then each file of the tree; returns the description, before and after the tree."""
    with clusters.new(label) as cluster:
        cluster.psql(SHIM)
        with cluster.connect() as connection:
            # The shim creates plpgsql_check already; made sure of in both builds alike, so it
            # is in both baselines.
            connection.execute("create extension if not exists plpgsql_check schema extensions")
            baseline = describe(connection)
        references: list[str] = []
        seen: set[str] = set()
        # The database's own search_path, like tests/sql and the API: a function without
        # `set search_path` resolves its names with it.
        with cluster.connect(qualified_names=False) as connection:
            connection.execute(SESSION_HELPERS)
            for path in files:
                clusters.check()
                cluster.psql(path, single_transaction=label == "migrations")
                if check_references:
                    references += forward_references(connection, path, seen)
        with cluster.connect() as connection:
            rows = describe(connection)
    return Build(label, baseline, rows, references)


def build_both(migrations: Path, schemas: Path) -> tuple[Build, Build]:
    """The two builds in parallel; the first failure (or Ctrl-C) stops the other one."""
    migration_files, schema_files = tree_files(migrations), tree_files(schemas)
    clusters = Clusters()
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures: list[Future[Build]] = [
            pool.submit(build, clusters, "migrations", migration_files, False),
            pool.submit(build, clusters, "schemas", schema_files, True),
        ]
        try:
            wait(futures, return_when=FIRST_EXCEPTION)
            if any(f.done() and f.exception() for f in futures):
                clusters.cancel()
            wait(futures)
        except BaseException:  # Ctrl-C / SIGTERM: stop the clusters before leaving
            clusters.cancel()
            raise
        for future in futures:
            error = future.exception()
            if error is not None and not isinstance(error, Cancelled):
                raise error
        return futures[0].result(), futures[1].result()


def compare(migrations: Build, schemas: Build) -> tuple[list[str], list[str], int]:
    """Both descriptions without what the shim made and neither tree touched, and how many
    objects that leaves."""
    untouched = migrations.baseline & schemas.baseline & migrations.rows & schemas.rows
    rows_m, rows_s = migrations.rows - untouched, schemas.rows - untouched
    return render(rows_m), render(rows_s), len({name for name, _, _ in rows_m | rows_s})


def raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.check_schema",
        description="Build the migrations and the schemas tree on throwaway clusters and "
        "check they give the same database, and that no schemas file refers forward.",
    )
    parser.add_argument("--migrations", type=Path, default=ROOT / "supabase" / "migrations")
    parser.add_argument("--schemas", type=Path, default=ROOT / "supabase" / "schemas")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("schema check: run as root (the clusters run as postgres through runuser)")
        return 2
    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)
    remove_stale_runs()
    try:
        migrations, schemas = build_both(args.migrations, args.schemas)
    except BuildError as error:
        print(f"schema check: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("schema check: interrupted (the throwaway clusters are stopped)", file=sys.stderr)
        return 130
    lines_m, lines_s, objects = compare(migrations, schemas)
    status = 0
    if lines_m != lines_s:
        diff = difflib.unified_diff(lines_m, lines_s, "migrations", "schemas", lineterm="")
        sys.stdout.writelines(line + "\n" for line in diff)
        print("schema check: migrations and schemas build different databases (diff above)")
        status = 1
    for finding in schemas.forward_references:
        print(finding)
    if schemas.forward_references:
        count = len(schemas.forward_references)
        print(f"schema check: {count} forward reference(s) in {shown(args.schemas)} (above)")
        status = 1
    if status == 0:
        print(f"schema check: migrations and schemas build the same database ({objects} objects)")
    return status


if __name__ == "__main__":
    sys.exit(main())
