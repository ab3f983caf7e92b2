-- Per-leader protections on hand-computed histories. Each trade buys 1,000 tokens for 1 SOL
-- and sells them all with no simulated slippage or fee, so its realized PnL is exactly what
-- the leader's sale says. The global breaker is out of the way.
begin;
select plan(29);

update walltrack.config set sim_slippage_bps = 0, sim_fee_lamports = 0,
  breaker_max_consecutive_losses = 1000, breaker_max_daily_loss_sol = 1000000,
  breaker_max_drawdown_pct = 100, breaker_min_win_rate_pct = 0,
  max_open_positions = 1000, max_total_exposure_sol = 1000000,
  leader_max_consecutive_losses = 3, leader_max_loss_sol = null,
  leader_max_baseline_gap_pct = null, leader_pause_cooldown_minutes = null;
update walltrack.wallets set position_size_sol = 1, exit_strategy_id = (
  select id from walltrack.exit_strategies where name = 'mirror only'
) where label in ('whale-alpha', 'scalper-beta');

create function pg_temp.address(label text) returns text language sql as $$
  select address from walltrack.wallets where wallets.label = address.label;
$$;

create function pg_temp.buy_tx(label text, seed text) returns jsonb language sql as $$
  select tests.swap_tx('buy' || seed, pg_temp.address(label), 'buy',
    rpad('Mint' || seed, 44, '1'), 1000000000, 1000000000);
$$;

create function pg_temp.sell_tx(label text, seed text, pnl numeric) returns jsonb
language sql as $$
  select tests.swap_tx('sell' || seed, pg_temp.address(label), 'sell',
    rpad('Mint' || seed, 44, '1'), 1000000000, (1 + pnl) * 1e9, 1);
$$;

create function pg_temp.buy(label text, seed text) returns text language sql as $$
  select tests.safe_token(rpad('Mint' || seed, 44, '1'));
  select api.ingest_swaps(jsonb_build_array(pg_temp.buy_tx(label, seed)))
    #>> '{decisions,0,reason}';
$$;

create function pg_temp.sell(label text, seed text, pnl numeric) returns text
language sql as $$
  select api.ingest_swaps(jsonb_build_array(pg_temp.sell_tx(label, seed, pnl)))
    #>> '{decisions,0,reason}';
$$;

create function pg_temp.trade(label text, seed text, pnl numeric) returns text
language sql as $$
  select pg_temp.buy(label, seed) || '/' || pg_temp.sell(label, seed, pnl);
$$;

create function pg_temp.state(label text) returns text language sql as $$
  -- paused:trigger:threshold:observed, or running
  select case when w.id = any(walltrack.paused_leaders())
    then 'paused:' || e.trigger || ':' || e.threshold::numeric(20, 4) || ':'
      || e.observed::numeric(20, 4)
    else 'running' end
  from walltrack.wallets as w
  left join lateral walltrack.latest_leader_event(w.id) as e on true
  where w.label = state.label;
$$;

-- Consecutive losses. whale-alpha holds one position through the pause.
select is(pg_temp.buy('whale-alpha', 'Kept'), 'copied', 'a position opened before the pause');
select is(pg_temp.trade('whale-alpha', 'L1', -0.1), 'copied/mirror_sell', 'a first loss');
select pg_temp.trade('whale-alpha', 'L2', -0.1);
select is(pg_temp.state('whale-alpha'), 'running', 'two losses in a row stay under 3');
select pg_temp.trade('whale-alpha', 'L3', -0.1);
select is(pg_temp.state('whale-alpha'), 'paused:consecutive_losses:3.0000:3.0000',
  'the third losing copy pauses the leader at once');
select is(
  (select (metrics ->> 'consecutive_losses')::integer from walltrack.leader_pause_events
   order by id desc limit 1),
  3, 'the event keeps a snapshot of its metrics'
);
select is(pg_temp.buy('whale-alpha', 'New'), 'leader_paused',
  'its next buy is refused, with the reason');
select is(pg_temp.buy('scalper-beta', 'Second'), 'copied', 'the other leaders keep trading');
select is(pg_temp.sell('whale-alpha', 'Kept', 0.2), 'mirror_sell',
  'its open copy is still mirrored out: exits always run');
select is(pg_temp.state('whale-alpha'), 'paused:consecutive_losses:3.0000:3.0000',
  'a winning exit does not resume it: an operator or the cooldown does');
select results_eq(
  $$ select wallet_label, event_type::text, trigger::text, actor
     from walltrack.leader_pause_log order by id $$,
  $$ values ('whale-alpha', 'paused', 'consecutive_losses', 'system') $$,
  'leader_pause_log names the leader by its label'
);

-- Within one delivery: the close that pauses the leader refuses its buy right after.
select pg_temp.trade('scalper-beta', 'S1', -0.1);
select pg_temp.trade('scalper-beta', 'S2', -0.1);
select pg_temp.buy('scalper-beta', 'S3');
select tests.safe_token(rpad('MintS4', 44, '1'));
select is(
  (select string_agg(d.value ->> 'reason', ' ' order by d.ordinality)
   from jsonb_array_elements(api.ingest_swaps(jsonb_build_array(
     pg_temp.sell_tx('scalper-beta', 'S3', -0.1),
     tests.swap_tx('buyS4', pg_temp.address('scalper-beta'), 'buy', rpad('MintS4', 44, '1'),
       1000000000, 1000000000, 2)
   )) -> 'decisions') with ordinality as d),
  'mirror_sell leader_paused',
  'a sell that closes the third loss pauses the leader for the buy after it, same batch'
);

-- The operator resumes; the counts start again from the resume.
select throws_ok(
  $$ select api.resume_leader('whale-alpha', 'alice', '') $$, '23514',
  'a manual leader event names the operator (not system) and says why in a note',
  'a resume says why'
);
select throws_ok(
  $$ select api.resume_leader('nobody', 'alice', 'why') $$, '23514',
  'nobody names 0 wallets, not one', 'a resume names one wallet'
);
select lives_ok(
  $$ select api.resume_leader('whale-alpha', 'alice', 'three small losses, reviewed') $$,
  'an operator resumes the leader with a note'
);
select is(pg_temp.state('whale-alpha'), 'running', 'it is running again');
select throws_ok(
  $$ select api.resume_leader('whale-alpha', 'alice', 'again') $$, '23514',
  'whale-alpha is not paused by its protections: there is nothing to resume',
  'a running leader is not resumed'
);
select is(pg_temp.trade('whale-alpha', 'L4', -0.1), 'copied/mirror_sell',
  'it is copied again');
select is(pg_temp.state('whale-alpha'), 'running',
  'its losses before the resume no longer count: one in a row');

-- A wallet's own threshold before config's.
update walltrack.wallets set pause_max_consecutive_losses = 1 where label = 'whale-alpha';
select pg_temp.trade('whale-alpha', 'L5', -0.1);
select is(pg_temp.state('whale-alpha'), 'paused:consecutive_losses:1.0000:2.0000',
  'its own limit of 1 pauses it (2 losses in a row since the resume)');
update walltrack.wallets set pause_max_consecutive_losses = null where label = 'whale-alpha';
select api.resume_leader('whale-alpha', 'alice', 'own limit lifted');

-- A loss over the window: -0.1 -0.1 +0.05 -0.1 is 0.25 lost, over the 0.2 allowed.
update walltrack.config set leader_max_consecutive_losses = null, leader_max_loss_sol = 0.2;
select pg_temp.trade('whale-alpha', 'W1', -0.1);
select pg_temp.trade('whale-alpha', 'W2', -0.1);
select pg_temp.trade('whale-alpha', 'W3', 0.05);
select is(pg_temp.state('whale-alpha'), 'running', '0.15 lost stays within 0.2');
select pg_temp.trade('whale-alpha', 'W4', -0.1);
select is(pg_temp.state('whale-alpha'), 'paused:window_loss:0.2000:0.2500',
  '0.25 lost within 24 hours pauses it');
select api.resume_leader('whale-alpha', 'alice', 'window reviewed');

-- Below its baseline: 80 % measured; its last 4 copies won 1 (25 %), 55 points under.
update walltrack.config set leader_max_loss_sol = null, leader_max_baseline_gap_pct = 30,
  leader_baseline_trades = 4;
update walltrack.wallets set baseline_win_rate_pct = 80 where label = 'whale-alpha';
select pg_temp.trade('whale-alpha', 'B1', 0.1);
select pg_temp.trade('whale-alpha', 'B2', -0.1);
select pg_temp.trade('whale-alpha', 'B3', -0.1);
select is(pg_temp.state('whale-alpha'), 'running', 'three copies are not yet the last four');
select pg_temp.trade('whale-alpha', 'B4', -0.1);
select is(pg_temp.state('whale-alpha'), 'paused:below_baseline:30.0000:55.0000',
  '1 win in its last 4 (25 %) is 55 points under its 80 % baseline: paused');

-- The cooldown resumes it when set; before it has run, nothing happens.
update walltrack.config set live_trading_enabled = false, leader_pause_cooldown_minutes = 60;
select is(walltrack.resume_leaders_after_cooldown(), 0, 'within the cooldown it stays paused');
select walltrack.set_clock(now() + interval '61 minutes');
select is(walltrack.resume_leaders_after_cooldown(), 2,
  'after 60 minutes the cooldown resumes both paused leaders');
select is(
  (select string_agg(trigger || '/' || actor, ' ' order by id) from walltrack.leader_pause_events
   where event_type = 'resumed' and trigger = 'cooldown'),
  'cooldown/system cooldown/system', 'recorded as the cooldown''s'
);

-- Only the check writes automatic events; none is edited or deleted.
select throws_ok(
  $$ insert into walltrack.leader_pause_events (wallet_id, event_type, trigger)
     select id, 'paused', 'consecutive_losses' from walltrack.wallets where label = 'whale-alpha' $$,
  '23514', null, 'an automatic pause is not inserted by hand'
);
select throws_ok(
  $$ update walltrack.leader_pause_events set note = 'edited' $$, '23001', null,
  'an event is never edited'
);
select throws_ok(
  $$ delete from walltrack.leader_pause_events $$, '23001', null, 'nor deleted'
);

select * from finish();
rollback;
