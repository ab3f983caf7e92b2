-- decisions_hand_their_live_orders_claimed
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

-- The live orders a decision creates come back claimed for the caller's worker (the webhook,
-- token-lookup): they go to execution without a round trip to read them back.

drop function api.ingest_swaps(jsonb, boolean, numeric);
drop function api.complete_token_lookup(jsonb);
drop function walltrack.ingest_swaps(jsonb, boolean, numeric);
drop function walltrack.complete_token_lookup(jsonb);
drop function walltrack.decision_report(bigint[]);

create function walltrack.decision_report(decided_ids bigint[], worker text default null)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- What the caller acts on: each decision, in decision order, and the live orders they
-- created (to execute at once). Given the caller's worker name, those orders come already
-- claimed for it (claimed_orders): the caller executes them without reading them back.
-- PL/pgSQL for its prepared plan, as insert_signals.
declare
  live_orders bigint[] := array(
    select o.id from walltrack.orders as o
    where o.signal_id = any(decided_ids) and o.mode = 'live' and o.status = 'pending'
    order by o.id
  );
begin
  return jsonb_build_object(
    'decisions', (
      select coalesce(jsonb_agg(jsonb_build_object(
        'signal_id', s.id, 'signature', s.signature, 'token_mint', s.token_mint,
        'decision', s.decision, 'reason', s.decision_reason, 'order_id', s.order_id
      ) order by d.ordinality), '[]')
      from unnest(decided_ids) with ordinality as d(signal_id, ordinality)
      inner join walltrack.signals as s on s.id = d.signal_id
    ),
    'live_orders', to_jsonb(live_orders),
    'claimed_orders', case
      when worker is not null and cardinality(live_orders) > 0
        then walltrack.claim_orders(worker, live_orders, cardinality(live_orders))
      else '[]'::jsonb
    end
  );
end;
$$;
comment on function walltrack.decision_report(bigint[], text) is
'{decisions, live_orders, claimed_orders} of the given decided signals; the live orders are '
'claimed for the given worker (none without one).';
grant execute on function walltrack.decision_report(bigint[], text) to service_role;

create function walltrack.ingest_swaps(
  transactions jsonb, fetch_tokens boolean default false, claim_seconds numeric default 15,
  worker text default null
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
  new_ids := walltrack.record_swaps(transactions);
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
comment on function walltrack.ingest_swaps(jsonb, boolean, numeric, text) is
'Records a normalised Helius delivery as signals (idempotent on signature, wallet, mint) and '
'decides each new one, or with fetch_tokens leaves pending the buys whose token facts must '
'be fetched first (tokens_to_fetch, claimed). Returns decisions, pending signal ids and the '
'live orders to execute (claimed for the worker, if one is given).';
grant execute on function walltrack.ingest_swaps(jsonb, boolean, numeric, text) to service_role;

create function walltrack.complete_token_lookup(facts jsonb, worker text default null)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- A lookup's end: its facts stored (releasing the claim) and the buys that waited on them
-- decided, under the decisions' lock so no delivery decides in between; their live orders
-- come claimed for the worker, if one is given.
declare
  verdicts jsonb;
  decided_ids bigint[];
begin
  perform pg_advisory_xact_lock(hashtext('walltrack.ingest_swaps'));
  verdicts := walltrack.store_token_facts(facts);
  decided_ids := walltrack.decide_signals(array(
    select s.id from walltrack.signals as s
    where s.decision is null and s.token_mint in (
      select f.value ->> 'mint' from jsonb_array_elements(facts) as f
      where jsonb_typeof(f.value) = 'object'
    )
  ), true);
  return walltrack.decision_report(decided_ids, worker)
    || jsonb_build_object('verdicts', verdicts);
end;
$$;
comment on function walltrack.complete_token_lookup(jsonb, text) is
'Stores a lookup''s token facts and decides the signals that waited on them; returns '
'{verdicts, decisions, live_orders, claimed_orders}.';
grant execute on function walltrack.complete_token_lookup(jsonb, text) to service_role;

create function api.ingest_swaps(
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
'RPC of walltrack.ingest_swaps, for the helius-webhook function and the replay.';
grant execute on function api.ingest_swaps(jsonb, boolean, numeric, text) to service_role;

create function api.complete_token_lookup(facts jsonb, worker text default null)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.complete_token_lookup(facts, worker);
$$;
comment on function api.complete_token_lookup(jsonb, text) is
'RPC of walltrack.complete_token_lookup, for the webhook''s and token-lookup''s lookups.';
grant execute on function api.complete_token_lookup(jsonb, text) to service_role;
