-- leader_protections
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

-- Per-leader protections (issue 20): config thresholds, each wallet's own, the events table
-- and its rules, the refusal in decide_buy, the cooldown job, the operator's resume.
alter table walltrack.config
add column leader_max_consecutive_losses integer default 5,
add column leader_max_loss_sol numeric,
add column leader_loss_window_hours integer not null default 24,
add column leader_max_baseline_gap_pct numeric default 30,
add column leader_baseline_trades integer not null default 10,
add column leader_pause_cooldown_minutes integer,
add constraint config_leader_protections check (walltrack.ensure(
  coalesce(leader_max_consecutive_losses between 1 and 1000, true)
  and coalesce(leader_max_loss_sol > 0, true)
  and leader_loss_window_hours between 1 and 720
  and coalesce(leader_max_baseline_gap_pct between 0 and 100, true)
  and leader_baseline_trades between 1 and 1000
  and coalesce(leader_pause_cooldown_minutes between 1 and 525600, true),
  format(
    'config leader protections out of range: leader_max_consecutive_losses within 1..1000 '
    || '(got %s), leader_max_loss_sol above 0 (got %s), leader_loss_window_hours within '
    || '1..720 (got %s), leader_max_baseline_gap_pct within 0..100 points (got %s), '
    || 'leader_baseline_trades within 1..1000 (got %s), leader_pause_cooldown_minutes '
    || 'within 1..525600 (got %s)',
    leader_max_consecutive_losses, leader_max_loss_sol, leader_loss_window_hours,
    leader_max_baseline_gap_pct, leader_baseline_trades, leader_pause_cooldown_minutes
  ),
  'Leave a threshold empty to switch that protection off; an empty cooldown means only an '
  || 'operator resumes a paused leader (api.resume_leader).'
)),
add constraint config_leader_numbers_finite check (walltrack.ensure_finite(
  'config', array['leader_max_loss_sol', 'leader_max_baseline_gap_pct'],
  array[leader_max_loss_sol, leader_max_baseline_gap_pct]
));

comment on column walltrack.config.leader_max_consecutive_losses is
'A leader is paused after this many losing copies in a row (empty: off).';

comment on column walltrack.config.leader_max_loss_sol is
'A leader is paused when its copies lost more than this many SOL within '
'leader_loss_window_hours (empty: off).';

comment on column walltrack.config.leader_loss_window_hours is
'The window of leader_max_loss_sol, in hours.';

comment on column walltrack.config.leader_max_baseline_gap_pct is
'A leader is paused when its last leader_baseline_trades copies won this many points less '
'than its measured baseline win rate (empty: off).';

comment on column walltrack.config.leader_baseline_trades is
'How many of a leader''s latest closed copies are compared with its baseline.';

comment on column walltrack.config.leader_pause_cooldown_minutes is
'A paused leader resumes on its own after this many minutes (empty: only an operator '
'resumes it).';

alter table walltrack.wallets
add column pause_max_consecutive_losses integer,
add column pause_max_loss_sol numeric,
add column pause_max_baseline_gap_pct numeric,
add column pause_cooldown_minutes integer,
add constraint wallets_pause_thresholds check (walltrack.ensure(
  coalesce(pause_max_consecutive_losses between 1 and 1000, true)
  and coalesce(pause_max_loss_sol > 0, true)
  and coalesce(pause_max_baseline_gap_pct between 0 and 100, true)
  and coalesce(pause_cooldown_minutes between 1 and 525600, true),
  format(
    'wallet protections out of range: pause_max_consecutive_losses within 1..1000 (got %s), '
    || 'pause_max_loss_sol above 0 (got %s), pause_max_baseline_gap_pct within 0..100 '
    || 'points (got %s), pause_cooldown_minutes within 1..525600 (got %s)',
    pause_max_consecutive_losses, pause_max_loss_sol, pause_max_baseline_gap_pct,
    pause_cooldown_minutes
  ),
  'Leave one empty to use the config''s leader_* value.'
)),
add constraint wallets_pause_numbers_finite check (walltrack.ensure_finite(
  'wallets', array['pause_max_loss_sol', 'pause_max_baseline_gap_pct'],
  array[pause_max_loss_sol, pause_max_baseline_gap_pct]
));

comment on column walltrack.wallets.pause_max_consecutive_losses is
'Pause this leader after this many losing copies in a row (empty: '
'config.leader_max_consecutive_losses).';

comment on column walltrack.wallets.pause_max_loss_sol is
'Pause this leader when its copies lost more than this within the loss window (empty: '
'config.leader_max_loss_sol).';

comment on column walltrack.wallets.pause_max_baseline_gap_pct is
'Pause this leader when its recent copies won this many points below its baseline (empty: '
'config.leader_max_baseline_gap_pct).';

comment on column walltrack.wallets.pause_cooldown_minutes is
'Resume this leader on its own this many minutes after a pause (empty: '
'config.leader_pause_cooldown_minutes).';

-- A leader's latest closes (its protections).
create index positions_wallet_closes_idx
on walltrack.positions (wallet_id, closed_at desc, id desc)
where status = 'closed';

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
  matches integer;
  wallet_id bigint;
  resumed walltrack.leader_pause_events;
begin
  select count(*), min(w.id) into matches, wallet_id from walltrack.wallets as w
  where w.address = resume_leader.wallet or w.label = resume_leader.wallet;
  perform walltrack.ensure(matches = 1,
    format('%s names %s wallets, not one', resume_leader.wallet, matches),
    'Name it by its address (walltrack wallets list shows them).');
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

alter type walltrack.book add attribute paused_leaders bigint[];
comment on type walltrack.book is
'What the limits look at, read once per batch and kept current by each decision: open '
'positions, exposure in SOL, breaker state, the leaders their protections paused.';

create or replace function walltrack.current_book()
returns walltrack.book
language plpgsql
stable
set search_path = ''
as $$
begin
  return row(
    (
      select count(*) from walltrack.positions as p
      where p.status in ('opening', 'open', 'closing')
    ),
    walltrack.open_exposure_sol(),
    walltrack.breaker_is_active(),
    walltrack.paused_leaders()
  )::walltrack.book;
end;
$$;
comment on function walltrack.current_book() is
'Open positions, exposure, breaker state and paused leaders now: the starting point of a '
'batch''s decisions.';
grant execute on function walltrack.current_book() to service_role;

create or replace function walltrack.decide_buy(
  signal walltrack.signals, wallet walltrack.wallets, cfg walltrack.config, book walltrack.book,
  gate text, positions_in_token integer
)
returns walltrack.decision
language plpgsql
stable
set search_path = ''
as $$
-- Rules in the order an operator reads them; the first that refuses gives the reason. The
-- token's gate (token_gate) and its open positions come from the caller, which reads them
-- once per batch and counts the copies it decides. A copy is opened by open_copies.
declare
  refusal text;
  size_sol numeric;
begin
  refusal := case
    when wallet.status <> 'active' then 'wallet_not_active'
    when not cfg.trading_enabled then 'trading_disabled'
    when book.breaker_active then 'breaker_active'
    when wallet.id = any(book.paused_leaders) then 'leader_paused'
    when wallet.mode = 'live' and not cfg.live_trading_enabled then 'live_trading_off'
    when signal.quote_mint <> 'So11111111111111111111111111111111111111112'
      then 'not_a_sol_quote'
    when coalesce(signal.price_sol <= 0, true) then 'no_leader_price'
    when walltrack.buy_is_stale(signal, cfg) then 'stale'
    else gate
  end;
  if refusal is null then
    size_sol := walltrack.copy_size_sol(cfg, wallet.position_size_sol, signal.quote_amount / 1e9);
    refusal := case
      when positions_in_token >= cfg.max_positions_per_token then 'already_holding'
      when book.open_positions >= cfg.max_open_positions then 'max_positions'
      when coalesce(size_sol < cfg.min_position_sol, true) then 'below_min_size'
      when size_sol + book.exposure_sol > cfg.max_total_exposure_sol then 'exposure_limit'
    end;
  end if;
  if refusal is not null then
    return walltrack.skip(refusal);
  end if;
  -- What the copy puts at stake: a live entry its size until it fills; a simulated one
  -- fills at once, and its fill adds the simulated fee to the position's cost.
  return row(
    'copied', 'copied', null, null, 1,
    size_sol + case when wallet.mode = 'simulation' then cfg.sim_fee_lamports / 1e9 else 0 end,
    size_sol
  )::walltrack.decision;
end;
$$;

create or replace function walltrack.decide_signals(
  candidate_ids bigint[], hold_for_lookups boolean
)
returns bigint[]
language plpgsql
set search_path = ''
as $$
-- Decides the undecided signals among candidate_ids in chain order, against the book;
-- returns the ids decided, in that order. With hold_for_lookups, a buy of a token whose
-- facts a lookup is fetching is held (left pending) unless it is already stale. Every
-- later signal of a held token is held behind it, and so is every signal of a token with
-- a pending signal outside the candidates: a leader's sell is never decided before its buy.
-- Set-based where the rules allow: the tokens' gates (per mode: token_gates) and open
-- positions are read once, the copies decided are opened together (open_copies), and all
-- decisions are written in one statement. A sell may mirror a copy just decided, and its
-- close may trip the breaker for the buys after it, so the copies decided before a sell are
-- opened before it is decided.
declare
  cfg walltrack.config;
  book walltrack.book;
  item record;
  outcome walltrack.decision;
  outcomes walltrack.decision[] := '{}'::walltrack.decision[];
  decided_ids bigint[] := '{}'::bigint[];
  held text[];
  awaited text[] := '{}'::text[];
  gates jsonb;
  positions_by_token jsonb;
  copies walltrack.signals[] := '{}'::walltrack.signals[];
  copy_modes walltrack.trade_mode[] := '{}'::walltrack.trade_mode[];
  copy_slots integer[] := '{}'::integer[];
  engine text;
begin
  -- Decisions read and change shared limits (open positions, exposure): one batch at a
  -- time decides, so concurrent deliveries cannot both take the last slot.
  perform pg_advisory_xact_lock(hashtext('walltrack.ingest_swaps'));
  select c.* into strict cfg from walltrack.config as c;
  held := array(
    select distinct s.token_mint from walltrack.signals as s
    where s.decision is null and s.token_mint is not null and s.id <> all(candidate_ids)
  );
  if hold_for_lookups then
    awaited := walltrack.tokens_awaiting_lookup(array(
      select s.token_mint from walltrack.signals as s
      where s.id = any(candidate_ids) and s.side = 'buy'
    ));
  end if;
  select
    coalesce(jsonb_object_agg(m.token_mint, walltrack.token_gates(m.token_mint)), '{}'),
    coalesce(jsonb_object_agg(m.token_mint, (
      select count(*) from walltrack.positions as p
      where p.token_mint = m.token_mint and p.status in ('opening', 'open', 'closing')
    )), '{}')
  into gates, positions_by_token
  from (
    select distinct s.token_mint from walltrack.signals as s
    where s.id = any(candidate_ids) and s.side = 'buy' and s.decision is null
  ) as m;
  book := walltrack.current_book();
  for item in
    select s as signal, w as wallet
    from walltrack.signals as s
    inner join walltrack.wallets as w on s.wallet_id = w.id
    where s.id = any(candidate_ids) and s.decision is null
    order by s.block_time, s.slot, s.id
  loop
    if (item.signal).token_mint = any(held) or (
      (item.signal).side = 'buy' and (item.signal).token_mint = any(awaited)
      and (item.wallet).status = 'active' and not walltrack.buy_is_stale(item.signal, cfg)
    ) then
      held := held || (item.signal).token_mint;
      continue;
    end if;
    if (item.signal).side = 'sell' and cardinality(copies) > 0 then
      outcomes := walltrack.open_copies(outcomes, copies, copy_modes, copy_slots, cfg);
      copies := '{}';
      copy_modes := '{}';
      copy_slots := '{}';
    end if;
    outcome := walltrack.decide_signal(item.signal, item.wallet, cfg, book,
      gates -> (item.signal).token_mint ->> (item.wallet).mode::text,
      coalesce((positions_by_token ->> (item.signal).token_mint)::integer, 0));
    if outcome.copy_size_sol is not null then
      copies := copies || item.signal;
      copy_modes := copy_modes || (item.wallet).mode;
      copy_slots := copy_slots || (cardinality(outcomes) + 1);
    end if;
    if positions_by_token ? (item.signal).token_mint then
      positions_by_token := jsonb_set(positions_by_token, array[(item.signal).token_mint],
        to_jsonb((positions_by_token ->> (item.signal).token_mint)::integer
          + outcome.positions_delta));
    end if;
    book.open_positions := book.open_positions + outcome.positions_delta;
    book.exposure_sol := book.exposure_sol + outcome.exposure_delta_sol;
    if outcome.positions_delta < 0 then
      -- A close may have tripped the breaker or paused its leader: the next buys of the
      -- batch must see it.
      book.breaker_active := walltrack.breaker_is_active();
      book.paused_leaders := walltrack.paused_leaders();
    end if;
    decided_ids := decided_ids || (item.signal).id;
    outcomes := outcomes || outcome;
  end loop;
  if cardinality(copies) > 0 then
    outcomes := walltrack.open_copies(outcomes, copies, copy_modes, copy_slots, cfg);
  end if;

  -- Every decision written at once, each on its signal (set once, see the signals trigger).
  engine := walltrack.begin_engine_write();
  update walltrack.signals as s
  set
    decision = d.decision,
    decision_reason = d.reason,
    decided_at = walltrack.clock(),
    position_id = d.position_id,
    order_id = d.order_id
  from rows from (unnest(decided_ids), unnest(outcomes)) as d(
    signal_id, decision, reason, position_id, order_id, positions_delta, exposure_delta_sol,
    copy_size_sol
  )
  where s.id = d.signal_id;
  perform walltrack.end_engine_write(engine);
  return decided_ids;
end;
$$;
comment on function walltrack.decide_signals(bigint[], boolean) is
'Decides the undecided signals among the given ids in chain order (holding, with '
'hold_for_lookups, the buys whose token lookup is in flight and what follows them); returns '
'the ids decided.';
grant execute on function walltrack.decide_signals(bigint[], boolean) to service_role;

comment on column walltrack.signals.decision_reason is
'Machine-readable reason: copied, mirror_sell, wallet_not_active, trading_disabled, '
'breaker_active, leader_paused (the leader''s own protections paused it), token_unsafe, '
'token_unknown, token_not_checked, max_positions, '
'exposure_limit, already_holding, below_min_size, no_position_to_mirror, mirror_sells_off, '
'live_trading_off, failed_transaction, not_a_sol_quote, stale (a buy not decided within '
'config.max_copy_delay_seconds of its block time), chain_mismatch (a live buy of a token '
'an unresolved phantom or deficit chain finding holds).';

select cron.schedule(
  'walltrack-leader-cooldowns', '* * * * *', 'select walltrack.resume_leaders_after_cooldown()'
);

create function api.resume_leader(wallet text, operator text, note text)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.resume_leader(wallet, operator, note);
$$;
comment on function api.resume_leader(text, text, text) is
'RPC of walltrack.resume_leader, for an operator, from the SQL editor or walltrack.';
grant execute on function api.resume_leader(text, text, text) to service_role;

create or replace view walltrack.scoreboard
with (security_invoker = true)
as
select
  w.label,
  p.time_window,
  w.status,
  w.mode,
  p.positions_closed as trades,
  p.win_rate_pct,
  p.baseline_win_rate_pct,
  p.realized_pnl_sol,
  p.baseline_pnl_sol,
  p.avg_return_pct,
  p.profit_factor,
  p.expectancy_sol,
  p.best_trade_sol,
  p.worst_trade_sol,
  p.avg_hold,
  p.max_drawdown_sol,
  p.max_consecutive_losses,
  p.copy_decay_pct,
  p.leader_trades_compared,
  p.signals_seen,
  p.copied_pct,
  p.positions_opened,
  p.open_exposure_sol,
  p.unrealized_pnl_sol,
  p.refreshed_at,
  w.address,
  p.wallet_id,
  -- Live, not refreshed: a block on the wallet's live buys shows at once.
  (
    select count(*) from walltrack.chain_findings as f
    where f.resolved_at is null and exists (
      select from walltrack.positions as lp
      where
        lp.wallet_id = p.wallet_id and lp.token_mint = f.token_mint and lp.mode = 'live'
        and lp.status in ('opening', 'open', 'closing')
    )
  ) as open_chain_findings,
  -- Live as well: what paused the leader, while its protections hold it.
  (
    select case when e.event_type = 'paused' then e.trigger::text end
    from walltrack.leader_pause_events as e
    where e.wallet_id = p.wallet_id
    order by e.created_at desc, e.id desc
    limit 1
  ) as paused_by
from walltrack.performance as p
inner join walltrack.wallets as w on p.wallet_id = w.id
order by w.label, w.id, array_position(array['24h', '7d', '30d', 'all'], p.time_window);
comment on column walltrack.scoreboard.paused_by is
'While the leader''s protections pause it: what paused it (consecutive_losses, window_loss, '
'below_baseline), read now; empty otherwise.';

create view walltrack.leader_pause_log
with (security_invoker = true)
as
select
  e.id,
  e.created_at,
  w.label as wallet_label,
  w.address as wallet_address,
  e.event_type,
  e.trigger,
  e.threshold,
  e.observed,
  e.actor,
  e.note,
  e.metrics
from walltrack.leader_pause_events as e
inner join walltrack.wallets as w on e.wallet_id = w.id;

revoke all on walltrack.leader_pause_log from public, anon, authenticated;
grant select on walltrack.leader_pause_log to service_role;
comment on view walltrack.leader_pause_log is
'Each leader''s pauses and resumes by its label: the demo''s and the report''s table, and what '
'an operator reads before api.resume_leader.';

create or replace view walltrack.watchlist
with (security_invoker = true)
as
select
  w.id,
  w.address,
  w.label,
  w.status,
  w.mode,
  s.name as exit_strategy,
  w.position_size_sol,
  w.copy_sells,
  exists(
    select from walltrack.signals as g
    where g.wallet_id = w.id
  ) as has_signals,
  w.pause_max_consecutive_losses,
  w.pause_max_loss_sol,
  w.pause_max_baseline_gap_pct,
  w.pause_cooldown_minutes
from walltrack.wallets as w
left join walltrack.exit_strategies as s on w.exit_strategy_id = s.id;

create view walltrack.signals_log_resumes
with (security_invoker = true)
as
select
  e.id,
  e.created_at,
  w.address as wallet,
  e.actor,
  e.note
from walltrack.leader_pause_events as e
inner join walltrack.wallets as w on e.wallet_id = w.id
where e.event_type = 'resumed' and e.trigger = 'manual';

revoke all on walltrack.signals_log_resumes from public, anon, authenticated;
grant select on walltrack.signals_log_resumes to service_role;
comment on view walltrack.signals_log_resumes is
'The operators'' resumes of paused leaders, as the signals log carries them: the replay '
'makes each again at its time (when its replay paused that leader too).';

create or replace view walltrack.signals_log_config
with (security_invoker = true)
as
select
  c.trading_enabled,
  c.live_trading_enabled,
  c.sizing_mode,
  c.fixed_amount_sol,
  c.leader_fraction,
  c.min_position_sol,
  c.max_position_sol,
  c.max_open_positions,
  c.max_total_exposure_sol,
  c.max_positions_per_token,
  c.default_slippage_bps,
  c.max_slippage_bps,
  c.priority_fee_lamports,
  c.jito_tip_lamports,
  c.order_max_attempts,
  c.retry_backoff_seconds,
  c.sim_slippage_bps,
  c.sim_fee_lamports,
  c.token_cache_ttl_minutes,
  c.min_liquidity_usd,
  c.min_market_cap_usd,
  c.max_market_cap_usd,
  c.min_pool_age_minutes,
  c.max_rugcheck_score,
  c.require_mint_authority_revoked,
  c.require_freeze_authority_revoked,
  c.max_top10_holders_pct,
  c.unknown_token_policy,
  c.breaker_max_daily_loss_sol,
  c.breaker_max_drawdown_pct,
  c.breaker_max_consecutive_losses,
  c.breaker_min_win_rate_pct,
  c.breaker_win_rate_window,
  c.breaker_cooldown_minutes,
  c.position_dust_sol,
  c.helius_sync_interval_minutes,
  c.token_market_ttl_minutes,
  c.token_unknown_ttl_minutes,
  c.breaker_capital_sol,
  c.max_copy_delay_seconds,
  c.priority_fee_percentile,
  c.priority_fee_compute_units,
  c.priority_fee_max_lamports,
  c.leader_max_consecutive_losses,
  c.leader_max_loss_sol,
  c.leader_loss_window_hours,
  c.leader_max_baseline_gap_pct,
  c.leader_baseline_trades,
  c.leader_pause_cooldown_minutes
from walltrack.config as c;
