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
    'signals_pending', (
      select count(*) from walltrack.signals as s where s.decision is null
    ),
    'orders', (select count(*) from walltrack.orders),
    'positions', (select count(*) from walltrack.positions),
    'open_positions', (
      select count(*) from walltrack.positions as p where p.status in ('open', 'closing')
    ),
    'circuit_breaker_events', (select count(*) from walltrack.circuit_breaker_events),
    'faults', (select count(*) from walltrack.faults),
    'trading_enabled', (select c.trading_enabled from walltrack.config as c),
    'live_trading_enabled', (select c.live_trading_enabled from walltrack.config as c)
  );
$$;
comment on function walltrack.overview() is
'Row counts per WallTrack table and the trading switches, for health checks and the demo.';
grant execute on function walltrack.overview() to service_role;

create view walltrack.delivery_health
with (security_invoker = true)
as
select
  w.id as wallet_id,
  w.address,
  w.label,
  w.status,
  last_webhook.received_at as last_delivery_at,
  w.history_checked_at as last_backfill_at,
  counts.by_webhook as swaps_by_webhook,
  counts.by_backfill as swaps_by_backfill,
  round(100.0 * counts.by_backfill / nullif(counts.by_webhook + counts.by_backfill, 0), 1)
    as backfill_share_pct,
  walltrack.clock() - last_webhook.received_at as webhook_silent_for,
  counts.missed_since_last_delivery,
  counts.missed_since_last_delivery > 0 as flagged
from walltrack.wallets as w
left join lateral (
  select
    s.received_at,
    s.block_time
  from walltrack.signals as s
  where s.wallet_id = w.id and s.found_by = 'webhook'
  order by s.block_time desc nulls last limit 1
) as last_webhook on true
cross join lateral (
  select
    count(*) filter (where s.found_by = 'webhook') as by_webhook,
    count(*) filter (where s.found_by = 'backfill') as by_backfill,
    count(*) filter (
      where s.found_by = 'backfill'
      and s.block_time > coalesce(last_webhook.block_time, '-infinity')
    ) as missed_since_last_delivery
  from walltrack.signals as s
  where s.wallet_id = w.id
) as counts;

revoke all on walltrack.delivery_health from public, anon, authenticated;
grant select on walltrack.delivery_health to service_role;
comment on view walltrack.delivery_health is
'Per wallet, whether Helius delivers its swaps: the last delivery, the last history read '
'(backfill), the swaps each found, and a flag when backfill keeps finding swaps the webhook '
'never delivered. Counts are swaps (signals).';
comment on column walltrack.delivery_health.last_delivery_at is
'When the wallet''s newest swap delivered by the webhook was received; empty = never.';
comment on column walltrack.delivery_health.last_backfill_at is
'When helius-backfill last read the wallet''s history to its end; empty = never.';
comment on column walltrack.delivery_health.swaps_by_backfill is
'Swaps the webhook missed, found later in the wallet''s history by helius-backfill.';
comment on column walltrack.delivery_health.backfill_share_pct is
'Share of the wallet''s swaps only backfill found, %: above 0, Helius dropped deliveries.';
comment on column walltrack.delivery_health.webhook_silent_for is
'Time since the wallet''s last webhook delivery (a quiet wallet is silent too: read with '
'missed_since_last_delivery).';
comment on column walltrack.delivery_health.missed_since_last_delivery is
'Swaps backfill found that happened after the webhook''s last delivery for this wallet.';
comment on column walltrack.delivery_health.flagged is
'The webhook is silent for this wallet while backfill keeps finding its swaps: check the '
'Helius webhook (helius-sync) and the function''s logs.';

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
  s.decided_at,
  s.found_by,
  s.received_at,
  s.copy_sizing
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
comment on column walltrack.signal_list.received_at is
'When WallTrack received it: the time a replay decides it at.';

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

-- What the operator reads in Studio, and the report lists: every chain finding not resolved
-- yet, the live buys it blocks and the leaders whose positions hold the token.
create view walltrack.chain_finding_list
with (security_invoker = true)
as
select
  f.id,
  f.token_mint,
  k.symbol as token_symbol,
  f.kind,
  case when f.cleared_at is null then 'open' else 'cleared' end as state,
  f.kind in ('phantom', 'deficit') as blocks_live_buys,
  f.db_amount,
  f.chain_amount,
  f.chain_amount - f.db_amount as difference,
  f.token_decimals,
  round(f.sol_balance_lamports / 1e9, 9) as sol_balance_sol,
  (
    select string_agg(distinct w.label, ', ' order by w.label)
    from walltrack.positions as p
    inner join walltrack.wallets as w on p.wallet_id = w.id
    where
      p.token_mint = f.token_mint and p.mode = 'live'
      and p.status in ('opening', 'open', 'closing')
  ) as wallet_labels,
  f.first_seen_at,
  f.last_seen_at,
  f.times_seen,
  f.cleared_at,
  f.owner
from walltrack.chain_findings as f
left join walltrack.tokens as k on f.token_mint = k.mint
where f.resolved_at is null;

revoke all on walltrack.chain_finding_list from public, anon, authenticated;
grant select on walltrack.chain_finding_list to service_role;
comment on view walltrack.chain_finding_list is
'Chain findings not resolved yet, newest mismatch first by id: what reconciliation found the '
'trading key holding differently from the open live positions. Resolve one with '
'api.resolve_chain_finding(finding_id, operator, note).';
comment on column walltrack.chain_finding_list.state is
'open while the mismatch persists; cleared once a run saw the chain agree again (the block '
'stays until resolved).';
comment on column walltrack.chain_finding_list.blocks_live_buys is
'A phantom or deficit: new live buys of the token are refused (chain_mismatch).';
comment on column walltrack.chain_finding_list.difference is
'chain_amount - db_amount, atomic units: negative when the chain holds less.';
comment on column walltrack.chain_finding_list.wallet_labels is
'Leaders whose open live positions hold the token.';

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
  ) as has_signals,
  w.pause_max_consecutive_losses,
  w.pause_max_loss_sol,
  w.pause_max_baseline_gap_pct,
  w.pause_cooldown_minutes
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
  c.breaker_capital_sol,
  c.max_copy_delay_seconds,
  c.priority_fee_percentile,
  c.priority_fee_compute_units,
  c.priority_fee_max_lamports,
  c.leader_max_consecutive_losses,
  c.leader_max_loss_sol,
  c.leader_loss_window_hours,
  c.leader_max_baseline_gap_pct,
  c.leader_baseline_trades,
  c.leader_pause_cooldown_minutes,
  c.balance_fraction,
  c.sim_bankroll_sol,
  c.size_tiers,
  c.min_leader_trade_sol
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
  s.archived,
  s.consensus_min_leaders,
  s.consensus_window_minutes,
  s.consensus_weighted,
  s.consensus_exit
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

create view walltrack.leader_pause_log
with (security_invoker = true)
as
select
  e.id,
  e.created_at,
  w.label as wallet_label,
  w.address as wallet_address,
  e.event_type,
  e.trigger,
  e.threshold,
  e.observed,
  e.actor,
  e.note,
  e.metrics
from walltrack.leader_pause_events as e
inner join walltrack.wallets as w on e.wallet_id = w.id;

revoke all on walltrack.leader_pause_log from public, anon, authenticated;
grant select on walltrack.leader_pause_log to service_role;
comment on view walltrack.leader_pause_log is
'Each leader''s pauses and resumes by its label: the demo''s and the report''s table, and what '
'an operator reads before api.resume_leader.';

create view walltrack.signals_log_resumes
with (security_invoker = true)
as
select
  e.id,
  e.created_at,
  w.address as wallet,
  e.actor,
  e.note
from walltrack.leader_pause_events as e
inner join walltrack.wallets as w on e.wallet_id = w.id
where e.event_type = 'resumed' and e.trigger = 'manual';

revoke all on walltrack.signals_log_resumes from public, anon, authenticated;
grant select on walltrack.signals_log_resumes to service_role;
comment on view walltrack.signals_log_resumes is
'The operators'' resumes of paused leaders, as the signals log carries them: the replay '
'makes each again at its time (when its replay paused that leader too).';

create view walltrack.signals_log_prices
with (security_invoker = true)
as
select
  h.id,
  h.token_mint as mint,
  h.price_sol,
  h.observed_at,
  h.applied_at
from walltrack.price_history as h;

revoke all on walltrack.signals_log_prices from public, anon, authenticated;
grant select on walltrack.signals_log_prices to service_role;
comment on view walltrack.signals_log_prices is
'The price path as the signals log carries it: each price tick applied, with when the '
'source observed it and when it was applied (the replay applies it again then).';

create view walltrack.signals_log_restarts
with (security_invoker = true)
as
select
  e.id,
  e.created_at,
  e.actor,
  e.note
from walltrack.circuit_breaker_events as e
where e.event_type = 'deactivated' and e.trigger = 'manual';

revoke all on walltrack.signals_log_restarts from public, anon, authenticated;
grant select on walltrack.signals_log_restarts to service_role;
comment on view walltrack.signals_log_restarts is
'The operators'' manual breaker resets and equity-curve restarts, as the signals log carries '
'them: the replay makes each again at its time.';

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
