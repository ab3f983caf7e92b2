-- Alerts: what the operator must hear about on their phone, written by the database itself
-- as it happens (an outbox), and drained by the notify function to Telegram and Discord.
-- The events raise them: a breaker event, a live order failed or written off, a position
-- closed (optional) or closed at a rug-sized loss, a token turned unsafe while held, a chain
-- finding; a schedule raises the silent webhook and the daily summary. Each alert has an
-- idempotency key (an event raises one alert however often it is seen) and its message, short
-- enough for a phone, written here. config.alert_kinds_telegram / alert_kinds_discord route
-- them. A delivery row per (alert, channel) is made when notify claims it: never two sends of
-- one alert to one channel, except a resend after notify died mid-send (at least once).

create table walltrack.alerts (
  id bigint generated always as identity primary key,
  kind walltrack.alert_kind not null,
  idempotency_key text not null,
  message text not null,
  details jsonb not null default '{}',
  created_at timestamptz not null default walltrack.clock(),

  constraint alerts_idempotency_key_unique unique (idempotency_key),
  constraint alerts_message_for_a_phone check (walltrack.ensure(
    length(btrim(message)) between 1 and 1000 and jsonb_typeof(details) = 'object',
    'an alert''s message holds 1 to 1,000 characters (Discord takes 2,000, a phone shows '
    || 'less) and its details are a JSON object'
  ))
);

create index alerts_created_idx on walltrack.alerts (created_at, id);

create type walltrack.alert_channel as enum ('telegram', 'discord');
comment on type walltrack.alert_channel is
'Where notify sends alerts: a Telegram chat (Bot API sendMessage) or a Discord webhook.';

create type walltrack.alert_delivery_status as enum ('sending', 'retry', 'sent', 'failed');
comment on type walltrack.alert_delivery_status is
'sending (claimed, leased), retry (to be sent again at next_attempt_at), sent, failed (gave '
'up: a refusal, or config.alert_max_attempts reached).';

create table walltrack.alert_deliveries (
  id bigint generated always as identity primary key,
  alert_id bigint not null references walltrack.alerts (id),
  channel walltrack.alert_channel not null,
  status walltrack.alert_delivery_status not null default 'sending',
  attempts integer not null default 1,
  lease_until timestamptz,
  next_attempt_at timestamptz,
  sent_at timestamptz,
  last_error text,
  created_at timestamptz not null default walltrack.clock(),

  constraint alert_deliveries_once_per_channel unique (alert_id, channel),
  constraint alert_deliveries_attempts_positive check (walltrack.ensure(
    attempts >= 1, 'an alert delivery counts at least its first attempt'
  ))
);

create index alert_deliveries_due_idx on walltrack.alert_deliveries (channel, status)
where status in ('sending', 'retry');

alter table walltrack.alerts enable row level security;
alter table walltrack.alert_deliveries enable row level security;
revoke all on walltrack.alerts, walltrack.alert_deliveries from public, anon, authenticated;
grant select, insert, update on walltrack.alerts, walltrack.alert_deliveries to service_role;

comment on table walltrack.alerts is
'The alerts outbox, raised by the database as events happen (walltrack.raise_alert); read by '
'the notify function through api.claim_alerts. Written by WallTrack only.';
comment on column walltrack.alerts.id is 'The alert.';
comment on column walltrack.alerts.kind is 'What happened (walltrack.alert_kind).';
comment on column walltrack.alerts.idempotency_key is
'One alert per event: kind and the event''s id (e.g. breaker_activated:12).';
comment on column walltrack.alerts.message is 'What the phone shows: short, amounts, links.';
comment on column walltrack.alerts.details is 'The event''s figures, for Studio.';
comment on column walltrack.alerts.created_at is 'When it was raised.';
comment on table walltrack.alert_deliveries is
'One row per alert and channel, made when notify claims it: its attempts and outcome.';
comment on column walltrack.alert_deliveries.id is 'The delivery: one alert to one channel.';
comment on column walltrack.alert_deliveries.alert_id is 'The alert sent.';
comment on column walltrack.alert_deliveries.channel is 'telegram or discord.';
comment on column walltrack.alert_deliveries.attempts is 'Sends tried, the current one included.';
comment on column walltrack.alert_deliveries.sent_at is 'When the channel accepted it.';
comment on column walltrack.alert_deliveries.created_at is 'When notify first claimed it.';
comment on column walltrack.alert_deliveries.status is
'sending, retry, sent or failed (walltrack.alert_delivery_status).';
comment on column walltrack.alert_deliveries.lease_until is
'While sending: past it, a claim takes the delivery again (notify died mid-send).';
comment on column walltrack.alert_deliveries.next_attempt_at is
'While retry: not before (a 429''s retry_after, or the backoff).';
comment on column walltrack.alert_deliveries.last_error is 'Why the last attempt failed.';

create function walltrack.trigger_alerts_engine_only()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception using
    message = format('%s is written by WallTrack (alerts are raised by events), not by hand',
      tg_table_name),
    hint = 'Read it in Studio; config.alert_kinds_telegram and alert_kinds_discord route alerts.',
    errcode = 'check_violation';
end;
$$;
comment on function walltrack.trigger_alerts_engine_only() is
'Refuses a direct write of alerts and their deliveries (outside WallTrack''s functions).';

-- Triggers on alerts, in the order Postgres fires them (by name):
--   insert    alerts_before_write_engine_only  raised by WallTrack, never by hand
--   update    alerts_before_write_engine_only
--   delete    alerts_before_write_engine_only

-- Triggers on alert_deliveries, in the order Postgres fires them (by name):
--   insert    alert_deliveries_before_write_engine_only  claimed by notify, never by hand
--   update    alert_deliveries_before_write_engine_only
--   delete    alert_deliveries_before_write_engine_only

-- WallTrack's functions write under the engine-write mark, the raising triggers one level
-- down.
create trigger alerts_before_write_engine_only
before insert or update or delete on walltrack.alerts
for each row
when (
  pg_trigger_depth() = 0
  and current_setting('walltrack.engine_write', true) is distinct from 'on'
)
execute function walltrack.trigger_alerts_engine_only();

create trigger alert_deliveries_before_write_engine_only
before insert or update or delete on walltrack.alert_deliveries
for each row
when (
  pg_trigger_depth() = 0
  and current_setting('walltrack.engine_write', true) is distinct from 'on'
)
execute function walltrack.trigger_alerts_engine_only();

create function walltrack.sol_text(amount numeric)
returns text
language sql
immutable
set search_path = ''
as $$
  -- A SOL amount for a phone: signed, 4 decimals (0.0066 SOL; the exact figure is in details).
  select case when amount >= 0 then '+' else '' end || to_char(round(amount, 4), 'FM9999990.0000');
$$;
comment on function walltrack.sol_text(numeric) is
'A signed SOL amount rounded to 4 decimals, for alert messages.';
grant execute on function walltrack.sol_text(numeric) to service_role;

create function walltrack.raise_alert(
  kind walltrack.alert_kind, idempotency_key text, message text, details jsonb default '{}'
)
returns bigint
language plpgsql
set search_path = ''
as $$
-- Records an alert once per key; returns its id (null when the key was raised before).
declare
  engine text := walltrack.begin_engine_write();
  new_id bigint;
begin
  insert into walltrack.alerts (kind, idempotency_key, message, details)
  values (kind, idempotency_key, left(message, 1000), coalesce(details, '{}'))
  on conflict on constraint alerts_idempotency_key_unique do nothing
  returning id into new_id;
  perform walltrack.end_engine_write(engine);
  return new_id;
end;
$$;
comment on function walltrack.raise_alert(walltrack.alert_kind, text, text, jsonb) is
'Raises an alert once per idempotency key; returns its id, or null if already raised.';
grant execute on function walltrack.raise_alert(walltrack.alert_kind, text, text, jsonb)
to service_role;

-- ---------------------------------------------------------------------------------------
-- The events that raise alerts

create function walltrack.trigger_alert_breaker_event()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.event_type = 'activated' then
    perform walltrack.raise_alert('breaker_activated', 'breaker_activated:' || new.id,
      format('WallTrack: circuit breaker TRIPPED (%s: %s, limit %s). New buys stopped; exits '
        || 'keep running. Reset with api.reset_circuit_breaker(operator, note).',
        new.trigger, coalesce(new.observed::text, '-'), coalesce(new.threshold::text, '-')),
      jsonb_build_object('event_id', new.id, 'trigger', new.trigger, 'observed', new.observed,
        'threshold', new.threshold, 'actor', new.actor));
  else
    perform walltrack.raise_alert('breaker_reset', 'breaker_reset:' || new.id,
      format('WallTrack: circuit breaker reset by %s (%s): %s. New buys resume.',
        new.actor, new.trigger, coalesce(nullif(new.note, ''), 'no note')),
      jsonb_build_object('event_id', new.id, 'trigger', new.trigger, 'actor', new.actor,
        'note', new.note));
  end if;
  return null;
end;
$$;
comment on function walltrack.trigger_alert_breaker_event() is
'Raises breaker_activated or breaker_reset for a new breaker event.';

create trigger circuit_breaker_events_after_insert_alert
after insert on walltrack.circuit_breaker_events
for each row execute function walltrack.trigger_alert_breaker_event();

create function walltrack.trigger_alert_order()
returns trigger
language plpgsql
set search_path = ''
as $$
-- A live order that failed for good (an update), or a write-off (inserted confirmed).
declare
  label text;
  symbol text;
  mint text;
begin
  select w.label, coalesce(t.symbol, left(p.token_mint, 6)), p.token_mint
  into label, symbol, mint
  from walltrack.positions as p
  inner join walltrack.wallets as w on p.wallet_id = w.id
  left join walltrack.tokens as t on p.token_mint = t.mint
  where p.id = new.position_id;
  if new.status = 'failed' then
    perform walltrack.raise_alert('order_failed', 'order_failed:' || new.id,
      format('WallTrack: live %s of %s (%s) FAILED after %s attempt(s): %s%s', new.side,
        symbol, label, new.attempts, coalesce(left(new.last_error, 200), 'no error given'),
        coalesce(' https://solscan.io/tx/' || new.tx_signature, '')),
      jsonb_build_object('order_id', new.id, 'position_id', new.position_id, 'side', new.side,
        'reason', new.reason, 'token_mint', mint, 'attempts', new.attempts,
        'last_error', new.last_error, 'tx_signature', new.tx_signature));
  else
    perform walltrack.raise_alert('order_written_off', 'order_written_off:' || new.id,
      format('WallTrack: %s (%s) written off: the position''s tokens could not be sold.',
        symbol, label),
      jsonb_build_object('order_id', new.id, 'position_id', new.position_id,
        'token_mint', mint, 'amount_in', new.amount_in));
  end if;
  return null;
end;
$$;
comment on function walltrack.trigger_alert_order() is
'Raises order_failed (a live order failed for good) or order_written_off (a write-off '
'confirmed).';

create trigger orders_after_update_alert
after update of status on walltrack.orders
for each row
when (
  old.status is distinct from new.status
  and (
    (new.status = 'failed' and new.mode = 'live')
    or (new.status = 'confirmed' and new.reason = 'write_off')
  )
)
execute function walltrack.trigger_alert_order();

-- A write-off is inserted already confirmed (walltrack.write_off).
create trigger orders_after_insert_alert_write_off
after insert on walltrack.orders
for each row
when (new.reason = 'write_off' and new.status = 'confirmed')
execute function walltrack.trigger_alert_order();

create function walltrack.trigger_alert_position_closed()
returns trigger
language plpgsql
set search_path = ''
as $$
-- Every close (position_closed, if routed), and a close that lost more than
-- config.alert_rug_loss_pct of its cost (rug: always worth a phone call).
declare
  label text;
  symbol text;
  loss_pct numeric := round(-100 * new.realized_pnl_sol / nullif(new.cost_basis_sol, 0), 1);
  rug_pct numeric;
  details jsonb;
  line text;
  closing_tx text;
begin
  select w.label, coalesce(t.symbol, left(new.token_mint, 6)) into label, symbol
  from walltrack.wallets as w
  left join walltrack.tokens as t on t.mint = new.token_mint
  where w.id = new.wallet_id;
  select c.alert_rug_loss_pct into strict rug_pct from walltrack.config as c;
  details := jsonb_build_object('position_id', new.id, 'wallet', label,
    'token_mint', new.token_mint, 'mode', new.mode, 'close_reason', new.close_reason,
    'cost_basis_sol', new.cost_basis_sol, 'realized_pnl_sol', new.realized_pnl_sol);
  line := format('%s %s (%s, %s) closed by %s: %s SOL (%s%%)', symbol, '#' || new.id, label,
    new.mode, coalesce(new.close_reason::text, 'close'), walltrack.sol_text(new.realized_pnl_sol),
    coalesce(to_char(-loss_pct, 'FMS9999990.0'), '-'));
  -- A live close links its last sell on chain.
  select o.tx_signature into closing_tx from walltrack.orders as o
  where o.position_id = new.id and o.side = 'sell' and o.status = 'confirmed'
    and o.tx_signature is not null
  order by o.confirmed_at desc, o.id desc
  limit 1;
  line := line || coalesce(' https://solscan.io/tx/' || closing_tx, '');
  perform walltrack.raise_alert('position_closed', 'position_closed:' || new.id,
    'WallTrack: ' || line, details || jsonb_build_object('tx_signature', closing_tx));
  if loss_pct > rug_pct then
    perform walltrack.raise_alert('rug', 'rug:' || new.id,
      format('WallTrack: likely RUG, %s https://solscan.io/token/%s', line, new.token_mint),
      details || jsonb_build_object('loss_pct', loss_pct, 'threshold_pct', rug_pct));
  end if;
  return null;
end;
$$;
comment on function walltrack.trigger_alert_position_closed() is
'Raises position_closed for a close, and rug when it lost more than config.alert_rug_loss_pct.';

create trigger positions_after_update_alert_closed
after update of status on walltrack.positions
for each row
when (old.status is distinct from new.status and new.status = 'closed')
execute function walltrack.trigger_alert_position_closed();

create function walltrack.trigger_alert_token_unsafe()
returns trigger
language plpgsql
set search_path = ''
as $$
-- A token judged unsafe while open positions hold it: the exits still run, the operator may
-- want to sell by hand.
declare
  held integer;
  exposure numeric;
begin
  select count(*), coalesce(sum(p.cost_basis_sol), 0) into held, exposure
  from walltrack.positions as p
  where p.token_mint = new.mint and p.status in ('opening', 'open', 'closing');
  if held > 0 then
    perform walltrack.raise_alert('token_unsafe_held',
      'token_unsafe_held:' || new.mint || ':' || coalesce(new.verdict_at::text, ''),
      format('WallTrack: %s turned UNSAFE while held (%s): %s open position(s), %s SOL in. '
        || 'Exits keep running. https://solscan.io/token/%s',
        coalesce(new.symbol, left(new.mint, 6)),
        coalesce(nullif(array_to_string(new.verdict_reasons, ', '), ''), 'no reason given'),
        held, to_char(round(exposure, 4), 'FM9999990.0000'), new.mint),
      jsonb_build_object('token_mint', new.mint, 'verdict_reasons', new.verdict_reasons,
        'open_positions', held, 'cost_basis_sol', exposure));
  end if;
  return null;
end;
$$;
comment on function walltrack.trigger_alert_token_unsafe() is
'Raises token_unsafe_held when a token held by open positions is judged unsafe.';

create trigger tokens_after_update_alert_unsafe
after update of verdict on walltrack.tokens
for each row
when (new.verdict = 'unsafe' and old.verdict is distinct from 'unsafe')
execute function walltrack.trigger_alert_token_unsafe();

create function walltrack.trigger_alert_chain_finding()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform walltrack.raise_alert('chain_finding', 'chain_finding:' || new.id,
    format('WallTrack: chain mismatch, %s %s: database %s, chain %s (atomic units). New live '
      || 'buys of it are held until an operator resolves it.', new.kind,
      coalesce((select t.symbol from walltrack.tokens as t where t.mint = new.token_mint),
        left(new.token_mint, 6)), new.db_amount, new.chain_amount),
    jsonb_build_object('finding_id', new.id, 'kind', new.kind, 'token_mint', new.token_mint,
      'db_amount', new.db_amount, 'chain_amount', new.chain_amount));
  return null;
end;
$$;
comment on function walltrack.trigger_alert_chain_finding() is
'Raises chain_finding for a new reconciliation finding.';

create trigger chain_findings_after_insert_alert
after insert on walltrack.chain_findings
for each row execute function walltrack.trigger_alert_chain_finding();

-- ---------------------------------------------------------------------------------------
-- Alerts on a schedule: a silent webhook, the daily summary

create function walltrack.raise_scheduled_alerts()
returns integer
language plpgsql
set search_path = ''
as $$
-- Every minute (pg_cron). A silent webhook: active wallets, and no delivery for
-- config.webhook_silence_minutes (one alert per silence: keyed by the last delivery). The
-- daily summary: once a day from config.alert_daily_summary_hour (UTC), the last 24 hours.
-- Returns how many alerts were raised.
declare
  cfg walltrack.config;
  last_delivery timestamptz;
  raised integer := 0;
  s record;
begin
  select c.* into strict cfg from walltrack.config as c;
  select max(x.received_at) into last_delivery
  from walltrack.signals as x where x.found_by = 'webhook';
  if exists (select from walltrack.wallets as w where w.status = 'active')
    and last_delivery < walltrack.clock() - make_interval(mins => cfg.webhook_silence_minutes)
    and walltrack.raise_alert('webhook_silent', 'webhook_silent:' || last_delivery::text,
      format('WallTrack: no Helius delivery for %s min (last %s UTC). helius-backfill covers '
        || 'the gap; check the webhook (helius-sync) and Helius''s status.',
        floor(extract(epoch from walltrack.clock() - last_delivery) / 60),
        to_char(last_delivery at time zone 'UTC', 'YYYY-MM-DD HH24:MI')),
      jsonb_build_object('last_delivery_at', last_delivery,
        'silence_minutes', cfg.webhook_silence_minutes)) is not null
  then
    raised := raised + 1;
  end if;
  if extract(hour from walltrack.clock() at time zone 'UTC') >= cfg.alert_daily_summary_hour then
    select
      count(*) filter (where p.status = 'closed' and p.closed_at > walltrack.clock() - interval '1 day')
        as closed,
      count(*) filter (
        where p.status = 'closed' and p.closed_at > walltrack.clock() - interval '1 day'
          and p.realized_pnl_sol > 0
      ) as won,
      coalesce(sum(p.realized_pnl_sol) filter (
        where p.status = 'closed' and p.closed_at > walltrack.clock() - interval '1 day'
      ), 0) as pnl,
      count(*) filter (where p.status in ('opening', 'open', 'closing')) as open,
      coalesce(sum(p.cost_basis_sol) filter (where p.status in ('opening', 'open', 'closing')),
        0) as exposure
    into s
    from walltrack.positions as p;
    if walltrack.raise_alert('daily_summary',
      'daily_summary:' || to_char(walltrack.clock() at time zone 'UTC', 'YYYY-MM-DD'),
      format('WallTrack, last 24 h: %s closed (%s won), realized %s SOL; %s open (%s SOL in); '
        || 'breaker %s.', s.closed, s.won, walltrack.sol_text(s.pnl), s.open,
        to_char(round(s.exposure, 4), 'FM9999990.0000'),
        case when (walltrack.breaker_state() ->> 'active')::boolean then 'TRIPPED'
          else 'armed' end),
      to_jsonb(s)) is not null
    then
      raised := raised + 1;
    end if;
  end if;
  return raised;
end;
$$;
comment on function walltrack.raise_scheduled_alerts() is
'Raises webhook_silent (no delivery for config.webhook_silence_minutes while wallets are '
'active) and the daily summary (from config.alert_daily_summary_hour UTC); returns how many.';
grant execute on function walltrack.raise_scheduled_alerts() to service_role;

-- ---------------------------------------------------------------------------------------
-- Draining the outbox: the notify function

create function walltrack.claim_alerts(
  channels walltrack.alert_channel[],
  max_alerts integer default 20,
  lease_seconds integer default 60
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- The alerts notify should send now to the channels it serves, oldest first: those routed to
-- a channel (config.alert_kinds_<channel>) with no delivery yet, raised within
-- config.alert_max_age_minutes (an old alert is never sent late to a new channel), plus
-- deliveries due again (retry past next_attempt_at, or sending past its lease: notify died).
-- Each is leased for lease_seconds. Returns [{delivery_id, channel, alert_id, kind, message,
-- attempts}].
declare
  cfg walltrack.config;
  engine text;
  claimed jsonb;
begin
  select c.* into strict cfg from walltrack.config as c;
  engine := walltrack.begin_engine_write();
  -- What each statement leased comes from its RETURNING: a concurrent claim never hands out
  -- the same delivery (the unique key, and the row lock on a lapsed lease).
  with fresh as (
    insert into walltrack.alert_deliveries (alert_id, channel, lease_until)
    select a.id, ch.channel, walltrack.clock() + make_interval(secs => lease_seconds)
    from unnest(channels) as ch (channel)
    inner join walltrack.alerts as a on a.kind = any(
      case ch.channel when 'telegram' then cfg.alert_kinds_telegram
        else cfg.alert_kinds_discord end
    )
    where a.created_at > walltrack.clock() - make_interval(mins => cfg.alert_max_age_minutes)
      and not exists (
        select from walltrack.alert_deliveries as x
        where x.alert_id = a.id and x.channel = ch.channel
      )
    order by a.id
    limit max_alerts
    on conflict on constraint alert_deliveries_once_per_channel do nothing
    returning id, alert_id, channel, attempts
  ),

  again as (
    update walltrack.alert_deliveries as d
    set status = 'sending', attempts = d.attempts + 1,
      lease_until = walltrack.clock() + make_interval(secs => lease_seconds), next_attempt_at = null
    where d.channel = any(channels)
      and (
        (d.status = 'retry' and d.next_attempt_at <= walltrack.clock())
        or (d.status = 'sending' and d.lease_until < walltrack.clock())
      )
    returning d.id, d.alert_id, d.channel, d.attempts
  )

  select coalesce(jsonb_agg(jsonb_build_object(
    'delivery_id', l.id, 'channel', l.channel, 'alert_id', a.id, 'kind', a.kind,
    'message', a.message, 'attempts', l.attempts
  ) order by a.id, l.channel), '[]')
  into claimed
  from (select * from fresh union all select * from again) as l
  inner join walltrack.alerts as a on l.alert_id = a.id;
  perform walltrack.end_engine_write(engine);
  return claimed;
end;
$$;
comment on function walltrack.claim_alerts(walltrack.alert_channel[], integer, integer) is
'Leases the alert deliveries due now on the given channels (new routed alerts within '
'config.alert_max_age_minutes, retries due, lapsed leases); returns them oldest first.';
grant execute on function walltrack.claim_alerts(walltrack.alert_channel[], integer, integer)
to service_role;

create function walltrack.record_alert_delivery(
  delivery_id bigint, outcome text, retry_after_seconds numeric default null,
  error text default null
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- What became of one send: sent; retry (a 429 honoured by its retry_after, else a backoff of
-- 2^attempts seconds, until config.alert_max_attempts); failed (refused for good).
declare
  cfg walltrack.config;
  delivery walltrack.alert_deliveries;
  engine text;
begin
  select c.* into strict cfg from walltrack.config as c;
  perform walltrack.ensure(outcome in ('sent', 'retry', 'failed'),
    format('record_alert_delivery: outcome is sent, retry or failed, not %s', outcome));
  perform walltrack.ensure(retry_after_seconds is null or retry_after_seconds between 0 and 86400,
    format('record_alert_delivery: retry_after_seconds within 0..86400, not %s',
      retry_after_seconds));
  engine := walltrack.begin_engine_write();
  update walltrack.alert_deliveries as d
  set
    status = case
      when outcome = 'retry' and d.attempts >= cfg.alert_max_attempts then 'failed'
      else outcome
    end::walltrack.alert_delivery_status,
    sent_at = case when outcome = 'sent' then walltrack.clock() end,
    next_attempt_at = case when outcome = 'retry' then walltrack.clock() + make_interval(
      secs => coalesce(retry_after_seconds, power(2, d.attempts))::double precision) end,
    lease_until = null,
    last_error = case when outcome = 'sent' then d.last_error else left(error, 500) end
  where d.id = delivery_id and d.status = 'sending'
  returning d.* into delivery;
  perform walltrack.end_engine_write(engine);
  perform walltrack.ensure(delivery.id is not null,
    format('alert delivery %s is not being sent (unknown, or already recorded)', delivery_id),
    'Record only what api.claim_alerts handed out, once.');
  return jsonb_build_object('delivery_id', delivery.id, 'status', delivery.status,
    'attempts', delivery.attempts, 'next_attempt_at', delivery.next_attempt_at);
end;
$$;
comment on function walltrack.record_alert_delivery(bigint, text, numeric, text) is
'Records one send''s outcome (sent, retry after a 429''s retry_after or a backoff, failed); '
'a retry past config.alert_max_attempts is failed.';
grant execute on function walltrack.record_alert_delivery(bigint, text, numeric, text)
to service_role;

create view walltrack.alert_list
with (security_invoker = true)
as
select
  a.id,
  a.created_at,
  a.kind,
  a.message,
  (
    select d.status from walltrack.alert_deliveries as d
    where d.alert_id = a.id and d.channel = 'telegram'
  ) as telegram,
  (
    select d.status from walltrack.alert_deliveries as d
    where d.alert_id = a.id and d.channel = 'discord'
  ) as discord,
  a.details
from walltrack.alerts as a
order by a.id desc;

revoke all on walltrack.alert_list from public, anon, authenticated;
grant select on walltrack.alert_list to service_role;
comment on view walltrack.alert_list is
'The alerts, newest first, with what became of each on Telegram and on Discord (empty: not '
'routed there, or not claimed yet).';
comment on column walltrack.alert_list.telegram is 'sending, retry, sent, failed or empty.';
comment on column walltrack.alert_list.discord is 'sending, retry, sent, failed or empty.';
