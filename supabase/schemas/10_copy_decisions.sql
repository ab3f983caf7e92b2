-- Copy decisions: walltrack.ingest_swaps records a Helius batch as signals first, then
-- decides each new one: copy a buy (size it; the batch's copies are opened together, their
-- positions, entry orders and simulated fills in a few statements), mirror a sell, or say
-- why not. For the webhook, a buy of a token whose facts are being looked up stays pending
-- (decision empty) and every later signal of that token waits behind it; whoever completes
-- the lookup decides them (walltrack.complete_token_lookup), or the schedule does
-- (walltrack.decide_waiting).

create function walltrack.copy_sizing(
  cfg walltrack.config, wallet_size_sol numeric, leader_sol numeric, available_sol numeric
)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
-- What a copy spends and how it was worked out (signals.copy_sizing): the wallet's own size,
-- else the config's mode: fixed, a fraction of the leader's SOL amount, a fraction of our own
-- available SOL (available_sol: the paper bankroll or the trading key's), or the tier the
-- leader's amount reaches. Capped at max_position_sol, truncated to whole lamports; size_sol
-- is empty when an input it needs is unknown. The caller compares it with the minimum.
declare
  mode text := case
    when wallet_size_sol is not null then 'wallet' else cfg.sizing_mode::text
  end;
  tier jsonb := case when mode = 'tiers' then (
    select t.tier from jsonb_array_elements(cfg.size_tiers) as t (tier)
    where (t.tier ->> 'min_leader_sol')::numeric <= leader_sol
    order by (t.tier ->> 'min_leader_sol')::numeric desc
    limit 1
  ) end;
  raw_sol numeric := case mode
    when 'wallet' then wallet_size_sol
    when 'fixed' then cfg.fixed_amount_sol
    when 'leader_fraction' then cfg.leader_fraction * leader_sol
    -- (a bankroll in the red spends nothing; an unknown one stays unknown)
    when 'balance_fraction' then cfg.balance_fraction
      * case when available_sol < 0 then 0 else available_sol end
    when 'tiers' then (tier ->> 'size_sol')::numeric
  end;
begin
  return jsonb_strip_nulls(jsonb_build_object(
    'mode', mode,
    'leader_sol', leader_sol,
    'fraction', case mode
      when 'leader_fraction' then cfg.leader_fraction
      when 'balance_fraction' then cfg.balance_fraction
    end,
    'available_sol', case when mode = 'balance_fraction' then available_sol end,
    'tier', tier,
    'raw_sol', raw_sol,
    'capped_at', case when raw_sol > cfg.max_position_sol then cfg.max_position_sol end,
    'size_sol', case
      when raw_sol is not null then trunc(least(raw_sol, cfg.max_position_sol), 9)
    end
  ));
end;
$$;
comment on function walltrack.copy_sizing(walltrack.config, numeric, numeric, numeric) is
'A copy''s size and how it was worked out (mode, inputs, raw amount, cap): the wallet''s own '
'size, else fixed, leader_fraction, balance_fraction or tiers, capped at '
'config.max_position_sol and truncated to lamports (JSON).';
grant execute on function walltrack.copy_sizing(walltrack.config, numeric, numeric, numeric)
to service_role;

create function walltrack.sizes_on_balance()
returns boolean
language sql
stable
set search_path = ''
as $$
  -- As text: a migration adds the value and creates this function in one transaction.
  select c.sizing_mode::text = 'balance_fraction' from walltrack.config as c;
$$;
comment on function walltrack.sizes_on_balance() is
'True when copies are sized on our own available SOL (config.sizing_mode balance_fraction).';
grant execute on function walltrack.sizes_on_balance() to service_role;

create function walltrack.available_sol(mode walltrack.trade_mode)
returns numeric
language plpgsql
stable
set search_path = ''
as $$
-- Our own SOL to size balance_fraction copies on. Paper: config.sim_bankroll_sol plus the
-- paper positions' realized PnL, less the cost their open positions still hold. Live: the
-- trading key's SOL at the last chain read (reconcile-wallet), less the live buys sent since,
-- plus the live sales filled since; empty until the key was read once (fees not counted).
declare
  cfg walltrack.config;
begin
  select c.* into strict cfg from walltrack.config as c;
  if mode = 'simulation' then
    return cfg.sim_bankroll_sol + coalesce((
      select sum(p.realized_pnl_sol)
        - sum(p.cost_basis_sol - p.proceeds_sol + p.realized_pnl_sol)
          filter (where p.status in ('opening', 'open', 'closing'))
      from walltrack.positions as p where p.mode = 'simulation'
    ), 0);
  end if;
  if cfg.trading_key_read_at is null then
    return null;
  end if;
  return cfg.trading_key_sol_lamports / 1e9 + coalesce((
    select
      sum(o.filled_out) filter (where o.side = 'sell' and o.status = 'confirmed') / 1e9
      - coalesce(sum(o.amount_in) filter (where o.side = 'buy' and o.status <> 'failed'), 0)
        / 1e9
    from walltrack.orders as o
    where o.mode = 'live' and o.created_at > cfg.trading_key_read_at
  ), 0);
end;
$$;
comment on function walltrack.available_sol(walltrack.trade_mode) is
'Our own SOL that balance_fraction sizes on: the paper bankroll with its realized PnL less its '
'open cost, or the trading key''s last read SOL less the live buys since (empty if never read).';
grant execute on function walltrack.available_sol(walltrack.trade_mode) to service_role;

-- walltrack.token_gate(token_mint), the token's refusal reason, comes with the token
-- verdicts (04_tokens.sql); walltrack.reconciliation_gate(token_mint), the chain's, with
-- the reconciliation findings (08_reconciliation.sql).
create function walltrack.token_gates(token_mint text)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
-- The token's refusal reason per trade mode, read once per batch: a paper copy sees only the
-- token's verdict; a live one also the chain's (an unresolved phantom or deficit of it).
declare
  verdict text := walltrack.token_gate(token_mint);
begin
  return jsonb_build_object(
    'simulation', verdict,
    'live', coalesce(verdict, walltrack.reconciliation_gate(token_mint))
  );
end;
$$;
comment on function walltrack.token_gates(text) is
'{"simulation": reason, "live": reason}: why a buy of the token is refused in each mode '
'(token_gate; live adds reconciliation_gate), null where it may be bought.';
grant execute on function walltrack.token_gates(text) to service_role;

create function walltrack.leader_holding_before(signal walltrack.signals)
returns numeric
language plpgsql
stable
set search_path = ''
as $$
-- What the leader held of the token just before this signal, as far as its recorded
-- swaps tell (buys minus sells). Holdings from before we watched it are unknown.
begin
  return (
    select coalesce(sum(case when s.side = 'buy' then s.token_amount else -s.token_amount end), 0)
    from walltrack.signals as s
    where
      s.wallet_id = signal.wallet_id and s.token_mint = signal.token_mint
      and s.tx_error is null
      and (s.block_time, s.slot, s.id) < (signal.block_time, signal.slot, signal.id)
  );
end;
$$;
comment on function walltrack.leader_holding_before(walltrack.signals) is
'The leader''s recorded holding of the signal''s token before the signal (buys - sells).';
grant execute on function walltrack.leader_holding_before(walltrack.signals) to service_role;

create function walltrack.open_exposure_sol()
returns numeric
language plpgsql
stable
set search_path = ''
as $$
-- What is at stake now: the cost still held in open positions (position_open_cost_sol,
-- written out so the scan pays no call per position) plus the SOL committed to entries
-- not filled yet.
begin
  return
    coalesce((
      select sum(p.cost_basis_sol - p.proceeds_sol + p.realized_pnl_sol)
      from walltrack.positions as p
      where p.status in ('open', 'closing')
    ), 0)
    + coalesce((
      select sum(o.amount_in) / 1e9 from walltrack.orders as o
      where o.side = 'buy' and o.status in ('pending', 'submitted')
    ), 0);
end;
$$;
comment on function walltrack.open_exposure_sol() is
'Total exposure in SOL: open positions at cost plus entry orders still in flight.';
grant execute on function walltrack.open_exposure_sol() to service_role;

create type walltrack.book as (
  open_positions integer,
  exposure_sol numeric,
  breaker_active boolean,
  paused_leaders bigint[], -- noqa: LT01
  paper_available_sol numeric,
  live_available_sol numeric,
  consensus_on boolean
);
comment on type walltrack.book is
'What the limits look at, read once per batch and kept current by each decision: open '
'positions, exposure in SOL, breaker state, the leaders their protections paused, our own '
'available SOL per mode (balance_fraction sizing), whether any strategy asks for a consensus.';

create function walltrack.current_book()
returns walltrack.book
language plpgsql
stable
set search_path = ''
as $$
declare
  on_balance boolean := walltrack.sizes_on_balance();
begin
  return row(
    (
      select count(*) from walltrack.positions as p
      where p.status in ('opening', 'open', 'closing')
    ),
    walltrack.open_exposure_sol(),
    walltrack.breaker_is_active(),
    walltrack.paused_leaders(),
    -- Read only where copies are sized on it (a scan of the positions).
    case when on_balance then walltrack.available_sol('simulation') end,
    case when on_balance then walltrack.available_sol('live') end,
    exists (
      select from walltrack.exit_strategies as s where s.consensus_min_leaders is not null
    )
  )::walltrack.book;
end;
$$;
comment on function walltrack.current_book() is
'Open positions, exposure, breaker state, paused leaders and available SOL now: the starting '
'point of a batch''s decisions.';
grant execute on function walltrack.current_book() to service_role;

create type walltrack.decision as (
  decision walltrack.signal_decision,
  reason text,
  position_id bigint,
  order_id bigint,
  positions_delta integer,
  exposure_delta_sol numeric,
  copy_size_sol numeric,
  sizing jsonb,
  consensus jsonb
);
comment on type walltrack.decision is
'The outcome of deciding one signal, how it moved the book (positions, exposure) and, for a '
'copy to open, its size in SOL and how it was worked out, and for a consensus group''s buy its '
'leaders.';

create function walltrack.skip(reason text)
returns walltrack.decision
language plpgsql
immutable
set search_path = ''
as $$
begin
  return row('skipped', reason, null, null, 0, 0, null, null, null)::walltrack.decision;
end;
$$;
comment on function walltrack.skip(text) is 'A skipped decision with its reason.';
grant execute on function walltrack.skip(text) to service_role;

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
    and walltrack.clock() - coalesce(signal.block_time, signal.received_at)
    > make_interval(secs => cfg.max_copy_delay_seconds),
    false
  );
$$;
comment on function walltrack.buy_is_stale(walltrack.signals, walltrack.config) is
'True for a leader buy whose block time is more than config.max_copy_delay_seconds ago.';
grant execute on function walltrack.buy_is_stale(walltrack.signals, walltrack.config)
to service_role;

create function walltrack.decide_buy(
  signal walltrack.signals, wallet walltrack.wallets, cfg walltrack.config, book walltrack.book,
  gate text, positions_in_token integer
)
returns walltrack.decision
language plpgsql
stable
set search_path = ''
as $$
-- Rules in the order an operator reads them; the first that refuses gives the reason. The
-- token's gate (token_gate) and its open positions come from the caller, which reads them
-- once per batch and counts the copies it decides. A copy is opened by open_copies.
declare
  refusal text;
  sizing jsonb;
  size_sol numeric;
  strategy walltrack.exit_strategies;
  consensus jsonb;
  outcome walltrack.decision;
  available numeric := case wallet.mode
    when 'simulation' then book.paper_available_sol else book.live_available_sol
  end;
begin
  refusal := case
    when wallet.status <> 'active' then 'wallet_not_active'
    when not cfg.trading_enabled then 'trading_disabled'
    when book.breaker_active then 'breaker_active'
    when wallet.id = any(book.paused_leaders) then 'leader_paused'
    when wallet.mode = 'live' and not cfg.live_trading_enabled then 'live_trading_off'
    when signal.quote_mint <> 'So11111111111111111111111111111111111111112'
      then 'not_a_sol_quote'
    when coalesce(signal.price_sol <= 0, true) then 'no_leader_price'
    when walltrack.buy_is_stale(signal, cfg) then 'stale'
    when signal.quote_amount / 1e9 < cfg.min_leader_trade_sol then 'leader_trade_too_small'
    else gate
  end;
  -- A consensus group's buy waits for enough of its leaders; one consensus, one position.
  if refusal is null and book.consensus_on then
    strategy := walltrack.consensus_strategy(wallet);
    if strategy.id is not null then
      consensus := walltrack.consensus_for(signal, strategy);
      refusal := case
        when not (consensus ->> 'formed')::boolean then 'awaiting_consensus'
        when walltrack.consensus_entered(signal.token_mint, strategy.name)
          then 'consensus_entered'
      end;
    end if;
  end if;
  if refusal is null then
    sizing := walltrack.copy_sizing(cfg, wallet.position_size_sol, signal.quote_amount / 1e9,
      available);
    size_sol := (sizing ->> 'size_sol')::numeric;
    refusal := case
      when positions_in_token >= cfg.max_positions_per_token then 'already_holding'
      when book.open_positions >= cfg.max_open_positions then 'max_positions'
      when sizing ->> 'mode' = 'balance_fraction' and available is null then 'balance_unknown'
      when coalesce(size_sol < cfg.min_position_sol, true) then 'below_min_size'
      when size_sol + book.exposure_sol > cfg.max_total_exposure_sol then 'exposure_limit'
    end;
  end if;
  if refusal is not null then
    outcome := walltrack.skip(refusal);
    outcome.consensus := consensus;
    return outcome;
  end if;
  -- What the copy puts at stake: a live entry its size until it fills; a simulated one
  -- fills at once, and its fill adds the simulated fee to the position's cost.
  return row(
    'copied', 'copied', null, null, 1,
    size_sol + case when wallet.mode = 'simulation' then cfg.sim_fee_lamports / 1e9 else 0 end,
    size_sol, sizing, consensus
  )::walltrack.decision;
end;
$$;
comment on function walltrack.decide_buy(
  walltrack.signals, walltrack.wallets, walltrack.config, walltrack.book, text, integer
) is
'Decides a leader buy: refuses with a reason, or copies it with its size (opened by '
'walltrack.open_copies with the batch''s other copies).';

create function walltrack.open_copies(
  outcomes walltrack.decision[], copies walltrack.signals[], modes walltrack.trade_mode[],
  slots integer[], cfg walltrack.config
)
returns walltrack.decision[]
language plpgsql
set search_path = ''
as $$
-- Opens the copies decided so far (each leader buy with its wallet's mode; slots: where its
-- decision sits in outcomes, with the size), in chain order: one statement for their
-- positions, one for their entry orders, whose simulated fills the orders' fill trigger
-- applies in one more. Returns the decisions with their position and order ids.
declare
  position_ids bigint[];
  order_ids bigint[];
  outcome walltrack.decision;
  engine text := walltrack.begin_engine_write();
begin
  -- The ids come from a sequence, drawn in the order the rows are inserted: chain order.
  with opened as (
    insert into walltrack.positions (
      wallet_id, token_mint, token_decimals, mode, opened_from_signal_id
    )
    select
      copies[n].wallet_id, copies[n].token_mint, copies[n].token_decimals, modes[n],
      copies[n].id
    from generate_subscripts(copies, 1) as n
    order by n
    returning id
  )
  select array_agg(o.id order by o.id) into position_ids from opened as o;
  perform walltrack.end_engine_write(engine);
  order_ids := walltrack.insert_orders(array(
    select walltrack.order_intent(
      position_id => position_ids[n], signal_id => copies[n].id, side => 'buy',
      reason => 'copy_entry', mode => modes[n], token_mint => copies[n].token_mint,
      amount_in => outcomes[slots[n]].copy_size_sol * 1e9,
      idempotency_key => format('signal:%s:entry', copies[n].id), cfg => cfg,
      token_decimals => copies[n].token_decimals, reference_price_sol => copies[n].price_sol
    )
    from generate_subscripts(copies, 1) as n
    order by n
  ));
  for n in 1 .. cardinality(slots) loop
    outcome := outcomes[slots[n]];
    outcome.position_id := position_ids[n];
    outcome.order_id := order_ids[n];
    outcomes[slots[n]] := outcome;
  end loop;
  return outcomes;
end;
$$;
comment on function walltrack.open_copies(
  walltrack.decision[], walltrack.signals[], walltrack.trade_mode[], integer[], walltrack.config
) is
'Opens a batch''s copies decided so far (positions and entry orders in one statement each, '
'simulated entries filled at once); returns the decisions with their position and order ids.';

create function walltrack.decide_sell(
  signal walltrack.signals, wallet walltrack.wallets, cfg walltrack.config
)
returns walltrack.decision
language plpgsql
set search_path = ''
as $$
-- A leader sell mirror-sells the same fraction of each open position copied from that
-- wallet in that token, when the wallet (or else the position's strategy) says so. A
-- consensus entry it helped form follows its leaders out by its exit rule instead, all at
-- once (consensus_follows). Exits run whatever the wallet status, the trading switch
-- or the breaker.
declare
  holding numeric := walltrack.leader_holding_before(signal);
  fraction numeric := case
    when holding > signal.token_amount then signal.token_amount / holding else 1
  end;
  pos walltrack.positions;
  held numeric;
  sell_qty numeric;
  new_order_id bigint;
  sold walltrack.positions;
  outcome walltrack.decision := walltrack.skip('no_position_to_mirror');
  item record;
  entry jsonb;
  follow text;
begin
  -- The wallet's own copies of the token, and the consensus entries it helped form.
  for item in
    select p as pos, o.consensus as entry from walltrack.positions as p
    left join walltrack.signals as o on p.opened_from_signal_id = o.id
    where
      p.token_mint = signal.token_mint and p.status in ('open', 'closing')
      and (
        (o.consensus is null and p.wallet_id = wallet.id)
        or o.consensus -> 'leaders' @> jsonb_build_array(jsonb_build_object(
          'wallet_id', wallet.id))
      )
    order by p.id
  loop
    pos := item.pos;
    entry := item.entry;
    outcome.position_id := coalesce(outcome.position_id, pos.id);
    held := pos.qty_bought - pos.qty_sold;
    follow := case when entry is not null
      then walltrack.consensus_follows(pos, entry, signal) end;
    sell_qty := case
      when follow is not null or fraction = 1 then held else floor(held * fraction)
    end;
    -- Do not leave dust behind a mirror sell: sell it all.
    if walltrack.position_open_cost_sol(pos) * (held - sell_qty) / nullif(held, 0)
      < cfg.position_dust_sol then
      sell_qty := held;
    end if;
    outcome.reason := case
      when follow <> 'all' then follow
      when follow is null and not coalesce(
        wallet.copy_sells,
        ((pos.exit_strategy_snapshot || pos.exit_strategy_override)
          ->> 'mirror_leader_sells')::boolean,
        false
      ) then 'mirror_sells_off'
      when pos.mode = 'live' and not cfg.live_trading_enabled then 'live_trading_off'
      when exists (
        select from walltrack.orders as o
        where o.position_id = pos.id and o.side = 'sell'
          and o.status in ('pending', 'submitted')
      ) then 'exit_in_flight'
      when sell_qty <= 0 then 'below_min_size'
    end;
    continue when outcome.reason is not null;

    new_order_id := walltrack.place_order(
      position_id => pos.id, signal_id => signal.id, side => 'sell', reason => 'mirror_sell',
      mode => pos.mode, token_mint => signal.token_mint, amount_in => sell_qty,
      idempotency_key => format('signal:%s:mirror:%s', signal.id, pos.id), cfg => cfg,
      token_decimals => pos.token_decimals,
      reference_price_sol => coalesce(signal.price_sol, pos.last_price_sol)
    );
    outcome.decision := 'copied';
    outcome.reason := 'mirror_sell';
    outcome.order_id := coalesce(outcome.order_id, new_order_id);
    if pos.mode = 'simulation' then
      select p.* into sold from walltrack.positions as p where p.id = pos.id;
      outcome.exposure_delta_sol := outcome.exposure_delta_sol
        + walltrack.position_open_cost_sol(sold) - walltrack.position_open_cost_sol(pos);
      outcome.positions_delta := outcome.positions_delta
        - (sold.status = 'closed')::integer;
    end if;
  end loop;
  if outcome.decision = 'copied' then
    outcome.reason := 'mirror_sell';
  end if;
  return outcome;
end;
$$;
comment on function walltrack.decide_sell(walltrack.signals, walltrack.wallets, walltrack.config) is
'Decides a leader sell: mirror-sells the same fraction of the open positions copied from '
'that wallet in that token, or says why not.';

create function walltrack.decide_signal(
  signal walltrack.signals, wallet walltrack.wallets, cfg walltrack.config, book walltrack.book,
  gate text, positions_in_token integer
)
returns walltrack.decision
language plpgsql
set search_path = ''
as $$
-- Decides one recorded signal of the wallet; the caller opens the copies and records the
-- decision.
begin
  return case
    when signal.tx_error is not null then row(
      'ignored', 'failed_transaction', null, null, 0, 0, null, null, null
    )::walltrack.decision
    when signal.side = 'buy'
      then walltrack.decide_buy(signal, wallet, cfg, book, gate, positions_in_token)
    else walltrack.decide_sell(signal, wallet, cfg)
  end;
end;
$$;
comment on function walltrack.decide_signal(
  walltrack.signals, walltrack.wallets, walltrack.config, walltrack.book, text, integer
) is
'Decides one signal (copy, mirror, skip or ignore) against the batch''s book.';

create function walltrack.insert_signals(
  transactions jsonb, found_by walltrack.signal_origin
)
returns bigint[]
language plpgsql
set search_path = ''
as $$
-- Every swap of a watched wallet in normalised transactions, as a signal (a re-delivery
-- changes nothing); a failed transaction as one signal per watched account. The new ids.
-- PL/pgSQL, not SQL: its plan is prepared once per session, not at every delivery.
declare
  new_ids bigint[];
begin
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
      token_decimals, quote_mint, quote_amount, quote_decimals, price_sol, tx_error, raw,
      found_by
    )
    select
      r.signature, r.slot, r.block_time, w.id, r.source, r.side, r.token_mint, r.token_amount,
      r.token_decimals, r.quote_mint, r.quote_amount, r.quote_decimals,
      case
        when r.quote_mint = 'So11111111111111111111111111111111111111112'
          then round(r.quote_amount / 1e9 / (r.token_amount / 10::numeric ^ r.token_decimals), 18)
      end,
      r.tx_error, r.body -> 'raw', insert_signals.found_by
    from swap_rows as r
    inner join walltrack.wallets as w on r.wallet = w.address
    on conflict on constraint signals_dedupe do nothing
    returning id
  )

  select coalesce(array_agg(i.id), '{}') into new_ids from inserted as i;
  return new_ids;
end;
$$;
comment on function walltrack.insert_signals(jsonb, walltrack.signal_origin) is
'Inserts the signals of normalised transactions (idempotent on signature, wallet, mint), '
'marked with who found them, and returns the new ids; the caller holds the engine-write mark.';
grant execute on function walltrack.insert_signals(jsonb, walltrack.signal_origin)
to service_role;

create function walltrack.record_swaps(
  transactions jsonb, found_by walltrack.signal_origin
)
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
    new_ids := walltrack.insert_signals(transactions, found_by);
  exception when others then
    for item in
      select t.value, t.ordinality from jsonb_array_elements(transactions) with ordinality as t
    loop
      begin
        new_ids := new_ids || walltrack.insert_signals(jsonb_build_array(item.value), found_by);
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
comment on function walltrack.record_swaps(jsonb, walltrack.signal_origin) is
'Stores normalised transactions as signals and returns the new ids; a transaction the '
'database refuses is recorded as a fault and the others are stored.';
grant execute on function walltrack.record_swaps(jsonb, walltrack.signal_origin)
to service_role;

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
-- Set-based where the rules allow: the tokens' gates (per mode: token_gates) and open
-- positions are read once, the copies decided are opened together (open_copies), and all
-- decisions are written in one statement. A sell may mirror a copy just decided, and its
-- close may trip the breaker for the buys after it, so the copies decided before a sell are
-- opened before it is decided.
declare
  cfg walltrack.config;
  book walltrack.book;
  item record;
  outcome walltrack.decision;
  outcomes walltrack.decision[] := '{}'::walltrack.decision[];
  decided_ids bigint[] := '{}'::bigint[];
  held text[];
  awaited text[] := '{}'::text[];
  gates jsonb;
  positions_by_token jsonb;
  copies walltrack.signals[] := '{}'::walltrack.signals[];
  copy_modes walltrack.trade_mode[] := '{}'::walltrack.trade_mode[];
  copy_slots integer[] := '{}'::integer[];
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
  select
    coalesce(jsonb_object_agg(m.token_mint, walltrack.token_gates(m.token_mint)), '{}'),
    coalesce(jsonb_object_agg(m.token_mint, (
      select count(*) from walltrack.positions as p
      where p.token_mint = m.token_mint and p.status in ('opening', 'open', 'closing')
    )), '{}')
  into gates, positions_by_token
  from (
    select distinct s.token_mint from walltrack.signals as s
    where s.id = any(candidate_ids) and s.side = 'buy' and s.decision is null
  ) as m;
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
    if (item.signal).side = 'sell' and cardinality(copies) > 0 then
      outcomes := walltrack.open_copies(outcomes, copies, copy_modes, copy_slots, cfg);
      copies := '{}';
      copy_modes := '{}';
      copy_slots := '{}';
    end if;
    outcome := walltrack.decide_signal(item.signal, item.wallet, cfg, book,
      gates -> (item.signal).token_mint ->> (item.wallet).mode::text,
      coalesce((positions_by_token ->> (item.signal).token_mint)::integer, 0));
    if outcome.copy_size_sol is not null then
      copies := copies || item.signal;
      copy_modes := copy_modes || (item.wallet).mode;
      copy_slots := copy_slots || (cardinality(outcomes) + 1);
    end if;
    if positions_by_token ? (item.signal).token_mint then
      positions_by_token := jsonb_set(positions_by_token, array[(item.signal).token_mint],
        to_jsonb((positions_by_token ->> (item.signal).token_mint)::integer
          + outcome.positions_delta));
    end if;
    book.open_positions := book.open_positions + outcome.positions_delta;
    book.exposure_sol := book.exposure_sol + outcome.exposure_delta_sol;
    if outcome.copy_size_sol is not null then
      -- The copy's SOL is no longer available to the next copies of its mode.
      if (item.wallet).mode = 'simulation' then
        book.paper_available_sol := book.paper_available_sol - outcome.exposure_delta_sol;
      else
        book.live_available_sol := book.live_available_sol - outcome.exposure_delta_sol;
      end if;
    end if;
    if outcome.positions_delta < 0 then
      -- A close may have tripped the breaker or paused its leader, and gave its SOL back:
      -- the next buys of the batch must see it.
      book.breaker_active := walltrack.breaker_is_active();
      book.paused_leaders := walltrack.paused_leaders();
      -- (read only where copies are sized on it: then it is never empty)
      if book.paper_available_sol is not null then
        book.paper_available_sol := walltrack.available_sol('simulation');
      end if;
    end if;
    decided_ids := decided_ids || (item.signal).id;
    outcomes := outcomes || outcome;
  end loop;
  if cardinality(copies) > 0 then
    outcomes := walltrack.open_copies(outcomes, copies, copy_modes, copy_slots, cfg);
  end if;

  -- Every decision written at once, each on its signal (set once, see the signals trigger).
  engine := walltrack.begin_engine_write();
  update walltrack.signals as s
  set
    decision = d.decision,
    decision_reason = d.reason,
    decided_at = walltrack.clock(),
    position_id = d.position_id,
    order_id = d.order_id,
    copy_sizing = d.sizing,
    consensus = d.consensus
  from rows from (unnest(decided_ids), unnest(outcomes)) as d(
    signal_id, decision, reason, position_id, order_id, positions_delta, exposure_delta_sol,
    copy_size_sol, sizing, consensus
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

create function walltrack.decision_report(decided_ids bigint[], worker text default null)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- What the caller acts on: each decision, in decision order, and the live orders they
-- created (to execute at once). Given the caller's worker name, those orders come already
-- claimed for it (claimed_orders): the caller executes them without reading them back.
-- PL/pgSQL for its prepared plan, as insert_signals.
declare
  live_orders bigint[] := array(
    select o.id from walltrack.orders as o
    where o.signal_id = any(decided_ids) and o.mode = 'live' and o.status = 'pending'
    order by o.id
  );
begin
  return jsonb_build_object(
    'decisions', (
      select coalesce(jsonb_agg(jsonb_build_object(
        'signal_id', s.id, 'signature', s.signature, 'token_mint', s.token_mint,
        'decision', s.decision, 'reason', s.decision_reason, 'order_id', s.order_id
      ) order by d.ordinality), '[]')
      from unnest(decided_ids) with ordinality as d(signal_id, ordinality)
      inner join walltrack.signals as s on s.id = d.signal_id
    ),
    'live_orders', to_jsonb(live_orders),
    'claimed_orders', case
      when worker is not null and cardinality(live_orders) > 0
        then walltrack.claim_orders(worker, live_orders, cardinality(live_orders))
      else '[]'::jsonb
    end
  );
end;
$$;
comment on function walltrack.decision_report(bigint[], text) is
'{decisions, live_orders, claimed_orders} of the given decided signals; the live orders are '
'claimed for the given worker (none without one).';
grant execute on function walltrack.decision_report(bigint[], text) to service_role;

create function walltrack.ingest_swaps(
  transactions jsonb, fetch_tokens boolean default false, claim_seconds numeric default 15,
  worker text default null, found_by walltrack.signal_origin default 'webhook'
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
-- (walltrack.complete_token_lookup): the caller never sends the delivery twice. Given a
-- worker, the live orders the decisions created come claimed for it (decision_report).
-- found_by says who found the swaps: the webhook, or a backfill of a wallet's history.
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
  new_ids := walltrack.record_swaps(transactions, found_by);
  if fetch_tokens then
    wanted := walltrack.claim_token_lookups(array(
      select distinct s.token_mint
      from walltrack.signals as s
      inner join walltrack.wallets as w on s.wallet_id = w.id and w.status = 'active'
      where s.id = any(new_ids) and s.side = 'buy'
    ), claim_seconds);
  end if;
  decided_ids := walltrack.decide_signals(new_ids, fetch_tokens);
  return walltrack.decision_report(decided_ids, worker) || jsonb_build_object(
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
comment on function walltrack.ingest_swaps(
  jsonb, boolean, numeric, text, walltrack.signal_origin
) is
'Records a normalised Helius delivery as signals (idempotent on signature, wallet, mint) and '
'decides each new one, or with fetch_tokens leaves pending the buys whose token facts must '
'be fetched first (tokens_to_fetch, claimed). Returns decisions, pending signal ids and the '
'live orders to execute (claimed for the worker, if one is given).';
grant execute on function walltrack.ingest_swaps(
  jsonb, boolean, numeric, text, walltrack.signal_origin
) to service_role;

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

create function walltrack.complete_token_lookup(facts jsonb, worker text default null)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- A lookup's end: its facts stored (releasing the claim) and the buys that waited on them
-- decided, under the decisions' lock so no delivery decides in between; their live orders
-- come claimed for the worker, if one is given.
declare
  verdicts jsonb;
  decided_ids bigint[];
begin
  perform pg_advisory_xact_lock(hashtext('walltrack.ingest_swaps'));
  verdicts := walltrack.store_token_facts(facts);
  decided_ids := walltrack.decide_signals(array(
    select s.id from walltrack.signals as s
    where s.decision is null and s.token_mint in (
      select f.value ->> 'mint' from jsonb_array_elements(facts) as f
      where jsonb_typeof(f.value) = 'object'
    )
  ), true);
  return walltrack.decision_report(decided_ids, worker)
    || jsonb_build_object('verdicts', verdicts);
end;
$$;
comment on function walltrack.complete_token_lookup(jsonb, text) is
'Stores a lookup''s token facts and decides the signals that waited on them; returns '
'{verdicts, decisions, live_orders, claimed_orders}.';
grant execute on function walltrack.complete_token_lookup(jsonb, text) to service_role;

grant execute on function walltrack.decide_signal(
  walltrack.signals, walltrack.wallets, walltrack.config, walltrack.book, text, integer
) to service_role;
grant execute on function walltrack.decide_buy(
  walltrack.signals, walltrack.wallets, walltrack.config, walltrack.book, text, integer
) to service_role;
grant execute on function walltrack.open_copies(
  walltrack.decision[], walltrack.signals[], walltrack.trade_mode[], integer[], walltrack.config
) to service_role;
grant execute on function walltrack.decide_sell(
  walltrack.signals, walltrack.wallets, walltrack.config
) to service_role;
