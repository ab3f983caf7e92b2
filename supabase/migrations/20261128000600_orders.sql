-- orders — Command Log: every instruction to trade and what became of it. The status
-- moves only along allowed transitions; a lease keeps two workers from submitting the
-- same order; the idempotency key and the unique signature keep us from paying twice.

create type walltrack.order_status as enum (
  'pending', 'submitted', 'confirmed', 'failed', 'cancelled'
);
comment on type walltrack.order_status is
'pending -> submitted -> confirmed | failed; pending -> confirmed (simulation fill), '
'failed or cancelled; submitted -> pending (retry as a new attempt).';

create type walltrack.order_reason as enum (
  'copy_entry', 'take_profit', 'stop_loss', 'trailing_stop', 'time_exit', 'mirror_sell',
  'manual', 'write_off'
);
comment on type walltrack.order_reason is
'Why the order exists: the entry copy, or the exit rule that fired.';

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
  next_attempt_at timestamptz not null default now(),
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
  created_at timestamptz not null default now(),
  submitted_at timestamptz,
  confirmed_at timestamptz,
  updated_at timestamptz not null default now(),

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
  ))
);

create index orders_position_idx on walltrack.orders (position_id);
create index orders_signal_idx on walltrack.orders (signal_id);
create index orders_due_idx on walltrack.orders (next_attempt_at)
where status in ('pending', 'submitted');

create function walltrack.trigger_order_transition()
returns trigger
language plpgsql
set search_path = ''
as $$
-- The lifecycle only moves forward along the allowed edges; the intent of an order is
-- fixed once it exists.
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
'Enforces the order lifecycle transitions and keeps the intent columns fixed.';

create trigger orders_before_update_transition
before update on walltrack.orders
for each row execute function walltrack.trigger_order_transition();

create trigger orders_before_update_set_updated_at
before update on walltrack.orders
for each row execute function walltrack.trigger_set_updated_at();

create trigger orders_before_delete_refuse
before delete on walltrack.orders
for each row execute function walltrack.trigger_refuse_change(
  'Orders are the command log: cancel a pending order instead of deleting it.'
);

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

-- Rollback:
-- drop table walltrack.orders;
-- drop function walltrack.trigger_order_transition();
-- drop type walltrack.order_reason;
-- drop type walltrack.order_status;
