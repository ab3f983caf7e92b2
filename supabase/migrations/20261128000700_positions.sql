-- positions — Aggregate Root: one holding of one token, opened by a copy. Everything
-- about its money lives here and is kept true by triggers when orders fill and prices
-- are applied. The exit strategy is snapshotted at creation (ADR-002).

create type walltrack.position_status as enum ('opening', 'open', 'closing', 'closed', 'failed');
comment on type walltrack.position_status is
'opening (entry order not filled yet) -> open -> closing (exit order in flight) -> closed; '
'failed when the entry never filled.';

create table walltrack.positions (
  id bigint generated always as identity primary key,
  -- ownership
  wallet_id bigint not null references walltrack.wallets (id),
  token_mint walltrack.solana_address not null references walltrack.tokens (mint),
  token_decimals smallint not null,
  mode walltrack.trade_mode not null,
  status walltrack.position_status not null default 'opening',
  opened_from_signal_id bigint references walltrack.signals (id),
  -- strategy (ADR-002)
  exit_strategy_id bigint not null references walltrack.exit_strategies (id),
  exit_strategy_snapshot jsonb not null,
  exit_strategy_override jsonb not null default '{}',
  -- entry
  qty_bought numeric not null default 0,
  cost_basis_sol numeric not null default 0,
  avg_entry_price_sol numeric,
  -- exit / realized
  qty_sold numeric not null default 0,
  proceeds_sol numeric not null default 0,
  realized_pnl_sol numeric not null default 0,
  take_profits_fired integer[] not null default '{}',
  close_reason walltrack.order_reason,
  closed_at timestamptz,
  -- unrealized
  last_price_sol numeric,
  last_price_at timestamptz,
  unrealized_pnl_sol numeric,
  peak_price_sol numeric,
  opened_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),

  constraint positions_decimals_range check (walltrack.ensure(
    token_decimals between 0 and 18,
    format('positions.token_decimals must be within 0..18, got %s', token_decimals)
  )),
  constraint positions_quantities_consistent check (walltrack.ensure(
    qty_bought >= 0 and qty_sold >= 0 and qty_sold <= qty_bought
    and cost_basis_sol >= 0 and proceeds_sol >= 0,
    format('position quantities inconsistent: sold %s of %s bought', qty_sold, qty_bought)
  )),
  constraint positions_override_object check (walltrack.ensure(
    jsonb_typeof(exit_strategy_override) = 'object',
    'positions.exit_strategy_override must be a JSON object of rule fields, e.g. '
    || '{"stop_loss_pct": -20}'
  ))
);

create index positions_wallet_idx on walltrack.positions (wallet_id, opened_at);
create index positions_token_idx on walltrack.positions (token_mint);
create index positions_live_idx on walltrack.positions (status)
where status in ('opening', 'open', 'closing');
create index positions_closed_idx on walltrack.positions (closed_at) where status = 'closed';

alter table walltrack.orders
add constraint orders_position_fk foreign key (position_id) references walltrack.positions (id);
alter table walltrack.signals
add constraint signals_position_fk foreign key (position_id) references walltrack.positions (id);
alter table walltrack.signals
add constraint signals_order_fk foreign key (order_id) references walltrack.orders (id);

create function walltrack.trigger_position_snapshot_strategy()
returns trigger
language plpgsql
set search_path = ''
as $$
-- ADR-002: a position carries a copy of its exit strategy taken at creation: the
-- given template, else the wallet's, else the default.
declare
  strategy walltrack.exit_strategies;
begin
  select s.* into strategy
  from walltrack.exit_strategies as s
  where s.id = coalesce(
    new.exit_strategy_id,
    (select w.exit_strategy_id from walltrack.wallets as w where w.id = new.wallet_id),
    (select d.id from walltrack.exit_strategies as d where d.is_default)
  );
  perform walltrack.ensure(strategy.id is not null,
    'no exit strategy for this position: the wallet names none and no template is the default',
    'Mark one exit strategy as is_default, or set the wallet''s exit_strategy_id.');
  new.exit_strategy_id := strategy.id;
  new.exit_strategy_snapshot := walltrack.exit_strategy_rules(strategy);
  return new;
end;
$$;
comment on function walltrack.trigger_position_snapshot_strategy() is
'Snapshots the exit strategy into a new position (ADR-002).';

create trigger positions_before_insert_snapshot_strategy
before insert on walltrack.positions
for each row execute function walltrack.trigger_position_snapshot_strategy();

create function walltrack.trigger_position_keep_strategy()
returns trigger
language plpgsql
set search_path = ''
as $$
-- The snapshot never changes; per-position changes go into exit_strategy_override.
begin
  perform walltrack.ensure(
    new.exit_strategy_id = old.exit_strategy_id
    and new.exit_strategy_snapshot = old.exit_strategy_snapshot,
    format('position %s keeps the exit strategy it was opened with', old.id),
    'Put per-position changes in exit_strategy_override instead.');
  return new;
end;
$$;
comment on function walltrack.trigger_position_keep_strategy() is
'Refuses a change of a position''s exit strategy or its snapshot (ADR-002).';

-- Fires only when a statement names these columns: fills never pay for it.
create trigger positions_before_update_keep_strategy
before update of exit_strategy_id, exit_strategy_snapshot on walltrack.positions
for each row execute function walltrack.trigger_position_keep_strategy();

create trigger positions_before_update_set_updated_at
before update on walltrack.positions
for each row execute function walltrack.trigger_set_updated_at();

create trigger positions_before_delete_refuse
before delete on walltrack.positions
for each row execute function walltrack.trigger_refuse_change(
  'Positions hold realized money history: they are closed, never deleted.'
);

alter table walltrack.positions enable row level security;
grant select, insert, update on walltrack.positions to service_role;

comment on table walltrack.positions is
'Aggregate Root: one holding of one token opened by a copy, with its exit strategy snapshot '
'(plus per-position override), entry, realized and unrealized money. The money columns are '
'kept true by triggers on order fills and price ticks; nothing else writes them.';
comment on column walltrack.positions.id is 'Identity of the position.';
comment on column walltrack.positions.wallet_id is 'The leader wallet whose trade was copied.';
comment on column walltrack.positions.token_mint is 'The token held.';
comment on column walltrack.positions.token_decimals is
'Decimals of the token (quantities are atomic).';
comment on column walltrack.positions.mode is 'simulation or live, from the wallet at opening.';
comment on column walltrack.positions.status is
'opening -> open -> closing -> closed, or failed when the entry never filled.';
comment on column walltrack.positions.opened_from_signal_id is 'The leader buy that opened it.';
comment on column walltrack.positions.exit_strategy_id is
'The template the snapshot was taken from.';
comment on column walltrack.positions.exit_strategy_snapshot is
'The template''s rules at creation (ADR-002); never changes.';
comment on column walltrack.positions.exit_strategy_override is
'Per-position rule changes over the snapshot, e.g. {"stop_loss_pct": -15}; edit in Studio.';
comment on column walltrack.positions.qty_bought is
'Token bought, atomic units (sum of entry fills).';
comment on column walltrack.positions.cost_basis_sol is 'SOL spent on the entry, fees included.';
comment on column walltrack.positions.avg_entry_price_sol is
'Average entry price per whole token in SOL, fees included.';
comment on column walltrack.positions.qty_sold is 'Token sold, atomic units (sum of exit fills).';
comment on column walltrack.positions.proceeds_sol is 'SOL received from exits, net of fees.';
comment on column walltrack.positions.realized_pnl_sol is
'Realized PnL in SOL, average-cost method: proceeds minus the cost of what was sold.';
comment on column walltrack.positions.take_profits_fired is
'Take-profit levels (1-based) already fired: each fires once.';
comment on column walltrack.positions.close_reason is 'The exit rule that closed it.';
comment on column walltrack.positions.closed_at is
'When the remaining quantity reached zero (or dust).';
comment on column walltrack.positions.last_price_sol is 'Last price per whole token in SOL.';
comment on column walltrack.positions.last_price_at is 'When last_price_sol was observed.';
comment on column walltrack.positions.unrealized_pnl_sol is
'Value of what is held at last_price_sol minus its average cost.';
comment on column walltrack.positions.peak_price_sol is
'Highest price seen since entry (trailing stop).';
comment on column walltrack.positions.opened_at is 'When the position was created.';
comment on column walltrack.positions.updated_at is 'Last change of the row.';

-- Rollback:
-- alter table walltrack.signals drop constraint signals_order_fk;
-- alter table walltrack.signals drop constraint signals_position_fk;
-- alter table walltrack.orders drop constraint orders_position_fk;
-- drop table walltrack.positions;
-- drop function walltrack.trigger_position_keep_strategy();
-- drop function walltrack.trigger_position_snapshot_strategy();
-- drop type walltrack.position_status;
