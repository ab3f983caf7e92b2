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
      when s.received_at >= walltrack.clock() - interval '24 hours' then 1
      when s.received_at >= walltrack.clock() - interval '7 days' then 2
      when s.received_at >= walltrack.clock() - interval '30 days' then 3
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
  inner join time_windows as tw on tw.span is null or p.opened_at >= walltrack.clock() - tw.span
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
  inner join time_windows as tw on tw.span is null or p.closed_at >= walltrack.clock() - tw.span
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
  walltrack.clock() as refreshed_at
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
  return walltrack.clock();
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
  p.wallet_id,
  -- Live, not refreshed: a block on the wallet's live buys shows at once.
  (
    select count(*) from walltrack.chain_findings as f
    where f.resolved_at is null and exists (
      select from walltrack.positions as lp
      where
        lp.wallet_id = p.wallet_id and lp.token_mint = f.token_mint and lp.mode = 'live'
        and lp.status in ('opening', 'open', 'closing')
    )
  ) as open_chain_findings,
  -- Live as well: what paused the leader, while its protections hold it.
  (
    select case when e.event_type = 'paused' then e.trigger::text end
    from walltrack.leader_pause_events as e
    where e.wallet_id = p.wallet_id
    order by e.created_at desc, e.id desc
    limit 1
  ) as paused_by,
  -- How its copies are sized now: its own size, else the config's mode.
  coalesce(
    'wallet ' || w.position_size_sol || ' SOL',
    (select c.sizing_mode::text from walltrack.config as c)
  ) as sizing,
  -- Live: the consensus entries it helped form (10_consensus.sql).
  (
    select count(*) from walltrack.signals as s
    where
      s.decision = 'copied' and s.consensus is not null
      and s.consensus -> 'leaders' @> jsonb_build_array(
        jsonb_build_object('wallet_id', p.wallet_id)
      )
  ) as consensus_entries
from walltrack.performance as p
inner join walltrack.wallets as w on p.wallet_id = w.id
order by w.label, w.id, array_position(array['24h', '7d', '30d', 'all'], p.time_window);

revoke all on walltrack.scoreboard from public, anon, authenticated;

grant select on walltrack.scoreboard to service_role;
comment on view walltrack.scoreboard is
'The performance scoreboard as Studio shows it best: one line per wallet and window, the '
'figures an operator decides on first, each actual next to its baseline. Refresh with '
'select api.refresh_performance();';
comment on column walltrack.scoreboard.consensus_entries is
'The consensus entries the wallet helped form (a copy whose signals.consensus names it), '
'counted now.';
comment on column walltrack.scoreboard.sizing is
'How the wallet''s copies are sized now: its own position_size_sol, else config.sizing_mode '
'(each copy''s own sizing is in signals.copy_sizing).';
comment on column walltrack.scoreboard.paused_by is
'While the leader''s protections pause it: what paused it (consecutive_losses, window_loss, '
'below_baseline), read now; empty otherwise.';
comment on column walltrack.scoreboard.open_chain_findings is
'Unresolved chain findings (walltrack.chain_finding_list) on tokens the wallet''s open live '
'positions hold, counted now (not at the last refresh).';
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
