-- Position accounting: order fills keep each position's money true (average-cost method),
-- and nothing else may write those columns. Simulation fills are modelled here too, so
-- copies and exits fill the same way whoever creates them.

alter table walltrack.config
add column position_dust_sol numeric not null default 0.00001,
add constraint config_dust_range check (walltrack.ensure(
  position_dust_sol >= 0 and position_dust_sol < 1,
  'config.position_dust_sol must be within [0, 1) SOL'
));
comment on column walltrack.config.position_dust_sol is
'A position whose remaining cost falls below this (SOL) after a sell is closed: the dust is '
'written off into realized PnL.';

-- Net proceeds can be negative: selling dust can cost more in fees than it brings.
alter table walltrack.positions drop constraint positions_quantities_consistent;
alter table walltrack.positions add constraint positions_quantities_consistent check (
  walltrack.ensure(
    qty_bought >= 0 and qty_sold >= 0 and qty_sold <= qty_bought and cost_basis_sol >= 0,
    format('position quantities inconsistent: sold %s of %s bought', qty_sold, qty_bought)
  )
);

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

create function walltrack.trigger_position_money()
returns trigger
language plpgsql
set search_path = ''
as $$
-- The accumulators (quantities, cost, proceeds, realized) are written only by the fill
-- trigger, a nested trigger (depth > 1): a direct statement may not touch any money
-- column. The derived figures are then recomputed from the accumulators and last price.
declare
  held_tokens numeric;
  open_cost numeric;
begin
  if pg_trigger_depth() = 1 then
    perform walltrack.ensure(
      tg_op = 'UPDATE'
      and (new.qty_bought, new.cost_basis_sol, new.avg_entry_price_sol, new.qty_sold,
        new.proceeds_sol, new.realized_pnl_sol, new.close_reason, new.closed_at,
        new.unrealized_pnl_sol, new.peak_price_sol)
      is not distinct from
      (old.qty_bought, old.cost_basis_sol, old.avg_entry_price_sol, old.qty_sold,
        old.proceeds_sol, old.realized_pnl_sol, old.close_reason, old.closed_at,
        old.unrealized_pnl_sol, old.peak_price_sol)
      or tg_op = 'INSERT'
      and (new.qty_bought, new.cost_basis_sol, new.qty_sold, new.proceeds_sol,
        new.realized_pnl_sol) = (0, 0, 0, 0, 0)
      and new.close_reason is null and new.closed_at is null,
      'position money columns are kept by the order fills: they cannot be edited directly',
      'Record a fill on the position''s order instead; per-position exit rules go in '
      || 'exit_strategy_override.');
  end if;
  held_tokens := (new.qty_bought - new.qty_sold) / 10::numeric ^ new.token_decimals;
  open_cost := walltrack.position_open_cost_sol(new);
  -- Only a buy moves the average entry: recomputing it after a sell would only add the
  -- lamport rounding of the cost sold.
  if held_tokens > 0 and (tg_op = 'INSERT' or new.qty_bought <> old.qty_bought) then
    new.avg_entry_price_sol := round(open_cost / held_tokens, 18);
  end if;
  new.peak_price_sol := greatest(new.peak_price_sol, new.last_price_sol);
  new.unrealized_pnl_sol := case
    when new.status = 'closed' or held_tokens = 0 then 0
    when new.last_price_sol is not null then round(held_tokens * new.last_price_sol - open_cost, 9)
  end;
  return new;
end;
$$;
comment on function walltrack.trigger_position_money() is
'Refuses direct writes of a position''s money columns (only order fills change them) and '
'derives average entry, peak price and unrealized PnL.';

create trigger positions_before_write_money
before insert or update on walltrack.positions
for each row execute function walltrack.trigger_position_money();

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

create trigger orders_after_write_apply_fill
after insert or update of status on walltrack.orders
for each row
when (new.status = 'confirmed')
execute function walltrack.trigger_order_apply_fill();

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

create trigger orders_after_update_fail_entry
after update of status on walltrack.orders
for each row
when (new.side = 'buy' and new.status in ('failed', 'cancelled'))
execute function walltrack.trigger_order_fail_entry();

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

-- Rollback:
-- drop function walltrack.place_order(
--   bigint, bigint, walltrack.trade_side, walltrack.order_reason, walltrack.trade_mode, text,
--   numeric, text, walltrack.config, smallint, numeric, integer
-- );
-- drop trigger orders_after_update_fail_entry on walltrack.orders;
-- drop function walltrack.trigger_order_fail_entry();
-- drop trigger orders_after_write_apply_fill on walltrack.orders;
-- drop function walltrack.trigger_order_apply_fill();
-- drop trigger positions_before_write_money on walltrack.positions;
-- drop function walltrack.trigger_position_money();
-- drop function walltrack.position_open_cost_sol(walltrack.positions);
-- alter table walltrack.config drop column position_dust_sol;
