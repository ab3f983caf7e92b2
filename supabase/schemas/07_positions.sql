-- positions: the aggregate root. One holding of one token, opened by a copy. Its money is
-- kept true by triggers when its orders fill (average-cost method) and when prices are
-- applied; nothing else may write those columns. The exit strategy is snapshotted at
-- creation (ADR-002). Each close stamps the realized equity curve the breaker reads.
-- Signals point at the position they opened (signals_position_fk, declared here because
-- signals come first); orders point at theirs (08_orders.sql).

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
  opened_at timestamptz not null default walltrack.clock(),
  updated_at timestamptz not null default walltrack.clock(),
  -- the realized equity curve, stamped at close (ADR-004)
  equity_after_sol numeric,
  equity_peak_after_sol numeric,
  losing_streak_after integer,

  -- A CHECK runs on every updated row (each price tick): each rule is tested plainly
  -- first, and walltrack.ensure builds its message only for a row that fails. Net
  -- proceeds may be negative: selling dust can cost more in fees than it brings.
  constraint positions_decimals_range check (
    token_decimals between 0 and 18
    or walltrack.ensure(
      token_decimals between 0 and 18,
      format('positions.token_decimals must be within 0..18, got %s', token_decimals)
    )
  ),
  constraint positions_quantities_consistent check (
    qty_bought >= 0 and qty_sold >= 0 and qty_sold <= qty_bought and cost_basis_sol >= 0
    or walltrack.ensure(
      qty_bought >= 0 and qty_sold >= 0 and qty_sold <= qty_bought and cost_basis_sol >= 0,
      format('position quantities inconsistent: sold %s of %s bought', qty_sold, qty_bought)
    )
  ),
  constraint positions_override_object check (
    jsonb_typeof(exit_strategy_override) = 'object'
    or walltrack.ensure(
      jsonb_typeof(exit_strategy_override) = 'object',
      'positions.exit_strategy_override must be a JSON object of rule fields, e.g. '
      || '{"stop_loss_pct": -20}'
    )
  ),
  -- NaN sorts above every number and Infinity passes `> 0`: greatest and least see both
  -- (and skip nulls) without a function call on a tick.
  constraint positions_numbers_finite check (
    (
      greatest(
        qty_bought, cost_basis_sol, avg_entry_price_sol, qty_sold, proceeds_sol,
        realized_pnl_sol, last_price_sol, unrealized_pnl_sol, peak_price_sol, equity_after_sol,
        equity_peak_after_sol
      ) < 'Infinity'::numeric
      and least(
        qty_bought, cost_basis_sol, avg_entry_price_sol, qty_sold, proceeds_sol,
        realized_pnl_sol, last_price_sol, unrealized_pnl_sol, peak_price_sol, equity_after_sol,
        equity_peak_after_sol
      ) > '-Infinity'::numeric
    ) is not false
    or walltrack.ensure_finite(
      'positions',
      array[
        'qty_bought', 'cost_basis_sol', 'avg_entry_price_sol', 'qty_sold', 'proceeds_sol',
        'realized_pnl_sol', 'last_price_sol', 'unrealized_pnl_sol', 'peak_price_sol',
        'equity_after_sol', 'equity_peak_after_sol'
      ],
      array[
        qty_bought, cost_basis_sol, avg_entry_price_sol, qty_sold, proceeds_sol,
        realized_pnl_sol, last_price_sol, unrealized_pnl_sol, peak_price_sol, equity_after_sol,
        equity_peak_after_sol
      ]
    )
  )
)
-- A price tick rewrites every open position: free room in each page keeps the update on
-- its page (a HOT update, no index to touch).
with (fillfactor = 70);

create index positions_wallet_idx on walltrack.positions (wallet_id, opened_at);

create index positions_token_idx on walltrack.positions (token_mint);

-- A leader's latest closes (its protections, 09_leader_pauses.sql).
create index positions_wallet_closes_idx
on walltrack.positions (wallet_id, closed_at desc, id desc)
where status = 'closed';

create index positions_live_idx on walltrack.positions (status)
where status in ('opening', 'open', 'closing');

create index positions_closed_idx on walltrack.positions (closed_at) where status = 'closed';

-- The end of the curve, and the last N closes, in one index probe.
create index positions_closes_latest_idx on walltrack.positions (closed_at desc, id desc)
where status = 'closed';

-- One index for "the live positions in this token", the lookup every tick makes per token.
create index positions_live_token_idx on walltrack.positions (token_mint)
where status in ('open', 'closing');

alter table walltrack.signals
add constraint signals_position_fk foreign key (position_id) references walltrack.positions (id);

create function walltrack.trigger_token_keep_held()
returns trigger
language plpgsql
set search_path = ''
as $$
-- The foreign key would refuse it too, in Postgres's words; this says what to do instead.
begin
  perform walltrack.ensure(
    not exists (select from walltrack.positions as p where p.token_mint = old.mint),
    format('token %s is held by a position: its row is kept', old.mint),
    'To stop buying it, set manual_list = blacklist.');
  return old;
end;
$$;
comment on function walltrack.trigger_token_keep_held() is
'Refuses deleting the token row of a mint a position holds.';

create trigger tokens_before_delete_keep_held
before delete on walltrack.tokens
for each row execute function walltrack.trigger_token_keep_held();

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

create function walltrack.curve_end(since timestamptz)
returns walltrack.positions
language plpgsql
stable
set search_path = ''
as $$
-- The latest close after `since`: the current end of the equity curve.
declare
  last_close walltrack.positions;
begin
  select p.* into last_close from walltrack.positions as p
  where p.status = 'closed' and p.equity_after_sol is not null and p.closed_at > since
  order by p.closed_at desc, p.id desc
  limit 1;
  return last_close;
end;
$$;
comment on function walltrack.curve_end(timestamptz) is
'The latest close after the given time: the end of the realized equity curve.';
grant execute on function walltrack.curve_end(timestamptz) to service_role;

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

create function walltrack.trigger_position_money()
returns trigger
language plpgsql
set search_path = ''
as $$
-- Derives entry price, peak and unrealized PnL from the accumulators (quantities, cost,
-- proceeds, realized: written only by the fill trigger, as the guard_money triggers
-- enforce) and the last price; stamps updated_at (one trigger function per row on a tick).
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
  new.updated_at := walltrack.clock();
  new.unrealized_pnl_sol := case
    when new.status = 'closed' or held_tokens = 0 then 0
    when new.last_price_sol is not null then round(held_tokens * new.last_price_sol - open_cost, 9)
  end;
  return new;
end;
$$;
comment on function walltrack.trigger_position_money() is
'Derives a position''s average entry, peak price and unrealized PnL from its accumulators '
'and last price, and stamps updated_at.';

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

create function walltrack.trigger_position_keep_identity()
returns trigger
language plpgsql
set search_path = ''
as $$
-- What a position is (its wallet, token, decimals, mode, opening time and signal) is set at
-- opening: changing it would revalue its money (decimals), send live orders for tokens never
-- bought (mode) or move it in the scoreboard and the breaker's windows (opened_at).
declare
  changed text := concat_ws(', ',
    case when new.wallet_id is distinct from old.wallet_id then 'wallet_id' end,
    case when new.token_mint is distinct from old.token_mint then 'token_mint' end,
    case when new.token_decimals is distinct from old.token_decimals then 'token_decimals' end,
    case when new.mode is distinct from old.mode then 'mode' end,
    case when new.opened_at is distinct from old.opened_at then 'opened_at' end,
    case when new.opened_from_signal_id is distinct from old.opened_from_signal_id
      then 'opened_from_signal_id' end);
begin
  raise exception using
    message = format('position %s keeps what it was opened as: %s cannot change', old.id, changed),
    hint = 'A position''s wallet, token, decimals, mode and opening are set when it opens. '
    || 'To get out of a wrong position, give it an exit rule in exit_strategy_override; a new '
    || 'copy opens a new position.',
    errcode = 'check_violation';
end;
$$;
comment on function walltrack.trigger_position_keep_identity() is
'Refuses a change of a position''s identity columns (wallet, token, decimals, mode, opening).';

create function walltrack.trigger_position_stamp_equity()
returns trigger
language plpgsql
set search_path = ''
as $$
-- Each close extends the equity curve by one point, so the breaker reads the curve's end
-- instead of replaying every close: O(1) per check at any number of closes.
declare
  -- -infinity without a reset: a plain range the closed_at index can serve.
  since timestamptz := coalesce(walltrack.last_breaker_reset(), '-infinity');
  previous walltrack.positions;
begin
  -- Two closes at once must chain, not both extend the same point.
  perform pg_advisory_xact_lock(hashtext('walltrack.equity_curve'));
  previous := walltrack.curve_end(since);
  new.equity_after_sol := coalesce(
    previous.equity_after_sol, (select c.breaker_capital_sol from walltrack.config as c)
  ) + new.realized_pnl_sol;
  new.equity_peak_after_sol := greatest(
    coalesce(previous.equity_peak_after_sol, new.equity_after_sol - new.realized_pnl_sol),
    new.equity_after_sol
  );
  new.losing_streak_after := case
    when new.realized_pnl_sol < 0 then coalesce(previous.losing_streak_after, 0) + 1 else 0
  end;
  return new;
end;
$$;
comment on function walltrack.trigger_position_stamp_equity() is
'Stamps a closing position with the equity curve point it makes (equity, peak, streak).';

create function walltrack.trigger_position_keep_equity()
returns trigger
language plpgsql
set search_path = ''
as $$
-- The equity curve is written by closes only; an edit would fool the breaker.
begin
  perform walltrack.ensure(pg_trigger_depth() > 1,
    'the equity curve columns are written by closes: they cannot be edited directly');
  return new;
end;
$$;
comment on function walltrack.trigger_position_keep_equity() is
'Refuses direct edits of a position''s equity curve columns.';

-- Triggers on positions, in the order Postgres fires them (one timing at a time, by name):
--   insert  positions_before_insert_breaker            no new position while the breaker is active
--           positions_before_insert_engine_only        opened by a copy, never by hand
--           positions_before_insert_guard_money        a position starts with no money in it
--           positions_before_insert_snapshot_strategy  snapshot the exit strategy (ADR-002)
--           positions_before_write_money               derive entry price, peak, unrealized PnL
--           positions_before_write_override_valid      exit_strategy_override is valid
--   update  positions_before_close_stamp_equity        a close stamps its equity curve point
--           positions_before_update_engine_state       status, last price, fired levels: engine
--           positions_before_update_guard_money        money columns change only by fills
--           positions_before_update_keep_equity        equity stamps change only by closes
--           positions_before_update_keep_identity      wallet, token, decimals, mode, opening fixed
--           positions_before_update_keep_strategy      the snapshot never changes
--           positions_before_write_money               derive entry price, peak, unrealized PnL
--           positions_before_write_override_valid      exit_strategy_override is valid
--           positions_after_close_check_breaker        a close checks the breaker: created in
--                                                      09_circuit_breaker.sql, after the rule
--           positions_after_close_check_leader         and its leader's protections (created in
--                                                      09_leader_pauses.sql)
--           positions_after_update_alert_closed        a close raises its alerts (17_alerts.sql)
--   delete  positions_before_delete_refuse             positions are closed, never deleted

create trigger positions_before_insert_breaker
before insert on walltrack.positions
for each row execute function walltrack.trigger_refuse_buys_while_breaker_active();

-- What WallTrack's functions own is guarded in WHEN clauses (no function call unless a
-- direct edit is refused): they write with the engine-write mark on (begin_engine_write);
-- the fill triggers write from inside a trigger (depth above 0).
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

create trigger positions_before_insert_snapshot_strategy
before insert on walltrack.positions
for each row execute function walltrack.trigger_position_snapshot_strategy();

create trigger positions_before_close_stamp_equity
before update of status on walltrack.positions
for each row
when (new.status = 'closed' and old.status is distinct from 'closed')
execute function walltrack.trigger_position_stamp_equity();

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

create trigger positions_before_update_keep_equity
before update of equity_after_sol, equity_peak_after_sol, losing_streak_after
on walltrack.positions
for each row execute function walltrack.trigger_position_keep_equity();

-- A WHEN clause, no function call: a price tick does not pay for it.
create trigger positions_before_update_keep_identity
before update on walltrack.positions
for each row
when (
  (
    new.wallet_id, new.token_mint, new.token_decimals, new.mode, new.opened_at,
    new.opened_from_signal_id
  )
  is distinct from
  (
    old.wallet_id, old.token_mint, old.token_decimals, old.mode, old.opened_at,
    old.opened_from_signal_id
  )
)
execute function walltrack.trigger_position_keep_identity();

-- Fires only when a statement names these columns: fills never pay for it.
create trigger positions_before_update_keep_strategy
before update of exit_strategy_id, exit_strategy_snapshot on walltrack.positions
for each row execute function walltrack.trigger_position_keep_strategy();

-- On update, fires only when a statement names the override: price ticks never pay for it.
create trigger positions_before_write_override_valid
before insert or update of exit_strategy_override on walltrack.positions
for each row
when (new.exit_strategy_override is distinct from '{}'::jsonb)
execute function walltrack.trigger_position_override_valid();

create trigger positions_before_write_money
before insert or update on walltrack.positions
for each row execute function walltrack.trigger_position_money();

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
comment on column walltrack.positions.equity_after_sol is
'Realized equity right after this close (breaker capital + realized PnL of the closes since '
'the last breaker reset): the equity curve, one point per close.';
comment on column walltrack.positions.equity_peak_after_sol is
'Highest realized equity up to this close since the last breaker reset.';
comment on column walltrack.positions.losing_streak_after is
'Losing closes in a row ending with this one (0 when it won).';
