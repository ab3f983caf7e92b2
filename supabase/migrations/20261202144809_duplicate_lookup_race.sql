-- duplicate_lookup_race
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

-- A duplicate delivery arriving while the first is looking its token up waits for that
-- lookup instead of deciding token_not_checked for good (04_tokens.sql, 10_copy_decisions.sql).

create function walltrack.tokens_bought(swaps jsonb)
returns text[]
language sql
stable
set search_path = ''
as $$
  -- The tokens active watched wallets buy in a delivery's swaps: those a decision needs.
  select coalesce(array_agg(distinct s.value ->> 'token_mint'), '{}')
  from jsonb_array_elements(swaps) as s
  inner join walltrack.wallets as w
    on w.address = s.value ->> 'wallet' and w.status = 'active'
  where s.value ->> 'side' = 'buy';
$$;
comment on function walltrack.tokens_bought(jsonb) is
'The tokens bought by active watched wallets in a delivery''s normalised swaps.';
grant execute on function walltrack.tokens_bought(jsonb) to service_role;

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
begin
  select c.* into strict cfg from walltrack.config as c;
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

create function walltrack.tokens_in_flight(swaps jsonb)
returns jsonb
language sql
stable
set search_path = ''
as $$
  -- Tokens a delivery buys whose facts another request is fetching right now (claimed by
  -- tokens_to_fetch, still due): deciding before that lookup ends would refuse the buy as
  -- token_not_checked, where a single delivery would have judged it on its facts.
  select coalesce(jsonb_agg(t.mint order by t.mint), '[]')
  from walltrack.tokens as t
  cross join walltrack.config as c
  where
    t.mint = any(walltrack.tokens_bought(swaps))
    and t.lookup_claimed_until > now()
    and cardinality(walltrack.token_sources_due(t, c)) > 0;
$$;
comment on function walltrack.tokens_in_flight(jsonb) is
'Tokens bought in a delivery whose lookup another request has claimed and not finished.';
grant execute on function walltrack.tokens_in_flight(jsonb) to service_role;

create or replace function walltrack.ingest_delivery(transactions jsonb, fetch_tokens boolean)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- The read-through entry: with fetch_tokens, a delivery whose bought tokens lack fresh
-- facts is not stored yet: the answer names the sources to fetch (and claims them), the
-- caller stores the facts and calls again without fetch_tokens. A token another request is
-- looking up is named in tokens_in_flight, and nothing is stored: the caller asks again
-- once that lookup has ended (a duplicate then finds its signals stored, decided once).
-- When the cache answers for every token, it is one round trip.
declare
  swaps jsonb;
  wanted jsonb;
  in_flight jsonb;
begin
  if fetch_tokens then
    swaps := (
      select coalesce(jsonb_agg(s.value), '[]')
      from jsonb_array_elements(transactions) as t
      cross join lateral jsonb_array_elements(coalesce(t.value -> 'swaps', '[]')) as s
    );
    wanted := walltrack.tokens_to_fetch(swaps);
    if wanted <> '{}' then
      return jsonb_build_object('tokens_to_fetch', wanted);
    end if;
    in_flight := walltrack.tokens_in_flight(swaps);
    if in_flight <> '[]' then
      return jsonb_build_object('tokens_in_flight', in_flight);
    end if;
  end if;
  return walltrack.ingest_swaps(transactions);
end;
$$;
comment on function walltrack.ingest_delivery(jsonb, boolean) is
'ingest_swaps behind the token read-through: returns {tokens_to_fetch} (claimed) instead '
'of storing when a bought token lacks fresh facts and fetch_tokens is true, or '
'{tokens_in_flight} while another request is fetching them.';
