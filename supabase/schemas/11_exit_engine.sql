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
