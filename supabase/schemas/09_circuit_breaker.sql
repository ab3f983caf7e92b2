-- Circuit breaker (ADR-004): measured on the realized equity curve that closes stamp on
-- positions, tripped after a close or on schedule, reset by an operator or after the
-- cooldown. Its state is the latest circuit_breaker_events row (06_circuit_breaker_events.sql).

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
        and p.closed_at <= walltrack.clock() - interval '24 hours'
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

create function walltrack.breaker_state()
returns jsonb
language plpgsql
stable
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
comment on function walltrack.breaker_state() is
'Whether the circuit breaker is active, since when, and why (its latest event).';
grant execute on function walltrack.breaker_state() to service_role;

create function walltrack.check_circuit_breaker()
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
    if walltrack.clock() - latest.created_at >= make_interval(mins => cfg.breaker_cooldown_minutes) then
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
comment on function walltrack.check_circuit_breaker() is
'Activates the breaker when a threshold is crossed, resets it after the cooldown; returns '
'the state. Called after every close and by pg_cron every minute.';
grant execute on function walltrack.check_circuit_breaker() to service_role;

create function walltrack.restart_equity_curve(operator text, note text)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- A manual deactivation, whatever the breaker's state: the breaker reads the realized
-- equity curve since its last deactivation, so the curve starts again from
-- config.breaker_capital_sol. While the breaker is active this is a reset.
begin
  perform walltrack.ensure(length(btrim(coalesce(operator, ''))) > 0
    and length(btrim(coalesce(note, ''))) > 0,
    'a manual reset names the operator and says why in a note');
  insert into walltrack.circuit_breaker_events (event_type, trigger, actor, note, metrics)
  values ('deactivated', 'manual', operator, note, walltrack.breaker_metrics());
  return walltrack.breaker_state();
end;
$$;
comment on function walltrack.restart_equity_curve(text, text) is
'Starts the realized equity curve again from config.breaker_capital_sol (a manual '
'deactivation, recorded with who and why), whether or not the breaker is active: for a '
'what-if replay, or after the bankroll changed.';
grant execute on function walltrack.restart_equity_curve(text, text) to service_role;

create function walltrack.reset_circuit_breaker(operator text, note text)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- For the operator, from Studio's SQL editor: record who reset it and why.
begin
  perform walltrack.ensure(walltrack.breaker_is_active(),
    'the circuit breaker is not active: there is nothing to reset');
  return walltrack.restart_equity_curve(operator, note);
end;
$$;
comment on function walltrack.reset_circuit_breaker(text, text) is
'Manual reset of the circuit breaker: select api.reset_circuit_breaker(''alice'', ''why'').';
grant execute on function walltrack.reset_circuit_breaker(text, text) to service_role;

create function walltrack.trigger_check_breaker_after_close()
returns trigger
language plpgsql
set search_path = ''
as $$
-- A loss that comes from a close stops new buys at once, not at the next scheduled check.
begin
  perform walltrack.check_circuit_breaker();
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
