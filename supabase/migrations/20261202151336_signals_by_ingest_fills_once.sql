-- signals_by_ingest_fills_once
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

-- Signals and their decisions are written by walltrack.ingest_swaps only (05_signals.sql):
-- a swap typed in would move the leader's holding, a decision would count a copy that never
-- happened.

create or replace function walltrack.ingest_swaps(transactions jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- One Helius delivery, normalised by the webhook function, in one transaction: every
-- swap of a watched wallet becomes a signal (a re-delivery changes nothing), every new
-- signal is decided in chain order. Returns the decisions and the live orders to execute.
declare
  new_ids bigint[];
  item record;
  cfg walltrack.config;
  book walltrack.book;
  outcome walltrack.decision;
  outcomes walltrack.decision[] := '{}'::walltrack.decision[];
  decided_ids bigint[] := '{}'::bigint[];
  live_orders bigint[];
  swap_count integer;
  engine text;
begin
  if jsonb_typeof(transactions) is distinct from 'array' then
    raise exception using
      message = 'ingest_swaps expects a JSON array of normalised transactions',
      errcode = 'invalid_parameter_value';
  end if;
  -- Decisions read and change shared limits (open positions, exposure): one batch at a
  -- time decides, so concurrent deliveries cannot both take the last slot.
  perform pg_advisory_xact_lock(hashtext('walltrack.ingest_swaps'));
  -- Signals and their decisions are written here only (signals_before_*_engine_only).
  engine := walltrack.begin_engine_write();

  with tx as (
    select
      t.value as body,
      t.value ->> 'signature' as signature,
      (t.value ->> 'slot')::bigint as slot,
      to_timestamp((t.value ->> 'timestamp')::bigint) as block_time,
      t.value ->> 'source' as source,
      t.value ->> 'tx_error' as tx_error
    from jsonb_array_elements(transactions) as t
  ),

  swap_rows as (
    select
      tx.*, s.value ->> 'wallet' as wallet, (s.value ->> 'side')::walltrack.trade_side as side,
      s.value ->> 'token_mint' as token_mint, (s.value ->> 'token_amount')::numeric as token_amount,
      (s.value ->> 'token_decimals')::smallint as token_decimals,
      s.value ->> 'quote_mint' as quote_mint, (s.value ->> 'quote_amount')::numeric as quote_amount,
      (s.value ->> 'quote_decimals')::smallint as quote_decimals
    from tx
    cross join lateral jsonb_array_elements(coalesce(tx.body -> 'swaps', '[]')) as s
    where tx.tx_error is null
    union all
    select
      tx.*, a.value #>> '{}', null, null, null, null, null, null, null
    from tx
    cross join lateral jsonb_array_elements(coalesce(tx.body -> 'accounts', '[]')) as a
    where tx.tx_error is not null
  ),

  inserted as (
    insert into walltrack.signals (
      signature, slot, block_time, wallet_id, source, side, token_mint, token_amount,
      token_decimals, quote_mint, quote_amount, quote_decimals, price_sol, tx_error, raw
    )
    select
      r.signature, r.slot, r.block_time, w.id, r.source, r.side, r.token_mint, r.token_amount,
      r.token_decimals, r.quote_mint, r.quote_amount, r.quote_decimals,
      case
        when r.quote_mint = 'So11111111111111111111111111111111111111112'
          then round(r.quote_amount / 1e9 / (r.token_amount / 10::numeric ^ r.token_decimals), 18)
      end,
      r.tx_error, r.body -> 'raw'
    from swap_rows as r
    inner join walltrack.wallets as w on r.wallet = w.address
    on conflict on constraint signals_dedupe do nothing
    returning id
  )

  select array_agg(i.id) into new_ids from inserted as i;

  select count(*) into swap_count
  from jsonb_array_elements(transactions) as t
  cross join lateral jsonb_array_elements(coalesce(t.value -> 'swaps', '[]'));

  select c.* into strict cfg from walltrack.config as c;
  book := walltrack.current_book();
  for item in
    select s as signal, w as wallet
    from walltrack.signals as s
    inner join walltrack.wallets as w on s.wallet_id = w.id
    where s.id = any(new_ids)
    order by s.block_time, s.slot, s.id
  loop
    outcome := walltrack.decide_signal(item.signal, item.wallet, cfg, book);
    book.open_positions := book.open_positions + outcome.positions_delta;
    book.exposure_sol := book.exposure_sol + outcome.exposure_delta_sol;
    if outcome.positions_delta < 0 then
      -- A close may have tripped the breaker: the next buys of the batch must see it.
      book.breaker_active := walltrack.breaker_is_active();
    end if;
    decided_ids := decided_ids || (item.signal).id;
    outcomes := outcomes || outcome;
  end loop;

  -- Every decision written at once, each on its signal (set once, see the signals trigger).
  update walltrack.signals as s
  set
    decision = d.decision,
    decision_reason = d.reason,
    decided_at = now(),
    position_id = d.position_id,
    order_id = d.order_id
  from rows from (unnest(decided_ids), unnest(outcomes)) as d(
    signal_id, decision, reason, position_id, order_id, positions_delta, exposure_delta_sol
  )
  where s.id = d.signal_id;
  perform walltrack.end_engine_write(engine);

  select coalesce(array_agg(o.id order by o.id), '{}') into live_orders
  from walltrack.orders as o
  where o.signal_id = any(new_ids) and o.mode = 'live' and o.status = 'pending';

  return jsonb_build_object(
    'transactions', jsonb_array_length(transactions),
    'swaps', swap_count,
    'new_signals', coalesce(cardinality(new_ids), 0),
    'decisions', (
      select coalesce(jsonb_agg(jsonb_build_object(
        'signal_id', s.id, 'signature', s.signature, 'token_mint', s.token_mint,
        'decision', s.decision, 'reason', s.decision_reason, 'order_id', s.order_id
      ) order by d.ordinality), '[]')
      from unnest(decided_ids) with ordinality as d(signal_id, ordinality)
      inner join walltrack.signals as s on s.id = d.signal_id
    ),
    'live_orders', to_jsonb(live_orders)
  );
end;
$$;

create trigger signals_before_insert_engine_only
before insert on walltrack.signals
for each row
when (
  pg_trigger_depth() = 0
  and current_setting('walltrack.engine_write', true) is distinct from 'on'
)
execute function walltrack.trigger_refuse_direct_write(
  'signals are recorded from Helius deliveries: a leader swap cannot be inserted by hand',
  'Send the transaction through the helius-webhook function (or a backfill).'
);

create trigger signals_before_update_decision_engine_only
before update on walltrack.signals
for each row
when (
  (new.decision, new.decision_reason, new.position_id, new.order_id)
  is distinct from (old.decision, old.decision_reason, old.position_id, old.order_id)
  and pg_trigger_depth() = 0
  and current_setting('walltrack.engine_write', true) is distinct from 'on'
)
execute function walltrack.trigger_refuse_direct_write(
  'signal %s: its decision is WallTrack''s, written when the signal is recorded',
  'Decisions are never typed in: a copy that did not happen would count in the scoreboard.'
);

-- A fill is applied on the transition to confirmed only: a no-op update of a confirmed
-- order applied it again (08_orders.sql).

drop trigger orders_after_write_apply_fill on walltrack.orders;

create trigger orders_after_insert_apply_fill
after insert on walltrack.orders
for each row
when (new.status = 'confirmed')
execute function walltrack.trigger_order_apply_fill();

create trigger orders_after_update_apply_fill
after update of status on walltrack.orders
for each row
when (new.status = 'confirmed' and old.status <> 'confirmed')
execute function walltrack.trigger_order_apply_fill();

-- A simulated fee no real swap pays is refused (01_config.sql).

alter table walltrack.config
add constraint config_sim_fee_realistic check (walltrack.ensure(
  sim_fee_lamports <= 10000000,
  format(
    'config.sim_fee_lamports must be at most 10000000 (0.01 SOL), got %s',
    sim_fee_lamports
  )
));
