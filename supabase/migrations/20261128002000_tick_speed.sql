-- Price ticks, faster: a tick re-values every open position, so each row costs what its
-- triggers and its exit check cost. The money guard is checked in the triggers' WHEN
-- clauses; the money trigger now only derives, and keeps updated_at (one trigger function
-- per row on a tick instead of two); positions keep free room in their pages so a tick's
-- update stays on the page (a HOT update: no index to touch); their checks build an error
-- message only for a row that fails; a partial index finds a token's live positions;
-- apply_prices asks each position's exit call once, in its query, looping only over the
-- positions that exit; and exit_call_for skips the ladder below its first level.

alter table walltrack.positions set (fillfactor = 70);

-- A CHECK runs on every updated row, and walltrack.ensure's message (a format() call) is
-- built even when the rule holds. Each positions rule is now tested plainly first; ensure
-- runs, and builds its message, only when the rule fails (or is unknown).
alter table walltrack.positions
drop constraint positions_decimals_range,
drop constraint positions_quantities_consistent,
drop constraint positions_override_object,
add constraint positions_decimals_range check (
  token_decimals between 0 and 18
  or walltrack.ensure(
    token_decimals between 0 and 18,
    format('positions.token_decimals must be within 0..18, got %s', token_decimals)
  )
),
add constraint positions_quantities_consistent check (
  qty_bought >= 0 and qty_sold >= 0 and qty_sold <= qty_bought and cost_basis_sol >= 0
  or walltrack.ensure(
    qty_bought >= 0 and qty_sold >= 0 and qty_sold <= qty_bought and cost_basis_sol >= 0,
    format('position quantities inconsistent: sold %s of %s bought', qty_sold, qty_bought)
  )
),
add constraint positions_override_object check (
  jsonb_typeof(exit_strategy_override) = 'object'
  or walltrack.ensure(
    jsonb_typeof(exit_strategy_override) = 'object',
    'positions.exit_strategy_override must be a JSON object of rule fields, e.g. '
    || '{"stop_loss_pct": -20}'
  )
);

-- One index for "the live positions in this token", the lookup every tick makes per token.
create index positions_live_token_idx on walltrack.positions (token_mint)
where status in ('open', 'closing');

drop trigger positions_before_update_set_updated_at on walltrack.positions;

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

create or replace function walltrack.trigger_position_money()
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

create or replace function api.apply_prices(prices jsonb, missing text[] default '{}')
returns jsonb
language plpgsql
security invoker
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

create or replace function walltrack.exit_call_for(pos walltrack.positions, dust_sol numeric)
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

-- Rollback:
-- drop index walltrack.positions_live_token_idx;
-- (the three positions checks: see 20261128000700 for their earlier form)
-- drop trigger positions_before_update_guard_money on walltrack.positions;
-- drop trigger positions_before_insert_guard_money on walltrack.positions;
-- drop function walltrack.trigger_refuse_money_edit();
-- alter table walltrack.positions reset (fillfactor);
-- create trigger positions_before_update_set_updated_at before update on walltrack.positions
-- for each row execute function walltrack.trigger_set_updated_at();
-- then re-run the definitions of trigger_position_money (20261128001100), apply_prices and
-- exit_call_for (20261128001500).
