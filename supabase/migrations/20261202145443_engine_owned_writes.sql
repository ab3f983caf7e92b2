-- engine_owned_writes
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

-- Engine writes: what WallTrack's functions own (fills, prices, exits, positions, orders,
-- automatic breaker events) is refused when written by hand (00_foundation.sql).

create function walltrack.begin_engine_write()
returns text
language plpgsql
set search_path = ''
as $$
-- Fills, prices, exits, positions, orders and automatic breaker events are written by
-- WallTrack's functions only: their guard triggers let a write through while this
-- transaction-local flag is on. The owning function turns it on around its writes and
-- gives back what was there (end_engine_write), so a Studio edit later in the same
-- transaction is refused again. Returns the previous value.
declare
  previous text := coalesce(current_setting('walltrack.engine_write', true), '');
begin
  perform set_config('walltrack.engine_write', 'on', true);
  return previous;
end;
$$;
comment on function walltrack.begin_engine_write() is
'Marks the writes that follow, in this transaction, as WallTrack''s own (see the '
'<table>_before_*_engine_* triggers); returns the previous mark for end_engine_write.';
grant execute on function walltrack.begin_engine_write() to service_role;

create function walltrack.end_engine_write(previous text)
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('walltrack.engine_write', previous, true);
end;
$$;
comment on function walltrack.end_engine_write(text) is
'Restores the engine-write mark begin_engine_write returned.';
grant execute on function walltrack.end_engine_write(text) to service_role;

create function walltrack.trigger_refuse_direct_write()
returns trigger
language plpgsql
set search_path = ''
as $$
-- A guard trigger's WHEN clause found a direct write of what WallTrack's functions own.
-- Arguments: the message (a %s in it takes the row's id) and the hint.
begin
  raise exception using
    message = format(tg_argv[0], new.id),
    hint = tg_argv[1],
    errcode = 'check_violation';
end;
$$;
comment on function walltrack.trigger_refuse_direct_write() is
'Refuses a direct write of rows or columns only WallTrack''s functions write; the trigger '
'arguments are the message (%s = the row id) and the hint.';

-- The owning functions mark their writes.

create or replace function walltrack.place_order(
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
  engine text := walltrack.begin_engine_write();
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
  perform walltrack.end_engine_write(engine);
  return order_id;
end;
$$;

create or replace function walltrack.write_off(failed walltrack.orders)
returns void
language plpgsql
set search_path = ''
as $$
-- An exit that could not fill after its attempts: what the position still holds is written
-- off at zero proceeds, through a bookkeeping order the fill trigger applies like any other,
-- so the loss is realized and the position closes.
declare
  held numeric;
  engine text;
begin
  select p.qty_bought - p.qty_sold into held from walltrack.positions as p
  where p.id = failed.position_id and p.status in ('open', 'closing');
  if coalesce(held, 0) <= 0 then
    return;
  end if;
  engine := walltrack.begin_engine_write();
  insert into walltrack.orders (
    position_id, side, reason, mode, input_mint, output_mint, amount_in, slippage_bps,
    idempotency_key, max_attempts, status, attempts, filled_in, filled_out, fill_price_sol,
    confirmed_at, last_error
  ) values (
    failed.position_id, 'sell', 'write_off', failed.mode, failed.input_mint, failed.output_mint,
    held, 0, format('write-off:%s', failed.id), 1, 'confirmed', 1, held, 0, 0, now(),
    format('order %s (%s) failed for good: %s', failed.id, failed.reason, failed.last_error)
  );
  perform walltrack.end_engine_write(engine);
end;
$$;

create or replace function walltrack.record_fill(
  order_id bigint, tx_signature text, filled_in numeric, filled_out numeric,
  fee_lamports bigint
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- The chain's view of a landed swap: what went in and out of the wallet and the fee paid.
-- The fill price and the slippage against the quote are derived here; the fill trigger
-- then moves the position. Recording the same fill twice changes nothing.
declare
  submitted walltrack.orders;
  decimals smallint;
  sol constant text := 'So11111111111111111111111111111111111111112';
  priority bigint;
  engine text;
begin
  select o.* into submitted from walltrack.orders as o where o.id = order_id for update;
  perform walltrack.ensure(submitted.id is not null, format('order %s does not exist', order_id));
  if submitted.status = 'confirmed' and submitted.tx_signature = record_fill.tx_signature then
    return jsonb_build_object('order_id', order_id, 'status', 'confirmed', 'already', true);
  end if;
  perform walltrack.ensure(
    submitted.status = 'submitted' and submitted.tx_signature = record_fill.tx_signature,
    format('order %s is %s with signature %s: a fill of %s cannot be recorded', order_id,
      submitted.status, coalesce(submitted.tx_signature, 'none'), record_fill.tx_signature));
  perform walltrack.ensure(filled_in > 0 and filled_out > 0 and fee_lamports >= 0,
    format('order %s: a fill needs filled_in > 0, filled_out > 0 and a fee >= 0 (got %s, %s, %s)',
      order_id, filled_in, filled_out, fee_lamports));
  select t.decimals into decimals from walltrack.tokens as t
  where t.mint = case when submitted.input_mint = sol then submitted.output_mint
    else submitted.input_mint end;
  -- The fee the chain reports includes the priority fee the swap was built with.
  priority := least(coalesce(submitted.priority_fee_lamports, 0), fee_lamports);
  engine := walltrack.begin_engine_write();
  update walltrack.orders as o
  set
    status = 'confirmed',
    filled_in = record_fill.filled_in,
    filled_out = record_fill.filled_out,
    fill_price_sol = case
      when submitted.input_mint = sol
        then round(record_fill.filled_in / 1e9 / (record_fill.filled_out / 10::numeric ^ decimals), 18)
      else round(record_fill.filled_out / 1e9 / (record_fill.filled_in / 10::numeric ^ decimals), 18)
    end,
    realized_slippage_bps = round(
      (submitted.quoted_out - record_fill.filled_out) / submitted.quoted_out * 10000, 2
    ),
    network_fee_lamports = fee_lamports - priority,
    priority_fee_lamports = priority,
    confirmed_at = now(),
    lease_owner = null,
    lease_until = null,
    attempt_log = walltrack.with_attempt_facts(o.attempt_log, jsonb_build_object(
      'outcome', 'confirmed', 'at', now()
    )),
    updated_at = now()
  where o.id = order_id;
  perform walltrack.end_engine_write(engine);
  return jsonb_build_object('order_id', order_id, 'status', 'confirmed', 'already', false);
end;
$$;

create or replace function walltrack.decide_buy(
  signal walltrack.signals, wallet walltrack.wallets, cfg walltrack.config, book walltrack.book
)
returns walltrack.decision
language plpgsql
set search_path = ''
as $$
-- Rules in the order an operator reads them; the first that refuses gives the reason.
declare
  refusal text;
  size_sol numeric;
  new_position_id bigint;
  new_order_id bigint;
  cost_sol numeric;
  engine text;
begin
  refusal := case
    when wallet.status <> 'active' then 'wallet_not_active'
    when not cfg.trading_enabled then 'trading_disabled'
    when book.breaker_active then 'breaker_active'
    when wallet.mode = 'live' and not cfg.live_trading_enabled then 'live_trading_off'
    when signal.quote_mint <> 'So11111111111111111111111111111111111111112'
      then 'not_a_sol_quote'
    when coalesce(signal.price_sol <= 0, true) then 'no_leader_price'
    else walltrack.token_gate(signal.token_mint)
  end;
  if refusal is null then
    size_sol := walltrack.copy_size_sol(cfg, wallet.position_size_sol, signal.quote_amount / 1e9);
    refusal := case
      when (
        select count(*) from walltrack.positions as p
        where p.token_mint = signal.token_mint and p.status in ('opening', 'open', 'closing')
      ) >= cfg.max_positions_per_token then 'already_holding'
      when book.open_positions >= cfg.max_open_positions then 'max_positions'
      when coalesce(size_sol < cfg.min_position_sol, true) then 'below_min_size'
      when size_sol + book.exposure_sol > cfg.max_total_exposure_sol then 'exposure_limit'
    end;
  end if;
  if refusal is not null then
    return walltrack.skip(refusal);
  end if;

  engine := walltrack.begin_engine_write();
  insert into walltrack.positions (wallet_id, token_mint, token_decimals, mode, opened_from_signal_id)
  values (wallet.id, signal.token_mint, signal.token_decimals, wallet.mode, signal.id)
  returning id into new_position_id;
  perform walltrack.end_engine_write(engine);
  new_order_id := walltrack.place_order(
    position_id => new_position_id, signal_id => signal.id, side => 'buy',
    reason => 'copy_entry', mode => wallet.mode, token_mint => signal.token_mint,
    amount_in => size_sol * 1e9, idempotency_key => format('signal:%s:entry', signal.id),
    cfg => cfg, token_decimals => signal.token_decimals, reference_price_sol => signal.price_sol
  );
  cost_sol := size_sol;
  if wallet.mode = 'simulation' then
    select walltrack.position_open_cost_sol(p) into cost_sol
    from walltrack.positions as p where p.id = new_position_id;
  end if;
  return row('copied', 'copied', new_position_id, new_order_id, 1, cost_sol)::walltrack.decision;
end;
$$;

create or replace function walltrack.apply_prices(prices jsonb, missing text[] default '{}')
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
  set price_sol = k.price_sol, price_at = now(), price_stale = false
  from unnest(ticks) as k
  where t.mint = k.mint;
  update walltrack.tokens as t set price_stale = true where t.mint = any(missing);
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

create or replace function walltrack.check_circuit_breaker()
returns jsonb
language plpgsql
set search_path = ''
as $$
-- Trips the breaker when a threshold is crossed and it is not active; resets it when the
-- cooldown has passed. Runs after every close and on schedule. Returns the state.
declare
  cfg walltrack.config;
  latest walltrack.circuit_breaker_events;
  metrics jsonb;
  crossed record;
  engine text := walltrack.begin_engine_write();
begin
  -- One check at a time: two closes at once must not record two activations.
  perform pg_advisory_xact_lock(hashtext('walltrack.check_circuit_breaker'));
  select c.* into strict cfg from walltrack.config as c;
  latest := walltrack.latest_breaker_event();

  if latest.event_type = 'activated' then
    if now() - latest.created_at >= make_interval(mins => cfg.breaker_cooldown_minutes) then
      insert into walltrack.circuit_breaker_events (event_type, trigger, metrics, note)
      values ('deactivated', 'cooldown', walltrack.breaker_metrics(),
        format('automatic reset after the %s minute cooldown', cfg.breaker_cooldown_minutes));
    end if;
    perform walltrack.end_engine_write(engine);
    return walltrack.breaker_state();
  end if;

  metrics := walltrack.breaker_metrics();
  select t.trigger, t.threshold, t.observed into crossed
  from (values
    (1, 'daily_loss'::walltrack.breaker_trigger, cfg.breaker_max_daily_loss_sol,
      (metrics ->> 'realized_loss_24h_sol')::numeric,
      (metrics ->> 'realized_loss_24h_sol')::numeric >= cfg.breaker_max_daily_loss_sol),
    (2, 'drawdown', cfg.breaker_max_drawdown_pct, (metrics ->> 'drawdown_pct')::numeric,
      (metrics ->> 'drawdown_pct')::numeric >= cfg.breaker_max_drawdown_pct),
    (3, 'consecutive_losses', cfg.breaker_max_consecutive_losses::numeric,
      (metrics ->> 'consecutive_losses')::numeric,
      (metrics ->> 'consecutive_losses')::numeric >= cfg.breaker_max_consecutive_losses),
    (4, 'win_rate', cfg.breaker_min_win_rate_pct, (metrics ->> 'win_rate_pct')::numeric,
      coalesce((metrics ->> 'win_rate_pct')::numeric < cfg.breaker_min_win_rate_pct, false))
  ) as t (rank, trigger, threshold, observed, is_crossed)
  where t.is_crossed
  order by t.rank
  limit 1;
  if crossed.trigger is not null then
    insert into walltrack.circuit_breaker_events (
      event_type, trigger, threshold, observed, metrics
    ) values ('activated', crossed.trigger, crossed.threshold, crossed.observed, metrics);
  end if;
  perform walltrack.end_engine_write(engine);
  return walltrack.breaker_state();
end;
$$;

-- Positions (07_positions.sql): opened by copies only; status, last price and fired levels
-- written by the engine; an override checked at insert too.

create trigger positions_before_insert_engine_only
before insert on walltrack.positions
for each row
when (
  pg_trigger_depth() = 0
  and current_setting('walltrack.engine_write', true) is distinct from 'on'
)
execute function walltrack.trigger_refuse_direct_write(
  'positions are opened by WallTrack when it copies a leader''s buy: a position cannot be '
  'inserted by hand',
  'Watch the leader (walltrack.wallets): its next buy opens a position.'
);

create trigger positions_before_update_engine_state
before update on walltrack.positions
for each row
when (
  pg_trigger_depth() = 0
  and (new.status, new.last_price_sol, new.last_price_at, new.take_profits_fired)
  is distinct from (old.status, old.last_price_sol, old.last_price_at, old.take_profits_fired)
  and current_setting('walltrack.engine_write', true) is distinct from 'on'
)
execute function walltrack.trigger_refuse_direct_write(
  'position %s: its status, last price and fired take-profit levels are kept by the exit '
  'engine and the order fills, not edited',
  'To get out of it, give it an exit rule in exit_strategy_override: '
  '{"time_exit_minutes": 1, "time_exit_max_pnl_pct": null} sells it at the next tick.'
);

drop trigger positions_before_update_override_valid on walltrack.positions;

create trigger positions_before_write_override_valid
before insert or update of exit_strategy_override on walltrack.positions
for each row
when (new.exit_strategy_override is distinct from '{}'::jsonb)
execute function walltrack.trigger_position_override_valid();

-- Orders (08_orders.sql): placed by WallTrack only, on their position's token and mode;
-- fills recorded from the chain only.

create function walltrack.trigger_order_matches_position()
returns trigger
language plpgsql
set search_path = ''
as $$
-- An order trades its position's token in its position's mode: a live order on a paper
-- position would sell tokens never bought, another token would move the wrong money.
declare
  pos walltrack.positions;
begin
  select p.* into pos from walltrack.positions as p where p.id = new.position_id;
  perform walltrack.ensure(
    -- Which side of the swap it is on is the orders_direction_matches_side constraint's.
    pos.mode = new.mode and pos.token_mint in (new.input_mint, new.output_mint),
    format('order for position %s must trade its token %s in %s mode, got %s -> %s in %s mode',
      new.position_id, pos.token_mint, pos.mode, new.input_mint, new.output_mint, new.mode));
  return new;
end;
$$;
comment on function walltrack.trigger_order_matches_position() is
'Refuses an order whose token or mode is not its position''s.';

create trigger orders_before_insert_engine_only
before insert on walltrack.orders
for each row
when (
  pg_trigger_depth() = 0
  and current_setting('walltrack.engine_write', true) is distinct from 'on'
)
execute function walltrack.trigger_refuse_direct_write(
  'orders are placed by WallTrack (copies, exits, write-offs): an order cannot be inserted '
  'by hand',
  'To get out of a position, give it an exit rule in exit_strategy_override; to stop an '
  'order, set its status to cancelled.'
);

create trigger orders_before_insert_matches_position
before insert on walltrack.orders
for each row execute function walltrack.trigger_order_matches_position();

create trigger orders_before_update_fill_engine_only
before update on walltrack.orders
for each row
when (
  new.status = 'confirmed' and old.status <> 'confirmed'
  and pg_trigger_depth() = 0
  and current_setting('walltrack.engine_write', true) is distinct from 'on'
)
execute function walltrack.trigger_refuse_direct_write(
  'order %s: a fill is recorded from the chain by confirm-orders, never typed in',
  'If the swap landed, confirm-orders records it; to give up on the order, cancel it.'
);

-- Breaker events (06_circuit_breaker_events.sql): automatic ones are the check's only.

create trigger circuit_breaker_events_before_insert_system_only
before insert on walltrack.circuit_breaker_events
for each row
when (
  new.trigger <> 'manual'
  and pg_trigger_depth() = 0
  and current_setting('walltrack.engine_write', true) is distinct from 'on'
)
execute function walltrack.trigger_refuse_direct_write(
  'automatic breaker events (trips and cooldown resets) are recorded by the breaker check, '
  'not by hand',
  'Reset the breaker with api.reset_circuit_breaker(operator, note); to stop buys by hand, '
  'insert an activated event with trigger manual, your name as actor and a note.'
);
