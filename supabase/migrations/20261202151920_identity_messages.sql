-- identity_messages
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

-- WallTrack's words for the identity and reference edits Postgres would refuse in its own:
-- a wallet's exit strategy that does not exist, a template name taken, a token row that is
-- a second one for its mint, changes mint, or is deleted while a position holds it.

create or replace function walltrack.trigger_wallet_guard()
returns trigger
language plpgsql
set search_path = ''
as $$
-- Friendly words for the edits operators get wrong most: a duplicate address, and an exit
-- strategy that is archived or does not exist.
begin
  perform walltrack.ensure(
    not exists (
      select from walltrack.wallets as w where w.address = new.address and w.id <> new.id
    ),
    format('wallet %s is already on the watchlist', new.address),
    'Edit the existing row (status, label) instead of adding it again.');
  if new.exit_strategy_id is distinct from old.exit_strategy_id then
    perform walltrack.ensure(
      new.exit_strategy_id is null or exists (
        select from walltrack.exit_strategies as s where s.id = new.exit_strategy_id
      ),
      format('exit strategy %s does not exist', new.exit_strategy_id),
      'Pick an id from walltrack.exit_strategies, or leave it empty for the default.');
    perform walltrack.ensure(
      not exists (
        select from walltrack.exit_strategies as s
        where s.id = new.exit_strategy_id and s.archived
      ),
      format('exit strategy %s is archived: pick an active one', new.exit_strategy_id));
  end if;
  return new;
end;
$$;

comment on function walltrack.trigger_wallet_guard() is
'Refuses a duplicate address and a missing or archived exit strategy with a clear message.';

create or replace function walltrack.trigger_exit_strategy_guard()
returns trigger
language plpgsql
set search_path = ''
as $$
-- One name per template and one default at a time, said in words; a template is archived,
-- never deleted, once anything refers to it (open positions keep their snapshot either way).
declare
  other_default text;
begin
  if tg_op = 'DELETE' then
    raise exception using
      message = format('exit strategy "%s" cannot be deleted', old.name),
      hint = 'Set archived = true instead: positions and wallets may still refer to it.',
      errcode = 'restrict_violation';
  end if;
  perform walltrack.ensure(
    not exists (
      select from walltrack.exit_strategies as s where s.name = new.name and s.id <> new.id
    ),
    format('an exit strategy named "%s" exists already', new.name),
    'Give this one another name, or edit the existing template.');
  if new.is_default then
    select s.name into other_default
    from walltrack.exit_strategies as s
    where s.is_default and s.id <> new.id;
    perform walltrack.ensure(other_default is null,
      format('"%s" is already the default exit strategy', other_default),
      format('Set is_default = false on "%s" first.', other_default));
    perform walltrack.ensure(not new.archived, 'an archived exit strategy cannot be the default');
  end if;
  return new;
end;
$$;

comment on function walltrack.trigger_exit_strategy_guard() is
'Refuses a duplicate name, a second default template and deletions (archive instead).';

create function walltrack.trigger_token_identity()
returns trigger
language plpgsql
set search_path = ''
as $$
-- A token row is the cache of one mint: a second row for it or another mint in it would mix
-- up its facts. (Deleting one a position holds: positions_keep_held_tokens, 07_positions.sql.)
begin
  if tg_op = 'INSERT' then
    perform walltrack.ensure(
      not exists (select from walltrack.tokens as t where t.mint = new.mint),
      format('token %s is cached already', new.mint), 'Edit its row instead.');
  else
    perform walltrack.ensure(new.mint = old.mint,
      format('a token row caches one mint: %s cannot become %s', old.mint, new.mint),
      'Add the other mint as a row of its own.');
  end if;
  return new;
end;
$$;
comment on function walltrack.trigger_token_identity() is
'Refuses a second row for a mint and a change of a row''s mint.';

create trigger tokens_before_insert_identity
before insert on walltrack.tokens
for each row
when (
  pg_trigger_depth() = 0
  and current_setting('walltrack.engine_write', true) is distinct from 'on'
)
execute function walltrack.trigger_token_identity();

create trigger tokens_before_update_identity
before update of mint on walltrack.tokens
for each row execute function walltrack.trigger_token_identity();

create function walltrack.trigger_token_keep_held()
returns trigger
language plpgsql
set search_path = ''
as $$
-- The foreign key would refuse it too, in Postgres's words; this says what to do instead.
begin
  perform walltrack.ensure(
    not exists (select from walltrack.positions as p where p.token_mint = old.mint),
    format('token %s is held by a position: its row is kept', old.mint),
    'To stop buying it, set manual_list = blacklist.');
  return old;
end;
$$;
comment on function walltrack.trigger_token_keep_held() is
'Refuses deleting the token row of a mint a position holds.';

create trigger tokens_before_delete_keep_held
before delete on walltrack.tokens
for each row execute function walltrack.trigger_token_keep_held();

-- WallTrack's own token upserts write with the engine-write mark.

create or replace function walltrack.tokens_to_fetch(swaps jsonb, claim_seconds numeric default 3)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- For the buys of active watched wallets in a delivery: which sources to fetch for which
-- token. Those tokens are claimed for claim_seconds, so concurrent deliveries of the same
-- new token make one lookup; fresh ones count a cache hit.
declare
  cfg walltrack.config;
  bought text[] := walltrack.tokens_bought(swaps);
  wanted jsonb;
  engine text := walltrack.begin_engine_write();
begin
  select c.* into strict cfg from walltrack.config as c;
  insert into walltrack.tokens (mint) select unnest(bought) on conflict do nothing;
  perform walltrack.end_engine_write(engine);

  with due as (
    select t.mint, walltrack.token_sources_due(t, cfg) as sources
    from walltrack.tokens as t
    where t.mint = any(bought) and coalesce(t.lookup_claimed_until <= now(), true)
    for update of t
  ),

  claimed as (
    update walltrack.tokens as t
    set
      lookup_claimed_until = case
        when cardinality(d.sources) > 0 then now() + make_interval(secs => claim_seconds)
      end,
      hit_count = t.hit_count + (cardinality(d.sources) = 0)::integer
    from due as d
    where t.mint = d.mint
    returning t.mint, d.sources
  )

  select coalesce(jsonb_object_agg(c.mint, to_jsonb(c.sources)), '{}')
  into wanted
  from claimed as c where cardinality(c.sources) > 0;
  return wanted;
end;
$$;

create or replace function walltrack.store_token_facts_batch(facts jsonb)
returns text[]
language plpgsql
set search_path = ''
as $$
-- Stores what each source said about each token (a source that failed leaves its facts
-- as they were, and is named in failed_sources), then re-judges those tokens. Returns them.
declare
  mints text[];
  engine text := walltrack.begin_engine_write();
begin
  insert into walltrack.tokens as t (mint, fetched_at, failed_sources)
  select
    f.value ->> 'mint', now(),
    coalesce(array(select jsonb_array_elements_text(f.value -> 'failed_sources')), '{}')
  from jsonb_array_elements(facts) as f
  on conflict (mint) do update
  set fetched_at = now(), failed_sources = excluded.failed_sources, lookup_claimed_until = null;
  perform walltrack.end_engine_write(engine);
  select array_agg(f.value ->> 'mint') into mints from jsonb_array_elements(facts) as f;

  update walltrack.tokens as t
  set
    rugcheck_score = (f.rc ->> 'score')::integer,
    rugcheck_score_normalised = (f.rc ->> 'score_normalised')::integer,
    risks = coalesce(f.rc -> 'risks', '[]'),
    top10_holders_pct = (f.rc ->> 'top10_holders_pct')::numeric,
    lp_locked_pct = (f.rc ->> 'lp_locked_pct')::numeric,
    rugged = coalesce(t.rugged, false) or coalesce((f.rc ->> 'rugged')::boolean, false),
    rugcheck_fetched_at = now()
  from (
    select e.value ->> 'mint' as mint, e.value -> 'rugcheck' as rc
    from jsonb_array_elements(facts) as e
  ) as f
  where t.mint = f.mint and jsonb_typeof(f.rc) = 'object';

  update walltrack.tokens as t
  set
    pair_address = f.dx ->> 'pair_address',
    dex_id = f.dx ->> 'dex_id',
    liquidity_usd = (f.dx ->> 'liquidity_usd')::numeric,
    market_cap_usd = (f.dx ->> 'market_cap_usd')::numeric,
    fdv_usd = (f.dx ->> 'fdv_usd')::numeric,
    price_usd = (f.dx ->> 'price_usd')::numeric,
    price_sol = (f.dx ->> 'price_sol')::numeric,
    pair_created_at = (f.dx ->> 'pair_created_at')::timestamptz,
    market_fetched_at = now()
  from (
    select e.value ->> 'mint' as mint, e.value -> 'dexscreener' as dx
    from jsonb_array_elements(facts) as e
  ) as f
  where t.mint = f.mint and jsonb_typeof(f.dx) = 'object';

  -- Identity and authorities: DAS first, else what RugCheck's full report says.
  update walltrack.tokens as t
  set
    name = coalesce(f.src ->> 'name', t.name),
    symbol = coalesce(f.src ->> 'symbol', t.symbol),
    decimals = coalesce((f.src ->> 'decimals')::smallint, t.decimals),
    supply = coalesce((f.src ->> 'supply')::numeric, t.supply),
    mint_authority = f.src ->> 'mint_authority',
    freeze_authority = f.src ->> 'freeze_authority',
    authorities_checked_at = now()
  from (
    select
      e.value ->> 'mint' as mint,
      case
        when jsonb_typeof(e.value -> 'das') = 'object' then e.value -> 'das'
        else e.value -> 'rugcheck'
      end as src
    from jsonb_array_elements(facts) as e
  ) as f
  where t.mint = f.mint and jsonb_typeof(f.src) = 'object';

  perform walltrack.rejudge_tokens(mints);
  return mints;
end;
$$;

create or replace function walltrack.load_token_facts(tokens jsonb)
returns integer
language plpgsql
set search_path = ''
as $$
-- Facts recorded elsewhere (a what-if replay's log), stored as they were observed: each
-- source that had answered counts as answered now, one that never did stays unknown, and
-- every verdict is judged again from them, as if the lookups had just been made.
declare
  mints text[];
  engine text := walltrack.begin_engine_write();
begin
  insert into walltrack.tokens (
    mint, symbol, name, decimals, supply, mint_authority, freeze_authority,
    authorities_checked_at, rugcheck_score, rugcheck_score_normalised, risks,
    top10_holders_pct, lp_locked_pct, rugged, pair_address, dex_id, liquidity_usd,
    market_cap_usd, fdv_usd, price_usd, price_sol, pair_created_at, manual_list, manual_note,
    fetched_at, rugcheck_fetched_at, market_fetched_at, failed_sources
  )
  select
    r.mint, r.symbol, r.name, r.decimals, r.supply, r.mint_authority, r.freeze_authority,
    r.authorities_checked_at, r.rugcheck_score, r.rugcheck_score_normalised, r.risks,
    r.top10_holders_pct, r.lp_locked_pct, r.rugged, r.pair_address, r.dex_id,
    r.liquidity_usd, r.market_cap_usd, r.fdv_usd, r.price_usd, r.price_sol,
    r.pair_created_at, r.manual_list, r.manual_note, r.fetched_at, r.rugcheck_fetched_at,
    r.market_fetched_at, r.failed_sources
  from jsonb_populate_recordset(null::walltrack.tokens, tokens) as r
  on conflict (mint) do update set
    symbol = excluded.symbol,
    name = excluded.name,
    decimals = excluded.decimals,
    supply = excluded.supply,
    mint_authority = excluded.mint_authority,
    freeze_authority = excluded.freeze_authority,
    authorities_checked_at = excluded.authorities_checked_at,
    rugcheck_score = excluded.rugcheck_score,
    rugcheck_score_normalised = excluded.rugcheck_score_normalised,
    risks = excluded.risks,
    top10_holders_pct = excluded.top10_holders_pct,
    lp_locked_pct = excluded.lp_locked_pct,
    rugged = excluded.rugged,
    pair_address = excluded.pair_address,
    dex_id = excluded.dex_id,
    liquidity_usd = excluded.liquidity_usd,
    market_cap_usd = excluded.market_cap_usd,
    fdv_usd = excluded.fdv_usd,
    price_usd = excluded.price_usd,
    price_sol = excluded.price_sol,
    pair_created_at = excluded.pair_created_at,
    manual_list = excluded.manual_list,
    manual_note = excluded.manual_note,
    fetched_at = excluded.fetched_at,
    rugcheck_fetched_at = excluded.rugcheck_fetched_at,
    market_fetched_at = excluded.market_fetched_at,
    failed_sources = excluded.failed_sources;
  perform walltrack.end_engine_write(engine);
  mints := array(select e.value ->> 'mint' from jsonb_array_elements(tokens) as e);
  update walltrack.tokens as t set
    fetched_at = case when t.fetched_at is not null then now() end,
    rugcheck_fetched_at = case when t.rugcheck_fetched_at is not null then now() end,
    market_fetched_at = case when t.market_fetched_at is not null then now() end,
    authorities_checked_at = case when t.authorities_checked_at is not null then now() end
  where t.mint = any(mints);
  perform walltrack.rejudge_tokens(mints);
  return cardinality(mints);
end;
$$;

create or replace function walltrack.tokens_to_refresh(
  mints text[] default null, max_tokens integer default 100, claim_seconds numeric default 10
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- For the token-lookup function. Given mints (an operator's request): every source, now.
-- Without (the schedule): the tokens held in live positions or bought by a watched wallet
-- in the last day whose facts are due, oldest lookup first. Claimed like any lookup.
declare
  cfg walltrack.config;
  wanted jsonb;
  engine text;
begin
  select c.* into strict cfg from walltrack.config as c;
  if mints is not null then
    engine := walltrack.begin_engine_write();
    insert into walltrack.tokens (mint) select unnest(mints) on conflict do nothing;
    perform walltrack.end_engine_write(engine);
  end if;

  with candidates as (
    select
      t.mint,
      case
        when mints is not null then array['rugcheck', 'dexscreener', 'das']
        else walltrack.token_sources_due(t, cfg)
      end as sources
    from walltrack.tokens as t
    where
      coalesce(t.lookup_claimed_until <= now(), true)
      and (
        t.mint = any(mints)
        or mints is null and (
          exists (
            select from walltrack.positions as p
            where p.token_mint = t.mint and p.status in ('opening', 'open', 'closing')
          )
          or exists (
            select from walltrack.signals as s
            where
              s.token_mint = t.mint and s.side = 'buy'
              and s.received_at > now() - interval '1 day'
          )
        )
      )
    order by t.fetched_at nulls first
    limit max_tokens
    for update of t skip locked
  ),

  claimed as (
    update walltrack.tokens as t
    set lookup_claimed_until = now() + make_interval(secs => claim_seconds)
    from candidates as c
    where t.mint = c.mint and cardinality(c.sources) > 0
    returning t.mint, c.sources
  )

  select coalesce(jsonb_object_agg(c.mint, to_jsonb(c.sources)), '{}') into wanted
  from claimed as c;
  return wanted;
end;
$$;
