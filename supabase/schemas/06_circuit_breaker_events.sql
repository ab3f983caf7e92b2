-- circuit_breaker_events: event sourcing of the global circuit breaker (ADR-004). Every
-- activation and deactivation; no foreign key, the breaker is global. Append-only; the
-- current state is the latest event. While it is active, the database itself refuses new
-- positions and buy orders, whoever tries (walltrack.trigger_refuse_buys_while_breaker_active,
-- attached to positions and orders), and exits go on. The rules that trip and reset it
-- read positions: 09_circuit_breaker.sql.

create type walltrack.breaker_event_type as enum ('activated', 'deactivated');
comment on type walltrack.breaker_event_type is 'The breaker tripped (activated) or was reset.';

create type walltrack.breaker_trigger as enum (
  'daily_loss', 'drawdown', 'consecutive_losses', 'win_rate', 'manual', 'cooldown'
);
comment on type walltrack.breaker_trigger is
'What caused the event: a threshold crossed, an operator, or the cooldown expiring.';

create table walltrack.circuit_breaker_events (
  id bigint generated always as identity primary key,
  event_type walltrack.breaker_event_type not null,
  trigger walltrack.breaker_trigger not null,
  threshold numeric,
  observed numeric,
  metrics jsonb not null default '{}',
  actor text not null default 'system',
  note text not null default '',
  -- The wall clock, not the transaction's start: events and closes of one transaction
  -- stay in the order they happened. Whatever an insert gives, the database's clock is
  -- stamped (circuit_breaker_events_before_insert_stamp_time): the state cannot be forged
  -- with an event dated in the future.
  created_at timestamptz not null default walltrack.clock_precise(),

  constraint circuit_breaker_events_metrics_object check (walltrack.ensure(
    jsonb_typeof(metrics) = 'object', 'circuit_breaker_events.metrics must be a JSON object'
  )),
  constraint circuit_breaker_events_actor_present check (walltrack.ensure(
    length(btrim(actor)) > 0, 'a breaker event names its actor: system or the operator'
  )),
  constraint circuit_breaker_events_manual_names_operator check (walltrack.ensure(
    trigger <> 'manual' or (actor <> 'system' and length(btrim(note)) > 0),
    'a manual breaker event names the operator (not system) and says why in a note',
    'Use api.reset_circuit_breaker(operator, note) to reset the breaker.'
  )),
  constraint circuit_breaker_events_numbers_finite check (walltrack.ensure_finite(
    'circuit_breaker_events', array['threshold', 'observed'], array[threshold, observed]
  ))
);

create index circuit_breaker_events_created_idx
on walltrack.circuit_breaker_events (created_at desc, id desc);

create function walltrack.trigger_stamp_event_time()
returns trigger
language plpgsql
set search_path = ''
as $$
-- An event's time is the database's clock, never the client's: an event dated in the
-- future would stay the latest, and so the breaker's state, whatever happened after it.
begin
  new.created_at := walltrack.clock_precise();
  return new;
end;
$$;
comment on function walltrack.trigger_stamp_event_time() is
'Stamps an inserted event with the database''s clock, whatever created_at was given.';

-- Triggers on circuit_breaker_events, in the order Postgres fires them (by name):
--   insert    circuit_breaker_events_before_insert_stamp_time  created_at := the database's clock
--             circuit_breaker_events_before_insert_system_only automatic events: the check's only
--             circuit_breaker_events_after_insert_alert        raises an alert (17_alerts.sql)
--   update    circuit_breaker_events_before_change_refuse      refused: append-only
--   delete    circuit_breaker_events_before_change_refuse      refused: append-only
--   truncate  circuit_breaker_events_before_truncate_refuse    refused
create trigger circuit_breaker_events_before_insert_stamp_time
before insert on walltrack.circuit_breaker_events
for each row execute function walltrack.trigger_stamp_event_time();

-- Trips and cooldown resets are the breaker check's (walltrack.check_circuit_breaker, with
-- the engine-write mark on, or after a close, inside the fill trigger); an operator's
-- event is manual and names them (circuit_breaker_events_manual_names_operator).
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

create trigger circuit_breaker_events_before_change_refuse
before update or delete on walltrack.circuit_breaker_events
for each row execute function walltrack.trigger_refuse_change(
  'Breaker events are an audit log: record a new event (e.g. a manual reset) instead.'
);

create trigger circuit_breaker_events_before_truncate_refuse
before truncate on walltrack.circuit_breaker_events
for each statement execute function walltrack.trigger_refuse_change(
  'Breaker events are an audit log: record a new event (e.g. a manual reset) instead.'
);

alter table walltrack.circuit_breaker_events enable row level security;
grant select, insert on walltrack.circuit_breaker_events to service_role;

comment on table walltrack.circuit_breaker_events is
'Event Sourcing: every activation and deactivation of the global circuit breaker, with the '
'threshold, the observed value and a metrics snapshot. Append-only; the latest event is the '
'current state. While active no new position opens; exits keep running (ADR-004).';
comment on column walltrack.circuit_breaker_events.id is 'Identity and order of the event.';
comment on column walltrack.circuit_breaker_events.event_type is 'activated or deactivated.';
comment on column walltrack.circuit_breaker_events.trigger is
'daily_loss, drawdown, consecutive_losses, win_rate, manual or cooldown.';
comment on column walltrack.circuit_breaker_events.threshold is 'The config threshold crossed.';
comment on column walltrack.circuit_breaker_events.observed is
'The value observed when it tripped.';
comment on column walltrack.circuit_breaker_events.metrics is
'Snapshot of the breaker metrics at the event (JSON object).';
comment on column walltrack.circuit_breaker_events.actor is 'system, or the operator who acted.';
comment on column walltrack.circuit_breaker_events.note is
'Why the operator acted; required for a manual event.';
comment on column walltrack.circuit_breaker_events.created_at is
'When it happened: the database''s clock at insert, whatever the insert gave.';

create function walltrack.latest_breaker_event()
returns walltrack.circuit_breaker_events
language plpgsql
stable
set search_path = ''
as $$
-- ADR-004: the breaker's state is its latest event. (plpgsql, not sql, here and below:
-- a function with SET is never inlined, and plpgsql keeps its plans between calls.)
declare
  latest walltrack.circuit_breaker_events;
begin
  select e.* into latest from walltrack.circuit_breaker_events as e
  order by e.created_at desc, e.id desc
  limit 1;
  return latest;
end;
$$;
comment on function walltrack.latest_breaker_event() is
'The latest circuit breaker event: the breaker''s current state.';
grant execute on function walltrack.latest_breaker_event() to service_role;

create function walltrack.breaker_is_active()
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
  return coalesce((walltrack.latest_breaker_event()).event_type = 'activated', false);
end;
$$;
comment on function walltrack.breaker_is_active() is
'True while the latest circuit breaker event is an activation.';
grant execute on function walltrack.breaker_is_active() to service_role;

create function walltrack.last_breaker_reset()
returns timestamptz
language plpgsql
stable
set search_path = ''
as $$
-- A reset starts a new equity curve: losses before it do not trip the breaker again.
begin
  return (
    select max(e.created_at) from walltrack.circuit_breaker_events as e
    where e.event_type = 'deactivated'
  );
end;
$$;
comment on function walltrack.last_breaker_reset() is
'When the circuit breaker was last reset (the start of the current equity curve).';
grant execute on function walltrack.last_breaker_reset() to service_role;

create function walltrack.trigger_refuse_buys_while_breaker_active()
returns trigger
language plpgsql
set search_path = ''
as $$
-- ADR-004, enforced where nobody can go around it: no new position and no buy order while
-- the breaker is active. Sells and exits always pass.
begin
  -- On orders the trigger fires for buys only (its WHEN clause).
  if walltrack.breaker_is_active() then
    raise exception using
      message = format('circuit breaker is active: %s refused', case
        when tg_table_name = 'positions' then 'a new position is' else 'a buy order is' end),
      hint = 'Exits still run. Reset with api.reset_circuit_breaker(operator, note).',
      errcode = 'check_violation';
  end if;
  return new;
end;
$$;
comment on function walltrack.trigger_refuse_buys_while_breaker_active() is
'Refuses new positions and buy orders while the circuit breaker is active (ADR-004).';
