-- helius_sync_types
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.


-- The Helius subscription is the active addresses AND the transaction types (issue 14: swaps
-- on new venues arrive typed TRANSFER or UNKNOWN). A change of types is pushed like a new
-- wallet; an existing deployment's stored hash (addresses only) differs, so the new default
-- is pushed once.

drop function api.helius_sync_plan(text);
drop function walltrack.helius_sync_plan(text);

create function walltrack.helius_sync_plan(webhook_url text, transaction_types text[])
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
      when c.helius_synced_at > now() - make_interval(mins => c.helius_sync_interval_minutes)
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
comment on function walltrack.helius_sync_plan(text, text[]) is
'What the helius-sync function must do now (none, wait, create, edit), the full list of '
'active addresses, and the hash of the subscription (addresses and transaction types).';
grant execute on function walltrack.helius_sync_plan(text, text[]) to service_role;

create function api.helius_sync_plan(webhook_url text, transaction_types text[])
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select walltrack.helius_sync_plan(webhook_url, transaction_types);
$$;
comment on function api.helius_sync_plan(text, text[]) is
'RPC of walltrack.helius_sync_plan, for the helius-sync function.';
grant execute on function api.helius_sync_plan(text, text[]) to service_role;

create or replace function walltrack.active_wallets_hash()
returns text
language sql
stable
set search_path = ''
as $$
  -- ADR-001: the Helius sync's subscription hash covers it (see helius_sync_plan).
  select md5(coalesce(string_agg(w.address, ',' order by w.address), ''))
  from walltrack.wallets as w
  where w.status = 'active';
$$;
comment on function walltrack.active_wallets_hash() is
'Hash of the sorted active wallet addresses, part of the Helius subscription hash '
'(helius_sync_plan, ADR-001).';

comment on column walltrack.config.helius_synced_hash is
'Hash of the subscription last pushed (active addresses and transaction types); a different '
'current hash means a sync is due.';
