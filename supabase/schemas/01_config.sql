-- config: the configuration singleton. The one row of global settings an operator edits in
-- Studio. Holds no secret: API keys, the webhook secret and signing keys live in the
-- environment or a secret manager.

create function walltrack.size_tiers_valid(tiers jsonb)
returns boolean
language sql
immutable
set search_path = ''
as $$
  -- A non-empty array of {"min_leader_sol" >= 0, "size_sol" > 0}, min_leader_sol strictly
  -- rising from 0: every leader trade falls in exactly one tier.
  select coalesce(
    jsonb_typeof(tiers) = 'array' and jsonb_array_length(tiers) > 0
    and (tiers -> 0 ->> 'min_leader_sol')::numeric = 0
    and not exists (
      select from jsonb_array_elements(tiers) with ordinality as t (tier, n)
      where coalesce(jsonb_typeof(t.tier -> 'min_leader_sol'), '') <> 'number'
        or coalesce(jsonb_typeof(t.tier -> 'size_sol'), '') <> 'number'
        or (t.tier ->> 'size_sol')::numeric <= 0
        or (t.n > 1 and (t.tier ->> 'min_leader_sol')::numeric
          <= (tiers -> (t.n::integer - 2) ->> 'min_leader_sol')::numeric)
    ),
    false
  );
$$;
comment on function walltrack.size_tiers_valid(jsonb) is
'True for a tiers list config.size_tiers accepts: [{"min_leader_sol", "size_sol"}] rising '
'from 0.';
grant execute on function walltrack.size_tiers_valid(jsonb) to service_role;

create type walltrack.sizing_mode as enum (
  'fixed', 'leader_fraction', 'balance_fraction', 'tiers'
);
comment on type walltrack.sizing_mode is
'fixed = the same SOL amount per copy; leader_fraction = a fraction of the leader''s SOL amount; '
'balance_fraction = a fraction of our own available SOL; tiers = by the leader''s trade size.';

create type walltrack.alert_kind as enum (
  'breaker_activated', 'breaker_reset', 'order_failed', 'order_written_off', 'position_closed',
  'rug', 'token_unsafe_held', 'chain_finding', 'webhook_silent', 'daily_summary'
);
comment on type walltrack.alert_kind is
'What an alert is about (17_alerts.sql); config.alert_kinds_telegram / alert_kinds_discord '
'route each kind.';

create type walltrack.unknown_token_policy as enum ('fail_closed', 'fail_open');
comment on type walltrack.unknown_token_policy is
'What a buy does when the token verdict is unknown: fail_closed skips it, fail_open copies it.';

create table walltrack.config (
  id boolean primary key default true,
  -- trading switches
  trading_enabled boolean not null default true,
  live_trading_enabled boolean not null default false,
  -- sizing
  sizing_mode walltrack.sizing_mode not null default 'fixed',
  fixed_amount_sol numeric not null default 0.1,
  leader_fraction numeric not null default 0.1,
  min_position_sol numeric not null default 0.01,
  max_position_sol numeric not null default 1,
  max_open_positions integer not null default 10,
  max_total_exposure_sol numeric not null default 5,
  max_positions_per_token integer not null default 1,
  -- execution
  default_slippage_bps integer not null default 100,
  max_slippage_bps integer not null default 500,
  priority_fee_lamports bigint not null default 10000,
  jito_tip_lamports bigint,
  order_max_attempts integer not null default 3,
  retry_backoff_seconds integer not null default 2,
  sim_slippage_bps integer not null default 50,
  sim_fee_lamports bigint not null default 15000,
  -- token filters
  token_cache_ttl_minutes integer not null default 60,
  min_liquidity_usd numeric not null default 10000,
  min_market_cap_usd numeric not null default 50000,
  max_market_cap_usd numeric,
  min_pool_age_minutes integer not null default 10,
  max_rugcheck_score integer not null default 50,
  require_mint_authority_revoked boolean not null default true,
  require_freeze_authority_revoked boolean not null default true,
  max_top10_holders_pct numeric not null default 50,
  unknown_token_policy walltrack.unknown_token_policy not null default 'fail_closed',
  -- circuit breaker thresholds
  breaker_max_daily_loss_sol numeric not null default 2,
  breaker_max_drawdown_pct numeric not null default 30,
  breaker_max_consecutive_losses integer not null default 5,
  breaker_min_win_rate_pct numeric not null default 25,
  breaker_win_rate_window integer not null default 20,
  breaker_cooldown_minutes integer,
  -- Helius global webhook (ADR-001)
  helius_webhook_id text,
  helius_webhook_url text,
  helius_synced_at timestamptz,
  helius_synced_hash text,
  updated_at timestamptz not null default walltrack.clock(),
  -- position accounting
  position_dust_sol numeric not null default 0.00001,
  -- Helius sync
  helius_sync_interval_minutes integer not null default 5,
  -- token fact freshness
  token_market_ttl_minutes integer not null default 5,
  token_unknown_ttl_minutes integer not null default 2,
  -- circuit breaker bankroll
  breaker_capital_sol numeric not null default 10,
  -- copy latency
  max_copy_delay_seconds integer default 20,
  -- history backfill (Helius parsed history, when a delivery was missed)
  backfill_interval_minutes integer not null default 60,
  webhook_silence_minutes integer not null default 15,
  backfill_credits_per_run integer not null default 5000,
  helius_history_call_credits integer not null default 100,
  -- landing: the priority fee from the network's recent fees
  priority_fee_percentile integer not null default 75,
  priority_fee_compute_units integer not null default 200000,
  priority_fee_max_lamports bigint not null default 1000000,
  -- wallet discovery (15_wallet_discovery.sql)
  discovery_credits_per_run integer not null default 5000,
  discovery_search_queries text[] not null default '{sol}',
  discovery_period_days integer not null default 30,
  discovery_winner_min_price_change_pct numeric not null default 100,
  discovery_winner_min_liquidity_usd numeric not null default 20000,
  discovery_winner_min_volume_usd numeric not null default 100000,
  discovery_min_size_buy_sol numeric not null default 5,
  discovery_early_buyers integer not null default 20,
  discovery_dust_sol numeric not null default 0.005,
  discovery_bot_max_tx_per_minute integer not null default 10,
  discovery_bot_max_tokens_per_hour integer not null default 20,
  discovery_sniper_max_median_hold_minutes numeric not null default 5,
  discovery_sniper_min_closed_tokens integer not null default 5,
  discovery_max_win_rate_pct numeric not null default 90,
  discovery_win_rate_min_trades integer not null default 20,
  discovery_fresh_wallet_days integer not null default 7,
  discovery_sold_never_bought_min_tokens integer not null default 1,
  discovery_max_single_token_profit_pct numeric not null default 75,
  discovery_min_trades integer not null default 5,
  discovery_default_copy_decay_pct numeric not null default 10,
  discovery_auto_promote_top_n integer not null default 0,
  discovery_wash_min_round_trips integer not null default 5,
  discovery_wash_max_pnl_pct numeric not null default 1,
  -- alerts (17_alerts.sql)
  alert_kinds_telegram walltrack.alert_kind[] not null default array[
    'breaker_activated', 'breaker_reset', 'order_failed', 'order_written_off', 'rug',
    'token_unsafe_held', 'chain_finding', 'webhook_silent', 'daily_summary'
  ]::walltrack.alert_kind[],
  alert_kinds_discord walltrack.alert_kind[] not null default array[
    'breaker_activated', 'breaker_reset', 'order_failed', 'order_written_off', 'rug',
    'token_unsafe_held', 'chain_finding', 'webhook_silent', 'daily_summary'
  ]::walltrack.alert_kind[],
  alert_max_age_minutes integer not null default 60,
  alert_max_attempts integer not null default 5,
  alert_rug_loss_pct numeric not null default 50,
  alert_daily_summary_hour integer not null default 8,
  -- the one clock (00_foundation.sql): a production database refuses walltrack.set_clock
  production boolean not null default false,
  -- the live wallets trade on the market simulator's chain (the offline stack sets it)
  simulated_chain boolean not null default false,
  -- the recorded price path (walltrack.price_history), for replays
  price_history_days integer not null default 7,
  -- per-leader protections (09_leader_pauses.sql); empty = off; a wallet's pause_* override
  leader_max_consecutive_losses integer default 5,
  leader_max_loss_sol numeric,
  leader_loss_window_hours integer not null default 24,
  leader_max_baseline_gap_pct numeric default 30,
  leader_baseline_trades integer not null default 10,
  leader_pause_cooldown_minutes integer,
  -- sizing modes (10_copy_decisions.sql: walltrack.copy_sizing)
  balance_fraction numeric not null default 0.02,
  sim_bankroll_sol numeric not null default 10,
  size_tiers jsonb not null default jsonb_build_array(
    jsonb_build_object('min_leader_sol', 0, 'size_sol', 0.05),
    jsonb_build_object('min_leader_sol', 1, 'size_sol', 0.1),
    jsonb_build_object('min_leader_sol', 10, 'size_sol', 0.25)
  ),
  min_leader_trade_sol numeric,
  -- the trading key's SOL at the last chain read (reconcile-wallet), for balance_fraction
  trading_key_sol_lamports bigint,
  trading_key_read_at timestamptz,

  constraint config_single_row check (walltrack.ensure(
    id, 'config has exactly one row, whose id is true'
  )),
  constraint config_sizes_positive check (walltrack.ensure(
    fixed_amount_sol > 0 and min_position_sol > 0 and max_position_sol > 0
    and max_total_exposure_sol > 0,
    'config sizes (fixed_amount_sol, min_position_sol, max_position_sol, '
    || 'max_total_exposure_sol) must be greater than 0 SOL'
  )),
  constraint config_min_not_above_max check (walltrack.ensure(
    min_position_sol <= max_position_sol,
    format(
      'config.min_position_sol (%s) must not exceed max_position_sol (%s)',
      min_position_sol, max_position_sol
    )
  )),
  constraint config_leader_fraction_range check (walltrack.ensure(
    leader_fraction > 0 and leader_fraction <= 1,
    format('config.leader_fraction must be above 0 and at most 1 (got %s)', leader_fraction),
    'Use 0.1 to copy 10% of the leader''s SOL amount.'
  )),
  constraint config_limits_positive check (walltrack.ensure(
    max_open_positions >= 1 and max_positions_per_token >= 1,
    'config.max_open_positions and max_positions_per_token must be at least 1',
    'To stop buying, set trading_enabled to false instead.'
  )),
  constraint config_slippage_range check (walltrack.ensure(
    default_slippage_bps between 0 and max_slippage_bps
    and max_slippage_bps <= 10000 and sim_slippage_bps between 0 and 10000,
    format(
      'config slippage must satisfy 0 <= default_slippage_bps (%s) <= max_slippage_bps (%s) '
      || '<= 10000 bps, and sim_slippage_bps (%s) within 0..10000',
      default_slippage_bps, max_slippage_bps, sim_slippage_bps
    )
  )),
  constraint config_fees_not_negative check (walltrack.ensure(
    priority_fee_lamports >= 0 and coalesce(jito_tip_lamports, 0) >= 0 and sim_fee_lamports >= 0,
    'config fees and tips (lamports) must not be negative'
  )),
  -- A simulated fill pays this fee; past 0.01 SOL no real swap pays it, and an absurd fee
  -- would turn every paper exit into a loss larger than the position.
  constraint config_sim_fee_realistic check (walltrack.ensure(
    sim_fee_lamports <= 10000000,
    format(
      'config.sim_fee_lamports must be at most 10000000 (0.01 SOL), got %s',
      sim_fee_lamports
    )
  )),
  constraint config_retry_range check (walltrack.ensure(
    order_max_attempts between 1 and 20 and retry_backoff_seconds between 0 and 3600,
    'config.order_max_attempts must be within 1..20 and retry_backoff_seconds within 0..3600'
  )),
  constraint config_token_filters_range check (walltrack.ensure(
    token_cache_ttl_minutes >= 1 and min_liquidity_usd >= 0 and min_market_cap_usd >= 0
    and coalesce(max_market_cap_usd > min_market_cap_usd, true)
    and min_pool_age_minutes >= 0 and max_rugcheck_score between 0 and 100
    and max_top10_holders_pct between 0 and 100,
    'config token filters out of range: token_cache_ttl_minutes >= 1, liquidity and market caps '
    || '>= 0 with max_market_cap_usd above min_market_cap_usd, min_pool_age_minutes >= 0, '
    || 'max_rugcheck_score and max_top10_holders_pct within 0..100'
  )),
  constraint config_breaker_range check (walltrack.ensure(
    breaker_max_daily_loss_sol > 0 and breaker_max_drawdown_pct > 0
    and breaker_max_drawdown_pct <= 100 and breaker_max_consecutive_losses >= 1
    and breaker_min_win_rate_pct between 0 and 100 and breaker_win_rate_window >= 1
    and coalesce(breaker_cooldown_minutes >= 1, true),
    'config breaker thresholds out of range: max daily loss > 0 SOL, drawdown within 0..100 %, '
    || 'consecutive losses >= 1, win rate within 0..100 % over a window >= 1, '
    || 'cooldown >= 1 minute or empty for manual reset only'
  )),
  constraint config_dust_range check (walltrack.ensure(
    position_dust_sol >= 0 and position_dust_sol < 1,
    'config.position_dust_sol must be within [0, 1) SOL'
  )),
  constraint config_helius_sync_interval_range check (walltrack.ensure(
    helius_sync_interval_minutes between 1 and 1440,
    'config.helius_sync_interval_minutes must be within 1..1440'
  )),
  constraint config_token_ttls_range check (walltrack.ensure(
    token_market_ttl_minutes between 1 and 1440 and token_unknown_ttl_minutes between 1 and 1440,
    'config.token_market_ttl_minutes and token_unknown_ttl_minutes must be within 1..1440'
  )),
  constraint config_breaker_capital_positive check (walltrack.ensure(
    breaker_capital_sol > 0,
    'config.breaker_capital_sol (the bankroll drawdowns are measured on) must be above 0'
  )),
  constraint config_copy_delay_range check (walltrack.ensure(
    coalesce(max_copy_delay_seconds between 1 and 3600, true),
    format(
      'config.max_copy_delay_seconds must be within 1..3600 or empty, got %s',
      max_copy_delay_seconds
    ),
    'Empty copies a buy however late it is decided (only for replaying recorded swaps).'
  )),
  constraint config_backfill_ranges check (walltrack.ensure(
    backfill_interval_minutes between 1 and 10080 and webhook_silence_minutes between 1 and 10080
    and backfill_credits_per_run >= 0 and helius_history_call_credits between 1 and 100000,
    format(
      'config: backfill_interval_minutes and webhook_silence_minutes must be within 1..10080, '
      'backfill_credits_per_run at least 0 and helius_history_call_credits within 1..100000; '
      'got %s, %s, %s, %s', backfill_interval_minutes, webhook_silence_minutes,
      backfill_credits_per_run, helius_history_call_credits
    )
  )),
  constraint config_priority_fee_range check (walltrack.ensure(
    priority_fee_percentile between 1 and 100
    and priority_fee_compute_units between 1 and 1400000
    and priority_fee_max_lamports between 0 and 50000000,
    format(
      'config.priority_fee_percentile must be within 1..100 (got %s), '
      || 'priority_fee_compute_units within 1..1400000 (got %s) and '
      || 'priority_fee_max_lamports within 0..50000000 (0.05 SOL, got %s)',
      priority_fee_percentile, priority_fee_compute_units, priority_fee_max_lamports
    ),
    'A transaction holds at most 1,400,000 compute units; 75 pays what three slots in four '
    || 'of the recent ones paid at least.'
  )),
  -- Jito's block engine drops a transaction whose tip is below its minimum: a smaller tip
  -- would only make every attempt fail.
  constraint config_jito_tip_minimum check (walltrack.ensure(
    coalesce(jito_tip_lamports >= 1000, true),
    format(
      'config.jito_tip_lamports must be at least 1000 (Jito''s minimum tip) or empty, got %s',
      jito_tip_lamports
    ),
    'Empty sends live transactions through the RPC node, without a tip.'
  )),
  constraint config_discovery_ranges check (walltrack.ensure(
    discovery_credits_per_run >= 0 and discovery_period_days between 1 and 365
    and discovery_winner_min_price_change_pct >= -100 and discovery_winner_min_liquidity_usd >= 0
    and discovery_winner_min_volume_usd >= 0 and discovery_min_size_buy_sol > 0
    and discovery_early_buyers between 0 and 1000 and discovery_dust_sol >= 0
    and discovery_dust_sol < 1 and cardinality(discovery_search_queries) <= 50,
    format(
      'config discovery settings out of range: discovery_credits_per_run >= 0 (got %s), '
      || 'discovery_period_days within 1..365 (got %s), discovery_winner_min_price_change_pct '
      || '>= -100 (got %s), winner liquidity and volume minimums >= 0 USD (got %s, %s), '
      || 'discovery_min_size_buy_sol above 0 (got %s), discovery_early_buyers within 0..1000 '
      || '(got %s), discovery_dust_sol within [0, 1) SOL (got %s), at most 50 search queries',
      discovery_credits_per_run, discovery_period_days, discovery_winner_min_price_change_pct,
      discovery_winner_min_liquidity_usd, discovery_winner_min_volume_usd,
      discovery_min_size_buy_sol, discovery_early_buyers, discovery_dust_sol
    ),
    'discovery_credits_per_run = 0 pauses discovery; the defaults follow what peers use.'
  )),
  constraint config_discovery_flag_thresholds check (walltrack.ensure(
    discovery_bot_max_tx_per_minute >= 1 and discovery_bot_max_tokens_per_hour >= 1
    and discovery_sniper_max_median_hold_minutes >= 0
    and discovery_sniper_min_closed_tokens >= 1
    and discovery_max_win_rate_pct between 0 and 100 and discovery_win_rate_min_trades >= 1
    and discovery_fresh_wallet_days >= 0 and discovery_sold_never_bought_min_tokens >= 1
    and discovery_max_single_token_profit_pct > 0 and discovery_min_trades >= 0
    and discovery_default_copy_decay_pct between -100 and 100
    and discovery_auto_promote_top_n between 0 and 100,
    format(
      'config discovery flag thresholds out of range: bot limits >= 1 (got %s tx/min, %s '
      || 'tokens/h), sniper hold >= 0 minutes over >= 1 closed tokens (got %s, %s), win rate '
      || 'within 0..100 %% over >= 1 trades (got %s, %s), fresh wallet days >= 0 (got %s), '
      || 'sold-never-bought tokens >= 1 (got %s), single-token profit share above 0 %% (got '
      || '%s), minimum trades >= 0 (got %s), default copy decay within -100..100 points (got '
      || '%s), auto-promote top N within 0..100 (got %s)',
      discovery_bot_max_tx_per_minute, discovery_bot_max_tokens_per_hour,
      discovery_sniper_max_median_hold_minutes, discovery_sniper_min_closed_tokens,
      discovery_max_win_rate_pct, discovery_win_rate_min_trades, discovery_fresh_wallet_days,
      discovery_sold_never_bought_min_tokens, discovery_max_single_token_profit_pct,
      discovery_min_trades, discovery_default_copy_decay_pct, discovery_auto_promote_top_n
    ),
    'discovery_auto_promote_top_n = 0 turns auto-promotion off (the default).'
  )),
  constraint config_alert_settings check (walltrack.ensure(
    alert_max_age_minutes between 1 and 10080 and alert_max_attempts between 1 and 100
    and alert_rug_loss_pct between 0 and 100 and alert_daily_summary_hour between 0 and 23,
    format(
      'config alert settings out of range: alert_max_age_minutes within 1..10080 (got %s), '
      || 'alert_max_attempts within 1..100 (got %s), alert_rug_loss_pct within 0..100 (got '
      || '%s), alert_daily_summary_hour within 0..23 UTC (got %s)',
      alert_max_age_minutes, alert_max_attempts, alert_rug_loss_pct, alert_daily_summary_hour
    ),
    'An empty alert_kinds_telegram or alert_kinds_discord sends nothing there.'
  )),
  constraint config_simulated_chain_not_in_production check (walltrack.ensure(
    not (production and simulated_chain),
    'config.simulated_chain cannot be on in production: a production database trades on the '
    || 'real chain',
    'simulated_chain is the offline stack''s, set by scripts/stack.sh with the market simulator.'
  )),
  constraint config_price_history_days check (walltrack.ensure(
    price_history_days between 1 and 366,
    format('config.price_history_days must be within 1..366 (got %s)', price_history_days),
    'The replay reads the price path between the leaders'' swaps from this history.'
  )),
  constraint config_leader_protections check (walltrack.ensure(
    coalesce(leader_max_consecutive_losses between 1 and 1000, true)
    and coalesce(leader_max_loss_sol > 0, true)
    and leader_loss_window_hours between 1 and 720
    and coalesce(leader_max_baseline_gap_pct between 0 and 100, true)
    and leader_baseline_trades between 1 and 1000
    and coalesce(leader_pause_cooldown_minutes between 1 and 525600, true),
    format(
      'config leader protections out of range: leader_max_consecutive_losses within 1..1000 '
      || '(got %s), leader_max_loss_sol above 0 (got %s), leader_loss_window_hours within '
      || '1..720 (got %s), leader_max_baseline_gap_pct within 0..100 points (got %s), '
      || 'leader_baseline_trades within 1..1000 (got %s), leader_pause_cooldown_minutes '
      || 'within 1..525600 (got %s)',
      leader_max_consecutive_losses, leader_max_loss_sol, leader_loss_window_hours,
      leader_max_baseline_gap_pct, leader_baseline_trades, leader_pause_cooldown_minutes
    ),
    'Leave a threshold empty to switch that protection off; an empty cooldown means only an '
    || 'operator resumes a paused leader (api.resume_leader).'
  )),
  constraint config_sizing_modes check (walltrack.ensure(
    balance_fraction > 0 and balance_fraction <= 1 and sim_bankroll_sol > 0
    and coalesce(min_leader_trade_sol >= 0, true) and walltrack.size_tiers_valid(size_tiers),
    format(
      'config sizing out of range: balance_fraction within (0, 1] (got %s), sim_bankroll_sol '
      || 'above 0 (got %s), min_leader_trade_sol at least 0 or empty (got %s), size_tiers a '
      || 'JSON array of {"min_leader_sol" >= 0, "size_sol" > 0}, from the smallest leader trade '
      || 'up, the first at 0 (got %s)',
      balance_fraction, sim_bankroll_sol, min_leader_trade_sol, size_tiers
    ),
    'e.g. [{"min_leader_sol": 0, "size_sol": 0.05}, {"min_leader_sol": 1, "size_sol": 0.1}]'
  )),
  constraint config_sizing_numbers_finite check (walltrack.ensure_finite(
    'config', array['balance_fraction', 'sim_bankroll_sol', 'min_leader_trade_sol'],
    array[balance_fraction, sim_bankroll_sol, min_leader_trade_sol]
  )),
  constraint config_leader_numbers_finite check (walltrack.ensure_finite(
    'config', array['leader_max_loss_sol', 'leader_max_baseline_gap_pct'],
    array[leader_max_loss_sol, leader_max_baseline_gap_pct]
  )),
  -- between also refuses NaN (Postgres sorts it above every number).
  constraint config_discovery_wash_thresholds check (walltrack.ensure(
    discovery_wash_min_round_trips >= 2 and discovery_wash_max_pnl_pct between 0 and 100,
    format(
      'config wash trading flag out of range: at least 2 round trips (got %s), PnL within '
      || '0..100 %% of the SOL bought (got %s)',
      discovery_wash_min_round_trips, discovery_wash_max_pnl_pct
    )
  )),
  constraint config_discovery_numbers_finite check (walltrack.ensure_finite(
    'config',
    array[
      'discovery_winner_min_price_change_pct', 'discovery_winner_min_liquidity_usd',
      'discovery_winner_min_volume_usd', 'discovery_min_size_buy_sol', 'discovery_dust_sol',
      'discovery_sniper_max_median_hold_minutes', 'discovery_max_win_rate_pct',
      'discovery_max_single_token_profit_pct', 'discovery_default_copy_decay_pct'
    ],
    array[
      discovery_winner_min_price_change_pct, discovery_winner_min_liquidity_usd,
      discovery_winner_min_volume_usd, discovery_min_size_buy_sol, discovery_dust_sol,
      discovery_sniper_max_median_hold_minutes, discovery_max_win_rate_pct,
      discovery_max_single_token_profit_pct, discovery_default_copy_decay_pct
    ]
  )),
  -- NaN passes `> 0` (Postgres sorts it above every number): every amount, limit and
  -- threshold is a real number. Integer columns cannot hold NaN.
  constraint config_numbers_finite check (walltrack.ensure_finite(
    'config',
    array[
      'fixed_amount_sol', 'leader_fraction', 'min_position_sol', 'max_position_sol',
      'max_total_exposure_sol', 'min_liquidity_usd', 'min_market_cap_usd', 'max_market_cap_usd',
      'max_top10_holders_pct', 'breaker_max_daily_loss_sol', 'breaker_max_drawdown_pct',
      'breaker_min_win_rate_pct', 'position_dust_sol', 'breaker_capital_sol'
    ],
    array[
      fixed_amount_sol, leader_fraction, min_position_sol, max_position_sol,
      max_total_exposure_sol, min_liquidity_usd, min_market_cap_usd, max_market_cap_usd,
      max_top10_holders_pct, breaker_max_daily_loss_sol, breaker_max_drawdown_pct,
      breaker_min_win_rate_pct, position_dust_sol, breaker_capital_sol
    ]
  ))
);

create function walltrack.trigger_config_singleton()
returns trigger
language plpgsql
set search_path = ''
as $$
-- The config row is created by this migration and only ever edited.
begin
  if tg_op = 'INSERT' then
    raise exception using
      message = 'config already has its one row: edit it instead of inserting another',
      errcode = 'unique_violation';
  end if;
  raise exception using
    message = 'the config row cannot be deleted: edit its values instead',
    errcode = 'restrict_violation';
end;
$$;
comment on function walltrack.trigger_config_singleton() is
'Refuses a second config row and the deletion of the only one.';

-- The seeded row is inserted before the guard exists; afterwards inserts are refused.
insert into walltrack.config default values;

-- Triggers on config, in the order Postgres fires them (one timing at a time, by name):
--   insert    config_before_insert_singleton       refused: the one row exists, edit it
--   update    config_before_update_keep_production once production, always production
--             config_before_update_set_updated_at  stamp updated_at
--             config_after_update_rejudge_tokens   a threshold edit re-judges cached tokens:
--                                                  created in 04_tokens.sql, with the rule
--   delete    config_before_insert_singleton       refused: the row is edited, never removed
--   truncate  config_before_truncate_singleton     refused
create trigger config_before_insert_singleton
before insert or delete on walltrack.config
for each row execute function walltrack.trigger_config_singleton();

create trigger config_before_truncate_singleton
before truncate on walltrack.config
for each statement execute function walltrack.trigger_refuse_change(
  'The config row is edited, never removed.'
);

create function walltrack.trigger_config_keep_production()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform walltrack.ensure(new.production or not old.production,
    'config.production cannot be turned off: a production database keeps its one clock',
    'Replay and test on a database of their own.');
  return new;
end;
$$;
comment on function walltrack.trigger_config_keep_production() is
'Refuses turning config.production off once on.';

create trigger config_before_update_keep_production
before update of production on walltrack.config
for each row execute function walltrack.trigger_config_keep_production();

create trigger config_before_update_set_updated_at
before update on walltrack.config
for each row execute function walltrack.trigger_set_updated_at();

create function walltrack.set_clock(at timestamptz, for_session boolean default false)
returns timestamptz
language plpgsql
set search_path = ''
as $$
-- Sets the time every rule reads (walltrack.clock), for this transaction (the default) or
-- for this session: a replay, the demo, a test. Refused where WallTrack trades for real
-- (config.production, or live trading on a real chain), so it can never forge when an
-- event happened. A session's clock never goes backwards, and a transaction's is never
-- before its session's (walltrack.clock_floor, kept where the clock is).
declare
  cfg walltrack.config;
  floor_text text := nullif(current_setting('walltrack.clock_floor', true), '');
begin
  select c.* into strict cfg from walltrack.config as c;
  perform walltrack.ensure(
    not cfg.production and (not cfg.live_trading_enabled or cfg.simulated_chain),
    'the clock is set only where nothing trades for real: live trading is on (on a real '
    || 'chain: config.simulated_chain is off), or this database is marked production '
    || '(config.production)',
    'Replay on a database of its own (make replay), never on the one that trades.');
  perform walltrack.ensure(at is not null and isfinite(at), 'set_clock needs a finite time');
  perform walltrack.ensure(floor_text is null or at >= floor_text::timestamptz,
    format('the clock cannot go backwards within a session: %s is before %s', at, floor_text),
    'Start a new session to replay from an earlier time.');
  perform set_config('walltrack.clock_floor', at::text, not for_session);
  perform set_config('walltrack.clock', at::text, not for_session);
  return at;
end;
$$;
comment on function walltrack.set_clock(timestamptz, boolean) is
'Sets the clock every rule reads for this transaction (or session): refused on a database '
'that trades for real, and never backwards within a session.';
grant execute on function walltrack.set_clock(timestamptz, boolean) to service_role;

create function walltrack.clock_from_request()
returns void
language plpgsql
set search_path = ''
as $$
-- PostgREST's pre-request hook on the offline stack (scripts/stack.sh): a request carrying
-- X-WallTrack-Clock (the demo's scenario time, forwarded by the functions) runs at that
-- time, through set_clock and its refusals. Without the header, nothing changes.
declare
  at_text text := nullif(current_setting('request.headers', true), '')::json
    ->> 'x-walltrack-clock';
begin
  if at_text is not null then
    perform walltrack.set_clock(at_text::timestamptz);
  end if;
end;
$$;
comment on function walltrack.clock_from_request() is
'PostgREST pre-request hook (offline stack): sets this request''s clock from its '
'X-WallTrack-Clock header.';
grant execute on function walltrack.clock_from_request() to service_role;

alter table walltrack.config enable row level security;
grant select, update on walltrack.config to service_role;

comment on table walltrack.config is
'Configuration Singleton: the one row of global settings (trading switches, sizing, '
'execution, token filters, circuit breaker thresholds, Helius webhook state). Edit it in '
'Studio; a second row or a deletion is refused. Never holds a secret.';
comment on column walltrack.config.id is
'Always true: the primary key that makes this table a single row.';
comment on column walltrack.config.trading_enabled is
'Master switch: when false no new position is opened; exits keep running.';
comment on column walltrack.config.live_trading_enabled is
'When false, orders for live wallets are refused (simulation wallets still trade).';
comment on column walltrack.config.sizing_mode is
'fixed = fixed_amount_sol per copy; leader_fraction = leader_fraction x the leader''s SOL amount; '
'balance_fraction = balance_fraction x our available SOL; tiers = size_tiers by the leader''s '
'SOL amount. Every mode is capped at max_position_sol.';
comment on column walltrack.config.fixed_amount_sol is
'SOL spent per copied buy in fixed sizing mode.';
comment on column walltrack.config.leader_fraction is
'Share (0..1] of the leader''s SOL amount spent per copy in leader_fraction mode.';
comment on column walltrack.config.min_position_sol is
'A copy smaller than this is skipped (below_min_size): fees would eat it.';
comment on column walltrack.config.max_position_sol is
'A copy larger than this is capped to it.';
comment on column walltrack.config.max_open_positions is
'No new position while this many are open (max_positions).';
comment on column walltrack.config.max_total_exposure_sol is
'No new position when open cost basis plus the new copy would exceed this (exposure_limit).';
comment on column walltrack.config.max_positions_per_token is
'Open positions allowed per token; 1 stops buying a token twice when several leaders buy it.';
comment on column walltrack.config.default_slippage_bps is
'Slippage bound for orders, in basis points (100 = 1%).';
comment on column walltrack.config.max_slippage_bps is
'Hard ceiling: no order or retry is ever sent with a wider slippage bound.';
comment on column walltrack.config.priority_fee_lamports is
'Fallback priority fee per live transaction, in lamports: paid when the network reports no '
'recent fees for the swap''s accounts (capped by priority_fee_max_lamports too).';
comment on column walltrack.config.jito_tip_lamports is
'Jito tip per live transaction in lamports (at least 1000), a transfer to a Jito tip account '
'inside the swap''s own transaction, sent through JITO_URL; empty, or JITO_URL unset = sent '
'through the RPC node without a tip.';
comment on column walltrack.config.order_max_attempts is
'Attempts before an order fails for good.';
comment on column walltrack.config.retry_backoff_seconds is
'Base of the exponential back-off between attempts (base x 2^(attempt-1)).';
comment on column walltrack.config.sim_slippage_bps is
'Simulation fills are this many bps worse than the reference price.';
comment on column walltrack.config.sim_fee_lamports is
'Network plus priority fee charged to each simulated fill, in lamports.';
comment on column walltrack.config.token_cache_ttl_minutes is
'RugCheck facts and active authorities are trusted this long; revoked authorities for good.';
comment on column walltrack.config.min_liquidity_usd is
'Tokens whose deepest pool holds less USD liquidity are not bought.';
comment on column walltrack.config.min_market_cap_usd is
'Tokens below this market cap are not bought.';
comment on column walltrack.config.max_market_cap_usd is
'Tokens above this market cap are not bought; empty = no ceiling.';
comment on column walltrack.config.min_pool_age_minutes is
'Pools younger than this are not bought (fresh pools are where rugs happen).';
comment on column walltrack.config.max_rugcheck_score is
'Highest RugCheck normalised risk score (0..100, higher = riskier) still bought.';
comment on column walltrack.config.require_mint_authority_revoked is
'Refuse tokens whose mint authority can still print supply.';
comment on column walltrack.config.require_freeze_authority_revoked is
'Refuse tokens whose freeze authority can still freeze our account (honeypot).';
comment on column walltrack.config.max_top10_holders_pct is
'Refuse tokens whose top 10 holders own more than this share of supply.';
comment on column walltrack.config.unknown_token_policy is
'What a buy does when facts are missing (a source down): fail_closed (default) skips it.';
comment on column walltrack.config.breaker_max_daily_loss_sol is
'Breaker trips when realized losses over a rolling 24 h exceed this (SOL).';
comment on column walltrack.config.breaker_max_drawdown_pct is
'Breaker trips when realized equity falls this % below its peak.';
comment on column walltrack.config.breaker_max_consecutive_losses is
'Breaker trips after this many losing closes in a row.';
comment on column walltrack.config.breaker_min_win_rate_pct is
'Breaker trips when the win rate over the last breaker_win_rate_window closes falls below this.';
comment on column walltrack.config.breaker_win_rate_window is
'Number of most recent closes the win-rate rule looks at.';
comment on column walltrack.config.breaker_cooldown_minutes is
'Automatic reset after this many minutes; empty = manual reset only.';
comment on column walltrack.config.helius_webhook_id is
'Id of the one global Helius webhook (ADR-001); empty until the first sync creates it.';
comment on column walltrack.config.helius_webhook_url is
'URL Helius posts to (the helius-webhook function).';
comment on column walltrack.config.helius_synced_at is
'When the address list was last pushed to Helius.';
comment on column walltrack.config.helius_synced_hash is
'Hash of the subscription last pushed (active addresses and transaction types); a different '
'current hash means a sync is due.';
comment on column walltrack.config.updated_at is
'Last edit of this row.';
comment on column walltrack.config.position_dust_sol is
'A position whose remaining cost falls below this (SOL) after a sell is closed: the dust is '
'written off into realized PnL.';
comment on column walltrack.config.helius_sync_interval_minutes is
'Minimum minutes between two pushes of the address list to Helius (each costs credits).';
comment on column walltrack.config.token_market_ttl_minutes is
'Market facts (liquidity, market cap, price) are trusted this long; RugCheck facts of a token '
'younger than an hour too.';
comment on column walltrack.config.token_unknown_ttl_minutes is
'A source that failed is asked again after this many minutes (an unknown is not cached long).';
comment on column walltrack.config.breaker_capital_sol is
'Bankroll the equity curve starts from: drawdown % = (peak equity - equity) / peak equity.';
comment on column walltrack.config.max_copy_delay_seconds is
'A leader buy not decided within this many seconds of its block time is skipped as stale: '
'the price has moved on. Sells are mirrored however late. Empty = no limit (a replay of '
'recorded swaps).';
comment on column walltrack.config.backfill_interval_minutes is
'Each watched wallet''s parsed history is read at least this often (helius-backfill), to '
'recover deliveries Helius dropped.';
comment on column walltrack.config.webhook_silence_minutes is
'No webhook delivery for this long (any wallet) is a gap the database can see: every wallet '
'not read since is read at the next backfill run. delivery_health flags it.';
comment on column walltrack.config.backfill_credits_per_run is
'Helius credits one helius-backfill run may spend; the wallets left continue next run. '
'0 pauses the backfill.';
comment on column walltrack.config.helius_history_call_credits is
'Helius credits one parsed-history call costs (your plan''s price of an enhanced API call).';
comment on column walltrack.config.priority_fee_percentile is
'Percentile (1..100, nearest rank) of the recent per-slot prioritization fees of the swap''s '
'writable accounts (getRecentPrioritizationFees) that a live transaction bids.';
comment on column walltrack.config.priority_fee_compute_units is
'Compute units a swap is priced for: priority fee lamports = percentile fee (micro-lamports '
'per unit) x these units / 1,000,000, rounded up.';
comment on column walltrack.config.priority_fee_max_lamports is
'Cap of the priority fee per live transaction, in lamports, whatever the network asks (a '
'fee spike is not followed past it).';
comment on column walltrack.config.discovery_credits_per_run is
'Helius credits one wallet-discovery run may spend on parsed histories (winners'' mints, then '
'candidates); the work left resumes next run. 0 pauses discovery.';
comment on column walltrack.config.discovery_search_queries is
'DexScreener search queries (GET /latest/dex/search?q=) a discovery run asks for winners, next '
'to the top boosted tokens.';
comment on column walltrack.config.discovery_period_days is
'Days of a candidate''s history its ledger is measured over (the baseline period), ending when '
'its history read completed.';
comment on column walltrack.config.discovery_winner_min_price_change_pct is
'A token is a winner when its deepest SOL pair rose at least this much over 24 h, %.';
comment on column walltrack.config.discovery_winner_min_liquidity_usd is
'A winner''s deepest SOL pair holds at least this much liquidity, USD.';
comment on column walltrack.config.discovery_winner_min_volume_usd is
'A winner traded at least this much over 24 h, USD.';
comment on column walltrack.config.discovery_min_size_buy_sol is
'A buyer of a winner whose own SOL paid at least this much in one buy is a candidate at once '
'(size buyer).';
comment on column walltrack.config.discovery_early_buyers is
'The first this many buyers of a winner, by block time, become candidates once its history walk '
'reaches the mint''s first transaction (early buyers).';
comment on column walltrack.config.discovery_dust_sol is
'A candidate swap moving less SOL than this is fees or rent, not a trade: the ledger ignores it.';
comment on column walltrack.config.discovery_bot_max_tx_per_minute is
'Bot flag: a candidate with this many transactions or more within one calendar minute.';
comment on column walltrack.config.discovery_bot_max_tokens_per_hour is
'Bot flag: a candidate trading this many distinct tokens or more within one calendar hour.';
comment on column walltrack.config.discovery_sniper_max_median_hold_minutes is
'Sniper flag: median hold (first buy to last sell per token) under this many minutes...';
comment on column walltrack.config.discovery_sniper_min_closed_tokens is
'...over at least this many closed or partly closed tokens (trades).';
comment on column walltrack.config.discovery_max_win_rate_pct is
'Suspicious win rate flag: a win rate above this %...';
comment on column walltrack.config.discovery_win_rate_min_trades is
'...over at least this many trades (small wins with losses left open, or wash trades).';
comment on column walltrack.config.discovery_fresh_wallet_days is
'Fresh wallet flag: the earliest swap of the candidate''s history read is less than this many '
'days before the end of its period.';
comment on column walltrack.config.discovery_sold_never_bought_min_tokens is
'Sold never bought flag: at least this many tokens sold with no buy seen before (received from '
'elsewhere: no cost basis, so no profit counted).';
comment on column walltrack.config.discovery_max_single_token_profit_pct is
'Single token flag: the largest win is more than this % of the candidate''s total realized PnL '
'(default 75: memecoin returns are lopsided, so a good trader''s best of five trades is often '
'half its profit; three quarters is one token carrying the record).';
comment on column walltrack.config.discovery_min_trades is
'Low activity flag: fewer trades than this over the period measure nothing.';
comment on column walltrack.config.discovery_default_copy_decay_pct is
'Copy decay (points of return per trade) assumed for candidates while no watched wallet has a '
'measured copy decay (the scoreboard''s copy_decay_pct).';
comment on column walltrack.config.discovery_auto_promote_top_n is
'walltrack.auto_promote_candidates promotes the unflagged candidates among the top this many of '
'walltrack.candidate_ranking, in simulation mode. 0 (default) = off.';
comment on column walltrack.config.alert_kinds_telegram is
'The alert kinds sent to Telegram (when notify has TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID); '
'position_closed (every close) is left out by default.';
comment on column walltrack.config.alert_kinds_discord is
'The alert kinds sent to Discord (when notify has DISCORD_WEBHOOK_URL).';
comment on column walltrack.config.alert_max_age_minutes is
'An alert older than this is never sent (a channel set up later gets no backlog).';
comment on column walltrack.config.alert_max_attempts is
'Sends of one alert to one channel before it is given up (failed).';
comment on column walltrack.config.alert_rug_loss_pct is
'A close that lost more than this % of its cost raises a rug alert.';
comment on column walltrack.config.alert_daily_summary_hour is
'The daily summary is raised once a day from this hour, UTC.';
comment on column walltrack.config.discovery_wash_min_round_trips is
'Wash trading flag: one token sold at least this many times...';
comment on column walltrack.config.discovery_wash_max_pnl_pct is
'...for a realized PnL within this % of the SOL spent buying it (volume churned for nothing).';
comment on column walltrack.config.production is
'This database trades for real: walltrack.set_clock is refused (no replayed or forged time). '
'Once on, it stays on (walltrack deploy turns it on).';
comment on column walltrack.config.simulated_chain is
'The live wallets trade on the market simulator''s chain, not Solana''s (the offline stack): '
'the clock may be set with live trading on. Never on in production.';
comment on column walltrack.config.leader_max_consecutive_losses is
'A leader is paused after this many losing copies in a row (empty: off).';
comment on column walltrack.config.leader_max_loss_sol is
'A leader is paused when its copies lost more than this many SOL within '
'leader_loss_window_hours (empty: off).';
comment on column walltrack.config.leader_loss_window_hours is
'The window of leader_max_loss_sol, in hours.';
comment on column walltrack.config.leader_max_baseline_gap_pct is
'A leader is paused when its last leader_baseline_trades copies won this many points less '
'than its measured baseline win rate (empty: off).';
comment on column walltrack.config.leader_baseline_trades is
'How many of a leader''s latest closed copies are compared with its baseline.';
comment on column walltrack.config.leader_pause_cooldown_minutes is
'A paused leader resumes on its own after this many minutes (empty: only an operator '
'resumes it).';
comment on column walltrack.config.balance_fraction is
'Share (0..1] of our own available SOL spent per copy in balance_fraction mode: the simulated '
'bankroll for paper wallets, the trading key''s SOL for live ones.';
comment on column walltrack.config.sim_bankroll_sol is
'The paper wallets'' bankroll: balance_fraction sizes paper copies on it plus their realized '
'PnL, less what their open positions hold.';
comment on column walltrack.config.size_tiers is
'tiers mode: [{"min_leader_sol", "size_sol"}], from the smallest leader trade up; a copy '
'spends the size of the highest tier the leader''s SOL amount reaches.';
comment on column walltrack.config.min_leader_trade_sol is
'A leader buy of less SOL than this is not copied (leader_trade_too_small); empty: no minimum.';
comment on column walltrack.config.trading_key_sol_lamports is
'The trading key''s SOL at the last chain read (reconcile-wallet): what balance_fraction sizes '
'live copies on, less the live buys since. Written by WallTrack.';
comment on column walltrack.config.trading_key_read_at is
'When the trading key''s SOL was last read from the chain.';
comment on column walltrack.config.price_history_days is
'Days of applied price ticks kept in walltrack.price_history (the replay''s price path).';
