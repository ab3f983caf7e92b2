-- tokens: the read-through cache. Safety and market facts per mint, fetched on demand from
-- RugCheck, DexScreener and Helius DAS, each kind of fact with its own freshness. The
-- verdict is judged here from the fresh facts and the config thresholds (a threshold change
-- applies without refetching), a manual list wins, and a rugged token is unsafe for good.
-- The functions only fetch what walltrack.claim_token_lookups (for a delivery) or
-- walltrack.tokens_to_refresh (13_token_refresh.sql) names, and store it with
-- walltrack.store_token_facts.

create type walltrack.token_verdict as enum ('safe', 'risky', 'unsafe', 'unknown');
comment on type walltrack.token_verdict is
'safe = passes every filter; risky = passes but with warnings; unsafe = fails a filter; '
'unknown = facts missing (handled by config.unknown_token_policy).';

create type walltrack.token_list as enum ('whitelist', 'blacklist');
comment on type walltrack.token_list is
'Manual operator decision that wins over every computed verdict.';

create table walltrack.tokens (
  -- identity
  mint walltrack.solana_address primary key,
  symbol text,
  name text,
  decimals smallint,
  supply numeric,
  -- authorities (null = revoked, once authorities_checked_at is set)
  mint_authority text,
  freeze_authority text,
  authorities_checked_at timestamptz,
  -- RugCheck
  rugcheck_score integer,
  rugcheck_score_normalised integer,
  risks jsonb not null default '[]',
  top10_holders_pct numeric,
  lp_locked_pct numeric,
  rugged boolean,
  -- market (DexScreener / Helius)
  pair_address text,
  dex_id text,
  liquidity_usd numeric,
  market_cap_usd numeric,
  fdv_usd numeric,
  price_usd numeric,
  price_sol numeric,
  pair_created_at timestamptz,
  -- verdict
  verdict walltrack.token_verdict not null default 'unknown',
  verdict_reasons text[] not null default '{}',
  verdict_at timestamptz,
  manual_list walltrack.token_list,
  manual_note text,
  -- cache control
  fetched_at timestamptz,
  expires_at timestamptz,
  failed_sources text[] not null default '{}',
  hit_count bigint not null default 0,
  created_at timestamptz not null default walltrack.clock(),
  updated_at timestamptz not null default walltrack.clock(),
  -- freshness per source, the lookup claim and the price tick
  rugcheck_fetched_at timestamptz,
  market_fetched_at timestamptz,
  lookup_claimed_until timestamptz,
  price_at timestamptz,
  price_stale boolean not null default false,

  constraint tokens_decimals_range check (walltrack.ensure(
    decimals between 0 and 18, format('tokens.decimals must be within 0..18, got %s', decimals)
  )),
  constraint tokens_amounts_not_negative check (walltrack.ensure(
    coalesce(supply >= 0, true) and coalesce(liquidity_usd >= 0, true)
    and coalesce(market_cap_usd >= 0, true) and coalesce(fdv_usd >= 0, true)
    and coalesce(price_usd >= 0, true) and coalesce(price_sol >= 0, true),
    'token supply, liquidity, market cap, FDV and prices must not be negative'
  )),
  constraint tokens_shares_range check (walltrack.ensure(
    coalesce(top10_holders_pct between 0 and 100, true)
    and coalesce(lp_locked_pct between 0 and 100, true)
    and coalesce(rugcheck_score_normalised between 0 and 100, true),
    'token percentages (top10_holders_pct, lp_locked_pct, rugcheck_score_normalised) must be '
    || 'within 0..100'
  )),
  constraint tokens_risks_array check (walltrack.ensure(
    jsonb_typeof(risks) = 'array', 'tokens.risks must be a JSON array'
  )),
  -- A fact or a claim dated ahead would never go stale: the token would keep old facts, or
  -- never be looked up again. Ten minutes allow for clocks and the lookup claim.
  constraint tokens_times_not_ahead check (
    coalesce(greatest(
      fetched_at, rugcheck_fetched_at, market_fetched_at, authorities_checked_at,
      lookup_claimed_until, price_at, verdict_at
    ) <= walltrack.clock() + interval '10 minutes', true)
    or walltrack.ensure(
      coalesce(greatest(
        fetched_at, rugcheck_fetched_at, market_fetched_at, authorities_checked_at,
        lookup_claimed_until, price_at, verdict_at
      ) <= walltrack.clock() + interval '10 minutes', true),
      'token facts are dated by the lookups that fetch them: fetched_at, rugcheck_fetched_at, '
      || 'market_fetched_at, authorities_checked_at, lookup_claimed_until, price_at and '
      || 'verdict_at cannot be ahead of the database clock',
      'Clear the date to have the token looked up again.'
    )
  ),
  -- NaN sorts above every number and Infinity passes `>= 0`: greatest and least see both
  -- (and skip nulls) without a function call on a price tick.
  constraint tokens_numbers_finite check (
    (
      greatest(
        supply, top10_holders_pct, lp_locked_pct, liquidity_usd, market_cap_usd, fdv_usd,
        price_usd, price_sol
      ) < 'Infinity'::numeric
      and least(
        supply, top10_holders_pct, lp_locked_pct, liquidity_usd, market_cap_usd, fdv_usd,
        price_usd, price_sol
      ) > '-Infinity'::numeric
    ) is not false
    or walltrack.ensure_finite(
      'tokens',
      array[
        'supply', 'top10_holders_pct', 'lp_locked_pct', 'liquidity_usd', 'market_cap_usd',
        'fdv_usd', 'price_usd', 'price_sol'
      ],
      array[
        supply, top10_holders_pct, lp_locked_pct, liquidity_usd, market_cap_usd, fdv_usd,
        price_usd, price_sol
      ]
    )
  )
);

create index tokens_expires_at_idx on walltrack.tokens (expires_at);

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
  young boolean := coalesce(token.pair_created_at > walltrack.clock() - interval '1 hour', true);
  rugcheck_ttl interval := make_interval(
    mins => case when young then cfg.token_market_ttl_minutes else cfg.token_cache_ttl_minutes end
  );
begin
  rugcheck_fresh := token.rugcheck_fetched_at > walltrack.clock() - rugcheck_ttl;
  market_fresh := token.market_fetched_at > walltrack.clock() - make_interval(mins => cfg.token_market_ttl_minutes);
  authorities_known := token.authorities_checked_at is not null and (
    (token.mint_authority is null and token.freeze_authority is null)
    or token.authorities_checked_at > walltrack.clock() - make_interval(mins => cfg.token_cache_ttl_minutes)
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
        token.pair_created_at > walltrack.clock() - make_interval(mins => cfg.min_pool_age_minutes), true
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
    token.fetched_at > walltrack.clock() - make_interval(mins => cfg.token_unknown_ttl_minutes), false
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
        when coalesce(token.pair_created_at > walltrack.clock() - interval '1 hour', true)
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
    verdict_at = walltrack.clock(),
    expires_at = walltrack.token_expires_at(t, c)
  from walltrack.config as c
  where mints is null or t.mint = any(mints);
$$;
comment on function walltrack.rejudge_tokens(text[]) is
'Recomputes and stores the verdict and expiry of the given tokens (all when null).';
grant execute on function walltrack.rejudge_tokens(text[]) to service_role;

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

create function walltrack.claim_token_lookups(mints text[], claim_seconds numeric)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- Which sources to fetch for which of these tokens. Those due are claimed for
-- claim_seconds, so concurrent deliveries of the same new token make one lookup (the others
-- leave their buys pending until it completes); fresh ones count a cache hit.
declare
  cfg walltrack.config;
  wanted jsonb;
  engine text := walltrack.begin_engine_write();
begin
  select c.* into strict cfg from walltrack.config as c;
  insert into walltrack.tokens (mint) select unnest(mints) on conflict do nothing;
  perform walltrack.end_engine_write(engine);

  with due as (
    select t.mint, walltrack.token_sources_due(t, cfg) as sources
    from walltrack.tokens as t
    where t.mint = any(mints) and coalesce(t.lookup_claimed_until <= walltrack.clock(), true)
    for update of t
  ),

  claimed as (
    update walltrack.tokens as t
    set
      lookup_claimed_until = case
        when cardinality(d.sources) > 0 then walltrack.clock() + make_interval(secs => claim_seconds)
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
comment on function walltrack.claim_token_lookups(text[], numeric) is
'Sources to fetch per token ({mint: [sources]}) among the given mints; claims them so a burst '
'makes one lookup, and counts cache hits.';
grant execute on function walltrack.claim_token_lookups(text[], numeric) to service_role;

create function walltrack.tokens_awaiting_lookup(mints text[])
returns text[]
language plpgsql
stable
set search_path = ''
as $$
-- Tokens whose facts a lookup is fetching right now (claimed, still due): deciding a buy
-- of one before that lookup ends would refuse it as token_not_checked, where waiting a
-- moment judges it on its facts. PL/pgSQL for its prepared plan: every delivery asks.
begin
  return (
    select coalesce(array_agg(t.mint order by t.mint), '{}')
    from walltrack.tokens as t
    cross join walltrack.config as c
    where
      t.mint = any(mints)
      and t.lookup_claimed_until > walltrack.clock()
      and cardinality(walltrack.token_sources_due(t, c)) > 0
  );
end;
$$;
comment on function walltrack.tokens_awaiting_lookup(text[]) is
'The given tokens whose lookup is claimed and not finished.';
grant execute on function walltrack.tokens_awaiting_lookup(text[]) to service_role;

create function walltrack.store_token_facts_batch(facts jsonb)
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
    f.value ->> 'mint', walltrack.clock(),
    coalesce(array(select jsonb_array_elements_text(f.value -> 'failed_sources')), '{}')
  from jsonb_array_elements(facts) as f
  on conflict (mint) do update
  set fetched_at = walltrack.clock(), failed_sources = excluded.failed_sources, lookup_claimed_until = null;
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
    rugcheck_fetched_at = walltrack.clock()
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
    market_fetched_at = walltrack.clock()
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
      when f.authorities_read then walltrack.clock() else t.authorities_checked_at
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

create function walltrack.store_token_facts(facts jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- store_token_facts_batch for the whole batch at once (one subtransaction); when a token's
-- facts cannot be stored (a source answered nonsense), token by token, and the one that
-- fails is recorded as a fault: its facts stay as they were, so its buys stay refused.
declare
  mints text[] := '{}'::text[];
  item record;
  error_state text;
  error_message text;
  error_hint text;
begin
  if jsonb_typeof(facts) is distinct from 'array' then
    raise exception using
      message = 'store_token_facts expects a JSON array of {mint, rugcheck, dexscreener, das}',
      errcode = 'invalid_parameter_value';
  end if;
  begin
    mints := walltrack.store_token_facts_batch(facts);
  exception when others then
    for item in select f.value, f.ordinality from jsonb_array_elements(facts) with ordinality as f
    loop
      begin
        mints := mints || walltrack.store_token_facts_batch(jsonb_build_array(item.value));
      exception when others then
        get stacked diagnostics error_state = returned_sqlstate, error_message = message_text,
          error_hint = pg_exception_hint;
        perform walltrack.record_fault('store_token_facts',
          format('token %s', coalesce(
            case when jsonb_typeof(item.value) = 'object' then item.value ->> 'mint' end,
            'element ' || item.ordinality)),
          error_state, error_message, nullif(error_hint, ''), item.value);
      end;
    end loop;
  end;
  return (
    select coalesce(jsonb_object_agg(t.mint, jsonb_build_object(
      'verdict', t.verdict, 'reasons', t.verdict_reasons
    )), '{}')
    from walltrack.tokens as t where t.mint = any(mints)
  );
end;
$$;
comment on function walltrack.store_token_facts(jsonb) is
'Stores fetched token facts per source ([{mint, rugcheck, dexscreener, das, failed_sources}]) '
'and returns the new verdicts; a token whose facts cannot be stored is recorded as a fault.';
grant execute on function walltrack.store_token_facts(jsonb) to service_role;

create function walltrack.load_token_facts(tokens jsonb)
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
    fetched_at = case when t.fetched_at is not null then walltrack.clock() end,
    rugcheck_fetched_at = case when t.rugcheck_fetched_at is not null then walltrack.clock() end,
    market_fetched_at = case when t.market_fetched_at is not null then walltrack.clock() end,
    authorities_checked_at = case when t.authorities_checked_at is not null then walltrack.clock() end
  where t.mint = any(mints);
  perform walltrack.rejudge_tokens(mints);
  return cardinality(mints);
end;
$$;
comment on function walltrack.load_token_facts(jsonb) is
'Stores recorded token facts ([{mint, symbol, ..., failed_sources}], the columns of tokens) '
'as observed, marks each source that had answered as fetched now, re-judges the verdicts; '
'returns how many tokens it loaded.';
grant execute on function walltrack.load_token_facts(jsonb) to service_role;

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

-- Triggers on tokens, in the order Postgres fires them (one timing at a time, by name):
--   insert  tokens_before_insert_identity        one row per mint (WallTrack's upserts pass)
--   update  tokens_before_update_identity        the mint never changes
--           tokens_before_update_set_updated_at  stamp updated_at
--           tokens_after_update_alert_unsafe     unsafe while held raises an alert
--                                                (17_alerts.sql)
--           tokens_after_update_rejudge          a manual list change re-judges the token
--   delete  tokens_before_delete_keep_held       kept while a position holds it: created in
--                                                07_positions.sql, after positions

-- WallTrack's own inserts upsert (on conflict), which this check would refuse before the
-- conflict is seen: they write with the engine-write mark (see 07_positions.sql).
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

create trigger tokens_before_update_set_updated_at
before update on walltrack.tokens
for each row execute function walltrack.trigger_set_updated_at();

create trigger tokens_after_update_rejudge
after update of manual_list on walltrack.tokens
for each row execute function walltrack.trigger_token_rejudge();

-- A config threshold edit re-judges every cached token (a trigger on config, declared here
-- with the rule it runs: config comes first).

create trigger config_after_update_rejudge_tokens
after update of min_liquidity_usd, min_market_cap_usd, max_market_cap_usd, min_pool_age_minutes,
max_rugcheck_score, require_mint_authority_revoked, require_freeze_authority_revoked,
max_top10_holders_pct, token_cache_ttl_minutes, token_market_ttl_minutes,
token_unknown_ttl_minutes on walltrack.config
for each row execute function walltrack.trigger_config_rejudge_tokens();

alter table walltrack.tokens enable row level security;
grant select, insert, update on walltrack.tokens to service_role;

comment on table walltrack.tokens is
'Read-Through Cache: safety and market facts per mint (RugCheck, DexScreener, Helius DAS), '
'fetched on demand and reused until expires_at. The verdict is computed in SQL from the '
'facts and the config thresholds; manual_list (whitelist/blacklist) wins over it.';
comment on column walltrack.tokens.mint is 'The token mint address (base58).';
comment on column walltrack.tokens.symbol is 'Ticker symbol from the token metadata.';
comment on column walltrack.tokens.name is 'Token name from the token metadata.';
comment on column walltrack.tokens.decimals is
'Decimals of the mint: atomic amounts / 10^decimals = UI amounts.';
comment on column walltrack.tokens.supply is 'Total supply in atomic units.';
comment on column walltrack.tokens.mint_authority is
'Who can mint more supply; null = revoked (once authorities_checked_at is set).';
comment on column walltrack.tokens.freeze_authority is
'Who can freeze holders'' accounts; null = revoked (once authorities_checked_at is set).';
comment on column walltrack.tokens.authorities_checked_at is
'When the authorities were read; empty = unknown, so null authorities mean nothing yet.';
comment on column walltrack.tokens.rugcheck_score is 'RugCheck raw risk score.';
comment on column walltrack.tokens.rugcheck_score_normalised is
'RugCheck normalised risk score, 0..100, higher = riskier.';
comment on column walltrack.tokens.risks is
'RugCheck risks: [{name, level, description, score}].';
comment on column walltrack.tokens.top10_holders_pct is
'Share of supply held by the 10 largest holders (%).';
comment on column walltrack.tokens.lp_locked_pct is 'Share of pool liquidity locked (%).';
comment on column walltrack.tokens.rugged is 'RugCheck says the token was rugged: unsafe for good.';
comment on column walltrack.tokens.pair_address is 'Deepest pool (highest USD liquidity).';
comment on column walltrack.tokens.dex_id is 'DEX of the deepest pool.';
comment on column walltrack.tokens.liquidity_usd is 'USD liquidity of the deepest pool.';
comment on column walltrack.tokens.market_cap_usd is 'Market capitalisation in USD.';
comment on column walltrack.tokens.fdv_usd is 'Fully diluted valuation in USD.';
comment on column walltrack.tokens.price_usd is 'Last known price per whole token in USD.';
comment on column walltrack.tokens.price_sol is 'Last known price per whole token in SOL.';
comment on column walltrack.tokens.pair_created_at is
'When the deepest pool was created (pool age filter).';
comment on column walltrack.tokens.verdict is
'safe / risky / unsafe / unknown, computed in SQL from the facts and config thresholds.';
comment on column walltrack.tokens.verdict_reasons is
'Machine-readable reasons behind the verdict (e.g. mint_authority_active, low_liquidity).';
comment on column walltrack.tokens.verdict_at is 'When the verdict was last computed.';
comment on column walltrack.tokens.manual_list is
'Operator override: whitelist or blacklist wins over every computed verdict.';
comment on column walltrack.tokens.manual_note is 'Why the operator listed the token.';
comment on column walltrack.tokens.fetched_at is 'When a lookup of this token last ran.';
comment on column walltrack.tokens.expires_at is
'The earliest time one of the token''s facts goes stale (empty = nothing fetched yet).';
comment on column walltrack.tokens.failed_sources is
'Sources that failed on the last fetch (rugcheck, dexscreener, das): their facts stay unknown.';
comment on column walltrack.tokens.hit_count is 'How many lookups this cache row answered.';
comment on column walltrack.tokens.created_at is 'When the mint was first seen.';
comment on column walltrack.tokens.updated_at is 'Last change of the row.';
comment on column walltrack.tokens.rugcheck_fetched_at is
'When RugCheck last answered for this token; empty = its facts are unknown.';
comment on column walltrack.tokens.market_fetched_at is
'When DexScreener last answered for this token; empty = market facts unknown.';
comment on column walltrack.tokens.lookup_claimed_until is
'A lookup of this token is in flight until then: a burst of signals makes one lookup.';
comment on column walltrack.tokens.price_at is 'When price_sol was last observed.';
comment on column walltrack.tokens.price_stale is
'The last price refresh found no price: positions keep their last price until one comes.';
