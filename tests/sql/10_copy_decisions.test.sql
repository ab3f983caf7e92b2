-- Every decision reason of api.ingest_swaps, sizing, idempotency and chain order.
begin;
select plan(72);

create temporary table w as
select
  (select address from walltrack.wallets where label = 'whale-alpha') as whale,
  (select address from walltrack.wallets where label = 'scalper-beta') as scalper,
  (select address from walltrack.wallets where label = 'degen-gamma') as degen;

create function pg_temp.decide(tx jsonb) returns text language sql as $$
  -- The reason of the first decision of a one-transaction delivery.
  select api.ingest_swaps(jsonb_build_array(tx)) #>> '{decisions,0,reason}';
$$;

create function pg_temp.buy(seed text, wallet text, mint text, sol numeric default 1)
returns text language sql as $$
  select pg_temp.decide(tests.swap_tx(seed, wallet, 'buy', mint, 1000000000, sol * 1e9));
$$;

-- Sizing (a pure function of config, the wallet override, the leader's SOL amount and our
-- available SOL), with how it was worked out.
create function pg_temp.size(wallet_sol numeric, leader_sol numeric, available numeric default null)
returns numeric language sql as $$
  select (walltrack.copy_sizing(c, wallet_sol, leader_sol, available) ->> 'size_sol')::numeric
  from walltrack.config as c;
$$;
select is(pg_temp.size(null, 3), 0.1, 'fixed mode spends config.fixed_amount_sol');
select is(pg_temp.size(0.25, 3), 0.25, 'a wallet''s own size wins over config sizing');
update walltrack.config set sizing_mode = 'leader_fraction', leader_fraction = 0.1;
select is(pg_temp.size(null, 3), 0.3, 'leader_fraction spends 10% of the leader''s 3 SOL');
select is(pg_temp.size(null, 50), 1::numeric, 'a copy is capped at max_position_sol');
select is(
  pg_temp.size(null, 0.1234567891234), 0.012345678::numeric,
  'sizes are truncated to whole lamports'
);
select is(
  walltrack.copy_sizing(c, null, 50, null), '{"mode": "leader_fraction", "leader_sol": 50,
    "fraction": 0.1, "raw_sol": 5.0, "capped_at": 1, "size_sol": 1.000000000}'::jsonb,
  'the sizing says how: mode, the leader''s SOL, the fraction, 5 SOL raw, capped at 1'
) from walltrack.config as c;
update walltrack.config set sizing_mode = 'balance_fraction', balance_fraction = 0.05;
select is(pg_temp.size(null, 3, 8.4), 0.42, 'balance_fraction spends 5% of our 8.4 SOL');
select is(pg_temp.size(null, 3, 40), 1::numeric, '5% of 40 SOL is capped at 1');
select is(pg_temp.size(null, 3, -2), 0::numeric, 'a bankroll in the red sizes nothing');
select is(pg_temp.size(null, 3, null), null, 'an unknown balance sizes nothing');
update walltrack.config set sizing_mode = 'tiers', size_tiers =
  '[{"min_leader_sol": 0, "size_sol": 0.05}, {"min_leader_sol": 1, "size_sol": 0.1},
    {"min_leader_sol": 10, "size_sol": 2}]';
select is(
  array[pg_temp.size(null, 0.5), pg_temp.size(null, 1), pg_temp.size(null, 9.99),
    pg_temp.size(null, 25)],
  array[0.05, 0.1, 0.1, 1]::numeric[],
  'tiers: 0.5 SOL buys small, 1 and 9.99 the middle tier, 25 the top one capped at 1'
);
select is(
  walltrack.copy_sizing(c, null, 25, null) -> 'tier', '{"min_leader_sol": 10, "size_sol": 2}',
  'and it names the tier'
) from walltrack.config as c;
select throws_ok(
  $$ update walltrack.config set size_tiers = '[{"min_leader_sol": 1, "size_sol": 0.1}]' $$,
  '23514', null, 'tiers start at a 0 SOL leader trade'
);
select throws_ok(
  $$ update walltrack.config set size_tiers = '[{"min_leader_sol": 0, "size_sol": 0.1},
       {"min_leader_sol": 0, "size_sol": 0.2}]' $$,
  '23514', null, 'each tier starts above the one before'
);
select throws_ok(
  $$ update walltrack.config set size_tiers = '[{"min_leader_sol": 0, "size_sol": 0}]' $$,
  '23514', null, 'a tier spends something'
);
select throws_ok(
  $$ update walltrack.config set size_tiers = '[5]' $$, '23514', null, 'a tier is an object'
);
update walltrack.config set sizing_mode = 'leader_fraction';

-- leader_fraction below the minimum: 10% of 0.05 SOL = 0.005 < 0.01.
select tests.safe_token('MintSafe11111111111111111111111111111111111');
select is(
  pg_temp.buy('tiny', (select whale from w), 'MintSafe11111111111111111111111111111111111', 0.05),
  'below_min_size', 'a copy under config.min_position_sol is skipped'
);
update walltrack.config set sizing_mode = 'fixed';

-- Token gate.
select is(
  pg_temp.buy('unchecked', (select whale from w), 'MintNew111111111111111111111111111111111111'),
  'token_not_checked', 'a token with no safety facts is not bought'
);
insert into walltrack.tokens (mint, fetched_at)
values ('MintExpired11111111111111111111111111111111', now() - interval '2 hours');
select is(
  pg_temp.buy('stale', (select whale from w), 'MintExpired11111111111111111111111111111111'),
  'token_unknown', 'a token looked up without fresh facts is unknown and fails closed'
);
select tests.safe_token('MintBanned11111111111111111111111111111111');
update walltrack.tokens set manual_list = 'blacklist'
where mint = 'MintBanned11111111111111111111111111111111';
select is(
  pg_temp.buy('black', (select whale from w), 'MintBanned11111111111111111111111111111111'),
  'token_blacklisted', 'a blacklisted token is refused even when judged safe'
);
select tests.safe_token('MintRug111111111111111111111111111111111111');
update walltrack.tokens set rugged = true where mint = 'MintRug111111111111111111111111111111111111';
select is(
  pg_temp.buy('rug', (select whale from w), 'MintRug111111111111111111111111111111111111'),
  'token_unsafe', 'a rugged token is unsafe'
);
select tests.safe_token('MintUnk111111111111111111111111111111111111');
update walltrack.tokens set market_fetched_at = now() - interval '1 hour'
where mint = 'MintUnk111111111111111111111111111111111111';
select is(
  pg_temp.buy('unknown', (select whale from w), 'MintUnk111111111111111111111111111111111111'),
  'token_unknown', 'stale market facts are unknown: fail closed by default'
);
update walltrack.tokens set rugged = true, manual_list = 'whitelist'
where mint = 'MintUnk111111111111111111111111111111111111';
select is(
  pg_temp.buy('white', (select whale from w), 'MintUnk111111111111111111111111111111111111'),
  'copied', 'a whitelisted token is bought whatever its verdict'
);
select is(
  pg_temp.buy('holding', (select scalper from w), 'MintUnk111111111111111111111111111111111111'),
  'already_holding', 'a second leader buying the same token is not copied (1 per token)'
);

-- Wallet, switches, breaker, live mode and quote.
update walltrack.wallets set status = 'paused' where label = 'scalper-beta';
select is(
  pg_temp.buy('paused', (select scalper from w), 'MintSafe11111111111111111111111111111111111'),
  'wallet_not_active', 'a paused wallet is not copied'
);
update walltrack.wallets set status = 'active' where label = 'scalper-beta';
update walltrack.config set trading_enabled = false;
select is(
  pg_temp.buy('disabled', (select scalper from w), 'MintSafe11111111111111111111111111111111111'),
  'trading_disabled', 'nothing is bought while trading is disabled'
);
update walltrack.config set trading_enabled = true;
select tests.as_engine($$
  insert into walltrack.circuit_breaker_events (event_type, trigger, threshold, observed)
  values ('activated', 'daily_loss', 2, 2.4)
$$);
select is(
  pg_temp.buy('breaker', (select scalper from w), 'MintSafe11111111111111111111111111111111111'),
  'breaker_active', 'nothing is bought while the breaker is active'
);
insert into walltrack.circuit_breaker_events (event_type, trigger, actor, note)
values ('deactivated', 'manual', 'operator', 'reviewed');
update walltrack.wallets set mode = 'live' where label = 'scalper-beta';
select is(
  pg_temp.buy('live', (select scalper from w), 'MintSafe11111111111111111111111111111111111'),
  'live_trading_off', 'a live wallet is not copied while live trading is off'
);
update walltrack.wallets set mode = 'simulation' where label = 'scalper-beta';
select is(
  pg_temp.decide(tests.swap_tx(
    'usdc', (select scalper from w), 'buy', 'MintSafe11111111111111111111111111111111111',
    1000000000, 150000000, 0, 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v'
  )),
  'not_a_sol_quote', 'a buy paid in USDC is recorded but not copied (no SOL price yet)'
);
select is(
  pg_temp.buy('free', (select scalper from w), 'MintSafe11111111111111111111111111111111111', 0),
  'no_leader_price', 'a buy with no SOL paid has no price to copy'
);

-- Limits.
update walltrack.config set max_total_exposure_sol = 0.15;
select is(
  pg_temp.buy('exposure', (select scalper from w), 'MintSafe11111111111111111111111111111111111'),
  'exposure_limit', 'a copy that would take exposure above the maximum is skipped'
);
update walltrack.config set max_total_exposure_sol = 5, max_open_positions = 1;
select is(
  pg_temp.buy('maxpos', (select scalper from w), 'MintSafe11111111111111111111111111111111111'),
  'max_positions', 'no new position beyond max_open_positions'
);
update walltrack.config set max_open_positions = 10;

-- Sells.
select is(
  pg_temp.decide(tests.swap_tx(
    'nopos', (select scalper from w), 'sell', 'MintSafe11111111111111111111111111111111111',
    1000, 1000
  )),
  'no_position_to_mirror', 'a leader sell with nothing copied is skipped'
);
select is(
  pg_temp.buy('degen', (select degen from w), 'MintSafe11111111111111111111111111111111111'),
  'copied', 'degen-gamma''s buy is copied'
);
select is(
  pg_temp.decide(tests.swap_tx(
    'degensell', (select degen from w), 'sell', 'MintSafe11111111111111111111111111111111111',
    1000000000, 2000000000, 10
  )),
  'mirror_sells_off', 'the moonbag runner strategy does not mirror the leader''s sells'
);
update walltrack.wallets set copy_sells = true where label = 'degen-gamma';
select is(
  pg_temp.decide(tests.swap_tx(
    'degensell2', (select degen from w), 'sell', 'MintSafe11111111111111111111111111111111111',
    500000000, 1000000000, 20
  )),
  'mirror_sell', 'the wallet''s copy_sells wins over its strategy'
);

-- Failed transactions and unknown wallets.
select is(
  api.ingest_swaps(jsonb_build_array(
    tests.swap_tx('failed', (select whale from w), 'buy', 'MintSafe11111111111111111111111111111111111', 1, 1)
    || '{"tx_error": "InstructionError", "swaps": []}'
  )) #>> '{decisions,0,reason}',
  'failed_transaction', 'a failed transaction is recorded and ignored'
);
select is(
  (select decision::text from walltrack.signals where signature = tests.signature('failed')),
  'ignored', 'its signal is decided ignored'
);
select is(
  api.ingest_swaps(jsonb_build_array(tests.swap_tx(
    'stranger', 'Stranger1111111111111111111111111111111111', 'buy',
    'MintSafe11111111111111111111111111111111111', 1, 1
  ))) -> 'new_signals',
  '0'::jsonb, 'a swap of a wallet that is not on the watchlist is not recorded'
);

-- Idempotency and chain order.
create temporary table replay as
select jsonb_build_array(
  tests.swap_tx('later', (select whale from w), 'sell', 'MintSafe11111111111111111111111111111111111', 1000000000, 1000000000, 600),
  tests.swap_tx('earlier', (select whale from w), 'buy', 'MintSafe11111111111111111111111111111111111', 1000000000, 1000000000, 500)
) as delivery;
update walltrack.config set max_positions_per_token = 3;
select is(
  api.ingest_swaps((select delivery from replay)) #>> '{decisions,1,reason}',
  'mirror_sell', 'a batch is decided in chain order: the buy first, then its sell'
);
select is(
  api.ingest_swaps((select delivery from replay)) -> 'new_signals', '0'::jsonb,
  'the same delivery again records nothing new'
);
select is(
  (select count(*) from walltrack.orders as o
   join walltrack.signals as s on s.id = o.signal_id
   where s.signature in (tests.signature('later'), tests.signature('earlier'))),
  2::bigint, 'and creates no second order'
);
select throws_ok(
  $$ select api.ingest_swaps('{"not": "an array"}') $$, '22023',
  'ingest_swaps expects a JSON array of normalised transactions', 'the input must be an array'
);

-- Live: the entry waits for execution; a second exit is not sent while one is in flight.
update walltrack.config set live_trading_enabled = true;
update walltrack.wallets set mode = 'live' where label = 'scalper-beta';
select tests.safe_token('MintLiveExit111111111111111111111111111111');
create temporary table live_entry as
select api.ingest_swaps(jsonb_build_array(tests.swap_tx(
  'liveentry', (select scalper from w), 'buy', 'MintLiveExit111111111111111111111111111111',
  1000000000, 1000000000, 700
))) as result;
select is(
  (select result -> 'live_orders' from live_entry),
  (select jsonb_build_array(result #> '{decisions,0,order_id}') from live_entry),
  'a live copy returns its pending order for execution'
);
select tests.as_engine($$
  update walltrack.orders
  set status = 'confirmed', attempts = 1, filled_in = amount_in, filled_out = 190000000,
    fill_price_sol = 0.000526315789473684, network_fee_lamports = 5000, confirmed_at = now()
  where id = (select (result #>> '{decisions,0,order_id}')::bigint from live_entry)
$$);
select is(
  pg_temp.decide(tests.swap_tx(
    'liveexit1', (select scalper from w), 'sell', 'MintLiveExit111111111111111111111111111111',
    500000000, 600000000, 710
  )),
  'mirror_sell', 'the leader''s first sell is mirrored with a live order'
);
select is(
  pg_temp.decide(tests.swap_tx(
    'liveexit2', (select scalper from w), 'sell', 'MintLiveExit111111111111111111111111111111',
    250000000, 300000000, 720
  )),
  'exit_in_flight', 'no second exit order while the first is in flight'
);

-- Store first, then decide: the webhook's path (fetch_tokens), and the copy delay.
update walltrack.config set max_copy_delay_seconds = 20, max_positions_per_token = 1;
create function pg_temp.ago(tx jsonb, seconds integer) returns jsonb language sql as $$
  -- The transaction dated `seconds` before now, as a live delivery is.
  select jsonb_set(tx, '{timestamp}', to_jsonb(extract(epoch from now())::bigint - seconds));
$$;
create function pg_temp.safe_facts(mint text) returns jsonb language sql as $$
  -- What a lookup brings back for a token that passes every default filter.
  select jsonb_build_array(jsonb_build_object(
    'mint', mint, 'failed_sources', '[]'::jsonb,
    'rugcheck', jsonb_build_object('score', 100, 'score_normalised', 10, 'risks', '[]'::jsonb,
      'top10_holders_pct', '20', 'lp_locked_pct', '100', 'rugged', false),
    'dexscreener', jsonb_build_object('pair_address', 'PairPend11111111111111111111111111111111111',
      'dex_id', 'raydium', 'liquidity_usd', '250000', 'market_cap_usd', '2000000',
      'fdv_usd', '2000000', 'price_usd', '0.001', 'price_sol', '0.000005',
      'pair_created_at', now() - interval '3 days'),
    'das', jsonb_build_object('decimals', 6, 'supply', '1000000000000000', 'mint_authority', null,
      'freeze_authority', null, 'name', 'Pending', 'symbol', 'PEND')
  ));
$$;
select tests.new_wallet('pending-a'), tests.new_wallet('pending-b');
create temporary table pw as
select
  (select address from walltrack.wallets where label = 'pending-a') as a,
  (select address from walltrack.wallets where label = 'pending-b') as b;
update walltrack.wallets set copy_sells = true where label in ('pending-a', 'pending-b');
select tests.safe_token('MintFresh1111111111111111111111111111111111');

select is(
  pg_temp.decide(pg_temp.ago(tests.swap_tx(
    'late-buy', (select a from pw), 'buy', 'MintFresh1111111111111111111111111111111111',
    1000000000, 1000000000
  ), 60)),
  'stale', 'a buy decided 60 s after its block (the delay is 20 s) is stale, never copied late'
);
select is(
  pg_temp.decide(pg_temp.ago(tests.swap_tx(
    'fresh-buy', (select a from pw), 'buy', 'MintFresh1111111111111111111111111111111111',
    1000000000, 1000000000
  ), 5)),
  'copied', 'within the delay it is copied'
);
select is(
  pg_temp.decide(pg_temp.ago(tests.swap_tx(
    'late-sell', (select a from pw), 'sell', 'MintFresh1111111111111111111111111111111111',
    2000000000, 1000000000
  ), 600)),
  'mirror_sell', 'a sell is mirrored however late'
);

create temporary table first_delivery as
select api.ingest_swaps(jsonb_build_array(
  pg_temp.ago(tests.swap_tx('pend-buy', (select a from pw), 'buy',
    'MintPend11111111111111111111111111111111111', 1000000000, 1000000000), 3),
  pg_temp.ago(tests.swap_tx('pend-sell', (select a from pw), 'sell',
    'MintPend11111111111111111111111111111111111', 500000000, 600000000), 2),
  pg_temp.ago(tests.swap_tx('pend-known', (select b from pw), 'buy',
    'MintSafe11111111111111111111111111111111111', 1000000000, 1000000000), 2)
), true) as result;
select is(
  (select result -> 'tokens_to_fetch' from first_delivery),
  '{"MintPend11111111111111111111111111111111111": ["rugcheck", "dexscreener", "das"]}'::jsonb,
  'store first: the delivery names the token to look up, and claims it'
);
select is(
  (select jsonb_array_length(result -> 'pending') from first_delivery), 2,
  'the buy waiting on it stays pending, and the leader''s sell behind it too'
);
select is(
  (select result #>> '{decisions,0,signature}' from first_delivery), tests.signature('pend-known'),
  'a buy of a token with fresh facts is decided at once'
);
select is(
  (select count(*)::integer from walltrack.signals
   where signature in (tests.signature('pend-buy'), tests.signature('pend-sell'))
     and decision is null),
  2, 'both are stored, undecided: nothing is lost if the lookup never comes back'
);
select is(
  (select jsonb_build_array(r -> 'new_signals', r -> 'tokens_to_fetch', r -> 'decisions')
   from api.ingest_swaps(jsonb_build_array(
     pg_temp.ago(tests.swap_tx('pend-b', (select b from pw), 'buy',
       'MintPend11111111111111111111111111111111111', 1000000000, 1000000000), 1)
   ), true) as r),
  '[1, {}, []]'::jsonb,
  'a second leader buying the token during the lookup is stored, no second lookup is claimed'
);
select is(
  (select decision from walltrack.signals where signature = tests.signature('pend-b')),
  null, 'its buy waits for that lookup (not made twice) instead of token_not_checked'
);
select is(
  (select array_agg(d.value ->> 'reason' order by d.ordinality) from jsonb_array_elements(
    api.complete_token_lookup(pg_temp.safe_facts('MintPend11111111111111111111111111111111111'))
    -> 'decisions') with ordinality as d),
  array['copied', 'mirror_sell', 'already_holding'],
  'the lookup that completes decides every waiting signal of its token in chain order'
);

select tests.new_wallet('pending-live');
update walltrack.wallets set mode = 'live' where label = 'pending-live';
select tests.safe_token('MintHanded11111111111111111111111111111111');
create temporary table handed as
select api.ingest_swaps(jsonb_build_array(pg_temp.ago(tests.swap_tx('handed',
  (select address from walltrack.wallets where label = 'pending-live'), 'buy',
  'MintHanded11111111111111111111111111111111', 1000000000, 1000000000), 1)
), false, 15, 'webhook-1') as result;
select is(
  (select result #>> '{claimed_orders,0,id}' from handed),
  (select result #>> '{live_orders,0}' from handed),
  'a live copy comes back claimed for the worker that executes it at once (no read back)'
);
select is(
  (select o.lease_owner from walltrack.orders as o
   where o.id = (select (result #>> '{live_orders,0}')::bigint from handed)),
  'webhook-1', 'under that worker''s lease, so no other worker takes it meanwhile'
);

create temporary table lapsed as
select api.ingest_swaps(jsonb_build_array(
  pg_temp.ago(tests.swap_tx('lapse-buy', (select a from pw), 'buy',
    'MintLapse1111111111111111111111111111111111', 1000000000, 1000000000), 1)
), true) as result;
select tests.as_engine($$
  update walltrack.tokens set lookup_claimed_until = now() - interval '1 second'
  where mint = 'MintLapse1111111111111111111111111111111111'
$$);
select is(
  walltrack.decide_waiting() #>> '{decisions,0,reason}', 'token_not_checked',
  'a buy whose lookup died (claim lapsed) is decided by the schedule on what is known'
);
select api.ingest_swaps(jsonb_build_array(
  pg_temp.ago(tests.swap_tx('slow-buy', (select a from pw), 'buy',
    'MintSnaiu1111111111111111111111111111111111', 1000000000, 1000000000), 5)
), true);
update walltrack.config set max_copy_delay_seconds = 1;
select is(
  walltrack.decide_waiting() #>> '{decisions,0,reason}', 'stale',
  'a waiting buy past the copy delay is decided stale while its lookup is still running'
);

select is(
  api.ingest_swaps(jsonb_build_array(
    tests.swap_tx('kept', (select a from pw), 'sell', 'MintSafe11111111111111111111111111111111111', 1, 1),
    jsonb_set(tests.swap_tx('refused', (select a from pw), 'buy',
      'MintSafe11111111111111111111111111111111111', 1, 1), '{swaps,0,token_amount}', '"-5"')
  )) -> 'new_signals',
  '1'::jsonb, 'a transaction the database refuses is left out, the others are stored'
);
select is(
  (select source || ': ' || message from walltrack.faults
   where subject = 'transaction ' || tests.signature('refused')),
  'ingest_swaps: signal amounts must be positive (token) or not negative (quote, price)',
  'and it becomes a fault the operator sees, with its reason'
);

-- A delivery's copies are opened together (set-based): each decision names its own position
-- and entry order, and a sell later in the same delivery mirrors the copy just opened.
update walltrack.config set
  max_open_positions = 1000, max_total_exposure_sol = 1000, max_positions_per_token = 5,
  trading_enabled = true, max_copy_delay_seconds = null;
create temporary table batch_wallet as select tests.new_wallet('batch copier') as id;
update walltrack.wallets set copy_sells = true where id = (select id from batch_wallet);
select tests.safe_token(m) from (values
  ('MintBatchA111111111111111111111111111111111'), ('MintBatchB111111111111111111111111111111111'),
  ('MintBatchC111111111111111111111111111111111')
) as t(m);
create temporary table batch as
select api.ingest_swaps(jsonb_build_array(
  tests.swap_tx('batch-a', x.address, 'buy', 'MintBatchA111111111111111111111111111111111',
    1000000000, 1000000000),
  tests.swap_tx('batch-b', x.address, 'buy', 'MintBatchB111111111111111111111111111111111',
    2000000000, 1000000000),
  tests.swap_tx('batch-c', x.address, 'buy', 'MintBatchC111111111111111111111111111111111',
    3000000000, 1000000000),
  tests.swap_tx('batch-a-out', x.address, 'sell', 'MintBatchA111111111111111111111111111111111',
    1000000000, 1200000000)
)) as report
from walltrack.wallets as x where x.id = (select id from batch_wallet);
select is(
  (select count(*) from walltrack.signals as s
   inner join walltrack.positions as p on s.position_id = p.id
   inner join walltrack.orders as o on s.order_id = o.id
   where s.signature in (tests.signature('batch-a'), tests.signature('batch-b'),
     tests.signature('batch-c'))
     and s.decision = 'copied' and p.opened_from_signal_id = s.id
     and p.token_mint = s.token_mint and o.signal_id = s.id and o.position_id = p.id
     and o.status = 'confirmed' and p.qty_bought = o.filled_out),
  3::bigint,
  'three copies in one delivery: each decision names its own position and filled entry order'
);
select is(
  (select s.decision_reason || ' ' || p.status || ' ' || p.close_reason
   from walltrack.signals as s inner join walltrack.positions as p on s.position_id = p.id
   where s.signature = tests.signature('batch-a-out')),
  'mirror_sell closed mirror_sell',
  'a sell later in the same delivery mirrors the copy opened just before it'
);
select is(
  (select array_agg(p.status::text order by p.token_mint) from walltrack.positions as p
   where p.wallet_id = (select id from batch_wallet)),
  array['closed', 'open', 'open'],
  'and leaves the other copies of the delivery open'
);

-- One copy per token and moment: two leaders buying one token in the same block, and one
-- leader splitting its buy into two transactions of that block, make one position.
update walltrack.config set max_positions_per_token = 1, max_open_positions = 1000,
  max_total_exposure_sol = 1000, breaker_max_consecutive_losses = 1000;
select tests.safe_token('MintSameB1ock111111111111111111111111111111');
select is(
  (select string_agg(d.value ->> 'reason', ' ' order by d.ordinality)
   from jsonb_array_elements(api.ingest_swaps(jsonb_build_array(
     tests.swap_tx('sameA', (select whale from w), 'buy',
       'MintSameB1ock111111111111111111111111111111', 1000000000, 1e9),
     tests.swap_tx('sameB', (select scalper from w), 'buy',
       'MintSameB1ock111111111111111111111111111111', 1000000000, 1e9),
     tests.swap_tx('sameC', (select scalper from w), 'buy',
       'MintSameB1ock111111111111111111111111111111', 500000000, 0.5e9)
   )) -> 'decisions') with ordinality as d),
  'copied already_holding already_holding',
  'two leaders in one block, and a split buy: the first is copied, the others already held'
);
select is(
  (select count(*)::integer from walltrack.positions
   where token_mint = 'MintSameB1ock111111111111111111111111111111'),
  1, 'one position for the token'
);

-- A minimum leader trade, and sizing on our own available SOL, kept current within a batch.
update walltrack.config set min_leader_trade_sol = 0.5, max_positions_per_token = 100;
select tests.safe_token('MintSizing111111111111111111111111111111111');
select is(
  pg_temp.buy('small', (select whale from w), 'MintSizing111111111111111111111111111111111', 0.2),
  'leader_trade_too_small', 'a 0.2 SOL leader buy is under the 0.5 SOL minimum'
);
update walltrack.config set min_leader_trade_sol = null, sizing_mode = 'balance_fraction',
  balance_fraction = 0.1, sim_bankroll_sol = 10, max_position_sol = 1000, sim_fee_lamports = 0;
select walltrack.available_sol('simulation') as paper \gset
select api.ingest_swaps(jsonb_build_array(
  tests.swap_tx('bal1', (select whale from w), 'buy',
    'MintSizing111111111111111111111111111111111', 1000000000, 1e9),
  tests.swap_tx('bal2', (select whale from w), 'buy',
    'MintSizing111111111111111111111111111111111', 1000000000, 1e9, 1)
));
select results_eq(
  $$ select (copy_sizing ->> 'available_sol')::numeric, (copy_sizing ->> 'size_sol')::numeric
     from walltrack.signals
     where signature in (tests.signature('bal1'), tests.signature('bal2'))
     order by block_time $$,
  format($$ values (%1$s::numeric, trunc(0.1 * %1$s, 9)),
    (%1$s - trunc(0.1 * %1$s, 9), trunc(0.1 * (%1$s - trunc(0.1 * %1$s, 9)), 9)) $$, :'paper'),
  'each copy spends 10 % of the paper SOL left: the second, of one delivery, after the first'
);
update walltrack.config set live_trading_enabled = true;
update walltrack.wallets set mode = 'live' where label = 'degen-gamma';
select is(
  pg_temp.buy('live1', (select degen from w), 'MintSizing111111111111111111111111111111111'),
  'balance_unknown', 'a live copy is not sized on a trading key never read'
);
select walltrack.reconcile_wallet('RcnKey1111111111111111111111111111111111111', '[]', 2000000000,
  now());
select is(
  pg_temp.buy('live2', (select degen from w), 'MintSizing111111111111111111111111111111111'),
  'copied', 'once reconcile-wallet read 2 SOL on the key, it is'
);
select is(
  (select (copy_sizing ->> 'size_sol')::numeric from walltrack.signals
   where signature = tests.signature('live2')),
  0.2, '10 % of the key''s 2 SOL'
);

select * from finish();
rollback;
