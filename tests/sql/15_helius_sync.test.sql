-- ADR-001: when the helius-sync function must call Helius, and what it records.
begin;
select plan(8);

select is(
  api.helius_sync_plan('https://hooks.example/helius') ->> 'action', 'create',
  'no webhook yet and active wallets: create it'
);
select is(
  jsonb_array_length(api.helius_sync_plan('https://hooks.example/helius') -> 'addresses'),
  (select count(*)::integer from walltrack.wallets where status = 'active'),
  'the plan carries the full list of active addresses'
);
select api.helius_sync_done(
  'wh-1', 'https://hooks.example/helius',
  api.helius_sync_plan('https://hooks.example/helius') ->> 'address_hash'
);
select is(
  api.helius_sync_plan('https://hooks.example/helius') ->> 'action', 'none',
  'after a push of the same list and URL: no call'
);
select is(
  api.helius_sync_plan('https://hooks.example/other') ->> 'action', 'wait',
  'a new URL right after a push waits for the interval'
);
update walltrack.wallets set status = 'paused' where label = 'degen-gamma';
select is(
  api.helius_sync_plan('https://hooks.example/helius') ->> 'action', 'wait',
  'a changed list within the interval waits (one push per 5 minutes at most)'
);
update walltrack.config set helius_synced_at = now() - interval '6 minutes';
select is(
  api.helius_sync_plan('https://hooks.example/helius') ->> 'action', 'edit',
  'after the interval the changed list is pushed with an edit'
);
select is(
  api.helius_sync_plan('https://hooks.example/helius') ->> 'webhook_id', 'wh-1',
  'the edit names the existing webhook'
);
update walltrack.wallets set status = 'active' where label = 'degen-gamma';
select is(
  api.helius_sync_plan('https://hooks.example/helius') ->> 'action', 'none',
  'back to the pushed list: nothing to do'
);

select * from finish();
rollback;
