-- one_clock
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

-- Issue 19, part 1: one clock. Every rule reads walltrack.clock() (the transaction's time
-- unless walltrack.set_clock set a replay's, the demo's or a test's) instead of now();
-- ordered event times read walltrack.clock_precise(). The scoreboard's materialized view
-- reads it too: it is dropped and made again with the views and the function that stand
-- on it. config.production marks a database that trades for real (set_clock refused).

-- One clock for every rule: whatever reads time (time exits, the breaker's windows and
-- cooldown, freshness, leases and retries, the scoreboard's windows, staleness, table
-- defaults and event times) reads walltrack.clock(), never now() itself. In production it
-- is the transaction's time and nothing moves it; a replay, the demo or a test sets its own
-- transaction's or session's with walltrack.set_clock (01_config.sql), which a database
-- that trades for real refuses. Both clock functions name pg_catalog in full instead of
-- pinning search_path: a pinned path stops the planner from inlining them, and they run
-- once per row in the largest queries (18x slower measured over a million rows).
create function walltrack.clock()
returns timestamptz
language sql
stable
as $$
  select coalesce(
    nullif(pg_catalog.current_setting('walltrack.clock', true), '')::timestamptz,
    pg_catalog.now()
  );
$$;

grant execute on function walltrack.clock() to service_role;

create function walltrack.clock_precise()
returns timestamptz
language sql
stable
as $$
  -- Unset, the wall clock itself: events of one transaction (a breaker trip, then the buys
  -- it stops) stay in the order they happened. Set (a replay), the set time: the replay
  -- orders its own events, and the wall time it takes must not leak into them.
  select coalesce(
    nullif(pg_catalog.current_setting('walltrack.clock', true), '')::timestamptz,
    pg_catalog.clock_timestamp()
  );
$$;

grant execute on function walltrack.clock_precise() to service_role;

alter table walltrack.config add column production boolean not null default false;
comment on column walltrack.config.production is
'This database trades for real: walltrack.set_clock is refused (no replayed or forged time). '
'Once on, it stays on.';

create function walltrack.trigger_config_keep_production()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform walltrack.ensure(new.production or not old.production,
    'config.production cannot be turned off: a production database keeps its one clock',
    'Replay and test on a database of their own.');
  return new;
end;
$$;

create trigger config_before_update_keep_production
before update of production on walltrack.config
for each row execute function walltrack.trigger_config_keep_production();

create function walltrack.set_clock(at timestamptz, for_session boolean default false)
returns timestamptz
language plpgsql
set search_path = ''
as $$
-- Sets the time every rule reads (walltrack.clock), for this transaction (the default) or
-- for this session: a replay, the demo, a test. Refused where WallTrack trades for real
-- (live trading on, or config.production), so it can never forge when an event happened;
-- and within a session it never goes backwards (walltrack.clock_floor, session-wide).
declare
  cfg walltrack.config;
  floor_text text := nullif(current_setting('walltrack.clock_floor', true), '');
begin
  select c.* into strict cfg from walltrack.config as c;
  perform walltrack.ensure(not cfg.live_trading_enabled and not cfg.production,
    'the clock is set only where nothing trades for real: live trading is on, or this '
    || 'database is marked production (config.production)',
    'Replay on a database of its own (make replay), never on the one that trades.');
  perform walltrack.ensure(at is not null and isfinite(at), 'set_clock needs a finite time');
  perform walltrack.ensure(floor_text is null or at >= floor_text::timestamptz,
    format('the clock cannot go backwards within a session: %s is before %s', at, floor_text),
    'Start a new session to replay from an earlier time.');
  perform set_config('walltrack.clock_floor', at::text, false);
  perform set_config('walltrack.clock', at::text, not for_session);
  return at;
end;
$$;

grant execute on function walltrack.set_clock(timestamptz, boolean) to service_role;


alter table walltrack.tokens drop constraint tokens_times_not_ahead;
alter table walltrack.tokens add constraint tokens_times_not_ahead check (
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
);

alter table walltrack.faults alter column first_seen_at set default walltrack.clock();
alter table walltrack.faults alter column last_seen_at set default walltrack.clock();
alter table walltrack.config alter column updated_at set default walltrack.clock();
alter table walltrack.exit_strategies alter column created_at set default walltrack.clock();
alter table walltrack.exit_strategies alter column updated_at set default walltrack.clock();
alter table walltrack.wallets alter column discovered_at set default walltrack.clock();
alter table walltrack.wallets alter column created_at set default walltrack.clock();
alter table walltrack.wallets alter column updated_at set default walltrack.clock();
alter table walltrack.tokens alter column created_at set default walltrack.clock();
alter table walltrack.tokens alter column updated_at set default walltrack.clock();
alter table walltrack.signals alter column received_at set default walltrack.clock();
alter table walltrack.circuit_breaker_events
alter column created_at set default walltrack.clock_precise();
alter table walltrack.positions alter column opened_at set default walltrack.clock();
alter table walltrack.positions alter column updated_at set default walltrack.clock();
alter table walltrack.orders alter column next_attempt_at set default walltrack.clock();
alter table walltrack.orders alter column created_at set default walltrack.clock();
alter table walltrack.orders alter column updated_at set default walltrack.clock();
alter table walltrack.chain_findings alter column first_seen_at set default walltrack.clock();
alter table walltrack.chain_findings alter column last_seen_at set default walltrack.clock();
alter table walltrack.failed_attempt_fees alter column recorded_at set default walltrack.clock();
alter table walltrack.discovery_winners alter column found_at set default walltrack.clock();
alter table walltrack.discovery_candidates alter column found_at set default walltrack.clock();
alter table walltrack.discovery_candidates alter column updated_at set default walltrack.clock();
alter table walltrack.candidate_swaps alter column recorded_at set default walltrack.clock();
alter table walltrack.alerts alter column created_at set default walltrack.clock();
alter table walltrack.alert_deliveries alter column created_at set default walltrack.clock();

create or replace function walltrack.trigger_set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
-- Keeps updated_at true on every edit, whoever makes it (Studio or a function).
begin
  new.updated_at := walltrack.clock();
  return new;
end;
$$;

create or replace function walltrack.record_fault(
  source text, subject text, sqlstate text, message text, hint text default null,
  input jsonb default null
)
returns void
language plpgsql
set search_path = ''
as $$
-- A batch that skips a bad row says so here, once per row, however often it meets it.
begin
  insert into walltrack.faults as f (source, subject, sqlstate, message, hint, input)
  values (source, subject, sqlstate, message, hint, input)
  on conflict on constraint faults_once_per_subject do update
  set
    sqlstate = excluded.sqlstate,
    message = excluded.message,
    hint = excluded.hint,
    input = excluded.input,
    occurrences = f.occurrences + 1,
    last_seen_at = walltrack.clock();
end;
$$;

create or replace function walltrack.token_fact_ages(
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

create or replace function walltrack.token_verdict(token walltrack.tokens, cfg walltrack.config)
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

create or replace function walltrack.token_sources_due(token walltrack.tokens, cfg walltrack.config)
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

create or replace function walltrack.token_expires_at(token walltrack.tokens, cfg walltrack.config)
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

create or replace function walltrack.rejudge_tokens(mints text[])
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

create or replace function walltrack.claim_token_lookups(mints text[], claim_seconds numeric)
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

create or replace function walltrack.tokens_awaiting_lookup(mints text[])
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
    fetched_at = case when t.fetched_at is not null then walltrack.clock() end,
    rugcheck_fetched_at = case when t.rugcheck_fetched_at is not null then walltrack.clock() end,
    market_fetched_at = case when t.market_fetched_at is not null then walltrack.clock() end,
    authorities_checked_at = case when t.authorities_checked_at is not null then walltrack.clock() end
  where t.mint = any(mints);
  perform walltrack.rejudge_tokens(mints);
  return cardinality(mints);
end;
$$;

create or replace function walltrack.trigger_stamp_event_time()
returns trigger
language plpgsql
set search_path = ''
as $$
-- An event's time is the database's clock, never the client's: an event dated in the
-- future would stay the latest, and so the breaker's state, whatever happened after it.
begin
  new.created_at := walltrack.clock_precise();
  return new;
end;
$$;

create or replace function walltrack.trigger_position_money()
returns trigger
language plpgsql
set search_path = ''
as $$
-- Derives entry price, peak and unrealized PnL from the accumulators (quantities, cost,
-- proceeds, realized: written only by the fill trigger, as the guard_money triggers
-- enforce) and the last price; stamps updated_at (one trigger function per row on a tick).
declare
  held_tokens numeric;
  open_cost numeric;
begin
  held_tokens := (new.qty_bought - new.qty_sold) / 10::numeric ^ new.token_decimals;
  open_cost := walltrack.position_open_cost_sol(new);
  -- Only a buy moves the average entry: recomputing it after a sell would only add the
  -- lamport rounding of the cost sold.
  if held_tokens > 0 and (tg_op = 'INSERT' or new.qty_bought <> old.qty_bought) then
    new.avg_entry_price_sol := round(open_cost / held_tokens, 18);
  end if;
  new.peak_price_sol := greatest(new.peak_price_sol, new.last_price_sol);
  new.updated_at := walltrack.clock();
  new.unrealized_pnl_sol := case
    when new.status = 'closed' or held_tokens = 0 then 0
    when new.last_price_sol is not null then round(held_tokens * new.last_price_sol - open_cost, 9)
  end;
  return new;
end;
$$;

create or replace function walltrack.order_intent(
  position_id bigint, signal_id bigint, side walltrack.trade_side,
  reason walltrack.order_reason, mode walltrack.trade_mode, token_mint text, amount_in numeric,
  idempotency_key text, cfg walltrack.config, token_decimals smallint,
  reference_price_sol numeric, take_profit_level integer default null
)
returns walltrack.orders
language plpgsql
set search_path = ''
as $$
-- The order to record for an intent. A simulation order is recorded already filled: at the
-- reference price (the leader's, or the tick's for exits) made worse by the configured
-- slippage, paying the configured fee. A live order waits, pending, for execute-orders.
declare
  sol constant text := 'So11111111111111111111111111111111111111112';
  price numeric := case
    when side = 'buy' then reference_price_sol * (1 + cfg.sim_slippage_bps / 10000.0)
    else reference_price_sol * (1 - cfg.sim_slippage_bps / 10000.0)
  end;
  placed walltrack.orders;
begin
  placed.position_id := position_id;
  placed.signal_id := signal_id;
  placed.side := side;
  placed.reason := reason;
  placed.take_profit_level := take_profit_level;
  placed.mode := mode;
  placed.input_mint := case when side = 'buy' then sol else token_mint end;
  placed.output_mint := case when side = 'buy' then token_mint else sol end;
  placed.amount_in := amount_in;
  placed.idempotency_key := idempotency_key;
  placed.slippage_bps := cfg.default_slippage_bps;
  placed.max_attempts := cfg.order_max_attempts;
  placed.status := 'pending';
  placed.attempts := 0;
  if mode = 'simulation' then
    perform walltrack.ensure(reference_price_sol > 0,
      format('a simulation %s needs a positive reference price to fill, got %s', reason,
        coalesce(reference_price_sol::text, 'none')));
    placed.status := 'confirmed';
    placed.attempts := 1;
    placed.quoted_price_sol := reference_price_sol;
    placed.fill_price_sol := round(price, 18);
    placed.realized_slippage_bps := cfg.sim_slippage_bps;
    placed.filled_in := amount_in;
    placed.filled_out := case
      when side = 'buy' then floor(amount_in / 1e9 / price * 10::numeric ^ token_decimals)
      else floor(amount_in / 10::numeric ^ token_decimals * price * 1e9)
    end;
    placed.network_fee_lamports := cfg.sim_fee_lamports;
    -- The wall clock: fills of one transaction keep their order (closes, breaker).
    placed.submitted_at := walltrack.clock_precise();
    placed.confirmed_at := walltrack.clock_precise();
  end if;
  return placed;
end;
$$;

create or replace function walltrack.claim_orders(
  worker text, order_ids bigint[] default null, max_orders integer default 10,
  lease_seconds integer default 60
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- Hands a worker the live orders it may execute now, each under a lease no other worker
-- can take (skip locked: racing workers never get the same order). Nothing is handed out
-- while live trading is off; buys wait while the breaker is active; exits always go.
declare
  cfg walltrack.config;
  claimed jsonb;
begin
  perform walltrack.ensure(length(btrim(coalesce(worker, ''))) > 0,
    'claim_orders needs the worker''s name (it owns the lease)');
  select c.* into strict cfg from walltrack.config as c;
  with claimable as (
    select o.id from walltrack.orders as o
    where
      o.mode = 'live' and o.status = 'pending' and o.next_attempt_at <= walltrack.clock()
      and (o.lease_until is null or o.lease_until < walltrack.clock())
      and o.attempts < o.max_attempts
      and (order_ids is null or o.id = any(order_ids))
      and cfg.live_trading_enabled
      and (o.side = 'sell' or not walltrack.breaker_is_active())
    order by o.side desc, o.id  -- sells first: exits never wait behind entries
    limit max_orders
    for update skip locked
  ),
  leased as (
    update walltrack.orders as o
    set
      lease_owner = worker,
      lease_until = walltrack.clock() + make_interval(secs => lease_seconds),
      attempts = o.attempts + 1,
      attempt_log = o.attempt_log || jsonb_build_object(
        'attempt', o.attempts + 1, 'worker', worker, 'claimed_at', walltrack.clock()
      ),
      updated_at = walltrack.clock()
    from claimable as c
    where o.id = c.id
    returning o.*
  )
  select coalesce(jsonb_agg(jsonb_build_object(
    'id', l.id, 'side', l.side, 'reason', l.reason, 'input_mint', l.input_mint,
    'output_mint', l.output_mint, 'amount_in', l.amount_in::text,
    'slippage_bps', least(l.slippage_bps, cfg.max_slippage_bps),
    'jito_tip_lamports', cfg.jito_tip_lamports,
    'attempt', l.attempts, 'lease_until', l.lease_until
  ) order by l.id), '[]') into claimed
  from leased as l;
  return claimed;
end;
$$;

create or replace function walltrack.trigger_chain_finding_resolve()
returns trigger
language plpgsql
set search_path = ''
as $$
-- A resolution is stamped with the database's clock, and it is final: the block it lifted
-- must not come back by an edit (a new mismatch opens a new finding).
begin
  perform walltrack.ensure(old.resolved_at is null,
    format('chain finding %s was resolved by %s at %s: a resolution is final', old.id,
      old.resolved_by, old.resolved_at),
    'A new mismatch of this token opens a new finding at the next reconciliation.');
  new.resolved_at := case
    when new.resolved_by is not null or new.resolution_note is not null then walltrack.clock()
  end;
  return new;
end;
$$;

create or replace function walltrack.chain_read_started()
returns timestamptz
language plpgsql
stable
set search_path = ''
as $$
-- Taken BEFORE the chain is read, on the clock that stamps fills: an order confirmed from
-- then on may have landed after the read, so reconcile_wallet does not compare its token.
begin
  return walltrack.clock();
end;
$$;

create or replace function walltrack.reconcile_wallet(
  owner text, token_accounts jsonb, sol_lamports bigint, read_at timestamptz
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- Compares the open live positions, per token, with the chain's holdings read from read_at
-- on (walltrack.chain_read_started, the database's clock): match, phantom, deficit or
-- excess, exactly, in atomic units. A token with a live order in flight is not compared: a
-- submitted swap may have landed (the chain ahead of us) or not yet (behind), and one
-- confirmed since read_at may have landed after the read (the database ahead of the read).
-- Each mismatch updates the token's open finding or opens one, unless it is exactly the
-- mismatch an operator already resolved; a token whose open finding now matches is noted
-- cleared. Positions are never touched.
declare
  engine text;
  report jsonb;
begin
  perform walltrack.ensure(coalesce(sol_lamports >= 0, false),
    format('reconcile_wallet needs the key''s SOL balance in lamports, got %s',
      coalesce(sol_lamports::text, 'none')));
  perform walltrack.ensure(read_at is not null,
    'reconcile_wallet needs the time the chain read started (walltrack.chain_read_started)');
  -- One run at a time: two runs must not both open the same token's finding.
  perform pg_advisory_xact_lock(hashtext('walltrack.reconcile_wallet'));
  engine := walltrack.begin_engine_write();
  with chain as (
    select h.token_mint, h.amount, h.token_decimals
    from walltrack.chain_holdings(token_accounts) as h
  ),
  book as (
    select p.token_mint, sum(p.qty_bought - p.qty_sold) as amount,
      max(p.token_decimals) as token_decimals
    from walltrack.positions as p
    where p.mode = 'live' and p.status in ('opening', 'open', 'closing')
    group by p.token_mint
  ),
  in_flight as (
    select distinct p.token_mint
    from walltrack.orders as o
    inner join walltrack.positions as p on o.position_id = p.id
    where o.mode = 'live' and (
      o.status = 'submitted'
      or (o.status = 'confirmed' and o.confirmed_at >= read_at)
    )
  ),
  compared as (
    select
      m.token_mint,
      coalesce(b.amount, 0) as db_amount,
      coalesce(c.amount, 0) as chain_amount,
      coalesce(c.token_decimals, b.token_decimals) as token_decimals,
      m.token_mint in (select f.token_mint from in_flight as f) as in_flight
    from (
      select c.token_mint from chain as c
      union
      select b.token_mint from book as b
      union
      select f.token_mint from walltrack.chain_findings as f where f.resolved_at is null
    ) as m
    left join chain as c on m.token_mint = c.token_mint
    left join book as b on m.token_mint = b.token_mint
  ),
  mismatched as (
    select
      c.*,
      case
        when c.chain_amount = 0 then 'phantom'
        when c.chain_amount < c.db_amount then 'deficit'
        else 'excess'
      end::walltrack.chain_finding_kind as kind
    from compared as c
    where not c.in_flight and c.db_amount <> c.chain_amount
      -- The operator resolved exactly this mismatch already: not raised again.
      and not exists (
        select from walltrack.chain_findings as r
        where r.token_mint = c.token_mint and r.resolved_at is not null
          and (r.db_amount, r.chain_amount) = (c.db_amount, c.chain_amount)
          and r.id = (
            select max(l.id) from walltrack.chain_findings as l where l.token_mint = c.token_mint
          )
      )
  ),
  recorded as (
    insert into walltrack.chain_findings as f (
      token_mint, owner, kind, db_amount, chain_amount, token_decimals, sol_balance_lamports
    )
    select m.token_mint, reconcile_wallet.owner, m.kind, m.db_amount, m.chain_amount,
      m.token_decimals, sol_lamports
    from mismatched as m
    on conflict (token_mint) where resolved_at is null do update
    set
      owner = excluded.owner,
      kind = excluded.kind,
      db_amount = excluded.db_amount,
      chain_amount = excluded.chain_amount,
      token_decimals = excluded.token_decimals,
      sol_balance_lamports = excluded.sol_balance_lamports,
      last_seen_at = walltrack.clock(),
      times_seen = f.times_seen + 1,
      cleared_at = null
    returning f.id, f.token_mint, f.kind, f.db_amount, f.chain_amount, f.times_seen
  ),
  cleared as (
    update walltrack.chain_findings as f
    set cleared_at = walltrack.clock()
    from compared as c
    where f.token_mint = c.token_mint and f.resolved_at is null and f.cleared_at is null
      and not c.in_flight and c.db_amount = c.chain_amount
    returning f.id, f.token_mint
  )
  select jsonb_build_object(
    'owner', owner,
    'sol_balance_lamports', sol_lamports,
    'compared', (select count(*) from compared as c where not c.in_flight),
    'matched', (
      select count(*) from compared as c where not c.in_flight and c.db_amount = c.chain_amount
    ),
    'in_flight', to_jsonb(array(
      select c.token_mint from compared as c where c.in_flight order by c.token_mint
    )),
    'findings', (
      select coalesce(jsonb_agg(jsonb_build_object(
        'finding_id', r.id, 'token_mint', r.token_mint, 'kind', r.kind,
        'db_amount', r.db_amount::text, 'chain_amount', r.chain_amount::text,
        'times_seen', r.times_seen
      ) order by r.token_mint), '[]')
      from recorded as r
    ),
    'cleared', to_jsonb(array(select c.id from cleared as c order by c.id))
  ) into report;
  perform walltrack.end_engine_write(engine);
  return report;
end;
$$;

create or replace function walltrack.breaker_metrics()
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
-- The realized equity curve since the last reset, read from its last point (see
-- trigger_position_stamp_equity), the closes of the last 24 h and the last N closes.
declare
  cfg walltrack.config;
  -- -infinity without a reset: a plain range the closed_at index can serve.
  since timestamptz := coalesce(walltrack.last_breaker_reset(), '-infinity');
  last_close walltrack.positions;
  equity numeric;
  peak numeric;
begin
  select c.* into strict cfg from walltrack.config as c;
  last_close := walltrack.curve_end(since);
  equity := coalesce(last_close.equity_after_sol, cfg.breaker_capital_sol);
  peak := coalesce(last_close.equity_peak_after_sol, cfg.breaker_capital_sol);
  return jsonb_build_object(
    'equity_sol', equity,
    'peak_equity_sol', peak,
    'drawdown_pct', round(100 * (peak - equity) / peak, 4),
    'consecutive_losses', coalesce(last_close.losing_streak_after, 0),
    -- Net realized over 24 h = the curve's end minus its point just before the window
    -- (or its start): two index lookups, however many closes the day had.
    'realized_loss_24h_sol', greatest(0, coalesce((
      select p.equity_after_sol from walltrack.positions as p
      where
        p.status = 'closed' and p.equity_after_sol is not null
        and p.closed_at > since
        and p.closed_at <= walltrack.clock() - interval '24 hours'
      order by p.closed_at desc, p.id desc
      limit 1
    ), cfg.breaker_capital_sol) - equity),
    'win_rate_pct', (
      select case
        when count(*) = cfg.breaker_win_rate_window
          then round(100.0 * count(*) filter (where r.pnl > 0) / count(*), 2)
      end
      from (
        select p.realized_pnl_sol as pnl from walltrack.positions as p
        where p.status = 'closed' and p.closed_at > since
        order by p.closed_at desc, p.id desc
        limit cfg.breaker_win_rate_window
      ) as r
    )
  );
end;
$$;

create or replace function walltrack.check_circuit_breaker()
returns jsonb
language plpgsql
set search_path = ''
as $$
-- Trips the breaker when a threshold is crossed and it is not active; resets it when the
-- cooldown has passed. Runs after every close and on schedule. Returns the state.
declare
  cfg walltrack.config;
  latest walltrack.circuit_breaker_events;
  metrics jsonb;
  crossed record;
  engine text := walltrack.begin_engine_write();
begin
  -- One check at a time: two closes at once must not record two activations.
  perform pg_advisory_xact_lock(hashtext('walltrack.check_circuit_breaker'));
  select c.* into strict cfg from walltrack.config as c;
  latest := walltrack.latest_breaker_event();

  if latest.event_type = 'activated' then
    if walltrack.clock() - latest.created_at >= make_interval(mins => cfg.breaker_cooldown_minutes) then
      insert into walltrack.circuit_breaker_events (event_type, trigger, metrics, note)
      values ('deactivated', 'cooldown', walltrack.breaker_metrics(),
        format('automatic reset after the %s minute cooldown', cfg.breaker_cooldown_minutes));
    end if;
    perform walltrack.end_engine_write(engine);
    return walltrack.breaker_state();
  end if;

  metrics := walltrack.breaker_metrics();
  select t.trigger, t.threshold, t.observed into crossed
  from (values
    (1, 'daily_loss'::walltrack.breaker_trigger, cfg.breaker_max_daily_loss_sol,
      (metrics ->> 'realized_loss_24h_sol')::numeric,
      (metrics ->> 'realized_loss_24h_sol')::numeric >= cfg.breaker_max_daily_loss_sol),
    (2, 'drawdown', cfg.breaker_max_drawdown_pct, (metrics ->> 'drawdown_pct')::numeric,
      (metrics ->> 'drawdown_pct')::numeric >= cfg.breaker_max_drawdown_pct),
    (3, 'consecutive_losses', cfg.breaker_max_consecutive_losses::numeric,
      (metrics ->> 'consecutive_losses')::numeric,
      (metrics ->> 'consecutive_losses')::numeric >= cfg.breaker_max_consecutive_losses),
    (4, 'win_rate', cfg.breaker_min_win_rate_pct, (metrics ->> 'win_rate_pct')::numeric,
      coalesce((metrics ->> 'win_rate_pct')::numeric < cfg.breaker_min_win_rate_pct, false))
  ) as t (rank, trigger, threshold, observed, is_crossed)
  where t.is_crossed
  order by t.rank
  limit 1;
  if crossed.trigger is not null then
    insert into walltrack.circuit_breaker_events (
      event_type, trigger, threshold, observed, metrics
    ) values ('activated', crossed.trigger, crossed.threshold, crossed.observed, metrics);
  end if;
  perform walltrack.end_engine_write(engine);
  return walltrack.breaker_state();
end;
$$;

create or replace function walltrack.buy_is_stale(signal walltrack.signals, cfg walltrack.config)
returns boolean
language sql
stable
set search_path = ''
as $$
  -- Copying later than this buys at a price the leader's entry no longer says anything
  -- about. Sells are never stale: an exit is always mirrored.
  select coalesce(
    signal.side = 'buy'
    and walltrack.clock() - coalesce(signal.block_time, signal.received_at)
    > make_interval(secs => cfg.max_copy_delay_seconds),
    false
  );
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
      -- A close may have tripped the breaker: the next buys of the batch must see it.
      book.breaker_active := walltrack.breaker_is_active();
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

create or replace function walltrack.exit_call_for(pos walltrack.positions, dust_sol numeric)
returns walltrack.exit_call
language plpgsql
stable
set search_path = ''
as $$
-- The one exit the position's effective rules call for at its last price, or null. Stop-type
-- exits (stop loss, trailing stop) come first; otherwise the larger of a take-profit level
-- and the time exit. The ladder and the time exit never sell the moonbag; the stop loss does
-- unless moonbag_keeps_stop_loss is false; the trailing stop sells everything.
declare
  rules jsonb := pos.exit_strategy_snapshot || pos.exit_strategy_override;
  held numeric := pos.qty_bought - pos.qty_sold;
  price numeric := pos.last_price_sol;
  gain_pct numeric := (pos.last_price_sol / pos.avg_entry_price_sol - 1) * 100;
  moonbag numeric := floor(pos.qty_bought * coalesce((rules ->> 'moonbag_pct')::numeric, 0) / 100);
  stop walltrack.exit_call;
  other walltrack.exit_call;
  level record;
begin
  if held <= 0 or price is null or pos.avg_entry_price_sol is null then
    return null;
  end if;

  if gain_pct <= (rules ->> 'stop_loss_pct')::numeric then
    stop := row('stop_loss', null, case
      when coalesce((rules ->> 'moonbag_keeps_stop_loss')::boolean, true) then held
      else held - moonbag
    end);
  end if;
  if pos.peak_price_sol >= pos.avg_entry_price_sol
      * (1 + (rules ->> 'trailing_activation_pct')::numeric / 100)
    and price <= pos.peak_price_sol * (1 - (rules ->> 'trailing_distance_pct')::numeric / 100)
    and (stop is null or held > stop.quantity) then
    stop := row('trailing_stop', null, held);
  end if;
  if stop.quantity > 0 then
    return walltrack.without_dust(stop, pos, dust_sol);
  end if;

  -- Levels ascend (check_take_profit_ladder): below the first none can fire, and the
  -- ladder's query is skipped, as it is for most positions on most ticks.
  if gain_pct >= (rules -> 'take_profit_levels' -> 0 ->> 'at_pct')::numeric then
    for level in
      select l.ordinality::integer as number, l.value
      from jsonb_array_elements(rules -> 'take_profit_levels') with ordinality as l
      where
        gain_pct >= (l.value ->> 'at_pct')::numeric
        and l.ordinality::integer <> all(pos.take_profits_fired)
      order by l.ordinality
    loop
      if other is null or floor(pos.qty_bought * (level.value ->> 'sell_pct')::numeric / 100)
        > other.quantity then
        other := row(
          'take_profit', level.number,
          floor(pos.qty_bought * (level.value ->> 'sell_pct')::numeric / 100)
        );
      end if;
    end loop;
  end if;
  if walltrack.clock() - pos.opened_at >= make_interval(mins => (rules ->> 'time_exit_minutes')::integer)
    and coalesce(gain_pct < (rules ->> 'time_exit_max_pnl_pct')::numeric, true)
    and (other is null or held - moonbag > other.quantity) then
    other := row('time_exit', null, held - moonbag);
  end if;
  if other is null then
    return null;
  end if;
  other.quantity := least(other.quantity, held - moonbag);
  if other.quantity > 0 then
    return walltrack.without_dust(other, pos, dust_sol);
  end if;
  -- A ladder level with nothing left to sell outside the moonbag still counts as fired.
  return other;
end;
$$;

create or replace function walltrack.price_tick_from(item jsonb)
returns walltrack.price_tick
language plpgsql
stable
set search_path = ''
as $$
-- One element of a price batch, checked: a price that is not a positive number, or a time
-- more than five minutes ahead (which would hide every later tick of the token), is refused.
-- Each rule is tested plainly first: its message is built only for a tick that fails.
declare
  tick walltrack.price_tick;
begin
  if not (jsonb_typeof(item) = 'object' and coalesce(jsonb_typeof(item -> 'mint') = 'string', false))
  then
    perform walltrack.ensure(false,
      format('a price tick is an object with a mint, got %s', left(item::text, 200)));
  end if;
  tick := row(item ->> 'mint', (item ->> 'price_sol')::numeric,
    coalesce((item ->> 'observed_at')::timestamptz, walltrack.clock()));
  if not coalesce(tick.price_sol > 0 and tick.price_sol < 'Infinity'::numeric, false) then
    perform walltrack.ensure(false,
      format('the price of %s must be a positive number, got %s', tick.mint, item -> 'price_sol'));
  end if;
  if not (tick.observed_at <= walltrack.clock() + interval '5 minutes' and tick.observed_at > '-infinity')
  then
    perform walltrack.ensure(false,
      format('the price of %s is dated %s, ahead of the database clock', tick.mint,
        tick.observed_at));
  end if;
  return tick;
end;
$$;

create or replace function walltrack.apply_prices(prices jsonb, missing text[] default '{}')
returns jsonb
language plpgsql
set search_path = ''
as $$
-- One batch of the price-refresh function ([{mint, price_sol, observed_at?}]): stores the
-- prices, re-values the live positions in those tokens, then places the exit each open
-- position calls for, unless one is in flight. A bad tick, a position that cannot be valued
-- or judged, or an exit that cannot be placed is recorded in walltrack.faults and skipped:
-- every other position still exits.
declare
  cfg walltrack.config;
  ticks walltrack.price_tick[] := walltrack.price_ticks(prices);
  mints text[] := array(select t.mint from unnest(ticks) as t);
  due walltrack.exit_due;
  dues walltrack.exit_due[];
  placed bigint;
  orders jsonb := '[]'::jsonb;
  live bigint[] := '{}'::bigint[];
  revalued integer;
  error_state text;
  error_message text;
  error_hint text;
  engine text := walltrack.begin_engine_write();
begin
  select c.* into strict cfg from walltrack.config as c;
  update walltrack.tokens as t
  set price_sol = k.price_sol, price_at = walltrack.clock(), price_stale = false
  from unnest(ticks) as k
  where t.mint = k.mint;
  update walltrack.tokens as t set price_stale = true where t.mint = any(missing);
  revalued := walltrack.mark_to_market_isolated(ticks);

  begin
    dues := walltrack.exits_due(mints, cfg.position_dust_sol, false);
  exception when others then
    dues := walltrack.exits_due(mints, cfg.position_dust_sol, true);
  end;
  foreach due in array dues loop
    begin
      if (due.call).reason = 'take_profit' then
        update walltrack.positions as p
        set take_profits_fired = p.take_profits_fired || (due.call).take_profit_level
        where p.id = (due.pos).id;
      end if;
      continue when coalesce((due.call).quantity, 0) <= 0;
      placed := walltrack.place_order(
        position_id => (due.pos).id, signal_id => null, side => 'sell',
        reason => (due.call).reason, mode => (due.pos).mode, token_mint => (due.pos).token_mint,
        amount_in => (due.call).quantity,
        idempotency_key => format('exit:%s:%s:%s', (due.pos).id, (due.call).reason,
          coalesce((due.call).take_profit_level::text, (due.pos).qty_sold::text)),
        cfg => cfg, token_decimals => (due.pos).token_decimals,
        reference_price_sol => (due.pos).last_price_sol,
        take_profit_level => (due.call).take_profit_level
      );
      orders := orders || jsonb_build_object(
        'position_id', (due.pos).id, 'order_id', placed, 'reason', (due.call).reason,
        'take_profit_level', (due.call).take_profit_level, 'quantity', (due.call).quantity
      );
      if (due.pos).mode = 'live' then
        live := live || placed;
      end if;
    exception when others then
      get stacked diagnostics error_state = returned_sqlstate, error_message = message_text,
        error_hint = pg_exception_hint;
      perform walltrack.record_fault('apply_prices', format('position %s', (due.pos).id),
        error_state, format('its %s exit could not be placed: %s', (due.call).reason,
          error_message), nullif(error_hint, ''), to_jsonb(due.call));
    end;
  end loop;
  perform walltrack.end_engine_write(engine);
  return jsonb_build_object('revalued', revalued, 'orders', orders, 'live_orders', to_jsonb(live));
end;
$$;

create or replace function walltrack.release_expired_leases()
returns integer
language plpgsql
set search_path = ''
as $$
-- A worker that died leaves its claim behind. A pending order whose lease expired is free
-- again; a submitted one keeps it: only confirm-orders may reconcile it, after checking
-- its signature, so nothing is ever sent twice.
declare
  released integer;
begin
  update walltrack.orders as o
  set lease_owner = null, lease_until = null
  where o.status = 'pending' and o.lease_until < walltrack.clock();
  get diagnostics released = row_count;
  return released;
end;
$$;

create or replace function walltrack.leased_order(order_id bigint, worker text)
returns walltrack.orders
language plpgsql
set search_path = ''
as $$
-- The order, locked, if this worker still holds its lease: a worker whose lease expired
-- must not act on it any more (another may have taken it over).
declare
  leased walltrack.orders;
begin
  select o.* into leased from walltrack.orders as o where o.id = order_id for update;
  perform walltrack.ensure(leased.id is not null, format('order %s does not exist', order_id));
  perform walltrack.ensure(
    leased.status = 'pending' and leased.lease_owner = worker and leased.lease_until >= walltrack.clock(),
    format('order %s is not leased to %s any more (status %s, lease %s until %s)', order_id,
      worker, leased.status, coalesce(leased.lease_owner, 'none'),
      coalesce(leased.lease_until::text, '-')),
    'Do not send it: claim orders again.');
  return leased;
end;
$$;

create or replace function walltrack.release_order(order_id bigint, worker text)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- A claimed order given back untouched, before anything was signed: its attempt is undone,
-- so trouble on our side (Jupiter refusing our API key) never uses up an order's attempts.
declare
  leased walltrack.orders := walltrack.leased_order(order_id, worker);
begin
  update walltrack.orders as o
  set
    attempts = o.attempts - 1,
    attempt_log = o.attempt_log - (-1),
    lease_owner = null,
    lease_until = null,
    updated_at = walltrack.clock()
  where o.id = order_id;
  return jsonb_build_object(
    'order_id', order_id, 'status', leased.status, 'attempts', leased.attempts - 1
  );
end;
$$;

create or replace function walltrack.record_signed(
  order_id bigint, worker text, tx_signature text, last_valid_block_height bigint,
  quoted_out numeric, min_out numeric, priority_fee_lamports bigint, tip_lamports bigint
)
returns void
language plpgsql
set search_path = ''
as $$
-- Called after signing and BEFORE sending: from here on the order is reconciled through its
-- signature, so a crash after sending can never lead to sending it again.
declare
  leased walltrack.orders := walltrack.leased_order(order_id, worker);
  sol constant text := 'So11111111111111111111111111111111111111112';
begin
  -- A retry signed over the same blockhash and quote is the same transaction: the chain
  -- would take it as the earlier attempt, so it is never recorded as a new one.
  perform walltrack.ensure(
    not leased.attempt_log @> jsonb_build_array(jsonb_build_object('signature', record_signed.tx_signature)),
    format('order %s: %s is the signature of an earlier attempt', order_id, record_signed.tx_signature),
    'Wait for a new blockhash before trying again.');
  perform walltrack.ensure(record_signed.last_valid_block_height > 0,
    format('order %s: a signed transaction needs its last valid block height', order_id));
  perform walltrack.ensure(quoted_out > 0 and min_out > 0 and min_out <= quoted_out,
    format('order %s: a quote needs 0 < min_out (%s) <= quoted_out (%s)', order_id, min_out,
      quoted_out));
  update walltrack.orders as o
  set
    status = 'submitted',
    tx_signature = record_signed.tx_signature,
    last_valid_block_height = record_signed.last_valid_block_height,
    quoted_out = record_signed.quoted_out,
    min_out = record_signed.min_out,
    -- SOL per whole token, as every price here: from the quote's two amounts.
    quoted_price_sol = case
      when leased.input_mint = sol then round(leased.amount_in / 1e9
        / (record_signed.quoted_out / 10::numeric ^ t.decimals), 18)
      else round(record_signed.quoted_out / 1e9
        / (leased.amount_in / 10::numeric ^ t.decimals), 18)
    end,
    priority_fee_lamports = record_signed.priority_fee_lamports,
    tip_lamports = record_signed.tip_lamports,
    submitted_at = walltrack.clock(),
    attempt_log = walltrack.with_attempt_facts(o.attempt_log, jsonb_build_object(
      'signature', record_signed.tx_signature, 'signed_at', walltrack.clock(),
      'priority_fee_lamports', record_signed.priority_fee_lamports,
      'tip_lamports', record_signed.tip_lamports
    )),
    updated_at = walltrack.clock()
  from walltrack.tokens as t
  where o.id = order_id
    and t.mint = case when leased.input_mint = sol then leased.output_mint else leased.input_mint end;
end;
$$;

create or replace function walltrack.record_fill(
  order_id bigint, tx_signature text, filled_in numeric, filled_out numeric,
  fee_lamports bigint
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- The chain's view of a landed swap: what went in and out of the wallet and the fee paid.
-- The fill price and the slippage against the quote are derived here; the fill trigger
-- then moves the position. Recording the same fill twice changes nothing.
declare
  submitted walltrack.orders;
  decimals smallint;
  sol constant text := 'So11111111111111111111111111111111111111112';
  priority bigint;
  engine text;
begin
  select o.* into submitted from walltrack.orders as o where o.id = order_id for update;
  perform walltrack.ensure(submitted.id is not null, format('order %s does not exist', order_id));
  if submitted.status = 'confirmed' and submitted.tx_signature = record_fill.tx_signature then
    return jsonb_build_object('order_id', order_id, 'status', 'confirmed', 'already', true);
  end if;
  perform walltrack.ensure(
    submitted.status = 'submitted' and submitted.tx_signature = record_fill.tx_signature,
    format('order %s is %s with signature %s: a fill of %s cannot be recorded', order_id,
      submitted.status, coalesce(submitted.tx_signature, 'none'), record_fill.tx_signature));
  perform walltrack.ensure(filled_in > 0 and filled_out > 0 and fee_lamports >= 0,
    format('order %s: a fill needs filled_in > 0, filled_out > 0 and a fee >= 0 (got %s, %s, %s)',
      order_id, filled_in, filled_out, fee_lamports));
  select t.decimals into decimals from walltrack.tokens as t
  where t.mint = case when submitted.input_mint = sol then submitted.output_mint
    else submitted.input_mint end;
  -- The fee the chain reports includes the priority fee the swap was built with.
  priority := least(coalesce(submitted.priority_fee_lamports, 0), fee_lamports);
  engine := walltrack.begin_engine_write();
  update walltrack.orders as o
  set
    status = 'confirmed',
    filled_in = record_fill.filled_in,
    filled_out = record_fill.filled_out,
    fill_price_sol = case
      when submitted.input_mint = sol
        then round(record_fill.filled_in / 1e9 / (record_fill.filled_out / 10::numeric ^ decimals), 18)
      else round(record_fill.filled_out / 1e9 / (record_fill.filled_in / 10::numeric ^ decimals), 18)
    end,
    realized_slippage_bps = round(
      (submitted.quoted_out - record_fill.filled_out) / submitted.quoted_out * 10000, 2
    ),
    network_fee_lamports = fee_lamports - priority,
    priority_fee_lamports = priority,
    confirmed_at = walltrack.clock(),
    lease_owner = null,
    lease_until = null,
    attempt_log = walltrack.with_attempt_facts(o.attempt_log, jsonb_build_object(
      'outcome', 'confirmed', 'at', walltrack.clock(), 'fee_lamports', fee_lamports
    )),
    updated_at = walltrack.clock()
  where o.id = order_id;
  perform walltrack.end_engine_write(engine);
  return jsonb_build_object('order_id', order_id, 'status', 'confirmed', 'already', false);
end;
$$;

create or replace function walltrack.write_off(failed walltrack.orders)
returns void
language plpgsql
set search_path = ''
as $$
-- An exit that could not fill after its attempts: what the position still holds is written
-- off at zero proceeds, through a bookkeeping order the fill trigger applies like any other,
-- so the loss is realized and the position closes.
declare
  held numeric;
  engine text;
begin
  select p.qty_bought - p.qty_sold into held from walltrack.positions as p
  where p.id = failed.position_id and p.status in ('open', 'closing');
  if coalesce(held, 0) <= 0 then
    return;
  end if;
  engine := walltrack.begin_engine_write();
  insert into walltrack.orders (
    position_id, side, reason, mode, input_mint, output_mint, amount_in, slippage_bps,
    idempotency_key, max_attempts, status, attempts, filled_in, filled_out, fill_price_sol,
    confirmed_at, last_error
  ) values (
    failed.position_id, 'sell', 'write_off', failed.mode, failed.input_mint, failed.output_mint,
    held, 0, format('write-off:%s', failed.id), 1, 'confirmed', 1, held, 0, 0, walltrack.clock(),
    format('order %s (%s) failed for good: %s', failed.id, failed.reason, failed.last_error)
  );
  perform walltrack.end_engine_write(engine);
end;
$$;

create or replace function walltrack.record_failure(
  order_id bigint, tx_signature text, error_class text, detail text
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- A failed attempt. Before sending (quote, swap, a refused send) the caller gives no
-- signature; after, it gives the one that failed or can no longer land. A retryable class
-- puts the order back to pending for a new attempt after back-off, while attempts remain;
-- anything else fails it for good, and its position follows.
declare
  cfg walltrack.config;
  attempted walltrack.orders;
  retry boolean;
begin
  select c.* into strict cfg from walltrack.config as c;
  select o.* into attempted from walltrack.orders as o where o.id = order_id for update;
  perform walltrack.ensure(attempted.id is not null, format('order %s does not exist', order_id));
  perform walltrack.ensure(error_class ~ '^[a-z][a-z_]*$',
    format('error_class must be a snake_case code, got "%s"', error_class));
  perform walltrack.ensure(
    attempted.status in ('pending', 'submitted')
    and attempted.tx_signature is not distinct from record_failure.tx_signature,
    format('order %s is %s with signature %s: a failure of %s cannot be recorded', order_id,
      attempted.status, coalesce(attempted.tx_signature, 'none'),
      coalesce(record_failure.tx_signature, 'none')));
  retry := walltrack.retryable_failure(error_class) and attempted.attempts < attempted.max_attempts;
  update walltrack.orders as o
  set
    status = case when retry then 'pending' else 'failed' end::walltrack.order_status,
    tx_signature = null,
    last_valid_block_height = null,
    last_error = format('%s: %s', error_class, left(coalesce(detail, ''), 300)),
    next_attempt_at = walltrack.clock() + make_interval(
      secs => cfg.retry_backoff_seconds * 2 ^ greatest(attempted.attempts - 1, 0)
    ),
    lease_owner = null,
    lease_until = null,
    attempt_log = walltrack.with_attempt_facts(o.attempt_log, jsonb_build_object(
      'outcome', error_class, 'detail', left(coalesce(detail, ''), 300), 'at', walltrack.clock()
    )),
    updated_at = walltrack.clock()
  where o.id = order_id
  returning o.* into attempted;
  if not retry and attempted.side = 'sell' then
    perform walltrack.write_off(attempted);
  end if;
  return jsonb_build_object(
    'order_id', order_id, 'status', attempted.status, 'retry', retry,
    'next_attempt_at', case when retry then attempted.next_attempt_at end
  );
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
      coalesce(t.lookup_claimed_until <= walltrack.clock(), true)
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
              and s.received_at > walltrack.clock() - interval '1 day'
          )
        )
      )
    order by t.fetched_at nulls first
    limit max_tokens
    for update of t skip locked
  ),

  claimed as (
    update walltrack.tokens as t
    set lookup_claimed_until = walltrack.clock() + make_interval(secs => claim_seconds)
    from candidates as c
    where t.mint = c.mint and cardinality(c.sources) > 0
    returning t.mint, c.sources
  )

  select coalesce(jsonb_object_agg(c.mint, to_jsonb(c.sources)), '{}') into wanted
  from claimed as c;
  return wanted;
end;
$$;

create or replace function walltrack.purge_expired_tokens()
returns integer
language plpgsql
set search_path = ''
as $$
-- The cache keeps what is still useful: tokens of positions, listed or rugged ones (a
-- verdict for good) and facts that expired less than a day ago.
declare
  purged integer;
begin
  delete from walltrack.tokens as t
  where
    t.expires_at < walltrack.clock() - interval '1 day'
    and t.manual_list is null and not coalesce(t.rugged, false)
    and not exists (select from walltrack.positions as p where p.token_mint = t.mint);
  get diagnostics purged = row_count;
  return purged;
end;
$$;

create or replace function walltrack.refresh_performance()
returns timestamptz
language plpgsql
set search_path = ''
as $$
-- Concurrent refresh: readers keep the previous figures until the new ones are ready.
begin
  refresh materialized view concurrently walltrack.performance;
  return walltrack.clock();
end;
$$;

create or replace function walltrack.helius_sync_plan(webhook_url text, transaction_types text[])
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

create or replace function walltrack.helius_sync_done(
  webhook_id text, webhook_url text, address_hash text
)
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

create or replace function walltrack.backfill_plan(max_wallets integer, every_wallet boolean)
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

create or replace function walltrack.trigger_discovery_candidate_guard()
returns trigger
language plpgsql
set search_path = ''
as $$
-- An operator's insert is a new operator candidate; an operator's update changes status
-- (dismissed, promoted, or back to measured from dismissed) and note only. Promotion puts
-- the wallet on the watchlist (walltrack.promote_to_watchlist).
declare
  engine boolean := current_setting('walltrack.engine_write', true) is not distinct from 'on';
begin
  if tg_op = 'INSERT' then
    if not engine then
      perform walltrack.ensure(
        new.status = 'new' and not new.history_complete and new.history_before is null
        and new.measured_at is null and new.wallet_id is null and new.promoted_at is null,
        format('candidate %s: a new candidate starts unread (status new, no cursor, not '
          'measured, not promoted)', new.address),
        'Insert only the address (and a note); wallet-discovery reads its history.');
    end if;
    perform walltrack.ensure(
      not exists (select from walltrack.wallets as w where w.address = new.address),
      format('wallet %s is already on the watchlist: it needs no discovery', new.address),
      'Its scoreboard (walltrack.scoreboard) already measures it.');
    return new;
  end if;
  perform walltrack.ensure(
    (new.id, new.address, new.source, new.winner_id, new.found_at)
    is not distinct from (old.id, old.address, old.source, old.winner_id, old.found_at),
    format('candidate %s: its address, source, winner and found_at are what discovery found',
      old.id),
    'Add another candidate instead.');
  if not engine then
    perform walltrack.ensure(
      (new.history_before, new.history_complete, new.measured_at, new.promoted_at)
      is not distinct from
      (old.history_before, old.history_complete, old.measured_at, old.promoted_at)
      and (new.wallet_id is not distinct from old.wallet_id),
      format('candidate %s: its history read (cursor, complete, measured_at) and promotion '
        'are kept by wallet-discovery', old.id),
      'Edit status (promoted or dismissed) or note only.');
  end if;
  if new.status is distinct from old.status then
    perform walltrack.ensure(old.status <> 'promoted',
      format('candidate %s is already promoted to wallet %s', old.id, old.wallet_id),
      'Pause or retire the wallet on walltrack.wallets instead.');
    if new.status = 'promoted' then
      perform walltrack.ensure(old.status = 'measured',
        format('candidate %s is not measured (status %s): only a measured candidate can be '
          'promoted', old.id, old.status),
        case old.status when 'new'
          then 'Wait until wallet-discovery has read its history over the period.'
          else 'Set status back to measured first.' end);
      new := walltrack.promote_to_watchlist(new);
    elsif new.status = 'measured' then
      perform walltrack.ensure(engine or (old.status = 'dismissed' and old.history_complete),
        format('candidate %s: status measured is set when its history read completes',
          old.id),
        'Only a dismissed candidate whose history is read can be set back to measured.');
    elsif new.status = 'new' then
      perform walltrack.ensure(engine,
        format('candidate %s: status new is where a candidate starts, not an edit', old.id),
        'Set dismissed to set it aside.');
    end if;
  end if;
  new.updated_at := walltrack.clock();
  return new;
end;
$$;

create or replace function walltrack.discovery_plan(max_items integer default 100)
returns jsonb
language sql
stable
set search_path = ''
as $$
  -- The run's budget, its search queries, the winners whose mint walk is unfinished (oldest
  -- found first) and the candidates whose history read is unfinished (oldest found first),
  -- each with where its walk resumes; period_start: a candidate's walk stops below it.
  select jsonb_build_object(
    'credits', c.discovery_credits_per_run,
    'call_credits', c.helius_history_call_credits,
    'search_queries', to_jsonb(c.discovery_search_queries),
    'winners', coalesce((
      select jsonb_agg(jsonb_build_object('mint', w.mint, 'before', w.history_before)
        order by w.found_at, w.id)
      from (
        select x.* from walltrack.discovery_winners as x
        where not x.history_complete order by x.found_at, x.id limit max_items
      ) as w
    ), '[]'::jsonb),
    'candidates', coalesce((
      select jsonb_agg(jsonb_build_object('address', d.address, 'before', d.history_before)
        order by d.found_at, d.id)
      from (
        select x.* from walltrack.discovery_candidates as x
        where x.status = 'new' order by x.found_at, x.id limit max_items
      ) as d
    ), '[]'::jsonb),
    'period_start', floor(extract(epoch from walltrack.clock()
      - make_interval(days => c.discovery_period_days)))::bigint
  )
  from walltrack.config as c;
$$;

create or replace function walltrack.record_winners(tokens jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- A token is a winner when its facts meet every threshold of config: 24 h price change,
-- liquidity and 24 h volume at least the minimums (a missing figure fails its test), and a
-- pair created within the discovery period (older winners' early buyers bought outside the
-- period the ledger measures; an unknown creation time passes). Each winner is stored once.
declare
  cfg walltrack.config;
  verdicts jsonb;
begin
  perform walltrack.ensure(jsonb_typeof(tokens) = 'array',
    'record_winners expects a JSON array of {mint, source, ref, price_change_h24_pct, ...}');
  select c.* into strict cfg from walltrack.config as c;
  with t as (
    select
      x.value ->> 'mint' as mint,
      coalesce(x.value ->> 'source', 'search') as source,
      coalesce(x.value ->> 'ref', '') as ref,
      (x.value ->> 'price_change_h24_pct')::numeric as price_change,
      (x.value ->> 'liquidity_usd')::numeric as liquidity,
      (x.value ->> 'volume_h24_usd')::numeric as volume,
      (x.value ->> 'market_cap_usd')::numeric as market_cap,
      to_timestamp((x.value ->> 'pair_created_at_ms')::numeric / 1000) as pair_created_at,
      x.ordinality
    from jsonb_array_elements(tokens) with ordinality as x
  ),

  judged as (
    select
      t.*,
      case
        when t.mint is null or t.mint !~ '^[1-9A-HJ-NP-Za-km-z]{32,44}$' then 'invalid_mint'
        when t.source not in ('boost', 'search') then 'invalid_source'
        when not walltrack.is_finite(t.price_change) or not walltrack.is_finite(t.liquidity)
          or not walltrack.is_finite(t.volume) or not walltrack.is_finite(t.market_cap)
          then 'not_finite'
        when coalesce(t.price_change < cfg.discovery_winner_min_price_change_pct, true)
          then 'price_change_below_min'
        when coalesce(t.liquidity < cfg.discovery_winner_min_liquidity_usd, true)
          then 'liquidity_below_min'
        when coalesce(t.volume < cfg.discovery_winner_min_volume_usd, true)
          then 'volume_below_min'
        when t.pair_created_at < walltrack.clock() - make_interval(days => cfg.discovery_period_days)
          then 'older_than_period'
      end as reason
    from t
  ),

  stored as (
    insert into walltrack.discovery_winners (
      mint, source, ref, price_change_h24_pct, liquidity_usd, volume_h24_usd, market_cap_usd,
      pair_created_at
    )
    select distinct on (j.mint)
      j.mint, j.source::walltrack.discovery_winner_source, j.ref, j.price_change, j.liquidity,
      j.volume, j.market_cap, j.pair_created_at
    from judged as j where j.reason is null
    order by j.mint, j.ordinality
    on conflict on constraint discovery_winners_mint_unique do nothing
    returning mint
  )

  select jsonb_build_object(
    'winners', coalesce((
      select jsonb_agg(distinct j.mint) from judged as j where j.reason is null
    ), '[]'::jsonb),
    'new_winners', (select count(*) from stored),
    'rejected', coalesce((
      select jsonb_agg(jsonb_build_object('mint', j.mint, 'reason', j.reason)
        order by j.ordinality)
      from judged as j where j.reason is not null
    ), '[]'::jsonb)
  ) into verdicts;
  return verdicts;
end;
$$;

create or replace function walltrack.record_winner_page(
  mint text, transactions jsonb, oldest_signature text, complete boolean
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- One page (newest first) of a winner mint's parsed history. Its buys of the mint (by the
-- transaction's signer: a pool's side of a sell is no buy) are stored once; a buyer whose one buy paid at least config.discovery_min_size_buy_sol of
-- its own SOL is a candidate now (size_buyer). When the walk completes (it reached the
-- mint's first transaction), the first config.discovery_early_buyers distinct buyers by
-- their first buy's block time (then slot, signature) become candidates (early_buyer).
declare
  cfg walltrack.config;
  winner walltrack.discovery_winners;
  engine text;
  new_candidates integer := 0;
  size_buyers text[];
begin
  perform walltrack.ensure(jsonb_typeof(transactions) = 'array',
    'record_winner_page expects a JSON array of normalised transactions');
  select c.* into strict cfg from walltrack.config as c;
  select w.* into winner from walltrack.discovery_winners as w
  where w.mint = record_winner_page.mint for update;
  perform walltrack.ensure(winner.id is not null,
    format('%s is not a discovery winner', mint),
    'Winners are stored by api.record_winners.');
  engine := walltrack.begin_engine_write();
  insert into walltrack.discovery_winner_buys (
    winner_id, buyer, signature, slot, block_time, token_amount, sol_lamports
  )
  select winner.id, s.wallet, s.signature, s.slot, s.block_time, s.token_amount, s.sol_lamports
  from walltrack.discovery_swaps(transactions) as s
  where s.usable and s.by_fee_payer and s.side = 'buy' and s.token_mint = winner.mint
    and s.wallet ~ '^[1-9A-HJ-NP-Za-km-z]{32,44}$'
  on conflict on constraint discovery_winner_buys_once do nothing;
  size_buyers := array(
    select distinct s.wallet from walltrack.discovery_swaps(transactions) as s
    where s.usable and s.by_fee_payer and s.side = 'buy' and s.token_mint = winner.mint
      and s.wallet ~ '^[1-9A-HJ-NP-Za-km-z]{32,44}$'
      and s.sol_lamports >= cfg.discovery_min_size_buy_sol * 1000000000
  );
  new_candidates := walltrack.add_candidates(size_buyers, 'size_buyer', winner.id, '');
  if complete then
    new_candidates := new_candidates + walltrack.add_candidates(array(
      select f.buyer from (
        select distinct on (b.buyer) b.buyer, b.block_time, b.slot, b.signature
        from walltrack.discovery_winner_buys as b where b.winner_id = winner.id
        order by b.buyer, b.block_time, b.slot nulls last, b.signature
      ) as f
      order by f.block_time, f.slot nulls last, f.signature
      limit cfg.discovery_early_buyers
    ), 'early_buyer', winner.id, '');
  end if;
  update walltrack.discovery_winners as w
  set
    history_before = case when complete then null
      else coalesce(oldest_signature, w.history_before) end,
    history_complete = complete,
    history_read_at = walltrack.clock()
  where w.id = winner.id
  returning * into winner;
  perform walltrack.end_engine_write(engine);
  return jsonb_build_object('new_candidates', new_candidates, 'before', winner.history_before);
end;
$$;

create or replace function walltrack.record_candidate_page(
  address text, transactions jsonb, oldest_signature text, complete boolean
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- One page (newest first) of a candidate's parsed history: its own usable swaps are stored
-- once, the cursor moves to the page's oldest signature, and the read is complete (status
-- measured) when the caller says so (the history's start) or the page's oldest transaction
-- is older than the discovery period's start: the ledger needs nothing older.
declare
  cfg walltrack.config;
  candidate walltrack.discovery_candidates;
  engine text;
  added integer;
  oldest timestamptz;
  done boolean;
begin
  perform walltrack.ensure(jsonb_typeof(transactions) = 'array',
    'record_candidate_page expects a JSON array of normalised transactions');
  select c.* into strict cfg from walltrack.config as c;
  select d.* into candidate from walltrack.discovery_candidates as d
  where d.address = record_candidate_page.address for update;
  perform walltrack.ensure(candidate.id is not null,
    format('%s is not a discovery candidate', address),
    'Submit it first (api.submit_candidates).');
  engine := walltrack.begin_engine_write();
  insert into walltrack.candidate_swaps (
    candidate_id, signature, slot, block_time, source, side, token_mint, token_amount,
    token_decimals, sol_lamports
  )
  select
    candidate.id, s.signature, s.slot, s.block_time, s.source, s.side, s.token_mint,
    s.token_amount, s.token_decimals, s.sol_lamports
  from walltrack.discovery_swaps(transactions) as s
  where s.usable and s.wallet = candidate.address
    and s.token_mint ~ '^[1-9A-HJ-NP-Za-km-z]{32,44}$'
  on conflict on constraint candidate_swaps_once do nothing;
  get diagnostics added = row_count;
  select min(to_timestamp((t.value ->> 'timestamp')::bigint)) into oldest
  from jsonb_array_elements(transactions) as t;
  done := candidate.history_complete or complete
    or oldest < walltrack.clock() - make_interval(days => cfg.discovery_period_days);
  if not candidate.history_complete then
    update walltrack.discovery_candidates as d
    set
      history_before = case when done then null
        else coalesce(oldest_signature, d.history_before) end,
      history_complete = done,
      measured_at = case when done then walltrack.clock() end,
      status = case when done and d.status = 'new' then 'measured'::walltrack.candidate_status
        else d.status end
    where d.id = candidate.id
    returning * into candidate;
  end if;
  perform walltrack.end_engine_write(engine);
  return jsonb_build_object(
    'new_swaps', added, 'before', candidate.history_before, 'complete', done
  );
end;
$$;

create or replace view walltrack.candidate_periods
with (security_invoker = true)
as
select
  d.id as candidate_id,
  coalesce(d.measured_at, walltrack.clock()) - make_interval(days => c.discovery_period_days)
    as period_start,
  coalesce(d.measured_at, walltrack.clock()) as period_end,
  c.discovery_period_days as period_days
from walltrack.discovery_candidates as d
cross join walltrack.config as c;

create or replace function walltrack.promote_to_watchlist(candidate walltrack.discovery_candidates)
returns walltrack.discovery_candidates
language plpgsql
set search_path = ''
as $$
-- Called by the candidates' guard trigger on status -> promoted (the candidate is measured).
-- The wallet joins the watchlist active, in simulation mode, with where it was found and the
-- baseline from its ledger: win rate, realized PnL, trade count and period days. Returns the
-- candidate with its wallet and promotion time.
declare
  r walltrack.candidate_ranking;
  new_wallet_id bigint;
begin
  perform walltrack.ensure(
    not exists (select from walltrack.wallets as w where w.address = candidate.address),
    format('candidate %s: wallet %s is already on the watchlist', candidate.id,
      candidate.address),
    'Edit the existing wallet row instead; set this candidate dismissed.');
  select x.* into strict r from walltrack.candidate_ranking as x where x.id = candidate.id;
  insert into walltrack.wallets (
    address, label, status, mode, discovery_source, discovered_at, discovery_ref,
    discovery_metadata, baseline_win_rate_pct, baseline_pnl_sol, baseline_trade_count,
    baseline_period_days
  )
  values (
    candidate.address, 'discovered ' || left(candidate.address, 8), 'active', 'simulation',
    case when candidate.source = 'operator' then 'manual'::walltrack.discovery_source
      else 'onchain_analysis'::walltrack.discovery_source end,
    candidate.found_at,
    format('discovery candidate %s (%s%s)', candidate.id, candidate.source,
      coalesce(' of ' || r.winner_mint, '')),
    jsonb_build_object(
      'candidate_id', candidate.id, 'source', candidate.source, 'winner_mint', r.winner_mint,
      'rank', r.rank, 'measured_at', candidate.measured_at, 'period_start', r.period_start,
      'period_end', r.period_end, 'trade_count', r.trade_count,
      'tokens_traded', r.tokens_traded, 'win_rate_pct', r.win_rate_pct,
      'realized_pnl_sol', r.realized_pnl_sol, 'profit_factor', r.profit_factor,
      'expectancy_sol', r.expectancy_sol, 'expectancy_pct', r.expectancy_pct,
      'copy_decay_pct', r.copy_decay_pct,
      'expectancy_after_decay_pct', r.expectancy_after_decay_pct,
      'median_hold_seconds', r.median_hold_seconds,
      'largest_win_share_pct', r.largest_win_share_pct, 'flags', r.flags,
      'evidence_links', to_jsonb(r.evidence_links), 'note', candidate.note
    ),
    r.win_rate_pct, r.realized_pnl_sol, r.trade_count, r.period_days
  )
  returning id into new_wallet_id;
  candidate.wallet_id := new_wallet_id;
  candidate.promoted_at := walltrack.clock();
  candidate.promoted_by := coalesce(nullif(candidate.promoted_by, ''), current_user::text);
  return candidate;
end;
$$;

create or replace function walltrack.remeasure_baselines()
returns integer
language plpgsql
set search_path = ''
as $$
-- Each promoted wallet's baseline, measured again from its own signals: the leader's trades
-- as WallTrack recorded them (successful, SOL-quoted, at least config.discovery_dust_sol),
-- over config.discovery_period_days ending now, by the same average-cost ledger (a trade =
-- a token with some tokens sold against a cost basis). The period is cut to the days the
-- signals cover (first signal to now, in whole days rounded, at least 1); a wallet with
-- no trade in its signals keeps the baseline it has. Returns how many were re-measured.
declare
  measured integer;
begin
  with cfg as (
    select c.discovery_period_days as days, c.discovery_dust_sol as dust
    from walltrack.config as c
  ),

  promoted as (
    select w.id as wallet_id, greatest(
      walltrack.clock() - make_interval(days => cfg.days),
      (select min(s.block_time) from walltrack.signals as s where s.wallet_id = w.id)
    ) as since
    from walltrack.wallets as w
    cross join cfg
    where w.status <> 'retired' and exists (
      select from walltrack.discovery_candidates as d where d.wallet_id = w.id
    )
  ),

  tokens as (
    select
      p.wallet_id, s.token_mint,
      walltrack.avg_cost_ledger(
        array_agg(s.side order by s.block_time, s.slot, s.signature, s.side),
        array_agg(s.token_amount order by s.block_time, s.slot, s.signature, s.side),
        array_agg(s.quote_amount / 1000000000.0 order by s.block_time, s.slot, s.signature, s.side)
      ) as l
    from promoted as p
    inner join walltrack.signals as s on p.wallet_id = s.wallet_id
    cross join cfg
    where s.block_time between p.since and walltrack.clock() and s.tx_error is null
      and s.quote_mint = 'So11111111111111111111111111111111111111112'
      and s.quote_amount >= cfg.dust * 1000000000
    group by p.wallet_id, s.token_mint
  ),

  figures as (
    select
      t.wallet_id,
      count(*) filter (where t.l[4] > 0) as trades,
      count(*) filter (where t.l[4] > 0 and t.l[3] > 0) as wins,
      round(coalesce(sum(t.l[3]) filter (where t.l[4] > 0), 0), 9) as pnl
    from tokens as t
    group by t.wallet_id
  )

  update walltrack.wallets as w
  set
    baseline_win_rate_pct = round(100.0 * f.wins / f.trades, 2),
    baseline_pnl_sol = f.pnl,
    baseline_trade_count = f.trades,
    baseline_period_days = greatest(1, round(extract(epoch from walltrack.clock() - p.since) / 86400))::integer,
    discovery_metadata = w.discovery_metadata || jsonb_build_object(
      'baseline_measured_at', walltrack.clock(), 'baseline_source', 'signals'
    )
  from figures as f
  inner join promoted as p on f.wallet_id = p.wallet_id
  where w.id = f.wallet_id and f.trades > 0;
  get diagnostics measured = row_count;
  return measured;
end;
$$;

create or replace view walltrack.delivery_health
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
  walltrack.clock() - last_webhook.received_at as webhook_silent_for,
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

create or replace function walltrack.raise_scheduled_alerts()
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

create or replace function walltrack.claim_alerts(
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

create or replace function walltrack.record_alert_delivery(
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

create or replace function walltrack.operator_status()
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'overview', walltrack.overview(),
    'breaker', walltrack.breaker_state(),
    'open_positions', coalesce((
      select jsonb_agg(jsonb_build_object(
        'id', p.id, 'wallet', p.wallet_label, 'token', coalesce(p.token_symbol, p.token_mint),
        'mode', p.mode, 'status', p.status, 'cost_basis_sol', p.cost_basis_sol,
        'unrealized_pnl_sol', p.unrealized_pnl_sol, 'opened_at', p.opened_at
      ) order by p.opened_at, p.id)
      from walltrack.position_list as p where p.status in ('opening', 'open', 'closing')
    ), '[]'),
    'deliveries', coalesce((
      select jsonb_agg(jsonb_build_object(
        'wallet', d.label, 'status', d.status, 'last_delivery_at', d.last_delivery_at,
        'last_backfill_at', d.last_backfill_at, 'flagged', d.flagged
      ) order by d.wallet_id)
      from walltrack.delivery_health as d where d.status = 'active'
    ), '[]'),
    'alerts_pending', (
      select count(*) from walltrack.alerts as a cross join walltrack.config as c
      where a.created_at > walltrack.clock() - make_interval(mins => c.alert_max_age_minutes)
        and not exists (
          select from walltrack.alert_deliveries as d
          where d.alert_id = a.id and d.status in ('sent', 'failed')
        )
        and (a.kind = any(c.alert_kinds_telegram) or a.kind = any(c.alert_kinds_discord))
    )
  );
$$;

comment on function walltrack.clock() is
'The time every rule reads: the transaction''s time (now()), unless walltrack.set_clock set '
'this transaction''s or session''s.';
comment on function walltrack.clock_precise() is
'Ordered event times: the wall clock (clock_timestamp()), or the time walltrack.set_clock '
'set.';
comment on function walltrack.trigger_config_keep_production() is
'Refuses turning config.production off once on.';
comment on function walltrack.set_clock(timestamptz, boolean) is
'Sets the clock every rule reads for this transaction (or session): refused on a database '
'that trades for real, and never backwards within a session.';
comment on column walltrack.config.production is
'This database trades for real: walltrack.set_clock is refused (no replayed or forged time). '
'Once on, it stays on.';

drop materialized view walltrack.performance cascade;

-- performance: the scoreboard an operator reads to keep or drop a wallet (ADR-003). A
-- materialized view, one row per wallet and window (24h, 7d, 30d, all), with zeros for a
-- wallet with no trades: signals copied, win rate, realized and unrealized PnL, average
-- return, profit factor, best and worst trade, average hold, max drawdown of the realized
-- equity curve, expectancy, max consecutive losses, and copy decay against the leader on
-- the same trades, each next to the wallet's baseline. Refreshed concurrently (pg_cron and
-- api.refresh_performance), so readers are never blocked; walltrack.scoreboard reads it.

create materialized view walltrack.performance as
with time_windows (time_window, span, age_classes) as (
  values ('24h', interval '24 hours', 1), ('7d', interval '7 days', 2),
  ('30d', interval '30 days', 3), ('all', null::interval, 4)
),

-- One pass over the signals: each is counted in its age class (the spans above), and a
-- window adds up the classes it spans.
signal_ages as (
  select
    s.wallet_id,
    case
      when s.received_at >= walltrack.clock() - interval '24 hours' then 1
      when s.received_at >= walltrack.clock() - interval '7 days' then 2
      when s.received_at >= walltrack.clock() - interval '30 days' then 3
      else 4
    end as age_class,
    count(*) as signals_seen,
    count(*) filter (where s.decision = 'copied') as signals_copied
  from walltrack.signals as s
  group by s.wallet_id, age_class
),

signal_counts as (
  select
    sa.wallet_id,
    tw.time_window,
    sum(sa.signals_seen)::bigint as signals_seen,
    sum(sa.signals_copied)::bigint as signals_copied
  from signal_ages as sa
  inner join time_windows as tw on sa.age_class <= tw.age_classes
  group by sa.wallet_id, tw.time_window
),

opened_counts as (
  select
    p.wallet_id,
    tw.time_window,
    count(*) as positions_opened
  from walltrack.positions as p
  inner join time_windows as tw on tw.span is null or p.opened_at >= walltrack.clock() - tw.span
  group by p.wallet_id, tw.time_window
),

-- The leader's side of each position all of whose fills copied one of the leader's swaps:
-- the leader's own average buy and sell prices over the quantities we traded.
leader_round_trips as (
  select
    o.position_id,
    sum(o.filled_out * ls.price_sol) filter (where o.side = 'buy')
    / nullif(sum(o.filled_out) filter (where o.side = 'buy'), 0) as leader_entry_price_sol,
    sum(o.filled_in * ls.price_sol) filter (where o.side = 'sell')
    / nullif(sum(o.filled_in) filter (where o.side = 'sell'), 0) as leader_exit_price_sol
  from walltrack.orders as o
  left join walltrack.signals as ls on o.signal_id = ls.id
  where o.status = 'confirmed'
  group by o.position_id
  having bool_and(ls.price_sol > 0)
),

closed_trades as (
  select
    p.wallet_id,
    tw.time_window,
    p.id,
    p.closed_at,
    p.realized_pnl_sol as pnl_sol,
    p.realized_pnl_sol / nullif(p.cost_basis_sol, 0) as return_ratio,
    p.closed_at - p.opened_at as hold,
    lrt.leader_exit_price_sol / lrt.leader_entry_price_sol - 1 as leader_return_ratio,
    sum(p.realized_pnl_sol) over in_close_order as equity_sol,
    -- Losing streaks: each close that is not a loss starts a new group.
    count(*) filter (where p.realized_pnl_sol >= 0) over in_close_order as streak_group
  from walltrack.positions as p
  inner join time_windows as tw on tw.span is null or p.closed_at >= walltrack.clock() - tw.span
  left join leader_round_trips as lrt on p.id = lrt.position_id
  where p.status = 'closed'
  window in_close_order as (partition by p.wallet_id, tw.time_window order by p.closed_at, p.id)
),

-- The realized equity curve of a window starts at 0, so its peak is never below 0.
drawdowns as (
  select
    ct.wallet_id,
    ct.time_window,
    greatest(0, max(ct.equity_sol) over (
      partition by ct.wallet_id, ct.time_window order by ct.closed_at, ct.id
    )) - ct.equity_sol as drawdown_sol
  from closed_trades as ct
),

losing_streaks as (
  select
    ct.wallet_id,
    ct.time_window,
    count(*) filter (where ct.pnl_sol < 0) as streak
  from closed_trades as ct
  group by ct.wallet_id, ct.time_window, ct.streak_group
),

trade_stats as (
  select
    ct.wallet_id,
    ct.time_window,
    count(*) as positions_closed,
    count(*) filter (where ct.pnl_sol > 0) as wins,
    count(*) filter (where ct.pnl_sol < 0) as losses,
    sum(ct.pnl_sol) as realized_pnl_sol,
    avg(ct.return_ratio) as avg_return_ratio,
    coalesce(sum(ct.pnl_sol) filter (where ct.pnl_sol > 0), 0) as gross_profit_sol,
    coalesce(-sum(ct.pnl_sol) filter (where ct.pnl_sol < 0), 0) as gross_loss_sol,
    max(ct.pnl_sol) as best_trade_sol,
    min(ct.pnl_sol) as worst_trade_sol,
    avg(ct.hold) as avg_hold,
    count(ct.leader_return_ratio) as leader_trades_compared,
    avg(ct.leader_return_ratio) as leader_return_ratio,
    avg(ct.return_ratio) filter (where ct.leader_return_ratio is not null) as copy_return_ratio
  from closed_trades as ct
  group by ct.wallet_id, ct.time_window
),

curve_stats as (
  select
    d.wallet_id,
    d.time_window,
    max(d.drawdown_sol) as max_drawdown_sol
  from drawdowns as d
  group by d.wallet_id, d.time_window
),

streak_stats as (
  select
    ls.wallet_id,
    ls.time_window,
    max(ls.streak) as max_consecutive_losses
  from losing_streaks as ls
  group by ls.wallet_id, ls.time_window
),

open_book as (
  select
    p.wallet_id,
    sum(walltrack.position_open_cost_sol(p)) as open_exposure_sol,
    sum(p.unrealized_pnl_sol) as unrealized_pnl_sol
  from walltrack.positions as p
  where p.status in ('open', 'closing')
  group by p.wallet_id
)

-- Every wallet has a row per window: counts and sums are 0 without trades; ratios whose
-- denominator is 0 (no signal, no close, no loss, no comparable trade) stay empty.
select
  w.id as wallet_id,
  tw.time_window,
  coalesce(sc.signals_seen, 0) as signals_seen,
  coalesce(sc.signals_copied, 0) as signals_copied,
  round(100.0 * sc.signals_copied / nullif(sc.signals_seen, 0), 2) as copied_pct,
  coalesce(oc.positions_opened, 0) as positions_opened,
  coalesce(ts.positions_closed, 0) as positions_closed,
  coalesce(ts.wins, 0) as wins,
  coalesce(ts.losses, 0) as losses,
  round(100.0 * ts.wins / nullif(ts.positions_closed, 0), 2) as win_rate_pct,
  w.baseline_win_rate_pct,
  coalesce(ts.realized_pnl_sol, 0) as realized_pnl_sol,
  w.baseline_pnl_sol,
  w.baseline_trade_count,
  w.baseline_period_days,
  round(100 * ts.avg_return_ratio, 2) as avg_return_pct,
  round(ts.gross_profit_sol / nullif(ts.gross_loss_sol, 0), 4) as profit_factor,
  round(ts.realized_pnl_sol / nullif(ts.positions_closed, 0), 9) as expectancy_sol,
  ts.best_trade_sol,
  ts.worst_trade_sol,
  date_trunc('second', ts.avg_hold) as avg_hold,
  coalesce(cs.max_drawdown_sol, 0) as max_drawdown_sol,
  coalesce(ss.max_consecutive_losses, 0) as max_consecutive_losses,
  coalesce(ts.leader_trades_compared, 0) as leader_trades_compared,
  round(100 * ts.leader_return_ratio, 2) as leader_return_pct,
  round(100 * ts.copy_return_ratio, 2) as copy_return_pct,
  round(100 * (ts.leader_return_ratio - ts.copy_return_ratio), 2) as copy_decay_pct,
  coalesce(ob.open_exposure_sol, 0) as open_exposure_sol,
  coalesce(ob.unrealized_pnl_sol, 0) as unrealized_pnl_sol,
  walltrack.clock() as refreshed_at
from walltrack.wallets as w
cross join time_windows as tw
left join signal_counts as sc on w.id = sc.wallet_id and tw.time_window = sc.time_window
left join opened_counts as oc on w.id = oc.wallet_id and tw.time_window = oc.time_window
left join trade_stats as ts on w.id = ts.wallet_id and tw.time_window = ts.time_window
left join curve_stats as cs on w.id = cs.wallet_id and tw.time_window = cs.time_window
left join streak_stats as ss on w.id = ss.wallet_id and tw.time_window = ss.time_window
left join open_book as ob on w.id = ob.wallet_id
with data;

create unique index performance_wallet_window_idx
on walltrack.performance (wallet_id, time_window);

grant select on walltrack.performance to service_role;

comment on materialized view walltrack.performance is
'Materialized View: per-wallet metrics for windows 24h / 7d / 30d / all (one row per wallet '
'and window, zeros for a wallet with no trades; a ratio with a zero denominator is empty). '
'Refreshed concurrently by walltrack.refresh_performance(): daily by pg_cron, on demand by '
'api.refresh_performance(). Read it through walltrack.scoreboard.';

comment on column walltrack.performance.wallet_id is 'The watched wallet.';

comment on column walltrack.performance.time_window is
'24h, 7d, 30d or all: signals by receipt, opens by opening, trades by closing time.';

comment on column walltrack.performance.signals_seen is
'Swaps of the wallet received in the window.';

comment on column walltrack.performance.signals_copied is 'Of those, how many were copied.';

comment on column walltrack.performance.copied_pct is
'signals_copied / signals_seen, %; empty with no signal.';

comment on column walltrack.performance.positions_opened is 'Positions opened in the window.';

comment on column walltrack.performance.positions_closed is
'Positions closed in the window: the trades every figure below is measured on.';

comment on column walltrack.performance.wins is 'Closed positions with positive realized PnL.';

comment on column walltrack.performance.win_rate_pct is
'wins / positions_closed, %; empty with no close.';

comment on column walltrack.performance.realized_pnl_sol is
'Realized PnL of positions closed in the window, SOL, fees included.';

comment on column walltrack.performance.open_exposure_sol is
'Cost still held in open positions, at refresh time.';

comment on column walltrack.performance.unrealized_pnl_sol is
'Unrealized PnL of open positions, at refresh time.';

comment on column walltrack.performance.baseline_win_rate_pct is
'Win rate measured at discovery, to compare with win_rate_pct.';

comment on column walltrack.performance.baseline_pnl_sol is
'PnL measured at discovery, to compare with realized_pnl_sol.';

comment on column walltrack.performance.refreshed_at is 'When these figures were computed.';

create view walltrack.scoreboard
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
  ) as open_chain_findings
from walltrack.performance as p
inner join walltrack.wallets as w on p.wallet_id = w.id
order by w.label, w.id, array_position(array['24h', '7d', '30d', 'all'], p.time_window);

revoke all on walltrack.scoreboard from public, anon, authenticated;

grant select on walltrack.scoreboard to service_role;

comment on view walltrack.scoreboard is
'The performance scoreboard as Studio shows it best: one line per wallet and window, the '
'figures an operator decides on first, each actual next to its baseline. Refresh with '
'select api.refresh_performance();';

comment on column walltrack.scoreboard.open_chain_findings is
'Unresolved chain findings (walltrack.chain_finding_list) on tokens the wallet''s open live '
'positions hold, counted now (not at the last refresh).';

comment on column walltrack.performance.losses is
'Closed positions with negative realized PnL (a break-even close is neither).';

comment on column walltrack.performance.baseline_trade_count is
'Trades the discovery baseline was measured on.';

comment on column walltrack.performance.baseline_period_days is
'Days the discovery baseline was measured over.';

comment on column walltrack.performance.avg_return_pct is
'Average of each trade''s realized PnL / its cost basis, %; empty with no close.';

comment on column walltrack.performance.profit_factor is
'Gross profit / gross loss; empty while there is no losing trade.';

comment on column walltrack.performance.expectancy_sol is
'Average realized PnL per trade, SOL (win rate x average win - loss rate x average loss).';

comment on column walltrack.performance.best_trade_sol is 'Largest realized PnL of one trade.';

comment on column walltrack.performance.worst_trade_sol is 'Smallest realized PnL of one trade.';

comment on column walltrack.performance.avg_hold is 'Average time from opening to close.';

comment on column walltrack.performance.max_drawdown_sol is
'Largest fall of the realized equity curve (0 at the window''s start, closes in order) from '
'its peak, SOL.';

comment on column walltrack.performance.max_consecutive_losses is
'Longest run of losing closes in a row.';

comment on column walltrack.performance.leader_trades_compared is
'Trades comparable with the leader''s: every sale mirrored one of the leader''s sales.';

comment on column walltrack.performance.leader_return_pct is
'On those trades, the leader''s average return at its own buy and sell prices, %.';

comment on column walltrack.performance.copy_return_pct is
'On those same trades, our average realized return, %.';

comment on column walltrack.performance.copy_decay_pct is
'leader_return_pct - copy_return_pct, in points: what latency, slippage and fees cost us.';

-- ---------------------------------------------------------------------------------------
-- Copyability: what our own copies of watched wallets lose, applied to candidates

create view walltrack.wallet_copyability
with (security_invoker = true)
as
select
  w.id as wallet_id,
  w.address,
  w.label,
  d.copies,
  d.median_copy_delay_seconds,
  p.copy_decay_pct,
  coalesce(p.leader_trades_compared, 0) as leader_trades_compared
from walltrack.wallets as w
left join lateral (
  select
    count(*) as copies,
    round(percentile_cont(0.5) within group (
      order by extract(epoch from s.decided_at - s.block_time)
    )::numeric, 1) as median_copy_delay_seconds
  from walltrack.signals as s
  where s.wallet_id = w.id and s.decision = 'copied' and s.block_time is not null
) as d on true
left join walltrack.performance as p on w.id = p.wallet_id and p.time_window = 'all';

revoke all on walltrack.wallet_copyability from public, anon, authenticated;

grant select on walltrack.wallet_copyability to service_role;

comment on view walltrack.wallet_copyability is
'Per watched wallet, how well we copy it: our copy delay (median of decided_at - block_time '
'over its copied signals, live) and the scoreboard''s copy decay (all-time window, as of the '
'last refresh of walltrack.performance).';

comment on column walltrack.wallet_copyability.wallet_id is 'The watched wallet.';

comment on column walltrack.wallet_copyability.address is 'Its address.';

comment on column walltrack.wallet_copyability.label is 'Its label.';

comment on column walltrack.wallet_copyability.copies is 'Its signals we copied.';

comment on column walltrack.wallet_copyability.median_copy_delay_seconds is
'Median of decided_at - block_time over the copied signals, seconds.';

comment on column walltrack.wallet_copyability.copy_decay_pct is
'walltrack.performance.copy_decay_pct (all): leader''s return - our return on the same trades, '
'points.';

comment on column walltrack.wallet_copyability.leader_trades_compared is
'Trades the copy decay is measured on.';

create view walltrack.discovery_copy_decay
with (security_invoker = true)
as
with m as (
  select
    round(
      percentile_cont(0.5) within group (order by k.copy_decay_pct)
      filter (where k.leader_trades_compared > 0 and k.copy_decay_pct is not null)::numeric, 2)
      as median_decay,
    count(*) filter (where k.leader_trades_compared > 0 and k.copy_decay_pct is not null)
      as wallets,
    round(percentile_cont(0.5) within group (order by k.median_copy_delay_seconds)::numeric, 1)
      as median_delay
  from walltrack.wallet_copyability as k
)

select
  coalesce(m.median_decay, c.discovery_default_copy_decay_pct) as copy_decay_pct,
  m.median_decay is null as is_default,
  m.wallets,
  m.median_delay as median_copy_delay_seconds
from walltrack.config as c
cross join m;

revoke all on walltrack.discovery_copy_decay from public, anon, authenticated;

grant select on walltrack.discovery_copy_decay to service_role;

comment on view walltrack.discovery_copy_decay is
'The copy decay applied to every candidate: the median copy_decay_pct across watched wallets '
'with comparable trades, or config.discovery_default_copy_decay_pct when none has any.';

comment on column walltrack.discovery_copy_decay.copy_decay_pct is
'Points of return per trade a copy loses to our delay, slippage and fees.';

comment on column walltrack.discovery_copy_decay.is_default is
'True when no watched wallet has a measured decay: the config default is used.';

comment on column walltrack.discovery_copy_decay.wallets is
'Watched wallets the median is taken over.';

comment on column walltrack.discovery_copy_decay.median_copy_delay_seconds is
'Median across watched wallets of their median copy delay, seconds (shown, not used).';

-- ---------------------------------------------------------------------------------------
-- Ranking: what Studio reads

create view walltrack.candidate_ranking_all
with (security_invoker = true)
as
with scored as (
  select
    d.id,
    d.address,
    d.status,
    d.source,
    w.mint as winner_mint,
    l.trade_count,
    l.tokens_traded,
    l.win_rate_pct,
    l.realized_pnl_sol,
    l.profit_factor,
    l.expectancy_sol,
    l.expectancy_pct,
    l.avg_cost_per_trade_sol,
    l.median_hold_seconds,
    l.largest_win_share_pct,
    l.sold_never_bought_tokens,
    l.flag_names,
    l.flags,
    l.evidence_signatures,
    k.copy_decay_pct,
    k.is_default as copy_decay_is_default,
    k.median_copy_delay_seconds,
    l.expectancy_pct - k.copy_decay_pct as expectancy_after_decay_pct,
    round(c.fixed_amount_sol * (l.expectancy_pct - k.copy_decay_pct) / 100, 9)
      as copy_expectancy_sol,
    l.period_start,
    l.period_end,
    l.period_days,
    d.found_at,
    d.measured_at,
    d.wallet_id,
    d.note
  from walltrack.discovery_candidates as d
  inner join walltrack.candidate_flags as l on d.id = l.candidate_id
  left join walltrack.discovery_winners as w on d.winner_id = w.id
  cross join walltrack.discovery_copy_decay as k
  cross join walltrack.config as c
)

select
  case when s.status in ('measured', 'promoted') then rank() over (
    partition by s.status in ('measured', 'promoted')
    order by
      cardinality(s.flag_names) > 0, s.expectancy_after_decay_pct desc nulls last,
      s.realized_pnl_sol desc, s.id asc
  ) end as rank,
  s.id,
  s.address,
  s.status,
  s.source,
  s.winner_mint,
  s.trade_count,
  s.tokens_traded,
  s.win_rate_pct,
  s.realized_pnl_sol,
  s.profit_factor,
  s.expectancy_sol,
  s.expectancy_pct,
  s.copy_decay_pct,
  s.expectancy_after_decay_pct,
  s.copy_expectancy_sol,
  s.median_hold_seconds,
  s.largest_win_share_pct,
  s.sold_never_bought_tokens,
  s.flag_names,
  s.flags,
  s.copy_decay_is_default,
  s.median_copy_delay_seconds,
  s.avg_cost_per_trade_sol,
  'https://solscan.io/account/' || s.address as account_link,
  array(
    select 'https://solscan.io/tx/' || x.signature
    from unnest(s.evidence_signatures) as x (signature)
  ) as evidence_links,
  s.period_start,
  s.period_end,
  s.period_days,
  s.found_at,
  s.measured_at,
  s.wallet_id,
  s.note
from scored as s
order by rank nulls last, s.found_at, s.id;

revoke all on walltrack.candidate_ranking_all from public, anon, authenticated;

grant select on walltrack.candidate_ranking_all to service_role;

comment on view walltrack.candidate_ranking_all is
'The ranking''s definition, read through walltrack.candidate_ranking (see there).';

create function walltrack.candidate_ranking_rows()
returns setof walltrack.candidate_ranking_all
language sql
stable
set search_path = ''
set jit = off
as $$
  -- The ranking's plan is costly on paper (ledgers, medians, flags): without this, Postgres
  -- JIT-compiles it for seconds even over a handful of rows.
  select r.* from walltrack.candidate_ranking_all as r;
$$;

comment on function walltrack.candidate_ranking_rows() is
'The rows of walltrack.candidate_ranking_all, computed without JIT compilation.';

grant execute on function walltrack.candidate_ranking_rows() to service_role;

create view walltrack.candidate_ranking
with (security_invoker = true)
as
select r.*
from walltrack.candidate_ranking_rows() as r
order by r.rank asc nulls last, r.found_at asc, r.id asc;

revoke all on walltrack.candidate_ranking from public, anon, authenticated;

grant select on walltrack.candidate_ranking to service_role;

comment on view walltrack.candidate_ranking is
'Discovery candidates as Studio shows them best, ranked on expectancy after decay (not win '
'rate): unflagged before flagged, then expectancy_after_decay_pct descending (a candidate with '
'no trade last), realized PnL, id. Only measured and promoted candidates have a rank. Promote '
'one with update walltrack.discovery_candidates set status = ''promoted'' where id = ...';

comment on column walltrack.candidate_ranking.rank is
'1 = the best to copy; empty while the history is read, or dismissed.';

comment on column walltrack.candidate_ranking.id is 'The candidate''s id (discovery_candidates).';

comment on column walltrack.candidate_ranking.address is 'The wallet''s address.';

comment on column walltrack.candidate_ranking.status is 'new, measured, promoted or dismissed.';

comment on column walltrack.candidate_ranking.source is 'early_buyer, size_buyer or operator.';

comment on column walltrack.candidate_ranking.winner_mint is 'The winner it was found through.';

comment on column walltrack.candidate_ranking.trade_count is
'Trades: tokens closed or partly closed against a cost basis over the period.';

comment on column walltrack.candidate_ranking.tokens_traded is 'Distinct tokens swapped.';

comment on column walltrack.candidate_ranking.win_rate_pct is 'Winning trades / trades, %.';

comment on column walltrack.candidate_ranking.realized_pnl_sol is
'Realized PnL by average cost, SOL.';

comment on column walltrack.candidate_ranking.profit_factor is 'Gross profit / gross loss.';

comment on column walltrack.candidate_ranking.expectancy_sol is 'Mean realized PnL per trade, SOL.';

comment on column walltrack.candidate_ranking.expectancy_pct is
'Mean return per trade (realized PnL / cost sold), %.';

comment on column walltrack.candidate_ranking.copy_decay_pct is
'Points of return per trade a copy loses (walltrack.discovery_copy_decay).';

comment on column walltrack.candidate_ranking.expectancy_after_decay_pct is
'expectancy_pct - copy_decay_pct: the mean return per trade a copy would earn, %. The ranking '
'key.';

comment on column walltrack.candidate_ranking.copy_expectancy_sol is
'config.fixed_amount_sol x expectancy_after_decay_pct / 100: what one copy would earn, SOL.';

comment on column walltrack.candidate_ranking.median_hold_seconds is
'Median first buy to last sell per trade, seconds.';

comment on column walltrack.candidate_ranking.largest_win_share_pct is
'Largest win / realized PnL, %.';

comment on column walltrack.candidate_ranking.sold_never_bought_tokens is
'Tokens sold with no buy seen before.';

comment on column walltrack.candidate_ranking.flag_names is
'Flags raised (bot, sniper, suspicious_win_rate, fresh_wallet, sold_never_bought, '
'single_token_profit, wash_trading, low_activity): a flagged candidate ranks after every '
'unflagged one and is never auto-promoted.';

comment on column walltrack.candidate_ranking.flags is 'Each flag with its evidence.';

comment on column walltrack.candidate_ranking.copy_decay_is_default is
'True when copy_decay_pct is the config default (no watched wallet measured yet).';

comment on column walltrack.candidate_ranking.median_copy_delay_seconds is
'Our median copy delay across watched wallets, seconds.';

comment on column walltrack.candidate_ranking.avg_cost_per_trade_sol is
'The wallet''s mean size per trade (cost sold), SOL.';

comment on column walltrack.candidate_ranking.account_link is 'The wallet on Solscan.';

comment on column walltrack.candidate_ranking.evidence_links is
'Up to five of its trades'' transactions on Solscan.';

comment on column walltrack.candidate_ranking.period_start is 'Start of the measured period.';

comment on column walltrack.candidate_ranking.period_end is 'End of the measured period.';

comment on column walltrack.candidate_ranking.period_days is 'Length of the period, days.';

comment on column walltrack.candidate_ranking.found_at is 'When discovery found it.';

comment on column walltrack.candidate_ranking.measured_at is 'When its history read completed.';

comment on column walltrack.candidate_ranking.wallet_id is 'The wallet it became, once promoted.';

comment on column walltrack.candidate_ranking.note is 'The operator''s note.';

create view walltrack.wallet_results
with (security_invoker = true)
as
select
  w.id as wallet_id,
  w.address,
  w.label,
  p.positions_closed as trades,
  p.wins,
  p.win_rate_pct,
  p.realized_pnl_sol,
  p.max_drawdown_sol,
  p.profit_factor,
  p.signals_copied as copied,
  p.positions_opened - p.positions_closed as unclosed_positions,
  p.refreshed_at
from walltrack.performance as p
inner join walltrack.wallets as w on p.wallet_id = w.id
where p.time_window = 'all';

revoke all on walltrack.wallet_results from public, anon, authenticated;

grant select on walltrack.wallet_results to service_role;

comment on view walltrack.wallet_results is
'Each wallet''s all-time results as of the last performance refresh: what a replay compares, '
'wallet by wallet.';

comment on column walltrack.wallet_results.unclosed_positions is
'Positions opened and not closed: still open at the end of a replay.';

-- The replay's clock: each signal's receipt, in the log (signal_list).
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
  s.found_by,
  s.received_at
from walltrack.signals as s
inner join walltrack.wallets as w on s.wallet_id = w.id
left join walltrack.tokens as k on s.token_mint = k.mint;

comment on column walltrack.signal_list.received_at is
'When WallTrack received it: the time a replay decides it at.';
