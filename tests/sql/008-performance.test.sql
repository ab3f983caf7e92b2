begin;
select plan(5);

create temporary table fixture as select tests.new_wallet('quiet wallet') as wallet_id;
select walltrack.refresh_performance();

select has_index(
  'walltrack', 'performance', 'performance_wallet_window_idx',
  'performance has the unique index that concurrent refresh needs'
);
select is(
  (select count(*) from walltrack.performance), 4 * (select count(*) from walltrack.wallets),
  'one row per wallet and window (24h, 7d, 30d, all)'
);
select results_eq(
  $$ select time_window, signals_seen, positions_closed, realized_pnl_sol, win_rate_pct,
       open_exposure_sol
     from walltrack.performance where wallet_id = (select wallet_id from fixture)
     order by time_window $$,
  $$ values ('24h', 0::bigint, 0::bigint, 0::numeric, null::numeric, 0::numeric),
            ('30d', 0, 0, 0, null, 0), ('7d', 0, 0, 0, null, 0), ('all', 0, 0, 0, null, 0) $$,
  'a wallet with no trades has a row of zeros, and no division by zero'
);
select lives_ok(
  $$ select walltrack.refresh_performance() $$, 'a concurrent refresh runs inside a transaction'
);
select ok(
  (select bool_and(refreshed_at = now()) from walltrack.performance),
  'refreshed_at tells when the figures were computed'
);

select * from finish();
rollback;
