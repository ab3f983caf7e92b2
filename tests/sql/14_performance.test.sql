-- The performance scoreboard against hand-computed figures. Wallet "steady" makes four
-- round trips of 1 SOL with no simulated slippage or fee, closed 35 days, 8 days, 2 days
-- and 1 hour ago for +0.5, -0.2, -0.3 and +0.4 SOL, and keeps one position open. Wallet
-- "slipped" makes one round trip the leader closed at +10 % while our fills slipped 1 % each
-- way. Wallet "quiet" never trades.
begin;
select plan(16);

update walltrack.config set sim_slippage_bps = 0, sim_fee_lamports = 0,
  max_open_positions = 1000000, max_total_exposure_sol = 1000000,
  breaker_max_consecutive_losses = 1000, breaker_max_daily_loss_sol = 1000,
  breaker_max_drawdown_pct = 100, breaker_min_win_rate_pct = 0;

create temporary table fixture (label text primary key, wallet_id bigint, address text);
insert into fixture (label, wallet_id)
select label, tests.new_wallet(label) from unnest(array['steady', 'slipped', 'quiet']) as label;
update fixture set address = w.address from walltrack.wallets as w where w.id = fixture.wallet_id;
update walltrack.wallets set position_size_sol = 1, exit_strategy_id = (
  select id from walltrack.exit_strategies where name = 'mirror only'
) where id in (select wallet_id from fixture);

create function pg_temp.mint(seed text) returns text language sql as $$
  select rpad('Perf' || seed, 44, '1');
$$;

-- The leader buys 1,000 tokens for 1 SOL, then sells them all for 1 + pnl SOL.
create function pg_temp.swap(label text, seed text, side text, sol numeric) returns text
language sql as $$
  select api.ingest_swaps(jsonb_build_array(tests.swap_tx(
    side || seed, (select address from fixture where fixture.label = swap.label), side,
    pg_temp.mint(seed), 1000000000, sol * 1e9, case side when 'buy' then 0 else 1 end
  ))) #>> '{decisions,0,reason}';
$$;

create function pg_temp.trade(label text, seed text, pnl numeric) returns text
language sql as $$
  select tests.safe_token(pg_temp.mint(seed));
  select pg_temp.swap(label, seed, 'buy', 1) || '/' || pg_temp.swap(label, seed, 'sell', 1 + pnl);
$$;

-- Moves a trade (its position and its leader's two signals) back in time.
create function pg_temp.backdate(seed text, opened interval, closed interval) returns void
language sql as $$
  update walltrack.positions set opened_at = now() - opened, closed_at = now() - closed
  where token_mint = pg_temp.mint(seed);
  update walltrack.signals set received_at = now() - case side when 'buy' then opened else closed end
  where token_mint = pg_temp.mint(seed);
$$;

select is(
  array[pg_temp.trade('steady', 'T1', 0.5), pg_temp.trade('steady', 'T2', -0.2),
    pg_temp.trade('steady', 'T3', -0.3), pg_temp.trade('steady', 'T4', 0.4)],
  array['copied/mirror_sell', 'copied/mirror_sell', 'copied/mirror_sell', 'copied/mirror_sell'],
  'the fixture: four round trips copied and mirrored'
);
select tests.safe_token(pg_temp.mint('Kept'));
select pg_temp.swap('steady', 'Kept', 'buy', 1);
select pg_temp.swap('steady', 'Unsafe', 'buy', 1);

update walltrack.config set sim_slippage_bps = 100;
select pg_temp.trade('slipped', 'S1', 0.1);

-- Test data only: the replica role skips the triggers that keep these columns as recorded.
set local session_replication_role = replica;
select pg_temp.backdate('T1', '40 days', '35 days');
select pg_temp.backdate('T2', '10 days', '8 days');
select pg_temp.backdate('T3', '3 days', '2 days');
select pg_temp.backdate('T4', '5 hours', '1 hour');
set local session_replication_role = origin;

select api.refresh_performance();

create function pg_temp.board(label text) returns setof walltrack.performance language sql as $$
  select p.* from walltrack.performance as p
  where p.wallet_id = (select wallet_id from fixture where fixture.label = board.label)
  order by array_position(array['24h', '7d', '30d', 'all'], p.time_window);
$$;

select results_eq(
  $$ select time_window, signals_seen, signals_copied, copied_pct, positions_opened
     from pg_temp.board('steady') $$,
  $$ values ('24h', 4::bigint, 3::bigint, 75.00::numeric, 2::bigint), ('7d', 6, 5, 83.33, 3),
            ('30d', 8, 7, 87.50, 4), ('all', 10, 9, 90.00, 5) $$,
  'signals by receipt (one buy skipped as unsafe) and opens by opening time, per window'
);
select results_eq(
  $$ select positions_closed, wins, losses, win_rate_pct, realized_pnl_sol, avg_return_pct,
       expectancy_sol from pg_temp.board('steady') $$,
  $$ values (1::bigint, 1::bigint, 0::bigint, 100.00::numeric, 0.4::numeric, 40.00::numeric,
             0.4::numeric),
            (2, 1, 1, 50.00, 0.1, 5.00, 0.05),
            (3, 1, 2, 33.33, -0.1, -3.33, -0.033333333),
            (4, 2, 2, 50.00, 0.4, 10.00, 0.1) $$,
  'trades by closing time: counts, win rate, realized PnL, average return and expectancy'
);
select results_eq(
  $$ select profit_factor, best_trade_sol, worst_trade_sol, avg_hold from pg_temp.board('steady') $$,
  $$ values (null::numeric, 0.4::numeric, 0.4::numeric, interval '4 hours'),
            (1.3333, 0.4, -0.3, interval '14 hours'),
            (0.8000, 0.4, -0.3, interval '1 day 01:20:00'),
            (1.8000, 0.5, -0.3, interval '2 days 01:00:00') $$,
  'profit factor (empty with no loss, not a division by zero), best and worst trade, '
  || 'average hold'
);
select results_eq(
  $$ select max_drawdown_sol, max_consecutive_losses from pg_temp.board('steady') $$,
  $$ values (0::numeric, 0::bigint), (0.3, 1), (0.5, 2), (0.5, 2) $$,
  'max drawdown of the realized equity curve from 0 (30d: -0.2, -0.5, -0.1; all: 0.5, 0.3, '
  || '0, 0.4) and the longest losing run'
);
select results_eq(
  $$ select leader_trades_compared, leader_return_pct, copy_return_pct, copy_decay_pct
     from pg_temp.board('steady') where time_window = 'all' $$,
  $$ values (4::bigint, 10.00::numeric, 10.00::numeric, 0.00::numeric) $$,
  'fills at the leader''s own prices: no copy decay'
);
select results_eq(
  $$ select open_exposure_sol, unrealized_pnl_sol from pg_temp.board('steady') $$,
  $$ values (1::numeric, 0::numeric), (1, 0), (1, 0), (1, 0) $$,
  'the open position''s cost and unrealized PnL at refresh time, in every window'
);

-- "slipped": bought 990.099009 tokens at 0.00101 (1 % over the leader's 0.001), sold them
-- at 0.001089 (1 % under the leader's 0.0011) for 1.07821782 SOL: +7.82 % against +10 %.
select results_eq(
  $$ select realized_pnl_sol, leader_trades_compared, leader_return_pct, copy_return_pct,
       copy_decay_pct from pg_temp.board('slipped') where time_window = 'all' $$,
  $$ values (0.07821782::numeric, 1::bigint, 10.00::numeric, 7.82::numeric, 2.18::numeric) $$,
  'copy decay: the leader''s return minus ours on the same trade, in points'
);

select results_eq(
  $$ select time_window, signals_seen, positions_opened, positions_closed, wins, losses,
       realized_pnl_sol, max_drawdown_sol, max_consecutive_losses, leader_trades_compared,
       open_exposure_sol, unrealized_pnl_sol from pg_temp.board('quiet') $$,
  $$ values ('24h', 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::numeric,
             0::numeric, 0::bigint, 0::bigint, 0::numeric, 0::numeric),
            ('7d', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), ('30d', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
            ('all', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) $$,
  'a wallet with no trades has a row of zeros per window, not a missing row'
);
select is(
  (select count(*) from pg_temp.board('quiet') where num_nulls(copied_pct, win_rate_pct,
     avg_return_pct, profit_factor, expectancy_sol, best_trade_sol, worst_trade_sol, avg_hold,
     leader_return_pct, copy_return_pct, copy_decay_pct) = 11),
  4::bigint,
  'and its ratios over nothing are empty: no division by zero aborts the refresh'
);

select is(
  (select count(*) from walltrack.performance), 4 * (select count(*) from walltrack.wallets),
  'one row per wallet and window'
);
select has_index(
  'walltrack', 'performance', 'performance_wallet_window_idx',
  'performance has the unique index that concurrent refresh needs'
);
select ok(
  (select bool_and(refreshed_at = now()) from walltrack.performance),
  'refreshed_at tells when the figures were computed'
);
select results_eq(
  $$ select time_window, trades, win_rate_pct, baseline_win_rate_pct, realized_pnl_sol
     from walltrack.scoreboard where label = 'steady' $$,
  $$ values ('24h', 1::bigint, 100.00::numeric, null::numeric, 0.4::numeric),
            ('7d', 2, 50.00, null, 0.1), ('30d', 3, 33.33, null, -0.1), ('all', 4, 50.00, null, 0.4) $$,
  'the Studio scoreboard lists each wallet''s windows in order, actual next to baseline'
);
select ok(
  (select bool_and(refreshed_at is not null) from walltrack.scoreboard),
  'and says when it was refreshed'
);

-- Wallet discovery applies our measured decay to candidates: the median over the watched
-- wallets with compared trades (steady 0.00 and slipped 2.18), not the config default.
select is(
  (select (k.copy_decay_pct, k.is_default, k.wallets)::text
   from walltrack.discovery_copy_decay as k),
  (1.09, false, 2::bigint)::text,
  'discovery''s copy decay: the median of the watched wallets'' measured decays (0 and 2.18)'
);

select * from finish();
rollback;
