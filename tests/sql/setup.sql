-- Test-only helpers, installed by scripts/test.sh into the throwaway test cluster before
-- pg_prove runs the *.test.sql files. Never part of supabase/migrations/.
create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role;

create or replace function tests.act_as(persona text)
returns void
language plpgsql
set search_path = ''
as $$
-- Switch the transaction to a PostgREST persona: the role and the JWT claims a request
-- with that key would carry. The local postgres role is a superuser and bypasses RLS,
-- so access tests must switch role, not only claims.
begin
  perform set_config('request.jwt.claims', json_build_object('role', persona)::text, true);
  execute format('set local role %I', persona);
end;
$$;
grant execute on function tests.act_as(text) to anon, authenticated, service_role;

create or replace function tests.act_as_operator()
returns void
language plpgsql
set search_path = ''
as $$
-- Back to the operator (Studio's postgres role) after tests.act_as.
begin
  perform set_config('request.jwt.claims', '', true);
  reset role;
end;
$$;
grant execute on function tests.act_as_operator() to anon, authenticated, service_role;

create or replace function tests.new_wallet(label text default 'test wallet')
returns bigint
language sql
set search_path = ''
as $$
  -- A wallet with a fresh valid address (base58 has no 0, O, I or l).
  insert into walltrack.wallets (address, label)
  values (
    left('Wa' || translate(md5(random()::text) || md5(random()::text), '0l', 'zk'), 44),
    label
  )
  returning id;
$$;

create or replace function tests.as_engine(statement text)
returns void
language plpgsql
set search_path = ''
as $$
-- Runs a fixture statement the way WallTrack's own functions write (the engine-write mark
-- on), for a test that stages a position, an order, a fill or a breaker trip directly.
declare
  previous text := walltrack.begin_engine_write();
begin
  execute statement;
  perform walltrack.end_engine_write(previous);
end;
$$;

create or replace function tests.new_position(wallet_id bigint)
returns bigint
language plpgsql
set search_path = ''
as $$
-- An opening position in a known test token for the given wallet.
declare
  previous text := walltrack.begin_engine_write();
  position_id bigint;
begin
  insert into walltrack.tokens (mint, symbol, decimals)
  values ('TestMint1111111111111111111111111111111111', 'TEST', 6)
  on conflict (mint) do nothing;
  insert into walltrack.positions (wallet_id, token_mint, token_decimals, mode)
  values (new_position.wallet_id, 'TestMint1111111111111111111111111111111111', 6, 'simulation')
  returning id into position_id;
  perform walltrack.end_engine_write(previous);
  return position_id;
end;
$$;

create or replace function tests.new_order(position_id bigint, idempotency_key text)
returns bigint
language plpgsql
set search_path = ''
as $$
-- A pending simulated copy-entry order spending 0.1 SOL on the test token.
declare
  previous text := walltrack.begin_engine_write();
  order_id bigint;
begin
  insert into walltrack.orders (
    position_id, side, reason, mode, input_mint, output_mint, amount_in, slippage_bps,
    idempotency_key, max_attempts
  ) values (
    new_order.position_id, 'buy', 'copy_entry', 'simulation',
    'So11111111111111111111111111111111111111112', 'TestMint1111111111111111111111111111111111',
    100000000, 100, new_order.idempotency_key, 3
  )
  returning id into order_id;
  perform walltrack.end_engine_write(previous);
  return order_id;
end;
$$;

create or replace function tests.signature(seed text)
returns text
language sql
immutable
set search_path = ''
as $$
  -- A well-formed 88-character transaction signature derived from a readable seed (the
  -- characters base58 lacks are swapped for ones it has).
  select rpad('Sig' || translate(seed, '-_0OIl ', 'xyzabcd'), 88, '1');
$$;

create or replace function tests.swap_tx(
  seed text, wallet text, side text, token_mint text, token_amount numeric,
  quote_amount numeric, seconds_after integer default 0,
  quote_mint text default 'So11111111111111111111111111111111111111112',
  token_decimals integer default 6
)
returns jsonb
language sql
stable
set search_path = ''
as $$
  -- One normalised transaction, as the helius-webhook function sends it to ingest_swaps.
  select jsonb_build_object(
    'signature', tests.signature(seed),
    'slot', 300000000 + seconds_after,
    'timestamp', 1764300000 + seconds_after,
    'source', 'JUPITER',
    'tx_error', null,
    'fee_payer', wallet,
    'accounts', jsonb_build_array(wallet),
    'swaps', jsonb_build_array(jsonb_build_object(
      'wallet', wallet, 'side', side, 'token_mint', token_mint,
      'token_amount', token_amount::text, 'token_decimals', token_decimals,
      'quote_mint', quote_mint, 'quote_amount', quote_amount::text,
      'quote_decimals', case when quote_mint like 'So111%' then 9 else 6 end
    )),
    'raw', jsonb_build_object('signature', tests.signature(seed), 'type', 'SWAP')
  );
$$;

create or replace function tests.safe_token(mint text, decimals integer default 6)
returns void
language plpgsql
set search_path = ''
as $$
-- A token whose facts were just fetched and pass every default filter: authorities
-- revoked, deep and old pool, low RugCheck risk. Written as the lookups write (an upsert,
-- with the engine-write mark).
declare
  previous text := walltrack.begin_engine_write();
begin
  insert into walltrack.tokens (
    mint, symbol, decimals, authorities_checked_at, rugcheck_score_normalised,
    top10_holders_pct, rugged, rugcheck_fetched_at, liquidity_usd, market_cap_usd,
    pair_created_at, market_fetched_at, fetched_at
  )
  values (
    safe_token.mint, 'SAFE', safe_token.decimals, walltrack.clock(), 10, 20, false, walltrack.clock(), 250000, 2000000,
    walltrack.clock() - interval '3 days', walltrack.clock(), walltrack.clock()
  )
  on conflict on constraint tokens_pkey do update
  set authorities_checked_at = walltrack.clock(), rugcheck_fetched_at = walltrack.clock(), market_fetched_at = walltrack.clock(),
    fetched_at = walltrack.clock();
  perform walltrack.end_engine_write(previous);
  perform walltrack.rejudge_tokens(array[safe_token.mint]);
end;
$$;

-- The fixtures' swaps are dated November 2025 (tests.swap_tx): judged by the wall clock
-- every buy would be stale. The copy-delay rule is tested on its own, with fresh times
-- (10_copy_decisions.test.sql).
update walltrack.config set max_copy_delay_seconds = null;
