-- pg_cron jobs and the maintenance functions they call.
begin;
select plan(8);

select is(
  (select string_agg(jobname || ' | ' || schedule || ' | ' || command, E'\n' order by jobname)
   from cron.job),
  'walltrack-auto-promote | */10 * * * * | select walltrack.auto_promote_candidates()' || E'\n'
  || 'walltrack-breaker-check | * * * * * | select walltrack.check_circuit_breaker()' || E'\n'
  || 'walltrack-decide-waiting | * * * * * | select walltrack.decide_waiting()' || E'\n'
  || 'walltrack-leader-cooldowns | * * * * * | select walltrack.resume_leaders_after_cooldown()'
  || E'\n'
  || 'walltrack-performance-refresh | 7 3 * * * | select walltrack.refresh_performance()' || E'\n'
  || 'walltrack-purge-price-history | 27 * * * * | select walltrack.purge_price_history()'
  || E'\n'
  || 'walltrack-purge-tokens | 17 * * * * | select walltrack.purge_expired_tokens()' || E'\n'
  || 'walltrack-release-leases | * * * * * | select walltrack.release_expired_leases()' || E'\n'
  || 'walltrack-remeasure-baselines | 37 3 * * * | select walltrack.remeasure_baselines()'
  || E'\n'
  || 'walltrack-scheduled-alerts | * * * * * | select walltrack.raise_scheduled_alerts()',
  'each job calls one function on its schedule'
);

-- Leases: a pending order's expired claim is freed; a submitted one waits for reconciliation.
create temporary table fixture as select tests.new_position(tests.new_wallet()) as position_id;
select tests.new_order(position_id, 'lease-pending') from fixture;
select tests.new_order(position_id, 'lease-live') from fixture;
select tests.new_order(position_id, 'lease-submitted') from fixture;
update walltrack.orders set lease_owner = 'worker-1', lease_until = now() - interval '1 minute'
where idempotency_key in ('lease-pending', 'lease-submitted');
update walltrack.orders set lease_owner = 'worker-2', lease_until = now() + interval '1 minute'
where idempotency_key = 'lease-live';
update walltrack.orders set status = 'submitted', attempts = 1, submitted_at = now(),
  tx_signature = repeat('4', 88)
where idempotency_key = 'lease-submitted';
select is(walltrack.release_expired_leases(), 1, 'one expired lease is released');
select results_eq(
  $$ select idempotency_key, lease_owner from walltrack.orders
     where idempotency_key like 'lease-%' order by idempotency_key $$,
  $$ values ('lease-live', 'worker-2'), ('lease-pending', null), ('lease-submitted', 'worker-1') $$,
  'a live lease and a submitted order''s lease are kept'
);

-- Token cache purge.
insert into walltrack.tokens (mint, expires_at, rugged, manual_list) values
  ('MintGone11111111111111111111111111111111111', now() - interval '2 days', false, null),
  ('MintFresh1111111111111111111111111111111111', now() - interval '1 hour', false, null),
  ('MintRugged111111111111111111111111111111111', now() - interval '2 days', true, null),
  ('MintListed111111111111111111111111111111111', now() - interval '2 days', false, 'blacklist');
update walltrack.tokens set expires_at = now() - interval '2 days'
where mint = 'TestMint1111111111111111111111111111111111';
select is(walltrack.purge_expired_tokens(), 1, 'one token row is purged');
select ok(
  not exists (select from walltrack.tokens where mint = 'MintGone11111111111111111111111111111111111'),
  'the row expired for a day that nothing needs'
);
select is(
  (select count(*) from walltrack.tokens where mint in (
    'MintFresh1111111111111111111111111111111111', 'MintRugged111111111111111111111111111111111',
    'MintListed111111111111111111111111111111111', 'TestMint1111111111111111111111111111111111'
  )), 4::bigint,
  'recently expired, rugged, listed and held tokens stay'
);
select lives_ok($$ select api.check_circuit_breaker() $$, 'the breaker check job''s call runs');
select lives_ok($$ select walltrack.refresh_performance() $$, 'the refresh job''s call runs');

select * from finish();
rollback;
