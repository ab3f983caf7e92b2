-- Benchmark data for the scoreboard refresh and the breaker check: 1,000 wallets, 1,000
-- tokens, 1.01M signals over 60 days and 100k round trips (position closed, a buy and a mirror
-- sell order each, the leader's two signals), plus 1,000 open positions.
--
-- Written in bulk with the replica role, which skips triggers: the rows are made exactly as
-- the fill triggers would leave them (money columns, the equity curve stamped on each close)
-- so the measured functions read a realistic book. Trade k (1..101,000) makes pnl_k, spread
-- over -0.45..+0.549 SOL per 1 SOL trade; trades above 100,000 stay open.
set session_replication_role = replica;

create temporary table bench_wallet as
select n, rpad('BenchW' || translate(n::text, '0', 'z') || 'x', 44, '1') as address
from generate_series(0, 999) as n;
insert into walltrack.wallets (address, label)
select address, 'bench ' || n from bench_wallet;

create temporary table bench_mint as
select n, rpad('BenchM' || translate(n::text, '0', 'z') || 'x', 44, '1') as mint
from generate_series(0, 999) as n;
insert into walltrack.tokens (mint, symbol, decimals)
select mint, 'B' || n, 6 from bench_mint;

create temporary table bench_trade as
select
  k,
  (select w.id from walltrack.wallets as w where w.address = bw.address) as wallet_id,
  bm.mint,
  round(((k * 7919) % 1000 - 450) / 1000.0, 3) as pnl_sol,
  now() - (101000 - k) * interval '50 seconds' as opened_at,
  now() - (101000 - k) * interval '50 seconds' + (k % 7200) * interval '1 second' as closed_at
from generate_series(1, 101000) as k
inner join bench_wallet as bw on bw.n = k % 1000
inner join bench_mint as bm on bm.n = k % 1000;
analyze bench_trade;

-- Ten signals per trade: its buy (j = 0) and sell (j = 1), then eight skipped ones.
create temporary table bench_signal_id (k integer, j integer, id bigint);
with inserted as (
  insert into walltrack.signals (
    signature, received_at, wallet_id, source, side, token_mint, token_amount, token_decimals,
    quote_mint, quote_amount, quote_decimals, price_sol, raw, decision, decision_reason,
    decided_at
  )
  select
    rpad('BenchSig' || translate((10 * t.k + j)::text, '0', 'z') || 'x', 88, '1'),
    case when j % 2 = 0 then t.opened_at else least(t.closed_at, now()) end,
    t.wallet_id, 'JUPITER', case when j % 2 = 0 then 'buy' else 'sell' end::walltrack.trade_side,
    t.mint, 1000000000, 6, 'So11111111111111111111111111111111111111112',
    case when j % 2 = 0 then 1000000000 else (1 + t.pnl_sol) * 1000000000 end, 9,
    case when j % 2 = 0 then 0.001 else 0.001 * (1 + t.pnl_sol) end,
    jsonb_build_object('k', t.k, 'j', j),
    case when j < 2 then 'copied' else 'skipped' end::walltrack.signal_decision,
    case when j < 2 then 'copied' else 'token_unsafe' end,
    case when j % 2 = 0 then t.opened_at else least(t.closed_at, now()) end
  from bench_trade as t cross join generate_series(0, 9) as j
  returning id, raw
)
insert into bench_signal_id
select (raw ->> 'k')::integer, (raw ->> 'j')::integer, id from inserted;
create index on bench_signal_id (k, j);
analyze bench_signal_id;

insert into walltrack.positions (
  wallet_id, token_mint, token_decimals, mode, status, opened_from_signal_id, exit_strategy_id,
  exit_strategy_snapshot, qty_bought, cost_basis_sol, avg_entry_price_sol, qty_sold,
  proceeds_sol, realized_pnl_sol, close_reason, closed_at, last_price_sol, last_price_at,
  unrealized_pnl_sol, peak_price_sol, opened_at, equity_after_sol, equity_peak_after_sol,
  losing_streak_after
)
select
  t.wallet_id, t.mint, 6, 'simulation',
  case when t.k <= 100000 then 'closed' else 'open' end::walltrack.position_status,
  buy.id, d.id, walltrack.exit_strategy_rules(d), 1000000000, 1, 0.001,
  case when t.k <= 100000 then 1000000000 else 0 end,
  case when t.k <= 100000 then 1 + t.pnl_sol else 0 end,
  case when t.k <= 100000 then t.pnl_sol else 0 end,
  case when t.k <= 100000 then 'mirror_sell' end::walltrack.order_reason,
  case when t.k <= 100000 then t.closed_at end,
  0.001 * (1 + t.pnl_sol), least(t.closed_at, now()),
  case when t.k <= 100000 then 0 else t.pnl_sol end, 0.001 * (1 + greatest(t.pnl_sol, 0)),
  t.opened_at, null, null, null
from bench_trade as t
inner join bench_signal_id as buy on t.k = buy.k and buy.j = 0
cross join (select e.* from walltrack.exit_strategies as e where e.is_default) as d;

insert into walltrack.orders (
  position_id, signal_id, side, reason, mode, input_mint, output_mint, amount_in, slippage_bps,
  idempotency_key, status, attempts, max_attempts, filled_in, filled_out, fill_price_sol,
  quoted_price_sol, realized_slippage_bps, network_fee_lamports, created_at, submitted_at,
  confirmed_at
)
select
  p.id, s.id, s.side, case s.side when 'buy' then 'copy_entry' else 'mirror_sell' end::walltrack.order_reason,
  'simulation', case s.side when 'buy' then s.quote_mint else s.token_mint end,
  case s.side when 'buy' then s.token_mint else s.quote_mint end,
  case s.side when 'buy' then s.quote_amount else s.token_amount end, 100,
  'bench-' || s.id, 'confirmed', 1, 3,
  case s.side when 'buy' then s.quote_amount else s.token_amount end,
  case s.side when 'buy' then s.token_amount else s.quote_amount end,
  s.price_sol, s.price_sol, 0, 0, s.received_at, s.received_at, s.received_at
from walltrack.positions as p
inner join bench_signal_id as buy on p.opened_from_signal_id = buy.id
inner join bench_signal_id as si on buy.k = si.k and si.j < 2
inner join walltrack.signals as s on si.id = s.id
where si.j = 0 or p.status = 'closed';

-- The equity curve as the close trigger stamps it: capital + realized, running peak, and
-- the losing streak (closes since the last non-losing one).
with curve as (
  select
    p.id,
    p.realized_pnl_sol,
    c.breaker_capital_sol + sum(p.realized_pnl_sol) over in_order as equity,
    count(*) filter (where p.realized_pnl_sol >= 0) over in_order as streak_group,
    p.closed_at
  from walltrack.positions as p cross join walltrack.config as c
  where p.status = 'closed'
  window in_order as (order by p.closed_at, p.id)
),
stamped as (
  select
    id,
    equity,
    greatest(max(equity) over in_order, (select breaker_capital_sol from walltrack.config))
      as peak,
    count(*) filter (where realized_pnl_sol < 0) over (
      partition by streak_group order by closed_at, id
    ) as streak
  from curve
  window in_order as (order by closed_at, id)
)
update walltrack.positions as p
set equity_after_sol = s.equity, equity_peak_after_sol = s.peak, losing_streak_after = s.streak
from stamped as s where p.id = s.id;

set session_replication_role = origin;
