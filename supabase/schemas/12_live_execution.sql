-- Live execution: the command log's side of sending real transactions. A worker claims
-- pending live orders under a lease, records the signed transaction BEFORE sending it (so
-- a crash between the two leaves a signature to reconcile, never a blind resend), and the
-- confirmer records what the chain says: the fill, or a failure that SQL classifies as a
-- retry (a new attempt after back-off, only once the old transaction can no longer land)
-- or final (the position follows: a failed entry, or an exit written off at a loss).

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

create function walltrack.release_expired_leases()
returns integer
language plpgsql
set search_path = ''
as $$
-- A worker that died leaves its claim behind. A pending order whose lease expired is free
-- again; a submitted one keeps it: only confirm-orders may reconcile it, after checking
-- its signature, so nothing is ever sent twice.
declare
  released integer;
begin
  update walltrack.orders as o
  set lease_owner = null, lease_until = null
  where o.status = 'pending' and o.lease_until < walltrack.clock();
  get diagnostics released = row_count;
  return released;
end;
$$;
comment on function walltrack.release_expired_leases() is
'Frees pending orders whose worker lease expired (submitted ones wait for reconciliation).';

create function walltrack.retryable_failure(error_class text)
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
-- The failures after which the same order may be tried again as a new attempt; any other
-- class is final.
begin
  -- node_behind: the node refused before forwarding; simulation_failed: Jupiter or the
  -- preflight saw the swap fail against the state of that moment; program_error: a program
  -- of the route failed in a way we do not know to be final (the state moves on).
  return error_class in (
    'timeout', 'rate_limited', 'upstream_error', 'blockhash_expired', 'slippage_exceeded',
    'node_behind', 'simulation_failed', 'program_error'
  );
end;
$$;
comment on function walltrack.retryable_failure(text) is
'True for failure classes worth a new attempt: timeout, rate_limited, upstream_error, '
'blockhash_expired, slippage_exceeded, node_behind, simulation_failed, program_error. Others '
'(insufficient_funds, no_route, rejected, not_tradable...) are final.';

create function walltrack.with_attempt_facts(attempt_log jsonb, facts jsonb)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
-- The attempt log with facts added to its current (last) attempt.
begin
  return jsonb_set(attempt_log, array[(jsonb_array_length(attempt_log) - 1)::text],
    (attempt_log -> -1) || facts);
end;
$$;
comment on function walltrack.with_attempt_facts(jsonb, jsonb) is
'orders.attempt_log with facts (signature, outcome...) merged into its last attempt.';

create function walltrack.leased_order(order_id bigint, worker text)
returns walltrack.orders
language plpgsql
set search_path = ''
as $$
-- The order, locked, if this worker still holds its lease: a worker whose lease expired
-- must not act on it any more (another may have taken it over).
declare
  leased walltrack.orders;
begin
  select o.* into leased from walltrack.orders as o where o.id = order_id for update;
  perform walltrack.ensure(leased.id is not null, format('order %s does not exist', order_id));
  perform walltrack.ensure(
    leased.status = 'pending' and leased.lease_owner = worker and leased.lease_until >= walltrack.clock(),
    format('order %s is not leased to %s any more (status %s, lease %s until %s)', order_id,
      worker, leased.status, coalesce(leased.lease_owner, 'none'),
      coalesce(leased.lease_until::text, '-')),
    'Do not send it: claim orders again.');
  return leased;
end;
$$;
comment on function walltrack.leased_order(bigint, text) is
'The pending order locked for update, or an error if the worker lost its lease.';

create function walltrack.release_order(order_id bigint, worker text)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- A claimed order given back untouched, before anything was signed: its attempt is undone,
-- so trouble on our side (Jupiter refusing our API key) never uses up an order's attempts.
declare
  leased walltrack.orders := walltrack.leased_order(order_id, worker);
begin
  update walltrack.orders as o
  set
    attempts = o.attempts - 1,
    attempt_log = o.attempt_log - (-1),
    lease_owner = null,
    lease_until = null,
    updated_at = walltrack.clock()
  where o.id = order_id;
  return jsonb_build_object(
    'order_id', order_id, 'status', leased.status, 'attempts', leased.attempts - 1
  );
end;
$$;
comment on function walltrack.release_order(bigint, text) is
'Gives a claimed, unsigned order back (attempt undone, lease freed): the run stopped for a '
'reason that is not the order''s.';

create function walltrack.record_signed(
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
    submitted_at = walltrack.clock(),
    attempt_log = walltrack.with_attempt_facts(o.attempt_log, jsonb_build_object(
      'signature', record_signed.tx_signature, 'signed_at', walltrack.clock(),
      'priority_fee_lamports', record_signed.priority_fee_lamports,
      'tip_lamports', record_signed.tip_lamports
    )),
    updated_at = walltrack.clock()
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

create function walltrack.orders_to_confirm(max_orders integer default 256)
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

create function walltrack.record_fill(
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
    confirmed_at = walltrack.clock(),
    lease_owner = null,
    lease_until = null,
    attempt_log = walltrack.with_attempt_facts(o.attempt_log, jsonb_build_object(
      'outcome', 'confirmed', 'at', walltrack.clock(), 'fee_lamports', fee_lamports
    )),
    updated_at = walltrack.clock()
  where o.id = order_id;
  perform walltrack.end_engine_write(engine);
  return jsonb_build_object('order_id', order_id, 'status', 'confirmed', 'already', false);
end;
$$;
comment on function walltrack.record_fill(bigint, text, numeric, numeric, bigint) is
'Confirms a submitted order from the chain''s view of its transaction (amounts in and out, '
'fee): derives fill price and slippage against the quote. Idempotent.';

create function walltrack.write_off(failed walltrack.orders)
returns void
language plpgsql
set search_path = ''
as $$
-- An exit that could not fill after its attempts: what the position still holds is written
-- off at zero proceeds, through a bookkeeping order the fill trigger applies like any other,
-- so the loss is realized and the position closes.
declare
  held numeric;
  engine text;
begin
  select p.qty_bought - p.qty_sold into held from walltrack.positions as p
  where p.id = failed.position_id and p.status in ('open', 'closing');
  if coalesce(held, 0) <= 0 then
    return;
  end if;
  engine := walltrack.begin_engine_write();
  insert into walltrack.orders (
    position_id, side, reason, mode, input_mint, output_mint, amount_in, slippage_bps,
    idempotency_key, max_attempts, status, attempts, filled_in, filled_out, fill_price_sol,
    confirmed_at, last_error
  ) values (
    failed.position_id, 'sell', 'write_off', failed.mode, failed.input_mint, failed.output_mint,
    held, 0, format('write-off:%s', failed.id), 1, 'confirmed', 1, held, 0, 0, walltrack.clock(),
    format('order %s (%s) failed for good: %s', failed.id, failed.reason, failed.last_error)
  );
  perform walltrack.end_engine_write(engine);
end;
$$;
comment on function walltrack.write_off(walltrack.orders) is
'Writes off what a position still holds after its exit failed for good (loss realized, closed).';

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
  recorded_at timestamptz not null default walltrack.clock(),

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

-- Triggers on failed_attempt_fees, in the order Postgres fires them (by name):
--   insert    failed_attempt_fees_before_insert_engine_only  only confirm-orders records one
--             failed_attempt_fees_after_insert_charge        the position pays the fee
--   update    failed_attempt_fees_before_update_refuse       refused: paid for good
--   delete    failed_attempt_fees_before_update_refuse       refused: paid for good
--   truncate  failed_attempt_fees_before_truncate_refuse     refused
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

create trigger failed_attempt_fees_before_truncate_refuse
before truncate on walltrack.failed_attempt_fees
for each statement execute function walltrack.trigger_refuse_change(
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

create function walltrack.record_failure(
  order_id bigint, tx_signature text, error_class text, detail text
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- A failed attempt. Before sending (quote, swap, a refused send) the caller gives no
-- signature; after, it gives the one that failed or can no longer land. A retryable class
-- puts the order back to pending for a new attempt after back-off, while attempts remain;
-- anything else fails it for good, and its position follows.
declare
  cfg walltrack.config;
  attempted walltrack.orders;
  retry boolean;
begin
  select c.* into strict cfg from walltrack.config as c;
  select o.* into attempted from walltrack.orders as o where o.id = order_id for update;
  perform walltrack.ensure(attempted.id is not null, format('order %s does not exist', order_id));
  perform walltrack.ensure(error_class ~ '^[a-z][a-z_]*$',
    format('error_class must be a snake_case code, got "%s"', error_class));
  perform walltrack.ensure(
    attempted.status in ('pending', 'submitted')
    and attempted.tx_signature is not distinct from record_failure.tx_signature,
    format('order %s is %s with signature %s: a failure of %s cannot be recorded', order_id,
      attempted.status, coalesce(attempted.tx_signature, 'none'),
      coalesce(record_failure.tx_signature, 'none')));
  retry := walltrack.retryable_failure(error_class) and attempted.attempts < attempted.max_attempts;
  update walltrack.orders as o
  set
    status = case when retry then 'pending' else 'failed' end::walltrack.order_status,
    tx_signature = null,
    last_valid_block_height = null,
    last_error = format('%s: %s', error_class, left(coalesce(detail, ''), 300)),
    next_attempt_at = walltrack.clock() + make_interval(
      secs => cfg.retry_backoff_seconds * 2 ^ greatest(attempted.attempts - 1, 0)
    ),
    lease_owner = null,
    lease_until = null,
    attempt_log = walltrack.with_attempt_facts(o.attempt_log, jsonb_build_object(
      'outcome', error_class, 'detail', left(coalesce(detail, ''), 300), 'at', walltrack.clock()
    )),
    updated_at = walltrack.clock()
  where o.id = order_id
  returning o.* into attempted;
  if not retry and attempted.side = 'sell' then
    perform walltrack.write_off(attempted);
  end if;
  return jsonb_build_object(
    'order_id', order_id, 'status', attempted.status, 'retry', retry,
    'next_attempt_at', case when retry then attempted.next_attempt_at end
  );
end;
$$;
comment on function walltrack.record_failure(bigint, text, text, text) is
'Records a failed attempt: pending again after back-off when the class is retryable and '
'attempts remain, else failed for good (a failed entry, or an exit written off).';

create function walltrack.expire_unlanded(unknown jsonb, block_height bigint)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- The submitted transactions the chain does not know ([{order_id, tx_signature}]), at the
-- chain's current block height. One is given up, and its order retried as a new attempt,
-- only once the height has passed its blockhash's last valid height: from then on it can
-- never land, so the retry cannot pay twice. Returns each order's status.
declare
  outcomes jsonb := '{}'::jsonb;
  candidate record;
begin
  perform walltrack.ensure(block_height > 0,
    format('expire_unlanded needs the chain''s block height, got %s', block_height));
  for candidate in
    select o.id, o.tx_signature, o.last_valid_block_height, o.status
    from jsonb_array_elements(unknown) as u
    inner join walltrack.orders as o
      on o.id = (u.value ->> 'order_id')::bigint and o.tx_signature = u.value ->> 'tx_signature'
    order by o.id
  loop
    outcomes := outcomes || jsonb_build_object(candidate.id::text, case
      when candidate.status = 'submitted' and block_height > candidate.last_valid_block_height
        then walltrack.record_failure(candidate.id, candidate.tx_signature, 'blockhash_expired',
          format('not landed by block %s (valid until %s)', block_height,
            candidate.last_valid_block_height)) ->> 'status'
      else candidate.status::text
    end);
  end loop;
  return outcomes;
end;
$$;
comment on function walltrack.expire_unlanded(jsonb, bigint) is
'Retries the submitted orders whose transactions the chain does not know once the block '
'height has passed their last valid height (they can no longer land); returns statuses.';

create function walltrack.record_order_outcome(order_id bigint, action text, params jsonb)
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

create function walltrack.record_confirmations(
  fills jsonb, failures jsonb, faults jsonb, unknown jsonb, block_height bigint
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- A confirm-orders run, recorded in one call: the landed swaps' fills (record_fill's
-- arguments) and the failed ones (record_failure's), the orders whose transaction could not
-- be read ([{order_id, message, input}]: faults) and the signatures the chain does not know
-- ([{order_id, tx_signature}]), expired at `block_height` (expire_unlanded). Each order is
-- recorded on its own (record_order_outcome): one the database refuses becomes a fault and
-- the others are still recorded. Returns each order's status.
declare
  outcomes jsonb := '{}'::jsonb;
  item record;
begin
  if exists (
    select from unnest(array[fills, failures, faults, unknown]) as l (list)
    where jsonb_typeof(l.list) is distinct from 'array'
  ) or exists (
    select from jsonb_array_elements(fills || failures || faults || unknown) as e
    where jsonb_typeof(e.value -> 'order_id') is distinct from 'number'
  ) then
    raise exception using
      message = 'record_confirmations expects JSON arrays (fills, failures, faults, unknown) '
        || 'of objects with a numeric order_id',
      errcode = 'invalid_parameter_value';
  end if;
  for item in select e.value from jsonb_array_elements(faults) as e loop
    perform walltrack.record_fault('confirm_orders', format('order %s', item.value ->> 'order_id'),
      null, item.value ->> 'message', null, item.value -> 'input');
    outcomes := outcomes || jsonb_build_object(item.value ->> 'order_id', 'fault');
  end loop;
  for item in
    select (e.value ->> 'order_id')::bigint as order_id, 'record_fill' as action, e.value as params
    from jsonb_array_elements(fills) as e
    union all
    select (e.value ->> 'order_id')::bigint, 'record_failure', e.value
    from jsonb_array_elements(failures) as e
    union all
    -- One signature at a time: each unknown order is settled on its own too.
    select (e.value ->> 'order_id')::bigint, 'expire_unlanded', jsonb_build_object(
      'unknown', jsonb_build_array(e.value), 'block_height', block_height
    )
    from jsonb_array_elements(unknown) as e
  loop
    outcomes := outcomes || walltrack.record_order_outcome(item.order_id, item.action, item.params);
  end loop;
  return outcomes;
end;
$$;
comment on function walltrack.record_confirmations(jsonb, jsonb, jsonb, jsonb, bigint) is
'Records a confirm-orders run in one call: fills, on-chain failures, unreadable transactions '
'(faults) and unknown signatures to expire at a block height; each order on its own, a '
'refused one becoming a fault. Returns each order''s status.';
grant execute on function walltrack.priority_fee(bigint[]) to service_role;
grant execute on function walltrack.record_failed_attempt_fee(bigint, text, bigint, text)
to service_role;
grant execute on function walltrack.retryable_failure(text) to service_role;
grant execute on function walltrack.with_attempt_facts(jsonb, jsonb) to service_role;
grant execute on function walltrack.leased_order(bigint, text) to service_role;
grant execute on function walltrack.release_order(bigint, text) to service_role;
grant execute on function walltrack.write_off(walltrack.orders) to service_role;
grant execute on function walltrack.record_signed(
  bigint, text, text, bigint, numeric, numeric, bigint, bigint
) to service_role;
grant execute on function walltrack.orders_to_confirm(integer) to service_role;
grant execute on function walltrack.record_fill(bigint, text, numeric, numeric, bigint)
to service_role;

grant execute on function walltrack.record_failure(bigint, text, text, text) to service_role;
grant execute on function walltrack.expire_unlanded(jsonb, bigint) to service_role;
grant execute on function walltrack.record_order_outcome(bigint, text, jsonb) to service_role;
grant execute on function walltrack.record_confirmations(jsonb, jsonb, jsonb, jsonb, bigint)
to service_role;
