-- Token refresh: the cache's upkeep. Which cached facts to refetch (the tokens in play:
-- held by a live position or just signalled) and which expired rows to purge. It reads
-- positions and signals, so it comes after them.

create function walltrack.tokens_to_refresh(
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
comment on function walltrack.tokens_to_refresh(text[], integer, numeric) is
'Tokens the token-lookup function must refresh ({mint: [sources]}): the given mints from '
'every source, or the due facts of tokens in play. Claims them.';
grant execute on function walltrack.tokens_to_refresh(text[], integer, numeric) to service_role;

create function walltrack.purge_expired_tokens()
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
comment on function walltrack.purge_expired_tokens() is
'Deletes token cache rows expired for a day that no position, list or rug verdict needs.';
