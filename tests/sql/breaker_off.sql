-- For the pytest suite and the benchmarks: they lose money on purpose (stop losses, random
-- price paths, copy benchmarks) and must not trip the circuit breaker or pause a leader,
-- which the pgTAP suite tests on its own. Their recorded swaps are dated November 2025 (simulator.helius_tx):
-- judged by the wall clock every buy would be stale, so the copy-delay rule is off too
-- (tests that need it set it).
update walltrack.config
set
  max_copy_delay_seconds = null,
  breaker_max_daily_loss_sol = 1000000,
  breaker_max_drawdown_pct = 100,
  breaker_max_consecutive_losses = 1000000,
  breaker_min_win_rate_pct = 0,
  breaker_capital_sol = 1000000,
  leader_max_consecutive_losses = null,
  leader_max_loss_sol = null,
  leader_max_baseline_gap_pct = null;
