-- Landing (issue 16, part 4): the priority fee from the network's recent prioritization
-- fees (a percentile, capped), a Jito tip checked against Jito's minimum, and the fees of
-- failed attempts that landed recorded and charged to their positions.

alter table walltrack.config add column priority_fee_percentile integer not null default 75;
alter table walltrack.config add column priority_fee_compute_units integer not null default 200000;
alter table walltrack.config add column priority_fee_max_lamports bigint not null default 1000000;

alter table walltrack.config add constraint config_priority_fee_range check (walltrack.ensure(
  priority_fee_percentile between 1 and 100
  and priority_fee_compute_units between 1 and 1400000
  and priority_fee_max_lamports between 0 and 50000000,
  format(
    'config.priority_fee_percentile must be within 1..100 (got %s), '
    || 'priority_fee_compute_units within 1..1400000 (got %s) and '
    || 'priority_fee_max_lamports within 0..50000000 (0.05 SOL, got %s)',
    priority_fee_percentile, priority_fee_compute_units, priority_fee_max_lamports
  ),
  'A transaction holds at most 1,400,000 compute units; 75 pays what three slots in four '
  || 'of the recent ones paid at least.'
));

-- Jito's block engine drops a transaction whose tip is below its minimum: a smaller tip
-- would only make every attempt fail.
alter table walltrack.config add constraint config_jito_tip_minimum check (walltrack.ensure(
  coalesce(jito_tip_lamports >= 1000, true),
  format(
    'config.jito_tip_lamports must be at least 1000 (Jito''s minimum tip) or empty, got %s',
    jito_tip_lamports
  ),
  'Empty sends live transactions through the RPC node, without a tip.'
));

comment on column walltrack.config.priority_fee_lamports is
'Fallback priority fee per live transaction, in lamports: paid when the network reports no '
'recent fees for the swap''s accounts (capped by priority_fee_max_lamports too).';
comment on column walltrack.config.jito_tip_lamports is
'Jito tip per live transaction in lamports (at least 1000), a transfer to a Jito tip account '
'inside the swap''s own transaction, sent through JITO_URL; empty, or JITO_URL unset = sent '
'through the RPC node without a tip.';

comment on column walltrack.config.priority_fee_percentile is
'Percentile (1..100, nearest rank) of the recent per-slot prioritization fees of the swap''s '
'writable accounts (getRecentPrioritizationFees) that a live transaction bids.';
comment on column walltrack.config.priority_fee_compute_units is
'Compute units a swap is priced for: priority fee lamports = percentile fee (micro-lamports '
'per unit) x these units / 1,000,000, rounded up.';
comment on column walltrack.config.priority_fee_max_lamports is
'Cap of the priority fee per live transaction, in lamports, whatever the network asks (a '
'fee spike is not followed past it).';

create function walltrack.priority_fee(samples bigint[])
returns bigint
language plpgsql
stable
set search_path = ''
as $$
-- The priority fee (lamports) a live transaction bids: the configured percentile (nearest
-- rank) of the recent per-slot prioritization fees of the swap's writable accounts, in
-- micro-lamports per compute unit, times the compute units a swap is priced for, rounded up
-- as the runtime rounds; never above the cap, so a fee spike is followed only so far. No
-- samples (a node that could not say, an account no one wrote lately): the configured
-- fallback, capped too.
declare
  cfg walltrack.config;
  ranked bigint[];
  micro_lamports bigint;
begin
  select c.* into strict cfg from walltrack.config as c;
  if coalesce(cardinality(samples), 0) = 0 then
    return least(cfg.priority_fee_lamports, cfg.priority_fee_max_lamports);
  end if;
  perform walltrack.ensure(0 <= all(samples),
    format('prioritization fee samples must be micro-lamports >= 0, got %s', samples));
  ranked := array(select s.fee from unnest(samples) as s (fee) order by s.fee);
  micro_lamports := ranked[ceil(cfg.priority_fee_percentile * cardinality(ranked) / 100.0)::int];
  return least(
    ceil(micro_lamports::numeric * cfg.priority_fee_compute_units / 1000000)::bigint,
    cfg.priority_fee_max_lamports
  );
end;
$$;
comment on function walltrack.priority_fee(bigint[]) is
'Priority fee in lamports for a live attempt from recent prioritization fees (micro-lamports '
'per compute unit): config.priority_fee_percentile (nearest rank) x priority_fee_compute_units '
'/ 1e6 rounded up, capped at priority_fee_max_lamports; no samples = priority_fee_lamports '
'(capped).';


-- Failed attempts that landed: a transaction that lands and fails still pays its network and
-- priority fee (a Jito tip rides in the same transaction, so it is undone with the swap). The
-- filling attempt's fees are on its order and move the position with the fill; these are the
-- others, one row per transaction, so a confirmation seen twice never charges twice.
create table walltrack.failed_attempt_fees (
  id bigint generated always as identity primary key,
  tx_signature walltrack.solana_signature not null,
  order_id bigint not null references walltrack.orders (id),
  position_id bigint not null references walltrack.positions (id),
  network_fee_lamports bigint not null,
  priority_fee_lamports bigint not null,
  error_class text not null,
  recorded_at timestamptz not null default now(),

  constraint failed_attempt_fees_signature_unique unique (tx_signature),
  constraint failed_attempt_fees_not_negative check (walltrack.ensure(
    network_fee_lamports >= 0 and priority_fee_lamports >= 0,
    format(
      'failed attempt fees must not be negative (network %s, priority %s)',
      network_fee_lamports, priority_fee_lamports
    )
  ))
);

create index failed_attempt_fees_order_idx on walltrack.failed_attempt_fees (order_id);

create index failed_attempt_fees_position_idx on walltrack.failed_attempt_fees (position_id);

create function walltrack.trigger_failed_attempt_charge()
returns trigger
language plpgsql
set search_path = ''
as $$
-- The fees are money put in and lost at once: added to the cost basis and realized as a
-- loss together, so the cost of what is still held (cost - proceeds + realized) is unchanged
-- and the position's PnL, open or closed later, counts them exactly once.
declare
  fee_sol numeric := (new.network_fee_lamports + new.priority_fee_lamports) / 1e9;
begin
  update walltrack.positions as p
  set
    cost_basis_sol = p.cost_basis_sol + fee_sol,
    realized_pnl_sol = p.realized_pnl_sol - fee_sol
  where p.id = new.position_id;
  return null;
end;
$$;
comment on function walltrack.trigger_failed_attempt_charge() is
'Charges a failed attempt''s fees to its position: cost basis up and realized PnL down by '
'the same amount.';

create trigger failed_attempt_fees_before_insert_engine_only
before insert on walltrack.failed_attempt_fees
for each row
when (
  pg_trigger_depth() = 0
  and current_setting('walltrack.engine_write', true) is distinct from 'on'
)
execute function walltrack.trigger_refuse_direct_write(
  'failed attempt %s: fees are recorded from the chain by confirm-orders, never typed in',
  'A landed failed transaction''s fee is read from the chain by confirm-orders.'
);

create trigger failed_attempt_fees_before_update_refuse
before update or delete on walltrack.failed_attempt_fees
for each row execute function walltrack.trigger_refuse_change(
  'Failed attempt fees were paid on chain and moved their position: they are never rewritten.'
);

create trigger failed_attempt_fees_after_insert_charge
after insert on walltrack.failed_attempt_fees
for each row execute function walltrack.trigger_failed_attempt_charge();

alter table walltrack.failed_attempt_fees enable row level security;
grant select, insert on walltrack.failed_attempt_fees to service_role;

comment on table walltrack.failed_attempt_fees is
'Fees paid by live attempts that landed on chain and failed (network + priority; a Jito tip '
'in the same transaction is undone with it), one row per transaction, each charged to its '
'position once. The filling attempt''s fees are on its order.';
comment on column walltrack.failed_attempt_fees.id is 'Identity of the charge.';
comment on column walltrack.failed_attempt_fees.tx_signature is
'The failed transaction (one charge per transaction).';
comment on column walltrack.failed_attempt_fees.order_id is 'The order the attempt was for.';
comment on column walltrack.failed_attempt_fees.position_id is 'The position charged.';
comment on column walltrack.failed_attempt_fees.network_fee_lamports is
'Base (signature) fee paid, lamports.';
comment on column walltrack.failed_attempt_fees.priority_fee_lamports is
'Priority fee paid, lamports.';
comment on column walltrack.failed_attempt_fees.error_class is 'How the attempt failed.';
comment on column walltrack.failed_attempt_fees.recorded_at is 'When confirm-orders recorded it.';

create function walltrack.record_failed_attempt_fee(
  order_id bigint, tx_signature text, fee_lamports bigint, error_class text
)
returns boolean
language plpgsql
set search_path = ''
as $$
-- The fee the chain charged a failed transaction of the order's current attempt (meta.fee:
-- network + priority), split as record_fill splits it. Recorded before the failure moves the
-- order on; a transaction already charged is not charged again (returns false).
declare
  attempted walltrack.orders;
  priority bigint;
  engine text;
begin
  perform walltrack.ensure(fee_lamports >= 0,
    format('order %s: a fee must be >= 0 lamports, got %s', order_id, fee_lamports));
  select o.* into attempted from walltrack.orders as o where o.id = order_id for update;
  perform walltrack.ensure(attempted.id is not null, format('order %s does not exist', order_id));
  if exists (
    select from walltrack.failed_attempt_fees as f
    where f.tx_signature = record_failed_attempt_fee.tx_signature
  ) then
    return false;
  end if;
  perform walltrack.ensure(
    attempted.status = 'submitted' and attempted.tx_signature = record_failed_attempt_fee.tx_signature,
    format('order %s is %s with signature %s: the fee of %s cannot be charged to it', order_id,
      attempted.status, coalesce(attempted.tx_signature, 'none'),
      record_failed_attempt_fee.tx_signature));
  priority := least(coalesce(attempted.priority_fee_lamports, 0), fee_lamports);
  engine := walltrack.begin_engine_write();
  insert into walltrack.failed_attempt_fees (
    tx_signature, order_id, position_id, network_fee_lamports, priority_fee_lamports, error_class
  ) values (
    record_failed_attempt_fee.tx_signature, order_id, attempted.position_id,
    fee_lamports - priority, priority, error_class
  );
  update walltrack.orders as o
  set attempt_log = walltrack.with_attempt_facts(o.attempt_log,
    jsonb_build_object('fee_lamports', fee_lamports))
  where o.id = order_id;
  perform walltrack.end_engine_write(engine);
  return true;
end;
$$;
comment on function walltrack.record_failed_attempt_fee(bigint, text, bigint, text) is
'Records and charges to the position the fee a landed, failed transaction of the order''s '
'current attempt paid; false (nothing charged) when that transaction was already charged.';


create or replace function walltrack.record_signed(
  order_id bigint, worker text, tx_signature text, last_valid_block_height bigint,
  quoted_out numeric, min_out numeric, priority_fee_lamports bigint, tip_lamports bigint
)
returns void
language plpgsql
set search_path = ''
as $$
-- Called after signing and BEFORE sending: from here on the order is reconciled through its
-- signature, so a crash after sending can never lead to sending it again.
declare
  leased walltrack.orders := walltrack.leased_order(order_id, worker);
  sol constant text := 'So11111111111111111111111111111111111111112';
begin
  -- A retry signed over the same blockhash and quote is the same transaction: the chain
  -- would take it as the earlier attempt, so it is never recorded as a new one.
  perform walltrack.ensure(
    not leased.attempt_log @> jsonb_build_array(jsonb_build_object('signature', record_signed.tx_signature)),
    format('order %s: %s is the signature of an earlier attempt', order_id, record_signed.tx_signature),
    'Wait for a new blockhash before trying again.');
  perform walltrack.ensure(record_signed.last_valid_block_height > 0,
    format('order %s: a signed transaction needs its last valid block height', order_id));
  perform walltrack.ensure(quoted_out > 0 and min_out > 0 and min_out <= quoted_out,
    format('order %s: a quote needs 0 < min_out (%s) <= quoted_out (%s)', order_id, min_out,
      quoted_out));
  update walltrack.orders as o
  set
    status = 'submitted',
    tx_signature = record_signed.tx_signature,
    last_valid_block_height = record_signed.last_valid_block_height,
    quoted_out = record_signed.quoted_out,
    min_out = record_signed.min_out,
    -- SOL per whole token, as every price here: from the quote's two amounts.
    quoted_price_sol = case
      when leased.input_mint = sol then round(leased.amount_in / 1e9
        / (record_signed.quoted_out / 10::numeric ^ t.decimals), 18)
      else round(record_signed.quoted_out / 1e9
        / (leased.amount_in / 10::numeric ^ t.decimals), 18)
    end,
    priority_fee_lamports = record_signed.priority_fee_lamports,
    tip_lamports = record_signed.tip_lamports,
    submitted_at = now(),
    attempt_log = walltrack.with_attempt_facts(o.attempt_log, jsonb_build_object(
      'signature', record_signed.tx_signature, 'signed_at', now(),
      'priority_fee_lamports', record_signed.priority_fee_lamports,
      'tip_lamports', record_signed.tip_lamports
    )),
    updated_at = now()
  from walltrack.tokens as t
  where o.id = order_id
    and t.mint = case when leased.input_mint = sol then leased.output_mint else leased.input_mint end;
end;
$$;
comment on function walltrack.record_signed(
  bigint, text, text, bigint, numeric, numeric, bigint, bigint
) is
'Records a signed transaction before it is sent (status submitted): its signature, expiry '
'height, quote and fees.';


create or replace function walltrack.orders_to_confirm(max_orders integer default 256)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
-- What the confirmer checks: every submitted transaction, oldest first (leases do not
-- matter here: a submitted order is reconciled through its signature, whoever sent it).
begin
  return (
    select coalesce(jsonb_agg(jsonb_build_object(
      'id', o.id, 'tx_signature', o.tx_signature, 'side', o.side,
      'input_mint', o.input_mint, 'output_mint', o.output_mint,
      'last_valid_block_height', o.last_valid_block_height,
      'priority_fee_lamports', o.priority_fee_lamports, 'tip_lamports', o.tip_lamports
    ) order by o.submitted_at, o.id), '[]')
    from (
      select o.* from walltrack.orders as o
      where o.status = 'submitted' order by o.submitted_at, o.id limit max_orders
    ) as o
  );
end;
$$;
comment on function walltrack.orders_to_confirm(integer) is
'Submitted orders whose transactions the confirmer must look up (oldest first).';


create or replace function walltrack.record_fill(
  order_id bigint, tx_signature text, filled_in numeric, filled_out numeric,
  fee_lamports bigint
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- The chain's view of a landed swap: what went in and out of the wallet and the fee paid.
-- The fill price and the slippage against the quote are derived here; the fill trigger
-- then moves the position. Recording the same fill twice changes nothing.
declare
  submitted walltrack.orders;
  decimals smallint;
  sol constant text := 'So11111111111111111111111111111111111111112';
  priority bigint;
  engine text;
begin
  select o.* into submitted from walltrack.orders as o where o.id = order_id for update;
  perform walltrack.ensure(submitted.id is not null, format('order %s does not exist', order_id));
  if submitted.status = 'confirmed' and submitted.tx_signature = record_fill.tx_signature then
    return jsonb_build_object('order_id', order_id, 'status', 'confirmed', 'already', true);
  end if;
  perform walltrack.ensure(
    submitted.status = 'submitted' and submitted.tx_signature = record_fill.tx_signature,
    format('order %s is %s with signature %s: a fill of %s cannot be recorded', order_id,
      submitted.status, coalesce(submitted.tx_signature, 'none'), record_fill.tx_signature));
  perform walltrack.ensure(filled_in > 0 and filled_out > 0 and fee_lamports >= 0,
    format('order %s: a fill needs filled_in > 0, filled_out > 0 and a fee >= 0 (got %s, %s, %s)',
      order_id, filled_in, filled_out, fee_lamports));
  select t.decimals into decimals from walltrack.tokens as t
  where t.mint = case when submitted.input_mint = sol then submitted.output_mint
    else submitted.input_mint end;
  -- The fee the chain reports includes the priority fee the swap was built with.
  priority := least(coalesce(submitted.priority_fee_lamports, 0), fee_lamports);
  engine := walltrack.begin_engine_write();
  update walltrack.orders as o
  set
    status = 'confirmed',
    filled_in = record_fill.filled_in,
    filled_out = record_fill.filled_out,
    fill_price_sol = case
      when submitted.input_mint = sol
        then round(record_fill.filled_in / 1e9 / (record_fill.filled_out / 10::numeric ^ decimals), 18)
      else round(record_fill.filled_out / 1e9 / (record_fill.filled_in / 10::numeric ^ decimals), 18)
    end,
    realized_slippage_bps = round(
      (submitted.quoted_out - record_fill.filled_out) / submitted.quoted_out * 10000, 2
    ),
    network_fee_lamports = fee_lamports - priority,
    priority_fee_lamports = priority,
    confirmed_at = now(),
    lease_owner = null,
    lease_until = null,
    attempt_log = walltrack.with_attempt_facts(o.attempt_log, jsonb_build_object(
      'outcome', 'confirmed', 'at', now(), 'fee_lamports', fee_lamports
    )),
    updated_at = now()
  where o.id = order_id;
  perform walltrack.end_engine_write(engine);
  return jsonb_build_object('order_id', order_id, 'status', 'confirmed', 'already', false);
end;
$$;
comment on function walltrack.record_fill(bigint, text, numeric, numeric, bigint) is
'Confirms a submitted order from the chain''s view of its transaction (amounts in and out, '
'fee): derives fill price and slippage against the quote. Idempotent.';


create or replace function walltrack.record_order_outcome(
  order_id bigint, action text, params jsonb
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- One order of a confirm-orders run, in its own subtransaction (this function's exception
-- block): `action` names the call (record_fill, record_failure or expire_unlanded) and
-- `params` holds its arguments. When the database refuses it, nothing of it stays and it
-- becomes a fault the operator sees, its input kept for a replay, so the run's other orders
-- are still recorded. Returns {"<order_id>": status}.
declare
  outcome jsonb;
  error_state text;
  error_message text;
  error_hint text;
begin
  case action
    when 'record_fill' then
      outcome := jsonb_build_object(order_id::text, walltrack.record_fill(order_id,
        params ->> 'tx_signature', (params ->> 'filled_in')::numeric,
        (params ->> 'filled_out')::numeric, (params ->> 'fee_lamports')::bigint) ->> 'status');
    when 'record_failure' then
      -- A failure read from the chain carries the fee the transaction paid all the same.
      if params ->> 'fee_lamports' is not null then
        perform walltrack.record_failed_attempt_fee(order_id, params ->> 'tx_signature',
          (params ->> 'fee_lamports')::bigint, params ->> 'error_class');
      end if;
      outcome := jsonb_build_object(order_id::text, walltrack.record_failure(order_id,
        params ->> 'tx_signature', params ->> 'error_class', params ->> 'detail') ->> 'status');
    when 'expire_unlanded' then
      outcome := walltrack.expire_unlanded(params -> 'unknown',
        (params ->> 'block_height')::bigint);
  end case;
  return outcome;
exception when others then
  get stacked diagnostics error_state = returned_sqlstate, error_message = message_text,
    error_hint = pg_exception_hint;
  perform walltrack.record_fault('confirm_orders', format('order %s', order_id), error_state,
    error_message, nullif(error_hint, ''),
    jsonb_build_object('function', action, 'params', params));
  return jsonb_build_object(order_id::text, 'fault');
end;
$$;
comment on function walltrack.record_order_outcome(bigint, text, jsonb) is
'Records one order''s outcome for confirm-orders (record_fill, record_failure, its landed '
'fee charged first when fee_lamports is given, or expire_unlanded with the given arguments); '
'a refused one becomes a fault. Returns statuses.';


create or replace function walltrack.claim_orders(
  worker text, order_ids bigint[] default null, max_orders integer default 10,
  lease_seconds integer default 60
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- Hands a worker the live orders it may execute now, each under a lease no other worker
-- can take (skip locked: racing workers never get the same order). Nothing is handed out
-- while live trading is off; buys wait while the breaker is active; exits always go.
declare
  cfg walltrack.config;
  claimed jsonb;
begin
  perform walltrack.ensure(length(btrim(coalesce(worker, ''))) > 0,
    'claim_orders needs the worker''s name (it owns the lease)');
  select c.* into strict cfg from walltrack.config as c;
  with claimable as (
    select o.id from walltrack.orders as o
    where
      o.mode = 'live' and o.status = 'pending' and o.next_attempt_at <= now()
      and (o.lease_until is null or o.lease_until < now())
      and o.attempts < o.max_attempts
      and (order_ids is null or o.id = any(order_ids))
      and cfg.live_trading_enabled
      and (o.side = 'sell' or not walltrack.breaker_is_active())
    order by o.side desc, o.id  -- sells first: exits never wait behind entries
    limit max_orders
    for update skip locked
  ),
  leased as (
    update walltrack.orders as o
    set
      lease_owner = worker,
      lease_until = now() + make_interval(secs => lease_seconds),
      attempts = o.attempts + 1,
      attempt_log = o.attempt_log || jsonb_build_object(
        'attempt', o.attempts + 1, 'worker', worker, 'claimed_at', now()
      ),
      updated_at = now()
    from claimable as c
    where o.id = c.id
    returning o.*
  )
  select coalesce(jsonb_agg(jsonb_build_object(
    'id', l.id, 'side', l.side, 'reason', l.reason, 'input_mint', l.input_mint,
    'output_mint', l.output_mint, 'amount_in', l.amount_in::text,
    'slippage_bps', least(l.slippage_bps, cfg.max_slippage_bps),
    'jito_tip_lamports', cfg.jito_tip_lamports,
    'attempt', l.attempts, 'lease_until', l.lease_until
  ) order by l.id), '[]') into claimed
  from leased as l;
  return claimed;
end;
$$;
comment on function walltrack.claim_orders(text, bigint[], integer, integer) is
'Leases live pending orders to a worker (all due ones, or the given ids): each becomes a new '
'attempt; returns what to execute, slippage bound capped at config.max_slippage_bps.';


grant execute on function walltrack.priority_fee(bigint[]) to service_role;
grant execute on function walltrack.record_failed_attempt_fee(bigint, text, bigint, text)
to service_role;


create function api.priority_fee(samples bigint[])
returns bigint
language sql
stable
security invoker
set search_path = ''
as $$
  select walltrack.priority_fee(samples);
$$;
comment on function api.priority_fee(bigint[]) is
'RPC of walltrack.priority_fee, for the execute-orders function: the priority fee (lamports) '
'of an attempt from the recent prioritization fees of the swap''s writable accounts.';
grant execute on function api.priority_fee(bigint[]) to service_role;

-- A replay plays under every setting: the new ones too.
create or replace view walltrack.signals_log_config
with (security_invoker = true)
as
select
  c.trading_enabled,
  c.live_trading_enabled,
  c.sizing_mode,
  c.fixed_amount_sol,
  c.leader_fraction,
  c.min_position_sol,
  c.max_position_sol,
  c.max_open_positions,
  c.max_total_exposure_sol,
  c.max_positions_per_token,
  c.default_slippage_bps,
  c.max_slippage_bps,
  c.priority_fee_lamports,
  c.jito_tip_lamports,
  c.order_max_attempts,
  c.retry_backoff_seconds,
  c.sim_slippage_bps,
  c.sim_fee_lamports,
  c.token_cache_ttl_minutes,
  c.min_liquidity_usd,
  c.min_market_cap_usd,
  c.max_market_cap_usd,
  c.min_pool_age_minutes,
  c.max_rugcheck_score,
  c.require_mint_authority_revoked,
  c.require_freeze_authority_revoked,
  c.max_top10_holders_pct,
  c.unknown_token_policy,
  c.breaker_max_daily_loss_sol,
  c.breaker_max_drawdown_pct,
  c.breaker_max_consecutive_losses,
  c.breaker_min_win_rate_pct,
  c.breaker_win_rate_window,
  c.breaker_cooldown_minutes,
  c.position_dust_sol,
  c.helius_sync_interval_minutes,
  c.token_market_ttl_minutes,
  c.token_unknown_ttl_minutes,
  c.breaker_capital_sol,
  c.max_copy_delay_seconds,
  c.priority_fee_percentile,
  c.priority_fee_compute_units,
  c.priority_fee_max_lamports
from walltrack.config as c;
