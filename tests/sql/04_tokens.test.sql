-- Token verdicts from facts and thresholds, the freshness of each kind of fact, and the
-- read-through (ingest_swaps' lookup claims, store_token_facts).
begin;
select plan(44);

create function pg_temp.judge(mint text) returns text language sql as $$
  -- verdict:reason,reason
  select (j).verdict || ':' || array_to_string((j).reasons, ',')
  from (
    select walltrack.token_verdict(t, c) as j
    from walltrack.tokens as t cross join walltrack.config as c
    where t.mint = judge.mint
  ) as x;
$$;

create function pg_temp.reset_token(mint text) returns void language sql as $$
  select tests.safe_token(mint);
  update walltrack.tokens set mint_authority = null, freeze_authority = null,
    liquidity_usd = 250000, market_cap_usd = 2000000, pair_created_at = now() - interval '3 days',
    rugcheck_score_normalised = 10, top10_holders_pct = 20, risks = '[]', manual_list = null,
    rugged = false
  where tokens.mint = reset_token.mint;
$$;

select pg_temp.reset_token('MintV111111111111111111111111111111111111111');
select is(pg_temp.judge('MintV111111111111111111111111111111111111111'), 'safe:',
  'fresh facts passing every filter: safe');

update walltrack.tokens set mint_authority = 'Auth111111111111111111111111111111111111111'
where mint = 'MintV111111111111111111111111111111111111111';
select is(pg_temp.judge('MintV111111111111111111111111111111111111111'),
  'unsafe:mint_authority_active', 'an active mint authority is unsafe');
update walltrack.config set require_mint_authority_revoked = false;
select is(pg_temp.judge('MintV111111111111111111111111111111111111111'), 'safe:',
  'a threshold change applies at once, without refetching');
select is(
  (select verdict::text from walltrack.tokens
   where mint = 'MintV111111111111111111111111111111111111111'),
  'safe', 'and the stored verdict Studio shows follows the config change'
);
update walltrack.config set require_mint_authority_revoked = true;

select pg_temp.reset_token('MintV111111111111111111111111111111111111111');
update walltrack.tokens set freeze_authority = 'Auth111111111111111111111111111111111111111',
  liquidity_usd = 500, market_cap_usd = 1000
where mint = 'MintV111111111111111111111111111111111111111';
select is(pg_temp.judge('MintV111111111111111111111111111111111111111'),
  'unsafe:freeze_authority_active,liquidity_below_min,market_cap_below_min',
  'every failed filter is a reason');

select pg_temp.reset_token('MintV111111111111111111111111111111111111111');
update walltrack.config set max_market_cap_usd = 1000000;
select is(pg_temp.judge('MintV111111111111111111111111111111111111111'),
  'unsafe:market_cap_above_max', 'a market cap above the ceiling is refused');
update walltrack.config set max_market_cap_usd = null;

update walltrack.tokens set pair_created_at = now() - interval '2 minutes',
  rugcheck_score_normalised = 80, top10_holders_pct = 90
where mint = 'MintV111111111111111111111111111111111111111';
select is(pg_temp.judge('MintV111111111111111111111111111111111111111'),
  'unsafe:pool_too_young,rugcheck_score_above_max,top10_holders_above_max',
  'a young pool, a high RugCheck score and concentrated holders are unsafe');

select pg_temp.reset_token('MintV111111111111111111111111111111111111111');
update walltrack.tokens set pair_created_at = null
where mint = 'MintV111111111111111111111111111111111111111';
select is(pg_temp.judge('MintV111111111111111111111111111111111111111'),
  'unsafe:pool_too_young', 'a pool of unknown age counts as young');

select pg_temp.reset_token('MintV111111111111111111111111111111111111111');
update walltrack.tokens
set risks = '[{"name": "Low LP providers", "level": "danger", "description": "", "score": 400}]'
where mint = 'MintV111111111111111111111111111111111111111';
select is(pg_temp.judge('MintV111111111111111111111111111111111111111'),
  'risky:rugcheck_danger_risk', 'RugCheck dangers make a passing token risky');

update walltrack.tokens set rugged = true,
  rugcheck_fetched_at = now() - interval '30 days', market_fetched_at = now() - interval '30 days'
where mint = 'MintV111111111111111111111111111111111111111';
select is(pg_temp.judge('MintV111111111111111111111111111111111111111'), 'unsafe:rugged',
  'a rugged token is unsafe for good, however old its facts');
select is(
  (select walltrack.token_sources_due(t, c) from walltrack.tokens as t, walltrack.config as c
   where t.mint = 'MintV111111111111111111111111111111111111111'),
  '{}'::text[], 'and is never fetched again'
);
update walltrack.tokens set manual_list = 'whitelist'
where mint = 'MintV111111111111111111111111111111111111111';
select is(pg_temp.judge('MintV111111111111111111111111111111111111111'), 'safe:whitelisted',
  'the manual whitelist wins over everything');
update walltrack.tokens set manual_list = 'blacklist', rugged = false
where mint = 'MintV111111111111111111111111111111111111111';
select is(pg_temp.judge('MintV111111111111111111111111111111111111111'), 'unsafe:blacklisted',
  'the manual blacklist wins over everything');

-- Freshness, per kind of fact (defaults: market 5 min, RugCheck 60 min, unknown 2 min).
select pg_temp.reset_token('MintV111111111111111111111111111111111111111');
update walltrack.tokens set market_fetched_at = now() - interval '6 minutes'
where mint = 'MintV111111111111111111111111111111111111111';
select is(pg_temp.judge('MintV111111111111111111111111111111111111111'),
  'unknown:market_unknown', 'market facts go stale after 5 minutes');
select is(
  (select walltrack.token_sources_due(t, c) from walltrack.tokens as t, walltrack.config as c
   where t.mint = 'MintV111111111111111111111111111111111111111'),
  array['dexscreener'], 'only the stale source is fetched again'
);
update walltrack.tokens set market_fetched_at = now(), rugcheck_fetched_at = now() - interval '30 minutes'
where mint = 'MintV111111111111111111111111111111111111111';
select is(pg_temp.judge('MintV111111111111111111111111111111111111111'), 'safe:',
  'RugCheck facts of an established token stay fresh for the cache TTL');
update walltrack.tokens set pair_created_at = now() - interval '20 minutes'
where mint = 'MintV111111111111111111111111111111111111111';
update walltrack.config set min_pool_age_minutes = 5;
select is(pg_temp.judge('MintV111111111111111111111111111111111111111'),
  'unknown:rugcheck_unknown', 'a token younger than an hour needs RugCheck facts as fresh as market ones');
update walltrack.config set min_pool_age_minutes = 10;

select pg_temp.reset_token('MintV111111111111111111111111111111111111111');
update walltrack.tokens set authorities_checked_at = now() - interval '90 days'
where mint = 'MintV111111111111111111111111111111111111111';
select is(pg_temp.judge('MintV111111111111111111111111111111111111111'), 'safe:',
  'revoked authorities do not change back: known for good');
update walltrack.tokens set freeze_authority = 'Auth111111111111111111111111111111111111111',
  authorities_checked_at = now() - interval '2 hours'
where mint = 'MintV111111111111111111111111111111111111111';
select is(pg_temp.judge('MintV111111111111111111111111111111111111111'),
  'unknown:authorities_unknown', 'an active authority is checked again after the cache TTL');

update walltrack.tokens set failed_sources = array['das'], fetched_at = now() - interval '1 minute'
where mint = 'MintV111111111111111111111111111111111111111';
select is(
  (select walltrack.token_sources_due(t, c) from walltrack.tokens as t, walltrack.config as c
   where t.mint = 'MintV111111111111111111111111111111111111111'),
  '{}'::text[], 'a source that just failed is not asked again before the unknown TTL'
);
update walltrack.tokens set fetched_at = now() - interval '3 minutes'
where mint = 'MintV111111111111111111111111111111111111111';
select is(
  (select walltrack.token_sources_due(t, c) from walltrack.tokens as t, walltrack.config as c
   where t.mint = 'MintV111111111111111111111111111111111111111'),
  array['das'], 'after it, the failed source is asked again'
);

-- Read-through: what a delivery claims to look up (api.ingest_swaps with fetch_tokens).
create temporary table whale as
select address from walltrack.wallets where label = 'whale-alpha';
select is(
  api.ingest_swaps(jsonb_build_array(
    tests.swap_tx('rt-buy-1', (select address from whale), 'buy',
      'MintNewRT1111111111111111111111111111111111', 1000000000, 1000000000),
    tests.swap_tx('rt-buy-2', (select address from whale), 'buy',
      'MintNewRT1111111111111111111111111111111111', 1000000000, 1000000000, 1),
    tests.swap_tx('rt-stranger', 'Stranger1111111111111111111111111111111111', 'buy',
      'MintPood11111111111111111111111111111111111', 1000000000, 1000000000),
    tests.swap_tx('rt-sell', (select address from whale), 'sell',
      'MintSodd11111111111111111111111111111111111', 1000000000, 1000000000)
  ), true) -> 'tokens_to_fetch',
  '{"MintNewRT1111111111111111111111111111111111": ["rugcheck", "dexscreener", "das"]}'::jsonb,
  'only the tokens watched wallets buy are looked up, each once, from every source'
);
select is(
  api.ingest_swaps(jsonb_build_array(
    tests.swap_tx('rt-buy-3', (select address from whale), 'buy',
      'MintNewRT1111111111111111111111111111111111', 1000000000, 1000000000, 2)
  ), true) -> 'tokens_to_fetch',
  '{}'::jsonb, 'a burst: while the lookup is in flight, the same token is not looked up again'
);
select is(
  jsonb_array_length(api.ingest_swaps(jsonb_build_array(tests.swap_tx(
    'inflight', (select address from walltrack.wallets where label = 'whale-alpha'), 'buy',
    'MintNewRT1111111111111111111111111111111111', 1000000000, 1000000000
  )), true) -> 'pending'),
  1, 'a delivery buying a token whose lookup is in flight is stored, its buy left pending'
);

select api.store_token_facts(jsonb_build_array(jsonb_build_object(
  'mint', 'MintNewRT1111111111111111111111111111111111',
  'failed_sources', jsonb_build_array('rugcheck'),
  'rugcheck', null,
  'dexscreener', jsonb_build_object('pair_address', 'PairAddr1111111111111111111111111111111111',
    'dex_id', 'raydium', 'liquidity_usd', '84000.5', 'market_cap_usd', '410000',
    'fdv_usd', '410000', 'price_usd', '0.00041', 'price_sol', '0.0000021',
    'pair_created_at', '2026-11-20T10:00:00Z'),
  'das', jsonb_build_object('decimals', 6, 'supply', '1000000000000000', 'mint_authority', null,
    'freeze_authority', null, 'name', 'New Token', 'symbol', 'NEW')
)));
select results_eq(
  $$ select verdict::text, verdict_reasons, failed_sources, liquidity_usd, decimals, symbol,
       lookup_claimed_until is null
     from walltrack.tokens where mint = 'MintNewRT1111111111111111111111111111111111' $$,
  $$ values ('unknown', array['rugcheck_unknown'], array['rugcheck'], 84000.5::numeric,
       6::smallint, 'NEW', true) $$,
  'one source down: the others are stored, its facts stay unknown, the claim is released'
);
select is(
  walltrack.token_gate('MintNewRT1111111111111111111111111111111111'), 'token_unknown',
  'and a buy follows the fail-closed setting'
);
update walltrack.config set unknown_token_policy = 'fail_open';
select is(
  walltrack.token_gate('MintNewRT1111111111111111111111111111111111'), null,
  'fail open copies it anyway'
);

-- token-lookup's plan.
select is(
  api.tokens_to_refresh(array['MintAsk111111111111111111111111111111111111']),
  '{"MintAsk111111111111111111111111111111111111": ["rugcheck", "dexscreener", "das"]}'::jsonb,
  'given mints are refreshed from every source'
);
select is(
  api.tokens_to_refresh(array['MintAsk111111111111111111111111111111111111']), '{}'::jsonb,
  'and claimed while the refresh runs'
);
select tests.safe_token('MintKept11111111111111111111111111111111111');
select tests.as_engine($$
  insert into walltrack.positions (wallet_id, token_mint, token_decimals, mode)
  select id, 'MintKept11111111111111111111111111111111111', 6, 'simulation'
  from walltrack.wallets where label = 'whale-alpha'
$$);
update walltrack.tokens set market_fetched_at = now() - interval '10 minutes'
where mint = 'MintKept11111111111111111111111111111111111';
select is(
  api.tokens_to_refresh() -> 'MintKept11111111111111111111111111111111111',
  '["dexscreener"]'::jsonb,
  'the schedule refreshes the due facts of a token held in a live position'
);
select is(
  api.tokens_to_refresh() ? 'MintV111111111111111111111111111111111111111', false,
  'and leaves tokens not in play alone'
);

-- Recorded facts (a replay's log) are loaded as observed: a source that had answered counts
-- as answered now, one that never did stays unknown, and the verdict is judged on them.
select is(
  api.load_token_facts(jsonb_build_array(
    jsonb_build_object('mint', 'MintRecorded1111111111111111111111111111111', 'symbol', 'REC',
      'decimals', 6, 'rugged', true, 'risks', '[]'::jsonb, 'failed_sources', '{}'::text[],
      'rugcheck_fetched_at', '2026-01-01T00:00:00Z', 'fetched_at', '2026-01-01T00:00:00Z'),
    jsonb_build_object('mint', 'MintRecordedNoFacts11111111111111111111111', 'risks', '[]'::jsonb,
      'failed_sources', '{}'::text[])
  )),
  2, 'two recorded tokens are loaded'
);
select results_eq(
  $$ select mint::text, verdict::text, rugcheck_fetched_at = now(), market_fetched_at is null
     from walltrack.tokens where mint like 'MintRecorded%' order by mint $$,
  $$ values ('MintRecorded1111111111111111111111111111111', 'unsafe', true, true),
            ('MintRecordedNoFacts11111111111111111111111', 'unknown', null, true) $$,
  'each source that had answered counts as fetched now; the verdict is judged on the facts'
);
select throws_ok(
  $$ select api.load_token_facts('[{"mint": "not a mint", "risks": [], "failed_sources": []}]') $$,
  '23514', null, 'a recorded token that is not a mint is refused'
);

-- A batch of facts holding one token that cannot be stored: the others are stored, the bad
-- one keeps its old facts and is a fault.
select lives_ok(
  $$ select api.store_token_facts(jsonb_build_array(
       jsonb_build_object('mint', 'MintGood1111111111111111111111111111111111',
         'dexscreener', jsonb_build_object('liquidity_usd', '90000', 'market_cap_usd', '500000',
           'price_sol', '0.000002')),
       jsonb_build_object('mint', 'MintNaN11111111111111111111111111111111111',
         'dexscreener', jsonb_build_object('liquidity_usd', 'NaN', 'market_cap_usd', '500000')),
       jsonb_build_object('mint', 'MintDec11111111111111111111111111111111111',
         'das', jsonb_build_object('decimals', 99)),
       jsonb_build_object('mint', 'MintText1111111111111111111111111111111111',
         'dexscreener', jsonb_build_object('liquidity_usd', 'plenty'))
     )) $$,
  'a batch of token facts holding nonsense still stores'
);
select is(
  (select liquidity_usd from walltrack.tokens where mint = 'MintGood1111111111111111111111111111111111'),
  90000::numeric, 'the good token''s facts are stored'
);
select is(
  (select count(*)::integer from walltrack.tokens where mint in (
    'MintNaN11111111111111111111111111111111111', 'MintDec11111111111111111111111111111111111',
    'MintText1111111111111111111111111111111111')),
  0, 'the tokens whose facts could not be stored are left as they were (here: unknown)'
);
select results_eq(
  $$ select subject, sqlstate from walltrack.faults where source = 'store_token_facts'
     order by subject $$,
  $$ values ('token MintDec11111111111111111111111111111111111', '23514'),
            ('token MintNaN11111111111111111111111111111111111', '23514'),
            ('token MintText1111111111111111111111111111111111', '22P02') $$,
  'each is a fault naming the token and the error'
);
select throws_ok(
  $$ update walltrack.tokens set price_sol = 'Infinity'
     where mint = 'MintGood1111111111111111111111111111111111' $$,
  '23514',
  'tokens numbers must be finite: NaN and Infinity are not amounts (got price_sol = Infinity)',
  'a token''s numbers are finite'
);

select throws_ok(
  $$ update walltrack.tokens set lookup_claimed_until = now() + interval '1 year'
     where mint = 'MintGood1111111111111111111111111111111111' $$,
  '23514',
  'token facts are dated by the lookups that fetch them: fetched_at, rugcheck_fetched_at, '
  || 'market_fetched_at, authorities_checked_at, lookup_claimed_until, price_at and '
  || 'verdict_at cannot be ahead of the database clock',
  'a lookup claim far ahead is refused: every delivery buying the token would wait on it'
);
select throws_ok(
  $$ update walltrack.tokens set rugcheck_fetched_at = 'infinity'
     where mint = 'MintGood1111111111111111111111111111111111' $$,
  '23514', null, 'and so are facts dated ahead: they would never go stale'
);

select throws_ok(
  $$ insert into walltrack.tokens (mint) values ('MintGood1111111111111111111111111111111111') $$,
  '23514', 'token MintGood1111111111111111111111111111111111 is cached already',
  'a second row for a cached mint is refused in words'
);
select throws_ok(
  $$ update walltrack.tokens set mint = 'MintNext1111111111111111111111111111111111'
     where mint = 'MintGood1111111111111111111111111111111111' $$,
  '23514', 'a token row caches one mint: MintGood1111111111111111111111111111111111 cannot '
  || 'become MintNext1111111111111111111111111111111111',
  'a token row never changes mint'
);
select throws_ok(
  $$ delete from walltrack.tokens where mint = 'MintKept11111111111111111111111111111111111' $$,
  '23514', 'token MintKept11111111111111111111111111111111111 is held by a position: its row is kept',
  'the row of a token a position holds is kept'
);

select * from finish();
rollback;
