-- ADR-001: when the helius-sync function must call Helius, and what it records.
begin;
select plan(12);

create function pg_temp.plan(webhook_url text, transaction_types text[] default array[
  'SWAP', 'TRANSFER', 'UNKNOWN'
]) returns jsonb language sql as $$
  select api.helius_sync_plan(webhook_url, transaction_types);
$$;

select is(
  pg_temp.plan('https://hooks.example/helius') ->> 'action', 'create',
  'no webhook yet and active wallets: create it'
);
select is(
  jsonb_array_length(pg_temp.plan('https://hooks.example/helius') -> 'addresses'),
  (select count(*)::integer from walltrack.wallets where status = 'active'),
  'the plan carries the full list of active addresses'
);
select api.helius_sync_done(
  'wh-1', 'https://hooks.example/helius',
  pg_temp.plan('https://hooks.example/helius') ->> 'address_hash'
);
select is(
  pg_temp.plan('https://hooks.example/helius') ->> 'action', 'none',
  'after a push of the same list and URL: no call'
);
select is(
  pg_temp.plan('https://hooks.example/other') ->> 'action', 'wait',
  'a new URL right after a push waits for the interval'
);
update walltrack.wallets set status = 'paused' where label = 'degen-gamma';
select is(
  pg_temp.plan('https://hooks.example/helius') ->> 'action', 'wait',
  'a changed list within the interval waits (one push per 5 minutes at most)'
);
update walltrack.config set helius_synced_at = now() - interval '6 minutes';
select is(
  pg_temp.plan('https://hooks.example/helius') ->> 'action', 'edit',
  'after the interval the changed list is pushed with an edit'
);
select is(
  pg_temp.plan('https://hooks.example/helius') ->> 'webhook_id', 'wh-1',
  'the edit names the existing webhook'
);
update walltrack.wallets set status = 'active' where label = 'degen-gamma';
select is(
  pg_temp.plan('https://hooks.example/helius') ->> 'action', 'none',
  'back to the pushed list: nothing to do'
);

update walltrack.config set helius_synced_at = now() - interval '6 minutes';
select is(
  pg_temp.plan('https://hooks.example/helius', array['UNKNOWN', 'SWAP', 'TRANSFER', 'SWAP'])
    ->> 'action', 'none',
  'the same types in another order, repeated: the same subscription'
);
select is(
  pg_temp.plan('https://hooks.example/helius', array['SWAP']) ->> 'action', 'edit',
  'other transaction types: the webhook is edited like for a new wallet'
);
select throws_like(
  $$ select pg_temp.plan('https://hooks.example/helius', array['swap;drop']) $$,
  '%needs Helius transaction types such as SWAP%', 'a malformed type is refused'
);
select throws_like(
  $$ select pg_temp.plan('https://hooks.example/helius', array[]::text[]) $$,
  '%needs Helius transaction types such as SWAP%', 'no type at all is refused'
);

select * from finish();
rollback;
