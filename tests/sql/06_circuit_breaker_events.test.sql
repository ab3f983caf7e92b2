begin;
select plan(4);

insert into walltrack.circuit_breaker_events (event_type, trigger, threshold, observed)
values ('activated', 'daily_loss', 2, 2.5);

select throws_ok(
  $$ update walltrack.circuit_breaker_events set observed = 1 $$, '23001',
  'circuit_breaker_events rows are permanent: update is refused', 'events are never edited'
);
select throws_ok(
  $$ delete from walltrack.circuit_breaker_events $$, '23001',
  'circuit_breaker_events rows are permanent: delete is refused', 'events are never deleted'
);
select throws_ok(
  $$ truncate walltrack.circuit_breaker_events $$, '23001',
  'circuit_breaker_events rows are permanent: truncate is refused', 'events are never truncated'
);
select throws_ok(
  $$ insert into walltrack.circuit_breaker_events (event_type, trigger, actor)
     values ('deactivated', 'manual', ' ') $$,
  '23514', 'a breaker event names its actor: system or the operator',
  'an event without an actor is refused'
);

select * from finish();
rollback;
