-- Demo wallets for the local stack (supabase/seed.sql, applied once to a fresh
-- database). Addresses are well-formed base58 but belong to no one we know of.
insert into walltrack.wallets (
  address, label, notes, mode, exit_strategy_id, discovery_source, discovery_ref,
  baseline_win_rate_pct, baseline_pnl_sol, baseline_trade_count, baseline_period_days
) values
(
  'DemoWhaLe1111111111111111111111111111111111', 'whale-alpha',
  'Early buyer of pump.fun graduates; holds for hours.', 'simulation',
  null, 'ranking_site', 'demo-ranking/whale-alpha', 68, 412.5, 220, 30
),
(
  'DemoScaLper22222222222222222222222222222222', 'scalper-beta',
  'Many small in-and-out trades on Raydium.', 'simulation',
  (
    select s.id from walltrack.exit_strategies as s
    where s.name = 'scalper'
  ),
  'onchain_analysis', 'demo-analysis/run-7', 55, 96.25, 910, 30
),
(
  'DemoDegen333333333333333333333333333333333', 'degen-gamma',
  'High win rate on paper, suspected wash trading: watch the decay.', 'simulation',
  (
    select s.id from walltrack.exit_strategies as s
    where s.name = 'moonbag runner'
  ),
  'import', 'demo-import.csv', 81, 1280, 64, 14
);
