-- Live execution's command log: leases, the signed transaction recorded before sending,
-- fills from the chain's view, retries as new attempts, final failures and write-offs.
begin;
select plan(48);

update walltrack.config set live_trading_enabled = true, default_slippage_bps = 300,
  max_slippage_bps = 500, order_max_attempts = 3, retry_backoff_seconds = 2,
  priority_fee_lamports = 10000, max_open_positions = 1000000, max_total_exposure_sol = 1000000;

create temporary table fixture as select tests.new_wallet('live one') as wallet_id;
update walltrack.wallets set mode = 'live', position_size_sol = 0.1
where id = (select wallet_id from fixture);

create function pg_temp.mint(seed text) returns text language sql as $$
  select rpad('Live' || seed, 44, '1');
$$;

-- The leader buys 1,000 tokens for 1 SOL: the copy is a pending live buy of 0.1 SOL.
create function pg_temp.copy(seed text) returns bigint language sql as $$
  select tests.safe_token(pg_temp.mint(seed));
  select (api.ingest_swaps(jsonb_build_array(tests.swap_tx(
    'live' || seed, (select w.address from walltrack.wallets as w
      where w.id = (select wallet_id from fixture)),
    'buy', pg_temp.mint(seed), 1000000000, 1000000000
  ))) #>> '{live_orders,0}')::bigint;
$$;

create function pg_temp.claimed(worker text) returns bigint[] language sql as $$
  select coalesce(array_agg((c ->> 'id')::bigint), '{}')
  from jsonb_array_elements(api.claim_orders(worker)) as c;
$$;

create function pg_temp.sign(order_id bigint, worker text, seed text) returns void
language sql as $$
  select api.record_signed(order_id, worker, tests.signature(seed), 280000150, 99000000, 97000000,
    10000, null);
$$;

create function pg_temp.state(order_id bigint) returns text language sql as $$
  select o.status || '/' || o.attempts || '/' || coalesce(o.tx_signature, '-')
  from walltrack.orders as o where o.id = order_id;
$$;

-- Happy path.
create temporary table happy as select pg_temp.copy('Happy') as order_id;
-- The operator tightens the slippage bound after the order was placed at 300 bps.
update walltrack.config set default_slippage_bps = 150, max_slippage_bps = 200;
select is(pg_temp.state((select order_id from happy)), 'pending/0/-',
  'a copied live buy waits, pending, for execute-orders');
select is(
  (select c -> 0 ->> 'slippage_bps' from api.claim_orders('worker-a') as c), '200',
  'the claim hands it over with its slippage bound capped at config.max_slippage_bps'
);
select is(pg_temp.claimed('worker-b'), '{}'::bigint[], 'a racing worker gets nothing');
select is(
  (select lease_owner || '/' || attempts from walltrack.orders
   where id = (select order_id from happy)),
  'worker-a/1', 'the order is leased to the first worker, as its first attempt'
);
select throws_like(
  format($$ select pg_temp.sign(%s, 'worker-b', 'Happy') $$, (select order_id from happy)),
  '%is not leased to worker-b any more%', 'a worker without the lease cannot record a send'
);
select pg_temp.sign((select order_id from happy), 'worker-a', 'Happy');
select is(pg_temp.state((select order_id from happy)), 'submitted/1/' || tests.signature('Happy'),
  'the signed transaction is recorded before it is sent');
select is(
  (select quoted_price_sol from walltrack.orders where id = (select order_id from happy)),
  round(0.1 / 99, 18), 'the quote''s price per whole token: 0.1 SOL for 99 tokens'
);
select is(
  (select count(*)::integer from jsonb_array_elements(api.orders_to_confirm()) as c
   where (c ->> 'id')::bigint = (select order_id from happy)),
  1, 'the confirmer is told to look it up'
);
select is(
  api.record_fill((select order_id from happy), tests.signature('Happy'), 100000000, 98010000,
    15000) ->> 'status',
  'confirmed', 'the chain''s fill confirms it'
);
select results_eq(
  format($$ select fill_price_sol, realized_slippage_bps, network_fee_lamports,
       priority_fee_lamports from walltrack.orders where id = %s $$, (select order_id from happy)),
  $$ values (round(0.1 / 98.01, 18), 100.00::numeric, 5000::bigint, 10000::bigint) $$,
  'fill price, slippage against the quote (98.01 for 99: 100 bps) and the fee split'
);
select results_eq(
  format($$ select status::text, qty_bought, cost_basis_sol from walltrack.positions
     where id = (select position_id from walltrack.orders where id = %s) $$,
     (select order_id from happy)),
  $$ values ('open', 98010000::numeric, 0.100015::numeric) $$,
  'the position opens with what the chain says was bought, fees in its cost'
);
select is(
  api.record_fill((select order_id from happy), tests.signature('Happy'), 100000000, 98010000,
    15000) ->> 'already',
  'true', 'recording the same fill again changes nothing'
);

-- A retryable failure: a new attempt after back-off, the old signature kept in the log.
create temporary table retried as select pg_temp.copy('Retry') as order_id;
select pg_temp.claimed('worker-a');
select pg_temp.sign((select order_id from retried), 'worker-a', 'Retry1');
select is(
  api.record_failure((select order_id from retried), tests.signature('Retry1'),
    'blockhash_expired', 'block height passed 280000150') ->> 'retry',
  'true', 'an expired blockhash is retried'
);
select is(pg_temp.state((select order_id from retried)), 'pending/1/-',
  'the order is pending again, its signature cleared');
select is(
  (select attempt_log -> 0 ->> 'signature' || '|' || (attempt_log -> 0 ->> 'outcome')
   from walltrack.orders where id = (select order_id from retried)),
  tests.signature('Retry1') || '|blockhash_expired', 'the attempt log keeps what was tried'
);
select is(pg_temp.claimed('worker-a'), '{}'::bigint[], 'not before its back-off has passed');
update walltrack.orders set next_attempt_at = now() where id = (select order_id from retried);
select is(pg_temp.claimed('worker-a'), array[(select order_id from retried)],
  'then claimed again as a second attempt');
select pg_temp.sign((select order_id from retried), 'worker-a', 'Retry2');
select api.record_failure((select order_id from retried), tests.signature('Retry2'),
  'slippage_exceeded', 'custom program error 0x1771');
update walltrack.orders set next_attempt_at = now() where id = (select order_id from retried);
select pg_temp.claimed('worker-a');
select is(
  api.record_failure((select order_id from retried), null, 'rate_limited', 'quote 429')
    ->> 'status',
  'failed', 'a third retryable failure exhausts its three attempts: failed for good'
);
select is(
  (select status::text from walltrack.positions where id = (
     select position_id from walltrack.orders where id = (select order_id from retried))),
  'failed', 'and the entry''s position fails with it'
);

-- A final failure at once.
create temporary table final as select pg_temp.copy('Ends') as order_id;
select pg_temp.claimed('worker-a');
select is(
  api.record_failure((select order_id from final), null, 'insufficient_funds', 'wallet empty')
    ->> 'retry',
  'false', 'insufficient funds is final'
);
select is(
  (select last_error from walltrack.orders where id = (select order_id from final)),
  'insufficient_funds: wallet empty', 'the order says why'
);
select throws_like(
  format($$ select api.record_failure(%s, null, 'timeout', '') $$, (select order_id from final)),
  '%is failed with signature none%', 'a finished order takes no more failures'
);

-- Jupiter refuses our API key: the run gives back what it claimed, attempts untouched.
create temporary table released as select pg_temp.copy('Given') as order_id;
select pg_temp.claimed('worker-a');
select throws_like(
  format($$ select api.release_order(%s, 'worker-b') $$, (select order_id from released)),
  '%is not leased to worker-b any more%', 'only the worker holding the lease gives it back'
);
select is(
  api.release_order((select order_id from released), 'worker-a') ->> 'attempts', '0',
  'given back, its attempt is undone'
);
select results_eq(
  format($$ select status::text, lease_owner, jsonb_array_length(attempt_log)
     from walltrack.orders where id = %s $$, (select order_id from released)),
  $$ values ('pending', null::text, 0) $$,
  'pending, leased to nobody, with no attempt in its log'
);
select is(pg_temp.claimed('worker-b'), array[(select order_id from released)],
  'the next run claims it at once');
select pg_temp.sign((select order_id from released), 'worker-b', 'Given');
select throws_like(
  format($$ select api.release_order(%s, 'worker-b') $$, (select order_id from released)),
  '%status submitted%', 'a signed order is never given back: only its signature settles it'
);
select is(
  array(select c from unnest(array[
    'node_behind', 'simulation_failed', 'program_error', 'insufficient_funds', 'rejected'
  ]) as c where walltrack.retryable_failure(c)),
  array['node_behind', 'simulation_failed', 'program_error'],
  'a node behind, a failed simulation, an unknown program error are retried; '
  || 'insufficient funds and a rejection are final'
);

-- Crash after the send: the lease expired, but the order is reconciled by its signature.
create temporary table crashed as select pg_temp.copy('Crash') as order_id;
select pg_temp.claimed('worker-a');
select pg_temp.sign((select order_id from crashed), 'worker-a', 'Crash');
update walltrack.orders set lease_until = now() - interval '1 minute'
where id = (select order_id from crashed);
select walltrack.release_expired_leases();
select is(pg_temp.claimed('worker-b'), '{}'::bigint[],
  'a submitted order whose worker died is never handed out again');
select is(
  api.record_fill((select order_id from crashed), tests.signature('Crash'), 100000000, 99000000,
    15000) ->> 'status',
  'confirmed', 'the confirmer reconciles it from the chain'
);

-- The chain does not know a transaction: retried only once it can no longer land.
create temporary table unknown as select pg_temp.copy('Gone') as order_id;
select pg_temp.claimed('worker-a');
select pg_temp.sign((select order_id from unknown), 'worker-a', 'Gone');
create function pg_temp.expire(seed text, height bigint) returns jsonb language sql as $$
  select api.expire_unlanded(jsonb_build_array(jsonb_build_object(
    'order_id', (select order_id from unknown), 'tx_signature', tests.signature(seed)
  )), height);
$$;
select is(pg_temp.expire('Gone', 280000150) ->> (select order_id from unknown)::text,
  'submitted', 'at its last valid block height it may still land: left submitted');
select is(pg_temp.expire('Other', 280000151), '{}'::jsonb,
  'a signature that is not the order''s changes nothing');
select is(pg_temp.expire('Gone', 280000151) ->> (select order_id from unknown)::text,
  'pending', 'past it, it can never land: the order is tried again');

-- A confirm-orders run recorded in one call: a fill, a failure, a fill the database
-- refuses, a transaction that could not be read and one the chain does not know.
create temporary table run (seed text primary key, order_id bigint);
insert into run select seed, pg_temp.copy(seed) from unnest(array['Paid', 'Sank', 'Bad', 'Weird',
  'Away']) as seed;
select pg_temp.claimed('worker-a');
select pg_temp.sign(order_id, 'worker-a', seed) from run;
create function pg_temp.run_order(seed text) returns bigint language sql as $$
  select r.order_id from run as r where r.seed = run_order.seed;
$$;
create function pg_temp.run_fill(seed text, filled_out numeric) returns jsonb language sql as $$
  select jsonb_build_object('order_id', pg_temp.run_order(seed),
    'tx_signature', tests.signature(seed), 'filled_in', 100000000, 'filled_out', filled_out,
    'fee_lamports', 15000);
$$;
create temporary table recorded as select api.record_confirmations(
  fills => jsonb_build_array(pg_temp.run_fill('Paid', 98010000), pg_temp.run_fill('Bad', 0)),
  failures => jsonb_build_array(jsonb_build_object('order_id', pg_temp.run_order('Sank'),
    'tx_signature', tests.signature('Sank'), 'error_class', 'insufficient_funds',
    'detail', 'failed on chain: insufficient lamports')),
  faults => jsonb_build_array(jsonb_build_object('order_id', pg_temp.run_order('Weird'),
    'message', 'cannot read the transaction: our wallet is not the fee payer',
    'input', jsonb_build_object('order', jsonb_build_object('id', pg_temp.run_order('Weird'))))),
  unknown => jsonb_build_array(jsonb_build_object('order_id', pg_temp.run_order('Away'),
    'tx_signature', tests.signature('Away'))),
  block_height => 280000151
) as outcomes;
select is((select outcomes from recorded), jsonb_build_object(
    pg_temp.run_order('Paid')::text, 'confirmed', pg_temp.run_order('Sank')::text, 'failed',
    pg_temp.run_order('Bad')::text, 'fault', pg_temp.run_order('Weird')::text, 'fault',
    pg_temp.run_order('Away')::text, 'pending'),
  'one call records the run and returns each order''s status');
select results_eq(
  $$ select r.seed, o.status::text from run as r join walltrack.orders as o on o.id = r.order_id
     order by r.seed $$,
  $$ values ('Away', 'pending'), ('Bad', 'submitted'), ('Paid', 'confirmed'), ('Sank', 'failed'),
     ('Weird', 'submitted') $$,
  'the fill, the failure and the expiry stand; the refused and the unreadable orders wait'
);
select results_eq(
  format($$ select sqlstate, message, input from walltrack.faults
     where source = 'confirm_orders' and subject = 'order %s' $$, pg_temp.run_order('Bad')),
  format($$ values ('23514'::text, 'order %1$s: a fill needs filled_in > 0, filled_out > 0 and a '
     || 'fee >= 0 (got 100000000, 0, 15000)', jsonb_build_object('function', 'record_fill',
     'params', pg_temp.run_fill('Bad', 0))) $$, pg_temp.run_order('Bad')),
  'the refused fill is a fault: the database''s error, and the call it refused kept as input'
);
select results_eq(
  format($$ select sqlstate, message, input ->> 'order' from walltrack.faults
     where source = 'confirm_orders' and subject = 'order %s' $$, pg_temp.run_order('Weird')),
  format($$ values (null::text, 'cannot read the transaction: our wallet is not the fee payer',
     '{"id": %1$s}') $$, pg_temp.run_order('Weird')),
  'the unreadable transaction is a fault with the message and input the confirmer gave'
);
select throws_ok(
  $$ select api.record_confirmations('{}', '[]', '[]', '[]', null) $$, '22023', null,
  'a run that is not made of JSON arrays is refused whole'
);
select throws_ok(
  $$ select api.record_confirmations('[{"tx_signature": "x"}]', '[]', '[]', '[]', null) $$,
  '22023', null, 'so is an outcome that names no order'
);

-- An exit that cannot fill is written off after its attempts, the loss realized.
select api.apply_prices(jsonb_build_array(jsonb_build_object(
  'mint', pg_temp.mint('Happy'), 'price_sol', 0.0001, 'observed_at', now()
)));
create temporary table stuck as
select id as order_id from walltrack.orders
where position_id = (select position_id from walltrack.orders where id = (select order_id from happy))
  and side = 'sell';
select is((select reason::text from walltrack.orders where id = (select order_id from stuck)),
  'stop_loss', 'a -90 % tick places a live stop-loss sell');
update walltrack.config set live_trading_enabled = false;
select is(pg_temp.claimed('worker-a'), '{}'::bigint[],
  'while live trading is off, nothing is handed out');
update walltrack.config set live_trading_enabled = true;
select is(pg_temp.claimed('worker-a'), array[(select order_id from stuck)],
  'once on again, the exit is claimed');
select is(
  api.record_failure((select order_id from stuck), null, 'not_tradable', 'no route') ->> 'status',
  'failed', 'no route at all is final'
);
select results_eq(
  format($$ select status::text, close_reason::text, realized_pnl_sol from walltrack.positions
     where id = (select position_id from walltrack.orders where id = %s) $$,
     (select order_id from stuck)),
  $$ values ('closed', 'write_off', -0.100015::numeric) $$,
  'what the position held is written off: closed, its whole cost realized as a loss'
);
select is(
  (select string_agg(a.kind::text, ',' order by a.id) from walltrack.alerts as a
   where (a.details ->> 'position_id')::bigint
     = (select position_id from walltrack.orders where id = (select order_id from stuck))),
  'order_failed,order_written_off,position_closed,rug',
  'the operator hears of each: the live exit failed for good, the write-off, the close at a '
  || 'total loss (a rug)'
);

-- While the breaker is active, buys wait and exits go.
create temporary table blocked as select pg_temp.copy('Wait') as order_id;
insert into walltrack.circuit_breaker_events (event_type, trigger, actor, note)
values ('activated', 'manual', 'pgtap', 'test');
select is(pg_temp.claimed('worker-a'), '{}'::bigint[], 'a pending buy waits while the breaker is active');
select throws_like(
  $$ select api.claim_orders('  ') $$, '%needs the worker%', 'a claim names its worker'
);
select api.apply_prices(jsonb_build_array(jsonb_build_object(
  'mint', pg_temp.mint('Crash'), 'price_sol', 0.0001, 'observed_at', now()
)));
select is(
  (select array_agg(c ->> 'reason') from jsonb_array_elements(api.claim_orders('worker-a')) as c),
  array['stop_loss'], 'while exits are claimed as usual'
);

select * from finish();
rollback;
