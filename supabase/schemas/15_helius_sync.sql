-- Helius sync (ADR-001): one global webhook watches every active wallet. SQL decides
-- whether the address list must be pushed; the helius-sync function only does the call
-- and reports success, so a failed call leaves config unchanged and is retried.

create function walltrack.helius_sync_plan(webhook_url text, transaction_types text[])
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
-- action: none (Helius already has this subscription and URL), wait (changed, but the last
-- push is too recent), create (no webhook yet) or edit (push the full list). The
-- subscription is the active addresses and the transaction types: a new type (swaps on new
-- venues arrive typed TRANSFER or UNKNOWN) is pushed like a new wallet.
declare
  types text[];
  plan jsonb;
begin
  select array_agg(distinct t order by t) into types
  from unnest(transaction_types) as t;
  perform walltrack.ensure(
    coalesce(cardinality(types), 0) > 0
    and not exists (select from unnest(types) as t where t !~ '^[A-Z][A-Z0-9_]*$'),
    format('helius_sync_plan needs Helius transaction types such as SWAP, got %s',
      coalesce(transaction_types::text, 'null')),
    'Set HELIUS_TRANSACTION_TYPES to a comma-separated list, e.g. SWAP,TRANSFER,UNKNOWN.'
  );
  with target as (
    select
      md5(walltrack.active_wallets_hash() || ':' || array_to_string(types, ','))
        as subscription_hash,
      coalesce((
        select jsonb_agg(w.address order by w.address)
        from walltrack.wallets as w where w.status = 'active'
      ), '[]') as addresses
  )

  select jsonb_build_object(
    'action', case
      when c.helius_webhook_id is not null and c.helius_synced_hash = t.subscription_hash
        and c.helius_webhook_url = helius_sync_plan.webhook_url then 'none'
      when c.helius_webhook_id is null and jsonb_array_length(t.addresses) = 0 then 'none'
      when c.helius_synced_at > walltrack.clock() - make_interval(mins => c.helius_sync_interval_minutes)
        then 'wait'
      when c.helius_webhook_id is null then 'create'
      else 'edit'
    end,
    'webhook_id', c.helius_webhook_id,
    'address_hash', t.subscription_hash,
    'addresses', t.addresses
  ) into plan
  from walltrack.config as c cross join target as t;
  return plan;
end;
$$;
comment on function walltrack.helius_sync_plan(text, text[]) is
'What the helius-sync function must do now (none, wait, create, edit), the full list of '
'active addresses, and the hash of the subscription (addresses and transaction types).';
grant execute on function walltrack.helius_sync_plan(text, text[]) to service_role;

create function walltrack.helius_sync_done(webhook_id text, webhook_url text, address_hash text)
returns void
language sql
set search_path = ''
as $$
  -- Called only after Helius accepted the push.
  update walltrack.config
  set
    helius_webhook_id = helius_sync_done.webhook_id,
    helius_webhook_url = helius_sync_done.webhook_url,
    helius_synced_hash = helius_sync_done.address_hash,
    helius_synced_at = walltrack.clock();
$$;
comment on function walltrack.helius_sync_done(text, text, text) is
'Records a push Helius accepted: webhook id, URL, the hash of the list pushed, and when.';
grant execute on function walltrack.helius_sync_done(text, text, text) to service_role;

-- History backfill: Helius retries a failed delivery three times, then drops it; webhooks
-- also go silent in outages. Each watched wallet keeps a watermark (the transaction its
-- history is known complete up to); the helius-backfill function walks the wallet's parsed
-- history from the newest transaction down to the watermark, page by page, and each page is
-- stored and decided here like a delivery, marked as found by backfill. What the webhook
-- already stored is not stored again (signals_dedupe). A late buy is decided stale, a late
-- sell still mirrors. A walk cut short (credits spent) resumes where it stopped.

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
          < walltrack.clock() - make_interval(mins => cfg.backfill_interval_minutes)
          or x.history_checked_at < last_miss
          or (
            coalesce(last_delivery, '-infinity') < walltrack.clock()
            - make_interval(mins => cfg.webhook_silence_minutes)
            and x.history_checked_at
            < walltrack.clock() - make_interval(mins => cfg.webhook_silence_minutes)
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

create function walltrack.record_backfill_page(
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
    wallet.history_checked_at := walltrack.clock();
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
