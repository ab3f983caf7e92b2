-- set_based_copies
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

-- A batch's copies are opened set-based: the copies decided before a sell (or the batch's
-- end) are opened together (walltrack.open_copies: one INSERT of their positions, one of
-- their entry orders), and the orders' fills are applied per statement over the inserted
-- rows (walltrack.apply_fills, in the order they filled, in one trigger call). decide_buy
-- no longer writes: it returns the copy's size, with the token's gate and open positions
-- read once per batch by decide_signals.

alter type walltrack.decision add attribute copy_size_sol numeric;
comment on type walltrack.decision is
'The outcome of deciding one signal, how it moved the book (positions, exposure) and, for a '
'copy to open, its size in SOL.';

drop function walltrack.decide_signal(
  walltrack.signals, walltrack.wallets, walltrack.config, walltrack.book
);
drop function walltrack.decide_buy(
  walltrack.signals, walltrack.wallets, walltrack.config, walltrack.book
);
drop trigger orders_after_insert_apply_fill on walltrack.orders;

create or replace function walltrack.skip(reason text)
returns walltrack.decision
language plpgsql
immutable
set search_path = ''
as $$
begin
  return row('skipped', reason, null, null, 0, 0, null)::walltrack.decision;
end;
$$;
comment on function walltrack.skip(text) is 'A skipped decision with its reason.';
grant execute on function walltrack.skip(text) to service_role;

create function walltrack.order_fees_sol(placed walltrack.orders)
returns numeric
language plpgsql
immutable
set search_path = ''
as $$
-- What the order paid to land: network fee, priority fee and tip.
begin
  return (
    coalesce(placed.network_fee_lamports, 0) + coalesce(placed.priority_fee_lamports, 0)
    + coalesce(placed.tip_lamports, 0)
  ) / 1e9;
end;
$$;
comment on function walltrack.order_fees_sol(walltrack.orders) is
'Fees and tip an order paid, in SOL.';
grant execute on function walltrack.order_fees_sol(walltrack.orders) to service_role;

create function walltrack.apply_fills(fills walltrack.orders[])
returns void
language plpgsql
set search_path = ''
as $$
-- Confirmed orders move their positions, in the order given (the order they filled): a buy
-- adds quantity and cost (fees included), a sell realizes proceeds net of fees minus the
-- average cost of what it sold. What is left below the dust threshold closes the position
-- and its cost is written off; each close extends the equity curve the breaker reads.
declare
  fill walltrack.orders;
  pos walltrack.positions;
  dust_sol numeric;
  held numeric;
  cost_sold numeric;
  proceeds numeric;
begin
  foreach fill in array fills loop
    if fill.side = 'buy' then
      -- A buy only adds: one statement, the position found by its key.
      update walltrack.positions as p
      set
        qty_bought = p.qty_bought + fill.filled_out,
        cost_basis_sol = round(
          p.cost_basis_sol + fill.filled_in / 1e9 + walltrack.order_fees_sol(fill), 9
        ),
        status = case when p.status = 'opening' then 'open' else p.status end,
        last_price_sol = case
          when p.last_price_at > fill.confirmed_at then p.last_price_sol else fill.fill_price_sol
        end,
        last_price_at = greatest(p.last_price_at, fill.confirmed_at)
      where p.id = fill.position_id;
      continue;
    end if;
    dust_sol := coalesce(dust_sol, (select c.position_dust_sol from walltrack.config as c));
    select p.* into strict pos from walltrack.positions as p where p.id = fill.position_id
    for update;
    held := pos.qty_bought - pos.qty_sold;
    perform walltrack.ensure(fill.filled_in <= held,
      format('order %s sold %s but position %s holds %s', fill.id, fill.filled_in, pos.id, held));
    cost_sold := case
      when fill.filled_in = held then walltrack.position_open_cost_sol(pos)
      else round(walltrack.position_open_cost_sol(pos) * fill.filled_in / held, 9)
    end;
    proceeds := round(fill.filled_out / 1e9 - walltrack.order_fees_sol(fill), 9);
    pos.qty_sold := pos.qty_sold + fill.filled_in;
    pos.proceeds_sol := pos.proceeds_sol + proceeds;
    pos.realized_pnl_sol := pos.realized_pnl_sol + proceeds - cost_sold;
    if walltrack.position_open_cost_sol(pos) < dust_sol or pos.qty_sold = pos.qty_bought then
      pos.realized_pnl_sol := pos.realized_pnl_sol - walltrack.position_open_cost_sol(pos);
      pos.status := 'closed';
      pos.close_reason := fill.reason;
      pos.closed_at := fill.confirmed_at;
    end if;
    if pos.last_price_at is null or fill.confirmed_at >= pos.last_price_at then
      pos.last_price_sol := fill.fill_price_sol;
      pos.last_price_at := fill.confirmed_at;
    end if;
    update walltrack.positions as p
    set
      qty_sold = pos.qty_sold,
      proceeds_sol = pos.proceeds_sol,
      realized_pnl_sol = pos.realized_pnl_sol,
      status = pos.status,
      close_reason = pos.close_reason,
      closed_at = pos.closed_at,
      last_price_sol = pos.last_price_sol,
      last_price_at = pos.last_price_at
    where p.id = pos.id;
  end loop;
end;
$$;
comment on function walltrack.apply_fills(walltrack.orders[]) is
'Applies confirmed orders'' fills to their positions, in the order given (average-cost PnL, '
'fees included, close on dust).';
grant execute on function walltrack.apply_fills(walltrack.orders[]) to service_role;

create or replace function walltrack.trigger_order_apply_fill()
returns trigger
language plpgsql
set search_path = ''
as $$
-- An order confirmed by an update (a live fill, recorded from the chain).
begin
  perform walltrack.apply_fills(array[new]);
  return null;
end;
$$;
comment on function walltrack.trigger_order_apply_fill() is
'Applies the fill of an order confirmed by an update to its position.';

create function walltrack.trigger_orders_apply_inserted_fills()
returns trigger
language plpgsql
set search_path = ''
as $$
-- Orders recorded already filled (simulation, write-offs): the statement's fills at once.
declare
  fills walltrack.orders[] := array(
    select o::walltrack.orders from inserted as o where o.status = 'confirmed'
    order by o.confirmed_at, o.id
  );
begin
  if cardinality(fills) > 0 then
    perform walltrack.apply_fills(fills);
  end if;
  return null;
end;
$$;
comment on function walltrack.trigger_orders_apply_inserted_fills() is
'Applies the fills of the orders a statement inserted already confirmed, in one pass.';

-- Statement-level, over the inserted rows: a batch's simulated entries fill in one pass.
create trigger orders_after_insert_apply_fills
after insert on walltrack.orders
referencing new table as inserted
for each statement
execute function walltrack.trigger_orders_apply_inserted_fills();

create function walltrack.order_intent(
  position_id bigint, signal_id bigint, side walltrack.trade_side,
  reason walltrack.order_reason, mode walltrack.trade_mode, token_mint text, amount_in numeric,
  idempotency_key text, cfg walltrack.config, token_decimals smallint,
  reference_price_sol numeric, take_profit_level integer default null
)
returns walltrack.orders
language plpgsql
set search_path = ''
as $$
-- The order to record for an intent. A simulation order is recorded already filled: at the
-- reference price (the leader's, or the tick's for exits) made worse by the configured
-- slippage, paying the configured fee. A live order waits, pending, for execute-orders.
declare
  sol constant text := 'So11111111111111111111111111111111111111112';
  price numeric := case
    when side = 'buy' then reference_price_sol * (1 + cfg.sim_slippage_bps / 10000.0)
    else reference_price_sol * (1 - cfg.sim_slippage_bps / 10000.0)
  end;
  placed walltrack.orders;
begin
  placed.position_id := position_id;
  placed.signal_id := signal_id;
  placed.side := side;
  placed.reason := reason;
  placed.take_profit_level := take_profit_level;
  placed.mode := mode;
  placed.input_mint := case when side = 'buy' then sol else token_mint end;
  placed.output_mint := case when side = 'buy' then token_mint else sol end;
  placed.amount_in := amount_in;
  placed.idempotency_key := idempotency_key;
  placed.slippage_bps := cfg.default_slippage_bps;
  placed.max_attempts := cfg.order_max_attempts;
  placed.status := 'pending';
  placed.attempts := 0;
  if mode = 'simulation' then
    perform walltrack.ensure(reference_price_sol > 0,
      format('a simulation %s needs a positive reference price to fill, got %s', reason,
        coalesce(reference_price_sol::text, 'none')));
    placed.status := 'confirmed';
    placed.attempts := 1;
    placed.quoted_price_sol := reference_price_sol;
    placed.fill_price_sol := round(price, 18);
    placed.realized_slippage_bps := cfg.sim_slippage_bps;
    placed.filled_in := amount_in;
    placed.filled_out := case
      when side = 'buy' then floor(amount_in / 1e9 / price * 10::numeric ^ token_decimals)
      else floor(amount_in / 10::numeric ^ token_decimals * price * 1e9)
    end;
    placed.network_fee_lamports := cfg.sim_fee_lamports;
    -- The wall clock: fills of one transaction keep their order (closes, breaker).
    placed.submitted_at := clock_timestamp();
    placed.confirmed_at := clock_timestamp();
  end if;
  return placed;
end;
$$;
comment on function walltrack.order_intent(
  bigint, bigint, walltrack.trade_side, walltrack.order_reason, walltrack.trade_mode, text,
  numeric, text, walltrack.config, smallint, numeric, integer
) is
'The order row for an intent: pending for live, already filled for simulation (at the '
'reference price worsened by config.sim_slippage_bps, paying config.sim_fee_lamports).';
grant execute on function walltrack.order_intent(
  bigint, bigint, walltrack.trade_side, walltrack.order_reason, walltrack.trade_mode, text,
  numeric, text, walltrack.config, smallint, numeric, integer
) to service_role;

create function walltrack.insert_orders(intents walltrack.orders[])
returns bigint[]
language plpgsql
set search_path = ''
as $$
-- Records orders built by order_intent in one statement (their simulated fills applied
-- together by the orders' fill trigger); returns their ids in the order given.
declare
  order_ids bigint[];
  engine text := walltrack.begin_engine_write();
begin
  -- The ids come from a sequence, drawn in the order the rows are inserted: the order given.
  with inserted as (
    insert into walltrack.orders (
      position_id, signal_id, side, reason, take_profit_level, mode, input_mint, output_mint,
      amount_in, slippage_bps, idempotency_key, max_attempts, status, attempts,
      quoted_price_sol, fill_price_sol, realized_slippage_bps, filled_in, filled_out,
      network_fee_lamports, submitted_at, confirmed_at
    )
    select
      i.position_id, i.signal_id, i.side, i.reason, i.take_profit_level, i.mode, i.input_mint,
      i.output_mint, i.amount_in, i.slippage_bps, i.idempotency_key, i.max_attempts, i.status,
      i.attempts, i.quoted_price_sol, i.fill_price_sol, i.realized_slippage_bps, i.filled_in,
      i.filled_out, i.network_fee_lamports, i.submitted_at, i.confirmed_at
    from unnest(intents) with ordinality as i
    order by i.ordinality
    returning id
  )
  select array_agg(o.id order by o.id) into order_ids from inserted as o;
  perform walltrack.end_engine_write(engine);
  return coalesce(order_ids, '{}');
end;
$$;
comment on function walltrack.insert_orders(walltrack.orders[]) is
'Records orders built by walltrack.order_intent in one statement; returns their ids.';
grant execute on function walltrack.insert_orders(walltrack.orders[]) to service_role;

create or replace function walltrack.place_order(
  position_id bigint, signal_id bigint, side walltrack.trade_side,
  reason walltrack.order_reason, mode walltrack.trade_mode, token_mint text, amount_in numeric,
  idempotency_key text, cfg walltrack.config, token_decimals smallint,
  reference_price_sol numeric, take_profit_level integer default null
)
returns bigint
language plpgsql
set search_path = ''
as $$
-- One order from its intent (an exit, a mirror sell): see order_intent.
begin
  return (walltrack.insert_orders(array[walltrack.order_intent(
    position_id, signal_id, side, reason, mode, token_mint, amount_in, idempotency_key, cfg,
    token_decimals, reference_price_sol, take_profit_level
  )]))[1];
end;
$$;
comment on function walltrack.place_order(
  bigint, bigint, walltrack.trade_side, walltrack.order_reason, walltrack.trade_mode, text,
  numeric, text, walltrack.config, smallint, numeric, integer
) is
'Records one order from its intent (walltrack.order_intent) and returns its id.';
grant execute on function walltrack.place_order(
  bigint, bigint, walltrack.trade_side, walltrack.order_reason, walltrack.trade_mode, text,
  numeric, text, walltrack.config, smallint, numeric, integer
) to service_role;

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
  size_sol numeric;
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
    else gate
  end;
  if refusal is null then
    size_sol := walltrack.copy_size_sol(cfg, wallet.position_size_sol, signal.quote_amount / 1e9);
    refusal := case
      when positions_in_token >= cfg.max_positions_per_token then 'already_holding'
      when book.open_positions >= cfg.max_open_positions then 'max_positions'
      when coalesce(size_sol < cfg.min_position_sol, true) then 'below_min_size'
      when size_sol + book.exposure_sol > cfg.max_total_exposure_sol then 'exposure_limit'
    end;
  end if;
  if refusal is not null then
    return walltrack.skip(refusal);
  end if;
  -- What the copy puts at stake: a live entry its size until it fills; a simulated one
  -- fills at once, and its fill adds the simulated fee to the position's cost.
  return row(
    'copied', 'copied', null, null, 1,
    size_sol + case when wallet.mode = 'simulation' then cfg.sim_fee_lamports / 1e9 else 0 end,
    size_sol
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
      'ignored', 'failed_transaction', null, null, 0, 0, null
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

create or replace function walltrack.decide_signals(
  candidate_ids bigint[], hold_for_lookups boolean
)
returns bigint[]
language plpgsql
set search_path = ''
as $$
-- Decides the undecided signals among candidate_ids in chain order, against the book;
-- returns the ids decided, in that order. With hold_for_lookups, a buy of a token whose
-- facts a lookup is fetching is held (left pending) unless it is already stale. Every
-- later signal of a held token is held behind it, and so is every signal of a token with
-- a pending signal outside the candidates: a leader's sell is never decided before its buy.
-- Set-based where the rules allow: the tokens' gates and open positions are read once, the
-- copies decided are opened together (open_copies), and all decisions are written in one
-- statement. A sell may mirror a copy just decided, and its close may trip the breaker for
-- the buys after it, so the copies decided before a sell are opened before it is decided.
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
    coalesce(jsonb_object_agg(m.token_mint, walltrack.token_gate(m.token_mint)), '{}'),
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
      gates ->> (item.signal).token_mint,
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
    if outcome.positions_delta < 0 then
      -- A close may have tripped the breaker: the next buys of the batch must see it.
      book.breaker_active := walltrack.breaker_is_active();
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
    decided_at = now(),
    position_id = d.position_id,
    order_id = d.order_id
  from rows from (unnest(decided_ids), unnest(outcomes)) as d(
    signal_id, decision, reason, position_id, order_id, positions_delta, exposure_delta_sol,
    copy_size_sol
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

grant execute on function walltrack.decide_signal(
  walltrack.signals, walltrack.wallets, walltrack.config, walltrack.book, text, integer
) to service_role;
grant execute on function walltrack.decide_buy(
  walltrack.signals, walltrack.wallets, walltrack.config, walltrack.book, text, integer
) to service_role;
grant execute on function walltrack.open_copies(
  walltrack.decision[], walltrack.signals[], walltrack.trade_mode[], integer[], walltrack.config
) to service_role;
