-- pg_cron jobs, each calling one function. pg_cron runs them in this database as the
-- migration's role; hosted Supabase enables the extension the same way.

create extension if not exists pg_cron with schema pg_catalog;
grant usage on schema cron to postgres;

create function walltrack.release_expired_leases()
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
  where o.status = 'pending' and o.lease_until < now();
  get diagnostics released = row_count;
  return released;
end;
$$;
comment on function walltrack.release_expired_leases() is
'Frees pending orders whose worker lease expired (submitted ones wait for reconciliation).';

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
    t.expires_at < now() - interval '1 day'
    and t.manual_list is null and not coalesce(t.rugged, false)
    and not exists (select from walltrack.positions as p where p.token_mint = t.mint);
  get diagnostics purged = row_count;
  return purged;
end;
$$;
comment on function walltrack.purge_expired_tokens() is
'Deletes token cache rows expired for a day that no position, list or rug verdict needs.';

select cron.schedule('walltrack-breaker-check', '* * * * *', 'select api.check_circuit_breaker()');
select cron.schedule(
  'walltrack-release-leases', '* * * * *', 'select walltrack.release_expired_leases()'
);
select cron.schedule(
  'walltrack-purge-tokens', '17 * * * *', 'select walltrack.purge_expired_tokens()'
);
select cron.schedule(
  'walltrack-performance-refresh', '7 3 * * *', 'select walltrack.refresh_performance()'
);

-- Rollback:
-- select cron.unschedule('walltrack-performance-refresh');
-- select cron.unschedule('walltrack-purge-tokens');
-- select cron.unschedule('walltrack-release-leases');
-- select cron.unschedule('walltrack-breaker-check');
-- drop function walltrack.purge_expired_tokens();
-- drop function walltrack.release_expired_leases();
