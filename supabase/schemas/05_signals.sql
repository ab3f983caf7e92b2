-- signals: event sourcing. Every swap a watched wallet made, as Helius reported it, and
-- the decision taken on it. Append-only: the event is never edited or deleted; the
-- decision columns are written once. Their links to the position and the order a decision
-- made are declared with those tables (07_positions.sql, 08_orders.sql).
-- Scale: the largest table. Indexes cover (wallet, time) and (token, time); when it
-- outgrows one table, partition it by month on block_time (the dedupe key then gains
-- block_time, which a re-delivery repeats verbatim).

create type walltrack.signal_decision as enum ('copied', 'skipped', 'ignored');
comment on type walltrack.signal_decision is
'copied = an order was created; skipped = a copy was possible but a rule refused it; '
'ignored = nothing to copy (failed transaction, not a trade we follow).';

create type walltrack.signal_origin as enum ('webhook', 'backfill');
comment on type walltrack.signal_origin is
'Who stored a signal first: the webhook as it happened, or a backfill that found it later in '
'the wallet''s history (a delivery the webhook missed).';

create table walltrack.signals (
  id bigint generated always as identity primary key,
  -- event
  signature walltrack.solana_signature not null,
  slot bigint,
  block_time timestamptz,
  received_at timestamptz not null default walltrack.clock(),
  wallet_id bigint not null references walltrack.wallets (id),
  source text,
  side walltrack.trade_side,
  token_mint walltrack.solana_address,
  token_amount numeric,
  token_decimals smallint,
  quote_mint walltrack.solana_address,
  quote_amount numeric,
  quote_decimals smallint,
  price_sol numeric,
  tx_error text,
  raw jsonb not null,
  -- decision (set once)
  decision walltrack.signal_decision,
  decision_reason text,
  decided_at timestamptz,
  position_id bigint,
  order_id bigint,
  found_by walltrack.signal_origin not null default 'webhook',
  -- a copy's size and how it was worked out (walltrack.copy_sizing), with its decision
  copy_sizing jsonb,
  -- for a buy of a consensus group: the leaders who formed it, or so far (10_consensus.sql)
  consensus jsonb,

  constraint signals_dedupe unique nulls not distinct (signature, wallet_id, token_mint),
  constraint signals_amounts_positive check (walltrack.ensure(
    coalesce(token_amount > 0, true) and coalesce(quote_amount >= 0, true)
    and coalesce(price_sol >= 0, true),
    'signal amounts must be positive (token) or not negative (quote, price)'
  )),
  constraint signals_trade_complete check (walltrack.ensure(
    tx_error is not null
    or (side is not null and token_mint is not null and token_amount is not null),
    'a successful swap signal needs side, token_mint and token_amount'
  )),
  constraint signals_reason_code check (walltrack.ensure(
    decision_reason ~ '^[a-z][a-z0-9_]*$',
    format('decision_reason must be a snake_case code, got "%s"', decision_reason)
  )),
  constraint signals_decision_complete check (walltrack.ensure(
    (decision is null) = (decision_reason is null) and (decision is null) = (decided_at is null),
    'a decision needs its reason and time, all three set together'
  )),
  constraint signals_numbers_finite check (walltrack.ensure_finite(
    'signals',
    array['token_amount', 'quote_amount', 'price_sol'],
    array[token_amount, quote_amount, price_sol]
  ))
);

create index signals_wallet_time_idx on walltrack.signals (wallet_id, block_time);

create index signals_token_time_idx on walltrack.signals (token_mint, block_time);

create index signals_undecided_idx on walltrack.signals (id) where decision is null;
-- The swaps a backfill found (the webhook missed them): few, read by the backfill plan and
-- delivery_health; only a backfill pays for it.
create index signals_found_by_backfill_idx on walltrack.signals (wallet_id, received_at)
where found_by = 'backfill';

create function walltrack.trigger_signal_append_only()
returns trigger
language plpgsql
set search_path = ''
as $$
-- The event columns never change; each decision column may go from empty to a value
-- once.
begin
  if (new.signature, new.slot, new.block_time, new.received_at, new.wallet_id, new.source,
    new.side, new.token_mint, new.token_amount, new.token_decimals, new.quote_mint,
    new.quote_amount, new.quote_decimals, new.price_sol, new.tx_error, new.raw, new.found_by)
    is distinct from
    (old.signature, old.slot, old.block_time, old.received_at, old.wallet_id, old.source,
      old.side, old.token_mint, old.token_amount, old.token_decimals, old.quote_mint,
      old.quote_amount, old.quote_decimals, old.price_sol, old.tx_error, old.raw,
      old.found_by) then
    raise exception using
      message = format('signal %s is an event: its recorded columns cannot be changed', old.id),
      hint = 'Only the decision columns can be set, once.',
      errcode = 'restrict_violation';
  end if;
  if old.decided_at is not null
    and (new.decision, new.decision_reason, new.decided_at, new.position_id, new.order_id,
      new.copy_sizing, new.consensus)
    is distinct from
    (old.decision, old.decision_reason, old.decided_at, old.position_id, old.order_id,
      old.copy_sizing, old.consensus) then
    raise exception using
      message = format('signal %s already has its decision: it is written once', old.id),
      errcode = 'restrict_violation';
  end if;
  return new;
end;
$$;
comment on function walltrack.trigger_signal_append_only() is
'Refuses edits of a signal''s event columns and a second write of its decision columns.';

-- Triggers on signals, in the order Postgres fires them (one timing at a time, by name):
--   insert    signals_before_insert_engine_only  recorded from deliveries, never by hand
--   update    signals_before_update_append_only  the event never changes; the decision once
--             signals_before_update_decision_engine_only  decided by WallTrack, never by hand
--   delete    signals_before_delete_refuse       refused: the audit log is permanent
--   truncate  signals_before_truncate_refuse     refused
-- A swap typed in would move the leader's holding (and so its mirror sells' fractions); a
-- decision typed in would count a copy that never happened in the scoreboard. Both are
-- written by walltrack.ingest_swaps only, with the engine-write mark (see 07_positions.sql).
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
  (
    new.decision, new.decision_reason, new.position_id, new.order_id, new.copy_sizing,
    new.consensus
  )
  is distinct from
  (
    old.decision, old.decision_reason, old.position_id, old.order_id, old.copy_sizing,
    old.consensus
  )
  and pg_trigger_depth() = 0
  and current_setting('walltrack.engine_write', true) is distinct from 'on'
)
execute function walltrack.trigger_refuse_direct_write(
  'signal %s: its decision is WallTrack''s, written when the signal is recorded',
  'Decisions are never typed in: a copy that did not happen would count in the scoreboard.'
);

create trigger signals_before_update_append_only
before update on walltrack.signals
for each row execute function walltrack.trigger_signal_append_only();

create trigger signals_before_delete_refuse
before delete on walltrack.signals
for each row execute function walltrack.trigger_refuse_change(
  'Signals are the audit log of every swap: they are never deleted.'
);

create trigger signals_before_truncate_refuse
before truncate on walltrack.signals
for each statement execute function walltrack.trigger_refuse_change(
  'Signals are the audit log of every swap: they are never deleted.'
);

alter table walltrack.signals enable row level security;
grant select, insert, update on walltrack.signals to service_role;

comment on table walltrack.signals is
'Event Sourcing: every swap a watched wallet made, as Helius reported it (raw payload '
'included), with the decision taken on it. Append-only: one row per (signature, wallet, '
'token) whatever Helius re-delivers; decision columns are written once.';
comment on column walltrack.signals.id is 'Identity of the signal.';
comment on column walltrack.signals.signature is 'Transaction signature (base58).';
comment on column walltrack.signals.slot is 'Slot the transaction landed in.';
comment on column walltrack.signals.block_time is 'Block time of the transaction.';
comment on column walltrack.signals.received_at is 'When WallTrack received the webhook.';
comment on column walltrack.signals.wallet_id is 'The watched wallet that swapped.';
comment on column walltrack.signals.source is 'DEX or program Helius named (JUPITER, RAYDIUM...).';
comment on column walltrack.signals.side is
'buy = the wallet received the token; sell = it gave the token away.';
comment on column walltrack.signals.token_mint is 'The token traded (not SOL / the quote).';
comment on column walltrack.signals.token_amount is
'Token amount the wallet gained or gave, in atomic units (> 0).';
comment on column walltrack.signals.token_decimals is 'Decimals of token_mint.';
comment on column walltrack.signals.quote_mint is
'What the token was paid with: SOL (wSOL mint) or a stablecoin for token-to-token swaps.';
comment on column walltrack.signals.quote_amount is 'Quote amount, in atomic units.';
comment on column walltrack.signals.quote_decimals is 'Decimals of quote_mint (9 for SOL).';
comment on column walltrack.signals.price_sol is
'Price per whole token in SOL paid by the leader (SOL quotes only).';
comment on column walltrack.signals.tx_error is
'Error of a failed transaction: recorded for the audit log, decided ignored.';
comment on column walltrack.signals.raw is 'The enhanced transaction as Helius sent it.';
comment on column walltrack.signals.decision is
'copied / skipped / ignored, written once; empty while pending (a buy waiting on its token''s '
'lookup, or a signal waiting behind it).';
comment on column walltrack.signals.decision_reason is
'Machine-readable reason: copied, mirror_sell, wallet_not_active, trading_disabled, '
'breaker_active, leader_paused (the leader''s own protections paused it), token_unsafe, '
'token_unknown, token_not_checked, max_positions, leader_trade_too_small (under '
'config.min_leader_trade_sol), balance_unknown (balance_fraction sizing of a live copy '
'before the trading key was read), awaiting_consensus (a consensus group''s buy before '
'enough of its leaders bought), consensus_entered (the group''s consensus already holds the '
'token), awaiting_majority (a consensus entry not yet followed out), '
'exposure_limit, already_holding, below_min_size, no_position_to_mirror, mirror_sells_off, '
'live_trading_off, failed_transaction, not_a_sol_quote, stale (a buy not decided within '
'config.max_copy_delay_seconds of its block time), chain_mismatch (a live buy of a token '
'an unresolved phantom or deficit chain finding holds).';
comment on column walltrack.signals.decided_at is 'When the decision was taken.';
comment on column walltrack.signals.position_id is 'The position opened or sold by the decision.';
comment on column walltrack.signals.order_id is 'The order the decision created.';
comment on column walltrack.signals.copy_sizing is
'How a copied buy was sized (walltrack.copy_sizing): the mode, its inputs (leader''s SOL, '
'fraction, available SOL, tier), the raw amount, the cap and size_sol. Written with the '
'decision, once.';
comment on column walltrack.signals.consensus is
'For a buy by a wallet of a consensus group (its exit strategy''s consensus_min_leaders): the '
'leaders who bought the token within the window, their weights, whether they formed the '
'consensus and its exit rule. On a copy, the leaders who formed it. Written with the decision.';
comment on column walltrack.signals.found_by is
'webhook = delivered as it happened; backfill = found later in the wallet''s history, a '
'delivery the webhook missed.';
