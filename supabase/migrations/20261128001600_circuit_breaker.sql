-- Circuit breaker (ADR-004): measured on the realized equity curve, tripped after a close
-- or on schedule, reset by an operator or after the cooldown; while it is active the
-- database itself refuses new positions and buy orders, whoever tries, and exits go on.

alter table walltrack.config
add column breaker_capital_sol numeric not null default 10,
add constraint config_breaker_capital_positive check (walltrack.ensure(
  breaker_capital_sol > 0,
  'config.breaker_capital_sol (the bankroll drawdowns are measured on) must be above 0'
));
comment on column walltrack.config.breaker_capital_sol is
'Bankroll the equity curve starts from: drawdown % = (peak equity - equity) / peak equity.';

alter table walltrack.positions
add column equity_after_sol numeric,
add column equity_peak_after_sol numeric,
add column losing_streak_after integer;
comment on column walltrack.positions.equity_after_sol is
'Realized equity right after this close (breaker capital + realized PnL of the closes since '
'the last breaker reset): the equity curve, one point per close.';
comment on column walltrack.positions.equity_peak_after_sol is
'Highest realized equity up to this close since the last breaker reset.';
comment on column walltrack.positions.losing_streak_after is
'Losing closes in a row ending with this one (0 when it won).';

-- The end of the curve, and the last N closes, in one index probe.
create index positions_closes_latest_idx on walltrack.positions (closed_at desc, id desc)
where status = 'closed';

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

create trigger positions_before_close_stamp_equity
before update of status on walltrack.positions
for each row
when (new.status = 'closed' and old.status is distinct from 'closed')
execute function walltrack.trigger_position_stamp_equity();

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

create trigger positions_before_update_keep_equity
before update of equity_after_sol, equity_peak_after_sol, losing_streak_after
on walltrack.positions
for each row execute function walltrack.trigger_position_keep_equity();

create function walltrack.breaker_metrics()
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
-- The realized equity curve since the last reset, read from its last point (see
-- trigger_position_stamp_equity), the closes of the last 24 h and the last N closes.
declare
  cfg walltrack.config;
  -- -infinity without a reset: a plain range the closed_at index can serve.
  since timestamptz := coalesce(walltrack.last_breaker_reset(), '-infinity');
  last_close walltrack.positions;
  equity numeric;
  peak numeric;
begin
  select c.* into strict cfg from walltrack.config as c;
  last_close := walltrack.curve_end(since);
  equity := coalesce(last_close.equity_after_sol, cfg.breaker_capital_sol);
  peak := coalesce(last_close.equity_peak_after_sol, cfg.breaker_capital_sol);
  return jsonb_build_object(
    'equity_sol', equity,
    'peak_equity_sol', peak,
    'drawdown_pct', round(100 * (peak - equity) / peak, 4),
    'consecutive_losses', coalesce(last_close.losing_streak_after, 0),
    -- Net realized over 24 h = the curve's end minus its point just before the window
    -- (or its start): two index lookups, however many closes the day had.
    'realized_loss_24h_sol', greatest(0, coalesce((
      select p.equity_after_sol from walltrack.positions as p
      where
        p.status = 'closed' and p.equity_after_sol is not null
        and p.closed_at > since
        and p.closed_at <= now() - interval '24 hours'
      order by p.closed_at desc, p.id desc
      limit 1
    ), cfg.breaker_capital_sol) - equity),
    'win_rate_pct', (
      select case
        when count(*) = cfg.breaker_win_rate_window
          then round(100.0 * count(*) filter (where r.pnl > 0) / count(*), 2)
      end
      from (
        select p.realized_pnl_sol as pnl from walltrack.positions as p
        where p.status = 'closed' and p.closed_at > since
        order by p.closed_at desc, p.id desc
        limit cfg.breaker_win_rate_window
      ) as r
    )
  );
end;
$$;
comment on function walltrack.breaker_metrics() is
'Breaker metrics on the realized equity curve since the last reset: 24 h realized loss, '
'drawdown from the equity peak, consecutive losing closes, win rate over the last N closes.';
grant execute on function walltrack.breaker_metrics() to service_role;

create function api.breaker_state()
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
-- The current state is the latest event.
declare
  latest walltrack.circuit_breaker_events := walltrack.latest_breaker_event();
begin
  return jsonb_build_object(
    'active', coalesce(latest.event_type = 'activated', false),
    'since', latest.created_at,
    'trigger', latest.trigger,
    'threshold', latest.threshold,
    'observed', latest.observed,
    'actor', latest.actor
  );
end;
$$;
comment on function api.breaker_state() is
'Whether the circuit breaker is active, since when, and why (its latest event).';
grant execute on function api.breaker_state() to service_role;

create function api.check_circuit_breaker()
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
-- Trips the breaker when a threshold is crossed and it is not active; resets it when the
-- cooldown has passed. Runs after every close and on schedule. Returns the state.
declare
  cfg walltrack.config;
  latest walltrack.circuit_breaker_events;
  metrics jsonb;
  crossed record;
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
    return api.breaker_state();
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
  return api.breaker_state();
end;
$$;
comment on function api.check_circuit_breaker() is
'Activates the breaker when a threshold is crossed, resets it after the cooldown; returns '
'the state. Called after every close and by pg_cron every minute.';
grant execute on function api.check_circuit_breaker() to service_role;

create function api.reset_circuit_breaker(operator text, note text)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
-- For the operator, from Studio's SQL editor: record who reset it and why.
begin
  perform walltrack.ensure(walltrack.breaker_is_active(),
    'the circuit breaker is not active: there is nothing to reset');
  perform walltrack.ensure(length(btrim(coalesce(operator, ''))) > 0
    and length(btrim(coalesce(note, ''))) > 0,
    'a manual reset names the operator and says why in a note');
  insert into walltrack.circuit_breaker_events (event_type, trigger, actor, note, metrics)
  values ('deactivated', 'manual', operator, note, walltrack.breaker_metrics());
  return api.breaker_state();
end;
$$;
comment on function api.reset_circuit_breaker(text, text) is
'Manual reset of the circuit breaker: select api.reset_circuit_breaker(''alice'', ''why'').';
grant execute on function api.reset_circuit_breaker(text, text) to service_role;

create function walltrack.trigger_check_breaker_after_close()
returns trigger
language plpgsql
set search_path = ''
as $$
-- A loss that comes from a close stops new buys at once, not at the next scheduled check.
begin
  perform api.check_circuit_breaker();
  return null;
end;
$$;
comment on function walltrack.trigger_check_breaker_after_close() is
'Runs the breaker check after a position closes.';

create trigger positions_after_close_check_breaker
after update of status on walltrack.positions
for each row
when (new.status = 'closed' and old.status is distinct from 'closed')
execute function walltrack.trigger_check_breaker_after_close();

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

create trigger positions_before_insert_breaker
before insert on walltrack.positions
for each row execute function walltrack.trigger_refuse_buys_while_breaker_active();

create trigger orders_before_insert_breaker
before insert on walltrack.orders
for each row when (new.side = 'buy')
execute function walltrack.trigger_refuse_buys_while_breaker_active();

-- Rollback:
-- drop trigger orders_before_insert_breaker on walltrack.orders;
-- drop trigger positions_before_insert_breaker on walltrack.positions;
-- drop function walltrack.trigger_refuse_buys_while_breaker_active();
-- drop trigger positions_after_close_check_breaker on walltrack.positions;
-- drop function walltrack.trigger_check_breaker_after_close();
-- drop function api.reset_circuit_breaker(text, text);
-- drop function api.check_circuit_breaker();
-- drop function api.breaker_state();
-- drop function walltrack.breaker_metrics();
-- drop trigger positions_before_update_keep_equity on walltrack.positions;
-- drop function walltrack.trigger_position_keep_equity();
-- drop trigger positions_before_close_stamp_equity on walltrack.positions;
-- drop function walltrack.trigger_position_stamp_equity();
-- drop function walltrack.curve_end(timestamptz);
-- drop function walltrack.last_breaker_reset();
-- drop index walltrack.positions_closes_latest_idx;
-- alter table walltrack.positions drop column losing_streak_after,
--   drop column equity_peak_after_sol, drop column equity_after_sol;
-- alter table walltrack.config drop constraint config_breaker_capital_positive,
--   drop column breaker_capital_sol;
