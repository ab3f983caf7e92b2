begin;
select plan(14);

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

select * from finish();
rollback;
