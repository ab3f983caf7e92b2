begin;
select plan(12);

select tables_are(
  'walltrack',
  array[
    'config', 'exit_strategies', 'wallets', 'tokens', 'signals', 'orders', 'positions',
    'circuit_breaker_events', 'faults', 'chain_findings', 'failed_attempt_fees',
    'discovery_winners', 'discovery_winner_buys', 'discovery_candidates', 'candidate_swaps',
    'alerts', 'alert_deliveries', 'price_history', 'leader_pause_events'
  ],
  'walltrack holds the eight tables of the design, the faults its batches skipped, the '
  || 'chain reconciliation''s findings, the fees of failed live attempts, wallet '
  || 'discovery''s winners, their buys, candidates and candidates'' swaps, and the alerts '
  || 'outbox with its deliveries, the prices applied and each leader''s pauses'
);
select materialized_views_are(
  'walltrack', array['performance'], 'performance is a real materialized view'
);
select is_empty(
  $$ select c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
     where n.nspname in ('public', 'api') and c.relkind in ('r', 'v', 'm', 'p') $$,
  'no table or view lives in an exposed schema (public, api)'
);
select is_empty(
  $$ select c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
     where n.nspname = 'walltrack' and c.relkind in ('r', 'p') and not c.relrowsecurity $$,
  'guard: row level security is enabled on every walltrack table'
);
select is_empty(
  $$ select c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
     where n.nspname = 'walltrack' and c.relkind in ('r', 'p', 'm')
       and obj_description(c.oid, 'pg_class') is null $$,
  'every table and view carries a comment (Studio shows it)'
);
select is_empty(
  $$ select c.relname || '.' || a.attname
     from pg_class as c
     join pg_namespace as n on n.oid = c.relnamespace
     join pg_attribute as a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
     where n.nspname = 'walltrack' and c.relkind in ('r', 'p', 'm')
       and col_description(c.oid, a.attnum) is null $$,
  'every column carries a comment giving its rationale'
);
select is_empty(
  $$ select p.oid::regprocedure::text from pg_proc as p
     join pg_namespace as n on n.oid = p.pronamespace
     where n.nspname in ('walltrack', 'api') and obj_description(p.oid, 'pg_proc') is null $$,
  'every function carries a comment'
);
select is_empty(
  $$ select p.oid::regprocedure::text from pg_proc as p
     join pg_namespace as n on n.oid = p.pronamespace
     where n.nspname in ('walltrack', 'api')
       and not coalesce('search_path=""' = any(p.proconfig), false)
       -- The clock names pg_catalog in full instead: a pinned path would stop the planner
       -- from inlining it, and it runs once per row in the largest queries.
       and p.oid not in ('walltrack.clock()'::regprocedure,
         'walltrack.clock_precise()'::regprocedure) $$,
  'every function pins search_path to empty (the clock names its schemas in full)'
);
select ok(
  exists (
    select from supabase_migrations.schema_migrations as m where m.version = '20261202000000'
  ),
  'the Supabase CLI recorded the baseline migration it applied'
);
select col_type_is(
  'walltrack', 'positions', 'realized_pnl_sol', 'numeric', 'money is exact numeric, never float'
);

select is(
  array[walltrack.is_finite(1.5), walltrack.is_finite(null), walltrack.is_finite('NaN'),
    walltrack.is_finite('Infinity'), walltrack.is_finite('-Infinity')],
  array[true, true, false, false, false],
  'is_finite: numbers and null are finite, NaN and +/-Infinity are not'
);
select throws_ok(
  $$ select walltrack.ensure_finite('t', array['a', 'b'], array[1, 'NaN'::numeric]) $$,
  '23514', 't numbers must be finite: NaN and Infinity are not amounts (got b = NaN)',
  'ensure_finite names the first column that is not finite'
);

select * from finish();
rollback;
