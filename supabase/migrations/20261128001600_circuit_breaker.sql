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

create function walltrack.breaker_metrics()
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
-- The realized equity curve since the last reset (a reset starts a new curve: old losses do
-- not trip the breaker again): capital plus cumulative realized PnL of the closes in order.
declare
  cfg walltrack.config;
  since timestamptz;
  metrics jsonb;
begin
  select c.* into strict cfg from walltrack.config as c;
  select max(e.created_at) into since
  from walltrack.circuit_breaker_events as e where e.event_type = 'deactivated';
  with closes as (
    select
      p.realized_pnl_sol as pnl,
      p.closed_at,
      row_number() over (order by p.closed_at desc, p.id desc) as recency,
      cfg.breaker_capital_sol
      + sum(p.realized_pnl_sol) over (order by p.closed_at, p.id) as equity
    from walltrack.positions as p
    where p.status = 'closed' and (since is null or p.closed_at > since)
  ),

  curve as (
    select
      c.*,
      greatest(cfg.breaker_capital_sol, max(c.equity) over (order by c.recency desc)) as peak
    from closes as c
  )

  select jsonb_build_object(
    'closes', count(*),
    'equity_sol', coalesce(min(c.equity) filter (where c.recency = 1), cfg.breaker_capital_sol),
    'peak_equity_sol', coalesce(max(c.peak), cfg.breaker_capital_sol),
    'realized_loss_24h_sol', greatest(
      0, -coalesce(sum(c.pnl) filter (where c.closed_at > now() - interval '24 hours'), 0)
    ),
    'consecutive_losses', coalesce(
      min(c.recency) filter (where c.pnl >= 0) - 1, count(*)
    ),
    'win_rate_pct', case
      when count(*) >= cfg.breaker_win_rate_window then round(100.0 * count(*) filter (
        where c.pnl > 0 and c.recency <= cfg.breaker_win_rate_window
      ) / cfg.breaker_win_rate_window, 2)
    end
  ) into metrics
  from curve as c;
  return metrics || jsonb_build_object(
    'drawdown_pct', round(
      100 * ((metrics ->> 'peak_equity_sol')::numeric - (metrics ->> 'equity_sol')::numeric)
      / (metrics ->> 'peak_equity_sol')::numeric, 4
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
  latest walltrack.circuit_breaker_events;
begin
  select e.* into latest from walltrack.circuit_breaker_events as e
  order by e.created_at desc, e.id desc limit 1;
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
  select e.* into latest from walltrack.circuit_breaker_events as e
  order by e.created_at desc, e.id desc limit 1;

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
-- alter table walltrack.config drop constraint config_breaker_capital_positive,
--   drop column breaker_capital_sol;
