-- Per-leader protections (issue 20): each watched wallet has a breaker of its own, in the
-- global breaker's event-sourced style (06_circuit_breaker_events.sql). A leader is paused
-- after config.leader_max_consecutive_losses losing copies in a row, when its copies lost
-- more than config.leader_max_loss_sol over config.leader_loss_window_hours, or when its
-- last config.leader_baseline_trades copies won config.leader_max_baseline_gap_pct points
-- less than its measured baseline. Each wallet may set its own thresholds (pause_* columns,
-- 03_wallets.sql); empty means config's, and config's empty means off. While paused, its new
-- buys are refused (leader_paused); exits and mirror sells still run. An operator resumes
-- it with a note (api.resume_leader), or the cooldown does. The counts start again from the
-- last resume, as the global breaker's do from its last reset.

create type walltrack.leader_pause_event_type as enum ('paused', 'resumed');
comment on type walltrack.leader_pause_event_type is
'The leader was paused (no new copies) or resumed.';

create type walltrack.leader_pause_trigger as enum (
  'consecutive_losses', 'window_loss', 'below_baseline', 'manual', 'cooldown'
);
comment on type walltrack.leader_pause_trigger is
'What caused the event: a protection crossed, an operator, or the cooldown expiring.';

create table walltrack.leader_pause_events (
  id bigint generated always as identity primary key,
  wallet_id bigint not null references walltrack.wallets (id),
  event_type walltrack.leader_pause_event_type not null,
  trigger walltrack.leader_pause_trigger not null,
  threshold numeric,
  observed numeric,
  metrics jsonb not null default '{}',
  actor text not null default 'system',
  note text not null default '',
  -- Stamped with the database's clock whatever an insert gives (trigger_stamp_event_time).
  created_at timestamptz not null default walltrack.clock_precise(),

  constraint leader_pause_events_metrics_object check (walltrack.ensure(
    jsonb_typeof(metrics) = 'object', 'leader_pause_events.metrics must be a JSON object'
  )),
  constraint leader_pause_events_manual_names_operator check (walltrack.ensure(
    trigger <> 'manual' or (actor <> 'system' and length(btrim(note)) > 0),
    'a manual leader event names the operator (not system) and says why in a note',
    'Resume a leader with api.resume_leader(wallet, operator, note).'
  )),
  constraint leader_pause_events_numbers_finite check (walltrack.ensure_finite(
    'leader_pause_events', array['threshold', 'observed'], array[threshold, observed]
  ))
);

create index leader_pause_events_wallet_idx
on walltrack.leader_pause_events (wallet_id, created_at desc, id desc);

-- Triggers on leader_pause_events, in the order Postgres fires them (by name):
--   insert    leader_pause_events_before_insert_stamp_time   created_at := the database's clock
--             leader_pause_events_before_insert_system_only  pauses and cooldowns: the check's
--   update    leader_pause_events_before_change_refuse       refused: append-only
--   delete    leader_pause_events_before_change_refuse       refused: append-only
--   truncate  leader_pause_events_before_truncate_refuse     refused
create trigger leader_pause_events_before_insert_stamp_time
before insert on walltrack.leader_pause_events
for each row execute function walltrack.trigger_stamp_event_time();

create trigger leader_pause_events_before_insert_system_only
before insert on walltrack.leader_pause_events
for each row
when (
  new.trigger <> 'manual'
  and pg_trigger_depth() = 0
  and current_setting('walltrack.engine_write', true) is distinct from 'on'
)
execute function walltrack.trigger_refuse_direct_write(
  'automatic leader events (pauses and cooldown resumes) are recorded by the leader check, '
  'not by hand',
  'Resume a leader with api.resume_leader(wallet, operator, note); to stop copying one by '
  'hand, set its status to paused.'
);

create trigger leader_pause_events_before_change_refuse
before update or delete on walltrack.leader_pause_events
for each row execute function walltrack.trigger_refuse_change(
  'Leader pause events are an audit log: record a new event (a manual resume) instead.'
);

create trigger leader_pause_events_before_truncate_refuse
before truncate on walltrack.leader_pause_events
for each statement execute function walltrack.trigger_refuse_change(
  'Leader pause events are an audit log: record a new event (a manual resume) instead.'
);

alter table walltrack.leader_pause_events enable row level security;
grant select, insert on walltrack.leader_pause_events to service_role;

comment on table walltrack.leader_pause_events is
'Event Sourcing: every pause and resume of each leader (its own breaker), with the threshold, '
'the observed value and a metrics snapshot. Append-only; a wallet''s latest event is its '
'state. While paused its new buys are refused (leader_paused); exits keep running.';
comment on column walltrack.leader_pause_events.id is 'Identity and order of the event.';
comment on column walltrack.leader_pause_events.wallet_id is 'The leader paused or resumed.';
comment on column walltrack.leader_pause_events.event_type is 'paused or resumed.';
comment on column walltrack.leader_pause_events.trigger is
'consecutive_losses, window_loss, below_baseline, manual or cooldown.';
comment on column walltrack.leader_pause_events.threshold is 'The threshold crossed.';
comment on column walltrack.leader_pause_events.observed is 'The value observed when it paused.';
comment on column walltrack.leader_pause_events.metrics is
'Snapshot of the leader''s metrics at the event (JSON object).';
comment on column walltrack.leader_pause_events.actor is 'system, or the operator who acted.';
comment on column walltrack.leader_pause_events.note is
'Why the operator acted; required for a manual event.';
comment on column walltrack.leader_pause_events.created_at is
'When it happened: the database''s clock at insert, whatever the insert gave.';

create function walltrack.paused_leaders()
returns bigint[]
language plpgsql
stable
set search_path = ''
as $$
-- The wallets whose latest pause event is a pause: read once per batch of decisions.
begin
  return array(
    select l.wallet_id from (
      select distinct on (e.wallet_id) e.wallet_id, e.event_type
      from walltrack.leader_pause_events as e
      order by e.wallet_id, e.created_at desc, e.id desc
    ) as l
    where l.event_type = 'paused'
    order by l.wallet_id
  );
end;
$$;
comment on function walltrack.paused_leaders() is
'The ids of the leaders paused now (their latest event is a pause).';
grant execute on function walltrack.paused_leaders() to service_role;

create function walltrack.latest_leader_event(wallet_id bigint)
returns walltrack.leader_pause_events
language plpgsql
stable
set search_path = ''
as $$
declare
  latest walltrack.leader_pause_events;
begin
  select e.* into latest from walltrack.leader_pause_events as e
  where e.wallet_id = latest_leader_event.wallet_id
  order by e.created_at desc, e.id desc
  limit 1;
  return latest;
end;
$$;
comment on function walltrack.latest_leader_event(bigint) is
'The leader''s latest pause event (its state), or null when it never was paused.';
grant execute on function walltrack.latest_leader_event(bigint) to service_role;

create function walltrack.leader_metrics(
  wallet walltrack.wallets, cfg walltrack.config, depth integer, with_window boolean
)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
-- What the protections read, from the leader's copies closed since it was last resumed: the
-- losing closes in a row up to the latest (counted over its last `depth` closes: no more
-- is needed to cross a threshold), the win rate of its last leader_baseline_trades closes
-- (empty until there are that many) next to its measured baseline, and, with_window, the
-- realized PnL within the loss window. Each reads the wallet's latest closes by index.
declare
  since timestamptz := coalesce((
    select max(e.created_at) from walltrack.leader_pause_events as e
    where e.wallet_id = wallet.id and e.event_type = 'resumed'
  ), '-infinity');
  latest numeric[];
  streak integer;
  recent numeric[];
  window_pnl numeric;
begin
  latest := array(
    select p.realized_pnl_sol from walltrack.positions as p
    where p.wallet_id = wallet.id and p.status = 'closed' and p.closed_at > since
    order by p.closed_at desc, p.id desc
    limit depth
  );
  streak := coalesce((
    select min(l.n) - 1 from unnest(latest) with ordinality as l (pnl, n) where l.pnl >= 0
  ), cardinality(latest));
  recent := latest[1:cfg.leader_baseline_trades];
  if with_window then
    select coalesce(sum(p.realized_pnl_sol), 0) into window_pnl
    from walltrack.positions as p
    where p.wallet_id = wallet.id and p.status = 'closed'
      and p.closed_at > greatest(since,
        walltrack.clock() - make_interval(hours => cfg.leader_loss_window_hours));
  end if;
  return jsonb_build_object(
    'consecutive_losses', streak,
    'window_pnl_sol', window_pnl,
    'window_hours', cfg.leader_loss_window_hours,
    'recent_trades', cardinality(recent),
    'recent_win_rate_pct', case
      when cardinality(recent) >= cfg.leader_baseline_trades then round(
        100.0 * (select count(*) from unnest(recent) as r (pnl) where r.pnl > 0)
        / cardinality(recent), 2)
    end,
    'baseline_win_rate_pct', wallet.baseline_win_rate_pct,
    'since', since
  );
end;
$$;
comment on function walltrack.leader_metrics(walltrack.wallets, walltrack.config, integer, boolean)
is 'The leader''s copies since its last resume: losses in a row (over its last `depth` closes), '
'the win rate of its last config.leader_baseline_trades closes and its baseline, and the PnL '
'in the loss window when asked (JSON).';
grant execute on function walltrack.leader_metrics(
  walltrack.wallets, walltrack.config, integer, boolean
) to service_role;

create function walltrack.leader_pause_due(wallet walltrack.wallets, cfg walltrack.config)
returns walltrack.leader_pause_events
language plpgsql
stable
set search_path = ''
as $$
-- The pause the leader's metrics call for (the first protection crossed, in the order an
-- operator reads them), or null. Each threshold is the wallet's own, else config's; with
-- every protection off, nothing is read.
declare
  max_losses integer := coalesce(wallet.pause_max_consecutive_losses,
    cfg.leader_max_consecutive_losses);
  max_loss numeric := coalesce(wallet.pause_max_loss_sol, cfg.leader_max_loss_sol);
  max_gap numeric := coalesce(wallet.pause_max_baseline_gap_pct,
    cfg.leader_max_baseline_gap_pct);
  metrics jsonb;
  gap numeric;
  pause walltrack.leader_pause_events;
begin
  if max_losses is null and max_loss is null
    and (max_gap is null or wallet.baseline_win_rate_pct is null) then
    return null;
  end if;
  metrics := walltrack.leader_metrics(wallet, cfg,
    greatest(coalesce(max_losses, 0), cfg.leader_baseline_trades), max_loss is not null);
  gap := (metrics ->> 'baseline_win_rate_pct')::numeric
    - (metrics ->> 'recent_win_rate_pct')::numeric;
  pause.wallet_id := wallet.id;
  pause.event_type := 'paused';
  pause.metrics := metrics;
  if (metrics ->> 'consecutive_losses')::integer >= max_losses then
    pause.trigger := 'consecutive_losses';
    pause.threshold := max_losses;
    pause.observed := (metrics ->> 'consecutive_losses')::numeric;
  elsif -(metrics ->> 'window_pnl_sol')::numeric > max_loss then
    pause.trigger := 'window_loss';
    pause.threshold := max_loss;
    pause.observed := -(metrics ->> 'window_pnl_sol')::numeric;
  elsif gap > max_gap then
    pause.trigger := 'below_baseline';
    pause.threshold := max_gap;
    pause.observed := gap;
  else
    return null;
  end if;
  return pause;
end;
$$;
comment on function walltrack.leader_pause_due(walltrack.wallets, walltrack.config) is
'The pause a leader''s metrics call for (consecutive_losses, window_loss or below_baseline, '
'with threshold and observed value), or null.';
grant execute on function walltrack.leader_pause_due(walltrack.wallets, walltrack.config)
to service_role;

create function walltrack.check_leader(wallet_id bigint)
returns boolean
language plpgsql
set search_path = ''
as $$
-- After each close of one of its copies: pauses the leader when a protection is crossed.
-- Returns whether it is paused. One check at a time per leader: two closes pause it once.
declare
  cfg walltrack.config;
  wallet walltrack.wallets;
  latest walltrack.leader_pause_events;
  pause walltrack.leader_pause_events;
  engine text;
begin
  perform pg_advisory_xact_lock(
    hashtext('walltrack.check_leader'), check_leader.wallet_id::integer
  );
  select c.* into strict cfg from walltrack.config as c;
  select w.* into strict wallet from walltrack.wallets as w where w.id = check_leader.wallet_id;
  latest := walltrack.latest_leader_event(wallet.id);
  if latest.event_type = 'paused' then
    return true;
  end if;
  pause := walltrack.leader_pause_due(wallet, cfg);
  if pause is null then
    return false;
  end if;
  engine := walltrack.begin_engine_write();
  insert into walltrack.leader_pause_events (
    wallet_id, event_type, trigger, threshold, observed, metrics
  )
  values (
    pause.wallet_id, pause.event_type, pause.trigger, pause.threshold, pause.observed,
    pause.metrics
  );
  perform walltrack.end_engine_write(engine);
  return true;
end;
$$;
comment on function walltrack.check_leader(bigint) is
'Pauses the leader when one of its protections is crossed (after a close of one of its '
'copies); returns whether it is paused.';
grant execute on function walltrack.check_leader(bigint) to service_role;

create function walltrack.trigger_check_leader_after_close()
returns trigger
language plpgsql
set search_path = ''
as $$
-- A losing close pauses its leader at once, not at the next scheduled check.
begin
  perform walltrack.check_leader(new.wallet_id);
  return null;
end;
$$;
comment on function walltrack.trigger_check_leader_after_close() is
'Runs the leader''s protections after one of its copies closes.';

create trigger positions_after_close_check_leader
after update of status on walltrack.positions
for each row
when (new.status = 'closed' and old.status is distinct from 'closed')
execute function walltrack.trigger_check_leader_after_close();

create function walltrack.resume_leaders_after_cooldown()
returns integer
language plpgsql
set search_path = ''
as $$
-- pg_cron, every minute: a paused leader whose cooldown (its own, else config's) has run
-- since it was paused is resumed. Without a cooldown only an operator resumes it.
declare
  resumed integer;
  engine text := walltrack.begin_engine_write();
begin
  insert into walltrack.leader_pause_events (wallet_id, event_type, trigger, note)
  select
    w.id, 'resumed', 'cooldown',
    format('automatic resume after the %s minute cooldown',
      coalesce(w.pause_cooldown_minutes, c.leader_pause_cooldown_minutes))
  from walltrack.wallets as w
  cross join walltrack.config as c
  cross join lateral walltrack.latest_leader_event(w.id) as l
  where l.event_type = 'paused'
    and walltrack.clock() - l.created_at >= make_interval(
      mins => coalesce(w.pause_cooldown_minutes, c.leader_pause_cooldown_minutes));
  get diagnostics resumed = row_count;
  perform walltrack.end_engine_write(engine);
  return resumed;
end;
$$;
comment on function walltrack.resume_leaders_after_cooldown() is
'Resumes the paused leaders whose cooldown has run (pg_cron, every minute); returns how many.';
grant execute on function walltrack.resume_leaders_after_cooldown() to service_role;

create function walltrack.resume_leader(wallet text, operator text, note text)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- For the operator: resume a paused leader (named by its address or its label), saying who
-- and why. Its protections count again from now.
declare
  wallet_id bigint := walltrack.wallet_named(resume_leader.wallet);
  resumed walltrack.leader_pause_events;
begin
  perform walltrack.ensure(
    coalesce((walltrack.latest_leader_event(wallet_id)).event_type = 'paused', false),
    format('%s is not paused by its protections: there is nothing to resume',
      resume_leader.wallet),
    'A wallet paused by hand (its status) is resumed by setting its status to active.');
  insert into walltrack.leader_pause_events (wallet_id, event_type, trigger, actor, note)
  values (wallet_id, 'resumed', 'manual', coalesce(operator, 'system'), coalesce(note, ''))
  returning * into resumed;
  return jsonb_build_object('wallet_id', wallet_id, 'event_id', resumed.id,
    'resumed_at', resumed.created_at);
end;
$$;
comment on function walltrack.resume_leader(text, text, text) is
'Manual resume of a leader its protections paused (named by address or label), recorded '
'with who and why; its protections count again from now.';
grant execute on function walltrack.resume_leader(text, text, text) to service_role;
