-- store_first_then_decide
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

-- Store first, then decide (issue 15): the webhook's one call stores the whole delivery and
-- decides what it can; buys waiting on token facts stay pending and are decided by whoever
-- completes the lookup (complete_token_lookup) or by the schedule (decide_waiting). A buy
-- decided later than config.max_copy_delay_seconds after its block time is stale.

alter table walltrack.config add column max_copy_delay_seconds integer default 20;
alter table walltrack.config add constraint config_copy_delay_range check (walltrack.ensure(
  coalesce(max_copy_delay_seconds between 1 and 3600, true),
  format(
    'config.max_copy_delay_seconds must be within 1..3600 or empty, got %s',
    max_copy_delay_seconds
  ),
  'Empty copies a buy however late it is decided (only for replaying recorded swaps).'
));
comment on column walltrack.config.max_copy_delay_seconds is
'A leader buy not decided within this many seconds of its block time is skipped as stale: '
'the price has moved on. Sells are mirrored however late. Empty = no limit (a replay of '
'recorded swaps).';

comment on column walltrack.signals.decision_reason is
'Machine-readable reason: copied, mirror_sell, wallet_not_active, trading_disabled, '
'breaker_active, token_unsafe, token_unknown, token_not_checked, max_positions, '
'exposure_limit, already_holding, below_min_size, no_position_to_mirror, mirror_sells_off, '
'live_trading_off, failed_transaction, not_a_sol_quote, stale (a buy not decided within '
'config.max_copy_delay_seconds of its block time).';
comment on column walltrack.signals.decision is
'copied / skipped / ignored, written once; empty while pending (a buy waiting on its token''s '
'lookup, or a signal waiting behind it).';

drop function api.ingest_swaps(jsonb, boolean);
drop function walltrack.ingest_delivery(jsonb, boolean);
drop function walltrack.ingest_swaps(jsonb);
drop function walltrack.tokens_in_flight(jsonb);
drop function api.tokens_to_fetch(jsonb, numeric);
drop function walltrack.tokens_to_fetch(jsonb, numeric);

create function walltrack.claim_token_lookups(mints text[], claim_seconds numeric)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- Which sources to fetch for which of these tokens. Those due are claimed for
-- claim_seconds, so concurrent deliveries of the same new token make one lookup (the others
-- leave their buys pending until it completes); fresh ones count a cache hit.
declare
  cfg walltrack.config;
  wanted jsonb;
  engine text := walltrack.begin_engine_write();
begin
  select c.* into strict cfg from walltrack.config as c;
  insert into walltrack.tokens (mint) select unnest(mints) on conflict do nothing;
  perform walltrack.end_engine_write(engine);

  with due as (
    select t.mint, walltrack.token_sources_due(t, cfg) as sources
    from walltrack.tokens as t
    where t.mint = any(mints) and coalesce(t.lookup_claimed_until <= now(), true)
    for update of t
  ),

  claimed as (
    update walltrack.tokens as t
    set
      lookup_claimed_until = case
        when cardinality(d.sources) > 0 then now() + make_interval(secs => claim_seconds)
      end,
      hit_count = t.hit_count + (cardinality(d.sources) = 0)::integer
    from due as d
    where t.mint = d.mint
    returning t.mint, d.sources
  )

  select coalesce(jsonb_object_agg(c.mint, to_jsonb(c.sources)), '{}')
  into wanted
  from claimed as c where cardinality(c.sources) > 0;
  return wanted;
end;
$$;
comment on function walltrack.claim_token_lookups(text[], numeric) is
'Sources to fetch per token ({mint: [sources]}) among the given mints; claims them so a burst '
'makes one lookup, and counts cache hits.';
grant execute on function walltrack.claim_token_lookups(text[], numeric) to service_role;

create function walltrack.tokens_to_fetch(swaps jsonb, claim_seconds numeric default 3)
returns jsonb
language sql
set search_path = ''
as $$
  -- For the buys of active watched wallets in a delivery's normalised swaps.
  select walltrack.claim_token_lookups(walltrack.tokens_bought(swaps), claim_seconds);
$$;
comment on function walltrack.tokens_to_fetch(jsonb, numeric) is
'Sources to fetch per token bought by an active watched wallet in a delivery ({mint: '
'[sources]}); claims them so a burst makes one lookup, and counts cache hits.';
grant execute on function walltrack.tokens_to_fetch(jsonb, numeric) to service_role;

create function walltrack.tokens_awaiting_lookup(mints text[])
returns text[]
language sql
stable
set search_path = ''
as $$
  -- Tokens whose facts a lookup is fetching right now (claimed, still due): deciding a buy
  -- of one before that lookup ends would refuse it as token_not_checked, where waiting a
  -- moment judges it on its facts.
  select coalesce(array_agg(t.mint order by t.mint), '{}')
  from walltrack.tokens as t
  cross join walltrack.config as c
  where
    t.mint = any(mints)
    and t.lookup_claimed_until > now()
    and cardinality(walltrack.token_sources_due(t, c)) > 0;
$$;
comment on function walltrack.tokens_awaiting_lookup(text[]) is
'The given tokens whose lookup is claimed and not finished.';
grant execute on function walltrack.tokens_awaiting_lookup(text[]) to service_role;

create function walltrack.buy_is_stale(signal walltrack.signals, cfg walltrack.config)
returns boolean
language sql
stable
set search_path = ''
as $$
  -- Copying later than this buys at a price the leader's entry no longer says anything
  -- about. Sells are never stale: an exit is always mirrored.
  select coalesce(
    signal.side = 'buy'
    and now() - coalesce(signal.block_time, signal.received_at)
    > make_interval(secs => cfg.max_copy_delay_seconds),
    false
  );
$$;
comment on function walltrack.buy_is_stale(walltrack.signals, walltrack.config) is
'True for a leader buy whose block time is more than config.max_copy_delay_seconds ago.';
grant execute on function walltrack.buy_is_stale(walltrack.signals, walltrack.config)
to service_role;

create or replace function walltrack.decide_buy(
  signal walltrack.signals, wallet walltrack.wallets, cfg walltrack.config, book walltrack.book
)
returns walltrack.decision
language plpgsql
set search_path = ''
as $$
-- Rules in the order an operator reads them; the first that refuses gives the reason.
declare
  refusal text;
  size_sol numeric;
  new_position_id bigint;
  new_order_id bigint;
  cost_sol numeric;
  engine text;
begin
  refusal := case
    when wallet.status <> 'active' then 'wallet_not_active'
    when not cfg.trading_enabled then 'trading_disabled'
    when book.breaker_active then 'breaker_active'
    when wallet.mode = 'live' and not cfg.live_trading_enabled then 'live_trading_off'
    when signal.quote_mint <> 'So11111111111111111111111111111111111111112'
      then 'not_a_sol_quote'
    when coalesce(signal.price_sol <= 0, true) then 'no_leader_price'
    when walltrack.buy_is_stale(signal, cfg) then 'stale'
    else walltrack.token_gate(signal.token_mint)
  end;
  if refusal is null then
    size_sol := walltrack.copy_size_sol(cfg, wallet.position_size_sol, signal.quote_amount / 1e9);
    refusal := case
      when (
        select count(*) from walltrack.positions as p
        where p.token_mint = signal.token_mint and p.status in ('opening', 'open', 'closing')
      ) >= cfg.max_positions_per_token then 'already_holding'
      when book.open_positions >= cfg.max_open_positions then 'max_positions'
      when coalesce(size_sol < cfg.min_position_sol, true) then 'below_min_size'
      when size_sol + book.exposure_sol > cfg.max_total_exposure_sol then 'exposure_limit'
    end;
  end if;
  if refusal is not null then
    return walltrack.skip(refusal);
  end if;

  engine := walltrack.begin_engine_write();
  insert into walltrack.positions (wallet_id, token_mint, token_decimals, mode, opened_from_signal_id)
  values (wallet.id, signal.token_mint, signal.token_decimals, wallet.mode, signal.id)
  returning id into new_position_id;
  perform walltrack.end_engine_write(engine);
  new_order_id := walltrack.place_order(
    position_id => new_position_id, signal_id => signal.id, side => 'buy',
    reason => 'copy_entry', mode => wallet.mode, token_mint => signal.token_mint,
    amount_in => size_sol * 1e9, idempotency_key => format('signal:%s:entry', signal.id),
    cfg => cfg, token_decimals => signal.token_decimals, reference_price_sol => signal.price_sol
  );
  cost_sol := size_sol;
  if wallet.mode = 'simulation' then
    select walltrack.position_open_cost_sol(p) into cost_sol
    from walltrack.positions as p where p.id = new_position_id;
  end if;
  return row('copied', 'copied', new_position_id, new_order_id, 1, cost_sol)::walltrack.decision;
end;
$$;
comment on function walltrack.decide_buy(
  walltrack.signals, walltrack.wallets, walltrack.config, walltrack.book
) is
'Decides a leader buy: refuses with a reason, or opens a position with its entry order '
'(filled at once in simulation).';

create function walltrack.insert_signals(transactions jsonb)
returns bigint[]
language sql
set search_path = ''
as $$
  -- Every swap of a watched wallet in normalised transactions, as a signal (a re-delivery
  -- changes nothing); a failed transaction as one signal per watched account. The new ids.
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

  select coalesce(array_agg(i.id), '{}') from inserted as i;
$$;
comment on function walltrack.insert_signals(jsonb) is
'Inserts the signals of normalised transactions (idempotent on signature, wallet, mint) and '
'returns the new ids; the caller holds the engine-write mark.';
grant execute on function walltrack.insert_signals(jsonb) to service_role;

create function walltrack.record_swaps(transactions jsonb)
returns bigint[]
language plpgsql
set search_path = ''
as $$
-- The whole delivery in one statement; when the database refuses one of its transactions,
-- each transaction alone, and the one refused becomes a fault (its swaps are not stored,
-- the others are): one bad transaction never costs the delivery.
declare
  new_ids bigint[] := '{}'::bigint[];
  item record;
  error_state text;
  error_message text;
  error_hint text;
  engine text := walltrack.begin_engine_write();
begin
  begin
    new_ids := walltrack.insert_signals(transactions);
  exception when others then
    for item in
      select t.value, t.ordinality from jsonb_array_elements(transactions) with ordinality as t
    loop
      begin
        new_ids := new_ids || walltrack.insert_signals(jsonb_build_array(item.value));
      exception when others then
        get stacked diagnostics error_state = returned_sqlstate, error_message = message_text,
          error_hint = pg_exception_hint;
        perform walltrack.record_fault('ingest_swaps',
          format('transaction %s', coalesce(item.value ->> 'signature', item.ordinality::text)),
          error_state, error_message, nullif(error_hint, ''), item.value);
      end;
    end loop;
  end;
  perform walltrack.end_engine_write(engine);
  return new_ids;
end;
$$;
comment on function walltrack.record_swaps(jsonb) is
'Stores normalised transactions as signals and returns the new ids; a transaction the '
'database refuses is recorded as a fault and the others are stored.';
grant execute on function walltrack.record_swaps(jsonb) to service_role;

create function walltrack.decide_signals(candidate_ids bigint[], hold_for_lookups boolean)
returns bigint[]
language plpgsql
set search_path = ''
as $$
-- Decides the undecided signals among candidate_ids in chain order, against the book;
-- returns the ids decided, in that order. With hold_for_lookups, a buy of a token whose
-- facts a lookup is fetching is held (left pending) unless it is already stale. Every
-- later signal of a held token is held behind it, and so is every signal of a token with
-- a pending signal outside the candidates: a leader's sell is never decided before its buy.
declare
  cfg walltrack.config;
  book walltrack.book;
  item record;
  outcome walltrack.decision;
  outcomes walltrack.decision[] := '{}'::walltrack.decision[];
  decided_ids bigint[] := '{}'::bigint[];
  held text[];
  awaited text[] := '{}'::text[];
  engine text;
begin
  -- Decisions read and change shared limits (open positions, exposure): one batch at a
  -- time decides, so concurrent deliveries cannot both take the last slot.
  perform pg_advisory_xact_lock(hashtext('walltrack.ingest_swaps'));
  select c.* into strict cfg from walltrack.config as c;
  held := array(
    select distinct s.token_mint from walltrack.signals as s
    where s.decision is null and s.token_mint is not null and s.id <> all(candidate_ids)
  );
  if hold_for_lookups then
    awaited := walltrack.tokens_awaiting_lookup(array(
      select s.token_mint from walltrack.signals as s
      where s.id = any(candidate_ids) and s.side = 'buy'
    ));
  end if;
  book := walltrack.current_book();
  for item in
    select s as signal, w as wallet
    from walltrack.signals as s
    inner join walltrack.wallets as w on s.wallet_id = w.id
    where s.id = any(candidate_ids) and s.decision is null
    order by s.block_time, s.slot, s.id
  loop
    if (item.signal).token_mint = any(held) or (
      (item.signal).side = 'buy' and (item.signal).token_mint = any(awaited)
      and (item.wallet).status = 'active' and not walltrack.buy_is_stale(item.signal, cfg)
    ) then
      held := held || (item.signal).token_mint;
      continue;
    end if;
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
  engine := walltrack.begin_engine_write();
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
  return decided_ids;
end;
$$;
comment on function walltrack.decide_signals(bigint[], boolean) is
'Decides the undecided signals among the given ids in chain order (holding, with '
'hold_for_lookups, the buys whose token lookup is in flight and what follows them); returns '
'the ids decided.';
grant execute on function walltrack.decide_signals(bigint[], boolean) to service_role;

create function walltrack.decision_report(decided_ids bigint[])
returns jsonb
language sql
stable
set search_path = ''
as $$
  -- What the caller acts on: each decision, in decision order, and the live orders they
  -- created (to execute at once).
  select jsonb_build_object(
    'decisions', (
      select coalesce(jsonb_agg(jsonb_build_object(
        'signal_id', s.id, 'signature', s.signature, 'token_mint', s.token_mint,
        'decision', s.decision, 'reason', s.decision_reason, 'order_id', s.order_id
      ) order by d.ordinality), '[]')
      from unnest(decided_ids) with ordinality as d(signal_id, ordinality)
      inner join walltrack.signals as s on s.id = d.signal_id
    ),
    'live_orders', (
      select coalesce(jsonb_agg(o.id order by o.id), '[]')
      from walltrack.orders as o
      where o.signal_id = any(decided_ids) and o.mode = 'live' and o.status = 'pending'
    )
  );
$$;
comment on function walltrack.decision_report(bigint[]) is
'{decisions, live_orders} of the given decided signals.';
grant execute on function walltrack.decision_report(bigint[]) to service_role;

create function walltrack.ingest_swaps(
  transactions jsonb, fetch_tokens boolean default false, claim_seconds numeric default 15
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- One Helius delivery, normalised by the webhook function, in one transaction: stored
-- first, then every new signal decided in chain order. Without fetch_tokens (a replay, a
-- test) every one is decided now, on the facts at hand. With it (the webhook), the tokens
-- active wallets buy whose facts are due are claimed for claim_seconds and named in
-- tokens_to_fetch, and their buys stay pending until the lookup completes
-- (walltrack.complete_token_lookup): the caller never sends the delivery twice.
declare
  new_ids bigint[];
  decided_ids bigint[];
  wanted jsonb := '{}'::jsonb;
begin
  if jsonb_typeof(transactions) is distinct from 'array' then
    raise exception using
      message = 'ingest_swaps expects a JSON array of normalised transactions',
      errcode = 'invalid_parameter_value';
  end if;
  perform pg_advisory_xact_lock(hashtext('walltrack.ingest_swaps'));
  new_ids := walltrack.record_swaps(transactions);
  if fetch_tokens then
    wanted := walltrack.claim_token_lookups(array(
      select distinct s.token_mint
      from walltrack.signals as s
      inner join walltrack.wallets as w on s.wallet_id = w.id and w.status = 'active'
      where s.id = any(new_ids) and s.side = 'buy'
    ), claim_seconds);
  end if;
  decided_ids := walltrack.decide_signals(new_ids, fetch_tokens);
  return walltrack.decision_report(decided_ids) || jsonb_build_object(
    'transactions', jsonb_array_length(transactions),
    'swaps', (
      select count(*) from jsonb_array_elements(transactions) as t
      cross join lateral jsonb_array_elements(coalesce(t.value -> 'swaps', '[]'))
    ),
    'new_signals', cardinality(new_ids),
    'pending', to_jsonb(array(
      select s.id from walltrack.signals as s
      where s.id = any(new_ids) and s.decision is null order by s.id
    )),
    'tokens_to_fetch', wanted
  );
end;
$$;
comment on function walltrack.ingest_swaps(jsonb, boolean, numeric) is
'Records a normalised Helius delivery as signals (idempotent on signature, wallet, mint) and '
'decides each new one, or with fetch_tokens leaves pending the buys whose token facts must '
'be fetched first (tokens_to_fetch, claimed). Returns decisions, pending signal ids and the '
'live orders to execute.';
grant execute on function walltrack.ingest_swaps(jsonb, boolean, numeric) to service_role;

create function walltrack.decide_waiting(mints text[] default null)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- Decides the pending signals of these tokens (all when null) that no lookup holds any
-- more: after a lookup completes, or on the schedule for one that died (its claim lapsed).
-- A buy past the copy delay is decided stale, never copied late.
declare
  decided_ids bigint[];
begin
  perform pg_advisory_xact_lock(hashtext('walltrack.ingest_swaps'));
  -- Its own statement: the report (stable) must see the decisions just written.
  decided_ids := walltrack.decide_signals(array(
    select s.id from walltrack.signals as s
    where s.decision is null and (mints is null or s.token_mint = any(mints))
  ), true);
  return walltrack.decision_report(decided_ids);
end;
$$;
comment on function walltrack.decide_waiting(text[]) is
'Decides the pending signals of the given tokens (all when null) whose lookup is no longer '
'in flight; returns {decisions, live_orders}.';
grant execute on function walltrack.decide_waiting(text[]) to service_role;

create function walltrack.complete_token_lookup(facts jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- A lookup's end: its facts stored (releasing the claim) and the buys that waited on them
-- decided, under the decisions' lock so no delivery decides in between.
declare
  verdicts jsonb;
begin
  perform pg_advisory_xact_lock(hashtext('walltrack.ingest_swaps'));
  verdicts := walltrack.store_token_facts(facts);
  return walltrack.decide_waiting(array(
    select f.value ->> 'mint' from jsonb_array_elements(facts) as f
    where jsonb_typeof(f.value) = 'object'
  )) || jsonb_build_object('verdicts', verdicts);
end;
$$;
comment on function walltrack.complete_token_lookup(jsonb) is
'Stores a lookup''s token facts and decides the signals that waited on them; returns '
'{verdicts, decisions, live_orders}.';
grant execute on function walltrack.complete_token_lookup(jsonb) to service_role;

create function api.tokens_to_fetch(swaps jsonb, claim_seconds numeric default 3)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.tokens_to_fetch(swaps, claim_seconds);
$$;
comment on function api.tokens_to_fetch(jsonb, numeric) is
'RPC of walltrack.tokens_to_fetch, for '
'a caller that asks which token facts to fetch before it ingests.';
grant execute on function api.tokens_to_fetch(jsonb, numeric) to service_role;

comment on function api.store_token_facts(jsonb) is
'RPC of walltrack.store_token_facts, for '
'an operator storing facts by hand (lookups use api.complete_token_lookup).';
grant execute on function api.store_token_facts(jsonb) to service_role;

create function api.ingest_swaps(
  transactions jsonb, fetch_tokens boolean default false, claim_seconds numeric default 15
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.ingest_swaps(transactions, fetch_tokens, claim_seconds);
$$;
comment on function api.ingest_swaps(jsonb, boolean, numeric) is
'RPC of walltrack.ingest_swaps, for the helius-webhook function and the replay.';
grant execute on function api.ingest_swaps(jsonb, boolean, numeric) to service_role;

create function api.complete_token_lookup(facts jsonb)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.complete_token_lookup(facts);
$$;
comment on function api.complete_token_lookup(jsonb) is
'RPC of walltrack.complete_token_lookup, for the webhook''s and token-lookup''s lookups.';
grant execute on function api.complete_token_lookup(jsonb) to service_role;

create function api.decide_waiting()
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.decide_waiting(null);
$$;
comment on function api.decide_waiting() is
'RPC of walltrack.decide_waiting, for operators (pg_cron runs the walltrack function).';
grant execute on function api.decide_waiting() to service_role;

create or replace function walltrack.overview()
returns jsonb
language sql
stable
set search_path = ''
as $$
  -- Row counts per table plus the breaker state, for health checks and the demo.
  select jsonb_build_object(
    'wallets', (select count(*) from walltrack.wallets),
    'active_wallets', (
      select count(*) from walltrack.wallets as w where w.status = 'active'
    ),
    'exit_strategies', (select count(*) from walltrack.exit_strategies),
    'tokens', (select count(*) from walltrack.tokens),
    'signals', (select count(*) from walltrack.signals),
    'signals_pending', (
      select count(*) from walltrack.signals as s where s.decision is null
    ),
    'orders', (select count(*) from walltrack.orders),
    'positions', (select count(*) from walltrack.positions),
    'open_positions', (
      select count(*) from walltrack.positions as p where p.status in ('open', 'closing')
    ),
    'circuit_breaker_events', (select count(*) from walltrack.circuit_breaker_events),
    'faults', (select count(*) from walltrack.faults),
    'trading_enabled', (select c.trading_enabled from walltrack.config as c),
    'live_trading_enabled', (select c.live_trading_enabled from walltrack.config as c)
  );
$$;
comment on function walltrack.overview() is
'Row counts per WallTrack table and the trading switches, for health checks and the demo.';
grant execute on function walltrack.overview() to service_role;

-- Buys whose lookup died (its claim lapsed) are decided here, stale past the copy delay.
select cron.schedule(
  'walltrack-decide-waiting', '* * * * *', 'select walltrack.decide_waiting()'
);

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
  c.max_copy_delay_seconds
from walltrack.config as c;
