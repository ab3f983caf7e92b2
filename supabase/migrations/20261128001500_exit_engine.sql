-- The exit engine (ADR-002): every price tick re-values open positions and, in the same
-- transaction, fires the one exit its effective strategy (snapshot + override) calls for:
-- stop loss, trailing stop, take-profit ladder, time exit, keeping the moonbag.

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

-- Fires only when a statement names the override: price ticks never pay for it.
create trigger positions_before_update_override_valid
before update of exit_strategy_override on walltrack.positions
for each row execute function walltrack.trigger_position_override_valid();

alter table walltrack.tokens
add column price_at timestamptz,
add column price_stale boolean not null default false;
comment on column walltrack.tokens.price_at is 'When price_sol was last observed.';
comment on column walltrack.tokens.price_stale is
'The last price refresh found no price: positions keep their last price until one comes.';

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


create function api.apply_prices(prices jsonb, missing text[] default '{}')
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
  pos walltrack.positions;
  chosen walltrack.exit_call;
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

  for pos in
    select p.* from walltrack.positions as p
    where
      p.status = 'open'
      and p.token_mint in (select m.value ->> 'mint' from jsonb_array_elements(prices) as m)
      and not exists (
        select from walltrack.orders as o
        where o.position_id = p.id and o.side = 'sell' and o.status in ('pending', 'submitted')
      )
    order by p.id
  loop
    chosen := walltrack.exit_call_for(pos, cfg.position_dust_sol);
    continue when chosen is null;
    if chosen.reason = 'take_profit' then
      update walltrack.positions as p
      set take_profits_fired = p.take_profits_fired || chosen.take_profit_level
      where p.id = pos.id;
    end if;
    continue when coalesce(chosen.quantity, 0) <= 0;
    placed := walltrack.place_order(
      position_id => pos.id, signal_id => null, side => 'sell', reason => chosen.reason,
      mode => pos.mode, token_mint => pos.token_mint, amount_in => chosen.quantity,
      idempotency_key => format('exit:%s:%s:%s', pos.id, chosen.reason,
        coalesce(chosen.take_profit_level::text, pos.qty_sold::text)),
      cfg => cfg, token_decimals => pos.token_decimals, reference_price_sol => pos.last_price_sol,
      take_profit_level => chosen.take_profit_level
    );
    orders := orders || jsonb_build_object(
      'position_id', pos.id, 'order_id', placed, 'reason', chosen.reason,
      'take_profit_level', chosen.take_profit_level, 'quantity', chosen.quantity
    );
    if pos.mode = 'live' then
      live := live || placed;
    end if;
  end loop;
  return jsonb_build_object('revalued', revalued, 'orders', orders, 'live_orders', to_jsonb(live));
end;
$$;
comment on function api.apply_prices(jsonb, text[]) is
'Applies a batch of prices (ignoring ticks older than the last), re-values positions and '
'places the exits their strategies call for. Returns the orders and the live ones to execute.';
grant execute on function api.apply_prices(jsonb, text[]) to service_role;

create function api.live_position_mints()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  -- The tokens the price-refresh function must price.
  select coalesce(jsonb_agg(distinct p.token_mint), '[]')
  from walltrack.positions as p
  where p.status in ('open', 'closing');
$$;
comment on function api.live_position_mints() is
'Tokens of the open positions: what the price-refresh function prices on each run.';
grant execute on function api.live_position_mints() to service_role;

-- Rollback:
-- drop function api.live_position_mints();
-- drop function api.apply_prices(jsonb, text[]);
-- drop function walltrack.without_dust(walltrack.exit_call, walltrack.positions, numeric);
-- drop function walltrack.exit_call_for(walltrack.positions, numeric);
-- drop type walltrack.exit_call;
-- alter table walltrack.tokens drop column price_stale, drop column price_at;
-- drop trigger positions_before_update_override_valid on walltrack.positions;
-- drop function walltrack.trigger_position_override_valid();
-- drop function walltrack.check_exit_rules(jsonb);
