-- Demo wallets for the local stack (supabase/seed.sql, applied once to a fresh
-- database). Addresses are public keys derived from a hash (no one holds their private
-- keys); the demo scenario (simulator/scenarios/demo.json) trades as them.
insert into walltrack.wallets (
  address, label, notes, mode, exit_strategy_id, discovery_source, discovery_ref,
  baseline_win_rate_pct, baseline_pnl_sol, baseline_trade_count, baseline_period_days
) values
(
  '2uaLK4RYzFft54Mh6zScuQ8ZLyvtaAZ6e7A2QrKAg236', 'whale-alpha',
  'Early buyer of pump.fun graduates; holds for hours.', 'simulation',
  null, 'ranking_site', 'demo-ranking/whale-alpha', 68, 412.5, 220, 30
),
(
  'GGW3UX9WzqTD65dwoVZ99GaZyoFkLPjcJDoXfGdRKKMp', 'scalper-beta',
  'Many small in-and-out trades on Raydium.', 'simulation',
  (
    select s.id from walltrack.exit_strategies as s
    where s.name = 'scalper'
  ),
  'onchain_analysis', 'demo-analysis/run-7', 55, 96.25, 910, 30
),
(
  'GMnY3XLbPuVUm3fPfE7h4EULQ21AYBz4EbUdbEvhh543', 'degen-gamma',
  'High win rate on paper, suspected wash trading: watch the decay.', 'simulation',
  (
    select s.id from walltrack.exit_strategies as s
    where s.name = 'moonbag runner'
  ),
  'import', 'demo-import.csv', 81, 1280, 64, 14
);
