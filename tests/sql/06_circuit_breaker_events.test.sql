begin;
select plan(12);

select throws_ok(
  $$ insert into walltrack.circuit_breaker_events (event_type, trigger, threshold, observed)
     values ('deactivated', 'cooldown', 2, 2.5) $$,
  '23514',
  'automatic breaker events (trips and cooldown resets) are recorded by the breaker check, '
  || 'not by hand',
  'a cooldown reset typed in by hand is refused: only a manual reset, naming its operator'
);
select throws_ok(
  $$ insert into walltrack.circuit_breaker_events (event_type, trigger, threshold, observed)
     values ('activated', 'daily_loss', 2, 2.5) $$,
  '23514',
  'automatic breaker events (trips and cooldown resets) are recorded by the breaker check, '
  || 'not by hand',
  'and so is an automatic trip'
);
-- As the breaker check records them:
select tests.as_engine($$
  insert into walltrack.circuit_breaker_events (event_type, trigger, threshold, observed)
  values ('activated', 'daily_loss', 2, 2.5)
$$);

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

select throws_ok(
  $$ select tests.as_engine('insert into walltrack.circuit_breaker_events
       (event_type, trigger, threshold, observed) values (''activated'', ''daily_loss'',
       ''NaN'', 2.5)') $$,
  '23514',
  'circuit_breaker_events numbers must be finite: NaN and Infinity are not amounts '
  || '(got threshold = NaN)',
  'a NaN threshold is refused'
);
select throws_ok(
  $$ insert into walltrack.circuit_breaker_events (event_type, trigger, actor)
     values ('deactivated', 'manual', 'alice') $$,
  '23514', 'a manual breaker event names the operator (not system) and says why in a note',
  'a manual reset without a note is refused'
);
select throws_ok(
  $$ insert into walltrack.circuit_breaker_events (event_type, trigger, note)
     values ('deactivated', 'manual', 'looks fine') $$,
  '23514', 'a manual breaker event names the operator (not system) and says why in a note',
  'a manual reset by system (no operator) is refused'
);

-- Forgery: a reset dated in the future would stay the latest event, hiding the activation
-- that follows it. The database's clock is stamped instead.
insert into walltrack.circuit_breaker_events (event_type, trigger, actor, note, created_at)
values ('deactivated', 'manual', 'mallory', 'hide the breaker', now() + interval '10 years');
select ok(
  (select created_at <= clock_timestamp() from walltrack.circuit_breaker_events
   where actor = 'mallory'),
  'a given created_at is replaced by the database''s clock'
);
select tests.as_engine($$
  insert into walltrack.circuit_breaker_events (event_type, trigger, threshold, observed)
  values ('activated', 'drawdown', 30, 31)
$$);
select is(
  walltrack.breaker_state() ->> 'trigger', 'drawdown',
  'the activation after the forged reset is the state'
);
select ok(walltrack.breaker_is_active(), 'and the breaker is active');

select * from finish();
rollback;
