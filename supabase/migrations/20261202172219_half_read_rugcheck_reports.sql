-- half_read_rugcheck_reports
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

-- A RugCheck report whose token section is null names no authority: the token's
-- authorities stay as they were instead of being read as revoked.

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

  -- Identity and authorities: DAS first, else what RugCheck's full report says. A source
  -- that names no authority at all (a report whose token section is null) leaves them as
  -- they were: an empty authority means revoked, never unknown.
  update walltrack.tokens as t
  set
    name = coalesce(f.src ->> 'name', t.name),
    symbol = coalesce(f.src ->> 'symbol', t.symbol),
    decimals = coalesce((f.src ->> 'decimals')::smallint, t.decimals),
    supply = coalesce((f.src ->> 'supply')::numeric, t.supply),
    mint_authority = case
      when f.authorities_read then f.src ->> 'mint_authority' else t.mint_authority
    end,
    freeze_authority = case
      when f.authorities_read then f.src ->> 'freeze_authority' else t.freeze_authority
    end,
    authorities_checked_at = case
      when f.authorities_read then now() else t.authorities_checked_at
    end
  from (
    select
      e.value ->> 'mint' as mint,
      s.src,
      s.src ?& array['mint_authority', 'freeze_authority'] as authorities_read
    from jsonb_array_elements(facts) as e
    cross join lateral (
      select case
        when jsonb_typeof(e.value -> 'das') = 'object' then e.value -> 'das'
        else e.value -> 'rugcheck'
      end as src
    ) as s
  ) as f
  where t.mint = f.mint and jsonb_typeof(f.src) = 'object';

  perform walltrack.rejudge_tokens(mints);
  return mints;
end;
$$;
comment on function walltrack.store_token_facts_batch(jsonb) is
'Stores fetched token facts per source ([{mint, rugcheck, dexscreener, das, failed_sources}]) '
'and re-judges those tokens; raises if any element cannot be stored.';
grant execute on function walltrack.store_token_facts_batch(jsonb) to service_role;
