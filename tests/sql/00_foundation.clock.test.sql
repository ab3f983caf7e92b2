-- One clock (issue 19): every rule reads walltrack.clock(); a replay or a test sets it for
-- its own transaction, never backwards, never where WallTrack trades for real; and no
-- function, default, view or constraint reads time another way.
begin;
select plan(19);

select is(walltrack.clock(), now(), 'unset, the clock is the transaction''s time');

select is(
  walltrack.set_clock('2025-11-28 12:00:00+00'), '2025-11-28 12:00:00+00'::timestamptz,
  'a test sets the clock for its transaction'
);
select is(walltrack.clock(), '2025-11-28 12:00:00+00'::timestamptz, 'every rule now reads it');
select is(
  walltrack.clock_precise(), '2025-11-28 12:00:00+00'::timestamptz,
  'ordered event times follow it (unset, they are the wall clock)'
);
select lives_ok(
  $$ select walltrack.record_fault('clock-test', 'subject', 'P0001', 'a fault') $$,
  'a fault is recorded'
);
select is(
  (select first_seen_at from walltrack.faults where source = 'clock-test'),
  '2025-11-28 12:00:00+00'::timestamptz, 'and table defaults read the clock too'
);
select throws_ok(
  $$ select walltrack.set_clock('2025-11-28 11:59:59+00') $$, '23514',
  'the clock cannot go backwards within a session: 2025-11-28 11:59:59+00 is before '
  || '2025-11-28 12:00:00+00',
  'it never goes backwards within a session'
);

-- A time exit fires at the clock's time, not the wall clock's: open at 12:00, tick at 12:02.
create function pg_temp.open_flat(mint text) returns bigint language plpgsql as $$
declare
  position_id bigint;
begin
  perform tests.safe_token(mint);
  perform api.ingest_swaps(jsonb_build_array(jsonb_set(tests.swap_tx(
    'clock' || mint, (select address from walltrack.wallets where label = 'whale-alpha'),
    'buy', mint, 100000000, 100000000), '{timestamp}',
    to_jsonb(extract(epoch from walltrack.clock())::bigint))));
  select id into strict position_id from walltrack.positions where token_mint = mint;
  update walltrack.positions set exit_strategy_override = '{"time_exit_minutes": 1}'
  where id = position_id;
  return position_id;
end;
$$;
update walltrack.config set sim_slippage_bps = 0, sim_fee_lamports = 0,
  max_positions_per_token = 100, max_open_positions = 1000;
select pg_temp.open_flat(rpad('Ck', 44, '1')) as flat \gset
select is(
  (select opened_at from walltrack.positions where id = :flat),
  '2025-11-28 12:00:00+00'::timestamptz, 'the copy opens at the clock''s time'
);
select walltrack.set_clock('2025-11-28 12:02:00+00');
select api.apply_prices(jsonb_build_array(jsonb_build_object(
  'mint', rpad('Ck', 44, '1'), 'price_sol', 0.001, 'observed_at', walltrack.clock())));
select is(
  (select close_reason::text from walltrack.positions where id = :flat), 'time_exit',
  'two clock minutes later the one-minute time exit fires, with no wall-clock wait'
);

-- Where WallTrack trades for real, the clock is not set.
update walltrack.config set live_trading_enabled = true;
select throws_ok(
  $$ select walltrack.set_clock('2025-11-28 13:00:00+00') $$, '23514',
  'the clock is set only where nothing trades for real: live trading is on (on a real chain: '
  || 'config.simulated_chain is off), or this database is marked production '
  || '(config.production)',
  'live trading on refuses it'
);
update walltrack.config set simulated_chain = true;
select lives_ok(
  $$ select walltrack.set_clock('2025-11-28 13:00:00+00') $$,
  'live trading on the simulator''s chain (the offline stack, the demo) allows it'
);

-- PostgREST's pre-request hook on the offline stack: a request's X-WallTrack-Clock header.
select set_config('request.headers', '{"x-walltrack-clock": "2025-11-28T13:05:00+00:00"}', true);
select walltrack.clock_from_request();
select is(
  walltrack.clock(), '2025-11-28 13:05:00+00'::timestamptz,
  'a request carrying X-WallTrack-Clock runs at that time'
);
select set_config('request.headers', '{"content-type": "application/json"}', true);
select walltrack.clock_from_request();
select is(
  walltrack.clock(), '2025-11-28 13:05:00+00'::timestamptz,
  'a request without it changes nothing'
);
select set_config('request.headers', '{"x-walltrack-clock": "yesterday-ish"}', true);
select throws_ok(
  $$ select walltrack.clock_from_request() $$, '22007', null,
  'a header that is not a time is refused'
);

update walltrack.config set live_trading_enabled = false, simulated_chain = false,
  production = true;
select throws_ok(
  $$ select walltrack.set_clock('2025-11-28 14:00:00+00') $$, '23514', null,
  'a production database refuses it'
);
select throws_ok(
  $$ update walltrack.config set simulated_chain = true $$, '23514',
  'config.simulated_chain cannot be on in production: a production database trades on the '
  || 'real chain',
  'and cannot be declared a simulated chain'
);
select throws_ok(
  $$ update walltrack.config set production = false $$, '23514',
  'config.production cannot be turned off: a production database keeps its one clock',
  'and stays production'
);

-- Nothing reads time another way: function bodies, column defaults, views, constraints.
select is_empty(
  $$ select p.oid::regprocedure::text from pg_proc as p
     join pg_namespace as n on n.oid = p.pronamespace
     where n.nspname in ('walltrack', 'api')
       and p.oid not in ('walltrack.clock()'::regprocedure,
         'walltrack.clock_precise()'::regprocedure)
       -- (comments left out: prose may say "now")
       and regexp_replace(p.prosrc, '--[^\n]*', '', 'g')
         ~* '\m(now|clock_timestamp|transaction_timestamp|statement_timestamp|timeofday)\s*\(|\mcurrent_(timestamp|date|time)\M|\mlocaltimestamp\M' $$,
  'no function but the clock reads now(), current_timestamp or the wall clock'
);
select is_empty(
  $$ select c.relname || '.' || a.attname || ': ' || pg_get_expr(d.adbin, d.adrelid)
     from pg_attrdef as d
     join pg_class as c on c.oid = d.adrelid
     join pg_attribute as a on a.attrelid = d.adrelid and a.attnum = d.adnum
     where c.relnamespace = 'walltrack'::regnamespace
       and pg_get_expr(d.adbin, d.adrelid) ~* '\m(now|clock_timestamp|transaction_timestamp|statement_timestamp)\s*\(|current_timestamp'
     union all
     select c.relname from pg_class as c
     where c.relnamespace = 'walltrack'::regnamespace and c.relkind in ('v', 'm')
       and pg_get_viewdef(c.oid) ~* '\m(now|clock_timestamp|transaction_timestamp|statement_timestamp)\s*\(|current_timestamp'
     union all
     select k.conname from pg_constraint as k
     where k.connamespace = 'walltrack'::regnamespace
       and pg_get_constraintdef(k.oid) ~* '\m(now|clock_timestamp|transaction_timestamp|statement_timestamp)\s*\(|current_timestamp' $$,
  'nor does any column default, view or constraint'
);

select * from finish();
rollback;
