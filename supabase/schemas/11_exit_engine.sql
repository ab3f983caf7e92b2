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
  if walltrack.clock() - pos.opened_at >= make_interval(mins => (rules ->> 'time_exit_minutes')::integer)
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

create type walltrack.price_tick as (
  mint text,
  price_sol numeric,
  observed_at timestamptz
);
comment on type walltrack.price_tick is 'One price of one token, as a tick applies it.';

create function walltrack.price_tick_from(item jsonb)
returns walltrack.price_tick
language plpgsql
stable
set search_path = ''
as $$
-- One element of a price batch, checked: a price that is not a positive number, or a time
-- more than five minutes ahead (which would hide every later tick of the token), is refused.
-- Each rule is tested plainly first: its message is built only for a tick that fails.
declare
  tick walltrack.price_tick;
begin
  if not (jsonb_typeof(item) = 'object' and coalesce(jsonb_typeof(item -> 'mint') = 'string', false))
  then
    perform walltrack.ensure(false,
      format('a price tick is an object with a mint, got %s', left(item::text, 200)));
  end if;
  tick := row(item ->> 'mint', (item ->> 'price_sol')::numeric,
    coalesce((item ->> 'observed_at')::timestamptz, walltrack.clock()));
  if not coalesce(tick.price_sol > 0 and tick.price_sol < 'Infinity'::numeric, false) then
    perform walltrack.ensure(false,
      format('the price of %s must be a positive number, got %s', tick.mint, item -> 'price_sol'));
  end if;
  if not (tick.observed_at <= walltrack.clock() + interval '5 minutes' and tick.observed_at > '-infinity')
  then
    perform walltrack.ensure(false,
      format('the price of %s is dated %s, ahead of the database clock', tick.mint,
        tick.observed_at));
  end if;
  return tick;
end;
$$;
comment on function walltrack.price_tick_from(jsonb) is
'One checked price tick from an element of a price batch (raises what is wrong with it).';
grant execute on function walltrack.price_tick_from(jsonb) to service_role;

create function walltrack.price_ticks(prices jsonb)
returns walltrack.price_tick[]
language plpgsql
set search_path = ''
as $$
-- The good ticks of a batch. All at once when the batch is clean (one subtransaction);
-- otherwise element by element, each bad one recorded as a fault and left out.
declare
  ticks walltrack.price_tick[] := '{}'::walltrack.price_tick[];
  item record;
  error_state text;
  error_message text;
begin
  if jsonb_typeof(prices) is distinct from 'array' then
    raise exception using
      message = 'apply_prices expects a JSON array of {mint, price_sol, observed_at?}',
      errcode = 'invalid_parameter_value';
  end if;
  begin
    return array(select walltrack.price_tick_from(p.value) from jsonb_array_elements(prices) as p);
  exception when others then
    null;  -- some element is bad: find which below
  end;
  for item in select p.value, p.ordinality from jsonb_array_elements(prices) with ordinality as p loop
    begin
      ticks := ticks || walltrack.price_tick_from(item.value);
    exception when others then
      get stacked diagnostics error_state = returned_sqlstate, error_message = message_text;
      perform walltrack.record_fault('apply_prices',
        format('price of %s', coalesce(
          case when jsonb_typeof(item.value) = 'object' then item.value ->> 'mint' end,
          'element ' || item.ordinality)),
        error_state, error_message, 'The price source sent this tick: it was skipped.',
        item.value);
    end;
  end loop;
  return ticks;
end;
$$;
comment on function walltrack.price_ticks(jsonb) is
'The valid ticks of a price batch; each invalid element is recorded in walltrack.faults.';
grant execute on function walltrack.price_ticks(jsonb) to service_role;

create function walltrack.mark_to_market(ticks walltrack.price_tick[], only_position bigint)
returns integer
language plpgsql
set search_path = ''
as $$
-- Re-values the live positions in the ticked tokens (or just one of them); a tick older than
-- the position's last price is ignored. Returns how many were re-valued.
declare
  revalued integer;
begin
  update walltrack.positions as p
  set last_price_sol = t.price_sol, last_price_at = t.observed_at
  from unnest(ticks) as t
  where
    p.token_mint = t.mint and p.status in ('open', 'closing')
    and (only_position is null or p.id = only_position)
    and (p.last_price_at is null or t.observed_at >= p.last_price_at);
  get diagnostics revalued = row_count;
  return revalued;
end;
$$;
comment on function walltrack.mark_to_market(walltrack.price_tick[], bigint) is
'Re-values the live positions of the ticked tokens (all, or one position) at the tick prices.';
grant execute on function walltrack.mark_to_market(walltrack.price_tick[], bigint)
to service_role;

create function walltrack.mark_to_market_isolated(ticks walltrack.price_tick[])
returns integer
language plpgsql
set search_path = ''
as $$
-- All positions at once (one subtransaction); when one of them cannot take its price, each
-- on its own, and the one that fails is recorded as a fault: the others are still valued.
declare
  revalued integer := 0;
  position_id bigint;
  error_state text;
  error_message text;
  error_hint text;
begin
  begin
    return walltrack.mark_to_market(ticks, null);
  exception when others then
    null;  -- some position refuses its price: find which below
  end;
  for position_id in
    select p.id from walltrack.positions as p
    where p.token_mint in (select t.mint from unnest(ticks) as t)
      and p.status in ('open', 'closing')
    order by p.id
  loop
    begin
      revalued := revalued + walltrack.mark_to_market(ticks, position_id);
    exception when others then
      get stacked diagnostics error_state = returned_sqlstate, error_message = message_text,
        error_hint = pg_exception_hint;
      perform walltrack.record_fault('apply_prices', format('position %s', position_id),
        error_state, error_message, nullif(error_hint, ''), null);
    end;
  end loop;
  return revalued;
end;
$$;
comment on function walltrack.mark_to_market_isolated(walltrack.price_tick[]) is
'mark_to_market for every position, isolating (and recording as a fault) one that fails.';
grant execute on function walltrack.mark_to_market_isolated(walltrack.price_tick[])
to service_role;

create function walltrack.exit_call_isolated(pos walltrack.positions, dust_sol numeric)
returns walltrack.exit_call
language plpgsql
set search_path = ''
as $$
-- exit_call_for for a position whose rules may not compute: the failure is recorded as a
-- fault and the template's rules (the snapshot without the override) still protect it.
declare
  error_state text;
  error_message text;
begin
  return walltrack.exit_call_for(pos, dust_sol);
exception when others then
  get stacked diagnostics error_state = returned_sqlstate, error_message = message_text;
  perform walltrack.record_fault('apply_prices', format('position %s', pos.id), error_state,
    error_message,
    'Its exit rules could not be evaluated; it runs on its template''s rules (its override '
    || 'ignored) until they are fixed.',
    jsonb_build_object('exit_strategy_override', pos.exit_strategy_override));
  begin
    pos.exit_strategy_override := '{}';
    return walltrack.exit_call_for(pos, dust_sol);
  exception when others then
    return null;
  end;
end;
$$;
comment on function walltrack.exit_call_isolated(walltrack.positions, numeric) is
'exit_call_for that records a failure as a fault and falls back to the template''s rules.';
grant execute on function walltrack.exit_call_isolated(walltrack.positions, numeric)
to service_role;

create type walltrack.exit_due as (
  pos walltrack.positions,
  call walltrack.exit_call
);
comment on type walltrack.exit_due is 'A position and the exit a tick calls for.';

create function walltrack.exits_due(mints text[], dust_sol numeric, isolated boolean)
returns walltrack.exit_due[]
language plpgsql
set search_path = ''
as $$
-- The open positions in these tokens that call for an exit and have none in flight. Each
-- exit call is made once, in the query (a lateral call). Two queries that differ only in
-- the function called, not a CASE in one: the tick's fast path keeps the plain lateral call.
begin
  if isolated then
    return array(
      select row(p, c)::walltrack.exit_due
      from walltrack.positions as p
      cross join lateral walltrack.exit_call_isolated(p, dust_sol) as c
      where
        p.status = 'open' and p.token_mint = any(mints)
        and not exists (
          select from walltrack.orders as o
          where o.position_id = p.id and o.side = 'sell' and o.status in ('pending', 'submitted')
        )
        and c.reason is not null
      order by p.id
    );
  end if;
  return array(
    select row(p, c)::walltrack.exit_due
    from walltrack.positions as p
    cross join lateral walltrack.exit_call_for(p, dust_sol) as c
    where
      p.status = 'open' and p.token_mint = any(mints)
      and not exists (
        select from walltrack.orders as o
        where o.position_id = p.id and o.side = 'sell' and o.status in ('pending', 'submitted')
      )
      and c.reason is not null
    order by p.id
  );
end;
$$;
comment on function walltrack.exits_due(text[], numeric, boolean) is
'The exits the open positions in these tokens call for (isolated: a position whose rules '
'fail is recorded as a fault and judged on its template''s rules).';
grant execute on function walltrack.exits_due(text[], numeric, boolean) to service_role;

-- ---------------------------------------------------------------------------------------
-- Price history: every tick apply_prices applied, when it applied it. The what-if replay
-- replays this path between the leaders' swaps (scripts/replay.py), so time exits,
-- trailing stops and stop losses fire when they did. Kept config.price_history_days.

create table walltrack.price_history (
  id bigint generated always as identity primary key,
  token_mint text not null,
  price_sol numeric not null,
  -- when the source priced it (the tick's observed_at), if it said
  observed_at timestamptz,
  -- the clock when the tick was applied
  applied_at timestamptz not null default walltrack.clock()
);
create index price_history_applied_at on walltrack.price_history (applied_at);
comment on table walltrack.price_history is
'Every price tick applied (apply_prices), in order: the replay''s price path. Written by '
'WallTrack only; purged after config.price_history_days.';
comment on column walltrack.price_history.id is 'The order ticks were applied in.';
comment on column walltrack.price_history.token_mint is 'The token priced.';
comment on column walltrack.price_history.price_sol is 'Its price, in SOL per whole token.';
comment on column walltrack.price_history.observed_at is
'When the price source observed it, when it said.';
comment on column walltrack.price_history.applied_at is 'The clock when it was applied.';

-- Triggers on price_history, in the order Postgres fires them (one timing at a time, by name):
--   insert    price_history_before_insert_engine_only  written by apply_prices only
--   update    price_history_before_update_refuse       refused: a price applied stays applied
--   delete    price_history_before_delete_engine_only  purged by WallTrack only
create trigger price_history_before_insert_engine_only
before insert on walltrack.price_history
for each row
when (
  pg_trigger_depth() = 0
  and current_setting('walltrack.engine_write', true) is distinct from 'on'
)
execute function walltrack.trigger_refuse_direct_write(
  'price_history is the prices WallTrack applied: a price cannot be inserted by hand',
  'Prices are applied by the price-refresh function (api.apply_prices).'
);

create trigger price_history_before_update_refuse
before update on walltrack.price_history
for each row execute function walltrack.trigger_refuse_change(
  'A price applied stays as applied: the replay reads this history.'
);

create trigger price_history_before_delete_engine_only
before delete on walltrack.price_history
for each row
when (current_setting('walltrack.engine_write', true) is distinct from 'on')
execute function walltrack.trigger_refuse_change(
  'The history is purged after config.price_history_days (walltrack.purge_price_history).'
);

alter table walltrack.price_history enable row level security;
grant select, insert, delete on walltrack.price_history to service_role;

create function walltrack.purge_price_history()
returns integer
language plpgsql
set search_path = ''
as $$
declare
  purged integer;
  engine text := walltrack.begin_engine_write();
begin
  delete from walltrack.price_history as h
  where h.applied_at < walltrack.clock() - make_interval(days => (
    select c.price_history_days from walltrack.config as c
  ));
  get diagnostics purged = row_count;
  perform walltrack.end_engine_write(engine);
  return purged;
end;
$$;
comment on function walltrack.purge_price_history() is
'Deletes applied prices older than config.price_history_days (pg_cron, hourly).';
grant execute on function walltrack.purge_price_history() to service_role;

create function walltrack.apply_prices(prices jsonb, missing text[] default '{}')
returns jsonb
language plpgsql
set search_path = ''
as $$
-- One batch of the price-refresh function ([{mint, price_sol, observed_at?}]): stores the
-- prices, re-values the live positions in those tokens, then places the exit each open
-- position calls for, unless one is in flight. A bad tick, a position that cannot be valued
-- or judged, or an exit that cannot be placed is recorded in walltrack.faults and skipped:
-- every other position still exits.
declare
  cfg walltrack.config;
  ticks walltrack.price_tick[] := walltrack.price_ticks(prices);
  mints text[] := array(select t.mint from unnest(ticks) as t);
  due walltrack.exit_due;
  dues walltrack.exit_due[];
  placed bigint;
  orders jsonb := '[]'::jsonb;
  live bigint[] := '{}'::bigint[];
  revalued integer;
  error_state text;
  error_message text;
  error_hint text;
  engine text := walltrack.begin_engine_write();
begin
  select c.* into strict cfg from walltrack.config as c;
  update walltrack.tokens as t
  set price_sol = k.price_sol, price_at = walltrack.clock(), price_stale = false
  from unnest(ticks) as k
  where t.mint = k.mint;
  update walltrack.tokens as t set price_stale = true where t.mint = any(missing);
  insert into walltrack.price_history (token_mint, price_sol, observed_at)
  select k.mint, k.price_sol, k.observed_at from unnest(ticks) as k;
  revalued := walltrack.mark_to_market_isolated(ticks);

  begin
    dues := walltrack.exits_due(mints, cfg.position_dust_sol, false);
  exception when others then
    dues := walltrack.exits_due(mints, cfg.position_dust_sol, true);
  end;
  foreach due in array dues loop
    begin
      if (due.call).reason = 'take_profit' then
        update walltrack.positions as p
        set take_profits_fired = p.take_profits_fired || (due.call).take_profit_level
        where p.id = (due.pos).id;
      end if;
      continue when coalesce((due.call).quantity, 0) <= 0;
      placed := walltrack.place_order(
        position_id => (due.pos).id, signal_id => null, side => 'sell',
        reason => (due.call).reason, mode => (due.pos).mode, token_mint => (due.pos).token_mint,
        amount_in => (due.call).quantity,
        idempotency_key => format('exit:%s:%s:%s', (due.pos).id, (due.call).reason,
          coalesce((due.call).take_profit_level::text, (due.pos).qty_sold::text)),
        cfg => cfg, token_decimals => (due.pos).token_decimals,
        reference_price_sol => (due.pos).last_price_sol,
        take_profit_level => (due.call).take_profit_level
      );
      orders := orders || jsonb_build_object(
        'position_id', (due.pos).id, 'order_id', placed, 'reason', (due.call).reason,
        'take_profit_level', (due.call).take_profit_level, 'quantity', (due.call).quantity
      );
      if (due.pos).mode = 'live' then
        live := live || placed;
      end if;
    exception when others then
      get stacked diagnostics error_state = returned_sqlstate, error_message = message_text,
        error_hint = pg_exception_hint;
      perform walltrack.record_fault('apply_prices', format('position %s', (due.pos).id),
        error_state, format('its %s exit could not be placed: %s', (due.call).reason,
          error_message), nullif(error_hint, ''), to_jsonb(due.call));
    end;
  end loop;
  perform walltrack.end_engine_write(engine);
  return jsonb_build_object('revalued', revalued, 'orders', orders, 'live_orders', to_jsonb(live));
end;
$$;
comment on function walltrack.apply_prices(jsonb, text[]) is
'Applies a batch of prices (ignoring ticks older than the last), re-values positions and '
'places the exits their strategies call for, isolating a bad tick, position or exit as a '
'fault. Returns the orders and the live ones to execute.';
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
