-- Baseline: the whole WallTrack schema as it stood on 2026-12-02, squashed from the 21
-- migrations before it (nothing was hosted yet). It is supabase/schemas/ of that day, file
-- by file. History from here on: one new migration per change, never an edit of this file.

-- ======================================================================================
-- supabase/schemas/00_foundation.sql
-- ======================================================================================

-- Foundation: the private schema `walltrack` that holds every table and rule, the `api`
-- schema of RPC entry points (18_api.sql), the default that no function is executable by
-- PUBLIC, shared domains and types, and walltrack.ensure, which turns a failed rule into a
-- message that says what to fix.

create schema if not exists walltrack;
comment on schema walltrack is
'WallTrack tables and internal functions. Private: never exposed through PostgREST.';

create schema if not exists api;
comment on schema api is
'RPC functions the WallTrack cloud functions call through PostgREST. '
'Executable by service_role only.';

-- Nobody but service_role gets in; a hosted project grants anon/authenticated
-- broad defaults on `public`, so WallTrack keeps nothing there.
revoke all on schema walltrack from public;

revoke all on schema api from public;

grant usage on schema walltrack to service_role;

grant usage on schema api to service_role;

-- Functions are executable by PUBLIC by default, and a per-schema default cannot take
-- a global one away: revoke it for every function the migration role creates from now
-- on. Each function is then granted to service_role explicitly, or to nobody.
alter default privileges revoke execute on functions from public;

create function walltrack.ensure(condition boolean, message text, hint text default null)
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
-- Used inside CHECK constraints: true when the rule holds (or cannot be judged on
-- nulls), otherwise a check_violation whose message tells the operator what to fix.
begin
  if condition is false then
    raise exception using
      message = message,
      hint = coalesce(hint, 'Correct the value and save again.'),
      errcode = 'check_violation';
  end if;
  return true;
end;
$$;
comment on function walltrack.ensure(boolean, text, text) is
'Returns true when a rule holds; otherwise raises check_violation with a message '
'that says what to fix. Used by CHECK constraints so Studio shows a clear error.';
grant execute on function walltrack.ensure(boolean, text, text) to service_role;

create domain walltrack.solana_address as text
check (walltrack.ensure(
  value ~ '^[1-9A-HJ-NP-Za-km-z]{32,44}$',
  format('"%s" is not a Solana address: expected 32 to 44 base58 characters', value),
  'Base58 excludes 0, O, I and l. Copy the address again from an explorer.'
));
comment on domain walltrack.solana_address is
'A Solana public key (wallet or mint) in base58, 32 to 44 characters.';

create domain walltrack.solana_signature as text
check (walltrack.ensure(
  value ~ '^[1-9A-HJ-NP-Za-km-z]{64,88}$',
  format('"%s" is not a Solana transaction signature: expected 64 to 88 base58 characters', value)
));
comment on domain walltrack.solana_signature is
'A Solana transaction signature in base58, 64 to 88 characters.';

create type walltrack.trade_mode as enum ('simulation', 'live');
comment on type walltrack.trade_mode is
'simulation fills orders at a modelled price; live signs and sends real transactions.';

create type walltrack.trade_side as enum ('buy', 'sell');
comment on type walltrack.trade_side is
'buy = SOL (or a stablecoin) in, token out; sell = token in, SOL out.';

create type walltrack.order_reason as enum (
  'copy_entry', 'take_profit', 'stop_loss', 'trailing_stop', 'time_exit', 'mirror_sell',
  'manual', 'write_off'
);
comment on type walltrack.order_reason is
'Why the order exists: the entry copy, or the exit rule that fired.';

create function walltrack.trigger_set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
-- Keeps updated_at true on every edit, whoever makes it (Studio or a function).
begin
  new.updated_at := now();
  return new;
end;
$$;
comment on function walltrack.trigger_set_updated_at() is
'Stamps updated_at on every update.';

create function walltrack.trigger_refuse_change()
returns trigger
language plpgsql
set search_path = ''
as $$
-- Append-only tables: DELETE and TRUNCATE are refused; the trigger argument names
-- what to do instead.
begin
  raise exception using
    message = format('%s rows are permanent: %s is refused', tg_table_name, lower(tg_op)),
    hint = tg_argv[0],
    errcode = 'restrict_violation';
end;
$$;
comment on function walltrack.trigger_refuse_change() is
'Refuses the statement that fired it (DELETE/TRUNCATE on append-only tables); '
'the first trigger argument is the hint shown to the operator.';

-- ======================================================================================
-- supabase/schemas/01_config.sql
-- ======================================================================================

-- config: the configuration singleton. The one row of global settings an operator edits in
-- Studio. Holds no secret: API keys, the webhook secret and signing keys live in the
-- environment or a secret manager.

create type walltrack.sizing_mode as enum ('fixed', 'leader_fraction');
comment on type walltrack.sizing_mode is
'fixed = the same SOL amount per copy; leader_fraction = a fraction of the leader''s SOL amount.';

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
  updated_at timestamptz not null default now(),
  -- position accounting
  position_dust_sol numeric not null default 0.00001,
  -- Helius sync
  helius_sync_interval_minutes integer not null default 5,
  -- token fact freshness
  token_market_ttl_minutes integer not null default 5,
  token_unknown_ttl_minutes integer not null default 2,
  -- circuit breaker bankroll
  breaker_capital_sol numeric not null default 10,

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
--   update    config_before_update_set_updated_at  stamp updated_at
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

create trigger config_before_update_set_updated_at
before update on walltrack.config
for each row execute function walltrack.trigger_set_updated_at();

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
'fixed = fixed_amount_sol per copy; leader_fraction = leader_fraction x the leader''s SOL amount.';
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
'Priority fee paid per live transaction, in lamports.';
comment on column walltrack.config.jito_tip_lamports is
'Tip per Jito bundle in lamports; empty = send through RPC, not Jito.';
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
'Hash of the active wallet addresses last pushed; a different current hash means a sync is due.';
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

-- ======================================================================================
-- supabase/schemas/02_exit_strategies.sql
-- ======================================================================================

-- exit_strategies: the catalog of reusable exit templates. Wallets reference one for their
-- copies; each position snapshots its template at creation (ADR-002), so editing a
-- template never changes an open position. The rule checks here also validate a
-- position's exit_strategy_override.

create function walltrack.check_take_profit_ladder(levels jsonb, moonbag_pct numeric)
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
-- A ladder is a JSON array of {"at_pct": X, "sell_pct": Y}: at +X% from entry, sell
-- Y% of the initial quantity. Levels ascend strictly, and the ladder plus the moonbag
-- never sells more than 100%.
declare
  level jsonb;
  previous_at numeric := 0;
  total_sell numeric := 0;
begin
  perform walltrack.ensure(coalesce(jsonb_typeof(levels) = 'array', false),
    'take_profit_levels must be a JSON array such as [{"at_pct": 50, "sell_pct": 30}]');
  for level in select value from jsonb_array_elements(levels) loop
    perform walltrack.ensure(
      jsonb_typeof(level) = 'object'
      and coalesce(jsonb_typeof(level -> 'at_pct') = 'number', false)
      and coalesce(jsonb_typeof(level -> 'sell_pct') = 'number', false),
      format('take-profit level %s needs numeric at_pct and sell_pct', level));
    perform walltrack.ensure((level ->> 'at_pct')::numeric > previous_at,
      format('take-profit levels must be above 0 and ascending: at_pct %s comes after %s',
        level ->> 'at_pct', previous_at));
    perform walltrack.ensure((level ->> 'sell_pct')::numeric > 0
      and (level ->> 'sell_pct')::numeric <= 100,
      format('take-profit sell_pct must be within (0, 100], got %s', level ->> 'sell_pct'));
    previous_at := (level ->> 'at_pct')::numeric;
    total_sell := total_sell + (level ->> 'sell_pct')::numeric;
  end loop;
  perform walltrack.ensure(total_sell + coalesce(moonbag_pct, 0) <= 100,
    format('take-profit levels sell %s%% and the moonbag keeps %s%%: together they must not '
      || 'exceed 100%%', total_sell, coalesce(moonbag_pct, 0)),
    'Lower some sell_pct values or the moonbag share.');
  return true;
end;
$$;
comment on function walltrack.check_take_profit_ladder(jsonb, numeric) is
'Validates a take-profit ladder against the moonbag share; raises check_violation with '
'what to fix. Shared by the catalog and by per-position overrides.';
grant execute on function walltrack.check_take_profit_ladder(jsonb, numeric) to service_role;

create table walltrack.exit_strategies (
  id bigint generated always as identity primary key,
  name text not null,
  description text not null default '',
  is_default boolean not null default false,
  archived boolean not null default false,
  take_profit_levels jsonb not null default '[]',
  stop_loss_pct numeric,
  trailing_activation_pct numeric,
  trailing_distance_pct numeric,
  time_exit_minutes integer,
  time_exit_max_pnl_pct numeric,
  mirror_leader_sells boolean not null default true,
  moonbag_pct numeric not null default 0,
  moonbag_keeps_stop_loss boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),

  constraint exit_strategies_name_unique unique (name),
  constraint exit_strategies_name_present check (walltrack.ensure(
    length(btrim(name)) > 0, 'an exit strategy needs a name'
  )),
  constraint exit_strategies_ladder_valid check (
    walltrack.check_take_profit_ladder(take_profit_levels, moonbag_pct)
  ),
  constraint exit_strategies_stop_loss_negative check (walltrack.ensure(
    stop_loss_pct > -100 and stop_loss_pct < 0,
    format(
      'stop_loss_pct must be negative and above -100 (a drop from entry), got %s',
      stop_loss_pct
    ),
    'Use -25 to sell everything 25% below the entry price; leave it empty for no stop loss.'
  )),
  constraint exit_strategies_trailing_valid check (walltrack.ensure(
    (trailing_activation_pct is null) = (trailing_distance_pct is null)
    and coalesce(trailing_activation_pct >= 0, true)
    and coalesce(trailing_distance_pct > 0 and trailing_distance_pct < 100, true),
    'trailing stop needs both trailing_activation_pct (>= 0, gain from entry that arms it) '
    || 'and trailing_distance_pct (within (0, 100), drop from the peak that sells), or neither'
  )),
  constraint exit_strategies_time_exit_valid check (walltrack.ensure(
    coalesce(time_exit_minutes > 0, true)
    and (time_exit_max_pnl_pct is null or time_exit_minutes is not null),
    'time_exit_minutes must be above 0, and time_exit_max_pnl_pct needs time_exit_minutes'
  )),
  constraint exit_strategies_moonbag_range check (walltrack.ensure(
    moonbag_pct >= 0 and moonbag_pct < 100,
    format('moonbag_pct must be within [0, 100), got %s', moonbag_pct)
  ))
);

-- At most one default template; the trigger below explains a clash in words.
create unique index exit_strategies_one_default on walltrack.exit_strategies (is_default)
where is_default;

create function walltrack.exit_strategy_rules(strategy walltrack.exit_strategies)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
-- The rule fields of a template, as snapshotted into positions (ADR-002).
begin
  return jsonb_build_object(
    'name', strategy.name,
    'take_profit_levels', strategy.take_profit_levels,
    'stop_loss_pct', strategy.stop_loss_pct,
    'trailing_activation_pct', strategy.trailing_activation_pct,
    'trailing_distance_pct', strategy.trailing_distance_pct,
    'time_exit_minutes', strategy.time_exit_minutes,
    'time_exit_max_pnl_pct', strategy.time_exit_max_pnl_pct,
    'mirror_leader_sells', strategy.mirror_leader_sells,
    'moonbag_pct', strategy.moonbag_pct,
    'moonbag_keeps_stop_loss', strategy.moonbag_keeps_stop_loss
  );
end;
$$;
comment on function walltrack.exit_strategy_rules(walltrack.exit_strategies) is
'The rule fields of an exit strategy as JSON: what a position snapshots at creation.';
grant execute on function walltrack.exit_strategy_rules(walltrack.exit_strategies) to service_role;

create function walltrack.trigger_exit_strategy_guard()
returns trigger
language plpgsql
set search_path = ''
as $$
-- One default at a time, said in words; a template is archived, never deleted, once
-- anything refers to it (open positions keep their snapshot either way).
declare
  other_default text;
begin
  if tg_op = 'DELETE' then
    raise exception using
      message = format('exit strategy "%s" cannot be deleted', old.name),
      hint = 'Set archived = true instead: positions and wallets may still refer to it.',
      errcode = 'restrict_violation';
  end if;
  if new.is_default then
    select s.name into other_default
    from walltrack.exit_strategies as s
    where s.is_default and s.id <> new.id;
    perform walltrack.ensure(other_default is null,
      format('"%s" is already the default exit strategy', other_default),
      format('Set is_default = false on "%s" first.', other_default));
    perform walltrack.ensure(not new.archived, 'an archived exit strategy cannot be the default');
  end if;
  return new;
end;
$$;
comment on function walltrack.trigger_exit_strategy_guard() is
'Refuses a second default template and deletions (archive instead).';

-- Triggers on exit_strategies, in the order Postgres fires them (one timing at a time, by name):
--   insert  exit_strategies_before_change_guard          one default at a time
--   update  exit_strategies_before_change_guard          one default at a time
--           exit_strategies_before_update_set_updated_at stamp updated_at
--   delete  exit_strategies_before_change_guard          refused: archive instead
create trigger exit_strategies_before_change_guard
before insert or update or delete on walltrack.exit_strategies
for each row execute function walltrack.trigger_exit_strategy_guard();

create trigger exit_strategies_before_update_set_updated_at
before update on walltrack.exit_strategies
for each row execute function walltrack.trigger_set_updated_at();

alter table walltrack.exit_strategies enable row level security;
grant select on walltrack.exit_strategies to service_role;

insert into walltrack.exit_strategies (
  name, description, is_default, take_profit_levels, stop_loss_pct,
  trailing_activation_pct, trailing_distance_pct, time_exit_minutes, time_exit_max_pnl_pct,
  mirror_leader_sells, moonbag_pct
) values
(
  'balanced',
  'Default. Sell a third at +50% and a third at +100%, trail the rest 20% below the peak '
  || 'once up 30%, stop out at -30%, mirror the leader''s sells, give up after 24 h flat.',
  true, '[{"at_pct": 50, "sell_pct": 33}, {"at_pct": 100, "sell_pct": 33}]', -30,
  30, 20, 1440, 10, true, 0
),
(
  'scalper',
  'Fast in and out for momentum tokens: half at +20%, the rest at +40%, stop at -10%, '
  || 'trail 8% once up 15%, out after 30 minutes whatever happens.',
  false, '[{"at_pct": 20, "sell_pct": 50}, {"at_pct": 40, "sell_pct": 50}]', -10,
  15, 8, 30, null, true, 0
),
(
  'moonbag runner',
  'Recover the stake at +100%, take more at +300%, keep a 20% moonbag for the long tail; '
  || 'wide -50% stop, trail 35% once up 200%; ignores the leader''s sells.',
  false, '[{"at_pct": 100, "sell_pct": 50}, {"at_pct": 300, "sell_pct": 30}]', -50,
  200, 35, null, null, false, 20
),
(
  'mirror only',
  'Exit exactly when the leader exits, with a -40% safety stop and nothing else.',
  false, '[]', -40, null, null, null, null, true, 0
);

comment on table walltrack.exit_strategies is
'Catalog: reusable exit strategy templates (take-profit ladder, stop loss, trailing stop, '
'time exit, mirror leader sells, moonbag). Wallets point at one; positions snapshot it at '
'creation, so edits here never change open positions. Archive, never delete.';
comment on column walltrack.exit_strategies.id is 'Identity of the template.';
comment on column walltrack.exit_strategies.name is 'Unique name shown to operators.';
comment on column walltrack.exit_strategies.description is 'What the template is for, in words.';
comment on column walltrack.exit_strategies.is_default is
'The template used by wallets that name none. At most one.';
comment on column walltrack.exit_strategies.archived is
'Archived templates stay for history and existing references; pick another for new wallets.';
comment on column walltrack.exit_strategies.take_profit_levels is
'Ladder: [{"at_pct": X, "sell_pct": Y}] = at +X% from entry sell Y% of the initial quantity; '
'ascending, shares plus moonbag <= 100%. Each level fires once.';
comment on column walltrack.exit_strategies.stop_loss_pct is
'Sell everything at this % from entry (negative, e.g. -30); empty = no stop loss.';
comment on column walltrack.exit_strategies.trailing_activation_pct is
'Trailing stop arms once price reaches +this % from entry (>= 0).';
comment on column walltrack.exit_strategies.trailing_distance_pct is
'Once armed, sell everything when price falls this % below the highest price since entry.';
comment on column walltrack.exit_strategies.time_exit_minutes is
'Sell everything after this many minutes held; empty = no time exit.';
comment on column walltrack.exit_strategies.time_exit_max_pnl_pct is
'Time exit only fires while unrealized PnL % is below this bar; empty = always.';
comment on column walltrack.exit_strategies.mirror_leader_sells is
'When the copied wallet sells the token, sell the same fraction of our position.';
comment on column walltrack.exit_strategies.moonbag_pct is
'Share of the initial quantity kept out of the ladder and the time exit.';
comment on column walltrack.exit_strategies.moonbag_keeps_stop_loss is
'When true the stop loss also sells the moonbag; when false the moonbag rides to zero.';
comment on column walltrack.exit_strategies.created_at is 'When the template was created.';
comment on column walltrack.exit_strategies.updated_at is 'Last edit of the template.';

create function walltrack.check_exit_rules(rules jsonb)
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
-- The rules of an effective strategy (snapshot + override) as a position uses them; the
-- same limits as the catalog's columns, said in the same words.
declare
  known constant text[] := array[
    'name', 'take_profit_levels', 'stop_loss_pct', 'trailing_activation_pct',
    'trailing_distance_pct', 'time_exit_minutes', 'time_exit_max_pnl_pct',
    'mirror_leader_sells', 'moonbag_pct', 'moonbag_keeps_stop_loss'
  ];
  unknown text;
begin
  select string_agg(k, ', ') into unknown
  from jsonb_object_keys(rules) as k where k <> all(known);
  perform walltrack.ensure(unknown is null,
    format('unknown exit rule(s): %s', unknown),
    format('Known rules: %s.', array_to_string(known, ', ')));
  perform walltrack.ensure(
    coalesce(jsonb_typeof(rules -> 'stop_loss_pct') in ('number', 'null'), true)
    and coalesce(jsonb_typeof(rules -> 'trailing_activation_pct') in ('number', 'null'), true)
    and coalesce(jsonb_typeof(rules -> 'trailing_distance_pct') in ('number', 'null'), true)
    and coalesce(jsonb_typeof(rules -> 'time_exit_minutes') in ('number', 'null'), true)
    and coalesce(jsonb_typeof(rules -> 'time_exit_max_pnl_pct') in ('number', 'null'), true)
    and coalesce(jsonb_typeof(rules -> 'moonbag_pct') in ('number', 'null'), true)
    and coalesce(jsonb_typeof(rules -> 'mirror_leader_sells') in ('boolean', 'null'), true)
    and coalesce(jsonb_typeof(rules -> 'moonbag_keeps_stop_loss') in ('boolean', 'null'), true),
    'exit rules: percentages and minutes are numbers (or null), mirror_leader_sells and '
    || 'moonbag_keeps_stop_loss are true or false');
  perform walltrack.ensure(
    coalesce((rules ->> 'stop_loss_pct')::numeric between -99.999999 and -0.000001, true),
    format('stop_loss_pct must be negative and above -100 (a drop from entry), got %s',
      rules ->> 'stop_loss_pct'),
    'Use -25 to sell everything 25% below the entry price; null for no stop loss.');
  perform walltrack.ensure(
    (rules ->> 'trailing_activation_pct' is null) = (rules ->> 'trailing_distance_pct' is null)
    and coalesce((rules ->> 'trailing_activation_pct')::numeric >= 0, true)
    and coalesce((rules ->> 'trailing_distance_pct')::numeric > 0
      and (rules ->> 'trailing_distance_pct')::numeric < 100, true),
    'trailing stop needs both trailing_activation_pct (>= 0, gain from entry that arms it) '
    || 'and trailing_distance_pct (within (0, 100), drop from the peak that sells), or neither');
  perform walltrack.ensure(
    coalesce((rules ->> 'time_exit_minutes')::numeric > 0, true)
    and (rules ->> 'time_exit_max_pnl_pct' is null or rules ->> 'time_exit_minutes' is not null),
    'time_exit_minutes must be above 0, and time_exit_max_pnl_pct needs time_exit_minutes');
  perform walltrack.ensure(
    coalesce((rules ->> 'moonbag_pct')::numeric >= 0 and (rules ->> 'moonbag_pct')::numeric < 100,
      true),
    format('moonbag_pct must be within [0, 100), got %s', rules ->> 'moonbag_pct'));
  return walltrack.check_take_profit_ladder(
    coalesce(rules -> 'take_profit_levels', '[]'), (rules ->> 'moonbag_pct')::numeric
  );
end;
$$;
comment on function walltrack.check_exit_rules(jsonb) is
'Validates an effective exit strategy (snapshot + override): known rules, types and limits.';
grant execute on function walltrack.check_exit_rules(jsonb) to service_role;

-- ======================================================================================
-- supabase/schemas/03_wallets.sql
-- ======================================================================================

-- wallets: the registry, i.e. the watchlist. Adding a row is how an operator starts
-- following a wallet; only active wallets are watched (Helius sync) and copied.

create type walltrack.wallet_status as enum ('active', 'paused', 'retired');
comment on type walltrack.wallet_status is
'active = watched and copied; paused = not copied, open positions keep running; '
'retired = dropped for good, open positions run to their exit.';

create type walltrack.discovery_source as enum (
  'manual', 'import', 'ranking_site', 'onchain_analysis'
);
comment on type walltrack.discovery_source is 'How a wallet came to be watched.';

create table walltrack.wallets (
  id bigint generated always as identity primary key,
  -- identity
  address walltrack.solana_address not null,
  label text not null default '',
  notes text not null default '',
  -- status and mode
  status walltrack.wallet_status not null default 'active',
  mode walltrack.trade_mode not null default 'simulation',
  -- copy settings
  exit_strategy_id bigint references walltrack.exit_strategies (id),
  position_size_sol numeric,
  copy_sells boolean,
  -- discovery
  discovery_source walltrack.discovery_source not null default 'manual',
  discovered_at timestamptz not null default now(),
  discovery_ref text,
  discovery_metadata jsonb not null default '{}',
  -- performance baseline measured at discovery
  baseline_win_rate_pct numeric,
  baseline_pnl_sol numeric,
  baseline_trade_count integer,
  baseline_period_days integer,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),

  constraint wallets_address_unique unique (address),
  constraint wallets_position_size_positive check (walltrack.ensure(
    position_size_sol > 0,
    format(
      'wallets.position_size_sol must be above 0 SOL (got %s); leave it empty to use '
      || 'the config sizing', position_size_sol
    )
  )),
  constraint wallets_baseline_range check (walltrack.ensure(
    coalesce(baseline_win_rate_pct between 0 and 100, true)
    and coalesce(baseline_trade_count >= 0, true)
    and coalesce(baseline_period_days >= 1, true),
    'wallet baseline out of range: win rate within 0..100 %, trade count >= 0, period >= 1 day'
  )),
  constraint wallets_discovery_metadata_object check (walltrack.ensure(
    jsonb_typeof(discovery_metadata) = 'object',
    'wallets.discovery_metadata must be a JSON object'
  ))
);

create index wallets_active_idx on walltrack.wallets (address) where status = 'active';

create index wallets_exit_strategy_idx on walltrack.wallets (exit_strategy_id);

create function walltrack.trigger_wallet_guard()
returns trigger
language plpgsql
set search_path = ''
as $$
-- Friendly words for the two edits operators get wrong most: a duplicate address and
-- an archived exit strategy.
begin
  perform walltrack.ensure(
    not exists (
      select from walltrack.wallets as w where w.address = new.address and w.id <> new.id
    ),
    format('wallet %s is already on the watchlist', new.address),
    'Edit the existing row (status, label) instead of adding it again.');
  if new.exit_strategy_id is distinct from old.exit_strategy_id then
    perform walltrack.ensure(
      not exists (
        select from walltrack.exit_strategies as s
        where s.id = new.exit_strategy_id and s.archived
      ),
      format('exit strategy %s is archived: pick an active one', new.exit_strategy_id));
  end if;
  return new;
end;
$$;
comment on function walltrack.trigger_wallet_guard() is
'Refuses a duplicate address and an archived exit strategy with a clear message.';

-- Triggers on wallets, in the order Postgres fires them (one timing at a time, by name):
--   insert  wallets_before_write_guard            no duplicate address, no archived strategy
--   update  wallets_before_update_set_updated_at  stamp updated_at
--           wallets_before_write_guard            no duplicate address, no archived strategy
--   delete  wallets_before_delete_refuse          refused: retire instead
create trigger wallets_before_write_guard
before insert or update on walltrack.wallets
for each row execute function walltrack.trigger_wallet_guard();

create trigger wallets_before_update_set_updated_at
before update on walltrack.wallets
for each row execute function walltrack.trigger_set_updated_at();

create trigger wallets_before_delete_refuse
before delete on walltrack.wallets
for each row execute function walltrack.trigger_refuse_change(
  'Set status = retired instead: signals and positions keep their history.'
);

create function walltrack.active_wallets_hash()
returns text
language sql
stable
set search_path = ''
as $$
  -- ADR-001: the Helius sync compares this with config.helius_synced_hash.
  select md5(coalesce(string_agg(w.address, ',' order by w.address), ''))
  from walltrack.wallets as w
  where w.status = 'active';
$$;
comment on function walltrack.active_wallets_hash() is
'Hash of the sorted active wallet addresses; differs from config.helius_synced_hash when '
'the Helius webhook needs a sync (ADR-001).';
grant execute on function walltrack.active_wallets_hash() to service_role;

alter table walltrack.wallets enable row level security;
grant select, insert, update on walltrack.wallets to service_role;

comment on table walltrack.wallets is
'Registry: the watchlist of smart-money wallets. Add a row to follow a wallet; set status '
'to paused or retired to stop copying it (open positions keep running to exit).';
comment on column walltrack.wallets.id is 'Identity of the wallet row.';
comment on column walltrack.wallets.address is 'The wallet''s public key (base58), unique.';
comment on column walltrack.wallets.label is 'Short name shown to operators.';
comment on column walltrack.wallets.notes is 'Free notes: why it is followed, what to watch.';
comment on column walltrack.wallets.status is
'active = watched and copied; paused = not copied; retired = dropped. Only active wallets '
'are sent to Helius.';
comment on column walltrack.wallets.mode is
'simulation = paper trades at a modelled price; live = real transactions (needs '
'config.live_trading_enabled).';
comment on column walltrack.wallets.exit_strategy_id is
'Exit strategy for this wallet''s copies; empty = the default template.';
comment on column walltrack.wallets.position_size_sol is
'Fixed SOL per copy for this wallet, overriding config sizing; empty = config sizing.';
comment on column walltrack.wallets.copy_sells is
'Mirror this wallet''s sells; empty = follow the exit strategy''s mirror_leader_sells.';
comment on column walltrack.wallets.discovery_source is
'How the wallet was found: manual, import, ranking_site, onchain_analysis.';
comment on column walltrack.wallets.discovered_at is 'When the wallet was found.';
comment on column walltrack.wallets.discovery_ref is
'Where it was found: a ranking page URL, an import file, an analysis run id.';
comment on column walltrack.wallets.discovery_metadata is
'Anything else the discovery source said about it (JSON object).';
comment on column walltrack.wallets.baseline_win_rate_pct is
'Win rate that justified adding the wallet, measured at discovery (for decay).';
comment on column walltrack.wallets.baseline_pnl_sol is
'PnL in SOL that justified adding the wallet, over the baseline period.';
comment on column walltrack.wallets.baseline_trade_count is
'Trades behind the baseline figures.';
comment on column walltrack.wallets.baseline_period_days is
'Length of the period the baseline was measured over, in days.';
comment on column walltrack.wallets.created_at is 'When the row was added.';
comment on column walltrack.wallets.updated_at is 'Last edit of the row.';

-- ======================================================================================
-- supabase/schemas/04_tokens.sql
-- ======================================================================================

-- tokens: the read-through cache. Safety and market facts per mint, fetched on demand from
-- RugCheck, DexScreener and Helius DAS, each kind of fact with its own freshness. The
-- verdict is judged here from the fresh facts and the config thresholds (a threshold change
-- applies without refetching), a manual list wins, and a rugged token is unsafe for good.
-- The functions only fetch what walltrack.tokens_to_fetch (for a delivery) or
-- walltrack.tokens_to_refresh (13_token_refresh.sql) names, and store it with
-- walltrack.store_token_facts.

create type walltrack.token_verdict as enum ('safe', 'risky', 'unsafe', 'unknown');
comment on type walltrack.token_verdict is
'safe = passes every filter; risky = passes but with warnings; unsafe = fails a filter; '
'unknown = facts missing (handled by config.unknown_token_policy).';

create type walltrack.token_list as enum ('whitelist', 'blacklist');
comment on type walltrack.token_list is
'Manual operator decision that wins over every computed verdict.';

create table walltrack.tokens (
  -- identity
  mint walltrack.solana_address primary key,
  symbol text,
  name text,
  decimals smallint,
  supply numeric,
  -- authorities (null = revoked, once authorities_checked_at is set)
  mint_authority text,
  freeze_authority text,
  authorities_checked_at timestamptz,
  -- RugCheck
  rugcheck_score integer,
  rugcheck_score_normalised integer,
  risks jsonb not null default '[]',
  top10_holders_pct numeric,
  lp_locked_pct numeric,
  rugged boolean,
  -- market (DexScreener / Helius)
  pair_address text,
  dex_id text,
  liquidity_usd numeric,
  market_cap_usd numeric,
  fdv_usd numeric,
  price_usd numeric,
  price_sol numeric,
  pair_created_at timestamptz,
  -- verdict
  verdict walltrack.token_verdict not null default 'unknown',
  verdict_reasons text[] not null default '{}',
  verdict_at timestamptz,
  manual_list walltrack.token_list,
  manual_note text,
  -- cache control
  fetched_at timestamptz,
  expires_at timestamptz,
  failed_sources text[] not null default '{}',
  hit_count bigint not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- freshness per source, the lookup claim and the price tick
  rugcheck_fetched_at timestamptz,
  market_fetched_at timestamptz,
  lookup_claimed_until timestamptz,
  price_at timestamptz,
  price_stale boolean not null default false,

  constraint tokens_decimals_range check (walltrack.ensure(
    decimals between 0 and 18, format('tokens.decimals must be within 0..18, got %s', decimals)
  )),
  constraint tokens_amounts_not_negative check (walltrack.ensure(
    coalesce(supply >= 0, true) and coalesce(liquidity_usd >= 0, true)
    and coalesce(market_cap_usd >= 0, true) and coalesce(fdv_usd >= 0, true)
    and coalesce(price_usd >= 0, true) and coalesce(price_sol >= 0, true),
    'token supply, liquidity, market cap, FDV and prices must not be negative'
  )),
  constraint tokens_shares_range check (walltrack.ensure(
    coalesce(top10_holders_pct between 0 and 100, true)
    and coalesce(lp_locked_pct between 0 and 100, true)
    and coalesce(rugcheck_score_normalised between 0 and 100, true),
    'token percentages (top10_holders_pct, lp_locked_pct, rugcheck_score_normalised) must be '
    || 'within 0..100'
  )),
  constraint tokens_risks_array check (walltrack.ensure(
    jsonb_typeof(risks) = 'array', 'tokens.risks must be a JSON array'
  ))
);

create index tokens_expires_at_idx on walltrack.tokens (expires_at);

-- The linter reads an array column of a composite type differently from a table's.
create type walltrack.token_judgement as (
  verdict walltrack.token_verdict,
  reasons text[] -- noqa: LT01
);
comment on type walltrack.token_judgement is 'A token verdict and its machine-readable reasons.';

create function walltrack.token_fact_ages(
  token walltrack.tokens, cfg walltrack.config,
  out rugcheck_fresh boolean, out market_fresh boolean, out authorities_known boolean
)
language plpgsql
stable
set search_path = ''
as $$
-- Which facts can be trusted now. Revoked authorities do not come back; market data goes
-- stale in minutes; RugCheck facts of a token younger than an hour go stale as fast.
declare
  young boolean := coalesce(token.pair_created_at > now() - interval '1 hour', true);
  rugcheck_ttl interval := make_interval(
    mins => case when young then cfg.token_market_ttl_minutes else cfg.token_cache_ttl_minutes end
  );
begin
  rugcheck_fresh := token.rugcheck_fetched_at > now() - rugcheck_ttl;
  market_fresh := token.market_fetched_at > now() - make_interval(mins => cfg.token_market_ttl_minutes);
  authorities_known := token.authorities_checked_at is not null and (
    (token.mint_authority is null and token.freeze_authority is null)
    or token.authorities_checked_at > now() - make_interval(mins => cfg.token_cache_ttl_minutes)
  );
  rugcheck_fresh := coalesce(rugcheck_fresh, false);
  market_fresh := coalesce(market_fresh, false);
end;
$$;
comment on function walltrack.token_fact_ages(walltrack.tokens, walltrack.config) is
'Whether the token''s RugCheck facts, market facts and authorities can be trusted now.';
grant execute on function walltrack.token_fact_ages(walltrack.tokens, walltrack.config)
to service_role;

create function walltrack.token_verdict(token walltrack.tokens, cfg walltrack.config)
returns walltrack.token_judgement
language plpgsql
stable
set search_path = ''
as $$
-- unsafe when a fresh fact fails a filter; unknown when a filter cannot be judged (its
-- facts are missing or stale); risky when it passes with RugCheck dangers; else safe.
declare
  ages record := walltrack.token_fact_ages(token, cfg);
  unsafe text[] := '{}'::text[];
  unknown text[] := '{}'::text[];
begin
  if token.manual_list = 'blacklist' then
    return row('unsafe', array['blacklisted'])::walltrack.token_judgement;
  elsif token.manual_list = 'whitelist' then
    return row('safe', array['whitelisted'])::walltrack.token_judgement;
  elsif token.rugged then
    return row('unsafe', array['rugged'])::walltrack.token_judgement;
  end if;

  if not ages.authorities_known then
    unknown := unknown || 'authorities_unknown'::text;
  else
    if cfg.require_mint_authority_revoked and token.mint_authority is not null then
      unsafe := unsafe || 'mint_authority_active'::text;
    end if;
    if cfg.require_freeze_authority_revoked and token.freeze_authority is not null then
      unsafe := unsafe || 'freeze_authority_active'::text;
    end if;
  end if;

  if not ages.market_fresh then
    unknown := unknown || 'market_unknown'::text;
  else
    unsafe := unsafe || array_remove(array[
      case when coalesce(token.liquidity_usd, 0) < cfg.min_liquidity_usd
        then 'liquidity_below_min' end,
      case when coalesce(token.market_cap_usd, 0) < cfg.min_market_cap_usd
        then 'market_cap_below_min' end,
      case when token.market_cap_usd > cfg.max_market_cap_usd then 'market_cap_above_max' end,
      case when coalesce(
        token.pair_created_at > now() - make_interval(mins => cfg.min_pool_age_minutes), true
      ) then 'pool_too_young' end
    ], null);
  end if;

  if not ages.rugcheck_fresh then
    unknown := unknown || 'rugcheck_unknown'::text;
  else
    unsafe := unsafe || array_remove(array[
      case when token.rugcheck_score_normalised > cfg.max_rugcheck_score
        then 'rugcheck_score_above_max' end,
      case when token.top10_holders_pct > cfg.max_top10_holders_pct
        then 'top10_holders_above_max' end
    ], null);
  end if;

  if cardinality(unsafe) > 0 then
    return row('unsafe', unsafe || unknown)::walltrack.token_judgement;
  elsif cardinality(unknown) > 0 then
    return row('unknown', unknown)::walltrack.token_judgement;
  elsif jsonb_path_exists(token.risks, '$[*] ? (@.level == "danger")') then
    return row('risky', array['rugcheck_danger_risk'])::walltrack.token_judgement;
  end if;
  return row('safe', '{}'::text[])::walltrack.token_judgement;
end;
$$;
comment on function walltrack.token_verdict(walltrack.tokens, walltrack.config) is
'Judges a token from its fresh facts and the config thresholds: safe, risky, unsafe or '
'unknown, with machine-readable reasons. A manual list wins; a rugged token is unsafe.';
grant execute on function walltrack.token_verdict(walltrack.tokens, walltrack.config)
to service_role;

create function walltrack.token_sources_due(token walltrack.tokens, cfg walltrack.config)
returns text[]
language plpgsql
stable
set search_path = ''
as $$
-- The sources to ask again: those whose facts are stale, unless the last attempt failed
-- less than token_unknown_ttl_minutes ago. A rugged or manually listed token needs none.
declare
  ages record := walltrack.token_fact_ages(token, cfg);
  recently_tried boolean := coalesce(
    token.fetched_at > now() - make_interval(mins => cfg.token_unknown_ttl_minutes), false
  );
begin
  if token.rugged or token.manual_list is not null then
    return '{}'::text[];
  end if;
  return array_remove(array[
    case when not ages.rugcheck_fresh
      and not (recently_tried and 'rugcheck' = any(token.failed_sources)) then 'rugcheck' end,
    case when not ages.market_fresh
      and not (recently_tried and 'dexscreener' = any(token.failed_sources)) then 'dexscreener' end,
    case when not ages.authorities_known
      and not (recently_tried and 'das' = any(token.failed_sources)) then 'das' end
  ], null);
end;
$$;
comment on function walltrack.token_sources_due(walltrack.tokens, walltrack.config) is
'Sources (rugcheck, dexscreener, das) whose facts about the token must be fetched again.';
grant execute on function walltrack.token_sources_due(walltrack.tokens, walltrack.config)
to service_role;

create function walltrack.token_expires_at(token walltrack.tokens, cfg walltrack.config)
returns timestamptz
language plpgsql
stable
set search_path = ''
as $$
-- The first moment one of the token's facts goes stale; a lookup that found nothing is
-- retried after the unknown TTL.
begin
  return coalesce(
    least(
      token.rugcheck_fetched_at + make_interval(mins => case
        when coalesce(token.pair_created_at > now() - interval '1 hour', true)
          then cfg.token_market_ttl_minutes
        else cfg.token_cache_ttl_minutes
      end),
      token.market_fetched_at + make_interval(mins => cfg.token_market_ttl_minutes),
      case when token.mint_authority is not null or token.freeze_authority is not null
        then token.authorities_checked_at + make_interval(mins => cfg.token_cache_ttl_minutes)
      end
    ),
    token.fetched_at + make_interval(mins => cfg.token_unknown_ttl_minutes)
  );
end;
$$;
comment on function walltrack.token_expires_at(walltrack.tokens, walltrack.config) is
'When the token''s first fact goes stale (or, with none, when an empty lookup is retried).';
grant execute on function walltrack.token_expires_at(walltrack.tokens, walltrack.config)
to service_role;

create function walltrack.rejudge_tokens(mints text[])
returns void
language sql
set search_path = ''
as $$
  -- Stores the verdict Studio shows, and the expiry, for these tokens (null = all).
  update walltrack.tokens as t
  set
    verdict = (walltrack.token_verdict(t, c)).verdict,
    verdict_reasons = (walltrack.token_verdict(t, c)).reasons,
    verdict_at = now(),
    expires_at = walltrack.token_expires_at(t, c)
  from walltrack.config as c
  where mints is null or t.mint = any(mints);
$$;
comment on function walltrack.rejudge_tokens(text[]) is
'Recomputes and stores the verdict and expiry of the given tokens (all when null).';
grant execute on function walltrack.rejudge_tokens(text[]) to service_role;

create function walltrack.trigger_token_rejudge()
returns trigger
language plpgsql
set search_path = ''
as $$
-- A manual list edit in Studio shows its effect on the stored verdict at once.
begin
  perform walltrack.rejudge_tokens(array[new.mint::text]);
  return null;
end;
$$;
comment on function walltrack.trigger_token_rejudge() is
'Re-judges a token after an operator puts it on (or off) the whitelist or blacklist.';

create function walltrack.trigger_config_rejudge_tokens()
returns trigger
language plpgsql
set search_path = ''
as $$
-- A threshold edit in Studio re-judges every token at once, without refetching.
begin
  perform walltrack.rejudge_tokens(null);
  return null;
end;
$$;
comment on function walltrack.trigger_config_rejudge_tokens() is
'Re-judges all tokens after a change of the token filters in config.';

create function walltrack.token_gate(token_mint text)
returns text
language plpgsql
stable
set search_path = ''
as $$
-- Why a token may not be bought (a decision reason), or null when it may: judged now from
-- its fresh facts, so a stale fact counts as unknown and a threshold change applies at once.
declare
  token walltrack.tokens;
  cfg walltrack.config;
  judgement walltrack.token_judgement;
begin
  select t.* into token from walltrack.tokens as t where t.mint = token_mint;
  if token.fetched_at is null and token.manual_list is null then
    return 'token_not_checked';
  end if;
  select c.* into strict cfg from walltrack.config as c;
  judgement := walltrack.token_verdict(token, cfg);
  return case
    when judgement.verdict = 'unsafe' and judgement.reasons[1] = 'blacklisted'
      then 'token_blacklisted'
    when judgement.verdict = 'unsafe' then 'token_unsafe'
    when judgement.verdict = 'unknown' and cfg.unknown_token_policy = 'fail_closed'
      then 'token_unknown'
  end;
end;
$$;
comment on function walltrack.token_gate(text) is
'Decision reason refusing a buy of this token (token_not_checked, token_blacklisted, '
'token_unsafe, token_unknown), or null when it may be bought.';
grant execute on function walltrack.token_gate(text) to service_role;

create function walltrack.tokens_to_fetch(swaps jsonb, claim_seconds numeric default 3)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- For the buys of active watched wallets in a delivery: which sources to fetch for which
-- token. Those tokens are claimed for claim_seconds, so concurrent deliveries of the same
-- new token make one lookup; fresh ones count a cache hit.
declare
  cfg walltrack.config;
  bought text[];
  wanted jsonb;
begin
  select c.* into strict cfg from walltrack.config as c;
  select coalesce(array_agg(distinct s.value ->> 'token_mint'), '{}') into bought
  from jsonb_array_elements(swaps) as s
  inner join walltrack.wallets as w
    on w.address = s.value ->> 'wallet' and w.status = 'active'
  where s.value ->> 'side' = 'buy';
  insert into walltrack.tokens (mint) select unnest(bought) on conflict do nothing;

  with due as (
    select t.mint, walltrack.token_sources_due(t, cfg) as sources
    from walltrack.tokens as t
    where t.mint = any(bought) and coalesce(t.lookup_claimed_until <= now(), true)
    for update of t
  ),

  claimed as (
    update walltrack.tokens as t
    set
      lookup_claimed_until = case
        when cardinality(d.sources) > 0 then now() + make_interval(secs => claim_seconds)
      end,
      hit_count = t.hit_count + (cardinality(d.sources) = 0)::integer
    from due as d
    where t.mint = d.mint
    returning t.mint, d.sources
  )

  select coalesce(jsonb_object_agg(c.mint, to_jsonb(c.sources)), '{}')
  into wanted
  from claimed as c where cardinality(c.sources) > 0;
  return wanted;
end;
$$;
comment on function walltrack.tokens_to_fetch(jsonb, numeric) is
'Sources to fetch per token bought by an active watched wallet in a delivery ({mint: '
'[sources]}); claims them so a burst makes one lookup, and counts cache hits.';
grant execute on function walltrack.tokens_to_fetch(jsonb, numeric) to service_role;

create function walltrack.store_token_facts(facts jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- Stores what each source said about each token (a source that failed leaves its facts
-- as they were, and is named in failed_sources), then re-judges those tokens.
declare
  mints text[];
begin
  insert into walltrack.tokens as t (mint, fetched_at, failed_sources)
  select
    f.value ->> 'mint', now(),
    coalesce(array(select jsonb_array_elements_text(f.value -> 'failed_sources')), '{}')
  from jsonb_array_elements(facts) as f
  on conflict (mint) do update
  set fetched_at = now(), failed_sources = excluded.failed_sources, lookup_claimed_until = null;
  select array_agg(f.value ->> 'mint') into mints from jsonb_array_elements(facts) as f;

  update walltrack.tokens as t
  set
    rugcheck_score = (f.rc ->> 'score')::integer,
    rugcheck_score_normalised = (f.rc ->> 'score_normalised')::integer,
    risks = coalesce(f.rc -> 'risks', '[]'),
    top10_holders_pct = (f.rc ->> 'top10_holders_pct')::numeric,
    lp_locked_pct = (f.rc ->> 'lp_locked_pct')::numeric,
    rugged = coalesce(t.rugged, false) or coalesce((f.rc ->> 'rugged')::boolean, false),
    rugcheck_fetched_at = now()
  from (
    select e.value ->> 'mint' as mint, e.value -> 'rugcheck' as rc
    from jsonb_array_elements(facts) as e
  ) as f
  where t.mint = f.mint and jsonb_typeof(f.rc) = 'object';

  update walltrack.tokens as t
  set
    pair_address = f.dx ->> 'pair_address',
    dex_id = f.dx ->> 'dex_id',
    liquidity_usd = (f.dx ->> 'liquidity_usd')::numeric,
    market_cap_usd = (f.dx ->> 'market_cap_usd')::numeric,
    fdv_usd = (f.dx ->> 'fdv_usd')::numeric,
    price_usd = (f.dx ->> 'price_usd')::numeric,
    price_sol = (f.dx ->> 'price_sol')::numeric,
    pair_created_at = (f.dx ->> 'pair_created_at')::timestamptz,
    market_fetched_at = now()
  from (
    select e.value ->> 'mint' as mint, e.value -> 'dexscreener' as dx
    from jsonb_array_elements(facts) as e
  ) as f
  where t.mint = f.mint and jsonb_typeof(f.dx) = 'object';

  -- Identity and authorities: DAS first, else what RugCheck's full report says.
  update walltrack.tokens as t
  set
    name = coalesce(f.src ->> 'name', t.name),
    symbol = coalesce(f.src ->> 'symbol', t.symbol),
    decimals = coalesce((f.src ->> 'decimals')::smallint, t.decimals),
    supply = coalesce((f.src ->> 'supply')::numeric, t.supply),
    mint_authority = f.src ->> 'mint_authority',
    freeze_authority = f.src ->> 'freeze_authority',
    authorities_checked_at = now()
  from (
    select
      e.value ->> 'mint' as mint,
      case
        when jsonb_typeof(e.value -> 'das') = 'object' then e.value -> 'das'
        else e.value -> 'rugcheck'
      end as src
    from jsonb_array_elements(facts) as e
  ) as f
  where t.mint = f.mint and jsonb_typeof(f.src) = 'object';

  perform walltrack.rejudge_tokens(mints);
  return (
    select coalesce(jsonb_object_agg(t.mint, jsonb_build_object(
      'verdict', t.verdict, 'reasons', t.verdict_reasons
    )), '{}')
    from walltrack.tokens as t where t.mint = any(mints)
  );
end;
$$;
comment on function walltrack.store_token_facts(jsonb) is
'Stores fetched token facts per source ([{mint, rugcheck, dexscreener, das, failed_sources}]) '
'and returns the new verdicts.';
grant execute on function walltrack.store_token_facts(jsonb) to service_role;

create function walltrack.load_token_facts(tokens jsonb)
returns integer
language plpgsql
set search_path = ''
as $$
-- Facts recorded elsewhere (a what-if replay's log), stored as they were observed: each
-- source that had answered counts as answered now, one that never did stays unknown, and
-- every verdict is judged again from them, as if the lookups had just been made.
declare
  mints text[];
begin
  insert into walltrack.tokens (
    mint, symbol, name, decimals, supply, mint_authority, freeze_authority,
    authorities_checked_at, rugcheck_score, rugcheck_score_normalised, risks,
    top10_holders_pct, lp_locked_pct, rugged, pair_address, dex_id, liquidity_usd,
    market_cap_usd, fdv_usd, price_usd, price_sol, pair_created_at, manual_list, manual_note,
    fetched_at, rugcheck_fetched_at, market_fetched_at, failed_sources
  )
  select
    r.mint, r.symbol, r.name, r.decimals, r.supply, r.mint_authority, r.freeze_authority,
    r.authorities_checked_at, r.rugcheck_score, r.rugcheck_score_normalised, r.risks,
    r.top10_holders_pct, r.lp_locked_pct, r.rugged, r.pair_address, r.dex_id,
    r.liquidity_usd, r.market_cap_usd, r.fdv_usd, r.price_usd, r.price_sol,
    r.pair_created_at, r.manual_list, r.manual_note, r.fetched_at, r.rugcheck_fetched_at,
    r.market_fetched_at, r.failed_sources
  from jsonb_populate_recordset(null::walltrack.tokens, tokens) as r
  on conflict (mint) do update set
    symbol = excluded.symbol,
    name = excluded.name,
    decimals = excluded.decimals,
    supply = excluded.supply,
    mint_authority = excluded.mint_authority,
    freeze_authority = excluded.freeze_authority,
    authorities_checked_at = excluded.authorities_checked_at,
    rugcheck_score = excluded.rugcheck_score,
    rugcheck_score_normalised = excluded.rugcheck_score_normalised,
    risks = excluded.risks,
    top10_holders_pct = excluded.top10_holders_pct,
    lp_locked_pct = excluded.lp_locked_pct,
    rugged = excluded.rugged,
    pair_address = excluded.pair_address,
    dex_id = excluded.dex_id,
    liquidity_usd = excluded.liquidity_usd,
    market_cap_usd = excluded.market_cap_usd,
    fdv_usd = excluded.fdv_usd,
    price_usd = excluded.price_usd,
    price_sol = excluded.price_sol,
    pair_created_at = excluded.pair_created_at,
    manual_list = excluded.manual_list,
    manual_note = excluded.manual_note,
    fetched_at = excluded.fetched_at,
    rugcheck_fetched_at = excluded.rugcheck_fetched_at,
    market_fetched_at = excluded.market_fetched_at,
    failed_sources = excluded.failed_sources;
  mints := array(select e.value ->> 'mint' from jsonb_array_elements(tokens) as e);
  update walltrack.tokens as t set
    fetched_at = case when t.fetched_at is not null then now() end,
    rugcheck_fetched_at = case when t.rugcheck_fetched_at is not null then now() end,
    market_fetched_at = case when t.market_fetched_at is not null then now() end,
    authorities_checked_at = case when t.authorities_checked_at is not null then now() end
  where t.mint = any(mints);
  perform walltrack.rejudge_tokens(mints);
  return cardinality(mints);
end;
$$;
comment on function walltrack.load_token_facts(jsonb) is
'Stores recorded token facts ([{mint, symbol, ..., failed_sources}], the columns of tokens) '
'as observed, marks each source that had answered as fetched now, re-judges the verdicts; '
'returns how many tokens it loaded.';
grant execute on function walltrack.load_token_facts(jsonb) to service_role;

-- Triggers on tokens, in the order Postgres fires them (one timing at a time, by name):
--   update  tokens_before_update_set_updated_at  stamp updated_at
--           tokens_after_update_rejudge          a manual list change re-judges the token

create trigger tokens_before_update_set_updated_at
before update on walltrack.tokens
for each row execute function walltrack.trigger_set_updated_at();

create trigger tokens_after_update_rejudge
after update of manual_list on walltrack.tokens
for each row execute function walltrack.trigger_token_rejudge();

-- A config threshold edit re-judges every cached token (a trigger on config, declared here
-- with the rule it runs: config comes first).

create trigger config_after_update_rejudge_tokens
after update of min_liquidity_usd, min_market_cap_usd, max_market_cap_usd, min_pool_age_minutes,
max_rugcheck_score, require_mint_authority_revoked, require_freeze_authority_revoked,
max_top10_holders_pct, token_cache_ttl_minutes, token_market_ttl_minutes,
token_unknown_ttl_minutes on walltrack.config
for each row execute function walltrack.trigger_config_rejudge_tokens();

alter table walltrack.tokens enable row level security;
grant select, insert, update on walltrack.tokens to service_role;

comment on table walltrack.tokens is
'Read-Through Cache: safety and market facts per mint (RugCheck, DexScreener, Helius DAS), '
'fetched on demand and reused until expires_at. The verdict is computed in SQL from the '
'facts and the config thresholds; manual_list (whitelist/blacklist) wins over it.';
comment on column walltrack.tokens.mint is 'The token mint address (base58).';
comment on column walltrack.tokens.symbol is 'Ticker symbol from the token metadata.';
comment on column walltrack.tokens.name is 'Token name from the token metadata.';
comment on column walltrack.tokens.decimals is
'Decimals of the mint: atomic amounts / 10^decimals = UI amounts.';
comment on column walltrack.tokens.supply is 'Total supply in atomic units.';
comment on column walltrack.tokens.mint_authority is
'Who can mint more supply; null = revoked (once authorities_checked_at is set).';
comment on column walltrack.tokens.freeze_authority is
'Who can freeze holders'' accounts; null = revoked (once authorities_checked_at is set).';
comment on column walltrack.tokens.authorities_checked_at is
'When the authorities were read; empty = unknown, so null authorities mean nothing yet.';
comment on column walltrack.tokens.rugcheck_score is 'RugCheck raw risk score.';
comment on column walltrack.tokens.rugcheck_score_normalised is
'RugCheck normalised risk score, 0..100, higher = riskier.';
comment on column walltrack.tokens.risks is
'RugCheck risks: [{name, level, description, score}].';
comment on column walltrack.tokens.top10_holders_pct is
'Share of supply held by the 10 largest holders (%).';
comment on column walltrack.tokens.lp_locked_pct is 'Share of pool liquidity locked (%).';
comment on column walltrack.tokens.rugged is 'RugCheck says the token was rugged: unsafe for good.';
comment on column walltrack.tokens.pair_address is 'Deepest pool (highest USD liquidity).';
comment on column walltrack.tokens.dex_id is 'DEX of the deepest pool.';
comment on column walltrack.tokens.liquidity_usd is 'USD liquidity of the deepest pool.';
comment on column walltrack.tokens.market_cap_usd is 'Market capitalisation in USD.';
comment on column walltrack.tokens.fdv_usd is 'Fully diluted valuation in USD.';
comment on column walltrack.tokens.price_usd is 'Last known price per whole token in USD.';
comment on column walltrack.tokens.price_sol is 'Last known price per whole token in SOL.';
comment on column walltrack.tokens.pair_created_at is
'When the deepest pool was created (pool age filter).';
comment on column walltrack.tokens.verdict is
'safe / risky / unsafe / unknown, computed in SQL from the facts and config thresholds.';
comment on column walltrack.tokens.verdict_reasons is
'Machine-readable reasons behind the verdict (e.g. mint_authority_active, low_liquidity).';
comment on column walltrack.tokens.verdict_at is 'When the verdict was last computed.';
comment on column walltrack.tokens.manual_list is
'Operator override: whitelist or blacklist wins over every computed verdict.';
comment on column walltrack.tokens.manual_note is 'Why the operator listed the token.';
comment on column walltrack.tokens.fetched_at is 'When a lookup of this token last ran.';
comment on column walltrack.tokens.expires_at is
'The earliest time one of the token''s facts goes stale (empty = nothing fetched yet).';
comment on column walltrack.tokens.failed_sources is
'Sources that failed on the last fetch (rugcheck, dexscreener, das): their facts stay unknown.';
comment on column walltrack.tokens.hit_count is 'How many lookups this cache row answered.';
comment on column walltrack.tokens.created_at is 'When the mint was first seen.';
comment on column walltrack.tokens.updated_at is 'Last change of the row.';
comment on column walltrack.tokens.rugcheck_fetched_at is
'When RugCheck last answered for this token; empty = its facts are unknown.';
comment on column walltrack.tokens.market_fetched_at is
'When DexScreener last answered for this token; empty = market facts unknown.';
comment on column walltrack.tokens.lookup_claimed_until is
'A lookup of this token is in flight until then: a burst of signals makes one lookup.';
comment on column walltrack.tokens.price_at is 'When price_sol was last observed.';
comment on column walltrack.tokens.price_stale is
'The last price refresh found no price: positions keep their last price until one comes.';

-- ======================================================================================
-- supabase/schemas/05_signals.sql
-- ======================================================================================

-- signals: event sourcing. Every swap a watched wallet made, as Helius reported it, and
-- the decision taken on it. Append-only: the event is never edited or deleted; the
-- decision columns are written once. Their links to the position and the order a decision
-- made are declared with those tables (07_positions.sql, 08_orders.sql).
-- Scale: the largest table. Indexes cover (wallet, time) and (token, time); when it
-- outgrows one table, partition it by month on block_time (the dedupe key then gains
-- block_time, which a re-delivery repeats verbatim).

create type walltrack.signal_decision as enum ('copied', 'skipped', 'ignored');
comment on type walltrack.signal_decision is
'copied = an order was created; skipped = a copy was possible but a rule refused it; '
'ignored = nothing to copy (failed transaction, not a trade we follow).';

create table walltrack.signals (
  id bigint generated always as identity primary key,
  -- event
  signature walltrack.solana_signature not null,
  slot bigint,
  block_time timestamptz,
  received_at timestamptz not null default now(),
  wallet_id bigint not null references walltrack.wallets (id),
  source text,
  side walltrack.trade_side,
  token_mint walltrack.solana_address,
  token_amount numeric,
  token_decimals smallint,
  quote_mint walltrack.solana_address,
  quote_amount numeric,
  quote_decimals smallint,
  price_sol numeric,
  tx_error text,
  raw jsonb not null,
  -- decision (set once)
  decision walltrack.signal_decision,
  decision_reason text,
  decided_at timestamptz,
  position_id bigint,
  order_id bigint,

  constraint signals_dedupe unique nulls not distinct (signature, wallet_id, token_mint),
  constraint signals_amounts_positive check (walltrack.ensure(
    coalesce(token_amount > 0, true) and coalesce(quote_amount >= 0, true)
    and coalesce(price_sol >= 0, true),
    'signal amounts must be positive (token) or not negative (quote, price)'
  )),
  constraint signals_trade_complete check (walltrack.ensure(
    tx_error is not null
    or (side is not null and token_mint is not null and token_amount is not null),
    'a successful swap signal needs side, token_mint and token_amount'
  )),
  constraint signals_reason_code check (walltrack.ensure(
    decision_reason ~ '^[a-z][a-z0-9_]*$',
    format('decision_reason must be a snake_case code, got "%s"', decision_reason)
  )),
  constraint signals_decision_complete check (walltrack.ensure(
    (decision is null) = (decision_reason is null) and (decision is null) = (decided_at is null),
    'a decision needs its reason and time, all three set together'
  ))
);

create index signals_wallet_time_idx on walltrack.signals (wallet_id, block_time);

create index signals_token_time_idx on walltrack.signals (token_mint, block_time);

create index signals_undecided_idx on walltrack.signals (id) where decision is null;

create function walltrack.trigger_signal_append_only()
returns trigger
language plpgsql
set search_path = ''
as $$
-- The event columns never change; each decision column may go from empty to a value
-- once.
begin
  if (new.signature, new.slot, new.block_time, new.received_at, new.wallet_id, new.source,
    new.side, new.token_mint, new.token_amount, new.token_decimals, new.quote_mint,
    new.quote_amount, new.quote_decimals, new.price_sol, new.tx_error, new.raw)
    is distinct from
    (old.signature, old.slot, old.block_time, old.received_at, old.wallet_id, old.source,
      old.side, old.token_mint, old.token_amount, old.token_decimals, old.quote_mint,
      old.quote_amount, old.quote_decimals, old.price_sol, old.tx_error, old.raw) then
    raise exception using
      message = format('signal %s is an event: its recorded columns cannot be changed', old.id),
      hint = 'Only the decision columns can be set, once.',
      errcode = 'restrict_violation';
  end if;
  if old.decided_at is not null
    and (new.decision, new.decision_reason, new.decided_at, new.position_id, new.order_id)
    is distinct from
    (old.decision, old.decision_reason, old.decided_at, old.position_id, old.order_id) then
    raise exception using
      message = format('signal %s already has its decision: it is written once', old.id),
      errcode = 'restrict_violation';
  end if;
  return new;
end;
$$;
comment on function walltrack.trigger_signal_append_only() is
'Refuses edits of a signal''s event columns and a second write of its decision columns.';

-- Triggers on signals, in the order Postgres fires them (one timing at a time, by name):
--   update    signals_before_update_append_only  the event never changes; the decision once
--   delete    signals_before_delete_refuse       refused: the audit log is permanent
--   truncate  signals_before_truncate_refuse     refused
create trigger signals_before_update_append_only
before update on walltrack.signals
for each row execute function walltrack.trigger_signal_append_only();

create trigger signals_before_delete_refuse
before delete on walltrack.signals
for each row execute function walltrack.trigger_refuse_change(
  'Signals are the audit log of every swap: they are never deleted.'
);

create trigger signals_before_truncate_refuse
before truncate on walltrack.signals
for each statement execute function walltrack.trigger_refuse_change(
  'Signals are the audit log of every swap: they are never deleted.'
);

alter table walltrack.signals enable row level security;
grant select, insert, update on walltrack.signals to service_role;

comment on table walltrack.signals is
'Event Sourcing: every swap a watched wallet made, as Helius reported it (raw payload '
'included), with the decision taken on it. Append-only: one row per (signature, wallet, '
'token) whatever Helius re-delivers; decision columns are written once.';
comment on column walltrack.signals.id is 'Identity of the signal.';
comment on column walltrack.signals.signature is 'Transaction signature (base58).';
comment on column walltrack.signals.slot is 'Slot the transaction landed in.';
comment on column walltrack.signals.block_time is 'Block time of the transaction.';
comment on column walltrack.signals.received_at is 'When WallTrack received the webhook.';
comment on column walltrack.signals.wallet_id is 'The watched wallet that swapped.';
comment on column walltrack.signals.source is 'DEX or program Helius named (JUPITER, RAYDIUM...).';
comment on column walltrack.signals.side is
'buy = the wallet received the token; sell = it gave the token away.';
comment on column walltrack.signals.token_mint is 'The token traded (not SOL / the quote).';
comment on column walltrack.signals.token_amount is
'Token amount the wallet gained or gave, in atomic units (> 0).';
comment on column walltrack.signals.token_decimals is 'Decimals of token_mint.';
comment on column walltrack.signals.quote_mint is
'What the token was paid with: SOL (wSOL mint) or a stablecoin for token-to-token swaps.';
comment on column walltrack.signals.quote_amount is 'Quote amount, in atomic units.';
comment on column walltrack.signals.quote_decimals is 'Decimals of quote_mint (9 for SOL).';
comment on column walltrack.signals.price_sol is
'Price per whole token in SOL paid by the leader (SOL quotes only).';
comment on column walltrack.signals.tx_error is
'Error of a failed transaction: recorded for the audit log, decided ignored.';
comment on column walltrack.signals.raw is 'The enhanced transaction as Helius sent it.';
comment on column walltrack.signals.decision is 'copied / skipped / ignored, written once.';
comment on column walltrack.signals.decision_reason is
'Machine-readable reason: copied, mirror_sell, wallet_not_active, trading_disabled, '
'breaker_active, token_unsafe, token_unknown, token_not_checked, max_positions, '
'exposure_limit, already_holding, below_min_size, no_position_to_mirror, mirror_sells_off, '
'live_trading_off, failed_transaction, not_a_sol_quote.';
comment on column walltrack.signals.decided_at is 'When the decision was taken.';
comment on column walltrack.signals.position_id is 'The position opened or sold by the decision.';
comment on column walltrack.signals.order_id is 'The order the decision created.';

-- ======================================================================================
-- supabase/schemas/06_circuit_breaker_events.sql
-- ======================================================================================

-- circuit_breaker_events: event sourcing of the global circuit breaker (ADR-004). Every
-- activation and deactivation; no foreign key, the breaker is global. Append-only; the
-- current state is the latest event. While it is active, the database itself refuses new
-- positions and buy orders, whoever tries (walltrack.trigger_refuse_buys_while_breaker_active,
-- attached to positions and orders), and exits go on. The rules that trip and reset it
-- read positions: 09_circuit_breaker.sql.

create type walltrack.breaker_event_type as enum ('activated', 'deactivated');
comment on type walltrack.breaker_event_type is 'The breaker tripped (activated) or was reset.';

create type walltrack.breaker_trigger as enum (
  'daily_loss', 'drawdown', 'consecutive_losses', 'win_rate', 'manual', 'cooldown'
);
comment on type walltrack.breaker_trigger is
'What caused the event: a threshold crossed, an operator, or the cooldown expiring.';

create table walltrack.circuit_breaker_events (
  id bigint generated always as identity primary key,
  event_type walltrack.breaker_event_type not null,
  trigger walltrack.breaker_trigger not null,
  threshold numeric,
  observed numeric,
  metrics jsonb not null default '{}',
  actor text not null default 'system',
  note text not null default '',
  -- The wall clock, not the transaction's start: events and closes of one transaction
  -- stay in the order they happened.
  created_at timestamptz not null default clock_timestamp(),

  constraint circuit_breaker_events_metrics_object check (walltrack.ensure(
    jsonb_typeof(metrics) = 'object', 'circuit_breaker_events.metrics must be a JSON object'
  )),
  constraint circuit_breaker_events_actor_present check (walltrack.ensure(
    length(btrim(actor)) > 0, 'a breaker event names its actor: system or the operator'
  ))
);

create index circuit_breaker_events_created_idx
on walltrack.circuit_breaker_events (created_at desc, id desc);

-- Triggers on circuit_breaker_events, in the order Postgres fires them (by name):
--   update    circuit_breaker_events_before_change_refuse    refused: append-only
--   delete    circuit_breaker_events_before_change_refuse    refused: append-only
--   truncate  circuit_breaker_events_before_truncate_refuse  refused
create trigger circuit_breaker_events_before_change_refuse
before update or delete on walltrack.circuit_breaker_events
for each row execute function walltrack.trigger_refuse_change(
  'Breaker events are an audit log: record a new event (e.g. a manual reset) instead.'
);

create trigger circuit_breaker_events_before_truncate_refuse
before truncate on walltrack.circuit_breaker_events
for each statement execute function walltrack.trigger_refuse_change(
  'Breaker events are an audit log: record a new event (e.g. a manual reset) instead.'
);

alter table walltrack.circuit_breaker_events enable row level security;
grant select, insert on walltrack.circuit_breaker_events to service_role;

comment on table walltrack.circuit_breaker_events is
'Event Sourcing: every activation and deactivation of the global circuit breaker, with the '
'threshold, the observed value and a metrics snapshot. Append-only; the latest event is the '
'current state. While active no new position opens; exits keep running (ADR-004).';
comment on column walltrack.circuit_breaker_events.id is 'Identity and order of the event.';
comment on column walltrack.circuit_breaker_events.event_type is 'activated or deactivated.';
comment on column walltrack.circuit_breaker_events.trigger is
'daily_loss, drawdown, consecutive_losses, win_rate, manual or cooldown.';
comment on column walltrack.circuit_breaker_events.threshold is 'The config threshold crossed.';
comment on column walltrack.circuit_breaker_events.observed is
'The value observed when it tripped.';
comment on column walltrack.circuit_breaker_events.metrics is
'Snapshot of the breaker metrics at the event (JSON object).';
comment on column walltrack.circuit_breaker_events.actor is 'system, or the operator who acted.';
comment on column walltrack.circuit_breaker_events.note is 'Why the operator acted.';
comment on column walltrack.circuit_breaker_events.created_at is 'When it happened.';

create function walltrack.latest_breaker_event()
returns walltrack.circuit_breaker_events
language plpgsql
stable
set search_path = ''
as $$
-- ADR-004: the breaker's state is its latest event. (plpgsql, not sql, here and below:
-- a function with SET is never inlined, and plpgsql keeps its plans between calls.)
declare
  latest walltrack.circuit_breaker_events;
begin
  select e.* into latest from walltrack.circuit_breaker_events as e
  order by e.created_at desc, e.id desc
  limit 1;
  return latest;
end;
$$;
comment on function walltrack.latest_breaker_event() is
'The latest circuit breaker event: the breaker''s current state.';
grant execute on function walltrack.latest_breaker_event() to service_role;

create function walltrack.breaker_is_active()
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
  return coalesce((walltrack.latest_breaker_event()).event_type = 'activated', false);
end;
$$;
comment on function walltrack.breaker_is_active() is
'True while the latest circuit breaker event is an activation.';
grant execute on function walltrack.breaker_is_active() to service_role;

create function walltrack.last_breaker_reset()
returns timestamptz
language plpgsql
stable
set search_path = ''
as $$
-- A reset starts a new equity curve: losses before it do not trip the breaker again.
begin
  return (
    select max(e.created_at) from walltrack.circuit_breaker_events as e
    where e.event_type = 'deactivated'
  );
end;
$$;
comment on function walltrack.last_breaker_reset() is
'When the circuit breaker was last reset (the start of the current equity curve).';
grant execute on function walltrack.last_breaker_reset() to service_role;

create function walltrack.trigger_refuse_buys_while_breaker_active()
returns trigger
language plpgsql
set search_path = ''
as $$
-- ADR-004, enforced where nobody can go around it: no new position and no buy order while
-- the breaker is active. Sells and exits always pass.
begin
  -- On orders the trigger fires for buys only (its WHEN clause).
  if walltrack.breaker_is_active() then
    raise exception using
      message = format('circuit breaker is active: %s refused', case
        when tg_table_name = 'positions' then 'a new position is' else 'a buy order is' end),
      hint = 'Exits still run. Reset with api.reset_circuit_breaker(operator, note).',
      errcode = 'check_violation';
  end if;
  return new;
end;
$$;
comment on function walltrack.trigger_refuse_buys_while_breaker_active() is
'Refuses new positions and buy orders while the circuit breaker is active (ADR-004).';

-- ======================================================================================
-- supabase/schemas/07_positions.sql
-- ======================================================================================

-- positions: the aggregate root. One holding of one token, opened by a copy. Its money is
-- kept true by triggers when its orders fill (average-cost method) and when prices are
-- applied; nothing else may write those columns. The exit strategy is snapshotted at
-- creation (ADR-002). Each close stamps the realized equity curve the breaker reads.
-- Signals point at the position they opened (signals_position_fk, declared here because
-- signals come first); orders point at theirs (08_orders.sql).

create type walltrack.position_status as enum ('opening', 'open', 'closing', 'closed', 'failed');
comment on type walltrack.position_status is
'opening (entry order not filled yet) -> open -> closing (exit order in flight) -> closed; '
'failed when the entry never filled.';

create table walltrack.positions (
  id bigint generated always as identity primary key,
  -- ownership
  wallet_id bigint not null references walltrack.wallets (id),
  token_mint walltrack.solana_address not null references walltrack.tokens (mint),
  token_decimals smallint not null,
  mode walltrack.trade_mode not null,
  status walltrack.position_status not null default 'opening',
  opened_from_signal_id bigint references walltrack.signals (id),
  -- strategy (ADR-002)
  exit_strategy_id bigint not null references walltrack.exit_strategies (id),
  exit_strategy_snapshot jsonb not null,
  exit_strategy_override jsonb not null default '{}',
  -- entry
  qty_bought numeric not null default 0,
  cost_basis_sol numeric not null default 0,
  avg_entry_price_sol numeric,
  -- exit / realized
  qty_sold numeric not null default 0,
  proceeds_sol numeric not null default 0,
  realized_pnl_sol numeric not null default 0,
  take_profits_fired integer[] not null default '{}',
  close_reason walltrack.order_reason,
  closed_at timestamptz,
  -- unrealized
  last_price_sol numeric,
  last_price_at timestamptz,
  unrealized_pnl_sol numeric,
  peak_price_sol numeric,
  opened_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- the realized equity curve, stamped at close (ADR-004)
  equity_after_sol numeric,
  equity_peak_after_sol numeric,
  losing_streak_after integer,

  -- A CHECK runs on every updated row (each price tick): each rule is tested plainly
  -- first, and walltrack.ensure builds its message only for a row that fails. Net
  -- proceeds may be negative: selling dust can cost more in fees than it brings.
  constraint positions_decimals_range check (
    token_decimals between 0 and 18
    or walltrack.ensure(
      token_decimals between 0 and 18,
      format('positions.token_decimals must be within 0..18, got %s', token_decimals)
    )
  ),
  constraint positions_quantities_consistent check (
    qty_bought >= 0 and qty_sold >= 0 and qty_sold <= qty_bought and cost_basis_sol >= 0
    or walltrack.ensure(
      qty_bought >= 0 and qty_sold >= 0 and qty_sold <= qty_bought and cost_basis_sol >= 0,
      format('position quantities inconsistent: sold %s of %s bought', qty_sold, qty_bought)
    )
  ),
  constraint positions_override_object check (
    jsonb_typeof(exit_strategy_override) = 'object'
    or walltrack.ensure(
      jsonb_typeof(exit_strategy_override) = 'object',
      'positions.exit_strategy_override must be a JSON object of rule fields, e.g. '
      || '{"stop_loss_pct": -20}'
    )
  )
)
-- A price tick rewrites every open position: free room in each page keeps the update on
-- its page (a HOT update, no index to touch).
with (fillfactor = 70);

create index positions_wallet_idx on walltrack.positions (wallet_id, opened_at);

create index positions_token_idx on walltrack.positions (token_mint);

create index positions_live_idx on walltrack.positions (status)
where status in ('opening', 'open', 'closing');

create index positions_closed_idx on walltrack.positions (closed_at) where status = 'closed';

-- The end of the curve, and the last N closes, in one index probe.
create index positions_closes_latest_idx on walltrack.positions (closed_at desc, id desc)
where status = 'closed';

-- One index for "the live positions in this token", the lookup every tick makes per token.
create index positions_live_token_idx on walltrack.positions (token_mint)
where status in ('open', 'closing');

alter table walltrack.signals
add constraint signals_position_fk foreign key (position_id) references walltrack.positions (id);

create function walltrack.position_open_cost_sol(pos walltrack.positions)
returns numeric
language plpgsql
immutable
set search_path = ''
as $$
-- Cost of what is still held. Every sell realizes proceeds minus the cost of what it sold,
-- so the cost already sold is proceeds - realized. (plpgsql, not sql: a function with
-- SET is never inlined, and plpgsql keeps its plan between calls on the hot path.)
begin
  return pos.cost_basis_sol - pos.proceeds_sol + pos.realized_pnl_sol;
end;
$$;
comment on function walltrack.position_open_cost_sol(walltrack.positions) is
'Average cost of the quantity still held, in SOL (cost basis minus the cost already sold).';
grant execute on function walltrack.position_open_cost_sol(walltrack.positions) to service_role;

create function walltrack.curve_end(since timestamptz)
returns walltrack.positions
language plpgsql
stable
set search_path = ''
as $$
-- The latest close after `since`: the current end of the equity curve.
declare
  last_close walltrack.positions;
begin
  select p.* into last_close from walltrack.positions as p
  where p.status = 'closed' and p.equity_after_sol is not null and p.closed_at > since
  order by p.closed_at desc, p.id desc
  limit 1;
  return last_close;
end;
$$;
comment on function walltrack.curve_end(timestamptz) is
'The latest close after the given time: the end of the realized equity curve.';
grant execute on function walltrack.curve_end(timestamptz) to service_role;

create function walltrack.trigger_position_snapshot_strategy()
returns trigger
language plpgsql
set search_path = ''
as $$
-- ADR-002: a position carries a copy of its exit strategy taken at creation: the
-- given template, else the wallet's, else the default.
declare
  strategy walltrack.exit_strategies;
begin
  select s.* into strategy
  from walltrack.exit_strategies as s
  where s.id = coalesce(
    new.exit_strategy_id,
    (select w.exit_strategy_id from walltrack.wallets as w where w.id = new.wallet_id),
    (select d.id from walltrack.exit_strategies as d where d.is_default)
  );
  perform walltrack.ensure(strategy.id is not null,
    'no exit strategy for this position: the wallet names none and no template is the default',
    'Mark one exit strategy as is_default, or set the wallet''s exit_strategy_id.');
  new.exit_strategy_id := strategy.id;
  new.exit_strategy_snapshot := walltrack.exit_strategy_rules(strategy);
  return new;
end;
$$;
comment on function walltrack.trigger_position_snapshot_strategy() is
'Snapshots the exit strategy into a new position (ADR-002).';

create function walltrack.trigger_position_keep_strategy()
returns trigger
language plpgsql
set search_path = ''
as $$
-- The snapshot never changes; per-position changes go into exit_strategy_override.
begin
  perform walltrack.ensure(
    new.exit_strategy_id = old.exit_strategy_id
    and new.exit_strategy_snapshot = old.exit_strategy_snapshot,
    format('position %s keeps the exit strategy it was opened with', old.id),
    'Put per-position changes in exit_strategy_override instead.');
  return new;
end;
$$;
comment on function walltrack.trigger_position_keep_strategy() is
'Refuses a change of a position''s exit strategy or its snapshot (ADR-002).';

-- The money guard moves from inside the trigger function to the triggers' WHEN clauses,
-- which the executor evaluates without calling a function: a price tick, which changes no
-- money column, no longer pays for it. The accumulators are written only by the fill
-- trigger (a nested statement: trigger depth above 0 when the clause is evaluated).
create function walltrack.trigger_refuse_money_edit()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception using
    message = 'position money columns are kept by the order fills: they cannot be edited directly',
    hint = 'Record a fill on the position''s order instead; per-position exit rules go in '
    || 'exit_strategy_override.',
    errcode = 'check_violation';
end;
$$;
comment on function walltrack.trigger_refuse_money_edit() is
'Refuses a direct write of a position''s money columns (only order fills change them).';

create function walltrack.trigger_position_money()
returns trigger
language plpgsql
set search_path = ''
as $$
-- Derives entry price, peak and unrealized PnL from the accumulators (quantities, cost,
-- proceeds, realized: written only by the fill trigger, as the guard_money triggers
-- enforce) and the last price; stamps updated_at (one trigger function per row on a tick).
declare
  held_tokens numeric;
  open_cost numeric;
begin
  held_tokens := (new.qty_bought - new.qty_sold) / 10::numeric ^ new.token_decimals;
  open_cost := walltrack.position_open_cost_sol(new);
  -- Only a buy moves the average entry: recomputing it after a sell would only add the
  -- lamport rounding of the cost sold.
  if held_tokens > 0 and (tg_op = 'INSERT' or new.qty_bought <> old.qty_bought) then
    new.avg_entry_price_sol := round(open_cost / held_tokens, 18);
  end if;
  new.peak_price_sol := greatest(new.peak_price_sol, new.last_price_sol);
  new.updated_at := now();
  new.unrealized_pnl_sol := case
    when new.status = 'closed' or held_tokens = 0 then 0
    when new.last_price_sol is not null then round(held_tokens * new.last_price_sol - open_cost, 9)
  end;
  return new;
end;
$$;
comment on function walltrack.trigger_position_money() is
'Derives a position''s average entry, peak price and unrealized PnL from its accumulators '
'and last price, and stamps updated_at.';

create function walltrack.trigger_position_override_valid()
returns trigger
language plpgsql
set search_path = ''
as $$
-- An override edited in Studio is checked as the rules it makes with the snapshot (one that
-- is not even an object is refused by the positions_override_object constraint).
begin
  if jsonb_typeof(new.exit_strategy_override) = 'object' then
    perform walltrack.check_exit_rules(new.exit_strategy_snapshot || new.exit_strategy_override);
  end if;
  return new;
end;
$$;
comment on function walltrack.trigger_position_override_valid() is
'Refuses a per-position override that would break an exit rule, saying what to fix.';

create function walltrack.trigger_position_stamp_equity()
returns trigger
language plpgsql
set search_path = ''
as $$
-- Each close extends the equity curve by one point, so the breaker reads the curve's end
-- instead of replaying every close: O(1) per check at any number of closes.
declare
  -- -infinity without a reset: a plain range the closed_at index can serve.
  since timestamptz := coalesce(walltrack.last_breaker_reset(), '-infinity');
  previous walltrack.positions;
begin
  -- Two closes at once must chain, not both extend the same point.
  perform pg_advisory_xact_lock(hashtext('walltrack.equity_curve'));
  previous := walltrack.curve_end(since);
  new.equity_after_sol := coalesce(
    previous.equity_after_sol, (select c.breaker_capital_sol from walltrack.config as c)
  ) + new.realized_pnl_sol;
  new.equity_peak_after_sol := greatest(
    coalesce(previous.equity_peak_after_sol, new.equity_after_sol - new.realized_pnl_sol),
    new.equity_after_sol
  );
  new.losing_streak_after := case
    when new.realized_pnl_sol < 0 then coalesce(previous.losing_streak_after, 0) + 1 else 0
  end;
  return new;
end;
$$;
comment on function walltrack.trigger_position_stamp_equity() is
'Stamps a closing position with the equity curve point it makes (equity, peak, streak).';

create function walltrack.trigger_position_keep_equity()
returns trigger
language plpgsql
set search_path = ''
as $$
-- The equity curve is written by closes only; an edit would fool the breaker.
begin
  perform walltrack.ensure(pg_trigger_depth() > 1,
    'the equity curve columns are written by closes: they cannot be edited directly');
  return new;
end;
$$;
comment on function walltrack.trigger_position_keep_equity() is
'Refuses direct edits of a position''s equity curve columns.';

-- Triggers on positions, in the order Postgres fires them (one timing at a time, by name):
--   insert  positions_before_insert_breaker            no new position while the breaker is active
--           positions_before_insert_guard_money        a position starts with no money in it
--           positions_before_insert_snapshot_strategy  snapshot the exit strategy (ADR-002)
--           positions_before_write_money               derive entry price, peak, unrealized PnL
--   update  positions_before_close_stamp_equity        a close stamps its equity curve point
--           positions_before_update_guard_money        money columns change only by fills
--           positions_before_update_keep_equity        equity stamps change only by closes
--           positions_before_update_keep_strategy      the snapshot never changes
--           positions_before_update_override_valid     exit_strategy_override is valid
--           positions_before_write_money               derive entry price, peak, unrealized PnL
--           positions_after_close_check_breaker        a close checks the breaker: created in
--                                                      09_circuit_breaker.sql, after the rule
--   delete  positions_before_delete_refuse             positions are closed, never deleted

create trigger positions_before_insert_breaker
before insert on walltrack.positions
for each row execute function walltrack.trigger_refuse_buys_while_breaker_active();

create trigger positions_before_insert_guard_money
before insert on walltrack.positions
for each row
when (
  pg_trigger_depth() = 0
  and not (
    (new.qty_bought, new.cost_basis_sol, new.qty_sold, new.proceeds_sol, new.realized_pnl_sol)
    = (0, 0, 0, 0, 0)
    and new.close_reason is null and new.closed_at is null
  )
)
execute function walltrack.trigger_refuse_money_edit();

create trigger positions_before_insert_snapshot_strategy
before insert on walltrack.positions
for each row execute function walltrack.trigger_position_snapshot_strategy();

create trigger positions_before_close_stamp_equity
before update of status on walltrack.positions
for each row
when (new.status = 'closed' and old.status is distinct from 'closed')
execute function walltrack.trigger_position_stamp_equity();

create trigger positions_before_update_guard_money
before update on walltrack.positions
for each row
when (
  pg_trigger_depth() = 0
  and (
    new.qty_bought, new.cost_basis_sol, new.avg_entry_price_sol, new.qty_sold,
    new.proceeds_sol, new.realized_pnl_sol, new.close_reason, new.closed_at,
    new.unrealized_pnl_sol, new.peak_price_sol
  )
  is distinct from
  (
    old.qty_bought, old.cost_basis_sol, old.avg_entry_price_sol, old.qty_sold,
    old.proceeds_sol, old.realized_pnl_sol, old.close_reason, old.closed_at,
    old.unrealized_pnl_sol, old.peak_price_sol
  )
)
execute function walltrack.trigger_refuse_money_edit();

create trigger positions_before_update_keep_equity
before update of equity_after_sol, equity_peak_after_sol, losing_streak_after
on walltrack.positions
for each row execute function walltrack.trigger_position_keep_equity();

-- Fires only when a statement names these columns: fills never pay for it.
create trigger positions_before_update_keep_strategy
before update of exit_strategy_id, exit_strategy_snapshot on walltrack.positions
for each row execute function walltrack.trigger_position_keep_strategy();

-- Fires only when a statement names the override: price ticks never pay for it.
create trigger positions_before_update_override_valid
before update of exit_strategy_override on walltrack.positions
for each row execute function walltrack.trigger_position_override_valid();

create trigger positions_before_write_money
before insert or update on walltrack.positions
for each row execute function walltrack.trigger_position_money();

create trigger positions_before_delete_refuse
before delete on walltrack.positions
for each row execute function walltrack.trigger_refuse_change(
  'Positions hold realized money history: they are closed, never deleted.'
);

alter table walltrack.positions enable row level security;
grant select, insert, update on walltrack.positions to service_role;

comment on table walltrack.positions is
'Aggregate Root: one holding of one token opened by a copy, with its exit strategy snapshot '
'(plus per-position override), entry, realized and unrealized money. The money columns are '
'kept true by triggers on order fills and price ticks; nothing else writes them.';
comment on column walltrack.positions.id is 'Identity of the position.';
comment on column walltrack.positions.wallet_id is 'The leader wallet whose trade was copied.';
comment on column walltrack.positions.token_mint is 'The token held.';
comment on column walltrack.positions.token_decimals is
'Decimals of the token (quantities are atomic).';
comment on column walltrack.positions.mode is 'simulation or live, from the wallet at opening.';
comment on column walltrack.positions.status is
'opening -> open -> closing -> closed, or failed when the entry never filled.';
comment on column walltrack.positions.opened_from_signal_id is 'The leader buy that opened it.';
comment on column walltrack.positions.exit_strategy_id is
'The template the snapshot was taken from.';
comment on column walltrack.positions.exit_strategy_snapshot is
'The template''s rules at creation (ADR-002); never changes.';
comment on column walltrack.positions.exit_strategy_override is
'Per-position rule changes over the snapshot, e.g. {"stop_loss_pct": -15}; edit in Studio.';
comment on column walltrack.positions.qty_bought is
'Token bought, atomic units (sum of entry fills).';
comment on column walltrack.positions.cost_basis_sol is 'SOL spent on the entry, fees included.';
comment on column walltrack.positions.avg_entry_price_sol is
'Average entry price per whole token in SOL, fees included.';
comment on column walltrack.positions.qty_sold is 'Token sold, atomic units (sum of exit fills).';
comment on column walltrack.positions.proceeds_sol is 'SOL received from exits, net of fees.';
comment on column walltrack.positions.realized_pnl_sol is
'Realized PnL in SOL, average-cost method: proceeds minus the cost of what was sold.';
comment on column walltrack.positions.take_profits_fired is
'Take-profit levels (1-based) already fired: each fires once.';
comment on column walltrack.positions.close_reason is 'The exit rule that closed it.';
comment on column walltrack.positions.closed_at is
'When the remaining quantity reached zero (or dust).';
comment on column walltrack.positions.last_price_sol is 'Last price per whole token in SOL.';
comment on column walltrack.positions.last_price_at is 'When last_price_sol was observed.';
comment on column walltrack.positions.unrealized_pnl_sol is
'Value of what is held at last_price_sol minus its average cost.';
comment on column walltrack.positions.peak_price_sol is
'Highest price seen since entry (trailing stop).';
comment on column walltrack.positions.opened_at is 'When the position was created.';
comment on column walltrack.positions.updated_at is 'Last change of the row.';
comment on column walltrack.positions.equity_after_sol is
'Realized equity right after this close (breaker capital + realized PnL of the closes since '
'the last breaker reset): the equity curve, one point per close.';
comment on column walltrack.positions.equity_peak_after_sol is
'Highest realized equity up to this close since the last breaker reset.';
comment on column walltrack.positions.losing_streak_after is
'Losing closes in a row ending with this one (0 when it won).';

-- ======================================================================================
-- supabase/schemas/08_orders.sql
-- ======================================================================================

-- orders: the command log. Every instruction to trade and what became of it. The status
-- moves only along allowed transitions and an order's intent never changes; a lease keeps
-- two workers from submitting the same order; the idempotency key and the unique
-- signature keep us from paying twice. A confirmed order moves its position's money
-- (average-cost method, fees included). Simulation orders are recorded already filled, at
-- a modelled price, so copies and exits fill the same way whoever creates them.

create type walltrack.order_status as enum (
  'pending', 'submitted', 'confirmed', 'failed', 'cancelled'
);
comment on type walltrack.order_status is
'pending -> submitted -> confirmed | failed; pending -> confirmed (simulation fill), '
'failed or cancelled; submitted -> pending (retry as a new attempt).';

create table walltrack.orders (
  id bigint generated always as identity primary key,
  -- intent
  position_id bigint not null,
  signal_id bigint references walltrack.signals (id),
  side walltrack.trade_side not null,
  reason walltrack.order_reason not null,
  take_profit_level integer,
  mode walltrack.trade_mode not null,
  input_mint walltrack.solana_address not null,
  output_mint walltrack.solana_address not null,
  amount_in numeric not null,
  slippage_bps integer not null,
  quoted_out numeric,
  min_out numeric,
  idempotency_key text not null,
  -- lifecycle
  status walltrack.order_status not null default 'pending',
  attempts integer not null default 0,
  max_attempts integer not null,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  lease_owner text,
  lease_until timestamptz,
  -- execution facts
  tx_signature walltrack.solana_signature,
  quoted_price_sol numeric,
  filled_in numeric,
  filled_out numeric,
  fill_price_sol numeric,
  realized_slippage_bps numeric,
  network_fee_lamports bigint,
  priority_fee_lamports bigint,
  tip_lamports bigint,
  created_at timestamptz not null default now(),
  submitted_at timestamptz,
  confirmed_at timestamptz,
  updated_at timestamptz not null default now(),
  -- live execution
  last_valid_block_height bigint,
  attempt_log jsonb not null default '[]',

  constraint orders_idempotency_key_unique unique (idempotency_key),
  constraint orders_tx_signature_unique unique (tx_signature),
  constraint orders_amount_positive check (walltrack.ensure(
    amount_in > 0, format('orders.amount_in must be above 0 atomic units, got %s', amount_in)
  )),
  constraint orders_mints_differ check (walltrack.ensure(
    input_mint <> output_mint, 'an order must swap between two different mints'
  )),
  constraint orders_slippage_range check (walltrack.ensure(
    slippage_bps between 0 and 10000,
    format('orders.slippage_bps must be within 0..10000, got %s', slippage_bps)
  )),
  constraint orders_attempts_range check (walltrack.ensure(
    attempts >= 0 and max_attempts >= 1 and attempts <= max_attempts,
    format('order attempts (%s) must stay within 0..max_attempts (%s)', attempts, max_attempts)
  )),
  constraint orders_take_profit_level check (walltrack.ensure(
    (reason = 'take_profit') = (take_profit_level is not null),
    'take_profit_level is set exactly when the reason is take_profit'
  )),
  constraint orders_fill_facts check (walltrack.ensure(
    status <> 'confirmed' or (filled_in > 0 and filled_out >= 0 and confirmed_at is not null),
    'a confirmed order needs filled_in > 0, filled_out >= 0 and confirmed_at'
  )),
  constraint orders_fees_not_negative check (walltrack.ensure(
    coalesce(network_fee_lamports >= 0, true) and coalesce(priority_fee_lamports >= 0, true)
    and coalesce(tip_lamports >= 0, true),
    'order fees and tips must not be negative'
  )),
  constraint orders_attempt_log_array check (walltrack.ensure(
    jsonb_typeof(attempt_log) = 'array', 'orders.attempt_log must be a JSON array'
  )),
  constraint orders_position_fk foreign key (position_id) references walltrack.positions (id)
);

create index orders_position_idx on walltrack.orders (position_id);

create index orders_signal_idx on walltrack.orders (signal_id);

create index orders_due_idx on walltrack.orders (next_attempt_at)
where status in ('pending', 'submitted');

-- Signals point at the order their decision placed.

alter table walltrack.signals
add constraint signals_order_fk foreign key (order_id) references walltrack.orders (id);

create function walltrack.trigger_order_transition()
returns trigger
language plpgsql
set search_path = ''
as $$
-- The lifecycle only moves forward along the allowed edges; the intent of an order is
-- fixed once it exists.
begin
  if new.status is distinct from old.status then
    perform walltrack.ensure(
      (old.status, new.status) in (
        ('pending', 'submitted'), ('pending', 'confirmed'), ('pending', 'failed'),
        ('pending', 'cancelled'), ('submitted', 'confirmed'), ('submitted', 'failed'),
        ('submitted', 'pending')
      ),
      format('order %s cannot go from %s to %s', old.id, old.status, new.status),
      'Allowed: pending -> submitted | confirmed | failed | cancelled; '
      || 'submitted -> confirmed | failed | pending (retry).');
  end if;
  perform walltrack.ensure(
    (new.position_id, new.signal_id, new.side, new.reason, new.take_profit_level, new.mode,
      new.input_mint, new.output_mint, new.amount_in, new.idempotency_key)
    is not distinct from
    (old.position_id, old.signal_id, old.side, old.reason, old.take_profit_level, old.mode,
      old.input_mint, old.output_mint, old.amount_in, old.idempotency_key),
    format('order %s: its intent (position, side, reason, mints, amount, key) is fixed', old.id),
    'Cancel the order and create a new one instead.');
  return new;
end;
$$;
comment on function walltrack.trigger_order_transition() is
'Enforces the order lifecycle transitions and keeps the intent columns fixed.';

create function walltrack.trigger_order_apply_fill()
returns trigger
language plpgsql
set search_path = ''
as $$
-- A confirmed order moves its position: a buy adds quantity and cost (fees included), a
-- sell realizes proceeds net of fees minus the average cost of what it sold. What is
-- left below the dust threshold closes the position and its cost is written off.
declare
  pos walltrack.positions;
  fees_sol numeric := (
    coalesce(new.network_fee_lamports, 0) + coalesce(new.priority_fee_lamports, 0)
    + coalesce(new.tip_lamports, 0)
  ) / 1e9;
  dust_sol numeric := (select c.position_dust_sol from walltrack.config as c);
  held numeric;
  cost_sold numeric;
  proceeds numeric;
begin
  if new.side = 'buy' then
    -- A buy only adds: one statement.
    update walltrack.positions as p
    set
      qty_bought = p.qty_bought + new.filled_out,
      cost_basis_sol = round(p.cost_basis_sol + new.filled_in / 1e9 + fees_sol, 9),
      status = case when p.status = 'opening' then 'open' else p.status end,
      last_price_sol = case
        when p.last_price_at > new.confirmed_at then p.last_price_sol else new.fill_price_sol
      end,
      last_price_at = greatest(p.last_price_at, new.confirmed_at)
    where p.id = new.position_id;
    return null;
  end if;
  select p.* into strict pos from walltrack.positions as p where p.id = new.position_id
  for update;
  held := pos.qty_bought - pos.qty_sold;
  perform walltrack.ensure(new.filled_in <= held,
    format('order %s sold %s but position %s holds %s', new.id, new.filled_in, pos.id, held));
  cost_sold := case
    when new.filled_in = held then walltrack.position_open_cost_sol(pos)
    else round(walltrack.position_open_cost_sol(pos) * new.filled_in / held, 9)
  end;
  proceeds := round(new.filled_out / 1e9 - fees_sol, 9);
  pos.qty_sold := pos.qty_sold + new.filled_in;
  pos.proceeds_sol := pos.proceeds_sol + proceeds;
  pos.realized_pnl_sol := pos.realized_pnl_sol + proceeds - cost_sold;
  if walltrack.position_open_cost_sol(pos) < dust_sol or pos.qty_sold = pos.qty_bought then
    pos.realized_pnl_sol := pos.realized_pnl_sol - walltrack.position_open_cost_sol(pos);
    pos.status := 'closed';
    pos.close_reason := new.reason;
    pos.closed_at := new.confirmed_at;
  end if;
  if pos.last_price_at is null or new.confirmed_at >= pos.last_price_at then
    pos.last_price_sol := new.fill_price_sol;
    pos.last_price_at := new.confirmed_at;
  end if;
  update walltrack.positions as p
  set
    qty_sold = pos.qty_sold,
    proceeds_sol = pos.proceeds_sol,
    realized_pnl_sol = pos.realized_pnl_sol,
    status = pos.status,
    close_reason = pos.close_reason,
    closed_at = pos.closed_at,
    last_price_sol = pos.last_price_sol,
    last_price_at = pos.last_price_at
  where p.id = pos.id;
  return null;
end;
$$;
comment on function walltrack.trigger_order_apply_fill() is
'Applies a confirmed order''s fill to its position (average-cost PnL, fees included, '
'close on dust).';

create function walltrack.trigger_order_fail_entry()
returns trigger
language plpgsql
set search_path = ''
as $$
-- An entry that ends without any fill leaves nothing to manage: the position fails.
begin
  update walltrack.positions as p
  set status = 'failed'
  where p.id = new.position_id and p.status = 'opening' and p.qty_bought = 0;
  return null;
end;
$$;
comment on function walltrack.trigger_order_fail_entry() is
'Marks a position failed when its entry order fails or is cancelled before any fill.';

-- Triggers on orders, in the order Postgres fires them (one timing at a time, by name):
--   insert  orders_before_insert_breaker         no buy order while the breaker is active
--           orders_after_write_apply_fill        a confirmed order moves its position's money
--   update  orders_before_update_set_updated_at  stamp updated_at
--           orders_before_update_transition      status moves forward only; intent is fixed
--           orders_after_update_fail_entry       an entry that ends unfilled fails its position
--           orders_after_write_apply_fill        a confirmed order moves its position's money
--   delete  orders_before_delete_refuse          orders are cancelled, never deleted

create trigger orders_before_insert_breaker
before insert on walltrack.orders
for each row when (new.side = 'buy')
execute function walltrack.trigger_refuse_buys_while_breaker_active();

create trigger orders_before_update_set_updated_at
before update on walltrack.orders
for each row execute function walltrack.trigger_set_updated_at();

create trigger orders_before_update_transition
before update on walltrack.orders
for each row execute function walltrack.trigger_order_transition();

create trigger orders_after_update_fail_entry
after update of status on walltrack.orders
for each row
when (new.side = 'buy' and new.status in ('failed', 'cancelled'))
execute function walltrack.trigger_order_fail_entry();

create trigger orders_after_write_apply_fill
after insert or update of status on walltrack.orders
for each row
when (new.status = 'confirmed')
execute function walltrack.trigger_order_apply_fill();

create trigger orders_before_delete_refuse
before delete on walltrack.orders
for each row execute function walltrack.trigger_refuse_change(
  'Orders are the command log: cancel a pending order instead of deleting it.'
);

create function walltrack.place_order(
  position_id bigint, signal_id bigint, side walltrack.trade_side,
  reason walltrack.order_reason, mode walltrack.trade_mode, token_mint text, amount_in numeric,
  idempotency_key text, cfg walltrack.config, token_decimals smallint,
  reference_price_sol numeric, take_profit_level integer default null
)
returns bigint
language plpgsql
set search_path = ''
as $$
-- Records an order from its intent. A simulation order is recorded already filled: at the
-- reference price (the leader's, or the tick's for exits) made worse by the configured
-- slippage, paying the configured fee. A live order waits, pending, for execute-orders.
declare
  sol constant text := 'So11111111111111111111111111111111111111112';
  price numeric := case
    when side = 'buy' then reference_price_sol * (1 + cfg.sim_slippage_bps / 10000.0)
    else reference_price_sol * (1 - cfg.sim_slippage_bps / 10000.0)
  end;
  placed walltrack.orders;
  order_id bigint;
begin
  placed.position_id := position_id;
  placed.signal_id := signal_id;
  placed.side := side;
  placed.reason := reason;
  placed.take_profit_level := take_profit_level;
  placed.mode := mode;
  placed.input_mint := case when side = 'buy' then sol else token_mint end;
  placed.output_mint := case when side = 'buy' then token_mint else sol end;
  placed.amount_in := amount_in;
  placed.idempotency_key := idempotency_key;
  placed.slippage_bps := cfg.default_slippage_bps;
  placed.max_attempts := cfg.order_max_attempts;
  placed.status := 'pending';
  placed.attempts := 0;
  if mode = 'simulation' then
    perform walltrack.ensure(reference_price_sol > 0,
      format('a simulation %s needs a positive reference price to fill, got %s', reason,
        coalesce(reference_price_sol::text, 'none')));
    placed.status := 'confirmed';
    placed.attempts := 1;
    placed.quoted_price_sol := reference_price_sol;
    placed.fill_price_sol := round(price, 18);
    placed.realized_slippage_bps := cfg.sim_slippage_bps;
    placed.filled_in := amount_in;
    placed.filled_out := case
      when side = 'buy' then floor(amount_in / 1e9 / price * 10::numeric ^ token_decimals)
      else floor(amount_in / 10::numeric ^ token_decimals * price * 1e9)
    end;
    placed.network_fee_lamports := cfg.sim_fee_lamports;
    -- The wall clock: fills of one transaction keep their order (closes, breaker).
    placed.submitted_at := clock_timestamp();
    placed.confirmed_at := clock_timestamp();
  end if;
  insert into walltrack.orders (
    position_id, signal_id, side, reason, take_profit_level, mode, input_mint, output_mint,
    amount_in, slippage_bps, idempotency_key, max_attempts, status, attempts,
    quoted_price_sol, fill_price_sol, realized_slippage_bps, filled_in, filled_out,
    network_fee_lamports, submitted_at, confirmed_at
  ) values (
    placed.position_id, placed.signal_id, placed.side, placed.reason, placed.take_profit_level,
    placed.mode, placed.input_mint, placed.output_mint, placed.amount_in, placed.slippage_bps,
    placed.idempotency_key, placed.max_attempts, placed.status, placed.attempts,
    placed.quoted_price_sol, placed.fill_price_sol, placed.realized_slippage_bps,
    placed.filled_in, placed.filled_out, placed.network_fee_lamports, placed.submitted_at,
    placed.confirmed_at
  )
  returning id into order_id;
  return order_id;
end;
$$;
comment on function walltrack.place_order(
  bigint, bigint, walltrack.trade_side, walltrack.order_reason, walltrack.trade_mode, text,
  numeric, text, walltrack.config, smallint, numeric, integer
) is
'Records an order from its intent: pending for live, already filled for simulation (at the '
'reference price worsened by config.sim_slippage_bps, paying config.sim_fee_lamports).';
grant execute on function walltrack.place_order(
  bigint, bigint, walltrack.trade_side, walltrack.order_reason, walltrack.trade_mode, text,
  numeric, text, walltrack.config, smallint, numeric, integer
) to service_role;

alter table walltrack.orders enable row level security;
grant select, insert, update on walltrack.orders to service_role;

comment on table walltrack.orders is
'Command Log: every instruction to trade (intent), its lifecycle (pending -> submitted -> '
'confirmed | failed | cancelled, with attempts, back-off and a lease) and what really '
'happened (signature, fills, slippage, fees). Never deleted.';
comment on column walltrack.orders.id is 'Identity of the order.';
comment on column walltrack.orders.position_id is 'The position this order enters or exits.';
comment on column walltrack.orders.signal_id is 'The leader swap that caused it, if any.';
comment on column walltrack.orders.side is 'buy (entry) or sell (exit).';
comment on column walltrack.orders.reason is
'copy_entry, take_profit, stop_loss, trailing_stop, time_exit, mirror_sell, manual, write_off.';
comment on column walltrack.orders.take_profit_level is
'Which ladder level (1-based) fired, for take_profit orders.';
comment on column walltrack.orders.mode is 'simulation (modelled fill) or live (real transaction).';
comment on column walltrack.orders.input_mint is 'Mint spent (wSOL mint for SOL).';
comment on column walltrack.orders.output_mint is 'Mint received (wSOL mint for SOL).';
comment on column walltrack.orders.amount_in is 'Amount of input_mint to spend, in atomic units.';
comment on column walltrack.orders.slippage_bps is
'Slippage bound sent with the quote; never above config.max_slippage_bps.';
comment on column walltrack.orders.quoted_out is 'Output the quote promised, atomic units.';
comment on column walltrack.orders.min_out is 'Minimum output accepted (quote less slippage).';
comment on column walltrack.orders.idempotency_key is
'Unique key of the intent (e.g. signal + wallet + mint): the same intent is never ordered twice.';
comment on column walltrack.orders.status is
'pending, submitted, confirmed, failed or cancelled; only allowed transitions are accepted.';
comment on column walltrack.orders.attempts is 'Attempts made so far.';
comment on column walltrack.orders.max_attempts is 'Attempts allowed before the order fails.';
comment on column walltrack.orders.next_attempt_at is 'Not retried before this (back-off).';
comment on column walltrack.orders.last_error is 'Why the last attempt failed.';
comment on column walltrack.orders.lease_owner is 'Worker that claimed the order.';
comment on column walltrack.orders.lease_until is
'Claim expiry: after it the sweeper checks the signature before anything is re-sent.';
comment on column walltrack.orders.tx_signature is
'Signature of the submitted transaction (unique).';
comment on column walltrack.orders.quoted_price_sol is
'Price per whole token in SOL the quote implied.';
comment on column walltrack.orders.filled_in is 'Input actually spent, atomic units.';
comment on column walltrack.orders.filled_out is 'Output actually received, atomic units.';
comment on column walltrack.orders.fill_price_sol is 'Price per whole token in SOL actually paid.';
comment on column walltrack.orders.realized_slippage_bps is
'How much worse than the quote the fill was, in bps.';
comment on column walltrack.orders.network_fee_lamports is 'Base network fee paid.';
comment on column walltrack.orders.priority_fee_lamports is 'Priority fee paid.';
comment on column walltrack.orders.tip_lamports is 'Jito tip paid, if any.';
comment on column walltrack.orders.created_at is 'When the order was created.';
comment on column walltrack.orders.submitted_at is 'When the transaction was sent.';
comment on column walltrack.orders.confirmed_at is 'When the fill was confirmed.';
comment on column walltrack.orders.updated_at is 'Last change of the row.';
comment on column walltrack.orders.last_valid_block_height is
'The submitted transaction cannot land after this block height (its blockhash expires).';
comment on column walltrack.orders.attempt_log is
'One entry per attempt: when, its signature if it was signed, and how it ended.';

-- ======================================================================================
-- supabase/schemas/09_circuit_breaker.sql
-- ======================================================================================

-- Circuit breaker (ADR-004): measured on the realized equity curve that closes stamp on
-- positions, tripped after a close or on schedule, reset by an operator or after the
-- cooldown. Its state is the latest circuit_breaker_events row (06_circuit_breaker_events.sql).

create function walltrack.breaker_metrics()
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
-- The realized equity curve since the last reset, read from its last point (see
-- trigger_position_stamp_equity), the closes of the last 24 h and the last N closes.
declare
  cfg walltrack.config;
  -- -infinity without a reset: a plain range the closed_at index can serve.
  since timestamptz := coalesce(walltrack.last_breaker_reset(), '-infinity');
  last_close walltrack.positions;
  equity numeric;
  peak numeric;
begin
  select c.* into strict cfg from walltrack.config as c;
  last_close := walltrack.curve_end(since);
  equity := coalesce(last_close.equity_after_sol, cfg.breaker_capital_sol);
  peak := coalesce(last_close.equity_peak_after_sol, cfg.breaker_capital_sol);
  return jsonb_build_object(
    'equity_sol', equity,
    'peak_equity_sol', peak,
    'drawdown_pct', round(100 * (peak - equity) / peak, 4),
    'consecutive_losses', coalesce(last_close.losing_streak_after, 0),
    -- Net realized over 24 h = the curve's end minus its point just before the window
    -- (or its start): two index lookups, however many closes the day had.
    'realized_loss_24h_sol', greatest(0, coalesce((
      select p.equity_after_sol from walltrack.positions as p
      where
        p.status = 'closed' and p.equity_after_sol is not null
        and p.closed_at > since
        and p.closed_at <= now() - interval '24 hours'
      order by p.closed_at desc, p.id desc
      limit 1
    ), cfg.breaker_capital_sol) - equity),
    'win_rate_pct', (
      select case
        when count(*) = cfg.breaker_win_rate_window
          then round(100.0 * count(*) filter (where r.pnl > 0) / count(*), 2)
      end
      from (
        select p.realized_pnl_sol as pnl from walltrack.positions as p
        where p.status = 'closed' and p.closed_at > since
        order by p.closed_at desc, p.id desc
        limit cfg.breaker_win_rate_window
      ) as r
    )
  );
end;
$$;
comment on function walltrack.breaker_metrics() is
'Breaker metrics on the realized equity curve since the last reset: 24 h realized loss, '
'drawdown from the equity peak, consecutive losing closes, win rate over the last N closes.';
grant execute on function walltrack.breaker_metrics() to service_role;

create function walltrack.breaker_state()
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
-- The current state is the latest event.
declare
  latest walltrack.circuit_breaker_events := walltrack.latest_breaker_event();
begin
  return jsonb_build_object(
    'active', coalesce(latest.event_type = 'activated', false),
    'since', latest.created_at,
    'trigger', latest.trigger,
    'threshold', latest.threshold,
    'observed', latest.observed,
    'actor', latest.actor
  );
end;
$$;
comment on function walltrack.breaker_state() is
'Whether the circuit breaker is active, since when, and why (its latest event).';
grant execute on function walltrack.breaker_state() to service_role;

create function walltrack.check_circuit_breaker()
returns jsonb
language plpgsql
set search_path = ''
as $$
-- Trips the breaker when a threshold is crossed and it is not active; resets it when the
-- cooldown has passed. Runs after every close and on schedule. Returns the state.
declare
  cfg walltrack.config;
  latest walltrack.circuit_breaker_events;
  metrics jsonb;
  crossed record;
begin
  -- One check at a time: two closes at once must not record two activations.
  perform pg_advisory_xact_lock(hashtext('walltrack.check_circuit_breaker'));
  select c.* into strict cfg from walltrack.config as c;
  latest := walltrack.latest_breaker_event();

  if latest.event_type = 'activated' then
    if now() - latest.created_at >= make_interval(mins => cfg.breaker_cooldown_minutes) then
      insert into walltrack.circuit_breaker_events (event_type, trigger, metrics, note)
      values ('deactivated', 'cooldown', walltrack.breaker_metrics(),
        format('automatic reset after the %s minute cooldown', cfg.breaker_cooldown_minutes));
    end if;
    return walltrack.breaker_state();
  end if;

  metrics := walltrack.breaker_metrics();
  select t.trigger, t.threshold, t.observed into crossed
  from (values
    (1, 'daily_loss'::walltrack.breaker_trigger, cfg.breaker_max_daily_loss_sol,
      (metrics ->> 'realized_loss_24h_sol')::numeric,
      (metrics ->> 'realized_loss_24h_sol')::numeric >= cfg.breaker_max_daily_loss_sol),
    (2, 'drawdown', cfg.breaker_max_drawdown_pct, (metrics ->> 'drawdown_pct')::numeric,
      (metrics ->> 'drawdown_pct')::numeric >= cfg.breaker_max_drawdown_pct),
    (3, 'consecutive_losses', cfg.breaker_max_consecutive_losses::numeric,
      (metrics ->> 'consecutive_losses')::numeric,
      (metrics ->> 'consecutive_losses')::numeric >= cfg.breaker_max_consecutive_losses),
    (4, 'win_rate', cfg.breaker_min_win_rate_pct, (metrics ->> 'win_rate_pct')::numeric,
      coalesce((metrics ->> 'win_rate_pct')::numeric < cfg.breaker_min_win_rate_pct, false))
  ) as t (rank, trigger, threshold, observed, is_crossed)
  where t.is_crossed
  order by t.rank
  limit 1;
  if crossed.trigger is not null then
    insert into walltrack.circuit_breaker_events (
      event_type, trigger, threshold, observed, metrics
    ) values ('activated', crossed.trigger, crossed.threshold, crossed.observed, metrics);
  end if;
  return walltrack.breaker_state();
end;
$$;
comment on function walltrack.check_circuit_breaker() is
'Activates the breaker when a threshold is crossed, resets it after the cooldown; returns '
'the state. Called after every close and by pg_cron every minute.';
grant execute on function walltrack.check_circuit_breaker() to service_role;

create function walltrack.restart_equity_curve(operator text, note text)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- A manual deactivation, whatever the breaker's state: the breaker reads the realized
-- equity curve since its last deactivation, so the curve starts again from
-- config.breaker_capital_sol. While the breaker is active this is a reset.
begin
  perform walltrack.ensure(length(btrim(coalesce(operator, ''))) > 0
    and length(btrim(coalesce(note, ''))) > 0,
    'a manual reset names the operator and says why in a note');
  insert into walltrack.circuit_breaker_events (event_type, trigger, actor, note, metrics)
  values ('deactivated', 'manual', operator, note, walltrack.breaker_metrics());
  return walltrack.breaker_state();
end;
$$;
comment on function walltrack.restart_equity_curve(text, text) is
'Starts the realized equity curve again from config.breaker_capital_sol (a manual '
'deactivation, recorded with who and why), whether or not the breaker is active: for a '
'what-if replay, or after the bankroll changed.';
grant execute on function walltrack.restart_equity_curve(text, text) to service_role;

create function walltrack.reset_circuit_breaker(operator text, note text)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- For the operator, from Studio's SQL editor: record who reset it and why.
begin
  perform walltrack.ensure(walltrack.breaker_is_active(),
    'the circuit breaker is not active: there is nothing to reset');
  return walltrack.restart_equity_curve(operator, note);
end;
$$;
comment on function walltrack.reset_circuit_breaker(text, text) is
'Manual reset of the circuit breaker: select api.reset_circuit_breaker(''alice'', ''why'').';
grant execute on function walltrack.reset_circuit_breaker(text, text) to service_role;

create function walltrack.trigger_check_breaker_after_close()
returns trigger
language plpgsql
set search_path = ''
as $$
-- A loss that comes from a close stops new buys at once, not at the next scheduled check.
begin
  perform walltrack.check_circuit_breaker();
  return null;
end;
$$;
comment on function walltrack.trigger_check_breaker_after_close() is
'Runs the breaker check after a position closes.';

create trigger positions_after_close_check_breaker
after update of status on walltrack.positions
for each row
when (new.status = 'closed' and old.status is distinct from 'closed')
execute function walltrack.trigger_check_breaker_after_close();

-- ======================================================================================
-- supabase/schemas/10_copy_decisions.sql
-- ======================================================================================

-- Copy decisions: walltrack.ingest_swaps records a Helius batch as signals and decides each
-- new one in the same transaction: copy a buy (size it, open the position and its entry
-- order, fill it at once in simulation), mirror a sell, or say why not.
-- walltrack.ingest_delivery adds the token read-through in front of it (api.ingest_swaps).

create function walltrack.copy_size_sol(
  cfg walltrack.config, wallet_size_sol numeric, leader_sol numeric
)
returns numeric
language plpgsql
immutable
set search_path = ''
as $$
-- SOL to spend on a copy, truncated to whole lamports and capped at the maximum; null
-- when the leader's SOL amount is needed but unknown. The caller compares it with the
-- minimum.
begin
  return trunc(least(
    case
      when wallet_size_sol is not null then wallet_size_sol
      when cfg.sizing_mode = 'fixed' then cfg.fixed_amount_sol
      else cfg.leader_fraction * leader_sol
    end,
    cfg.max_position_sol
  ), 9);
end;
$$;
comment on function walltrack.copy_size_sol(walltrack.config, numeric, numeric) is
'Copy size in SOL: the wallet''s override, else fixed or a fraction of the leader''s SOL '
'amount, capped at config.max_position_sol and truncated to lamports.';
grant execute on function walltrack.copy_size_sol(walltrack.config, numeric, numeric)
to service_role;

-- walltrack.token_gate(token_mint), the token's refusal reason, comes with the token
-- verdicts (20261128001400_token_verdict.sql).
create function walltrack.leader_holding_before(signal walltrack.signals)
returns numeric
language plpgsql
stable
set search_path = ''
as $$
-- What the leader held of the token just before this signal, as far as its recorded
-- swaps tell (buys minus sells). Holdings from before we watched it are unknown.
begin
  return (
    select coalesce(sum(case when s.side = 'buy' then s.token_amount else -s.token_amount end), 0)
    from walltrack.signals as s
    where
      s.wallet_id = signal.wallet_id and s.token_mint = signal.token_mint
      and s.tx_error is null
      and (s.block_time, s.slot, s.id) < (signal.block_time, signal.slot, signal.id)
  );
end;
$$;
comment on function walltrack.leader_holding_before(walltrack.signals) is
'The leader''s recorded holding of the signal''s token before the signal (buys - sells).';
grant execute on function walltrack.leader_holding_before(walltrack.signals) to service_role;

create function walltrack.open_exposure_sol()
returns numeric
language plpgsql
stable
set search_path = ''
as $$
-- What is at stake now: the cost still held in open positions (position_open_cost_sol,
-- written out so the scan pays no call per position) plus the SOL committed to entries
-- not filled yet.
begin
  return
    coalesce((
      select sum(p.cost_basis_sol - p.proceeds_sol + p.realized_pnl_sol)
      from walltrack.positions as p
      where p.status in ('open', 'closing')
    ), 0)
    + coalesce((
      select sum(o.amount_in) / 1e9 from walltrack.orders as o
      where o.side = 'buy' and o.status in ('pending', 'submitted')
    ), 0);
end;
$$;
comment on function walltrack.open_exposure_sol() is
'Total exposure in SOL: open positions at cost plus entry orders still in flight.';
grant execute on function walltrack.open_exposure_sol() to service_role;

create type walltrack.book as (
  open_positions integer,
  exposure_sol numeric,
  breaker_active boolean
);
comment on type walltrack.book is
'What the limits look at, read once per batch and kept current by each decision: open '
'positions, exposure in SOL, breaker state.';

create function walltrack.current_book()
returns walltrack.book
language plpgsql
stable
set search_path = ''
as $$
begin
  return row(
    (
      select count(*) from walltrack.positions as p
      where p.status in ('opening', 'open', 'closing')
    ),
    walltrack.open_exposure_sol(),
    walltrack.breaker_is_active()
  )::walltrack.book;
end;
$$;
comment on function walltrack.current_book() is
'Open positions, exposure and breaker state now: the starting point of a batch''s decisions.';
grant execute on function walltrack.current_book() to service_role;

create type walltrack.decision as (
  decision walltrack.signal_decision,
  reason text,
  position_id bigint,
  order_id bigint,
  positions_delta integer,
  exposure_delta_sol numeric
);
comment on type walltrack.decision is
'The outcome of deciding one signal, and how it moved the book (positions, exposure).';

create function walltrack.skip(reason text)
returns walltrack.decision
language plpgsql
immutable
set search_path = ''
as $$
begin
  return row('skipped', reason, null, null, 0, 0)::walltrack.decision;
end;
$$;
comment on function walltrack.skip(text) is 'A skipped decision with its reason.';
grant execute on function walltrack.skip(text) to service_role;

create function walltrack.decide_buy(
  signal walltrack.signals, wallet walltrack.wallets, cfg walltrack.config, book walltrack.book
)
returns walltrack.decision
language plpgsql
set search_path = ''
as $$
-- Rules in the order an operator reads them; the first that refuses gives the reason.
declare
  refusal text;
  size_sol numeric;
  new_position_id bigint;
  new_order_id bigint;
  cost_sol numeric;
begin
  refusal := case
    when wallet.status <> 'active' then 'wallet_not_active'
    when not cfg.trading_enabled then 'trading_disabled'
    when book.breaker_active then 'breaker_active'
    when wallet.mode = 'live' and not cfg.live_trading_enabled then 'live_trading_off'
    when signal.quote_mint <> 'So11111111111111111111111111111111111111112'
      then 'not_a_sol_quote'
    when coalesce(signal.price_sol <= 0, true) then 'no_leader_price'
    else walltrack.token_gate(signal.token_mint)
  end;
  if refusal is null then
    size_sol := walltrack.copy_size_sol(cfg, wallet.position_size_sol, signal.quote_amount / 1e9);
    refusal := case
      when (
        select count(*) from walltrack.positions as p
        where p.token_mint = signal.token_mint and p.status in ('opening', 'open', 'closing')
      ) >= cfg.max_positions_per_token then 'already_holding'
      when book.open_positions >= cfg.max_open_positions then 'max_positions'
      when coalesce(size_sol < cfg.min_position_sol, true) then 'below_min_size'
      when size_sol + book.exposure_sol > cfg.max_total_exposure_sol then 'exposure_limit'
    end;
  end if;
  if refusal is not null then
    return walltrack.skip(refusal);
  end if;

  insert into walltrack.positions (wallet_id, token_mint, token_decimals, mode, opened_from_signal_id)
  values (wallet.id, signal.token_mint, signal.token_decimals, wallet.mode, signal.id)
  returning id into new_position_id;
  new_order_id := walltrack.place_order(
    position_id => new_position_id, signal_id => signal.id, side => 'buy',
    reason => 'copy_entry', mode => wallet.mode, token_mint => signal.token_mint,
    amount_in => size_sol * 1e9, idempotency_key => format('signal:%s:entry', signal.id),
    cfg => cfg, token_decimals => signal.token_decimals, reference_price_sol => signal.price_sol
  );
  cost_sol := size_sol;
  if wallet.mode = 'simulation' then
    select walltrack.position_open_cost_sol(p) into cost_sol
    from walltrack.positions as p where p.id = new_position_id;
  end if;
  return row('copied', 'copied', new_position_id, new_order_id, 1, cost_sol)::walltrack.decision;
end;
$$;
comment on function walltrack.decide_buy(
  walltrack.signals, walltrack.wallets, walltrack.config, walltrack.book
) is
'Decides a leader buy: refuses with a reason, or opens a position with its entry order '
'(filled at once in simulation).';

create function walltrack.decide_sell(
  signal walltrack.signals, wallet walltrack.wallets, cfg walltrack.config
)
returns walltrack.decision
language plpgsql
set search_path = ''
as $$
-- A leader sell mirror-sells the same fraction of each open position copied from that
-- wallet in that token, when the wallet (or else the position's strategy) says so. Exits
-- run whatever the wallet status, the trading switch or the breaker.
declare
  holding numeric := walltrack.leader_holding_before(signal);
  fraction numeric := case
    when holding > signal.token_amount then signal.token_amount / holding else 1
  end;
  pos walltrack.positions;
  held numeric;
  sell_qty numeric;
  new_order_id bigint;
  sold walltrack.positions;
  outcome walltrack.decision := walltrack.skip('no_position_to_mirror');
begin
  for pos in
    select p.* from walltrack.positions as p
    where
      p.wallet_id = wallet.id and p.token_mint = signal.token_mint
      and p.status in ('open', 'closing')
    order by p.id
  loop
    outcome.position_id := coalesce(outcome.position_id, pos.id);
    held := pos.qty_bought - pos.qty_sold;
    sell_qty := case when fraction = 1 then held else floor(held * fraction) end;
    -- Do not leave dust behind a mirror sell: sell it all.
    if walltrack.position_open_cost_sol(pos) * (held - sell_qty) / nullif(held, 0)
      < cfg.position_dust_sol then
      sell_qty := held;
    end if;
    outcome.reason := case
      when not coalesce(
        wallet.copy_sells,
        ((pos.exit_strategy_snapshot || pos.exit_strategy_override)
          ->> 'mirror_leader_sells')::boolean,
        false
      ) then 'mirror_sells_off'
      when pos.mode = 'live' and not cfg.live_trading_enabled then 'live_trading_off'
      when exists (
        select from walltrack.orders as o
        where o.position_id = pos.id and o.side = 'sell'
          and o.status in ('pending', 'submitted')
      ) then 'exit_in_flight'
      when sell_qty <= 0 then 'below_min_size'
    end;
    continue when outcome.reason is not null;

    new_order_id := walltrack.place_order(
      position_id => pos.id, signal_id => signal.id, side => 'sell', reason => 'mirror_sell',
      mode => pos.mode, token_mint => signal.token_mint, amount_in => sell_qty,
      idempotency_key => format('signal:%s:mirror:%s', signal.id, pos.id), cfg => cfg,
      token_decimals => pos.token_decimals,
      reference_price_sol => coalesce(signal.price_sol, pos.last_price_sol)
    );
    outcome.decision := 'copied';
    outcome.reason := 'mirror_sell';
    outcome.order_id := coalesce(outcome.order_id, new_order_id);
    if pos.mode = 'simulation' then
      select p.* into sold from walltrack.positions as p where p.id = pos.id;
      outcome.exposure_delta_sol := outcome.exposure_delta_sol
        + walltrack.position_open_cost_sol(sold) - walltrack.position_open_cost_sol(pos);
      outcome.positions_delta := outcome.positions_delta
        - (sold.status = 'closed')::integer;
    end if;
  end loop;
  if outcome.decision = 'copied' then
    outcome.reason := 'mirror_sell';
  end if;
  return outcome;
end;
$$;
comment on function walltrack.decide_sell(walltrack.signals, walltrack.wallets, walltrack.config) is
'Decides a leader sell: mirror-sells the same fraction of the open positions copied from '
'that wallet in that token, or says why not.';

create function walltrack.decide_signal(
  signal walltrack.signals, wallet walltrack.wallets, cfg walltrack.config, book walltrack.book
)
returns walltrack.decision
language plpgsql
set search_path = ''
as $$
-- Decides one recorded signal of the wallet; the caller records the decision.
begin
  return case
    when signal.tx_error is not null then row(
      'ignored', 'failed_transaction', null, null, 0, 0
    )::walltrack.decision
    when signal.side = 'buy' then walltrack.decide_buy(signal, wallet, cfg, book)
    else walltrack.decide_sell(signal, wallet, cfg)
  end;
end;
$$;
comment on function walltrack.decide_signal(
  walltrack.signals, walltrack.wallets, walltrack.config, walltrack.book
) is
'Decides one signal (copy, mirror, skip or ignore) against the batch''s book.';

create function walltrack.ingest_swaps(transactions jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- One Helius delivery, normalised by the webhook function, in one transaction: every
-- swap of a watched wallet becomes a signal (a re-delivery changes nothing), every new
-- signal is decided in chain order. Returns the decisions and the live orders to execute.
declare
  new_ids bigint[];
  item record;
  cfg walltrack.config;
  book walltrack.book;
  outcome walltrack.decision;
  outcomes walltrack.decision[] := '{}'::walltrack.decision[];
  decided_ids bigint[] := '{}'::bigint[];
  live_orders bigint[];
  swap_count integer;
begin
  if jsonb_typeof(transactions) is distinct from 'array' then
    raise exception using
      message = 'ingest_swaps expects a JSON array of normalised transactions',
      errcode = 'invalid_parameter_value';
  end if;
  -- Decisions read and change shared limits (open positions, exposure): one batch at a
  -- time decides, so concurrent deliveries cannot both take the last slot.
  perform pg_advisory_xact_lock(hashtext('walltrack.ingest_swaps'));

  with tx as (
    select
      t.value as body,
      t.value ->> 'signature' as signature,
      (t.value ->> 'slot')::bigint as slot,
      to_timestamp((t.value ->> 'timestamp')::bigint) as block_time,
      t.value ->> 'source' as source,
      t.value ->> 'tx_error' as tx_error
    from jsonb_array_elements(transactions) as t
  ),

  swap_rows as (
    select
      tx.*, s.value ->> 'wallet' as wallet, (s.value ->> 'side')::walltrack.trade_side as side,
      s.value ->> 'token_mint' as token_mint, (s.value ->> 'token_amount')::numeric as token_amount,
      (s.value ->> 'token_decimals')::smallint as token_decimals,
      s.value ->> 'quote_mint' as quote_mint, (s.value ->> 'quote_amount')::numeric as quote_amount,
      (s.value ->> 'quote_decimals')::smallint as quote_decimals
    from tx
    cross join lateral jsonb_array_elements(coalesce(tx.body -> 'swaps', '[]')) as s
    where tx.tx_error is null
    union all
    select
      tx.*, a.value #>> '{}', null, null, null, null, null, null, null
    from tx
    cross join lateral jsonb_array_elements(coalesce(tx.body -> 'accounts', '[]')) as a
    where tx.tx_error is not null
  ),

  inserted as (
    insert into walltrack.signals (
      signature, slot, block_time, wallet_id, source, side, token_mint, token_amount,
      token_decimals, quote_mint, quote_amount, quote_decimals, price_sol, tx_error, raw
    )
    select
      r.signature, r.slot, r.block_time, w.id, r.source, r.side, r.token_mint, r.token_amount,
      r.token_decimals, r.quote_mint, r.quote_amount, r.quote_decimals,
      case
        when r.quote_mint = 'So11111111111111111111111111111111111111112'
          then round(r.quote_amount / 1e9 / (r.token_amount / 10::numeric ^ r.token_decimals), 18)
      end,
      r.tx_error, r.body -> 'raw'
    from swap_rows as r
    inner join walltrack.wallets as w on r.wallet = w.address
    on conflict on constraint signals_dedupe do nothing
    returning id
  )

  select array_agg(i.id) into new_ids from inserted as i;

  select count(*) into swap_count
  from jsonb_array_elements(transactions) as t
  cross join lateral jsonb_array_elements(coalesce(t.value -> 'swaps', '[]'));

  select c.* into strict cfg from walltrack.config as c;
  book := walltrack.current_book();
  for item in
    select s as signal, w as wallet
    from walltrack.signals as s
    inner join walltrack.wallets as w on s.wallet_id = w.id
    where s.id = any(new_ids)
    order by s.block_time, s.slot, s.id
  loop
    outcome := walltrack.decide_signal(item.signal, item.wallet, cfg, book);
    book.open_positions := book.open_positions + outcome.positions_delta;
    book.exposure_sol := book.exposure_sol + outcome.exposure_delta_sol;
    if outcome.positions_delta < 0 then
      -- A close may have tripped the breaker: the next buys of the batch must see it.
      book.breaker_active := walltrack.breaker_is_active();
    end if;
    decided_ids := decided_ids || (item.signal).id;
    outcomes := outcomes || outcome;
  end loop;

  -- Every decision written at once, each on its signal (set once, see the signals trigger).
  update walltrack.signals as s
  set
    decision = d.decision,
    decision_reason = d.reason,
    decided_at = now(),
    position_id = d.position_id,
    order_id = d.order_id
  from rows from (unnest(decided_ids), unnest(outcomes)) as d(
    signal_id, decision, reason, position_id, order_id, positions_delta, exposure_delta_sol
  )
  where s.id = d.signal_id;

  select coalesce(array_agg(o.id order by o.id), '{}') into live_orders
  from walltrack.orders as o
  where o.signal_id = any(new_ids) and o.mode = 'live' and o.status = 'pending';

  return jsonb_build_object(
    'transactions', jsonb_array_length(transactions),
    'swaps', swap_count,
    'new_signals', coalesce(cardinality(new_ids), 0),
    'decisions', (
      select coalesce(jsonb_agg(jsonb_build_object(
        'signal_id', s.id, 'signature', s.signature, 'token_mint', s.token_mint,
        'decision', s.decision, 'reason', s.decision_reason, 'order_id', s.order_id
      ) order by d.ordinality), '[]')
      from unnest(decided_ids) with ordinality as d(signal_id, ordinality)
      inner join walltrack.signals as s on s.id = d.signal_id
    ),
    'live_orders', to_jsonb(live_orders)
  );
end;
$$;
comment on function walltrack.ingest_swaps(jsonb) is
'Records a normalised Helius delivery as signals (idempotent on signature, wallet, mint) and '
'decides each new one in the same transaction. Returns decisions and live orders to execute.';
grant execute on function walltrack.ingest_swaps(jsonb) to service_role;

create function walltrack.ingest_delivery(transactions jsonb, fetch_tokens boolean)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- The read-through entry: with fetch_tokens, a delivery whose bought tokens lack fresh
-- facts is not stored yet: the answer names the sources to fetch (and claims them), the
-- caller stores the facts and calls again without fetch_tokens. When the cache answers
-- for every token, it is one round trip.
declare
  wanted jsonb;
begin
  if fetch_tokens then
    wanted := walltrack.tokens_to_fetch((
      select coalesce(jsonb_agg(s.value), '[]')
      from jsonb_array_elements(transactions) as t
      cross join lateral jsonb_array_elements(coalesce(t.value -> 'swaps', '[]')) as s
    ));
    if wanted <> '{}' then
      return jsonb_build_object('tokens_to_fetch', wanted);
    end if;
  end if;
  return walltrack.ingest_swaps(transactions);
end;
$$;
comment on function walltrack.ingest_delivery(jsonb, boolean) is
'ingest_swaps behind the token read-through: returns {tokens_to_fetch} (claimed) instead '
'of storing when a bought token lacks fresh facts and fetch_tokens is true.';
grant execute on function walltrack.ingest_delivery(jsonb, boolean) to service_role;
grant execute on function walltrack.decide_signal(
  walltrack.signals, walltrack.wallets, walltrack.config, walltrack.book
) to service_role;
grant execute on function walltrack.decide_buy(
  walltrack.signals, walltrack.wallets, walltrack.config, walltrack.book
) to service_role;
grant execute on function walltrack.decide_sell(
  walltrack.signals, walltrack.wallets, walltrack.config
) to service_role;

-- ======================================================================================
-- supabase/schemas/11_exit_engine.sql
-- ======================================================================================

-- The exit engine (ADR-002): every price tick re-values open positions and, in the same
-- transaction, fires the one exit its effective strategy (snapshot + override) calls for:
-- stop loss, trailing stop, take-profit ladder, time exit, keeping the moonbag. A tick asks
-- each position's exit call once, in its query, and loops only over the positions that exit.

create type walltrack.exit_call as (
  reason walltrack.order_reason,
  take_profit_level integer,
  quantity numeric
);
comment on type walltrack.exit_call is 'The exit a tick calls for: reason, ladder level, quantity.';

create function walltrack.without_dust(
  chosen walltrack.exit_call, pos walltrack.positions, dust_sol numeric
)
returns walltrack.exit_call
language plpgsql
immutable
set search_path = ''
as $$
-- An exit that would leave less than the dust threshold behind sells everything.
declare
  held numeric := pos.qty_bought - pos.qty_sold;
begin
  if walltrack.position_open_cost_sol(pos) * (held - chosen.quantity) / held < dust_sol then
    chosen.quantity := held;
  end if;
  return chosen;
end;
$$;
comment on function walltrack.without_dust(walltrack.exit_call, walltrack.positions, numeric) is
'Raises an exit to the whole holding when what it would leave is dust.';
grant execute on function walltrack.without_dust(
  walltrack.exit_call, walltrack.positions, numeric
) to service_role;

create function walltrack.exit_call_for(pos walltrack.positions, dust_sol numeric)
returns walltrack.exit_call
language plpgsql
stable
set search_path = ''
as $$
-- The one exit the position's effective rules call for at its last price, or null. Stop-type
-- exits (stop loss, trailing stop) come first; otherwise the larger of a take-profit level
-- and the time exit. The ladder and the time exit never sell the moonbag; the stop loss does
-- unless moonbag_keeps_stop_loss is false; the trailing stop sells everything.
declare
  rules jsonb := pos.exit_strategy_snapshot || pos.exit_strategy_override;
  held numeric := pos.qty_bought - pos.qty_sold;
  price numeric := pos.last_price_sol;
  gain_pct numeric := (pos.last_price_sol / pos.avg_entry_price_sol - 1) * 100;
  moonbag numeric := floor(pos.qty_bought * coalesce((rules ->> 'moonbag_pct')::numeric, 0) / 100);
  stop walltrack.exit_call;
  other walltrack.exit_call;
  level record;
begin
  if held <= 0 or price is null or pos.avg_entry_price_sol is null then
    return null;
  end if;

  if gain_pct <= (rules ->> 'stop_loss_pct')::numeric then
    stop := row('stop_loss', null, case
      when coalesce((rules ->> 'moonbag_keeps_stop_loss')::boolean, true) then held
      else held - moonbag
    end);
  end if;
  if pos.peak_price_sol >= pos.avg_entry_price_sol
      * (1 + (rules ->> 'trailing_activation_pct')::numeric / 100)
    and price <= pos.peak_price_sol * (1 - (rules ->> 'trailing_distance_pct')::numeric / 100)
    and (stop is null or held > stop.quantity) then
    stop := row('trailing_stop', null, held);
  end if;
  if stop.quantity > 0 then
    return walltrack.without_dust(stop, pos, dust_sol);
  end if;

  -- Levels ascend (check_take_profit_ladder): below the first none can fire, and the
  -- ladder's query is skipped, as it is for most positions on most ticks.
  if gain_pct >= (rules -> 'take_profit_levels' -> 0 ->> 'at_pct')::numeric then
    for level in
      select l.ordinality::integer as number, l.value
      from jsonb_array_elements(rules -> 'take_profit_levels') with ordinality as l
      where
        gain_pct >= (l.value ->> 'at_pct')::numeric
        and l.ordinality::integer <> all(pos.take_profits_fired)
      order by l.ordinality
    loop
      if other is null or floor(pos.qty_bought * (level.value ->> 'sell_pct')::numeric / 100)
        > other.quantity then
        other := row(
          'take_profit', level.number,
          floor(pos.qty_bought * (level.value ->> 'sell_pct')::numeric / 100)
        );
      end if;
    end loop;
  end if;
  if now() - pos.opened_at >= make_interval(mins => (rules ->> 'time_exit_minutes')::integer)
    and coalesce(gain_pct < (rules ->> 'time_exit_max_pnl_pct')::numeric, true)
    and (other is null or held - moonbag > other.quantity) then
    other := row('time_exit', null, held - moonbag);
  end if;
  if other is null then
    return null;
  end if;
  other.quantity := least(other.quantity, held - moonbag);
  if other.quantity > 0 then
    return walltrack.without_dust(other, pos, dust_sol);
  end if;
  -- A ladder level with nothing left to sell outside the moonbag still counts as fired.
  return other;
end;
$$;
comment on function walltrack.exit_call_for(walltrack.positions, numeric) is
'The exit (reason, level, quantity) the effective strategy calls for at the last price.';
grant execute on function walltrack.exit_call_for(walltrack.positions, numeric) to service_role;

create function walltrack.apply_prices(prices jsonb, missing text[] default '{}')
returns jsonb
language plpgsql
set search_path = ''
as $$
-- One batch of the price-refresh function ([{mint, price_sol, observed_at?}]): stores the
-- prices, re-values the live positions in those tokens (a tick older than the last one is
-- ignored), then places the exit each open position calls for, unless one is in flight.
declare
  cfg walltrack.config;
  candidate record;
  placed bigint;
  orders jsonb := '[]'::jsonb;
  live bigint[] := '{}'::bigint[];
  revalued integer;
begin
  select c.* into strict cfg from walltrack.config as c;
  update walltrack.tokens as t
  set price_sol = (p.value ->> 'price_sol')::numeric, price_at = now(), price_stale = false
  from jsonb_array_elements(prices) as p
  where t.mint = p.value ->> 'mint';
  update walltrack.tokens as t set price_stale = true where t.mint = any(missing);

  with ticks as (
    select
      p.value ->> 'mint' as mint,
      (p.value ->> 'price_sol')::numeric as price_sol,
      coalesce((p.value ->> 'observed_at')::timestamptz, now()) as observed_at
    from jsonb_array_elements(prices) as p
  )

  update walltrack.positions as p
  set last_price_sol = t.price_sol, last_price_at = t.observed_at
  from ticks as t
  where
    p.token_mint = t.mint and p.status in ('open', 'closing')
    and t.price_sol > 0 and (p.last_price_at is null or t.observed_at >= p.last_price_at);
  get diagnostics revalued = row_count;

  -- Each candidate's exit call is made once, in the query (a lateral call), and only the
  -- positions that call for an exit come back to the loop.
  for candidate in
    select
      p.id, p.mode, p.token_mint, p.token_decimals, p.last_price_sol, p.qty_sold, c.reason,
      c.take_profit_level, c.quantity
    from walltrack.positions as p
    cross join lateral walltrack.exit_call_for(p, cfg.position_dust_sol) as c
    where
      p.status = 'open'
      and p.token_mint in (select m.value ->> 'mint' from jsonb_array_elements(prices) as m)
      and not exists (
        select from walltrack.orders as o
        where o.position_id = p.id and o.side = 'sell' and o.status in ('pending', 'submitted')
      )
      and c.reason is not null
    order by p.id
  loop
    if candidate.reason = 'take_profit' then
      update walltrack.positions as p
      set take_profits_fired = p.take_profits_fired || candidate.take_profit_level
      where p.id = candidate.id;
    end if;
    continue when coalesce(candidate.quantity, 0) <= 0;
    placed := walltrack.place_order(
      position_id => candidate.id, signal_id => null, side => 'sell',
      reason => candidate.reason, mode => candidate.mode, token_mint => candidate.token_mint,
      amount_in => candidate.quantity,
      idempotency_key => format('exit:%s:%s:%s', candidate.id, candidate.reason,
        coalesce(candidate.take_profit_level::text, candidate.qty_sold::text)),
      cfg => cfg, token_decimals => candidate.token_decimals,
      reference_price_sol => candidate.last_price_sol,
      take_profit_level => candidate.take_profit_level
    );
    orders := orders || jsonb_build_object(
      'position_id', candidate.id, 'order_id', placed, 'reason', candidate.reason,
      'take_profit_level', candidate.take_profit_level, 'quantity', candidate.quantity
    );
    if candidate.mode = 'live' then
      live := live || placed;
    end if;
  end loop;
  return jsonb_build_object('revalued', revalued, 'orders', orders, 'live_orders', to_jsonb(live));
end;
$$;
comment on function walltrack.apply_prices(jsonb, text[]) is
'Applies a batch of prices (ignoring ticks older than the last), re-values positions and '
'places the exits their strategies call for. Returns the orders and the live ones to execute.';
grant execute on function walltrack.apply_prices(jsonb, text[]) to service_role;

create function walltrack.live_position_mints()
returns jsonb
language sql
stable
set search_path = ''
as $$
  -- The tokens the price-refresh function must price.
  select coalesce(jsonb_agg(distinct p.token_mint), '[]')
  from walltrack.positions as p
  where p.status in ('open', 'closing');
$$;
comment on function walltrack.live_position_mints() is
'Tokens of the open positions: what the price-refresh function prices on each run.';
grant execute on function walltrack.live_position_mints() to service_role;

-- ======================================================================================
-- supabase/schemas/12_live_execution.sql
-- ======================================================================================

-- Live execution: the command log's side of sending real transactions. A worker claims
-- pending live orders under a lease, records the signed transaction BEFORE sending it (so
-- a crash between the two leaves a signature to reconcile, never a blind resend), and the
-- confirmer records what the chain says: the fill, or a failure that SQL classifies as a
-- retry (a new attempt after back-off, only once the old transaction can no longer land)
-- or final (the position follows: a failed entry, or an exit written off at a loss).

create function walltrack.release_expired_leases()
returns integer
language plpgsql
set search_path = ''
as $$
-- A worker that died leaves its claim behind. A pending order whose lease expired is free
-- again; a submitted one keeps it: only confirm-orders may reconcile it, after checking
-- its signature, so nothing is ever sent twice.
declare
  released integer;
begin
  update walltrack.orders as o
  set lease_owner = null, lease_until = null
  where o.status = 'pending' and o.lease_until < now();
  get diagnostics released = row_count;
  return released;
end;
$$;
comment on function walltrack.release_expired_leases() is
'Frees pending orders whose worker lease expired (submitted ones wait for reconciliation).';

create function walltrack.retryable_failure(error_class text)
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
-- The failures after which the same order may be tried again as a new attempt; any other
-- class is final.
begin
  return error_class in (
    'timeout', 'rate_limited', 'upstream_error', 'blockhash_expired', 'slippage_exceeded'
  );
end;
$$;
comment on function walltrack.retryable_failure(text) is
'True for failure classes worth a new attempt: timeout, rate_limited, upstream_error, '
'blockhash_expired, slippage_exceeded. Others (insufficient_funds, no_route, rejected, '
'not_tradable...) are final.';

create function walltrack.with_attempt_facts(attempt_log jsonb, facts jsonb)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
-- The attempt log with facts added to its current (last) attempt.
begin
  return jsonb_set(attempt_log, array[(jsonb_array_length(attempt_log) - 1)::text],
    (attempt_log -> -1) || facts);
end;
$$;
comment on function walltrack.with_attempt_facts(jsonb, jsonb) is
'orders.attempt_log with facts (signature, outcome...) merged into its last attempt.';

create function walltrack.claim_orders(
  worker text, order_ids bigint[] default null, max_orders integer default 10,
  lease_seconds integer default 60
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- Hands a worker the live orders it may execute now, each under a lease no other worker
-- can take (skip locked: racing workers never get the same order). Nothing is handed out
-- while live trading is off; buys wait while the breaker is active; exits always go.
declare
  cfg walltrack.config;
  claimed jsonb;
begin
  perform walltrack.ensure(length(btrim(coalesce(worker, ''))) > 0,
    'claim_orders needs the worker''s name (it owns the lease)');
  select c.* into strict cfg from walltrack.config as c;
  with claimable as (
    select o.id from walltrack.orders as o
    where
      o.mode = 'live' and o.status = 'pending' and o.next_attempt_at <= now()
      and (o.lease_until is null or o.lease_until < now())
      and o.attempts < o.max_attempts
      and (order_ids is null or o.id = any(order_ids))
      and cfg.live_trading_enabled
      and (o.side = 'sell' or not walltrack.breaker_is_active())
    order by o.side desc, o.id  -- sells first: exits never wait behind entries
    limit max_orders
    for update skip locked
  ),
  leased as (
    update walltrack.orders as o
    set
      lease_owner = worker,
      lease_until = now() + make_interval(secs => lease_seconds),
      attempts = o.attempts + 1,
      attempt_log = o.attempt_log || jsonb_build_object(
        'attempt', o.attempts + 1, 'worker', worker, 'claimed_at', now()
      ),
      updated_at = now()
    from claimable as c
    where o.id = c.id
    returning o.*
  )
  select coalesce(jsonb_agg(jsonb_build_object(
    'id', l.id, 'side', l.side, 'reason', l.reason, 'input_mint', l.input_mint,
    'output_mint', l.output_mint, 'amount_in', l.amount_in::text,
    'slippage_bps', least(l.slippage_bps, cfg.max_slippage_bps),
    'priority_fee_lamports', cfg.priority_fee_lamports, 'jito_tip_lamports', cfg.jito_tip_lamports,
    'attempt', l.attempts, 'lease_until', l.lease_until
  ) order by l.id), '[]') into claimed
  from leased as l;
  return claimed;
end;
$$;
comment on function walltrack.claim_orders(text, bigint[], integer, integer) is
'Leases live pending orders to a worker (all due ones, or the given ids): each becomes a new '
'attempt; returns what to execute, slippage bound capped at config.max_slippage_bps.';

create function walltrack.leased_order(order_id bigint, worker text)
returns walltrack.orders
language plpgsql
set search_path = ''
as $$
-- The order, locked, if this worker still holds its lease: a worker whose lease expired
-- must not act on it any more (another may have taken it over).
declare
  leased walltrack.orders;
begin
  select o.* into leased from walltrack.orders as o where o.id = order_id for update;
  perform walltrack.ensure(leased.id is not null, format('order %s does not exist', order_id));
  perform walltrack.ensure(
    leased.status = 'pending' and leased.lease_owner = worker and leased.lease_until >= now(),
    format('order %s is not leased to %s any more (status %s, lease %s until %s)', order_id,
      worker, leased.status, coalesce(leased.lease_owner, 'none'),
      coalesce(leased.lease_until::text, '-')),
    'Do not send it: claim orders again.');
  return leased;
end;
$$;
comment on function walltrack.leased_order(bigint, text) is
'The pending order locked for update, or an error if the worker lost its lease.';

create function walltrack.record_signed(
  order_id bigint, worker text, tx_signature text, last_valid_block_height bigint,
  quoted_out numeric, min_out numeric, priority_fee_lamports bigint, tip_lamports bigint
)
returns void
language plpgsql
set search_path = ''
as $$
-- Called after signing and BEFORE sending: from here on the order is reconciled through its
-- signature, so a crash after sending can never lead to sending it again.
declare
  leased walltrack.orders := walltrack.leased_order(order_id, worker);
  sol constant text := 'So11111111111111111111111111111111111111112';
begin
  -- A retry signed over the same blockhash and quote is the same transaction: the chain
  -- would take it as the earlier attempt, so it is never recorded as a new one.
  perform walltrack.ensure(
    not leased.attempt_log @> jsonb_build_array(jsonb_build_object('signature', record_signed.tx_signature)),
    format('order %s: %s is the signature of an earlier attempt', order_id, record_signed.tx_signature),
    'Wait for a new blockhash before trying again.');
  perform walltrack.ensure(record_signed.last_valid_block_height > 0,
    format('order %s: a signed transaction needs its last valid block height', order_id));
  perform walltrack.ensure(quoted_out > 0 and min_out > 0 and min_out <= quoted_out,
    format('order %s: a quote needs 0 < min_out (%s) <= quoted_out (%s)', order_id, min_out,
      quoted_out));
  update walltrack.orders as o
  set
    status = 'submitted',
    tx_signature = record_signed.tx_signature,
    last_valid_block_height = record_signed.last_valid_block_height,
    quoted_out = record_signed.quoted_out,
    min_out = record_signed.min_out,
    -- SOL per whole token, as every price here: from the quote's two amounts.
    quoted_price_sol = case
      when leased.input_mint = sol then round(leased.amount_in / 1e9
        / (record_signed.quoted_out / 10::numeric ^ t.decimals), 18)
      else round(record_signed.quoted_out / 1e9
        / (leased.amount_in / 10::numeric ^ t.decimals), 18)
    end,
    priority_fee_lamports = record_signed.priority_fee_lamports,
    tip_lamports = record_signed.tip_lamports,
    submitted_at = now(),
    attempt_log = walltrack.with_attempt_facts(o.attempt_log, jsonb_build_object(
      'signature', record_signed.tx_signature, 'signed_at', now()
    )),
    updated_at = now()
  from walltrack.tokens as t
  where o.id = order_id
    and t.mint = case when leased.input_mint = sol then leased.output_mint else leased.input_mint end;
end;
$$;
comment on function walltrack.record_signed(
  bigint, text, text, bigint, numeric, numeric, bigint, bigint
) is
'Records a signed transaction before it is sent (status submitted): its signature, expiry '
'height, quote and fees.';

create function walltrack.orders_to_confirm(max_orders integer default 256)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
-- What the confirmer checks: every submitted transaction, oldest first (leases do not
-- matter here: a submitted order is reconciled through its signature, whoever sent it).
begin
  return (
    select coalesce(jsonb_agg(jsonb_build_object(
      'id', o.id, 'tx_signature', o.tx_signature, 'side', o.side,
      'input_mint', o.input_mint, 'output_mint', o.output_mint,
      'last_valid_block_height', o.last_valid_block_height,
      'priority_fee_lamports', o.priority_fee_lamports
    ) order by o.submitted_at, o.id), '[]')
    from (
      select o.* from walltrack.orders as o
      where o.status = 'submitted' order by o.submitted_at, o.id limit max_orders
    ) as o
  );
end;
$$;
comment on function walltrack.orders_to_confirm(integer) is
'Submitted orders whose transactions the confirmer must look up (oldest first).';

create function walltrack.record_fill(
  order_id bigint, tx_signature text, filled_in numeric, filled_out numeric,
  fee_lamports bigint
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- The chain's view of a landed swap: what went in and out of the wallet and the fee paid.
-- The fill price and the slippage against the quote are derived here; the fill trigger
-- then moves the position. Recording the same fill twice changes nothing.
declare
  submitted walltrack.orders;
  decimals smallint;
  sol constant text := 'So11111111111111111111111111111111111111112';
  priority bigint;
begin
  select o.* into submitted from walltrack.orders as o where o.id = order_id for update;
  perform walltrack.ensure(submitted.id is not null, format('order %s does not exist', order_id));
  if submitted.status = 'confirmed' and submitted.tx_signature = record_fill.tx_signature then
    return jsonb_build_object('order_id', order_id, 'status', 'confirmed', 'already', true);
  end if;
  perform walltrack.ensure(
    submitted.status = 'submitted' and submitted.tx_signature = record_fill.tx_signature,
    format('order %s is %s with signature %s: a fill of %s cannot be recorded', order_id,
      submitted.status, coalesce(submitted.tx_signature, 'none'), record_fill.tx_signature));
  perform walltrack.ensure(filled_in > 0 and filled_out > 0 and fee_lamports >= 0,
    format('order %s: a fill needs filled_in > 0, filled_out > 0 and a fee >= 0 (got %s, %s, %s)',
      order_id, filled_in, filled_out, fee_lamports));
  select t.decimals into decimals from walltrack.tokens as t
  where t.mint = case when submitted.input_mint = sol then submitted.output_mint
    else submitted.input_mint end;
  -- The fee the chain reports includes the priority fee the swap was built with.
  priority := least(coalesce(submitted.priority_fee_lamports, 0), fee_lamports);
  update walltrack.orders as o
  set
    status = 'confirmed',
    filled_in = record_fill.filled_in,
    filled_out = record_fill.filled_out,
    fill_price_sol = case
      when submitted.input_mint = sol
        then round(record_fill.filled_in / 1e9 / (record_fill.filled_out / 10::numeric ^ decimals), 18)
      else round(record_fill.filled_out / 1e9 / (record_fill.filled_in / 10::numeric ^ decimals), 18)
    end,
    realized_slippage_bps = round(
      (submitted.quoted_out - record_fill.filled_out) / submitted.quoted_out * 10000, 2
    ),
    network_fee_lamports = fee_lamports - priority,
    priority_fee_lamports = priority,
    confirmed_at = now(),
    lease_owner = null,
    lease_until = null,
    attempt_log = walltrack.with_attempt_facts(o.attempt_log, jsonb_build_object(
      'outcome', 'confirmed', 'at', now()
    )),
    updated_at = now()
  where o.id = order_id;
  return jsonb_build_object('order_id', order_id, 'status', 'confirmed', 'already', false);
end;
$$;
comment on function walltrack.record_fill(bigint, text, numeric, numeric, bigint) is
'Confirms a submitted order from the chain''s view of its transaction (amounts in and out, '
'fee): derives fill price and slippage against the quote. Idempotent.';

create function walltrack.write_off(failed walltrack.orders)
returns void
language plpgsql
set search_path = ''
as $$
-- An exit that could not fill after its attempts: what the position still holds is written
-- off at zero proceeds, through a bookkeeping order the fill trigger applies like any other,
-- so the loss is realized and the position closes.
declare
  held numeric;
begin
  select p.qty_bought - p.qty_sold into held from walltrack.positions as p
  where p.id = failed.position_id and p.status in ('open', 'closing');
  if coalesce(held, 0) <= 0 then
    return;
  end if;
  insert into walltrack.orders (
    position_id, side, reason, mode, input_mint, output_mint, amount_in, slippage_bps,
    idempotency_key, max_attempts, status, attempts, filled_in, filled_out, fill_price_sol,
    confirmed_at, last_error
  ) values (
    failed.position_id, 'sell', 'write_off', failed.mode, failed.input_mint, failed.output_mint,
    held, 0, format('write-off:%s', failed.id), 1, 'confirmed', 1, held, 0, 0, now(),
    format('order %s (%s) failed for good: %s', failed.id, failed.reason, failed.last_error)
  );
end;
$$;
comment on function walltrack.write_off(walltrack.orders) is
'Writes off what a position still holds after its exit failed for good (loss realized, closed).';

create function walltrack.record_failure(
  order_id bigint, tx_signature text, error_class text, detail text
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- A failed attempt. Before sending (quote, swap, a refused send) the caller gives no
-- signature; after, it gives the one that failed or can no longer land. A retryable class
-- puts the order back to pending for a new attempt after back-off, while attempts remain;
-- anything else fails it for good, and its position follows.
declare
  cfg walltrack.config;
  attempted walltrack.orders;
  retry boolean;
begin
  select c.* into strict cfg from walltrack.config as c;
  select o.* into attempted from walltrack.orders as o where o.id = order_id for update;
  perform walltrack.ensure(attempted.id is not null, format('order %s does not exist', order_id));
  perform walltrack.ensure(error_class ~ '^[a-z][a-z_]*$',
    format('error_class must be a snake_case code, got "%s"', error_class));
  perform walltrack.ensure(
    attempted.status in ('pending', 'submitted')
    and attempted.tx_signature is not distinct from record_failure.tx_signature,
    format('order %s is %s with signature %s: a failure of %s cannot be recorded', order_id,
      attempted.status, coalesce(attempted.tx_signature, 'none'),
      coalesce(record_failure.tx_signature, 'none')));
  retry := walltrack.retryable_failure(error_class) and attempted.attempts < attempted.max_attempts;
  update walltrack.orders as o
  set
    status = case when retry then 'pending' else 'failed' end::walltrack.order_status,
    tx_signature = null,
    last_valid_block_height = null,
    last_error = format('%s: %s', error_class, left(coalesce(detail, ''), 300)),
    next_attempt_at = now() + make_interval(
      secs => cfg.retry_backoff_seconds * 2 ^ greatest(attempted.attempts - 1, 0)
    ),
    lease_owner = null,
    lease_until = null,
    attempt_log = walltrack.with_attempt_facts(o.attempt_log, jsonb_build_object(
      'outcome', error_class, 'detail', left(coalesce(detail, ''), 300), 'at', now()
    )),
    updated_at = now()
  where o.id = order_id
  returning o.* into attempted;
  if not retry and attempted.side = 'sell' then
    perform walltrack.write_off(attempted);
  end if;
  return jsonb_build_object(
    'order_id', order_id, 'status', attempted.status, 'retry', retry,
    'next_attempt_at', case when retry then attempted.next_attempt_at end
  );
end;
$$;
comment on function walltrack.record_failure(bigint, text, text, text) is
'Records a failed attempt: pending again after back-off when the class is retryable and '
'attempts remain, else failed for good (a failed entry, or an exit written off).';

create function walltrack.expire_unlanded(unknown jsonb, block_height bigint)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- The submitted transactions the chain does not know ([{order_id, tx_signature}]), at the
-- chain's current block height. One is given up, and its order retried as a new attempt,
-- only once the height has passed its blockhash's last valid height: from then on it can
-- never land, so the retry cannot pay twice. Returns each order's status.
declare
  outcomes jsonb := '{}'::jsonb;
  candidate record;
begin
  perform walltrack.ensure(block_height > 0,
    format('expire_unlanded needs the chain''s block height, got %s', block_height));
  for candidate in
    select o.id, o.tx_signature, o.last_valid_block_height, o.status
    from jsonb_array_elements(unknown) as u
    inner join walltrack.orders as o
      on o.id = (u.value ->> 'order_id')::bigint and o.tx_signature = u.value ->> 'tx_signature'
    order by o.id
  loop
    outcomes := outcomes || jsonb_build_object(candidate.id::text, case
      when candidate.status = 'submitted' and block_height > candidate.last_valid_block_height
        then walltrack.record_failure(candidate.id, candidate.tx_signature, 'blockhash_expired',
          format('not landed by block %s (valid until %s)', block_height,
            candidate.last_valid_block_height)) ->> 'status'
      else candidate.status::text
    end);
  end loop;
  return outcomes;
end;
$$;
comment on function walltrack.expire_unlanded(jsonb, bigint) is
'Retries the submitted orders whose transactions the chain does not know once the block '
'height has passed their last valid height (they can no longer land); returns statuses.';
grant execute on function walltrack.retryable_failure(text) to service_role;
grant execute on function walltrack.with_attempt_facts(jsonb, jsonb) to service_role;
grant execute on function walltrack.leased_order(bigint, text) to service_role;
grant execute on function walltrack.write_off(walltrack.orders) to service_role;
grant execute on function walltrack.claim_orders(text, bigint[], integer, integer) to service_role;
grant execute on function walltrack.record_signed(
  bigint, text, text, bigint, numeric, numeric, bigint, bigint
) to service_role;
grant execute on function walltrack.orders_to_confirm(integer) to service_role;
grant execute on function walltrack.record_fill(bigint, text, numeric, numeric, bigint)
to service_role;

grant execute on function walltrack.record_failure(bigint, text, text, text) to service_role;
grant execute on function walltrack.expire_unlanded(jsonb, bigint) to service_role;

-- ======================================================================================
-- supabase/schemas/13_token_refresh.sql
-- ======================================================================================

-- Token refresh: the cache's upkeep. Which cached facts to refetch (the tokens in play:
-- held by a live position or just signalled) and which expired rows to purge. It reads
-- positions and signals, so it comes after them.

create function walltrack.tokens_to_refresh(
  mints text[] default null, max_tokens integer default 100, claim_seconds numeric default 10
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- For the token-lookup function. Given mints (an operator's request): every source, now.
-- Without (the schedule): the tokens held in live positions or bought by a watched wallet
-- in the last day whose facts are due, oldest lookup first. Claimed like any lookup.
declare
  cfg walltrack.config;
  wanted jsonb;
begin
  select c.* into strict cfg from walltrack.config as c;
  if mints is not null then
    insert into walltrack.tokens (mint) select unnest(mints) on conflict do nothing;
  end if;

  with candidates as (
    select
      t.mint,
      case
        when mints is not null then array['rugcheck', 'dexscreener', 'das']
        else walltrack.token_sources_due(t, cfg)
      end as sources
    from walltrack.tokens as t
    where
      coalesce(t.lookup_claimed_until <= now(), true)
      and (
        t.mint = any(mints)
        or mints is null and (
          exists (
            select from walltrack.positions as p
            where p.token_mint = t.mint and p.status in ('opening', 'open', 'closing')
          )
          or exists (
            select from walltrack.signals as s
            where
              s.token_mint = t.mint and s.side = 'buy'
              and s.received_at > now() - interval '1 day'
          )
        )
      )
    order by t.fetched_at nulls first
    limit max_tokens
    for update of t skip locked
  ),

  claimed as (
    update walltrack.tokens as t
    set lookup_claimed_until = now() + make_interval(secs => claim_seconds)
    from candidates as c
    where t.mint = c.mint and cardinality(c.sources) > 0
    returning t.mint, c.sources
  )

  select coalesce(jsonb_object_agg(c.mint, to_jsonb(c.sources)), '{}') into wanted
  from claimed as c;
  return wanted;
end;
$$;
comment on function walltrack.tokens_to_refresh(text[], integer, numeric) is
'Tokens the token-lookup function must refresh ({mint: [sources]}): the given mints from '
'every source, or the due facts of tokens in play. Claims them.';
grant execute on function walltrack.tokens_to_refresh(text[], integer, numeric) to service_role;

create function walltrack.purge_expired_tokens()
returns integer
language plpgsql
set search_path = ''
as $$
-- The cache keeps what is still useful: tokens of positions, listed or rugged ones (a
-- verdict for good) and facts that expired less than a day ago.
declare
  purged integer;
begin
  delete from walltrack.tokens as t
  where
    t.expires_at < now() - interval '1 day'
    and t.manual_list is null and not coalesce(t.rugged, false)
    and not exists (select from walltrack.positions as p where p.token_mint = t.mint);
  get diagnostics purged = row_count;
  return purged;
end;
$$;
comment on function walltrack.purge_expired_tokens() is
'Deletes token cache rows expired for a day that no position, list or rug verdict needs.';

-- ======================================================================================
-- supabase/schemas/14_performance.sql
-- ======================================================================================

-- performance: the scoreboard an operator reads to keep or drop a wallet (ADR-003). A
-- materialized view, one row per wallet and window (24h, 7d, 30d, all), with zeros for a
-- wallet with no trades: signals copied, win rate, realized and unrealized PnL, average
-- return, profit factor, best and worst trade, average hold, max drawdown of the realized
-- equity curve, expectancy, max consecutive losses, and copy decay against the leader on
-- the same trades, each next to the wallet's baseline. Refreshed concurrently (pg_cron and
-- api.refresh_performance), so readers are never blocked; walltrack.scoreboard reads it.

create materialized view walltrack.performance as
with time_windows (time_window, span, age_classes) as (
  values ('24h', interval '24 hours', 1), ('7d', interval '7 days', 2),
  ('30d', interval '30 days', 3), ('all', null::interval, 4)
),

-- One pass over the signals: each is counted in its age class (the spans above), and a
-- window adds up the classes it spans.
signal_ages as (
  select
    s.wallet_id,
    case
      when s.received_at >= now() - interval '24 hours' then 1
      when s.received_at >= now() - interval '7 days' then 2
      when s.received_at >= now() - interval '30 days' then 3
      else 4
    end as age_class,
    count(*) as signals_seen,
    count(*) filter (where s.decision = 'copied') as signals_copied
  from walltrack.signals as s
  group by s.wallet_id, age_class
),

signal_counts as (
  select
    sa.wallet_id,
    tw.time_window,
    sum(sa.signals_seen)::bigint as signals_seen,
    sum(sa.signals_copied)::bigint as signals_copied
  from signal_ages as sa
  inner join time_windows as tw on sa.age_class <= tw.age_classes
  group by sa.wallet_id, tw.time_window
),

opened_counts as (
  select
    p.wallet_id,
    tw.time_window,
    count(*) as positions_opened
  from walltrack.positions as p
  inner join time_windows as tw on tw.span is null or p.opened_at >= now() - tw.span
  group by p.wallet_id, tw.time_window
),

-- The leader's side of each position all of whose fills copied one of the leader's swaps:
-- the leader's own average buy and sell prices over the quantities we traded.
leader_round_trips as (
  select
    o.position_id,
    sum(o.filled_out * ls.price_sol) filter (where o.side = 'buy')
    / nullif(sum(o.filled_out) filter (where o.side = 'buy'), 0) as leader_entry_price_sol,
    sum(o.filled_in * ls.price_sol) filter (where o.side = 'sell')
    / nullif(sum(o.filled_in) filter (where o.side = 'sell'), 0) as leader_exit_price_sol
  from walltrack.orders as o
  left join walltrack.signals as ls on o.signal_id = ls.id
  where o.status = 'confirmed'
  group by o.position_id
  having bool_and(ls.price_sol > 0)
),

closed_trades as (
  select
    p.wallet_id,
    tw.time_window,
    p.id,
    p.closed_at,
    p.realized_pnl_sol as pnl_sol,
    p.realized_pnl_sol / nullif(p.cost_basis_sol, 0) as return_ratio,
    p.closed_at - p.opened_at as hold,
    lrt.leader_exit_price_sol / lrt.leader_entry_price_sol - 1 as leader_return_ratio,
    sum(p.realized_pnl_sol) over in_close_order as equity_sol,
    -- Losing streaks: each close that is not a loss starts a new group.
    count(*) filter (where p.realized_pnl_sol >= 0) over in_close_order as streak_group
  from walltrack.positions as p
  inner join time_windows as tw on tw.span is null or p.closed_at >= now() - tw.span
  left join leader_round_trips as lrt on p.id = lrt.position_id
  where p.status = 'closed'
  window in_close_order as (partition by p.wallet_id, tw.time_window order by p.closed_at, p.id)
),

-- The realized equity curve of a window starts at 0, so its peak is never below 0.
drawdowns as (
  select
    ct.wallet_id,
    ct.time_window,
    greatest(0, max(ct.equity_sol) over (
      partition by ct.wallet_id, ct.time_window order by ct.closed_at, ct.id
    )) - ct.equity_sol as drawdown_sol
  from closed_trades as ct
),

losing_streaks as (
  select
    ct.wallet_id,
    ct.time_window,
    count(*) filter (where ct.pnl_sol < 0) as streak
  from closed_trades as ct
  group by ct.wallet_id, ct.time_window, ct.streak_group
),

trade_stats as (
  select
    ct.wallet_id,
    ct.time_window,
    count(*) as positions_closed,
    count(*) filter (where ct.pnl_sol > 0) as wins,
    count(*) filter (where ct.pnl_sol < 0) as losses,
    sum(ct.pnl_sol) as realized_pnl_sol,
    avg(ct.return_ratio) as avg_return_ratio,
    coalesce(sum(ct.pnl_sol) filter (where ct.pnl_sol > 0), 0) as gross_profit_sol,
    coalesce(-sum(ct.pnl_sol) filter (where ct.pnl_sol < 0), 0) as gross_loss_sol,
    max(ct.pnl_sol) as best_trade_sol,
    min(ct.pnl_sol) as worst_trade_sol,
    avg(ct.hold) as avg_hold,
    count(ct.leader_return_ratio) as leader_trades_compared,
    avg(ct.leader_return_ratio) as leader_return_ratio,
    avg(ct.return_ratio) filter (where ct.leader_return_ratio is not null) as copy_return_ratio
  from closed_trades as ct
  group by ct.wallet_id, ct.time_window
),

curve_stats as (
  select
    d.wallet_id,
    d.time_window,
    max(d.drawdown_sol) as max_drawdown_sol
  from drawdowns as d
  group by d.wallet_id, d.time_window
),

streak_stats as (
  select
    ls.wallet_id,
    ls.time_window,
    max(ls.streak) as max_consecutive_losses
  from losing_streaks as ls
  group by ls.wallet_id, ls.time_window
),

open_book as (
  select
    p.wallet_id,
    sum(walltrack.position_open_cost_sol(p)) as open_exposure_sol,
    sum(p.unrealized_pnl_sol) as unrealized_pnl_sol
  from walltrack.positions as p
  where p.status in ('open', 'closing')
  group by p.wallet_id
)

-- Every wallet has a row per window: counts and sums are 0 without trades; ratios whose
-- denominator is 0 (no signal, no close, no loss, no comparable trade) stay empty.
select
  w.id as wallet_id,
  tw.time_window,
  coalesce(sc.signals_seen, 0) as signals_seen,
  coalesce(sc.signals_copied, 0) as signals_copied,
  round(100.0 * sc.signals_copied / nullif(sc.signals_seen, 0), 2) as copied_pct,
  coalesce(oc.positions_opened, 0) as positions_opened,
  coalesce(ts.positions_closed, 0) as positions_closed,
  coalesce(ts.wins, 0) as wins,
  coalesce(ts.losses, 0) as losses,
  round(100.0 * ts.wins / nullif(ts.positions_closed, 0), 2) as win_rate_pct,
  w.baseline_win_rate_pct,
  coalesce(ts.realized_pnl_sol, 0) as realized_pnl_sol,
  w.baseline_pnl_sol,
  w.baseline_trade_count,
  w.baseline_period_days,
  round(100 * ts.avg_return_ratio, 2) as avg_return_pct,
  round(ts.gross_profit_sol / nullif(ts.gross_loss_sol, 0), 4) as profit_factor,
  round(ts.realized_pnl_sol / nullif(ts.positions_closed, 0), 9) as expectancy_sol,
  ts.best_trade_sol,
  ts.worst_trade_sol,
  date_trunc('second', ts.avg_hold) as avg_hold,
  coalesce(cs.max_drawdown_sol, 0) as max_drawdown_sol,
  coalesce(ss.max_consecutive_losses, 0) as max_consecutive_losses,
  coalesce(ts.leader_trades_compared, 0) as leader_trades_compared,
  round(100 * ts.leader_return_ratio, 2) as leader_return_pct,
  round(100 * ts.copy_return_ratio, 2) as copy_return_pct,
  round(100 * (ts.leader_return_ratio - ts.copy_return_ratio), 2) as copy_decay_pct,
  coalesce(ob.open_exposure_sol, 0) as open_exposure_sol,
  coalesce(ob.unrealized_pnl_sol, 0) as unrealized_pnl_sol,
  now() as refreshed_at
from walltrack.wallets as w
cross join time_windows as tw
left join signal_counts as sc on w.id = sc.wallet_id and tw.time_window = sc.time_window
left join opened_counts as oc on w.id = oc.wallet_id and tw.time_window = oc.time_window
left join trade_stats as ts on w.id = ts.wallet_id and tw.time_window = ts.time_window
left join curve_stats as cs on w.id = cs.wallet_id and tw.time_window = cs.time_window
left join streak_stats as ss on w.id = ss.wallet_id and tw.time_window = ss.time_window
left join open_book as ob on w.id = ob.wallet_id
with data;

create unique index performance_wallet_window_idx
on walltrack.performance (wallet_id, time_window);

grant select on walltrack.performance to service_role;
comment on materialized view walltrack.performance is
'Materialized View: per-wallet metrics for windows 24h / 7d / 30d / all (one row per wallet '
'and window, zeros for a wallet with no trades; a ratio with a zero denominator is empty). '
'Refreshed concurrently by walltrack.refresh_performance(): daily by pg_cron, on demand by '
'api.refresh_performance(). Read it through walltrack.scoreboard.';
comment on column walltrack.performance.wallet_id is 'The watched wallet.';
comment on column walltrack.performance.time_window is
'24h, 7d, 30d or all: signals by receipt, opens by opening, trades by closing time.';
comment on column walltrack.performance.signals_seen is
'Swaps of the wallet received in the window.';
comment on column walltrack.performance.signals_copied is 'Of those, how many were copied.';
comment on column walltrack.performance.copied_pct is
'signals_copied / signals_seen, %; empty with no signal.';
comment on column walltrack.performance.positions_opened is 'Positions opened in the window.';
comment on column walltrack.performance.positions_closed is
'Positions closed in the window: the trades every figure below is measured on.';
comment on column walltrack.performance.wins is 'Closed positions with positive realized PnL.';
comment on column walltrack.performance.win_rate_pct is
'wins / positions_closed, %; empty with no close.';
comment on column walltrack.performance.realized_pnl_sol is
'Realized PnL of positions closed in the window, SOL, fees included.';
comment on column walltrack.performance.open_exposure_sol is
'Cost still held in open positions, at refresh time.';
comment on column walltrack.performance.unrealized_pnl_sol is
'Unrealized PnL of open positions, at refresh time.';
comment on column walltrack.performance.baseline_win_rate_pct is
'Win rate measured at discovery, to compare with win_rate_pct.';
comment on column walltrack.performance.baseline_pnl_sol is
'PnL measured at discovery, to compare with realized_pnl_sol.';
comment on column walltrack.performance.refreshed_at is 'When these figures were computed.';

create function walltrack.refresh_performance()
returns timestamptz
language plpgsql
set search_path = ''
as $$
-- Concurrent refresh: readers keep the previous figures until the new ones are ready.
begin
  refresh materialized view concurrently walltrack.performance;
  return now();
end;
$$;
comment on function walltrack.refresh_performance() is
'Refreshes the performance view without blocking readers; returns the refresh time. Only '
'the view''s owner may refresh it: service_role calls it through api.refresh_performance.';

create view walltrack.scoreboard
with (security_invoker = true)
as
select
  w.label,
  p.time_window,
  w.status,
  w.mode,
  p.positions_closed as trades,
  p.win_rate_pct,
  p.baseline_win_rate_pct,
  p.realized_pnl_sol,
  p.baseline_pnl_sol,
  p.avg_return_pct,
  p.profit_factor,
  p.expectancy_sol,
  p.best_trade_sol,
  p.worst_trade_sol,
  p.avg_hold,
  p.max_drawdown_sol,
  p.max_consecutive_losses,
  p.copy_decay_pct,
  p.leader_trades_compared,
  p.signals_seen,
  p.copied_pct,
  p.positions_opened,
  p.open_exposure_sol,
  p.unrealized_pnl_sol,
  p.refreshed_at,
  w.address,
  p.wallet_id
from walltrack.performance as p
inner join walltrack.wallets as w on p.wallet_id = w.id
order by w.label, w.id, array_position(array['24h', '7d', '30d', 'all'], p.time_window);

revoke all on walltrack.scoreboard from public, anon, authenticated;

grant select on walltrack.scoreboard to service_role;
comment on view walltrack.scoreboard is
'The performance scoreboard as Studio shows it best: one line per wallet and window, the '
'figures an operator decides on first, each actual next to its baseline. Refresh with '
'select api.refresh_performance();';
comment on column walltrack.performance.losses is
'Closed positions with negative realized PnL (a break-even close is neither).';
comment on column walltrack.performance.baseline_trade_count is
'Trades the discovery baseline was measured on.';
comment on column walltrack.performance.baseline_period_days is
'Days the discovery baseline was measured over.';
comment on column walltrack.performance.avg_return_pct is
'Average of each trade''s realized PnL / its cost basis, %; empty with no close.';
comment on column walltrack.performance.profit_factor is
'Gross profit / gross loss; empty while there is no losing trade.';
comment on column walltrack.performance.expectancy_sol is
'Average realized PnL per trade, SOL (win rate x average win - loss rate x average loss).';
comment on column walltrack.performance.best_trade_sol is 'Largest realized PnL of one trade.';
comment on column walltrack.performance.worst_trade_sol is 'Smallest realized PnL of one trade.';
comment on column walltrack.performance.avg_hold is 'Average time from opening to close.';
comment on column walltrack.performance.max_drawdown_sol is
'Largest fall of the realized equity curve (0 at the window''s start, closes in order) from '
'its peak, SOL.';
comment on column walltrack.performance.max_consecutive_losses is
'Longest run of losing closes in a row.';
comment on column walltrack.performance.leader_trades_compared is
'Trades comparable with the leader''s: every sale mirrored one of the leader''s sales.';
comment on column walltrack.performance.leader_return_pct is
'On those trades, the leader''s average return at its own buy and sell prices, %.';
comment on column walltrack.performance.copy_return_pct is
'On those same trades, our average realized return, %.';
comment on column walltrack.performance.copy_decay_pct is
'leader_return_pct - copy_return_pct, in points: what latency, slippage and fees cost us.';

-- ======================================================================================
-- supabase/schemas/15_helius_sync.sql
-- ======================================================================================

-- Helius sync (ADR-001): one global webhook watches every active wallet. SQL decides
-- whether the address list must be pushed; the helius-sync function only does the call
-- and reports success, so a failed call leaves config unchanged and is retried.

create function walltrack.helius_sync_plan(webhook_url text)
returns jsonb
language sql
stable
set search_path = ''
as $$
  -- action: none (Helius already has this list and URL), wait (changed, but the last push
  -- is too recent), create (no webhook yet) or edit (push the full list).
  with target as (
    select
      walltrack.active_wallets_hash() as address_hash,
      coalesce((
        select jsonb_agg(w.address order by w.address)
        from walltrack.wallets as w where w.status = 'active'
      ), '[]') as addresses
  )

  select jsonb_build_object(
    'action', case
      when c.helius_webhook_id is not null and c.helius_synced_hash = t.address_hash
        and c.helius_webhook_url = helius_sync_plan.webhook_url then 'none'
      when c.helius_webhook_id is null and jsonb_array_length(t.addresses) = 0 then 'none'
      when c.helius_synced_at > now() - make_interval(mins => c.helius_sync_interval_minutes)
        then 'wait'
      when c.helius_webhook_id is null then 'create'
      else 'edit'
    end,
    'webhook_id', c.helius_webhook_id,
    'address_hash', t.address_hash,
    'addresses', t.addresses
  )
  from walltrack.config as c cross join target as t;
$$;
comment on function walltrack.helius_sync_plan(text) is
'What the helius-sync function must do now (none, wait, create, edit) and the full list of '
'active addresses with its hash.';
grant execute on function walltrack.helius_sync_plan(text) to service_role;

create function walltrack.helius_sync_done(webhook_id text, webhook_url text, address_hash text)
returns void
language sql
set search_path = ''
as $$
  -- Called only after Helius accepted the push.
  update walltrack.config
  set
    helius_webhook_id = helius_sync_done.webhook_id,
    helius_webhook_url = helius_sync_done.webhook_url,
    helius_synced_hash = helius_sync_done.address_hash,
    helius_synced_at = now();
$$;
comment on function walltrack.helius_sync_done(text, text, text) is
'Records a push Helius accepted: webhook id, URL, the hash of the list pushed, and when.';
grant execute on function walltrack.helius_sync_done(text, text, text) to service_role;

-- ======================================================================================
-- supabase/schemas/16_read_models.sql
-- ======================================================================================

-- Read models: what the demo, the report and the replay read, owned by the schema. The
-- scripts only select from these views (security invoker: the reader's own rights apply)
-- and call walltrack.combined_results, so each figure they print has one definition, here,
-- next to the tables it comes from, and a pgTAP test (tests/sql/16_read_models.test.sql).
-- Nothing here writes. Readable by service_role only, like the tables underneath; the
-- breaker's state and the row counts are walltrack.breaker_state() and walltrack.overview().

-- ---------------------------------------------------------------------------------------
-- Health: one round trip that tells a caller what the database holds

create function walltrack.overview()
returns jsonb
language sql
stable
set search_path = ''
as $$
  -- Row counts per table plus the breaker state, for health checks and the demo.
  select jsonb_build_object(
    'wallets', (select count(*) from walltrack.wallets),
    'active_wallets', (
      select count(*) from walltrack.wallets as w where w.status = 'active'
    ),
    'exit_strategies', (select count(*) from walltrack.exit_strategies),
    'tokens', (select count(*) from walltrack.tokens),
    'signals', (select count(*) from walltrack.signals),
    'orders', (select count(*) from walltrack.orders),
    'positions', (select count(*) from walltrack.positions),
    'open_positions', (
      select count(*) from walltrack.positions as p where p.status in ('open', 'closing')
    ),
    'circuit_breaker_events', (select count(*) from walltrack.circuit_breaker_events),
    'trading_enabled', (select c.trading_enabled from walltrack.config as c),
    'live_trading_enabled', (select c.live_trading_enabled from walltrack.config as c)
  );
$$;
comment on function walltrack.overview() is
'Row counts per WallTrack table and the trading switches, for health checks and the demo.';
grant execute on function walltrack.overview() to service_role;

-- ---------------------------------------------------------------------------------------
-- Shared by the demo, the report and the replay

create view walltrack.position_list
with (security_invoker = true)
as
select
  p.id,
  p.wallet_id,
  w.label as wallet_label,
  p.token_mint,
  k.symbol as token_symbol,
  p.mode,
  p.status,
  p.close_reason,
  p.cost_basis_sol,
  p.proceeds_sol,
  p.realized_pnl_sol,
  p.unrealized_pnl_sol,
  p.opened_at,
  p.closed_at,
  ((p.exit_strategy_snapshot || p.exit_strategy_override) ->> 'time_exit_minutes')::numeric
    as time_exit_minutes
from walltrack.positions as p
inner join walltrack.wallets as w on p.wallet_id = w.id
inner join walltrack.tokens as k on p.token_mint = k.mint;

revoke all on walltrack.position_list from public, anon, authenticated;
grant select on walltrack.position_list to service_role;
comment on view walltrack.position_list is
'Every position with its wallet''s label and its token''s symbol: the demo''s closes and '
'positions table, the report''s positions.';
comment on column walltrack.position_list.time_exit_minutes is
'The time exit the position runs under (its strategy snapshot with its override); empty '
'without one. The demo waits for these: they count wall-clock minutes.';

create view walltrack.order_list
with (security_invoker = true)
as
select
  o.id,
  o.position_id,
  p.wallet_id,
  w.label as wallet_label,
  p.token_mint,
  k.symbol as token_symbol,
  o.signal_id,
  o.side,
  o.reason,
  o.take_profit_level,
  o.status,
  o.mode,
  o.amount_in,
  o.filled_in,
  o.filled_out,
  o.fill_price_sol,
  o.realized_slippage_bps,
  o.attempts,
  o.last_error,
  o.tx_signature,
  o.created_at,
  o.confirmed_at,
  o.side = 'sell' and o.signal_id is null as is_exit
from walltrack.orders as o
inner join walltrack.positions as p on o.position_id = p.id
inner join walltrack.wallets as w on p.wallet_id = w.id
inner join walltrack.tokens as k on p.token_mint = k.mint;

revoke all on walltrack.order_list from public, anon, authenticated;
grant select on walltrack.order_list to service_role;
comment on view walltrack.order_list is
'Every order with its position''s wallet label and token symbol: the demo''s exits and live '
'fills as they happen, the report''s orders.';
comment on column walltrack.order_list.is_exit is
'A sale no leader''s sale asked for: an exit rule fired (take profit, stop loss, trailing '
'stop, time exit) or an operator closed the position.';

create view walltrack.orders_by_reason
with (security_invoker = true)
as
select
  o.side,
  o.reason,
  count(*) as orders,
  count(*) filter (where o.status = 'confirmed') as confirmed
from walltrack.orders as o
group by o.side, o.reason;

revoke all on walltrack.orders_by_reason from public, anon, authenticated;
grant select on walltrack.orders_by_reason to service_role;
comment on view walltrack.orders_by_reason is
'Orders per side and reason, all wallets together: the demo''s summary, the report''s exits '
'by reason (its confirmed sells).';
comment on column walltrack.orders_by_reason.confirmed is 'Of those, how many were filled.';

create view walltrack.signal_list
with (security_invoker = true)
as
select
  s.id,
  s.wallet_id,
  w.address as wallet_address,
  w.label as wallet_label,
  s.signature,
  s.slot,
  s.block_time,
  s.source,
  s.side,
  s.token_mint,
  k.symbol as token_symbol,
  s.token_amount,
  s.token_decimals,
  s.quote_mint,
  s.quote_amount,
  s.quote_decimals,
  s.price_sol,
  s.tx_error,
  s.decision,
  s.decision_reason,
  s.decided_at
from walltrack.signals as s
inner join walltrack.wallets as w on s.wallet_id = w.id
left join walltrack.tokens as k on s.token_mint = k.mint;

revoke all on walltrack.signal_list from public, anon, authenticated;
grant select on walltrack.signal_list to service_role;
comment on view walltrack.signal_list is
'Every leader swap with its wallet and token named, and the decision taken on it: the '
'demo''s decisions as they happen, the replay''s exported signals (in chain order: '
'block_time, slot, id, the order api.ingest_swaps decides in).';
comment on column walltrack.signal_list.token_symbol is
'Empty while the token has not been looked up.';

create view walltrack.breaker_event_log
with (security_invoker = true)
as
select
  e.id,
  e.created_at,
  e.event_type,
  e.trigger,
  e.threshold,
  e.observed,
  e.actor,
  e.note,
  e.created_at > coalesce((select walltrack.last_breaker_reset()), '-infinity')
    as since_last_reset
from walltrack.circuit_breaker_events as e;

revoke all on walltrack.breaker_event_log from public, anon, authenticated;
grant select on walltrack.breaker_event_log to service_role;
comment on view walltrack.breaker_event_log is
'The circuit breaker''s events without their metrics snapshot: the demo''s and the report''s '
'breaker table, and what tripped the breaker in a replay.';
comment on column walltrack.breaker_event_log.since_last_reset is
'After the latest reset (all events without one): the events of the current equity curve.';

create view walltrack.pnl_totals
with (security_invoker = true)
as
select
  coalesce(sum(p.realized_pnl_sol), 0) as realized_pnl_sol,
  coalesce(sum(p.realized_pnl_sol) filter (where p.status = 'closed'), 0)
    as closed_realized_pnl_sol,
  coalesce(sum(p.unrealized_pnl_sol) filter (where p.status in ('open', 'closing')), 0)
    as open_unrealized_pnl_sol
from walltrack.positions as p;

revoke all on walltrack.pnl_totals from public, anon, authenticated;
grant select on walltrack.pnl_totals to service_role;
comment on view walltrack.pnl_totals is
'The book''s PnL in one row, SOL: the demo''s closing total, the report''s header.';
comment on column walltrack.pnl_totals.realized_pnl_sol is
'Realized PnL of every position, the partial exits of open ones included.';
comment on column walltrack.pnl_totals.closed_realized_pnl_sol is
'Realized PnL of the closed positions: the end of walltrack.equity_curve.';
comment on column walltrack.pnl_totals.open_unrealized_pnl_sol is
'Unrealized PnL of the positions still open (or closing), at their last price.';

-- ---------------------------------------------------------------------------------------
-- Read by the demo

create view walltrack.breaker_refusals
with (security_invoker = true)
as
select
  s.id as signal_id,
  s.wallet_id,
  w.label as wallet_label,
  s.token_mint,
  s.decided_at
from walltrack.signals as s
inner join walltrack.wallets as w on s.wallet_id = w.id
where s.decision_reason = 'breaker_active';

revoke all on walltrack.breaker_refusals from public, anon, authenticated;
grant select on walltrack.breaker_refusals to service_role;
comment on view walltrack.breaker_refusals is
'Every copy the circuit breaker refused: the demo''s operator resets an active breaker once '
'it has refused one.';

-- ---------------------------------------------------------------------------------------
-- Read by the report

create view walltrack.equity_curve
with (security_invoker = true)
as
select
  p.id as position_id,
  p.wallet_id,
  w.label as wallet_label,
  p.closed_at,
  p.realized_pnl_sol,
  sum(p.realized_pnl_sol) over (order by p.closed_at, p.id) as equity_sol
from walltrack.positions as p
inner join walltrack.wallets as w on p.wallet_id = w.id
where p.status = 'closed';

revoke all on walltrack.equity_curve from public, anon, authenticated;
grant select on walltrack.equity_curve to service_role;
comment on view walltrack.equity_curve is
'The realized equity curve of the whole book: one point per close, in close order (closed_at, '
'then id), from 0. Not the breaker''s curve, which restarts from the breaker capital at each '
'reset (positions.equity_after_sol).';
comment on column walltrack.equity_curve.equity_sol is
'Realized PnL of this close and every close before it, SOL.';

create view walltrack.wallet_realized_pnl
with (security_invoker = true)
as
select
  w.id as wallet_id,
  w.label,
  count(*) as closes,
  sum(p.realized_pnl_sol) as realized_pnl_sol
from walltrack.wallets as w
inner join walltrack.positions as p on w.id = p.wallet_id
where p.status = 'closed'
group by w.id, w.label;

revoke all on walltrack.wallet_realized_pnl from public, anon, authenticated;
grant select on walltrack.wallet_realized_pnl to service_role;
comment on view walltrack.wallet_realized_pnl is
'Realized PnL of each wallet''s closed positions, now (the scoreboard''s figure is as of its '
'last refresh); a wallet without a close has no row. The report''s PnL per wallet.';

-- ---------------------------------------------------------------------------------------
-- Read by the replay: the signals log it exports, and the figures it compares

create view walltrack.watchlist
with (security_invoker = true)
as
select
  w.id,
  w.address,
  w.label,
  w.status,
  w.mode,
  s.name as exit_strategy,
  w.position_size_sol,
  w.copy_sells,
  exists(
    select from walltrack.signals as g
    where g.wallet_id = w.id
  ) as has_signals
from walltrack.wallets as w
left join walltrack.exit_strategies as s on w.exit_strategy_id = s.id;

revoke all on walltrack.watchlist from public, anon, authenticated;
grant select on walltrack.watchlist to service_role;
comment on view walltrack.watchlist is
'The watched wallets and how each is copied, its exit strategy by name: what the signals log '
'carries of a wallet.';
comment on column walltrack.watchlist.exit_strategy is
'The wallet''s own exit strategy; empty when it follows the default one.';
comment on column walltrack.watchlist.has_signals is
'A swap of it was recorded here: a replay refuses such a wallet, whose history would count.';

create view walltrack.signals_log_config
with (security_invoker = true)
as
select
  c.trading_enabled,
  c.live_trading_enabled,
  c.sizing_mode,
  c.fixed_amount_sol,
  c.leader_fraction,
  c.min_position_sol,
  c.max_position_sol,
  c.max_open_positions,
  c.max_total_exposure_sol,
  c.max_positions_per_token,
  c.default_slippage_bps,
  c.max_slippage_bps,
  c.priority_fee_lamports,
  c.jito_tip_lamports,
  c.order_max_attempts,
  c.retry_backoff_seconds,
  c.sim_slippage_bps,
  c.sim_fee_lamports,
  c.token_cache_ttl_minutes,
  c.min_liquidity_usd,
  c.min_market_cap_usd,
  c.max_market_cap_usd,
  c.min_pool_age_minutes,
  c.max_rugcheck_score,
  c.require_mint_authority_revoked,
  c.require_freeze_authority_revoked,
  c.max_top10_holders_pct,
  c.unknown_token_policy,
  c.breaker_max_daily_loss_sol,
  c.breaker_max_drawdown_pct,
  c.breaker_max_consecutive_losses,
  c.breaker_min_win_rate_pct,
  c.breaker_win_rate_window,
  c.breaker_cooldown_minutes,
  c.position_dust_sol,
  c.helius_sync_interval_minutes,
  c.token_market_ttl_minutes,
  c.token_unknown_ttl_minutes,
  c.breaker_capital_sol
from walltrack.config as c;

revoke all on walltrack.signals_log_config from public, anon, authenticated;
grant select on walltrack.signals_log_config to service_role;
comment on view walltrack.signals_log_config is
'The settings a replay plays under: every config column but the operational state of the '
'database it runs in (the row id, updated_at, the Helius webhook registration). A new config '
'column belongs here unless it is such state (tests/sql/16_read_models.test.sql checks).';

create view walltrack.signals_log_exit_strategies
with (security_invoker = true)
as
select
  s.id,
  s.name,
  s.description,
  s.take_profit_levels,
  s.stop_loss_pct,
  s.trailing_activation_pct,
  s.trailing_distance_pct,
  s.time_exit_minutes,
  s.time_exit_max_pnl_pct,
  s.mirror_leader_sells,
  s.moonbag_pct,
  s.moonbag_keeps_stop_loss,
  s.is_default,
  s.archived
from walltrack.exit_strategies as s;

revoke all on walltrack.signals_log_exit_strategies from public, anon, authenticated;
grant select on walltrack.signals_log_exit_strategies to service_role;
comment on view walltrack.signals_log_exit_strategies is
'The exit strategy catalog as the signals log carries it: each strategy''s rules and flags, '
'by name (id gives the catalog''s order and is not exported).';

create view walltrack.signals_log_tokens
with (security_invoker = true)
as
select
  t.mint,
  t.symbol,
  t.name,
  t.decimals,
  t.supply,
  t.mint_authority,
  t.freeze_authority,
  t.authorities_checked_at,
  t.rugcheck_score,
  t.rugcheck_score_normalised,
  t.risks,
  t.top10_holders_pct,
  t.lp_locked_pct,
  t.rugged,
  t.pair_address,
  t.dex_id,
  t.liquidity_usd,
  t.market_cap_usd,
  t.fdv_usd,
  t.price_usd,
  t.price_sol,
  t.pair_created_at,
  t.manual_list,
  t.manual_note,
  t.fetched_at,
  t.rugcheck_fetched_at,
  t.market_fetched_at,
  t.failed_sources
from walltrack.tokens as t;

revoke all on walltrack.signals_log_tokens from public, anon, authenticated;
grant select on walltrack.signals_log_tokens to service_role;
comment on view walltrack.signals_log_tokens is
'What each source said about each token, the manual list and when each source last answered, '
'without the verdict: a replay judges the facts again under its own settings.';

create view walltrack.wallet_results
with (security_invoker = true)
as
select
  w.id as wallet_id,
  w.address,
  w.label,
  p.positions_closed as trades,
  p.wins,
  p.win_rate_pct,
  p.realized_pnl_sol,
  p.max_drawdown_sol,
  p.profit_factor,
  p.signals_copied as copied,
  p.positions_opened - p.positions_closed as unclosed_positions,
  p.refreshed_at
from walltrack.performance as p
inner join walltrack.wallets as w on p.wallet_id = w.id
where p.time_window = 'all';

revoke all on walltrack.wallet_results from public, anon, authenticated;
grant select on walltrack.wallet_results to service_role;
comment on view walltrack.wallet_results is
'Each wallet''s all-time results as of the last performance refresh: what a replay compares, '
'wallet by wallet.';
comment on column walltrack.wallet_results.unclosed_positions is
'Positions opened and not closed: still open at the end of a replay.';

create view walltrack.wallet_orders_by_reason
with (security_invoker = true)
as
select
  w.id as wallet_id,
  w.address,
  w.label,
  o.side,
  o.reason,
  count(*) as orders,
  count(*) filter (where o.status = 'confirmed') as confirmed
from walltrack.orders as o
inner join walltrack.positions as p on o.position_id = p.id
inner join walltrack.wallets as w on p.wallet_id = w.id
group by w.id, w.address, w.label, o.side, o.reason;

revoke all on walltrack.wallet_orders_by_reason from public, anon, authenticated;
grant select on walltrack.wallet_orders_by_reason to service_role;
comment on view walltrack.wallet_orders_by_reason is
'walltrack.orders_by_reason wallet by wallet: a replay''s exits by reason (confirmed sells).';
comment on column walltrack.wallet_orders_by_reason.confirmed is
'Of those, how many were filled.';

create view walltrack.wallet_decisions_by_reason
with (security_invoker = true)
as
select
  w.id as wallet_id,
  w.address,
  w.label,
  s.decision,
  s.decision_reason,
  count(*) as signals
from walltrack.signals as s
inner join walltrack.wallets as w on s.wallet_id = w.id
where s.decision is not null
group by w.id, w.address, w.label, s.decision, s.decision_reason;

revoke all on walltrack.wallet_decisions_by_reason from public, anon, authenticated;
grant select on walltrack.wallet_decisions_by_reason to service_role;
comment on view walltrack.wallet_decisions_by_reason is
'Decided signals per wallet, decision and reason: why a replay copied or skipped.';

create function walltrack.combined_results(wallet_addresses text[])
returns table (
  trades bigint,
  wins bigint,
  win_rate_pct numeric,
  realized_pnl_sol numeric,
  profit_factor numeric,
  max_drawdown_sol numeric
)
language sql
stable
set search_path = ''
as $$
  -- The ratios of several wallets together cannot be added up from each wallet's: they come
  -- from the closes themselves, the drawdown from the equity curve each close stamps. That
  -- curve starts at the breaker's last reset: a replay resets it before it plays, so the
  -- curve is the replay's closes, in their order.
  select
    count(*) as trades,
    count(*) filter (where p.realized_pnl_sol > 0) as wins,
    round(100.0 * count(*) filter (where p.realized_pnl_sol > 0) / nullif(count(*), 0), 2)
      as win_rate_pct,
    coalesce(sum(p.realized_pnl_sol), 0) as realized_pnl_sol,
    round(coalesce(sum(p.realized_pnl_sol) filter (where p.realized_pnl_sol > 0), 0)
      / nullif(-sum(p.realized_pnl_sol) filter (where p.realized_pnl_sol < 0), 0), 4)
      as profit_factor,
    coalesce(max(p.equity_peak_after_sol - p.equity_after_sol), 0) as max_drawdown_sol
  from walltrack.positions as p
  inner join walltrack.wallets as w on p.wallet_id = w.id
  where p.status = 'closed' and w.address = any(wallet_addresses);
$$;

revoke all on function walltrack.combined_results(text[]) from public, anon, authenticated;
grant execute on function walltrack.combined_results(text[]) to service_role;
comment on function walltrack.combined_results(text[]) is
'The closes of these wallets (by address) taken together: trades, wins, win rate %, realized '
'PnL, profit factor and the largest fall of the equity curve since the breaker''s last reset. '
'A replay''s "all wallets" line.';

-- ======================================================================================
-- supabase/schemas/17_schedules.sql
-- ======================================================================================

-- Schedules: the pg_cron jobs, each calling one walltrack function (never an api one).
-- pg_cron runs them in this database as the role that created them; hosted Supabase
-- enables the extension the same way.

create extension if not exists pg_cron with schema pg_catalog;

grant usage on schema cron to postgres;

select cron.schedule(
  'walltrack-breaker-check', '* * * * *', 'select walltrack.check_circuit_breaker()'
);

select cron.schedule(
  'walltrack-release-leases', '* * * * *', 'select walltrack.release_expired_leases()'
);

select cron.schedule(
  'walltrack-purge-tokens', '17 * * * *', 'select walltrack.purge_expired_tokens()'
);

select cron.schedule(
  'walltrack-performance-refresh', '7 3 * * *', 'select walltrack.refresh_performance()'
);

-- ======================================================================================
-- supabase/schemas/18_api.sql
-- ======================================================================================

-- The RPC surface (schema `api`, the only one PostgREST exposes; service_role only): one thin
-- entry point per call the functions, the scheduler or an operator make. Each runs the
-- walltrack function of the same name; the rules live there, never here, and nothing inside
-- the database calls an api function. No overloads: PostgREST resolves a call by its
-- argument names.

-- Health

create function api.overview()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select walltrack.overview();
$$;
comment on function api.overview() is
'RPC of walltrack.overview, for health checks and the report.';
grant execute on function api.overview() to service_role;

-- Helius sync (ADR-001): the helius-sync function

create function api.helius_sync_plan(webhook_url text)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select walltrack.helius_sync_plan(webhook_url);
$$;
comment on function api.helius_sync_plan(text) is
'RPC of walltrack.helius_sync_plan, for the helius-sync function.';
grant execute on function api.helius_sync_plan(text) to service_role;

create function api.helius_sync_done(webhook_id text, webhook_url text, address_hash text)
returns void
language sql
security invoker
set search_path = ''
as $$
  select walltrack.helius_sync_done(webhook_id, webhook_url, address_hash);
$$;
comment on function api.helius_sync_done(text, text, text) is
'RPC of walltrack.helius_sync_done, for the helius-sync function.';
grant execute on function api.helius_sync_done(text, text, text) to service_role;

-- Tokens: the read-through cache, for the webhook and token-lookup

create function api.tokens_to_fetch(swaps jsonb, claim_seconds numeric default 3)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.tokens_to_fetch(swaps, claim_seconds);
$$;
comment on function api.tokens_to_fetch(jsonb, numeric) is
'RPC of walltrack.tokens_to_fetch, for '
'a caller that asks which token facts to fetch before it ingests.';
grant execute on function api.tokens_to_fetch(jsonb, numeric) to service_role;

create function api.store_token_facts(facts jsonb)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.store_token_facts(facts);
$$;
comment on function api.store_token_facts(jsonb) is
'RPC of walltrack.store_token_facts, for '
'the token-lookup function and the webhook''s read-through.';
grant execute on function api.store_token_facts(jsonb) to service_role;

create function api.load_token_facts(tokens jsonb)
returns integer
language sql
security invoker
set search_path = ''
as $$
  select walltrack.load_token_facts(tokens);
$$;
comment on function api.load_token_facts(jsonb) is
'RPC of walltrack.load_token_facts, for the what-if replay.';
grant execute on function api.load_token_facts(jsonb) to service_role;

create function api.tokens_to_refresh(
  mints text[] default null, max_tokens integer default 100, claim_seconds numeric default 10
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.tokens_to_refresh(mints, max_tokens, claim_seconds);
$$;
comment on function api.tokens_to_refresh(text[], integer, numeric) is
'RPC of walltrack.tokens_to_refresh, for the token-lookup function.';
grant execute on function api.tokens_to_refresh(text[], integer, numeric) to service_role;

-- Signals and copy decisions: the webhook

create function api.ingest_swaps(transactions jsonb, fetch_tokens boolean default false)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.ingest_delivery(transactions, fetch_tokens);
$$;
comment on function api.ingest_swaps(jsonb, boolean) is
'RPC of walltrack.ingest_delivery, for the helius-webhook function and the replay.';
grant execute on function api.ingest_swaps(jsonb, boolean) to service_role;

-- Exit engine: price-refresh

create function api.apply_prices(prices jsonb, missing text[] default '{}')
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.apply_prices(prices, missing);
$$;
comment on function api.apply_prices(jsonb, text[]) is
'RPC of walltrack.apply_prices, for the price-refresh function and the replay.';
grant execute on function api.apply_prices(jsonb, text[]) to service_role;

create function api.live_position_mints()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select walltrack.live_position_mints();
$$;
comment on function api.live_position_mints() is
'RPC of walltrack.live_position_mints, for the price-refresh function.';
grant execute on function api.live_position_mints() to service_role;

-- Circuit breaker (ADR-004): the operator and health checks

create function api.breaker_state()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select walltrack.breaker_state();
$$;
comment on function api.breaker_state() is
'RPC of walltrack.breaker_state, for operators, the demo and the report.';
grant execute on function api.breaker_state() to service_role;

create function api.check_circuit_breaker()
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.check_circuit_breaker();
$$;
comment on function api.check_circuit_breaker() is
'RPC of walltrack.check_circuit_breaker, for '
'operators and health checks (pg_cron runs the walltrack function).';
grant execute on function api.check_circuit_breaker() to service_role;

create function api.reset_circuit_breaker(operator text, note text)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.reset_circuit_breaker(operator, note);
$$;
comment on function api.reset_circuit_breaker(text, text) is
'RPC of walltrack.reset_circuit_breaker, for an operator, from the SQL editor.';
grant execute on function api.reset_circuit_breaker(text, text) to service_role;

create function api.restart_equity_curve(operator text, note text)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.restart_equity_curve(operator, note);
$$;
comment on function api.restart_equity_curve(text, text) is
'RPC of walltrack.restart_equity_curve, for the what-if replay and an operator.';
grant execute on function api.restart_equity_curve(text, text) to service_role;

-- Live execution: execute-orders and confirm-orders

create function api.claim_orders(
  worker text, order_ids bigint[] default null, max_orders integer default 10,
  lease_seconds integer default 60
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.claim_orders(worker, order_ids, max_orders, lease_seconds);
$$;
comment on function api.claim_orders(text, bigint[], integer, integer) is
'RPC of walltrack.claim_orders, for the execute-orders function.';
grant execute on function api.claim_orders(text, bigint[], integer, integer) to service_role;

create function api.record_signed(
  order_id bigint, worker text, tx_signature text, last_valid_block_height bigint,
  quoted_out numeric, min_out numeric, priority_fee_lamports bigint, tip_lamports bigint
)
returns void
language sql
security invoker
set search_path = ''
as $$
  select walltrack.record_signed(
    order_id, worker, tx_signature, last_valid_block_height, quoted_out, min_out,
    priority_fee_lamports, tip_lamports
  );
$$;
comment on function api.record_signed(
  bigint, text, text, bigint, numeric, numeric, bigint, bigint
) is
'RPC of walltrack.record_signed, for the execute-orders function.';
grant execute on function api.record_signed(
  bigint, text, text, bigint, numeric, numeric, bigint, bigint
) to service_role;

create function api.orders_to_confirm(max_orders integer default 256)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select walltrack.orders_to_confirm(max_orders);
$$;
comment on function api.orders_to_confirm(integer) is
'RPC of walltrack.orders_to_confirm, for the confirm-orders function.';
grant execute on function api.orders_to_confirm(integer) to service_role;

create function api.record_fill(
  order_id bigint, tx_signature text, filled_in numeric, filled_out numeric, fee_lamports bigint
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.record_fill(order_id, tx_signature, filled_in, filled_out, fee_lamports);
$$;
comment on function api.record_fill(bigint, text, numeric, numeric, bigint) is
'RPC of walltrack.record_fill, for the confirm-orders function.';
grant execute on function api.record_fill(bigint, text, numeric, numeric, bigint) to service_role;

create function api.record_failure(
  order_id bigint, tx_signature text, error_class text, detail text
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.record_failure(order_id, tx_signature, error_class, detail);
$$;
comment on function api.record_failure(bigint, text, text, text) is
'RPC of walltrack.record_failure, for the execute-orders and confirm-orders functions.';
grant execute on function api.record_failure(bigint, text, text, text) to service_role;

create function api.expire_unlanded(unknown jsonb, block_height bigint)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.expire_unlanded(unknown, block_height);
$$;
comment on function api.expire_unlanded(jsonb, bigint) is
'RPC of walltrack.expire_unlanded, for the confirm-orders function.';
grant execute on function api.expire_unlanded(jsonb, bigint) to service_role;

-- Performance (ADR-003)

create function api.refresh_performance()
returns timestamptz
language sql
-- Security definer: only the view's owner may refresh it, and the call takes no input.
security definer
set search_path = ''
as $$
  select walltrack.refresh_performance();
$$;
comment on function api.refresh_performance() is
'Refreshes the performance scoreboard now, without blocking readers; returns the refresh time.';
grant execute on function api.refresh_performance() to service_role;
