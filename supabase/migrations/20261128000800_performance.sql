-- performance — Materialized View: per-wallet metrics precomputed for the dashboard
-- (ADR-003), one row per wallet and window (24h, 7d, 30d, all). A wallet with no trades
-- still has its rows, with zeros. Refreshed concurrently, so readers are never blocked.

create materialized view walltrack.performance as
with time_windows (time_window, span) as (
  values ('24h', interval '24 hours'), ('7d', interval '7 days'),
  ('30d', interval '30 days'), ('all', null::interval)
),

signal_counts as (
  select
    w.id as wallet_id,
    tw.time_window,
    count(s.id) as signals_seen,
    count(s.id) filter (where s.decision = 'copied') as signals_copied
  from walltrack.wallets as w
  cross join time_windows as tw
  left join walltrack.signals as s
    on w.id = s.wallet_id and (tw.span is null or s.received_at >= now() - tw.span)
  group by w.id, tw.time_window
),

position_counts as (
  select
    w.id as wallet_id,
    tw.time_window,
    count(p.id) filter (
      where tw.span is null or p.opened_at >= now() - tw.span
    ) as positions_opened,
    count(p.id) filter (
      where p.status = 'closed' and (tw.span is null or p.closed_at >= now() - tw.span)
    ) as positions_closed,
    count(p.id) filter (
      where p.status = 'closed' and p.realized_pnl_sol > 0
      and (tw.span is null or p.closed_at >= now() - tw.span)
    ) as wins,
    coalesce(sum(p.realized_pnl_sol) filter (
      where p.status = 'closed' and (tw.span is null or p.closed_at >= now() - tw.span)
    ), 0) as realized_pnl_sol
  from walltrack.wallets as w
  cross join time_windows as tw
  left join walltrack.positions as p on w.id = p.wallet_id
  group by w.id, tw.time_window
),

open_book as (
  select
    p.wallet_id,
    sum(p.cost_basis_sol * (p.qty_bought - p.qty_sold) / nullif(p.qty_bought, 0))
      as open_exposure_sol,
    sum(p.unrealized_pnl_sol) as unrealized_pnl_sol
  from walltrack.positions as p
  where p.status in ('open', 'closing')
  group by p.wallet_id
)

select
  sc.wallet_id,
  sc.time_window,
  sc.signals_seen,
  sc.signals_copied,
  pc.positions_opened,
  pc.positions_closed,
  pc.wins,
  pc.realized_pnl_sol,
  w.baseline_win_rate_pct,
  w.baseline_pnl_sol,
  now() as refreshed_at,
  round(100.0 * sc.signals_copied / nullif(sc.signals_seen, 0), 2) as copied_pct,
  round(100.0 * pc.wins / nullif(pc.positions_closed, 0), 2) as win_rate_pct,
  coalesce(ob.open_exposure_sol, 0) as open_exposure_sol,
  coalesce(ob.unrealized_pnl_sol, 0) as unrealized_pnl_sol
from signal_counts as sc
inner join position_counts as pc
  on sc.wallet_id = pc.wallet_id and sc.time_window = pc.time_window
inner join walltrack.wallets as w on sc.wallet_id = w.id
left join open_book as ob on sc.wallet_id = ob.wallet_id
with data;

create unique index performance_wallet_window_idx
on walltrack.performance (wallet_id, time_window);

create function walltrack.refresh_performance()
returns void
language plpgsql
set search_path = ''
as $$
-- Concurrent refresh: readers keep the previous figures until the new ones are ready.
begin
  refresh materialized view concurrently walltrack.performance;
end;
$$;
comment on function walltrack.refresh_performance() is
'Refreshes the performance view without blocking readers.';

grant select on walltrack.performance to service_role;

comment on materialized view walltrack.performance is
'Materialized View: per-wallet metrics for windows 24h / 7d / 30d / all (one row per wallet '
'and window, zeros for a wallet with no trades). Refreshed by walltrack.refresh_performance().';
comment on column walltrack.performance.wallet_id is 'The watched wallet.';
comment on column walltrack.performance.time_window is '24h, 7d, 30d or all.';
comment on column walltrack.performance.signals_seen is
'Swaps of the wallet received in the window.';
comment on column walltrack.performance.signals_copied is 'Of those, how many were copied.';
comment on column walltrack.performance.copied_pct is
'signals_copied / signals_seen, %; empty with no signal.';
comment on column walltrack.performance.positions_opened is 'Positions opened in the window.';
comment on column walltrack.performance.positions_closed is 'Positions closed in the window.';
comment on column walltrack.performance.wins is 'Closed positions with positive realized PnL.';
comment on column walltrack.performance.win_rate_pct is
'wins / positions_closed, %; empty with no close.';
comment on column walltrack.performance.realized_pnl_sol is
'Realized PnL of positions closed in the window.';
comment on column walltrack.performance.open_exposure_sol is
'Cost basis still held, at refresh time.';
comment on column walltrack.performance.unrealized_pnl_sol is
'Unrealized PnL of open positions, at refresh time.';
comment on column walltrack.performance.baseline_win_rate_pct is 'Win rate measured at discovery.';
comment on column walltrack.performance.baseline_pnl_sol is 'PnL measured at discovery.';
comment on column walltrack.performance.refreshed_at is 'When these figures were computed.';

-- Rollback:
-- drop function walltrack.refresh_performance();
-- drop materialized view walltrack.performance;
