begin;
select plan(18);

select is((select count(*) from walltrack.config), 1::bigint, 'config is seeded with its one row');
select throws_ok(
  $$ insert into walltrack.config (id) values (true) $$, '23505',
  'config already has its one row: edit it instead of inserting another',
  'a second config row is refused'
);
select throws_ok(
  $$ delete from walltrack.config $$, '23001',
  'the config row cannot be deleted: edit its values instead',
  'deleting the config row is refused'
);
select throws_ok(
  $$ truncate walltrack.config $$, '23001',
  'config rows are permanent: truncate is refused',
  'truncating config is refused'
);
select throws_ok(
  $$ update walltrack.config set fixed_amount_sol = -1 $$, '23514',
  'config sizes (fixed_amount_sol, min_position_sol, max_position_sol, max_total_exposure_sol) '
  || 'must be greater than 0 SOL',
  'a negative size is refused'
);
select throws_ok(
  $$ update walltrack.config set min_position_sol = 2, max_position_sol = 1 $$, '23514',
  'config.min_position_sol (2) must not exceed max_position_sol (1)',
  'min above max is refused'
);
select throws_ok(
  $$ update walltrack.config set leader_fraction = 1.5 $$, '23514',
  'config.leader_fraction must be above 0 and at most 1 (got 1.5)',
  'a leader fraction above 1 is refused'
);
select throws_ok(
  $$ update walltrack.config set default_slippage_bps = 600, max_slippage_bps = 500 $$, '23514',
  'config slippage must satisfy 0 <= default_slippage_bps (600) <= max_slippage_bps (500) '
  || '<= 10000 bps, and sim_slippage_bps (50) within 0..10000',
  'a default slippage above the maximum is refused'
);
select throws_ok(
  $$ update walltrack.config set max_open_positions = 0 $$, '23514',
  'config.max_open_positions and max_positions_per_token must be at least 1',
  'zero open positions is refused (use trading_enabled)'
);
select throws_ok(
  $$ update walltrack.config set breaker_max_drawdown_pct = 150 $$, '23514',
  'config breaker thresholds out of range: max daily loss > 0 SOL, drawdown within 0..100 %, '
  || 'consecutive losses >= 1, win rate within 0..100 % over a window >= 1, '
  || 'cooldown >= 1 minute or empty for manual reset only',
  'a drawdown threshold above 100% is refused'
);
select throws_ok(
  $$ update walltrack.config set max_top10_holders_pct = -1 $$, '23514', null,
  'a negative token filter is refused'
);
select lives_ok(
  $$ update walltrack.config set sizing_mode = 'leader_fraction', leader_fraction = 0.25,
       breaker_cooldown_minutes = 60 $$,
  'a valid edit is accepted'
);
select ok(
  (select updated_at = now() from walltrack.config), 'an edit stamps updated_at'
);

-- NaN sorts above every number, so it passes `> 0`: each number is checked finite.
select throws_ok(
  $$ update walltrack.config set max_total_exposure_sol = 'NaN' $$, '23514',
  'config numbers must be finite: NaN and Infinity are not amounts '
  || '(got max_total_exposure_sol = NaN)',
  'a NaN exposure cap is refused'
);
select throws_ok(
  $$ update walltrack.config set breaker_max_daily_loss_sol = 'Infinity' $$, '23514',
  'config numbers must be finite: NaN and Infinity are not amounts '
  || '(got breaker_max_daily_loss_sol = Infinity)',
  'an infinite breaker threshold is refused'
);
select throws_ok(
  $$ update walltrack.config set min_liquidity_usd = '-Infinity' $$, '23514',
  'config numbers must be finite: NaN and Infinity are not amounts '
  || '(got min_liquidity_usd = -Infinity)',
  'a -Infinity token filter is refused'
);

select throws_ok(
  $$ update walltrack.config set sim_fee_lamports = 9223372036854775807 $$,
  '23514', 'config.sim_fee_lamports must be at most 10000000 (0.01 SOL), got 9223372036854775807',
  'a simulated fee no swap pays is refused'
);
select throws_ok(
  $$ update walltrack.config set helius_history_call_credits = 0 $$, '23514',
  'config: backfill_interval_minutes and webhook_silence_minutes must be within 1..10080, '
  'backfill_credits_per_run at least 0 and helius_history_call_credits within 1..100000; '
  'got 60, 15, 5000, 0',
  'a history call that costs nothing is refused: the budget would never stop a run'
);

select * from finish();
rollback;
