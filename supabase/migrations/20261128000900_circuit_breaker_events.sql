-- circuit_breaker_events — Event Sourcing: every activation and deactivation of the
-- global circuit breaker. No foreign key: the breaker is global. Append-only; the
-- current state is the latest event (ADR-004: while active, no new position opens and
-- exits keep running).

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
  -- stay in the order they happened.
  created_at timestamptz not null default clock_timestamp(),

  constraint circuit_breaker_events_metrics_object check (walltrack.ensure(
    jsonb_typeof(metrics) = 'object', 'circuit_breaker_events.metrics must be a JSON object'
  )),
  constraint circuit_breaker_events_actor_present check (walltrack.ensure(
    length(btrim(actor)) > 0, 'a breaker event names its actor: system or the operator'
  ))
);

create index circuit_breaker_events_created_idx
on walltrack.circuit_breaker_events (created_at desc, id desc);

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
comment on column walltrack.circuit_breaker_events.note is 'Why the operator acted.';
comment on column walltrack.circuit_breaker_events.created_at is 'When it happened.';

-- Rollback:
-- drop table walltrack.circuit_breaker_events;
-- drop type walltrack.breaker_trigger;
-- drop type walltrack.breaker_event_type;
