-- consensus_entries
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

-- Consensus entries (issue 20, part 3): a strategy's wallets as a group, a buy copied once
-- enough of them bought the token within a window, the leaders recorded, one position per
-- consensus, mirror sells by the strategy's exit rule.
create type walltrack.consensus_exit as enum ('first_out', 'majority_out', 'none');
comment on type walltrack.consensus_exit is
'How a consensus entry follows its leaders out: at the first one''s sale, once most of them '
'sold, or not at all (its exits only).';

alter table walltrack.exit_strategies
add column consensus_min_leaders integer,
add column consensus_window_minutes integer not null default 10,
add column consensus_weighted boolean not null default false,
add column consensus_exit walltrack.consensus_exit not null default 'first_out',
add constraint exit_strategies_consensus_valid check (walltrack.ensure(
  coalesce(consensus_min_leaders between 2 and 100, true)
  and consensus_window_minutes between 1 and 1440,
  format(
    'consensus_min_leaders must be within 2..100 or empty (got %s), '
    || 'consensus_window_minutes within 1..1440 (got %s)',
    consensus_min_leaders, consensus_window_minutes
  ),
  'Leave consensus_min_leaders empty to copy each leader on its own.'
));

comment on column walltrack.exit_strategies.consensus_min_leaders is
'Consensus entries: a buy by a wallet following this strategy is copied only once this many '
'of its wallets (or, weighted, this much weight) bought the token within '
'consensus_window_minutes. Empty: each leader is copied on its own.';

comment on column walltrack.exit_strategies.consensus_window_minutes is
'The window, in chain time, within which the leaders'' buys form a consensus.';

comment on column walltrack.exit_strategies.consensus_weighted is
'Weigh each leader by its win rate (measured, else its baseline, else 50 %): 50 % counts as '
'one leader, 75 % as 1.5.';

comment on column walltrack.exit_strategies.consensus_exit is
'first_out: the first leader''s sale sells the entry; majority_out: once most of its leaders '
'sold; none: only the strategy''s exits.';

alter table walltrack.signals add column consensus jsonb;
comment on column walltrack.signals.consensus is
'For a buy by a wallet of a consensus group (its exit strategy''s consensus_min_leaders): the '
'leaders who bought the token within the window, their weights, whether they formed the '
'consensus and its exit rule. On a copy, the leaders who formed it. Written with the decision.';
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

create or replace function walltrack.trigger_signal_append_only()
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
drop trigger signals_before_update_decision_engine_only on walltrack.signals;
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

create function walltrack.consensus_strategy(wallet walltrack.wallets)
returns walltrack.exit_strategies
language plpgsql
stable
set search_path = ''
as $$
-- The wallet's own strategy, else the default one, when it asks for a consensus; else null.
declare
  strategy walltrack.exit_strategies;
begin
  select s.* into strategy from walltrack.exit_strategies as s
  where s.id = wallet.exit_strategy_id or (wallet.exit_strategy_id is null and s.is_default)
  order by s.id = wallet.exit_strategy_id desc
  limit 1;
  return case when strategy.consensus_min_leaders is not null then strategy end;
end;
$$;
comment on function walltrack.consensus_strategy(walltrack.wallets) is
'The wallet''s effective exit strategy when it asks for a consensus (consensus_min_leaders), '
'else null.';
grant execute on function walltrack.consensus_strategy(walltrack.wallets) to service_role;

create function walltrack.consensus_for(
  signal walltrack.signals, strategy walltrack.exit_strategies
)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
-- The group's leaders who bought the signal's token within the window up to this buy
-- (itself included), each with its weight (1, or its win rate / 50 when weighted: over all
-- its closed copies, else its baseline, else 50 %), their total and whether it reaches
-- the strategy's consensus_min_leaders.
declare
  leaders jsonb;
  total numeric;
begin
  with buyers as (
    select distinct on (s.wallet_id) s.wallet_id, w.address,
      case when strategy.consensus_weighted then round(coalesce(
        (select 100.0 * count(*) filter (where p.realized_pnl_sol > 0) / nullif(count(*), 0)
         from walltrack.positions as p
         where p.wallet_id = s.wallet_id and p.status = 'closed'),
        w.baseline_win_rate_pct, 50) / 50, 4)
      else 1 end as weight
    from walltrack.signals as s
    inner join walltrack.wallets as w on s.wallet_id = w.id
    where s.token_mint = signal.token_mint and s.side = 'buy' and s.tx_error is null
      and w.status = 'active'
      and s.block_time >= signal.block_time
        - make_interval(mins => strategy.consensus_window_minutes)
      and (s.block_time, s.slot, s.id) <= (signal.block_time, signal.slot, signal.id)
      and coalesce(w.exit_strategy_id, (
        select d.id from walltrack.exit_strategies as d where d.is_default
      )) = strategy.id
    order by s.wallet_id
  )
  select
    coalesce(jsonb_agg(jsonb_build_object(
      'wallet_id', b.wallet_id, 'address', b.address, 'weight', b.weight
    ) order by b.wallet_id), '[]'),
    coalesce(sum(b.weight), 0)
  into leaders, total
  from buyers as b;
  return jsonb_build_object(
    'strategy', strategy.name,
    'leaders', leaders,
    'weight', total,
    'min_leaders', strategy.consensus_min_leaders,
    'window_minutes', strategy.consensus_window_minutes,
    'exit', strategy.consensus_exit,
    'formed', total >= strategy.consensus_min_leaders
  );
end;
$$;
comment on function walltrack.consensus_for(walltrack.signals, walltrack.exit_strategies) is
'The group''s leaders who bought the token within the strategy''s window up to this buy, with '
'their weights, and whether they form a consensus (JSON).';
grant execute on function walltrack.consensus_for(walltrack.signals, walltrack.exit_strategies)
to service_role;

create function walltrack.consensus_entered(token_mint text, strategy_name text)
returns boolean
language sql
stable
set search_path = ''
as $$
  -- An open position of the token that a consensus of this strategy's group formed.
  select exists (
    select from walltrack.positions as p
    inner join walltrack.signals as s on p.opened_from_signal_id = s.id
    where p.token_mint = consensus_entered.token_mint
      and p.status in ('opening', 'open', 'closing')
      and s.consensus ->> 'strategy' = consensus_entered.strategy_name
  );
$$;
comment on function walltrack.consensus_entered(text, text) is
'True while a position of the token formed by a consensus of this strategy''s group is open.';
grant execute on function walltrack.consensus_entered(text, text) to service_role;

create function walltrack.consensus_follows(
  pos walltrack.positions, consensus jsonb, signal walltrack.signals
)
returns text
language plpgsql
stable
set search_path = ''
as $$
-- Whether a consensus entry follows this leader's sale out, by its exit rule: 'all' (sell
-- everything), or the reason it does not: mirror_sells_off (none), awaiting_majority (not yet
-- more than half of its leaders sold since it opened).
declare
  leaders bigint[] := array(
    select (l.value ->> 'wallet_id')::bigint
    from jsonb_array_elements(consensus -> 'leaders') as l
  );
  sellers integer;
begin
  if consensus ->> 'exit' = 'none' then
    return 'mirror_sells_off';
  end if;
  if consensus ->> 'exit' = 'first_out' then
    return 'all';
  end if;
  select count(distinct s.wallet_id) into sellers
  from walltrack.signals as s
  where s.token_mint = pos.token_mint and s.side = 'sell' and s.tx_error is null
    and s.wallet_id = any(leaders)
    and (s.block_time, s.slot, s.id) <= (signal.block_time, signal.slot, signal.id)
    and s.id > pos.opened_from_signal_id;
  return case when sellers * 2 > cardinality(leaders) then 'all' else 'awaiting_majority' end;
end;
$$;
comment on function walltrack.consensus_follows(
  walltrack.positions, jsonb, walltrack.signals
) is
'all when a consensus entry follows this leader''s sale out (first_out, or most of its leaders '
'sold for majority_out), else the reason it does not.';
grant execute on function walltrack.consensus_follows(
  walltrack.positions, jsonb, walltrack.signals
) to service_role;

alter type walltrack.book add attribute consensus_on boolean;
comment on type walltrack.book is
'What the limits look at, read once per batch and kept current by each decision: open '
'positions, exposure in SOL, breaker state, the leaders their protections paused, our own '
'available SOL per mode (balance_fraction sizing), whether any strategy asks for a consensus.';

create or replace function walltrack.current_book()
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

alter type walltrack.decision add attribute consensus jsonb;
comment on type walltrack.decision is
'The outcome of deciding one signal, how it moved the book (positions, exposure) and, for a '
'copy to open, its size in SOL and how it was worked out, and for a consensus group''s buy its '
'leaders.';

create or replace function walltrack.skip(reason text)
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

create or replace function walltrack.decide_buy(
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

create or replace function walltrack.decide_sell(
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

create or replace function walltrack.decide_signal(
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

create or replace view walltrack.signals_log_exit_strategies
with (security_invoker = true)
as
select
  s.id,
  s.name,
  s.description,
  s.take_profit_levels,
  s.stop_loss_pct,
  s.trailing_activation_pct,
  s.trailing_distance_pct,
  s.time_exit_minutes,
  s.time_exit_max_pnl_pct,
  s.mirror_leader_sells,
  s.moonbag_pct,
  s.moonbag_keeps_stop_loss,
  s.is_default,
  s.archived,
  s.consensus_min_leaders,
  s.consensus_window_minutes,
  s.consensus_weighted,
  s.consensus_exit
from walltrack.exit_strategies as s;

create or replace view walltrack.scoreboard
with (security_invoker = true)
as
select
  w.label,
  p.time_window,
  w.status,
  w.mode,
  p.positions_closed as trades,
  p.win_rate_pct,
  p.baseline_win_rate_pct,
  p.realized_pnl_sol,
  p.baseline_pnl_sol,
  p.avg_return_pct,
  p.profit_factor,
  p.expectancy_sol,
  p.best_trade_sol,
  p.worst_trade_sol,
  p.avg_hold,
  p.max_drawdown_sol,
  p.max_consecutive_losses,
  p.copy_decay_pct,
  p.leader_trades_compared,
  p.signals_seen,
  p.copied_pct,
  p.positions_opened,
  p.open_exposure_sol,
  p.unrealized_pnl_sol,
  p.refreshed_at,
  w.address,
  p.wallet_id,
  -- Live, not refreshed: a block on the wallet's live buys shows at once.
  (
    select count(*) from walltrack.chain_findings as f
    where f.resolved_at is null and exists (
      select from walltrack.positions as lp
      where
        lp.wallet_id = p.wallet_id and lp.token_mint = f.token_mint and lp.mode = 'live'
        and lp.status in ('opening', 'open', 'closing')
    )
  ) as open_chain_findings,
  -- Live as well: what paused the leader, while its protections hold it.
  (
    select case when e.event_type = 'paused' then e.trigger::text end
    from walltrack.leader_pause_events as e
    where e.wallet_id = p.wallet_id
    order by e.created_at desc, e.id desc
    limit 1
  ) as paused_by,
  -- How its copies are sized now: its own size, else the config's mode.
  coalesce(
    'wallet ' || w.position_size_sol || ' SOL',
    (select c.sizing_mode::text from walltrack.config as c)
  ) as sizing,
  -- Live: the consensus entries it helped form (10_consensus.sql).
  (
    select count(*) from walltrack.signals as s
    where
      s.decision = 'copied' and s.consensus is not null
      and s.consensus -> 'leaders' @> jsonb_build_array(
        jsonb_build_object('wallet_id', p.wallet_id)
      )
  ) as consensus_entries
from walltrack.performance as p
inner join walltrack.wallets as w on p.wallet_id = w.id
order by w.label, w.id, array_position(array['24h', '7d', '30d', 'all'], p.time_window);
comment on column walltrack.scoreboard.consensus_entries is
'The consensus entries the wallet helped form (a copy whose signals.consensus names it), '
'counted now.';
