-- backfill_budget_and_delivery_health
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

-- helius-backfill's credit budget and when wallets are due (config), a wallet read once
-- with no history takes everything at its next read, and walltrack.delivery_health: per
-- wallet, what the webhook delivered and what only backfill found.

alter table walltrack.config
add column backfill_interval_minutes integer not null default 60,
add column webhook_silence_minutes integer not null default 15,
add column backfill_credits_per_run integer not null default 5000,
add column helius_history_call_credits integer not null default 100,
add constraint config_backfill_ranges check (walltrack.ensure(
  backfill_interval_minutes between 1 and 10080 and webhook_silence_minutes between 1 and 10080
  and backfill_credits_per_run >= 0 and helius_history_call_credits between 1 and 100000,
  format(
    'config: backfill_interval_minutes and webhook_silence_minutes must be within 1..10080, '
    'backfill_credits_per_run at least 0 and helius_history_call_credits within 1..100000; '
    'got %s, %s, %s, %s', backfill_interval_minutes, webhook_silence_minutes,
    backfill_credits_per_run, helius_history_call_credits
  )
));
comment on column walltrack.config.backfill_interval_minutes is
'Each watched wallet''s parsed history is read at least this often (helius-backfill), to '
'recover deliveries Helius dropped.';
comment on column walltrack.config.webhook_silence_minutes is
'No webhook delivery for this long (any wallet) is a gap the database can see: every wallet '
'not read since is read at the next backfill run. delivery_health flags it.';
comment on column walltrack.config.backfill_credits_per_run is
'Helius credits one helius-backfill run may spend; the wallets left continue next run. '
'0 pauses the backfill.';
comment on column walltrack.config.helius_history_call_credits is
'Helius credits one parsed-history call costs (your plan''s price of an enhanced API call).';

-- The swaps a backfill found (the webhook missed them): few, read by the backfill plan and
-- delivery_health; only a backfill pays for it.
create index signals_found_by_backfill_idx on walltrack.signals (wallet_id, received_at)
where found_by = 'backfill';

-- An operator's read on demand takes every wallet, due or not.
drop function api.backfill_plan(integer);
drop function walltrack.backfill_plan(integer);

create function walltrack.backfill_plan(max_wallets integer, every_wallet boolean)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
-- The wallets whose history is due a read, and the run's credit budget. Watched wallets, and
-- any wallet whose copies are still open (its sells must still be mirrored), are due when:
-- never read (the read only sets the watermark), a walk was left unfinished, the last read
-- is older than config.backfill_interval_minutes, or a gap the database can see happened
-- since: a backfill found a swap the webhook missed (any wallet: Helius drops deliveries
-- for all at once), or no delivery came for config.webhook_silence_minutes; every_wallet
-- (an operator's read on demand) takes them all, due or not. Least recently read first; each with its watermark (until), the resume point of a walk (before), and
-- whether it is a first read.
declare
  cfg walltrack.config;
  last_delivery timestamptz;
  last_miss timestamptz;
begin
  select c.* into cfg from walltrack.config as c;
  -- Newest first by id: almost every signal is the webhook's, so this reads a few rows.
  select s.received_at into last_delivery from walltrack.signals as s
  where s.found_by = 'webhook' order by s.id desc limit 1;
  select max(s.received_at) into last_miss from walltrack.signals as s
  where s.found_by = 'backfill';  -- signals_found_by_backfill_idx
  return jsonb_build_object(
    'credits', cfg.backfill_credits_per_run,
    'call_credits', cfg.helius_history_call_credits,
    'wallets', coalesce((
      select jsonb_agg(jsonb_build_object(
        'address', w.address, 'until', w.history_until_signature,
        'before', w.history_walk_before, 'first_read', w.history_checked_at is null
      ) order by w.history_checked_at nulls first, w.id)
      from (
        select x.* from walltrack.wallets as x
        where (x.status = 'active' or exists (
          select from walltrack.positions as p
          where p.wallet_id = x.id and p.status in ('opening', 'open', 'closing')
        )) and (
          every_wallet
          or x.history_checked_at is null
          or x.history_walk_before is not null
          or x.history_checked_at
          < now() - make_interval(mins => cfg.backfill_interval_minutes)
          or x.history_checked_at < last_miss
          or (
            coalesce(last_delivery, '-infinity') < now()
            - make_interval(mins => cfg.webhook_silence_minutes)
            and x.history_checked_at
            < now() - make_interval(mins => cfg.webhook_silence_minutes)
          )
        )
        order by x.history_checked_at nulls first, x.id
        limit max_wallets
      ) as w
    ), '[]'::jsonb)
  );
end;
$$;
comment on function walltrack.backfill_plan(integer, boolean) is
'{credits, call_credits, wallets: [{address, until, before, first_read}]}: the run''s Helius '
'credit budget and the wallets whose history is due a read (never read, a walk unfinished, '
'read too long ago, or a delivery gap seen since; or all of them: every_wallet), least '
'recently read first.';
grant execute on function walltrack.backfill_plan(integer, boolean) to service_role;

create or replace function walltrack.record_backfill_page(
  address text, transactions jsonb, newest jsonb, oldest_signature text, complete boolean
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- One page of a wallet's history walk, newest first: the normalised transactions read
-- (older than the walk's resume point, newer than its watermark), the page's newest
-- transaction ({signature, slot}) and its oldest signature, and whether the walk reached
-- the watermark (or the start of the history). The transactions are stored and decided as
-- found by backfill. The first page of a walk names its newest transaction, which becomes
-- the watermark when the walk completes. A wallet never read starts its watermark at its
-- newest transaction and stores nothing: WallTrack copies from when it starts watching. A
-- wallet read once with no history at all has no watermark: its next read takes everything.
declare
  wallet walltrack.wallets;
  report jsonb := jsonb_build_object('new_signals', 0, 'decisions', '[]'::jsonb);
  engine text;
begin
  select w.* into wallet from walltrack.wallets as w where w.address = record_backfill_page.address
  for update;
  perform walltrack.ensure(wallet.id is not null,
    format('wallet %s is not on the watchlist', address));
  perform walltrack.ensure(jsonb_typeof(transactions) = 'array',
    'record_backfill_page expects a JSON array of normalised transactions');
  if wallet.history_checked_at is not null or wallet.history_walk_before is not null then
    report := walltrack.ingest_swaps(transactions, found_by => 'backfill');
  end if;
  if wallet.history_walk_top_signature is null and newest ->> 'signature' is not null then
    wallet.history_walk_top_signature := newest ->> 'signature';
    wallet.history_walk_top_slot := (newest ->> 'slot')::bigint;
  end if;
  wallet.history_walk_before := coalesce(oldest_signature, wallet.history_walk_before);
  if complete or wallet.history_checked_at is null then
    if wallet.history_walk_top_signature is not null then
      wallet.history_until_signature := wallet.history_walk_top_signature;
      wallet.history_until_slot := wallet.history_walk_top_slot;
    end if;
    wallet.history_walk_before := null;
    wallet.history_walk_top_signature := null;
    wallet.history_walk_top_slot := null;
    wallet.history_checked_at := now();
  end if;
  engine := walltrack.begin_engine_write();
  update walltrack.wallets as w
  set
    history_until_signature = wallet.history_until_signature,
    history_until_slot = wallet.history_until_slot,
    history_walk_before = wallet.history_walk_before,
    history_walk_top_signature = wallet.history_walk_top_signature,
    history_walk_top_slot = wallet.history_walk_top_slot,
    history_checked_at = wallet.history_checked_at
  where w.id = wallet.id;
  perform walltrack.end_engine_write(engine);
  return report || jsonb_build_object(
    'until', wallet.history_until_signature, 'before', wallet.history_walk_before
  );
end;
$$;
comment on function walltrack.record_backfill_page(text, jsonb, jsonb, text, boolean) is
'Stores and decides one page of a wallet''s history walk (found by backfill) and moves the '
'walk: its resume point, and the watermark when it completes. Returns the ingest report with '
'the wallet''s until and before.';
grant execute on function walltrack.record_backfill_page(text, jsonb, jsonb, text, boolean)
to service_role;

create view walltrack.delivery_health
with (security_invoker = true)
as
select
  w.id as wallet_id,
  w.address,
  w.label,
  w.status,
  last_webhook.received_at as last_delivery_at,
  w.history_checked_at as last_backfill_at,
  counts.by_webhook as swaps_by_webhook,
  counts.by_backfill as swaps_by_backfill,
  round(100.0 * counts.by_backfill / nullif(counts.by_webhook + counts.by_backfill, 0), 1)
    as backfill_share_pct,
  now() - last_webhook.received_at as webhook_silent_for,
  counts.missed_since_last_delivery,
  counts.missed_since_last_delivery > 0 as flagged
from walltrack.wallets as w
left join lateral (
  select
    s.received_at,
    s.block_time
  from walltrack.signals as s
  where s.wallet_id = w.id and s.found_by = 'webhook'
  order by s.block_time desc nulls last limit 1
) as last_webhook on true
cross join lateral (
  select
    count(*) filter (where s.found_by = 'webhook') as by_webhook,
    count(*) filter (where s.found_by = 'backfill') as by_backfill,
    count(*) filter (
      where s.found_by = 'backfill'
      and s.block_time > coalesce(last_webhook.block_time, '-infinity')
    ) as missed_since_last_delivery
  from walltrack.signals as s
  where s.wallet_id = w.id
) as counts;

revoke all on walltrack.delivery_health from public, anon, authenticated;
grant select on walltrack.delivery_health to service_role;
comment on view walltrack.delivery_health is
'Per wallet, whether Helius delivers its swaps: the last delivery, the last history read '
'(backfill), the swaps each found, and a flag when backfill keeps finding swaps the webhook '
'never delivered. Counts are swaps (signals).';
comment on column walltrack.delivery_health.last_delivery_at is
'When the wallet''s newest swap delivered by the webhook was received; empty = never.';
comment on column walltrack.delivery_health.last_backfill_at is
'When helius-backfill last read the wallet''s history to its end; empty = never.';
comment on column walltrack.delivery_health.swaps_by_backfill is
'Swaps the webhook missed, found later in the wallet''s history by helius-backfill.';
comment on column walltrack.delivery_health.backfill_share_pct is
'Share of the wallet''s swaps only backfill found, %: above 0, Helius dropped deliveries.';
comment on column walltrack.delivery_health.webhook_silent_for is
'Time since the wallet''s last webhook delivery (a quiet wallet is silent too: read with '
'missed_since_last_delivery).';
comment on column walltrack.delivery_health.missed_since_last_delivery is
'Swaps backfill found that happened after the webhook''s last delivery for this wallet.';
comment on column walltrack.delivery_health.flagged is
'The webhook is silent for this wallet while backfill keeps finding its swaps: check the '
'Helius webhook (helius-sync) and the function''s logs.';

create function api.backfill_plan(
  max_wallets integer default 100, every_wallet boolean default false
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.backfill_plan(max_wallets, every_wallet);
$$;
comment on function api.backfill_plan(integer, boolean) is
'RPC of walltrack.backfill_plan, for the helius-backfill function.';
grant execute on function api.backfill_plan(integer, boolean) to service_role;

-- The demo says which swaps only backfill found.
create or replace view walltrack.signal_list
with (security_invoker = true)
as
select
  s.id,
  s.wallet_id,
  w.address as wallet_address,
  w.label as wallet_label,
  s.signature,
  s.slot,
  s.block_time,
  s.source,
  s.side,
  s.token_mint,
  k.symbol as token_symbol,
  s.token_amount,
  s.token_decimals,
  s.quote_mint,
  s.quote_amount,
  s.quote_decimals,
  s.price_sol,
  s.tx_error,
  s.decision,
  s.decision_reason,
  s.decided_at,
  s.found_by
from walltrack.signals as s
inner join walltrack.wallets as w on s.wallet_id = w.id
left join walltrack.tokens as k on s.token_mint = k.mint;
