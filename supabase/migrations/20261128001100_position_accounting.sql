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
language sql
immutable
set search_path = ''
as $$
  -- Cost of what is still held. Every sell realizes proceeds minus the cost of what it
  -- sold, so the cost already sold is proceeds - realized.
  select pos.cost_basis_sol - pos.proceeds_sol + pos.realized_pnl_sol;
$$;
comment on function walltrack.position_open_cost_sol(walltrack.positions) is
'Average cost of the quantity still held, in SOL (cost basis minus the cost already sold).';
grant execute on function walltrack.position_open_cost_sol(walltrack.positions) to service_role;

create function walltrack.trigger_position_guard_money()
returns trigger
language plpgsql
set search_path = ''
as $$
-- The money columns are written by the fill trigger (a nested trigger, depth > 1) and
-- derived by trigger_position_derive_money; a direct statement may not touch them.
begin
  if pg_trigger_depth() > 1 then
    return new;
  end if;
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
  return new;
end;
$$;
comment on function walltrack.trigger_position_guard_money() is
'Refuses direct writes of a position''s money columns: only order fills change them.';

create trigger positions_before_write_1_guard_money
before insert or update on walltrack.positions
for each row execute function walltrack.trigger_position_guard_money();

create function walltrack.trigger_position_derive_money()
returns trigger
language plpgsql
set search_path = ''
as $$
-- Derived figures, recomputed from the accumulators and the last price on every write.
declare
  held_tokens numeric := (new.qty_bought - new.qty_sold) / 10::numeric ^ new.token_decimals;
  open_cost numeric := walltrack.position_open_cost_sol(new);
begin
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
comment on function walltrack.trigger_position_derive_money() is
'Derives average entry price, peak price and unrealized PnL from the fills and last price.';

create trigger positions_before_write_2_derive_money
before insert or update on walltrack.positions
for each row execute function walltrack.trigger_position_derive_money();

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
  select p.* into strict pos from walltrack.positions as p where p.id = new.position_id
  for update;
  held := pos.qty_bought - pos.qty_sold;
  if new.side = 'buy' then
    pos.qty_bought := pos.qty_bought + new.filled_out;
    pos.cost_basis_sol := pos.cost_basis_sol + new.filled_in / 1e9 + fees_sol;
    pos.status := case when pos.status = 'opening' then 'open' else pos.status end;
  else
    perform walltrack.ensure(new.filled_in <= held,
      format('order %s sold %s but position %s holds %s', new.id, new.filled_in, pos.id, held));
    cost_sold := case
      when new.filled_in = held then walltrack.position_open_cost_sol(pos)
      else round(walltrack.position_open_cost_sol(pos) * new.filled_in / held, 9)
    end;
    proceeds := new.filled_out / 1e9 - fees_sol;
    pos.qty_sold := pos.qty_sold + new.filled_in;
    pos.proceeds_sol := pos.proceeds_sol + proceeds;
    pos.realized_pnl_sol := pos.realized_pnl_sol + proceeds - cost_sold;
    if walltrack.position_open_cost_sol(pos) < dust_sol
      or pos.qty_sold = pos.qty_bought then
      pos.realized_pnl_sol := pos.realized_pnl_sol
        - walltrack.position_open_cost_sol(pos);
      pos.status := 'closed';
      pos.close_reason := new.reason;
      pos.closed_at := new.confirmed_at;
    end if;
  end if;
  if pos.last_price_at is null or new.confirmed_at >= pos.last_price_at then
    pos.last_price_sol := new.fill_price_sol;
    pos.last_price_at := new.confirmed_at;
  end if;
  update walltrack.positions as p
  set
    qty_bought = pos.qty_bought,
    cost_basis_sol = pos.cost_basis_sol,
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

create function walltrack.fill_simulated_order(order_id bigint, reference_price_sol numeric)
returns walltrack.orders
language plpgsql
set search_path = ''
as $$
-- Simulation: the order fills at once at the reference price (the leader's price, or the
-- tick price for exits) made worse by the configured slippage, and pays the configured fee.
declare
  cfg walltrack.config;
  pending walltrack.orders;
  decimals smallint;
  slip numeric;
  fill_price numeric;
  filled walltrack.orders;
begin
  select c.* into strict cfg from walltrack.config as c;
  select o.* into strict pending from walltrack.orders as o where o.id = order_id for update;
  select p.token_decimals into strict decimals
  from walltrack.positions as p where p.id = pending.position_id;
  perform walltrack.ensure(pending.mode = 'simulation' and pending.status = 'pending',
    format('order %s is not a pending simulation order', order_id));
  perform walltrack.ensure(reference_price_sol > 0,
    format('order %s needs a positive reference price to fill, got %s', order_id,
      coalesce(reference_price_sol::text, 'none')));
  slip := cfg.sim_slippage_bps / 10000.0;
  fill_price := case
    when pending.side = 'buy' then reference_price_sol * (1 + slip)
    else reference_price_sol * (1 - slip)
  end;
  update walltrack.orders as o
  set
    status = 'confirmed',
    attempts = 1,
    quoted_price_sol = reference_price_sol,
    fill_price_sol = round(fill_price, 18),
    realized_slippage_bps = cfg.sim_slippage_bps,
    filled_in = pending.amount_in,
    filled_out = case
      when pending.side = 'buy'
        then floor(pending.amount_in / 1e9 / fill_price * 10::numeric ^ decimals)
      else floor(pending.amount_in / 10::numeric ^ decimals * fill_price * 1e9)
    end,
    network_fee_lamports = cfg.sim_fee_lamports,
    submitted_at = now(),
    confirmed_at = now()
  where o.id = order_id
  returning o.* into filled;
  return filled;
end;
$$;
comment on function walltrack.fill_simulated_order(bigint, numeric) is
'Fills a pending simulation order at once at the reference price worsened by '
'config.sim_slippage_bps, charging config.sim_fee_lamports.';
grant execute on function walltrack.fill_simulated_order(bigint, numeric) to service_role;

-- Rollback:
-- drop function walltrack.fill_simulated_order(bigint, numeric);
-- drop trigger orders_after_update_fail_entry on walltrack.orders;
-- drop function walltrack.trigger_order_fail_entry();
-- drop trigger orders_after_write_apply_fill on walltrack.orders;
-- drop function walltrack.trigger_order_apply_fill();
-- drop trigger positions_before_write_2_derive_money on walltrack.positions;
-- drop function walltrack.trigger_position_derive_money();
-- drop trigger positions_before_write_1_guard_money on walltrack.positions;
-- drop function walltrack.trigger_position_guard_money();
-- drop function walltrack.position_open_cost_sol(walltrack.positions);
-- alter table walltrack.config drop column position_dust_sol;
