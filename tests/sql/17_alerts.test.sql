-- Alerts: raised by the events themselves, once each; routed per channel; claimed, retried
-- after a 429's retry_after, given up after config.alert_max_attempts; never edited by hand.
-- Simulated fills here have no slippage and no fee: 0.1 SOL buys 100 tokens at 0.001.
begin;
select plan(32);

update walltrack.config set sim_slippage_bps = 0, sim_fee_lamports = 0,
  max_positions_per_token = 100, max_open_positions = 1000, breaker_max_consecutive_losses = 100;

create function pg_temp.alert(key text) returns walltrack.alerts language sql as $$
  select a.* from walltrack.alerts as a where a.idempotency_key = key;
$$;
create function pg_temp.open(mint text) returns bigint language plpgsql as $$
declare
  position_id bigint;
begin
  perform tests.safe_token(mint);
  perform api.ingest_swaps(jsonb_build_array(tests.swap_tx(
    'open' || mint, (select address from walltrack.wallets where label = 'whale-alpha'),
    'buy', mint, 100000000, 100000000
  )));
  select id into strict position_id from walltrack.positions where token_mint = mint;
  return position_id;
end;
$$;
create function pg_temp.tick(mint text, price numeric) returns jsonb language sql as $$
  select api.apply_prices(jsonb_build_array(jsonb_build_object(
    'mint', mint, 'price_sol', price, 'observed_at', now() + interval '1 second')));
$$;

-- ---------------------------------------------------------------------------------------
-- Raised on a schedule: a silent webhook (its last delivery 16 minutes ago, over
-- config.webhook_silence_minutes, 15), once per silence.

select tests.as_engine($$ insert into walltrack.signals
  (signature, wallet_id, tx_error, raw, received_at)
  select tests.signature('old-delivery'), w.id, 'failed', '{}', now() - interval '16 minutes'
  from walltrack.wallets as w where w.label = 'whale-alpha' $$);
update walltrack.config set alert_daily_summary_hour = 23;
select walltrack.raise_scheduled_alerts();
select walltrack.raise_scheduled_alerts();
select ok(
  (select bool_and(a.message like 'WallTrack: no Helius delivery for 16 min (last %). '
     || 'helius-backfill covers the gap; check the webhook (helius-sync) and Helius''s status.')
     and count(*) = 1
   from walltrack.alerts as a where a.kind = 'webhook_silent'),
  'no delivery for 16 minutes raises one silent-webhook alert, however often it is checked'
);

-- ---------------------------------------------------------------------------------------
-- Raised by the events

select tests.as_engine($$ insert into walltrack.circuit_breaker_events
  (event_type, trigger, observed, threshold) values ('activated', 'consecutive_losses', 3, 3) $$);
select is(
  (select (a.kind, a.message)::text from walltrack.alerts as a
   where a.idempotency_key like 'breaker_activated:%'),
  ('breaker_activated', 'WallTrack: circuit breaker TRIPPED (consecutive_losses: 3, limit 3). '
    || 'New buys stopped; exits keep running. Reset with api.reset_circuit_breaker(operator, '
    || 'note).')::text,
  'a breaker trip raises an alert that says why, and that exits keep running'
);
select api.reset_circuit_breaker('ops-anna', 'checked the three losses');
select is(
  (select a.message from walltrack.alerts as a where a.kind = 'breaker_reset'),
  'WallTrack: circuit breaker reset by ops-anna (manual): checked the three losses. New buys '
  || 'resume.',
  'its reset raises one too, naming the operator and the note'
);

select pg_temp.open(rpad('RugA', 44, '1')) as rug_position \gset
select pg_temp.tick(rpad('RugA', 44, '1'), 0.00001);
select is(
  (select (p.status, p.close_reason, p.realized_pnl_sol)::text from walltrack.positions as p
   where p.id = :rug_position),
  ('closed', 'stop_loss', -0.099000000)::text,
  'the stop loss sells 100 tokens at 0.00001: 0.001 SOL back for 0.1, -0.099 SOL'
);
select is(
  (pg_temp.alert('rug:' || :rug_position)).message,
  format('WallTrack: likely RUG, SAFE #%s (whale-alpha, simulation) closed by stop_loss: '
    || '-0.0990 SOL (-99.0%%) https://solscan.io/token/%s', :rug_position,
    rpad('RugA', 44, '1')),
  'a close losing 99 % (over config.alert_rug_loss_pct, 50) raises a rug alert with the loss'
);
select is(
  (pg_temp.alert('position_closed:' || :rug_position)).details ->> 'realized_pnl_sol',
  '-0.099000000', 'and every close raises position_closed, its exact figures in details'
);

select pg_temp.open(rpad('DipB', 44, '1')) as dip_position \gset
select pg_temp.tick(rpad('DipB', 44, '1'), 0.0006);
select is(
  (select (p.status, p.realized_pnl_sol)::text from walltrack.positions as p
   where p.id = :dip_position),
  ('closed', -0.040000000)::text, 'a dip of 40 % stops out at -0.04 SOL'
);
select is(
  (select count(*) from walltrack.alerts as a where a.idempotency_key = 'rug:' || :dip_position),
  0::bigint, 'a 40 % loss is no rug (config.alert_rug_loss_pct is 50)'
);

select pg_temp.open(rpad('KeptC', 44, '1')) as held_position \gset
select tests.as_engine($$ update walltrack.tokens set rugged = true
  where mint = rpad('KeptC', 44, '1') $$);
select walltrack.rejudge_tokens(array[rpad('KeptC', 44, '1')]);
select is(
  (select (a.kind, a.details ->> 'open_positions', a.details ->> 'cost_basis_sol')::text
   from walltrack.alerts as a where a.kind = 'token_unsafe_held'),
  ('token_unsafe_held', '1', '0.100000000')::text,
  'a token judged unsafe while a position holds it raises an alert with the exposure'
);
select ok(
  (select a.message like 'WallTrack: SAFE turned UNSAFE while held (%rugged%): 1 open '
     || 'position(s), 0.1000 SOL in. Exits keep running. https://solscan.io/token/KeptC%'
   from walltrack.alerts as a where a.kind = 'token_unsafe_held'),
  'its message names the reasons, the positions and the SOL in'
);
select tests.safe_token(rpad('FreeD', 44, '1'));
select tests.as_engine($$ update walltrack.tokens set rugged = true
  where mint = rpad('FreeD', 44, '1') $$);
select walltrack.rejudge_tokens(array[rpad('FreeD', 44, '1')]);
select is(
  (select count(*) from walltrack.alerts as a where a.kind = 'token_unsafe_held'),
  1::bigint, 'a token turned unsafe that nobody holds raises nothing'
);

-- A live order that fails for good; a simulated one never alerts.
select tests.as_engine($$ insert into walltrack.positions (wallet_id, token_mint,
  token_decimals, mode) select w.id, rpad('KeptC', 44, '1'), 6, 'live'
  from walltrack.wallets as w where w.label = 'whale-alpha' $$);
select id as live_position from walltrack.positions where mode = 'live' \gset
select tests.as_engine($$ insert into walltrack.orders (
    position_id, side, reason, mode, input_mint, output_mint, amount_in, slippage_bps,
    idempotency_key, max_attempts
  ) values (
    $$ || :live_position || $$, 'buy', 'copy_entry', 'live',
    'So11111111111111111111111111111111111111112', rpad('KeptC', 44, '1'), 50000000, 100,
    'live-fail', 3
  ) $$);
select tests.as_engine($$ update walltrack.orders set status = 'failed', attempts = 3,
  last_error = 'slippage exceeded (6001)' where idempotency_key = 'live-fail' $$);
select is(
  (select a.message from walltrack.alerts as a where a.kind = 'order_failed'),
  'WallTrack: live buy of SAFE (whale-alpha) FAILED after 3 attempt(s): slippage exceeded '
  || '(6001)',
  'a live order failed for good raises an alert with the last error'
);
select tests.new_order(tests.new_position(tests.new_wallet()), 'sim-fail');
select tests.as_engine($$ update walltrack.orders set status = 'failed'
  where idempotency_key = 'sim-fail' $$);
select is(
  (select (count(*), bool_and(o.status = 'failed'))::text
   from walltrack.orders as o where o.idempotency_key = 'sim-fail')
  || ', ' || (select count(*) from walltrack.alerts as a where a.kind = 'order_failed'),
  '(1,t), 1', 'a simulated order that fails raises none'
);

select walltrack.raise_alert('chain_finding', 'same-key', 'first');
select is(
  walltrack.raise_alert('chain_finding', 'same-key', 'second'), null,
  'an idempotency key raises one alert, however often the event is seen'
);
select is((pg_temp.alert('same-key')).message, 'first', 'the first one stays');

-- The daily summary, once a day (one raised above, when this runs at 23:00 UTC, goes first).
select tests.as_engine($$ delete from walltrack.alerts where kind = 'daily_summary' $$);
update walltrack.config set alert_daily_summary_hour = 0;
select walltrack.raise_scheduled_alerts();
select walltrack.raise_scheduled_alerts();
select is(
  (select string_agg(a.message, ' | ') from walltrack.alerts as a where a.kind = 'daily_summary'),
  'WallTrack, last 24 h: 2 closed (0 won), realized -0.1390 SOL; 1 open (0.1000 SOL in); '
  || 'breaker armed.',
  'from its hour, once a day, the daily summary sums the last 24 hours: -0.099 - 0.04 SOL, the '
  || 'held position open'
);
select is(
  (select count(*) from walltrack.alerts as a where a.kind = 'webhook_silent'), 1::bigint,
  'deliveries since the silence raise no new silent-webhook alert'
);

-- ---------------------------------------------------------------------------------------
-- Claimed, sent, retried, given up

create function pg_temp.claim(channels walltrack.alert_channel []) returns jsonb
language sql as $$ select api.claim_alerts(channels, 100, 60); $$;
create function pg_temp.kinds(claimed jsonb) returns text language sql as $$
  select string_agg(c ->> 'kind', ',' order by (c ->> 'alert_id')::bigint)
  from jsonb_array_elements(claimed) as c;
$$;

update walltrack.config set alert_kinds_discord = '{breaker_activated,rug}';
select pg_temp.claim('{telegram,discord}') as first_claim \gset
select is(
  (select count(*) filter (where c ->> 'channel' = 'telegram')::text || ' telegram, '
     || count(*) filter (where c ->> 'channel' = 'discord') || ' discord'
   from jsonb_array_elements(:'first_claim'::jsonb) as c),
  '8 telegram, 2 discord',
  'each channel gets the kinds config routes to it: every kind but position_closed on Telegram '
  || '(8 alerts), the trip and the rug on Discord'
);
select is(
  pg_temp.kinds((select jsonb_agg(c) from jsonb_array_elements(:'first_claim'::jsonb) as c
    where c ->> 'channel' = 'discord')),
  'breaker_activated,rug', 'oldest first'
);
select is(pg_temp.claim('{telegram,discord}'), '[]'::jsonb,
  'what is being sent is not handed out again');

select (c ->> 'delivery_id')::bigint as sent_id from jsonb_array_elements(:'first_claim'::jsonb)
  as c where c ->> 'channel' = 'discord' and c ->> 'kind' = 'rug' \gset
select (c ->> 'delivery_id')::bigint as limited_id
  from jsonb_array_elements(:'first_claim'::jsonb) as c
  where c ->> 'channel' = 'discord' and c ->> 'kind' = 'breaker_activated' \gset
select is(api.record_alert_delivery(:sent_id, 'sent') ->> 'status', 'sent', 'a send is recorded');
select throws_ok(
  format('select api.record_alert_delivery(%s, %L)', :sent_id, 'sent'), '23514',
  format('alert delivery %s is not being sent (unknown, or already recorded)', :sent_id),
  'and only once'
);
select is(
  (api.record_alert_delivery(:limited_id, 'retry', 30, 'HTTP 429') ->> 'next_attempt_at')
    ::timestamptz,
  now() + interval '30 seconds', 'a 429 is honoured: the next attempt waits its retry_after'
);
select is(pg_temp.claim('{discord}'), '[]'::jsonb, 'not before');
select tests.as_engine(format(
  'update walltrack.alert_deliveries set next_attempt_at = now() where id = %s', :limited_id));
select is(
  (select (c ->> 'kind', c ->> 'attempts')::text
   from jsonb_array_elements(pg_temp.claim('{discord}')) as c),
  ('breaker_activated', '2')::text, 'once due, it is claimed again: its second attempt'
);
update walltrack.config set alert_max_attempts = 2;
select is(api.record_alert_delivery(:limited_id, 'retry', null, 'HTTP 502') ->> 'status', 'failed',
  'a retry past config.alert_max_attempts gives up');

-- notify died mid-send: its lease lapses and the next claim takes the delivery again.
select tests.as_engine($$ update walltrack.alert_deliveries set lease_until = now() - interval
  '1 second' where channel = 'telegram' and alert_id = (select min(alert_id)
    from walltrack.alert_deliveries where channel = 'telegram') $$);
select is(jsonb_array_length(pg_temp.claim('{telegram}')), 1,
  'a lapsed lease is claimed again (at least once)');

select throws_ok(
  format('select api.record_alert_delivery(%s, %L)', :sent_id, 'lost'), '23514',
  'record_alert_delivery: outcome is sent, retry or failed, not lost',
  'an outcome it does not know is refused'
);

-- An alert older than config.alert_max_age_minutes is never sent late.
select tests.as_engine($$ insert into walltrack.alerts (kind, idempotency_key, message,
  created_at) values ('rug', 'old-rug', 'old news', now() - interval '2 hours') $$);
select is(pg_temp.claim('{discord}'), '[]'::jsonb,
  'an alert older than config.alert_max_age_minutes (60) is not sent');

-- Never by hand.
select throws_ok(
  $$ insert into walltrack.alerts (kind, idempotency_key, message)
     values ('rug', 'forged', 'forged') $$,
  '23514', 'alerts is written by WallTrack (alerts are raised by events), not by hand',
  'an operator cannot forge an alert'
);
select throws_ok(
  $$ update walltrack.alert_deliveries set status = 'sent' $$,
  '23514', 'alert_deliveries is written by WallTrack (alerts are raised by events), not by hand',
  'nor mark one sent'
);
select tests.act_as('anon');
select throws_ok($$ select count(*) from walltrack.alerts $$, '42501', null,
  'anon reads no alert');
select tests.act_as_operator();

select * from finish();
rollback;
