-- History backfill: watermarks, walks in pages, what the webhook missed stored once as found
-- by backfill, a late buy stale and a late sell still mirrored.
begin;
select plan(23);

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
   from jsonb_array_elements(api.backfill_plan(1000) -> 'wallets') with ordinality as p
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

-- A webhook silent for config.webhook_silence_minutes is a gap the database sees: a wallet
-- read before the silence began is due, though its backfill interval has not passed.
create function pg_temp.due(address text) returns boolean language sql as $$
  select exists(select from jsonb_array_elements(api.backfill_plan(1000) -> 'wallets') as p
    where p ->> 'address' = due.address);
$$;
select tests.as_engine($$ update walltrack.wallets set history_checked_at = now()
  - interval '20 minutes' where address = (select fresh from bwa) $$);
select is(pg_temp.due((select fresh from bwa)), false,
  'a wallet read 20 minutes ago, the webhook delivering, is not due');
select tests.as_engine($$ insert into walltrack.signals
  (signature, wallet_id, tx_error, raw, received_at)
  select tests.signature('last-delivery'), w.id, 'failed', '{}', now() - interval '16 minutes'
  from walltrack.wallets as w where w.address = (select fresh from bwa) $$);
select is(pg_temp.due((select fresh from bwa)), true,
  'the webhook silent for 16 minutes (over 15): the wallet is due');
select tests.as_engine($$ update walltrack.wallets set history_checked_at = now()
  where address = (select fresh from bwa) $$);

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
  (select p ->> 'before' from jsonb_array_elements(api.backfill_plan(1000) -> 'wallets') as p
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
  api.backfill_plan(1) -> 'wallets' -> 0 ->> 'address', (select read::text from bwa),
  'and the wallets not read yet come before it in the plan'
);

-- When a wallet is due. Both were just read to their end, after the last swap a backfill
-- found: neither is due.
select pg_temp.page((select fresh from bwa), '[]', null, null, true);
select is(
  array[pg_temp.due((select read from bwa)), pg_temp.due((select fresh from bwa))],
  array[false, false], 'a wallet read to its end since the last gap is not due'
);
select ok(
  (api.backfill_plan(1000, every_wallet => true) -> 'wallets') @> jsonb_build_array(
    jsonb_build_object('address', (select read from bwa))),
  'an operator''s read on demand takes every wallet, due or not'
);
select tests.as_engine($$ update walltrack.wallets set history_checked_at = now()
  - interval '61 minutes' where address = (select read from bwa) $$);
select is(
  pg_temp.due((select read from bwa)), true,
  'a wallet read longer ago than backfill_interval_minutes is due'
);
select tests.as_engine($$ update walltrack.wallets set history_checked_at = now()
  - interval '1 minute' where address in (select read from bwa union all select fresh from bwa)
  $$);
select pg_temp.page((select fresh from bwa), jsonb_build_array(tests.swap_tx('fresh-missed',
  (select fresh from bwa), 'buy', 'MintBackfi22222222222222222222222222222222', 5, 5, 200)),
  null, 'fresh-missed', true);
select is(
  pg_temp.due((select read from bwa)), true,
  'a swap the webhook missed, found since a wallet was read, makes that wallet due too'
);
select is(
  (select s.found_by::text from walltrack.signals as s
   where s.signature = tests.signature('fresh-missed')),
  'backfill', 'a wallet read once with an empty history stores what its next read finds'
);
select is(
  (select array[h.swaps_by_webhook, h.swaps_by_backfill, h.missed_since_last_delivery]
   from walltrack.delivery_health as h where h.address = (select read from bwa)),
  array[1, 2, 2]::bigint[],
  'delivery_health counts what each found, and the misses after the last delivery'
);
select is(
  (select array[h.flagged::text, h.backfill_share_pct::text]
   from walltrack.delivery_health as h where h.address = (select read from bwa)),
  array['true', '66.7'], 'and flags the wallet whose swaps only backfill finds'
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
