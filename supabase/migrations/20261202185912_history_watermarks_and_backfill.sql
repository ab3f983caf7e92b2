-- history_watermarks_and_backfill
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

-- Per wallet, a history watermark (the transaction its history is known complete up to) and
-- the state of a backfill walk in progress; signals say who found them (webhook or backfill).
-- walltrack.backfill_plan and walltrack.record_backfill_page (with their api RPCs) let the
-- helius-backfill function walk a wallet's parsed history down to the watermark and store
-- what the webhook missed through the same ingest path.

create type walltrack.signal_origin as enum ('webhook', 'backfill');
comment on type walltrack.signal_origin is
'Who stored a signal first: the webhook as it happened, or a backfill that found it later in '
'the wallet''s history (a delivery the webhook missed).';

alter table walltrack.signals
add column found_by walltrack.signal_origin not null default 'webhook';
comment on column walltrack.signals.found_by is
'webhook = delivered as it happened; backfill = found later in the wallet''s history, a '
'delivery the webhook missed.';

create or replace function walltrack.trigger_signal_append_only()
returns trigger
language plpgsql
set search_path = ''
as $$
-- The event columns never change; each decision column may go from empty to a value
-- once.
begin
  if (new.signature, new.slot, new.block_time, new.received_at, new.wallet_id, new.source,
    new.side, new.token_mint, new.token_amount, new.token_decimals, new.quote_mint,
    new.quote_amount, new.quote_decimals, new.price_sol, new.tx_error, new.raw, new.found_by)
    is distinct from
    (old.signature, old.slot, old.block_time, old.received_at, old.wallet_id, old.source,
      old.side, old.token_mint, old.token_amount, old.token_decimals, old.quote_mint,
      old.quote_amount, old.quote_decimals, old.price_sol, old.tx_error, old.raw,
      old.found_by) then
    raise exception using
      message = format('signal %s is an event: its recorded columns cannot be changed', old.id),
      hint = 'Only the decision columns can be set, once.',
      errcode = 'restrict_violation';
  end if;
  if old.decided_at is not null
    and (new.decision, new.decision_reason, new.decided_at, new.position_id, new.order_id)
    is distinct from
    (old.decision, old.decision_reason, old.decided_at, old.position_id, old.order_id) then
    raise exception using
      message = format('signal %s already has its decision: it is written once', old.id),
      errcode = 'restrict_violation';
  end if;
  return new;
end;
$$;
comment on function walltrack.trigger_signal_append_only() is
'Refuses edits of a signal''s event columns and a second write of its decision columns.';

drop function walltrack.ingest_swaps(jsonb, boolean, numeric, text);
drop function walltrack.record_swaps(jsonb);
drop function walltrack.insert_signals(jsonb);

create function walltrack.insert_signals(
  transactions jsonb, found_by walltrack.signal_origin
)
returns bigint[]
language plpgsql
set search_path = ''
as $$
-- Every swap of a watched wallet in normalised transactions, as a signal (a re-delivery
-- changes nothing); a failed transaction as one signal per watched account. The new ids.
-- PL/pgSQL, not SQL: its plan is prepared once per session, not at every delivery.
declare
  new_ids bigint[];
begin
  with tx as (
    select
      t.value as body,
      t.value ->> 'signature' as signature,
      (t.value ->> 'slot')::bigint as slot,
      to_timestamp((t.value ->> 'timestamp')::bigint) as block_time,
      t.value ->> 'source' as source,
      t.value ->> 'tx_error' as tx_error
    from jsonb_array_elements(transactions) as t
  ),

  swap_rows as (
    select
      tx.*, s.value ->> 'wallet' as wallet, (s.value ->> 'side')::walltrack.trade_side as side,
      s.value ->> 'token_mint' as token_mint, (s.value ->> 'token_amount')::numeric as token_amount,
      (s.value ->> 'token_decimals')::smallint as token_decimals,
      s.value ->> 'quote_mint' as quote_mint, (s.value ->> 'quote_amount')::numeric as quote_amount,
      (s.value ->> 'quote_decimals')::smallint as quote_decimals
    from tx
    cross join lateral jsonb_array_elements(coalesce(tx.body -> 'swaps', '[]')) as s
    where tx.tx_error is null
    union all
    select
      tx.*, a.value #>> '{}', null, null, null, null, null, null, null
    from tx
    cross join lateral jsonb_array_elements(coalesce(tx.body -> 'accounts', '[]')) as a
    where tx.tx_error is not null
  ),

  inserted as (
    insert into walltrack.signals (
      signature, slot, block_time, wallet_id, source, side, token_mint, token_amount,
      token_decimals, quote_mint, quote_amount, quote_decimals, price_sol, tx_error, raw,
      found_by
    )
    select
      r.signature, r.slot, r.block_time, w.id, r.source, r.side, r.token_mint, r.token_amount,
      r.token_decimals, r.quote_mint, r.quote_amount, r.quote_decimals,
      case
        when r.quote_mint = 'So11111111111111111111111111111111111111112'
          then round(r.quote_amount / 1e9 / (r.token_amount / 10::numeric ^ r.token_decimals), 18)
      end,
      r.tx_error, r.body -> 'raw', insert_signals.found_by
    from swap_rows as r
    inner join walltrack.wallets as w on r.wallet = w.address
    on conflict on constraint signals_dedupe do nothing
    returning id
  )

  select coalesce(array_agg(i.id), '{}') into new_ids from inserted as i;
  return new_ids;
end;
$$;
comment on function walltrack.insert_signals(jsonb, walltrack.signal_origin) is
'Inserts the signals of normalised transactions (idempotent on signature, wallet, mint), '
'marked with who found them, and returns the new ids; the caller holds the engine-write mark.';
grant execute on function walltrack.insert_signals(jsonb, walltrack.signal_origin)
to service_role;

create function walltrack.record_swaps(
  transactions jsonb, found_by walltrack.signal_origin
)
returns bigint[]
language plpgsql
set search_path = ''
as $$
-- The whole delivery in one statement; when the database refuses one of its transactions,
-- each transaction alone, and the one refused becomes a fault (its swaps are not stored,
-- the others are): one bad transaction never costs the delivery.
declare
  new_ids bigint[] := '{}'::bigint[];
  item record;
  error_state text;
  error_message text;
  error_hint text;
  engine text := walltrack.begin_engine_write();
begin
  begin
    new_ids := walltrack.insert_signals(transactions, found_by);
  exception when others then
    for item in
      select t.value, t.ordinality from jsonb_array_elements(transactions) with ordinality as t
    loop
      begin
        new_ids := new_ids || walltrack.insert_signals(jsonb_build_array(item.value), found_by);
      exception when others then
        get stacked diagnostics error_state = returned_sqlstate, error_message = message_text,
          error_hint = pg_exception_hint;
        perform walltrack.record_fault('ingest_swaps',
          format('transaction %s', coalesce(item.value ->> 'signature', item.ordinality::text)),
          error_state, error_message, nullif(error_hint, ''), item.value);
      end;
    end loop;
  end;
  perform walltrack.end_engine_write(engine);
  return new_ids;
end;
$$;
comment on function walltrack.record_swaps(jsonb, walltrack.signal_origin) is
'Stores normalised transactions as signals and returns the new ids; a transaction the '
'database refuses is recorded as a fault and the others are stored.';
grant execute on function walltrack.record_swaps(jsonb, walltrack.signal_origin)
to service_role;

create function walltrack.ingest_swaps(
  transactions jsonb, fetch_tokens boolean default false, claim_seconds numeric default 15,
  worker text default null, found_by walltrack.signal_origin default 'webhook'
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- One Helius delivery, normalised by the webhook function, in one transaction: stored
-- first, then every new signal decided in chain order. Without fetch_tokens (a replay, a
-- test) every one is decided now, on the facts at hand. With it (the webhook), the tokens
-- active wallets buy whose facts are due are claimed for claim_seconds and named in
-- tokens_to_fetch, and their buys stay pending until the lookup completes
-- (walltrack.complete_token_lookup): the caller never sends the delivery twice. Given a
-- worker, the live orders the decisions created come claimed for it (decision_report).
-- found_by says who found the swaps: the webhook, or a backfill of a wallet's history.
declare
  new_ids bigint[];
  decided_ids bigint[];
  wanted jsonb := '{}'::jsonb;
begin
  if jsonb_typeof(transactions) is distinct from 'array' then
    raise exception using
      message = 'ingest_swaps expects a JSON array of normalised transactions',
      errcode = 'invalid_parameter_value';
  end if;
  perform pg_advisory_xact_lock(hashtext('walltrack.ingest_swaps'));
  new_ids := walltrack.record_swaps(transactions, found_by);
  if fetch_tokens then
    wanted := walltrack.claim_token_lookups(array(
      select distinct s.token_mint
      from walltrack.signals as s
      inner join walltrack.wallets as w on s.wallet_id = w.id and w.status = 'active'
      where s.id = any(new_ids) and s.side = 'buy'
    ), claim_seconds);
  end if;
  decided_ids := walltrack.decide_signals(new_ids, fetch_tokens);
  return walltrack.decision_report(decided_ids, worker) || jsonb_build_object(
    'transactions', jsonb_array_length(transactions),
    'swaps', (
      select count(*) from jsonb_array_elements(transactions) as t
      cross join lateral jsonb_array_elements(coalesce(t.value -> 'swaps', '[]'))
    ),
    'new_signals', cardinality(new_ids),
    'pending', to_jsonb(array(
      select s.id from walltrack.signals as s
      where s.id = any(new_ids) and s.decision is null order by s.id
    )),
    'tokens_to_fetch', wanted
  );
end;
$$;
comment on function walltrack.ingest_swaps(
  jsonb, boolean, numeric, text, walltrack.signal_origin
) is
'Records a normalised Helius delivery as signals (idempotent on signature, wallet, mint) and '
'decides each new one, or with fetch_tokens leaves pending the buys whose token facts must '
'be fetched first (tokens_to_fetch, claimed). Returns decisions, pending signal ids and the '
'live orders to execute (claimed for the worker, if one is given).';
grant execute on function walltrack.ingest_swaps(
  jsonb, boolean, numeric, text, walltrack.signal_origin
) to service_role;

create or replace function api.ingest_swaps(
  transactions jsonb, fetch_tokens boolean default false, claim_seconds numeric default 15,
  worker text default null
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.ingest_swaps(transactions, fetch_tokens, claim_seconds, worker);
$$;
comment on function api.ingest_swaps(jsonb, boolean, numeric, text) is
'RPC of walltrack.ingest_swaps, for the helius-webhook function and the replay: what the '
'webhook is delivered (a backfill stores its finds with api.record_backfill_page).';
grant execute on function api.ingest_swaps(jsonb, boolean, numeric, text) to service_role;

alter table walltrack.wallets
add column history_until_signature walltrack.solana_signature,
add column history_until_slot bigint,
add column history_walk_before walltrack.solana_signature,
add column history_walk_top_signature walltrack.solana_signature,
add column history_walk_top_slot bigint,
add column history_checked_at timestamptz;

alter table walltrack.wallets
add constraint wallets_history_walk_whole check (walltrack.ensure(
  (history_walk_before is null) = (history_walk_top_signature is null),
  'a history walk in progress needs both where it resumes and its newest transaction'
));

-- Moving the watermark forward by hand would skip history a backfill never read (missed
-- leader sells never mirrored); a WHEN clause, so an ordinary edit pays no call.
create trigger wallets_before_update_history_engine_only
before update on walltrack.wallets
for each row
when (
  pg_trigger_depth() = 0
  and (
    new.history_until_signature, new.history_until_slot, new.history_walk_before,
    new.history_walk_top_signature, new.history_walk_top_slot, new.history_checked_at
  )
  is distinct from
  (
    old.history_until_signature, old.history_until_slot, old.history_walk_before,
    old.history_walk_top_signature, old.history_walk_top_slot, old.history_checked_at
  )
  and current_setting('walltrack.engine_write', true) is distinct from 'on'
)
execute function walltrack.trigger_refuse_direct_write(
  'wallet %s: its history watermark is kept by the helius-backfill function, not edited',
  'To read a wallet''s history again, run helius-backfill; the watermark only moves as far '
  'as the history it has read.'
);

comment on column walltrack.wallets.history_until_signature is
'Watermark: the wallet''s history is known complete (webhook or backfill) up to this '
'transaction; the next backfill reads what is newer.';
comment on column walltrack.wallets.history_until_slot is 'Slot of the watermark transaction.';
comment on column walltrack.wallets.history_walk_before is
'A backfill walk left unfinished (credits spent) resumes with the transactions older than '
'this one.';
comment on column walltrack.wallets.history_walk_top_signature is
'The newest transaction of the walk in progress: the watermark once the walk ends.';
comment on column walltrack.wallets.history_walk_top_slot is
'Slot of the walk''s newest transaction.';
comment on column walltrack.wallets.history_checked_at is
'When a backfill last finished reading this wallet''s history.';

-- History backfill: Helius retries a failed delivery three times, then drops it; webhooks
-- also go silent in outages. Each watched wallet keeps a watermark (the transaction its
-- history is known complete up to); the helius-backfill function walks the wallet's parsed
-- history from the newest transaction down to the watermark, page by page, and each page is
-- stored and decided here like a delivery, marked as found by backfill. What the webhook
-- already stored is not stored again (signals_dedupe). A late buy is decided stale, a late
-- sell still mirrors. A walk cut short (credits spent) resumes where it stopped.

create function walltrack.backfill_plan(max_wallets integer)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
-- The wallets whose history is due a read, least recently read first (a walk left
-- unfinished, and a wallet never read, come first): each with its watermark (until) and,
-- for a walk in progress, where it resumes (before). Watched wallets, and any wallet whose
-- copies are still open: its sells must still be mirrored.
begin
  return coalesce((
    select jsonb_agg(jsonb_build_object(
      'address', w.address, 'until', w.history_until_signature,
      'before', w.history_walk_before
    ) order by w.history_checked_at nulls first, w.id)
    from (
      select x.* from walltrack.wallets as x
      where x.status = 'active' or exists (
        select from walltrack.positions as p
        where p.wallet_id = x.id and p.status in ('opening', 'open', 'closing')
      )
      order by x.history_checked_at nulls first, x.id
      limit max_wallets
    ) as w
  ), '[]'::jsonb);
end;
$$;
comment on function walltrack.backfill_plan(integer) is
'[{address, until, before}]: the wallets whose history to read next, least recently read '
'first, with their watermark and the resume point of an unfinished walk.';
grant execute on function walltrack.backfill_plan(integer) to service_role;

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
-- newest transaction and stores nothing: WallTrack copies from when it starts watching.
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
  if wallet.history_until_signature is not null or wallet.history_walk_before is not null then
    report := walltrack.ingest_swaps(transactions, found_by => 'backfill');
  end if;
  if wallet.history_walk_top_signature is null and newest ->> 'signature' is not null then
    wallet.history_walk_top_signature := newest ->> 'signature';
    wallet.history_walk_top_slot := (newest ->> 'slot')::bigint;
  end if;
  wallet.history_walk_before := coalesce(oldest_signature, wallet.history_walk_before);
  if complete or wallet.history_until_signature is null then
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

create function api.backfill_plan(max_wallets integer default 100)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.backfill_plan(max_wallets);
$$;
comment on function api.backfill_plan(integer) is
'RPC of walltrack.backfill_plan, for the helius-backfill function.';
grant execute on function api.backfill_plan(integer) to service_role;

create function api.record_backfill_page(
  address text, transactions jsonb, newest jsonb, oldest_signature text, complete boolean
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.record_backfill_page(address, transactions, newest, oldest_signature, complete);
$$;
comment on function api.record_backfill_page(text, jsonb, jsonb, text, boolean) is
'RPC of walltrack.record_backfill_page, for the helius-backfill function.';
grant execute on function api.record_backfill_page(text, jsonb, jsonb, text, boolean)
to service_role;
