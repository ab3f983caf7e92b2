-- Token safety judged in SQL: each kind of fact has its own freshness, the verdict is
-- computed from the fresh facts and the config thresholds (so a threshold change applies
-- without refetching), a manual list wins, and a rugged token is unsafe for good. The
-- functions only fetch what api.tokens_to_fetch names and store it with
-- api.store_token_facts.

alter table walltrack.config
add column token_market_ttl_minutes integer not null default 5,
add column token_unknown_ttl_minutes integer not null default 2,
add constraint config_token_ttls_range check (walltrack.ensure(
  token_market_ttl_minutes between 1 and 1440 and token_unknown_ttl_minutes between 1 and 1440,
  'config.token_market_ttl_minutes and token_unknown_ttl_minutes must be within 1..1440'
));
comment on column walltrack.config.token_market_ttl_minutes is
'Market facts (liquidity, market cap, price) are trusted this long; RugCheck facts of a token '
'younger than an hour too.';
comment on column walltrack.config.token_unknown_ttl_minutes is
'A source that failed is asked again after this many minutes (an unknown is not cached long).';
comment on column walltrack.config.token_cache_ttl_minutes is
'RugCheck facts and active authorities are trusted this long; revoked authorities for good.';

alter table walltrack.tokens
add column rugcheck_fetched_at timestamptz,
add column market_fetched_at timestamptz;
comment on column walltrack.tokens.rugcheck_fetched_at is
'When RugCheck last answered for this token; empty = its facts are unknown.';
comment on column walltrack.tokens.market_fetched_at is
'When DexScreener last answered for this token; empty = market facts unknown.';
comment on column walltrack.tokens.fetched_at is 'When a lookup of this token last ran.';
comment on column walltrack.tokens.expires_at is
'The earliest time one of the token''s facts goes stale (empty = nothing fetched yet).';

-- The linter reads an array column of a composite type differently from a table's.
create type walltrack.token_judgement as (
  verdict walltrack.token_verdict,
  reasons text[] -- noqa: LT01
);
comment on type walltrack.token_judgement is 'A token verdict and its machine-readable reasons.';

create function walltrack.token_fact_ages(
  token walltrack.tokens, cfg walltrack.config,
  out rugcheck_fresh boolean, out market_fresh boolean, out authorities_known boolean
)
language plpgsql
stable
set search_path = ''
as $$
-- Which facts can be trusted now. Revoked authorities do not come back; market data goes
-- stale in minutes; RugCheck facts of a token younger than an hour go stale as fast.
declare
  young boolean := coalesce(token.pair_created_at > now() - interval '1 hour', true);
  rugcheck_ttl interval := make_interval(
    mins => case when young then cfg.token_market_ttl_minutes else cfg.token_cache_ttl_minutes end
  );
begin
  rugcheck_fresh := token.rugcheck_fetched_at > now() - rugcheck_ttl;
  market_fresh := token.market_fetched_at > now() - make_interval(mins => cfg.token_market_ttl_minutes);
  authorities_known := token.authorities_checked_at is not null and (
    (token.mint_authority is null and token.freeze_authority is null)
    or token.authorities_checked_at > now() - make_interval(mins => cfg.token_cache_ttl_minutes)
  );
  rugcheck_fresh := coalesce(rugcheck_fresh, false);
  market_fresh := coalesce(market_fresh, false);
end;
$$;
comment on function walltrack.token_fact_ages(walltrack.tokens, walltrack.config) is
'Whether the token''s RugCheck facts, market facts and authorities can be trusted now.';
grant execute on function walltrack.token_fact_ages(walltrack.tokens, walltrack.config)
to service_role;

create function walltrack.token_verdict(token walltrack.tokens, cfg walltrack.config)
returns walltrack.token_judgement
language plpgsql
stable
set search_path = ''
as $$
-- unsafe when a fresh fact fails a filter; unknown when a filter cannot be judged (its
-- facts are missing or stale); risky when it passes with RugCheck dangers; else safe.
declare
  ages record := walltrack.token_fact_ages(token, cfg);
  unsafe text[] := '{}'::text[];
  unknown text[] := '{}'::text[];
begin
  if token.manual_list = 'blacklist' then
    return row('unsafe', array['blacklisted'])::walltrack.token_judgement;
  elsif token.manual_list = 'whitelist' then
    return row('safe', array['whitelisted'])::walltrack.token_judgement;
  elsif token.rugged then
    return row('unsafe', array['rugged'])::walltrack.token_judgement;
  end if;

  if not ages.authorities_known then
    unknown := unknown || 'authorities_unknown'::text;
  else
    if cfg.require_mint_authority_revoked and token.mint_authority is not null then
      unsafe := unsafe || 'mint_authority_active'::text;
    end if;
    if cfg.require_freeze_authority_revoked and token.freeze_authority is not null then
      unsafe := unsafe || 'freeze_authority_active'::text;
    end if;
  end if;

  if not ages.market_fresh then
    unknown := unknown || 'market_unknown'::text;
  else
    unsafe := unsafe || array_remove(array[
      case when coalesce(token.liquidity_usd, 0) < cfg.min_liquidity_usd
        then 'liquidity_below_min' end,
      case when coalesce(token.market_cap_usd, 0) < cfg.min_market_cap_usd
        then 'market_cap_below_min' end,
      case when token.market_cap_usd > cfg.max_market_cap_usd then 'market_cap_above_max' end,
      case when coalesce(
        token.pair_created_at > now() - make_interval(mins => cfg.min_pool_age_minutes), true
      ) then 'pool_too_young' end
    ], null);
  end if;

  if not ages.rugcheck_fresh then
    unknown := unknown || 'rugcheck_unknown'::text;
  else
    unsafe := unsafe || array_remove(array[
      case when token.rugcheck_score_normalised > cfg.max_rugcheck_score
        then 'rugcheck_score_above_max' end,
      case when token.top10_holders_pct > cfg.max_top10_holders_pct
        then 'top10_holders_above_max' end
    ], null);
  end if;

  if cardinality(unsafe) > 0 then
    return row('unsafe', unsafe || unknown)::walltrack.token_judgement;
  elsif cardinality(unknown) > 0 then
    return row('unknown', unknown)::walltrack.token_judgement;
  elsif jsonb_path_exists(token.risks, '$[*] ? (@.level == "danger")') then
    return row('risky', array['rugcheck_danger_risk'])::walltrack.token_judgement;
  end if;
  return row('safe', '{}'::text[])::walltrack.token_judgement;
end;
$$;
comment on function walltrack.token_verdict(walltrack.tokens, walltrack.config) is
'Judges a token from its fresh facts and the config thresholds: safe, risky, unsafe or '
'unknown, with machine-readable reasons. A manual list wins; a rugged token is unsafe.';
grant execute on function walltrack.token_verdict(walltrack.tokens, walltrack.config)
to service_role;

create function walltrack.token_sources_due(token walltrack.tokens, cfg walltrack.config)
returns text[]
language plpgsql
stable
set search_path = ''
as $$
-- The sources to ask again: those whose facts are stale, unless the last attempt failed
-- less than token_unknown_ttl_minutes ago. A rugged or manually listed token needs none.
declare
  ages record := walltrack.token_fact_ages(token, cfg);
  recently_tried boolean := coalesce(
    token.fetched_at > now() - make_interval(mins => cfg.token_unknown_ttl_minutes), false
  );
begin
  if token.rugged or token.manual_list is not null then
    return '{}'::text[];
  end if;
  return array_remove(array[
    case when not ages.rugcheck_fresh
      and not (recently_tried and 'rugcheck' = any(token.failed_sources)) then 'rugcheck' end,
    case when not ages.market_fresh
      and not (recently_tried and 'dexscreener' = any(token.failed_sources)) then 'dexscreener' end,
    case when not ages.authorities_known
      and not (recently_tried and 'das' = any(token.failed_sources)) then 'das' end
  ], null);
end;
$$;
comment on function walltrack.token_sources_due(walltrack.tokens, walltrack.config) is
'Sources (rugcheck, dexscreener, das) whose facts about the token must be fetched again.';
grant execute on function walltrack.token_sources_due(walltrack.tokens, walltrack.config)
to service_role;

alter table walltrack.tokens add column lookup_claimed_until timestamptz;
comment on column walltrack.tokens.lookup_claimed_until is
'A lookup of this token is in flight until then: a burst of signals makes one lookup.';

create function walltrack.token_expires_at(token walltrack.tokens, cfg walltrack.config)
returns timestamptz
language plpgsql
stable
set search_path = ''
as $$
-- The first moment one of the token's facts goes stale; a lookup that found nothing is
-- retried after the unknown TTL.
begin
  return coalesce(
    least(
      token.rugcheck_fetched_at + make_interval(mins => case
        when coalesce(token.pair_created_at > now() - interval '1 hour', true)
          then cfg.token_market_ttl_minutes
        else cfg.token_cache_ttl_minutes
      end),
      token.market_fetched_at + make_interval(mins => cfg.token_market_ttl_minutes),
      case when token.mint_authority is not null or token.freeze_authority is not null
        then token.authorities_checked_at + make_interval(mins => cfg.token_cache_ttl_minutes)
      end
    ),
    token.fetched_at + make_interval(mins => cfg.token_unknown_ttl_minutes)
  );
end;
$$;
comment on function walltrack.token_expires_at(walltrack.tokens, walltrack.config) is
'When the token''s first fact goes stale (or, with none, when an empty lookup is retried).';
grant execute on function walltrack.token_expires_at(walltrack.tokens, walltrack.config)
to service_role;

create function walltrack.rejudge_tokens(mints text[])
returns void
language sql
set search_path = ''
as $$
  -- Stores the verdict Studio shows, and the expiry, for these tokens (null = all).
  update walltrack.tokens as t
  set
    verdict = (walltrack.token_verdict(t, c)).verdict,
    verdict_reasons = (walltrack.token_verdict(t, c)).reasons,
    verdict_at = now(),
    expires_at = walltrack.token_expires_at(t, c)
  from walltrack.config as c
  where mints is null or t.mint = any(mints);
$$;
comment on function walltrack.rejudge_tokens(text[]) is
'Recomputes and stores the verdict and expiry of the given tokens (all when null).';
grant execute on function walltrack.rejudge_tokens(text[]) to service_role;

create function walltrack.trigger_config_rejudge_tokens()
returns trigger
language plpgsql
set search_path = ''
as $$
-- A threshold edit in Studio re-judges every token at once, without refetching.
begin
  perform walltrack.rejudge_tokens(null);
  return null;
end;
$$;
comment on function walltrack.trigger_config_rejudge_tokens() is
'Re-judges all tokens after a change of the token filters in config.';

create trigger config_after_update_rejudge_tokens
after update of min_liquidity_usd, min_market_cap_usd, max_market_cap_usd, min_pool_age_minutes,
max_rugcheck_score, require_mint_authority_revoked, require_freeze_authority_revoked,
max_top10_holders_pct, token_cache_ttl_minutes, token_market_ttl_minutes,
token_unknown_ttl_minutes on walltrack.config
for each row execute function walltrack.trigger_config_rejudge_tokens();

create function walltrack.trigger_token_rejudge()
returns trigger
language plpgsql
set search_path = ''
as $$
-- A manual list edit in Studio shows its effect on the stored verdict at once.
begin
  perform walltrack.rejudge_tokens(array[new.mint::text]);
  return null;
end;
$$;
comment on function walltrack.trigger_token_rejudge() is
'Re-judges a token after an operator puts it on (or off) the whitelist or blacklist.';

create trigger tokens_after_update_rejudge
after update of manual_list on walltrack.tokens
for each row execute function walltrack.trigger_token_rejudge();

create function walltrack.token_gate(token_mint text)
returns text
language plpgsql
stable
set search_path = ''
as $$
-- Why a token may not be bought (a decision reason), or null when it may: judged now from
-- its fresh facts, so a stale fact counts as unknown and a threshold change applies at once.
declare
  token walltrack.tokens;
  cfg walltrack.config;
  judgement walltrack.token_judgement;
begin
  select t.* into token from walltrack.tokens as t where t.mint = token_mint;
  if token.fetched_at is null and token.manual_list is null then
    return 'token_not_checked';
  end if;
  select c.* into strict cfg from walltrack.config as c;
  judgement := walltrack.token_verdict(token, cfg);
  return case
    when judgement.verdict = 'unsafe' and judgement.reasons[1] = 'blacklisted'
      then 'token_blacklisted'
    when judgement.verdict = 'unsafe' then 'token_unsafe'
    when judgement.verdict = 'unknown' and cfg.unknown_token_policy = 'fail_closed'
      then 'token_unknown'
  end;
end;
$$;
comment on function walltrack.token_gate(text) is
'Decision reason refusing a buy of this token (token_not_checked, token_blacklisted, '
'token_unsafe, token_unknown), or null when it may be bought.';

grant execute on function walltrack.token_gate(text) to service_role;

create function api.tokens_to_fetch(swaps jsonb, claim_seconds numeric default 3)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
-- For the buys of active watched wallets in a delivery: which sources to fetch for which
-- token. Those tokens are claimed for claim_seconds, so concurrent deliveries of the same
-- new token make one lookup; fresh ones count a cache hit.
declare
  cfg walltrack.config;
  bought text[];
  wanted jsonb;
begin
  select c.* into strict cfg from walltrack.config as c;
  select coalesce(array_agg(distinct s.value ->> 'token_mint'), '{}') into bought
  from jsonb_array_elements(swaps) as s
  inner join walltrack.wallets as w
    on w.address = s.value ->> 'wallet' and w.status = 'active'
  where s.value ->> 'side' = 'buy';
  insert into walltrack.tokens (mint) select unnest(bought) on conflict do nothing;

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
comment on function api.tokens_to_fetch(jsonb, numeric) is
'Sources to fetch per token bought by an active watched wallet in a delivery ({mint: '
'[sources]}); claims them so a burst makes one lookup, and counts cache hits.';
grant execute on function api.tokens_to_fetch(jsonb, numeric) to service_role;

create function api.store_token_facts(facts jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
-- Stores what each source said about each token (a source that failed leaves its facts
-- as they were, and is named in failed_sources), then re-judges those tokens.
declare
  mints text[];
begin
  insert into walltrack.tokens as t (mint, fetched_at, failed_sources)
  select
    f.value ->> 'mint', now(),
    coalesce(array(select jsonb_array_elements_text(f.value -> 'failed_sources')), '{}')
  from jsonb_array_elements(facts) as f
  on conflict (mint) do update
  set fetched_at = now(), failed_sources = excluded.failed_sources, lookup_claimed_until = null;
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
  return (
    select coalesce(jsonb_object_agg(t.mint, jsonb_build_object(
      'verdict', t.verdict, 'reasons', t.verdict_reasons
    )), '{}')
    from walltrack.tokens as t where t.mint = any(mints)
  );
end;
$$;
comment on function api.store_token_facts(jsonb) is
'Stores fetched token facts per source ([{mint, rugcheck, dexscreener, das, failed_sources}]) '
'and returns the new verdicts.';
grant execute on function api.store_token_facts(jsonb) to service_role;

create function api.ingest_swaps(transactions jsonb, fetch_tokens boolean)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
-- The read-through entry: with fetch_tokens, a delivery whose bought tokens lack fresh
-- facts is not stored yet: the answer names the sources to fetch (and claims them), the
-- caller stores the facts and calls again without fetch_tokens. When the cache answers
-- for every token, it is one round trip.
declare
  wanted jsonb;
begin
  if fetch_tokens then
    wanted := api.tokens_to_fetch((
      select coalesce(jsonb_agg(s.value), '[]')
      from jsonb_array_elements(transactions) as t
      cross join lateral jsonb_array_elements(coalesce(t.value -> 'swaps', '[]')) as s
    ));
    if wanted <> '{}' then
      return jsonb_build_object('tokens_to_fetch', wanted);
    end if;
  end if;
  return api.ingest_swaps(transactions);
end;
$$;
comment on function api.ingest_swaps(jsonb, boolean) is
'ingest_swaps with the token read-through: returns {tokens_to_fetch} instead of storing when '
'a bought token lacks fresh facts and fetch_tokens is true.';
grant execute on function api.ingest_swaps(jsonb, boolean) to service_role;

create function api.tokens_to_refresh(
  mints text[] default null, max_tokens integer default 100, claim_seconds numeric default 10
)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
-- For the token-lookup function. Given mints (an operator's request): every source, now.
-- Without (the schedule): the tokens held in live positions or bought by a watched wallet
-- in the last day whose facts are due, oldest lookup first. Claimed like any lookup.
declare
  cfg walltrack.config;
  wanted jsonb;
begin
  select c.* into strict cfg from walltrack.config as c;
  if mints is not null then
    insert into walltrack.tokens (mint) select unnest(mints) on conflict do nothing;
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
comment on function api.tokens_to_refresh(text[], integer, numeric) is
'Tokens the token-lookup function must refresh ({mint: [sources]}): the given mints from '
'every source, or the due facts of tokens in play. Claims them.';
grant execute on function api.tokens_to_refresh(text[], integer, numeric) to service_role;

-- Rollback:
-- drop function api.tokens_to_refresh(text[], integer, numeric);
-- drop function api.ingest_swaps(jsonb, boolean);
-- drop function api.store_token_facts(jsonb);
-- drop function api.tokens_to_fetch(jsonb, numeric);
-- drop function walltrack.token_gate(text);
-- drop trigger tokens_after_update_rejudge on walltrack.tokens;
-- drop function walltrack.trigger_token_rejudge();
-- drop trigger config_after_update_rejudge_tokens on walltrack.config;
-- drop function walltrack.trigger_config_rejudge_tokens();
-- drop function walltrack.rejudge_tokens(text[]);
-- drop function walltrack.token_expires_at(walltrack.tokens, walltrack.config);
-- alter table walltrack.tokens drop column lookup_claimed_until;
-- drop function walltrack.token_sources_due(walltrack.tokens, walltrack.config);
-- drop function walltrack.token_verdict(walltrack.tokens, walltrack.config);
-- drop function walltrack.token_fact_ages(walltrack.tokens, walltrack.config);
-- drop type walltrack.token_judgement;
-- alter table walltrack.tokens drop column market_fetched_at, drop column rugcheck_fetched_at;
-- alter table walltrack.config drop column token_unknown_ttl_minutes,
--   drop column token_market_ttl_minutes;
