-- History backfill: watermarks, walks in pages, what the webhook missed stored once as found
-- by backfill, a late buy stale and a late sell still mirrored.
begin;
select plan(14);

create temporary table bw as select tests.new_wallet('backfilled leader') as id;
insert into bw (id) select tests.new_wallet('never read leader');
update walltrack.wallets set copy_sells = true where id in (select id from bw);
create temporary table bwa as
select
  (select w.address from walltrack.wallets as w where w.id = (select min(id) from bw)) as read,
  (select w.address from walltrack.wallets as w where w.id = (select max(id) from bw)) as fresh;
select tests.safe_token('MintBackfi11111111111111111111111111111111');
select tests.safe_token('MintBackfi22222222222222222222222222222222');

create function pg_temp.page(
  address text, txs jsonb, newest text, oldest text, complete boolean
) returns jsonb language sql as $$
  select api.record_backfill_page(address, txs,
    case when newest is not null then jsonb_build_object('signature', tests.signature(newest),
      'slot', 42) end,
    tests.signature(oldest), complete);
$$;
create function pg_temp.history(address text) returns text[] language sql as $$
  select array[w.history_until_signature, w.history_walk_before, w.history_walk_top_signature]
  from walltrack.wallets as w where w.address = history.address;
$$;

-- The webhook copies a buy of the leader as it happens (the fixtures' times are old: the
-- copy delay applies from the outage on).
create temporary table copied as
select api.ingest_swaps(jsonb_build_array(tests.swap_tx('webhook-buy', (select read from bwa),
  'buy', 'MintBackfi11111111111111111111111111111111', 1000000000, 1000000000))) as report;
update walltrack.config set max_copy_delay_seconds = 20;

select is(
  (select jsonb_agg(p.value ->> 'address' order by p.ordinality)
   from jsonb_array_elements(api.backfill_plan(1000)) with ordinality as p
   where p.value ->> 'address' in (select read from bwa union all select fresh from bwa)),
  jsonb_build_array((select read from bwa), (select fresh from bwa)),
  'the plan lists the wallets never read, in order'
);

-- A wallet never read: its first page sets the watermark at its newest transaction and
-- stores nothing (WallTrack copies from when it starts watching).
select is(
  pg_temp.page((select fresh from bwa), jsonb_build_array(tests.swap_tx('old-history',
    (select fresh from bwa), 'buy', 'MintBackfi22222222222222222222222222222222', 1, 1)),
    'old-history', 'old-history', false) ->> 'new_signals',
  '0', 'the first page of a wallet never read stores nothing'
);
select is(
  pg_temp.history((select fresh from bwa)),
  array[tests.signature('old-history'), null, null],
  'and starts its watermark at its newest transaction'
);
create temporary table watermarked as
select pg_temp.page((select read from bwa), '[]', 'watermark', 'watermark', true) as report;

-- An outage: the webhook missed a sell and a buy. The walk's first page finds them.
create temporary table first_page as
select pg_temp.page((select read from bwa), jsonb_build_array(
  tests.swap_tx('missed-sell', (select read from bwa), 'sell',
    'MintBackfi11111111111111111111111111111111', 1000000000, 1200000000, 100),
  tests.swap_tx('missed-buy', (select read from bwa), 'buy',
    'MintBackfi22222222222222222222222222222222', 1000000000, 1000000000, 50)
), 'missed-sell', 'missed-buy', false) as report;
select is(
  (select array_agg(s.decision_reason || ' ' || s.found_by order by s.slot)
   from walltrack.signals as s
   where s.signature in (tests.signature('missed-sell'), tests.signature('missed-buy'))),
  array['stale backfill', 'mirror_sell backfill'],
  'the missed buy is decided stale and the missed sell still mirrors, both found by backfill'
);
select is(
  (select p.status::text || ' ' || p.close_reason from walltrack.positions as p
   inner join walltrack.signals as s on s.position_id = p.id
   where s.signature = tests.signature('missed-sell')),
  'closed mirror_sell', 'the mirror sell closes the position the leader left'
);
select is(
  pg_temp.history((select read from bwa)),
  array[tests.signature('watermark'), tests.signature('missed-buy'),
    tests.signature('missed-sell')],
  'an unfinished walk keeps the watermark and remembers where it resumes and its newest'
);
select is(
  (select p ->> 'before' from jsonb_array_elements(api.backfill_plan(1000)) as p
   where p ->> 'address' = (select read from bwa)),
  tests.signature('missed-buy'), 'the plan resumes the walk where it stopped'
);

-- The next page reaches the watermark: what the webhook already stored is not stored again.
select is(
  pg_temp.page((select read from bwa), jsonb_build_array(tests.swap_tx('webhook-buy',
    (select read from bwa), 'buy', 'MintBackfi11111111111111111111111111111111', 1000000000,
    1000000000)), null, 'webhook-buy', true) ->> 'new_signals',
  '0', 'a transaction the webhook stored is not stored again'
);
select is(
  (select s.found_by::text || ' ' || s.decision_reason from walltrack.signals as s
   where s.signature = tests.signature('webhook-buy')),
  'webhook copied', 'and keeps who found it and its decision'
);
select is(
  pg_temp.history((select read from bwa)),
  array[tests.signature('missed-sell'), null, null],
  'a finished walk moves the watermark to the newest transaction it read'
);
select isnt(
  api.backfill_plan(1) -> 0 ->> 'address', (select read::text from bwa),
  'and the wallets not read yet come before it in the plan'
);

-- Guards.
select throws_ok(
  $$ update walltrack.wallets set history_until_signature = null
     where address = (select read from bwa) $$,
  '23514', null, 'the watermark cannot be edited by hand'
);
select throws_ok(
  $$ update walltrack.signals set found_by = 'webhook'
     where signature = tests.signature('missed-sell') $$,
  '23001', null, 'nor who found a signal'
);
select throws_ok(
  $$ select api.record_backfill_page('Unknown1111111111111111111111111111111111111', '[]',
     null, null, true) $$,
  '23514', 'wallet Unknown1111111111111111111111111111111111111 is not on the watchlist',
  'a page for a wallet not on the watchlist is refused'
);

select * from finish();
rollback;
