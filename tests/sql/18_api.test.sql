begin;
select plan(22);

-- Catalog checks: what the API personas could reach at all.
select is_empty(
  $$ select r.rolname, n.nspname from pg_roles as r
     cross join pg_namespace as n
     where r.rolname in ('anon', 'authenticated') and n.nspname in ('walltrack', 'api')
       and has_schema_privilege(r.rolname, n.oid, 'usage') $$,
  'anon and authenticated have no usage on the project schemas'
);
select is_empty(
  $$ select r.rolname, c.oid::regclass::text from pg_roles as r
     cross join pg_class as c
     join pg_namespace as n on n.oid = c.relnamespace
     where r.rolname in ('anon', 'authenticated') and n.nspname in ('walltrack', 'api')
       and c.relkind in ('r', 'p', 'v', 'm', 'f')
       and has_table_privilege(r.rolname, c.oid,
         'select, insert, update, delete, truncate, references, trigger') $$,
  'anon and authenticated hold no privilege on any table or view'
);
select is_empty(
  $$ select r.rolname, c.oid::regclass::text from pg_roles as r
     cross join pg_class as c
     join pg_namespace as n on n.oid = c.relnamespace
     where r.rolname in ('anon', 'authenticated') and n.nspname in ('walltrack', 'api')
       and c.relkind = 'S' and has_sequence_privilege(r.rolname, c.oid, 'usage, select, update') $$,
  'anon and authenticated hold no privilege on any sequence'
);
select is_empty(
  $$ select r.rolname, p.oid::regprocedure::text from pg_roles as r
     cross join pg_proc as p
     join pg_namespace as n on n.oid = p.pronamespace
     where r.rolname in ('anon', 'authenticated') and n.nspname in ('walltrack', 'api')
       and has_function_privilege(r.rolname, p.oid, 'execute') $$,
  'anon and authenticated can execute no function'
);
select is_empty(
  $$ select p.oid::regprocedure::text from pg_proc as p
     join pg_namespace as n on n.oid = p.pronamespace
     where n.nspname = 'api' and not has_function_privilege('service_role', p.oid, 'execute') $$,
  'service_role can execute every api function'
);
-- The api functions are security invoker: whatever they call runs as service_role too. Only
-- the schedule's own jobs (run by pg_cron as the owner) are kept from it.
select is_empty(
  $$ select p.oid::regprocedure::text from pg_proc as p
     join pg_namespace as n on n.oid = p.pronamespace
     where n.nspname = 'walltrack' and p.prorettype <> 'trigger'::regtype
       and p.proname not in ('release_expired_leases', 'purge_expired_tokens', 'refresh_performance')
       and not has_function_privilege('service_role', p.oid, 'execute') $$,
  'service_role can execute every walltrack function the api may reach'
);

-- Real attempts, as PostgREST would make them.
select tests.act_as('anon');
select throws_ok($$ select * from walltrack.config $$, '42501', null, 'anon cannot read config');
select throws_ok(
  $$ insert into walltrack.wallets (address) values ('AnonWa11et111111111111111111111111111111111') $$,
  '42501', null, 'anon cannot add a wallet'
);
select throws_ok($$ select api.overview() $$, '42501', null, 'anon cannot call the API');
select throws_ok(
  $$ select * from walltrack.performance $$, '42501', null, 'anon cannot read the scoreboard'
);
select tests.act_as_operator();

select tests.act_as('authenticated');
select throws_ok(
  $$ select * from walltrack.signals $$, '42501', null, 'authenticated cannot read signals'
);
select throws_ok(
  $$ update walltrack.config set trading_enabled = false $$, '42501', null,
  'authenticated cannot edit config'
);
select throws_ok($$ select api.overview() $$, '42501', null, 'authenticated cannot call the API');
select tests.act_as_operator();

select tests.act_as('service_role');
select ok(
  (select (api.overview() ->> 'exit_strategies')::int >= 3), 'service_role can call the API'
);
select throws_ok(
  $$ delete from walltrack.wallets $$, '42501', null,
  'service_role cannot delete wallets (not granted)'
);
select tests.act_as_operator();

-- The floors: the api schema is the RPC surface and nothing else. Each function is one thin
-- SQL entry point over the walltrack function that holds the rule; nothing inside the
-- database calls an api function; no overloads (PostgREST resolves calls by argument names).
select is_empty(
  $$ select p.proname from pg_proc as p where p.pronamespace = 'api'::regnamespace
     group by p.proname having count(*) > 1 $$,
  'no api function is overloaded'
);
select is_empty(
  $$ select p.oid::regprocedure::text from pg_proc as p
     where p.pronamespace = 'api'::regnamespace
       and not (
         p.prolang = (select l.oid from pg_language as l where l.lanname = 'sql')
         and p.prosrc ~ '^\s*select walltrack\.\w+\([^;]*\);\s*$'
       ) $$,
  'every api function is one SQL select of a walltrack function'
);
-- PL/pgSQL bodies: plpgsql_check resolves what each body really calls (a hint that names
-- api.reset_circuit_breaker for the operator is text, not a call).
select is_empty(
  $$ select p.oid::regprocedure::text, d.name
     from pg_proc as p
     join pg_language as l on l.oid = p.prolang and l.lanname = 'plpgsql'
     left join lateral (
       select t.tgrelid from pg_trigger as t where t.tgfoid = p.oid limit 1
     ) as trg on true
     cross join lateral plpgsql_show_dependency_tb(p.oid, coalesce(trg.tgrelid, 0)) as d
     where p.pronamespace = 'walltrack'::regnamespace and d.type = 'FUNCTION'
       and d.schema = 'api' $$,
  'no walltrack PL/pgSQL function or trigger calls an api function'
);
select is_empty(
  $$ select p.oid::regprocedure::text from pg_proc as p
     join pg_language as l on l.oid = p.prolang and l.lanname = 'sql'
     where p.pronamespace = 'walltrack'::regnamespace
       and regexp_replace(p.prosrc, '''[^'']*''', '', 'g') ~ '\mapi\.' $$,
  'no walltrack SQL function calls an api function'
);
select is_empty(
  $$ select d.classid::regclass::text, d.objid from pg_depend as d
     join pg_proc as p on p.oid = d.refobjid and d.refclassid = 'pg_proc'::regclass
     where p.pronamespace = 'api'::regnamespace $$,
  'no view, constraint, default or trigger depends on an api function'
);
select is_empty(
  $$ select j.jobname from cron.job as j where j.command ~ '\mapi\.' $$,
  'no scheduled job calls an api function'
);
-- The plpgsql dependency check can fail: a planted call is seen.
create function walltrack.calls_api_on_purpose() returns jsonb
language plpgsql set search_path = '' as $$
begin
  return api.overview();
end;
$$;
select ok(
  exists (
    select from plpgsql_show_dependency_tb('walltrack.calls_api_on_purpose()'::regprocedure) as d
    where d.type = 'FUNCTION' and d.schema = 'api'
  ),
  'a planted call from walltrack into api is seen'
);
drop function walltrack.calls_api_on_purpose();

select * from finish();
rollback;
