-- The exit engine, tick by tick, with hand-computed quantities and PnL. Simulated fills
-- here have no slippage and no fee, so every position is 100 tokens (6 decimals) bought
-- for 0.1 SOL at 0.001 SOL each.
begin;
select plan(49);

update walltrack.config set sim_slippage_bps = 0, sim_fee_lamports = 0,
  max_positions_per_token = 100, max_open_positions = 1000;

create function pg_temp.open(mint text, strategy text, override jsonb default '{}')
returns bigint language plpgsql as $$
declare
  position_id bigint;
begin
  update walltrack.wallets set exit_strategy_id = (
    select id from walltrack.exit_strategies where name = strategy
  ) where label = 'whale-alpha';
  perform tests.safe_token(mint);
  perform api.ingest_swaps(jsonb_build_array(tests.swap_tx(
    'open' || mint, (select address from walltrack.wallets where label = 'whale-alpha'),
    'buy', mint, 100000000, 100000000
  )));
  select id into strict position_id from walltrack.positions where token_mint = mint;
  update walltrack.positions set exit_strategy_override = override where id = position_id;
  return position_id;
end;
$$;

create function pg_temp.tick(mint text, price numeric, second integer) returns jsonb
language sql as $$
  select api.apply_prices(jsonb_build_array(jsonb_build_object(
    'mint', mint, 'price_sol', price, 'observed_at', now() + make_interval(secs => second)
  )));
$$;

create function pg_temp.sells(mint text) returns text language sql as $$
  -- reason[level]:quantity of each exit order, in order
  select coalesce(string_agg(o.reason || coalesce('[' || o.take_profit_level || ']', '') || ':'
    || o.amount_in, ' ' order by o.id), '')
  from walltrack.orders as o join walltrack.positions as p on p.id = o.position_id
  where p.token_mint = mint and o.side = 'sell';
$$;

create function pg_temp.book(mint text) returns text language sql as $$
  -- status held realized
  select p.status || ' ' || (p.qty_bought - p.qty_sold) || ' ' || p.realized_pnl_sol::numeric(20, 9)
  from walltrack.positions as p where p.token_mint = mint;
$$;

-- Stop loss: -30% sells everything.
select pg_temp.open('MintSL11111111111111111111111111111111111111', 'balanced');
select pg_temp.tick('MintSL11111111111111111111111111111111111111', 0.00071, 1);
select is(pg_temp.sells('MintSL11111111111111111111111111111111111111'), '',
  '-29% does not reach the -30% stop');
select pg_temp.tick('MintSL11111111111111111111111111111111111111', 0.0007, 2);
select is(pg_temp.sells('MintSL11111111111111111111111111111111111111'), 'stop_loss:100000000',
  '-30% fires the stop loss for the whole position');
select is(pg_temp.book('MintSL11111111111111111111111111111111111111'), 'closed 0 -0.030000000',
  'closed at a 0.03 SOL loss (0.07 back for 0.1)');

-- Take-profit ladder: each level fires once.
select pg_temp.open('MintTP11111111111111111111111111111111111111', 'balanced');
select pg_temp.tick('MintTP11111111111111111111111111111111111111', 0.0015, 1);
select pg_temp.tick('MintTP11111111111111111111111111111111111111', 0.0016, 2);
select is(pg_temp.sells('MintTP11111111111111111111111111111111111111'),
  'take_profit[1]:33000000', '+50% sells 33% of the initial quantity, once');
select is(pg_temp.book('MintTP11111111111111111111111111111111111111'), 'open 67000000 0.016500000',
  'realized 0.0495 - 0.033 = 0.0165 SOL on the third sold');
select is(
  (select take_profits_fired from walltrack.positions
   where token_mint = 'MintTP11111111111111111111111111111111111111'),
  array[1], 'the fired level is remembered'
);
select pg_temp.tick('MintTP11111111111111111111111111111111111111', 0.002, 3);
select is(pg_temp.sells('MintTP11111111111111111111111111111111111111'),
  'take_profit[1]:33000000 take_profit[2]:33000000', '+100% fires the second level');

-- Trailing stop: armed at +30%, sells 20% below the peak.
select pg_temp.open('MintTR11111111111111111111111111111111111111', 'balanced');
select pg_temp.tick('MintTR11111111111111111111111111111111111111', 0.0014, 1);
select pg_temp.tick('MintTR11111111111111111111111111111111111111', 0.00113, 2);
select is(pg_temp.sells('MintTR11111111111111111111111111111111111111'), '',
  'armed at +40%, not yet 20% under the 0.0014 peak');
select pg_temp.tick('MintTR11111111111111111111111111111111111111', 0.00112, 3);
select is(pg_temp.sells('MintTR11111111111111111111111111111111111111'),
  'trailing_stop:100000000', '20% under the peak sells everything');
select is(pg_temp.book('MintTR11111111111111111111111111111111111111'), 'closed 0 0.012000000',
  'closed with 0.012 SOL of profit locked in');
select is(
  (select peak_price_sol from walltrack.positions
   where token_mint = 'MintTR11111111111111111111111111111111111111'),
  0.0014, 'the peak only moves up'
);

-- Two rules on one tick: the stop-type exit first.
select pg_temp.open('MintCF11111111111111111111111111111111111111', 'balanced',
  '{"take_profit_levels": [{"at_pct": 10, "sell_pct": 20}, {"at_pct": 15, "sell_pct": 20}],
    "trailing_activation_pct": 0, "trailing_distance_pct": 5}');
select pg_temp.tick('MintCF11111111111111111111111111111111111111', 0.00125, 1);
select is(pg_temp.sells('MintCF11111111111111111111111111111111111111'),
  'take_profit[1]:20000000', 'two levels reached at once: one order, the first of equal sells');
select pg_temp.tick('MintCF11111111111111111111111111111111111111', 0.00118, 2);
select is(pg_temp.sells('MintCF11111111111111111111111111111111111111'),
  'take_profit[1]:20000000 trailing_stop:80000000',
  'level 2 and the trailing stop on one tick: one order, the trailing stop');

-- Time exit: after 24 h, only while PnL is under +10%.
select pg_temp.open('MintTX11111111111111111111111111111111111111', 'balanced');
select pg_temp.open('MintTY11111111111111111111111111111111111111', 'balanced');
-- Test data only: the replica role skips the trigger that keeps opened_at as recorded.
set local session_replication_role = replica;
update walltrack.positions set opened_at = now() - interval '25 hours'
where token_mint in ('MintTX11111111111111111111111111111111111111',
  'MintTY11111111111111111111111111111111111111');
set local session_replication_role = origin;
select pg_temp.tick('MintTX11111111111111111111111111111111111111', 0.00105, 1);
select pg_temp.tick('MintTY11111111111111111111111111111111111111', 0.0012, 1);
select is(pg_temp.sells('MintTX11111111111111111111111111111111111111'), 'time_exit:100000000',
  'a flat position is let go after the time limit');
select is(pg_temp.sells('MintTY11111111111111111111111111111111111111'), '',
  'a position up 20% is kept (above the time exit''s PnL bar)');

-- Moonbag: the ladder keeps it, the trailing stop sells it, the stop loss too by default.
select pg_temp.open('MintMB11111111111111111111111111111111111111', 'moonbag runner');
select pg_temp.tick('MintMB11111111111111111111111111111111111111', 0.002, 1);
select pg_temp.tick('MintMB11111111111111111111111111111111111111', 0.004, 2);
select is(pg_temp.sells('MintMB11111111111111111111111111111111111111'),
  'take_profit[1]:50000000 take_profit[2]:30000000', 'the ladder sells 50% then 30%');
select is(pg_temp.book('MintMB11111111111111111111111111111111111111'), 'open 20000000 0.140000000',
  'the 20% moonbag rides; realized (0.1 - 0.05) + (0.12 - 0.03) = 0.14 SOL');
select pg_temp.tick('MintMB11111111111111111111111111111111111111', 0.0026, 3);
select is(pg_temp.sells('MintMB11111111111111111111111111111111111111'),
  'take_profit[1]:50000000 take_profit[2]:30000000 trailing_stop:20000000',
  'the trailing stop (35% under the 0.004 peak) sells the moonbag too');

select pg_temp.open('MintMS11111111111111111111111111111111111111', 'moonbag runner');
select pg_temp.tick('MintMS11111111111111111111111111111111111111', 0.0005, 1);
select is(pg_temp.sells('MintMS11111111111111111111111111111111111111'), 'stop_loss:100000000',
  'the stop loss sells the moonbag too by default');
select pg_temp.open('MintMK11111111111111111111111111111111111111', 'moonbag runner',
  '{"moonbag_keeps_stop_loss": false}');
select pg_temp.tick('MintMK11111111111111111111111111111111111111', 0.0005, 1);
select is(pg_temp.sells('MintMK11111111111111111111111111111111111111'), 'stop_loss:80000000',
  'unless the override says the moonbag rides through the stop');

-- Order of ticks, overrides, stale prices.
select pg_temp.open('MintQQ11111111111111111111111111111111111111', 'balanced');
select pg_temp.tick('MintQQ11111111111111111111111111111111111111', 0.0011, 10);
select pg_temp.tick('MintQQ11111111111111111111111111111111111111', 0.0005, 5);
select is(pg_temp.sells('MintQQ11111111111111111111111111111111111111'), '',
  'a tick older than the last one is ignored');
select is(
  (select last_price_sol from walltrack.positions
   where token_mint = 'MintQQ11111111111111111111111111111111111111'), 0.0011,
  'and leaves the last price as it was'
);
update walltrack.positions set exit_strategy_override = '{"stop_loss_pct": -10}'
where token_mint = 'MintQQ11111111111111111111111111111111111111';
select pg_temp.tick('MintQQ11111111111111111111111111111111111111', 0.0009, 20);
select is(pg_temp.sells('MintQQ11111111111111111111111111111111111111'), 'stop_loss:100000000',
  'a per-position override (stop at -10%) applies on the next tick');
select is(
  (select exit_strategy_snapshot ->> 'stop_loss_pct' from walltrack.positions
   where token_mint = 'MintQQ11111111111111111111111111111111111111'), '-30',
  'while the snapshot keeps the template''s rule'
);
select throws_ok(
  $$ update walltrack.positions set exit_strategy_override = '{"stop_loss_pct": 5}'
     where token_mint = 'MintTY11111111111111111111111111111111111111' $$,
  '23514', 'stop_loss_pct must be negative and above -100 (a drop from entry), got 5',
  'an override breaking a rule is refused with what to fix'
);
select throws_ok(
  $$ update walltrack.positions set exit_strategy_override = '{"stoploss": -5}'
     where token_mint = 'MintTY11111111111111111111111111111111111111' $$,
  '23514', 'unknown exit rule(s): stoploss', 'a misspelt rule is refused'
);
select api.apply_prices('[]', array['MintTY11111111111111111111111111111111111111']);
select ok(
  (select price_stale from walltrack.tokens where mint = 'MintTY11111111111111111111111111111111111111'),
  'a token the refresh could not price is flagged stale'
);

-- Live: no second exit while one is in flight.
update walltrack.config set live_trading_enabled = true;
update walltrack.wallets set mode = 'live' where label = 'whale-alpha';
select pg_temp.open('MintLV11111111111111111111111111111111111111', 'balanced');
select tests.as_engine($$
  update walltrack.orders set status = 'confirmed', attempts = 1, filled_in = amount_in,
    filled_out = 100000000, fill_price_sol = 0.001, confirmed_at = now()
  where output_mint = 'MintLV11111111111111111111111111111111111111'
$$);
create temporary table live_tick as
select pg_temp.tick('MintLV11111111111111111111111111111111111111', 0.0007, 1) as result;
select is(
  (select result -> 'live_orders' from live_tick),
  (select jsonb_agg(id) from walltrack.orders
   where input_mint = 'MintLV11111111111111111111111111111111111111'),
  'a live exit is returned for execution'
);
select pg_temp.tick('MintLV11111111111111111111111111111111111111', 0.0006, 2);
select is(pg_temp.sells('MintLV11111111111111111111111111111111111111'), 'stop_loss:100000000',
  'and no second exit is placed while it is in flight');

-- A refused override leaves every position's rules as they were: the next tick exits them.
update walltrack.wallets set mode = 'simulation' where label = 'whale-alpha';
select pg_temp.open('MintBA11111111111111111111111111111111111111', 'balanced');
select pg_temp.open('MintBB11111111111111111111111111111111111111', 'balanced');
select throws_ok(
  $$ update walltrack.positions set exit_strategy_override = '{"time_exit_minutes": 0.5}'
     where token_mint = 'MintBA11111111111111111111111111111111111111' $$,
  '23514', 'time_exit_minutes must be a whole number of minutes within 1..2147483647, got 0.5',
  'an override the engine could not cast is refused'
);
-- One batch for both: a rule the engine could not evaluate would fail the whole batch.
select api.apply_prices(jsonb_build_array(
  jsonb_build_object('mint', 'MintBA11111111111111111111111111111111111111', 'price_sol', 0.0007,
    'observed_at', now() + interval '1 second'),
  jsonb_build_object('mint', 'MintBB11111111111111111111111111111111111111', 'price_sol', 0.0007,
    'observed_at', now() + interval '1 second')
));
select is(pg_temp.sells('MintBA11111111111111111111111111111111111111'), 'stop_loss:100000000',
  'the position whose override was refused still stops out');
select is(pg_temp.sells('MintBB11111111111111111111111111111111111111'), 'stop_loss:100000000',
  'and so does every other position');

-- Isolation: one bad tick, one position that cannot be valued, one whose rules cannot be
-- evaluated and one whose exit cannot be placed; every other position in the batch still
-- stops out, and each failure is a row in walltrack.faults. The failures are injected the
-- way a row-level fault would arise (a trigger refusing one row, a rule check switched off
-- for one edit), inside this test's transaction.
select pg_temp.open('MintJA11111111111111111111111111111111111111', 'balanced');
select pg_temp.open('MintJB11111111111111111111111111111111111111', 'balanced');
select pg_temp.open('MintJC11111111111111111111111111111111111111', 'balanced');
select pg_temp.open('MintJD11111111111111111111111111111111111111', 'balanced');
select pg_temp.open('MintJE11111111111111111111111111111111111111', 'balanced');

create function pg_temp.refuse_row() returns trigger language plpgsql as $$
begin
  raise exception 'injected fault for row %', new.id;
end;
$$;
create trigger zz_test_refuse_revalue before update of last_price_sol on walltrack.positions
for each row when (new.token_mint = 'MintJB11111111111111111111111111111111111111')
execute function pg_temp.refuse_row();
create trigger zz_test_refuse_exit before insert on walltrack.orders
for each row when (new.input_mint = 'MintJD11111111111111111111111111111111111111')
execute function pg_temp.refuse_row();
alter table walltrack.positions disable trigger positions_before_write_override_valid;
update walltrack.positions set exit_strategy_override = '{"stop_loss_pct": "soon"}'
where token_mint = 'MintJC11111111111111111111111111111111111111';
alter table walltrack.positions enable trigger positions_before_write_override_valid;

select lives_ok(
  $$ select api.apply_prices(
       jsonb_build_array(
         jsonb_build_object('mint', 'MintJA11111111111111111111111111111111111111',
           'price_sol', 'NaN', 'observed_at', now() + interval '1 second'),
         jsonb_build_object('mint', 'MintJZ11111111111111111111111111111111111111',
           'price_sol', 0.001, 'observed_at', now() + interval '1 day'),
         '"not a tick"'::jsonb
       )
       || (select jsonb_agg(jsonb_build_object('mint', m, 'price_sol', 0.0007,
             'observed_at', now() + interval '1 second'))
           from unnest(array[
             'MintJA11111111111111111111111111111111111111',
             'MintJB11111111111111111111111111111111111111',
             'MintJC11111111111111111111111111111111111111',
             'MintJD11111111111111111111111111111111111111',
             'MintJE11111111111111111111111111111111111111']) as m)
     ) $$,
  'a batch holding a bad tick, a bad position, bad rules and a failing exit still applies'
);
select is(pg_temp.sells('MintJA11111111111111111111111111111111111111'), 'stop_loss:100000000',
  'the good tick of a token whose other tick was NaN stops it out');
select is(pg_temp.sells('MintJE11111111111111111111111111111111111111'), 'stop_loss:100000000',
  'a healthy position next to every fault stops out');
select is(pg_temp.sells('MintJC11111111111111111111111111111111111111'), 'stop_loss:100000000',
  'a position whose override cannot be evaluated still stops out on its template''s rules');
select is(pg_temp.sells('MintJB11111111111111111111111111111111111111'), '',
  'the position that refused its price is left as it was');
select is(pg_temp.sells('MintJD11111111111111111111111111111111111111'), '',
  'the position whose exit could not be placed has no order');
select bag_eq(
  $$ select subject, occurrences from walltrack.faults where source = 'apply_prices' $$,
  $$ values
       ('price of MintJA11111111111111111111111111111111111111', 1),
       ('price of MintJZ11111111111111111111111111111111111111', 1),
       ('price of element 3', 1),
       ('position ' || (select id from walltrack.positions
         where token_mint = 'MintJB11111111111111111111111111111111111111'), 1),
       ('position ' || (select id from walltrack.positions
         where token_mint = 'MintJC11111111111111111111111111111111111111'), 1),
       ('position ' || (select id from walltrack.positions
         where token_mint = 'MintJD11111111111111111111111111111111111111'), 1) $$,
  'each failure is one row in walltrack.faults, naming what failed'
);
select is(
  (select message from walltrack.faults
   where subject = 'price of MintJZ11111111111111111111111111111111111111'),
  format('the price of MintJZ11111111111111111111111111111111111111 is dated %s, ahead of the '
    || 'database clock', now() + interval '1 day'),
  'a tick from the future is refused: it would hide every later tick of its token'
);
select matches(
  (select message from walltrack.faults where input ? 'reason'),
  '^its stop_loss exit could not be placed: injected fault for row',
  'a failed exit says which exit and why'
);
select api.apply_prices(jsonb_build_array(jsonb_build_object(
  'mint', 'MintJB11111111111111111111111111111111111111', 'price_sol', 0.0006,
  'observed_at', now() + interval '2 seconds')));
select is(
  (select occurrences from walltrack.faults where subject = 'position ' || (
    select id from walltrack.positions
    where token_mint = 'MintJB11111111111111111111111111111111111111')),
  2, 'a fault that recurs is counted on its row, not repeated'
);
drop trigger zz_test_refuse_revalue on walltrack.positions;
select api.apply_prices(jsonb_build_array(jsonb_build_object(
  'mint', 'MintJB11111111111111111111111111111111111111', 'price_sol', 0.0006,
  'observed_at', now() + interval '3 seconds')));
select is(pg_temp.sells('MintJB11111111111111111111111111111111111111'), 'stop_loss:100000000',
  'once its cause is gone, the isolated position exits on the next tick');

-- The price history: every good tick applied, in order, at the clock's time; WallTrack's own.
select results_eq(
  $$ select price_sol, observed_at = now() + interval '2 seconds', applied_at = now()
     from walltrack.price_history
     where token_mint = 'MintSL11111111111111111111111111111111111111' order by id $$,
  $$ values (0.00071, false, true), (0.0007, true, true) $$,
  'each tick applied is kept with when its source saw it and when it was applied'
);
select is(
  (select count(*)::integer from walltrack.price_history
   where token_mint in ('MintJA11111111111111111111111111111111111111',
     'MintJZ11111111111111111111111111111111111111')),
  1, 'a tick refused as bad (NaN, dated ahead) is not kept: only MintJA''s good one'
);
select throws_ok(
  $$ insert into walltrack.price_history (token_mint, price_sol)
     values ('MintSL11111111111111111111111111111111111111', 1) $$, '23514',
  format('price_history is the prices WallTrack applied: a price cannot be inserted by hand'),
  'a price is not typed in'
);
select throws_ok(
  $$ update walltrack.price_history set price_sol = 1 $$, '23001', null,
  'nor edited'
);
select throws_ok(
  $$ delete from walltrack.price_history $$, '23001', null,
  'nor deleted by hand'
);
update walltrack.config set live_trading_enabled = false;
select walltrack.set_clock(now() + interval '8 days');
select is(
  walltrack.purge_price_history(),
  (select count(*)::integer from walltrack.price_history),
  'config.price_history_days (7) later, the purge deletes them'
);

select * from finish();
rollback;
