-- orders: the command log. Every instruction to trade and what became of it. The status
-- moves only along allowed transitions and an order's intent never changes; a lease keeps
-- two workers from submitting the same order; the idempotency key and the unique
-- signature keep us from paying twice. A confirmed order moves its position's money
-- (average-cost method, fees included). Simulation orders are recorded already filled, at
-- a modelled price, so copies and exits fill the same way whoever creates them.

create type walltrack.order_status as enum (
  'pending', 'submitted', 'confirmed', 'failed', 'cancelled'
);
comment on type walltrack.order_status is
'pending -> submitted -> confirmed | failed; pending -> confirmed (simulation fill), '
'failed or cancelled; submitted -> pending (retry as a new attempt).';

create table walltrack.orders (
  id bigint generated always as identity primary key,
  -- intent
  position_id bigint not null,
  signal_id bigint references walltrack.signals (id),
  side walltrack.trade_side not null,
  reason walltrack.order_reason not null,
  take_profit_level integer,
  mode walltrack.trade_mode not null,
  input_mint walltrack.solana_address not null,
  output_mint walltrack.solana_address not null,
  amount_in numeric not null,
  slippage_bps integer not null,
  quoted_out numeric,
  min_out numeric,
  idempotency_key text not null,
  -- lifecycle
  status walltrack.order_status not null default 'pending',
  attempts integer not null default 0,
  max_attempts integer not null,
  next_attempt_at timestamptz not null default walltrack.clock(),
  last_error text,
  lease_owner text,
  lease_until timestamptz,
  -- execution facts
  tx_signature walltrack.solana_signature,
  quoted_price_sol numeric,
  filled_in numeric,
  filled_out numeric,
  fill_price_sol numeric,
  realized_slippage_bps numeric,
  network_fee_lamports bigint,
  priority_fee_lamports bigint,
  tip_lamports bigint,
  created_at timestamptz not null default walltrack.clock(),
  submitted_at timestamptz,
  confirmed_at timestamptz,
  updated_at timestamptz not null default walltrack.clock(),
  -- live execution
  last_valid_block_height bigint,
  attempt_log jsonb not null default '[]',

  constraint orders_idempotency_key_unique unique (idempotency_key),
  constraint orders_tx_signature_unique unique (tx_signature),
  constraint orders_amount_positive check (walltrack.ensure(
    amount_in > 0, format('orders.amount_in must be above 0 atomic units, got %s', amount_in)
  )),
  constraint orders_mints_differ check (walltrack.ensure(
    input_mint <> output_mint, 'an order must swap between two different mints'
  )),
  constraint orders_slippage_range check (walltrack.ensure(
    slippage_bps between 0 and 10000,
    format('orders.slippage_bps must be within 0..10000, got %s', slippage_bps)
  )),
  constraint orders_attempts_range check (walltrack.ensure(
    attempts >= 0 and max_attempts >= 1 and attempts <= max_attempts,
    format('order attempts (%s) must stay within 0..max_attempts (%s)', attempts, max_attempts)
  )),
  constraint orders_take_profit_level check (walltrack.ensure(
    (reason = 'take_profit') = (take_profit_level is not null),
    'take_profit_level is set exactly when the reason is take_profit'
  )),
  constraint orders_fill_facts check (walltrack.ensure(
    status <> 'confirmed' or (filled_in > 0 and filled_out >= 0 and confirmed_at is not null),
    'a confirmed order needs filled_in > 0, filled_out >= 0 and confirmed_at'
  )),
  constraint orders_fees_not_negative check (walltrack.ensure(
    coalesce(network_fee_lamports >= 0, true) and coalesce(priority_fee_lamports >= 0, true)
    and coalesce(tip_lamports >= 0, true),
    'order fees and tips must not be negative'
  )),
  constraint orders_attempt_log_array check (walltrack.ensure(
    jsonb_typeof(attempt_log) = 'array', 'orders.attempt_log must be a JSON array'
  )),
  constraint orders_position_fk foreign key (position_id) references walltrack.positions (id),
  -- The side decides what the breaker lets through: a buy spends SOL (the wSOL mint) for the
  -- token, a sell the token for SOL; a buy labelled a sell would pass an active breaker.
  constraint orders_direction_matches_side check (
    case side
      when 'buy' then input_mint = 'So11111111111111111111111111111111111111112'
      else output_mint = 'So11111111111111111111111111111111111111112'
    end
    or walltrack.ensure(
      false,
      format(
        'a %s order swaps %s: got input_mint %s, output_mint %s', side,
        case side when 'buy' then 'SOL for the token' else 'the token for SOL' end,
        input_mint, output_mint
      ),
      'SOL is the wSOL mint So11111111111111111111111111111111111111112: a buy spends it '
      || '(input_mint), a sell receives it (output_mint).'
    )
  ),
  -- NaN sorts above every number and Infinity passes `> 0`: greatest and least see both.
  constraint orders_numbers_finite check (
    (
      greatest(
        amount_in, quoted_out, min_out, quoted_price_sol, filled_in, filled_out, fill_price_sol,
        realized_slippage_bps
      ) < 'Infinity'::numeric
      and least(
        amount_in, quoted_out, min_out, quoted_price_sol, filled_in, filled_out, fill_price_sol,
        realized_slippage_bps
      ) > '-Infinity'::numeric
    ) is not false
    or walltrack.ensure_finite(
      'orders',
      array[
        'amount_in', 'quoted_out', 'min_out', 'quoted_price_sol', 'filled_in', 'filled_out',
        'fill_price_sol', 'realized_slippage_bps'
      ],
      array[
        amount_in, quoted_out, min_out, quoted_price_sol, filled_in, filled_out, fill_price_sol,
        realized_slippage_bps
      ]
    )
  )
);

create index orders_position_idx on walltrack.orders (position_id);

create index orders_signal_idx on walltrack.orders (signal_id);

create index orders_due_idx on walltrack.orders (next_attempt_at)
where status in ('pending', 'submitted');

-- Signals point at the order their decision placed.

alter table walltrack.signals
add constraint signals_order_fk foreign key (order_id) references walltrack.orders (id);

create function walltrack.trigger_order_transition()
returns trigger
language plpgsql
set search_path = ''
as $$
-- The lifecycle only moves forward along the allowed edges; the intent of an order is
-- fixed once it exists; a confirmed fill already moved its position's money, so its facts
-- never change.
begin
  if new.status is distinct from old.status then
    perform walltrack.ensure(
      (old.status, new.status) in (
        ('pending', 'submitted'), ('pending', 'confirmed'), ('pending', 'failed'),
        ('pending', 'cancelled'), ('submitted', 'confirmed'), ('submitted', 'failed'),
        ('submitted', 'pending')
      ),
      format('order %s cannot go from %s to %s', old.id, old.status, new.status),
      'Allowed: pending -> submitted | confirmed | failed | cancelled; '
      || 'submitted -> confirmed | failed | pending (retry).');
  end if;
  if old.status = 'confirmed' then
    perform walltrack.ensure(
      (new.status, new.filled_in, new.filled_out, new.fill_price_sol, new.realized_slippage_bps,
        new.network_fee_lamports, new.priority_fee_lamports, new.tip_lamports, new.tx_signature,
        new.confirmed_at)
      is not distinct from
      (old.status, old.filled_in, old.filled_out, old.fill_price_sol, old.realized_slippage_bps,
        old.network_fee_lamports, old.priority_fee_lamports, old.tip_lamports, old.tx_signature,
        old.confirmed_at),
      format('order %s is confirmed: its fill (amounts, price, slippage, fees, signature, time) '
        || 'is recorded for good', old.id),
      'The fill already moved its position''s money. A wrong fill is a new fact: record it '
      || 'as a new order, never by rewriting this one.');
  end if;
  perform walltrack.ensure(
    (new.position_id, new.signal_id, new.side, new.reason, new.take_profit_level, new.mode,
      new.input_mint, new.output_mint, new.amount_in, new.idempotency_key)
    is not distinct from
    (old.position_id, old.signal_id, old.side, old.reason, old.take_profit_level, old.mode,
      old.input_mint, old.output_mint, old.amount_in, old.idempotency_key),
    format('order %s: its intent (position, side, reason, mints, amount, key) is fixed', old.id),
    'Cancel the order and create a new one instead.');
  return new;
end;
$$;
comment on function walltrack.trigger_order_transition() is
'Enforces the order lifecycle transitions, keeps the intent columns fixed and a confirmed '
'fill immutable.';

create function walltrack.order_fees_sol(placed walltrack.orders)
returns numeric
language plpgsql
immutable
set search_path = ''
as $$
-- What the order paid to land: network fee, priority fee and tip.
begin
  return (
    coalesce(placed.network_fee_lamports, 0) + coalesce(placed.priority_fee_lamports, 0)
    + coalesce(placed.tip_lamports, 0)
  ) / 1e9;
end;
$$;
comment on function walltrack.order_fees_sol(walltrack.orders) is
'Fees and tip an order paid, in SOL.';
grant execute on function walltrack.order_fees_sol(walltrack.orders) to service_role;

create function walltrack.apply_fills(fills walltrack.orders[])
returns void
language plpgsql
set search_path = ''
as $$
-- Confirmed orders move their positions, in the order given (the order they filled): a buy
-- adds quantity and cost (fees included), a sell realizes proceeds net of fees minus the
-- average cost of what it sold. What is left below the dust threshold closes the position
-- and its cost is written off; each close extends the equity curve the breaker reads.
declare
  fill walltrack.orders;
  pos walltrack.positions;
  dust_sol numeric;
  held numeric;
  cost_sold numeric;
  proceeds numeric;
begin
  foreach fill in array fills loop
    if fill.side = 'buy' then
      -- A buy only adds: one statement, the position found by its key.
      update walltrack.positions as p
      set
        qty_bought = p.qty_bought + fill.filled_out,
        cost_basis_sol = round(
          p.cost_basis_sol + fill.filled_in / 1e9 + walltrack.order_fees_sol(fill), 9
        ),
        status = case when p.status = 'opening' then 'open' else p.status end,
        last_price_sol = case
          when p.last_price_at > fill.confirmed_at then p.last_price_sol else fill.fill_price_sol
        end,
        last_price_at = greatest(p.last_price_at, fill.confirmed_at)
      where p.id = fill.position_id;
      continue;
    end if;
    dust_sol := coalesce(dust_sol, (select c.position_dust_sol from walltrack.config as c));
    select p.* into strict pos from walltrack.positions as p where p.id = fill.position_id
    for update;
    held := pos.qty_bought - pos.qty_sold;
    perform walltrack.ensure(fill.filled_in <= held,
      format('order %s sold %s but position %s holds %s', fill.id, fill.filled_in, pos.id, held));
    cost_sold := case
      when fill.filled_in = held then walltrack.position_open_cost_sol(pos)
      else round(walltrack.position_open_cost_sol(pos) * fill.filled_in / held, 9)
    end;
    proceeds := round(fill.filled_out / 1e9 - walltrack.order_fees_sol(fill), 9);
    pos.qty_sold := pos.qty_sold + fill.filled_in;
    pos.proceeds_sol := pos.proceeds_sol + proceeds;
    pos.realized_pnl_sol := pos.realized_pnl_sol + proceeds - cost_sold;
    if walltrack.position_open_cost_sol(pos) < dust_sol or pos.qty_sold = pos.qty_bought then
      pos.realized_pnl_sol := pos.realized_pnl_sol - walltrack.position_open_cost_sol(pos);
      pos.status := 'closed';
      pos.close_reason := fill.reason;
      pos.closed_at := fill.confirmed_at;
    end if;
    if pos.last_price_at is null or fill.confirmed_at >= pos.last_price_at then
      pos.last_price_sol := fill.fill_price_sol;
      pos.last_price_at := fill.confirmed_at;
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
  end loop;
end;
$$;
comment on function walltrack.apply_fills(walltrack.orders[]) is
'Applies confirmed orders'' fills to their positions, in the order given (average-cost PnL, '
'fees included, close on dust).';
grant execute on function walltrack.apply_fills(walltrack.orders[]) to service_role;

create function walltrack.trigger_order_apply_fill()
returns trigger
language plpgsql
set search_path = ''
as $$
-- An order confirmed by an update (a live fill, recorded from the chain).
begin
  perform walltrack.apply_fills(array[new]);
  return null;
end;
$$;
comment on function walltrack.trigger_order_apply_fill() is
'Applies the fill of an order confirmed by an update to its position.';

create function walltrack.trigger_orders_apply_inserted_fills()
returns trigger
language plpgsql
set search_path = ''
as $$
-- Orders recorded already filled (simulation, write-offs): the statement's fills at once.
declare
  fills walltrack.orders[] := array(
    select o::walltrack.orders from inserted as o where o.status = 'confirmed'
    order by o.confirmed_at, o.id
  );
begin
  if cardinality(fills) > 0 then
    perform walltrack.apply_fills(fills);
  end if;
  return null;
end;
$$;
comment on function walltrack.trigger_orders_apply_inserted_fills() is
'Applies the fills of the orders a statement inserted already confirmed, in one pass.';

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
  -- Which side of the swap it is on is the orders_direction_matches_side constraint's. The
  -- message is built only for an order that fails.
  if not (pos.mode = new.mode and pos.token_mint in (new.input_mint, new.output_mint)) then
    perform walltrack.ensure(false,
      format('order for position %s must trade its token %s in %s mode, got %s -> %s in %s mode',
        new.position_id, pos.token_mint, pos.mode, new.input_mint, new.output_mint, new.mode));
  end if;
  return new;
end;
$$;
comment on function walltrack.trigger_order_matches_position() is
'Refuses an order whose token or mode is not its position''s.';

-- Triggers on orders, in the order Postgres fires them (one timing at a time, by name):
--   insert  orders_before_insert_breaker           no buy order while the breaker is active
--           orders_before_insert_engine_only       placed by WallTrack, never by hand
--           orders_before_insert_matches_position  its token and mode are its position's
--           orders_after_insert_alert_write_off  a write-off raises an alert (17_alerts.sql)
--           orders_after_insert_apply_fills      orders inserted confirmed move their positions'
--                                                money (per statement, over the inserted rows)
--   update  orders_before_update_fill_engine_only  a fill comes from the chain, never by hand
--           orders_before_update_set_updated_at  stamp updated_at
--           orders_before_update_transition      status moves forward only; intent is fixed;
--                                                a confirmed fill never changes
--           orders_after_update_alert            a live order failed raises an alert
--                                                (17_alerts.sql)
--           orders_after_update_apply_fill       an order confirmed now moves its position's
--                                                money, once (not on a later no-op update)
--           orders_after_update_fail_entry       an entry that ends unfilled fails its position
--   delete  orders_before_delete_refuse          orders are cancelled, never deleted

create trigger orders_before_insert_breaker
before insert on walltrack.orders
for each row when (new.side = 'buy')
execute function walltrack.trigger_refuse_buys_while_breaker_active();

-- What WallTrack's functions own is guarded in WHEN clauses (see positions): orders are
-- placed by the copy, the exit engine and write-offs; fills are recorded from the chain.
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

create trigger orders_before_update_set_updated_at
before update on walltrack.orders
for each row execute function walltrack.trigger_set_updated_at();

create trigger orders_before_update_transition
before update on walltrack.orders
for each row execute function walltrack.trigger_order_transition();

create trigger orders_after_update_fail_entry
after update of status on walltrack.orders
for each row
when (new.side = 'buy' and new.status in ('failed', 'cancelled'))
execute function walltrack.trigger_order_fail_entry();

-- Statement-level, over the inserted rows: a batch's simulated entries fill in one pass.
create trigger orders_after_insert_apply_fills
after insert on walltrack.orders
referencing new table as inserted
for each statement
execute function walltrack.trigger_orders_apply_inserted_fills();

-- Only the transition applies the fill: `set status = 'confirmed'` on an order that already
-- is would otherwise apply it a second time.
create trigger orders_after_update_apply_fill
after update of status on walltrack.orders
for each row
when (new.status = 'confirmed' and old.status <> 'confirmed')
execute function walltrack.trigger_order_apply_fill();

create trigger orders_before_delete_refuse
before delete on walltrack.orders
for each row execute function walltrack.trigger_refuse_change(
  'Orders are the command log: cancel a pending order instead of deleting it.'
);

create function walltrack.order_intent(
  position_id bigint, signal_id bigint, side walltrack.trade_side,
  reason walltrack.order_reason, mode walltrack.trade_mode, token_mint text, amount_in numeric,
  idempotency_key text, cfg walltrack.config, token_decimals smallint,
  reference_price_sol numeric, take_profit_level integer default null
)
returns walltrack.orders
language plpgsql
set search_path = ''
as $$
-- The order to record for an intent. A simulation order is recorded already filled: at the
-- reference price (the leader's, or the tick's for exits) made worse by the configured
-- slippage, paying the configured fee. A live order waits, pending, for execute-orders.
declare
  sol constant text := 'So11111111111111111111111111111111111111112';
  price numeric := case
    when side = 'buy' then reference_price_sol * (1 + cfg.sim_slippage_bps / 10000.0)
    else reference_price_sol * (1 - cfg.sim_slippage_bps / 10000.0)
  end;
  placed walltrack.orders;
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
    placed.submitted_at := walltrack.clock_precise();
    placed.confirmed_at := walltrack.clock_precise();
  end if;
  return placed;
end;
$$;
comment on function walltrack.order_intent(
  bigint, bigint, walltrack.trade_side, walltrack.order_reason, walltrack.trade_mode, text,
  numeric, text, walltrack.config, smallint, numeric, integer
) is
'The order row for an intent: pending for live, already filled for simulation (at the '
'reference price worsened by config.sim_slippage_bps, paying config.sim_fee_lamports).';
grant execute on function walltrack.order_intent(
  bigint, bigint, walltrack.trade_side, walltrack.order_reason, walltrack.trade_mode, text,
  numeric, text, walltrack.config, smallint, numeric, integer
) to service_role;

create function walltrack.insert_orders(intents walltrack.orders[])
returns bigint[]
language plpgsql
set search_path = ''
as $$
-- Records orders built by order_intent in one statement (their simulated fills applied
-- together by the orders' fill trigger); returns their ids in the order given.
declare
  order_ids bigint[];
  engine text := walltrack.begin_engine_write();
begin
  -- The ids come from a sequence, drawn in the order the rows are inserted: the order given.
  with inserted as (
    insert into walltrack.orders (
      position_id, signal_id, side, reason, take_profit_level, mode, input_mint, output_mint,
      amount_in, slippage_bps, idempotency_key, max_attempts, status, attempts,
      quoted_price_sol, fill_price_sol, realized_slippage_bps, filled_in, filled_out,
      network_fee_lamports, submitted_at, confirmed_at
    )
    select
      i.position_id, i.signal_id, i.side, i.reason, i.take_profit_level, i.mode, i.input_mint,
      i.output_mint, i.amount_in, i.slippage_bps, i.idempotency_key, i.max_attempts, i.status,
      i.attempts, i.quoted_price_sol, i.fill_price_sol, i.realized_slippage_bps, i.filled_in,
      i.filled_out, i.network_fee_lamports, i.submitted_at, i.confirmed_at
    from unnest(intents) with ordinality as i
    order by i.ordinality
    returning id
  )
  select array_agg(o.id order by o.id) into order_ids from inserted as o;
  perform walltrack.end_engine_write(engine);
  return coalesce(order_ids, '{}');
end;
$$;
comment on function walltrack.insert_orders(walltrack.orders[]) is
'Records orders built by walltrack.order_intent in one statement; returns their ids.';
grant execute on function walltrack.insert_orders(walltrack.orders[]) to service_role;

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
-- One order from its intent (an exit, a mirror sell): see order_intent.
begin
  return (walltrack.insert_orders(array[walltrack.order_intent(
    position_id, signal_id, side, reason, mode, token_mint, amount_in, idempotency_key, cfg,
    token_decimals, reference_price_sol, take_profit_level
  )]))[1];
end;
$$;
comment on function walltrack.place_order(
  bigint, bigint, walltrack.trade_side, walltrack.order_reason, walltrack.trade_mode, text,
  numeric, text, walltrack.config, smallint, numeric, integer
) is
'Records one order from its intent (walltrack.order_intent) and returns its id.';
grant execute on function walltrack.place_order(
  bigint, bigint, walltrack.trade_side, walltrack.order_reason, walltrack.trade_mode, text,
  numeric, text, walltrack.config, smallint, numeric, integer
) to service_role;

alter table walltrack.orders enable row level security;
grant select, insert, update on walltrack.orders to service_role;

comment on table walltrack.orders is
'Command Log: every instruction to trade (intent), its lifecycle (pending -> submitted -> '
'confirmed | failed | cancelled, with attempts, back-off and a lease) and what really '
'happened (signature, fills, slippage, fees). Never deleted.';
comment on column walltrack.orders.id is 'Identity of the order.';
comment on column walltrack.orders.position_id is 'The position this order enters or exits.';
comment on column walltrack.orders.signal_id is 'The leader swap that caused it, if any.';
comment on column walltrack.orders.side is 'buy (entry) or sell (exit).';
comment on column walltrack.orders.reason is
'copy_entry, take_profit, stop_loss, trailing_stop, time_exit, mirror_sell, manual, write_off.';
comment on column walltrack.orders.take_profit_level is
'Which ladder level (1-based) fired, for take_profit orders.';
comment on column walltrack.orders.mode is 'simulation (modelled fill) or live (real transaction).';
comment on column walltrack.orders.input_mint is 'Mint spent (wSOL mint for SOL).';
comment on column walltrack.orders.output_mint is 'Mint received (wSOL mint for SOL).';
comment on column walltrack.orders.amount_in is 'Amount of input_mint to spend, in atomic units.';
comment on column walltrack.orders.slippage_bps is
'Slippage bound sent with the quote; never above config.max_slippage_bps.';
comment on column walltrack.orders.quoted_out is 'Output the quote promised, atomic units.';
comment on column walltrack.orders.min_out is 'Minimum output accepted (quote less slippage).';
comment on column walltrack.orders.idempotency_key is
'Unique key of the intent (e.g. signal + wallet + mint): the same intent is never ordered twice.';
comment on column walltrack.orders.status is
'pending, submitted, confirmed, failed or cancelled; only allowed transitions are accepted.';
comment on column walltrack.orders.attempts is 'Attempts made so far.';
comment on column walltrack.orders.max_attempts is 'Attempts allowed before the order fails.';
comment on column walltrack.orders.next_attempt_at is 'Not retried before this (back-off).';
comment on column walltrack.orders.last_error is 'Why the last attempt failed.';
comment on column walltrack.orders.lease_owner is 'Worker that claimed the order.';
comment on column walltrack.orders.lease_until is
'Claim expiry: after it the sweeper checks the signature before anything is re-sent.';
comment on column walltrack.orders.tx_signature is
'Signature of the submitted transaction (unique).';
comment on column walltrack.orders.quoted_price_sol is
'Price per whole token in SOL the quote implied.';
comment on column walltrack.orders.filled_in is 'Input actually spent, atomic units.';
comment on column walltrack.orders.filled_out is 'Output actually received, atomic units.';
comment on column walltrack.orders.fill_price_sol is 'Price per whole token in SOL actually paid.';
comment on column walltrack.orders.realized_slippage_bps is
'How much worse than the quote the fill was, in bps.';
comment on column walltrack.orders.network_fee_lamports is 'Base network fee paid.';
comment on column walltrack.orders.priority_fee_lamports is 'Priority fee paid.';
comment on column walltrack.orders.tip_lamports is 'Jito tip paid, if any.';
comment on column walltrack.orders.created_at is 'When the order was created.';
comment on column walltrack.orders.submitted_at is 'When the transaction was sent.';
comment on column walltrack.orders.confirmed_at is 'When the fill was confirmed.';
comment on column walltrack.orders.updated_at is 'Last change of the row.';
comment on column walltrack.orders.last_valid_block_height is
'The submitted transaction cannot land after this block height (its blockhash expires).';
comment on column walltrack.orders.attempt_log is
'One entry per attempt: when, its signature if it was signed, and how it ended.';

-- Leases: which worker may execute a live order now. Here, with the orders, so a decision
-- that creates live orders can hand them to the worker that executes them at once
-- (10_copy_decisions.sql), and the live execution of 12_live_execution.sql can claim the rest.
create function walltrack.claim_orders(
  worker text, order_ids bigint[] default null, max_orders integer default 10,
  lease_seconds integer default 60
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- Hands a worker the live orders it may execute now, each under a lease no other worker
-- can take (skip locked: racing workers never get the same order). Nothing is handed out
-- while live trading is off; buys wait while the breaker is active; exits always go.
declare
  cfg walltrack.config;
  claimed jsonb;
begin
  perform walltrack.ensure(length(btrim(coalesce(worker, ''))) > 0,
    'claim_orders needs the worker''s name (it owns the lease)');
  select c.* into strict cfg from walltrack.config as c;
  with claimable as (
    select o.id from walltrack.orders as o
    where
      o.mode = 'live' and o.status = 'pending' and o.next_attempt_at <= walltrack.clock()
      and (o.lease_until is null or o.lease_until < walltrack.clock())
      and o.attempts < o.max_attempts
      and (order_ids is null or o.id = any(order_ids))
      and cfg.live_trading_enabled
      and (o.side = 'sell' or not walltrack.breaker_is_active())
    order by o.side desc, o.id  -- sells first: exits never wait behind entries
    limit max_orders
    for update skip locked
  ),
  leased as (
    update walltrack.orders as o
    set
      lease_owner = worker,
      lease_until = walltrack.clock() + make_interval(secs => lease_seconds),
      attempts = o.attempts + 1,
      attempt_log = o.attempt_log || jsonb_build_object(
        'attempt', o.attempts + 1, 'worker', worker, 'claimed_at', walltrack.clock()
      ),
      updated_at = walltrack.clock()
    from claimable as c
    where o.id = c.id
    returning o.*
  )
  select coalesce(jsonb_agg(jsonb_build_object(
    'id', l.id, 'side', l.side, 'reason', l.reason, 'input_mint', l.input_mint,
    'output_mint', l.output_mint, 'amount_in', l.amount_in::text,
    'slippage_bps', least(l.slippage_bps, cfg.max_slippage_bps),
    'jito_tip_lamports', cfg.jito_tip_lamports,
    'attempt', l.attempts, 'lease_until', l.lease_until
  ) order by l.id), '[]') into claimed
  from leased as l;
  return claimed;
end;
$$;
comment on function walltrack.claim_orders(text, bigint[], integer, integer) is
'Leases live pending orders to a worker (all due ones, or the given ids): each becomes a new '
'attempt; returns what to execute, slippage bound capped at config.max_slippage_bps.';
grant execute on function walltrack.claim_orders(text, bigint[], integer, integer) to service_role;
