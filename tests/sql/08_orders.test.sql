begin;
select plan(23);

create temporary table fixture as
select tests.new_position(tests.new_wallet()) as position_id;
create temporary table o as
select
  tests.new_order(position_id, 'k1') as submitted_id,
  tests.new_order(position_id, 'k2') as cancelled_id
from fixture;

select throws_ok(
  $$ select tests.new_order(position_id, 'k1') from fixture $$, '23505', null,
  'the same idempotency key is never ordered twice'
);
select lives_ok(
  $$ update walltrack.orders set status = 'submitted', attempts = 1, submitted_at = now(),
       tx_signature = repeat('3', 88) where id = (select submitted_id from o) $$,
  'pending -> submitted is allowed'
);
select lives_ok(
  $$ update walltrack.orders set status = 'pending' where id = (select submitted_id from o) $$,
  'submitted -> pending (a retry) is allowed'
);
select lives_ok(
  $$ update walltrack.orders set status = 'cancelled' where id = (select cancelled_id from o) $$,
  'pending -> cancelled is allowed'
);
select throws_ok(
  $$ update walltrack.orders set status = 'pending' where id = (select cancelled_id from o) $$,
  '23514', format('order %s cannot go from cancelled to pending', (select cancelled_id from o)),
  'a terminal order cannot come back'
);
select throws_ok(
  $$ select tests.as_engine($q$ update walltrack.orders set status = 'confirmed', filled_in = 0,
       filled_out = 0, confirmed_at = now() where id = (select submitted_id from o) $q$) $$,
  '23514', 'a confirmed order needs filled_in > 0, filled_out >= 0 and confirmed_at',
  'a confirmation without fill facts is refused'
);
select throws_ok(
  $$ update walltrack.orders set amount_in = 1 where id = (select submitted_id from o) $$,
  '23514',
  format('order %s: its intent (position, side, reason, mints, amount, key) is fixed',
    (select submitted_id from o)),
  'the intent of an order is fixed'
);
select throws_ok(
  $$ update walltrack.orders set attempts = 4 where id = (select submitted_id from o) $$,
  '23514', 'order attempts (4) must stay within 0..max_attempts (3)',
  'attempts never exceed the maximum'
);
select throws_ok(
  $$ select tests.as_engine($q$ insert into walltrack.orders (position_id, side, reason, mode,
       input_mint, output_mint,
       amount_in, slippage_bps, idempotency_key, max_attempts)
     select position_id, 'sell', 'take_profit', 'simulation',
       'TestMint1111111111111111111111111111111111',
       'So11111111111111111111111111111111111111112', 10, 100, 'k4', 3 from fixture $q$) $$,
  '23514', 'take_profit_level is set exactly when the reason is take_profit',
  'a take-profit order names its level'
);
select throws_ok(
  $$ delete from walltrack.orders $$, '23001',
  'orders rows are permanent: delete is refused', 'orders are never deleted'
);

-- Direction: the side says which way SOL goes.
select throws_ok(
  $$ select tests.as_engine($q$ insert into walltrack.orders (position_id, side, reason, mode,
       input_mint, output_mint,
       amount_in, slippage_bps, idempotency_key, max_attempts)
     select position_id, 'sell', 'manual', 'simulation',
       'So11111111111111111111111111111111111111112',
       'TestMint1111111111111111111111111111111111', 10, 100, 'k5', 3 from fixture $q$) $$,
  '23514',
  'a sell order swaps the token for SOL: got input_mint '
  || 'So11111111111111111111111111111111111111112, output_mint '
  || 'TestMint1111111111111111111111111111111111',
  'a buy disguised as a sell (SOL in) is refused: it would pass an active breaker'
);
select throws_ok(
  $$ select tests.as_engine($q$ insert into walltrack.orders (position_id, side, reason, mode,
       input_mint, output_mint,
       amount_in, slippage_bps, idempotency_key, max_attempts)
     select position_id, 'buy', 'copy_entry', 'simulation',
       'TestMint1111111111111111111111111111111111',
       'So11111111111111111111111111111111111111112', 10, 100, 'k6', 3 from fixture $q$) $$,
  '23514',
  'a buy order swaps SOL for the token: got input_mint '
  || 'TestMint1111111111111111111111111111111111, output_mint '
  || 'So11111111111111111111111111111111111111112',
  'a buy that spends the token is refused'
);
select throws_ok(
  $$ update walltrack.orders set quoted_price_sol = 'NaN' where id = (select submitted_id from o) $$,
  '23514',
  'orders numbers must be finite: NaN and Infinity are not amounts (got quoted_price_sol = NaN)',
  'a NaN quote is refused'
);

-- A confirmed fill is a fact: it already moved the position's money.
select throws_ok(
  $$ update walltrack.orders set status = 'confirmed', filled_in = 100000000,
       filled_out = 100000000, fill_price_sol = 0.001, confirmed_at = now()
     where id = (select submitted_id from o) $$,
  '23514',
  format('order %s: a fill is recorded from the chain by confirm-orders, never typed in',
    (select submitted_id from o)),
  'a fill typed in by hand is refused: fills come from the chain'
);
select throws_ok(
  $$ insert into walltrack.orders (position_id, side, reason, mode, input_mint, output_mint,
       amount_in, slippage_bps, idempotency_key, max_attempts, status, attempts, filled_in,
       filled_out, fill_price_sol, confirmed_at)
     select position_id, 'sell', 'manual', 'simulation',
       'TestMint1111111111111111111111111111111111',
       'So11111111111111111111111111111111111111112', 10, 100, 'fake', 3, 'confirmed', 1, 10,
       999000000000, 1, now() from fixture $$,
  '23514',
  'orders are placed by WallTrack (copies, exits, write-offs): an order cannot be inserted '
  || 'by hand',
  'a fabricated confirmed sell is refused: it would move the position''s money'
);
select throws_ok(
  $$ select tests.as_engine($q$ insert into walltrack.orders (position_id, side, reason, mode,
       input_mint, output_mint, amount_in, slippage_bps, idempotency_key, max_attempts)
     select position_id, 'sell', 'manual', 'live',
       'TestMint1111111111111111111111111111111111',
       'So11111111111111111111111111111111111111112', 10, 100, 'k7', 3 from fixture $q$) $$,
  '23514',
  format('order for position %s must trade its token TestMint1111111111111111111111111111111111 '
    || 'in simulation mode, got TestMint1111111111111111111111111111111111 -> '
    || 'So11111111111111111111111111111111111111112 in live mode', (select position_id from fixture)),
  'an order in another mode than its position''s is refused: a live sell of paper tokens'
);
select throws_ok(
  $$ select tests.as_engine($q$ insert into walltrack.orders (position_id, side, reason, mode,
       input_mint, output_mint, amount_in, slippage_bps, idempotency_key, max_attempts)
     select position_id, 'sell', 'manual', 'simulation',
       'AnotherMint1111111111111111111111111111111',
       'So11111111111111111111111111111111111111112', 10, 100, 'k8', 3 from fixture $q$) $$,
  '23514',
  format('order for position %s must trade its token TestMint1111111111111111111111111111111111 '
    || 'in simulation mode, got AnotherMint1111111111111111111111111111111 -> '
    || 'So11111111111111111111111111111111111111112 in simulation mode',
    (select position_id from fixture)),
  'an order for another token than its position''s is refused'
);
-- As confirm-orders records it:
select tests.as_engine($$
  update walltrack.orders set status = 'confirmed', filled_in = 100000000, filled_out = 100000000,
    fill_price_sol = 0.001, confirmed_at = now()
  where id = (select submitted_id from o)
$$);
create temporary table bought as
select p.qty_bought, p.cost_basis_sol from walltrack.positions as p
where p.id = (select position_id from fixture);
update walltrack.orders set status = 'confirmed' where id = (select submitted_id from o);
select results_eq(
  $$ select p.qty_bought, p.cost_basis_sol from walltrack.positions as p
     where p.id = (select position_id from fixture) $$,
  $$ select * from bought $$,
  'saving a confirmed order unchanged (status = confirmed again) does not apply its fill twice'
);
select throws_ok(
  $$ update walltrack.orders set filled_out = 1 where id = (select submitted_id from o) $$,
  '23514',
  format('order %s is confirmed: its fill (amounts, price, slippage, fees, signature, time) '
    || 'is recorded for good', (select submitted_id from o)),
  'a confirmed fill amount cannot be rewritten'
);
select throws_ok(
  $$ update walltrack.orders set network_fee_lamports = 0, confirmed_at = now() - interval '1 day'
     where id = (select submitted_id from o) $$,
  '23514',
  format('order %s is confirmed: its fill (amounts, price, slippage, fees, signature, time) '
    || 'is recorded for good', (select submitted_id from o)),
  'nor its fees or time'
);
select lives_ok(
  $$ update walltrack.orders set last_error = 'noted', lease_owner = null
     where id = (select submitted_id from o) $$,
  'bookkeeping columns of a confirmed order stay editable'
);

-- Entries inserted already filled in one statement (a delivery's simulated copies) move a
-- position exactly as the same fills inserted one by one.
create temporary table twin as
select tests.new_position(tests.new_wallet('fills at once')) as together_id;
insert into twin (together_id) select tests.new_position(tests.new_wallet('fills one by one'));
create function pg_temp.filled_entries(position_id bigint, prefix text, numbers integer[])
returns text language sql as $$
  select format($sql$
    insert into walltrack.orders (
      position_id, side, reason, mode, input_mint, output_mint, amount_in, slippage_bps,
      idempotency_key, max_attempts, status, attempts, filled_in, filled_out, fill_price_sol,
      network_fee_lamports, confirmed_at
    )
    select %s, 'buy', 'copy_entry', 'simulation', 'So11111111111111111111111111111111111111112',
      'TestMint1111111111111111111111111111111111', f.lamports, 100, %L || f.n, 3, 'confirmed',
      1, f.lamports, f.tokens, f.price, 5000, now() + f.n * interval '1 second'
    from (values (1, 100000000, 90000000, 0.0011), (2, 50000000, 40000000, 0.00125)) as
      f(n, lamports, tokens, price)
    where f.n = any(%L)
  $sql$, position_id, prefix, numbers);
$$;
select tests.as_engine(pg_temp.filled_entries(min(together_id), 'together-', '{1,2}'))
from twin;
select tests.as_engine(pg_temp.filled_entries(max(together_id), 'alone-', '{1}')) from twin;
select tests.as_engine(pg_temp.filled_entries(max(together_id), 'alone-', '{2}')) from twin;
select results_eq(
  $$ select p.qty_bought, p.cost_basis_sol, p.avg_entry_price_sol, p.last_price_sol, p.status::text
     from walltrack.positions as p where p.id = (select min(together_id) from twin) $$,
  $$ select p.qty_bought, p.cost_basis_sol, p.avg_entry_price_sol, p.last_price_sol, p.status::text
     from walltrack.positions as p where p.id = (select max(together_id) from twin) $$,
  'two entries filled in one statement move the position as the same two filled one by one'
);
select is(
  (select array[p.qty_bought, p.cost_basis_sol, p.last_price_sol] from walltrack.positions as p
   where p.id = (select min(together_id) from twin)),
  array[130000000, 0.15001, 0.00125]::numeric[],
  'their quantities and costs add up, fees included, and the later fill gives the last price'
);

select * from finish();
rollback;
