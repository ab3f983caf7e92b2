-- Landing: the priority fee from the network's recent fees (percentile, cap, fallback), the
-- Jito tip's floor, and every landed attempt's fees charged to its position exactly once,
-- failed attempts included.
begin;
select plan(29);

update walltrack.config set live_trading_enabled = true, order_max_attempts = 3,
  retry_backoff_seconds = 2, priority_fee_lamports = 10000, priority_fee_percentile = 75,
  priority_fee_compute_units = 200000, priority_fee_max_lamports = 1000000,
  max_open_positions = 1000000, max_total_exposure_sol = 1000000;

-- The priority fee. Samples are micro-lamports per compute unit; 200,000 units are priced.
select is(walltrack.priority_fee('{}'), 10000::bigint,
  'no samples: the configured fallback (priority_fee_lamports)');
select is(walltrack.priority_fee(null), 10000::bigint, 'no answer at all: the fallback too');
-- Sorted: 0, 100, 500, 2000, 1000000. p75 of 5 is rank ceil(3.75) = 4: 2000 micro-lamports,
-- x 200,000 units / 1e6 = 400 lamports.
select is(walltrack.priority_fee('{0,100,2000,500,1000000}'), 400::bigint,
  'p75 (nearest rank 4 of 5): 2000 micro-lamports x 200,000 units = 400 lamports');
-- p50 of 4 is rank ceil(2.0) = 2: 20 micro-lamports x 200,000 / 1e6 = 4 lamports.
update walltrack.config set priority_fee_percentile = 50;
select is(walltrack.priority_fee('{40,10,30,20}'), 4::bigint,
  'p50 of four samples is the second: 20 x 200,000 / 1e6 = 4 lamports');
update walltrack.config set priority_fee_percentile = 100;
select is(walltrack.priority_fee('{0,100,2000,500,1000000}'), 200000::bigint,
  'p100 follows the spike: 1,000,000 x 200,000 / 1e6 = 200,000 lamports');
update walltrack.config set priority_fee_max_lamports = 100000;
select is(walltrack.priority_fee('{0,100,2000,500,1000000}'), 100000::bigint,
  'but never past the cap (priority_fee_max_lamports 100,000)');
update walltrack.config set priority_fee_max_lamports = 5000;
select is(walltrack.priority_fee('{}'), 5000::bigint, 'the fallback is capped too');
update walltrack.config set priority_fee_percentile = 1, priority_fee_max_lamports = 1000000;
select is(walltrack.priority_fee('{0,100,2000,500,1000000}'), 0::bigint,
  'p1 is the lowest sample: a slot where nothing more than the base fee was paid');
update walltrack.config set priority_fee_percentile = 75, priority_fee_compute_units = 200001;
select is(walltrack.priority_fee('{3}'), 1::bigint,
  'lamports are rounded up as the runtime rounds: 3 x 200,001 / 1e6 = 0.600003 -> 1');
update walltrack.config set priority_fee_compute_units = 200000;
select throws_like($$ select walltrack.priority_fee('{5,-1}') $$,
  '%samples must be micro-lamports >= 0%', 'a negative sample is refused');
select throws_like($$ update walltrack.config set priority_fee_percentile = 0 $$,
  '%priority_fee_percentile must be within 1..100 (got 0)%', 'a percentile of 0 is refused');
select throws_like($$ update walltrack.config set priority_fee_max_lamports = -1 $$,
  '%priority_fee_max_lamports within 0..50000000%', 'a negative cap is refused');
select throws_like($$ update walltrack.config set jito_tip_lamports = 999 $$,
  '%jito_tip_lamports must be at least 1000 (Jito''s minimum tip) or empty, got 999%',
  'a tip below Jito''s minimum is refused');
select lives_ok($$ update walltrack.config set jito_tip_lamports = 1000 $$,
  'Jito''s minimum tip is accepted');
update walltrack.config set jito_tip_lamports = null;

-- Every attempt's fees. A live buy of 0.1 SOL.
create temporary table fixture as select tests.new_wallet('landing') as wallet_id;
update walltrack.wallets set mode = 'live', position_size_sol = 0.1
where id = (select wallet_id from fixture);
select tests.safe_token(rpad('Landing', 44, '1'));
create temporary table buy as select (api.ingest_swaps(jsonb_build_array(tests.swap_tx(
  'landing', (select w.address from walltrack.wallets as w
    where w.id = (select wallet_id from fixture)),
  'buy', rpad('Landing', 44, '1'), 1000000000, 1000000000
))) #>> '{live_orders,0}')::bigint as order_id;

create function pg_temp.attempt(order_id bigint, seed text) returns void language sql as $$
  update walltrack.orders set next_attempt_at = now() where id = order_id;
  select api.claim_orders('worker', array[order_id]);
  select api.record_signed(order_id, 'worker', tests.signature(seed), 280000150, 99000000,
    97000000, 10000, null);
$$;

-- A failure the chain reports, with the fee the transaction paid (meta.fee).
create function pg_temp.failed_on_chain(order_id bigint, seed text) returns jsonb
language sql as $$
  select api.record_confirmations('[]', jsonb_build_array(jsonb_build_object(
    'order_id', order_id, 'tx_signature', tests.signature(seed),
    'error_class', 'slippage_exceeded', 'detail', 'failed on chain', 'fee_lamports', 15000
  )), '[]', '[]', 280000000);
$$;

create function pg_temp.money(order_id bigint) returns table (
  status text, cost_basis_sol numeric, realized_pnl_sol numeric, open_cost_sol numeric
) language sql as $$
  select p.status::text, p.cost_basis_sol, p.realized_pnl_sol, walltrack.position_open_cost_sol(p)
  from walltrack.positions as p
  where p.id = (select o.position_id from walltrack.orders as o where o.id = order_id);
$$;

select pg_temp.attempt((select order_id from buy), 'LandFail1');
select is(pg_temp.failed_on_chain((select order_id from buy), 'LandFail1')
  ->> (select order_id from buy)::text, 'pending', 'a failed attempt that landed is retried');
select results_eq(
  $$ select network_fee_lamports, priority_fee_lamports, error_class
     from walltrack.failed_attempt_fees where tx_signature = tests.signature('LandFail1') $$,
  $$ values (5000::bigint, 10000::bigint, 'slippage_exceeded') $$,
  'its fee is recorded, split as a fill''s: 15,000 = 5,000 network + 10,000 priority'
);
-- 15,000 lamports = 0.000015 SOL: in the cost and realized at once; nothing is held yet.
select results_eq($$ select * from pg_temp.money((select order_id from buy)) $$,
  $$ values ('opening', 0.000015::numeric, -0.000015::numeric, 0::numeric) $$,
  'and charged to the position: cost up, realized PnL down by 0.000015 SOL, open cost 0');
select is(
  (select attempt_log -> 0 ->> 'fee_lamports' || '|' || (attempt_log -> 0 ->> 'outcome')
   from walltrack.orders where id = (select order_id from buy)),
  '15000|slippage_exceeded', 'the attempt log keeps the fee its attempt paid');
select is(pg_temp.failed_on_chain((select order_id from buy), 'LandFail1')
  ->> (select order_id from buy)::text, 'fault',
  'the same failure confirmed twice is refused (the order moved on)');
select is(walltrack.record_failed_attempt_fee((select order_id from buy),
  tests.signature('LandFail1'), 15000, 'slippage_exceeded'), false,
  'and its fee is never charged a second time');
select results_eq($$ select cost_basis_sol, realized_pnl_sol from pg_temp.money(
    (select order_id from buy)) $$,
  $$ values (0.000015::numeric, -0.000015::numeric) $$, 'the position is charged once');
select throws_like(
  format($$ insert into walltrack.failed_attempt_fees (tx_signature, order_id, position_id,
      network_fee_lamports, priority_fee_lamports, error_class)
    values (%L, %s, %s, 5000, 0, 'typed') $$, tests.signature('Typed'),
    (select order_id from buy), (select position_id from walltrack.orders
      where id = (select order_id from buy))),
  '%fees are recorded from the chain by confirm-orders, never typed in%',
  'a fee typed in Studio is refused');

-- The second attempt fills: its own fee goes with the fill.
select pg_temp.attempt((select order_id from buy), 'LandFill2');
select api.record_fill((select order_id from buy), tests.signature('LandFill2'), 100000000,
  98010000, 15000);
-- cost 0.000015 + 0.1 + 0.000015; open cost 0.100015 (the failed fee is already realized).
select results_eq($$ select * from pg_temp.money((select order_id from buy)) $$,
  $$ values ('open', 0.100030::numeric, -0.000015::numeric, 0.100015::numeric) $$,
  'after a failed and a filled attempt: both fees in the cost, the failed one realized');

-- An exit: its first attempt lands and fails, its second fills.
select api.apply_prices(jsonb_build_array(jsonb_build_object(
  'mint', rpad('Landing', 44, '1'), 'price_sol', 0.0001, 'observed_at', now()
)));
create temporary table sell as select id as order_id from walltrack.orders
where position_id = (select position_id from walltrack.orders where id = (select order_id from buy))
  and side = 'sell';
select pg_temp.attempt((select order_id from sell), 'LandSellFail1');
select pg_temp.failed_on_chain((select order_id from sell), 'LandSellFail1');
select results_eq($$ select * from pg_temp.money((select order_id from buy)) $$,
  $$ values ('open', 0.100045::numeric, -0.000030::numeric, 0.100015::numeric) $$,
  'a failed exit attempt is charged to the open position: what is held costs the same');
select pg_temp.attempt((select order_id from sell), 'LandSellFill2');
select is(api.record_fill((select order_id from sell), tests.signature('LandSellFill2'),
  98010000, 9000000, 15000) ->> 'status', 'confirmed', 'the second exit attempt fills');
-- proceeds 0.009 - 0.000015 = 0.008985; realized -0.00003 + 0.008985 - 0.100015 = -0.09106,
-- which is proceeds - every lamport put in: 0.008985 - 0.100045.
select results_eq(
  $$ select p.status::text, p.proceeds_sol, p.realized_pnl_sol, p.proceeds_sol - p.cost_basis_sol
     from walltrack.positions as p where p.id = (select position_id from walltrack.orders
       where id = (select order_id from buy)) $$,
  $$ values ('closed', 0.008985::numeric, -0.091060::numeric, -0.091060::numeric) $$,
  'closed: realized PnL is the proceeds less everything paid, four attempts'' fees included');
select is(
  (select count(*)::integer from walltrack.failed_attempt_fees
   where order_id in ((select order_id from buy), (select order_id from sell))),
  2, 'one fee row per failed transaction that landed');

-- A failure known before anything landed (no fee given) charges nothing.
select is(
  (select count(*)::integer from walltrack.failed_attempt_fees
   where tx_signature = tests.signature('LandSellFill2')),
  0, 'a filled attempt''s fee stays on its order, never in failed_attempt_fees');
select throws_like(
  format($$ select walltrack.record_failed_attempt_fee(%s, %L, 5000, 'x') $$,
    (select order_id from sell), tests.signature('Elsewhere')),
  '%cannot be charged to it%', 'a fee for a transaction that is not the order''s is refused');

select * from finish();
rollback;
