-- sizing_modes
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

-- Sizing modes (issue 20, part 2): a fraction of our own available SOL, tiers by the leader's
-- trade size, a minimum leader trade, and every copy's sizing recorded with its decision.
create function walltrack.size_tiers_valid(tiers jsonb)
returns boolean
language sql
immutable
set search_path = ''
as $$
  -- A non-empty array of {"min_leader_sol" >= 0, "size_sol" > 0}, min_leader_sol strictly
  -- rising from 0: every leader trade falls in exactly one tier.
  select coalesce(
    jsonb_typeof(tiers) = 'array' and jsonb_array_length(tiers) > 0
    and (tiers -> 0 ->> 'min_leader_sol')::numeric = 0
    and not exists (
      select from jsonb_array_elements(tiers) with ordinality as t (tier, n)
      where coalesce(jsonb_typeof(t.tier -> 'min_leader_sol'), '') <> 'number'
        or coalesce(jsonb_typeof(t.tier -> 'size_sol'), '') <> 'number'
        or (t.tier ->> 'size_sol')::numeric <= 0
        or (t.n > 1 and (t.tier ->> 'min_leader_sol')::numeric
          <= (tiers -> (t.n::integer - 2) ->> 'min_leader_sol')::numeric)
    ),
    false
  );
$$;
comment on function walltrack.size_tiers_valid(jsonb) is
'True for a tiers list config.size_tiers accepts: [{"min_leader_sol", "size_sol"}] rising '
'from 0.';
grant execute on function walltrack.size_tiers_valid(jsonb) to service_role;

alter type walltrack.sizing_mode add value 'balance_fraction';
alter type walltrack.sizing_mode add value 'tiers';
comment on type walltrack.sizing_mode is
'fixed = the same SOL amount per copy; leader_fraction = a fraction of the leader''s SOL amount; '
'balance_fraction = a fraction of our own available SOL; tiers = by the leader''s trade size.';

alter table walltrack.config
add column balance_fraction numeric not null default 0.02,
add column sim_bankroll_sol numeric not null default 10,
add column size_tiers jsonb not null default jsonb_build_array(
  jsonb_build_object('min_leader_sol', 0, 'size_sol', 0.05),
  jsonb_build_object('min_leader_sol', 1, 'size_sol', 0.1),
  jsonb_build_object('min_leader_sol', 10, 'size_sol', 0.25)
),
add column min_leader_trade_sol numeric,
add column trading_key_sol_lamports bigint,
add column trading_key_read_at timestamptz,
add constraint config_sizing_modes check (walltrack.ensure(
  balance_fraction > 0 and balance_fraction <= 1 and sim_bankroll_sol > 0
  and coalesce(min_leader_trade_sol >= 0, true) and walltrack.size_tiers_valid(size_tiers),
  format(
    'config sizing out of range: balance_fraction within (0, 1] (got %s), sim_bankroll_sol '
    || 'above 0 (got %s), min_leader_trade_sol at least 0 or empty (got %s), size_tiers a '
    || 'JSON array of {"min_leader_sol" >= 0, "size_sol" > 0}, from the smallest leader trade '
    || 'up, the first at 0 (got %s)',
    balance_fraction, sim_bankroll_sol, min_leader_trade_sol, size_tiers
  ),
  'e.g. [{"min_leader_sol": 0, "size_sol": 0.05}, {"min_leader_sol": 1, "size_sol": 0.1}]'
)),
add constraint config_sizing_numbers_finite check (walltrack.ensure_finite(
  'config', array['balance_fraction', 'sim_bankroll_sol', 'min_leader_trade_sol'],
  array[balance_fraction, sim_bankroll_sol, min_leader_trade_sol]
));

comment on column walltrack.config.sizing_mode is
'fixed = fixed_amount_sol per copy; leader_fraction = leader_fraction x the leader''s SOL amount; '
'balance_fraction = balance_fraction x our available SOL; tiers = size_tiers by the leader''s '
'SOL amount. Every mode is capped at max_position_sol.';

comment on column walltrack.config.balance_fraction is
'Share (0..1] of our own available SOL spent per copy in balance_fraction mode: the simulated '
'bankroll for paper wallets, the trading key''s SOL for live ones.';

comment on column walltrack.config.sim_bankroll_sol is
'The paper wallets'' bankroll: balance_fraction sizes paper copies on it plus their realized '
'PnL, less what their open positions hold.';

comment on column walltrack.config.size_tiers is
'tiers mode: [{"min_leader_sol", "size_sol"}], from the smallest leader trade up; a copy '
'spends the size of the highest tier the leader''s SOL amount reaches.';

comment on column walltrack.config.min_leader_trade_sol is
'A leader buy of less SOL than this is not copied (leader_trade_too_small); empty: no minimum.';

comment on column walltrack.config.trading_key_sol_lamports is
'The trading key''s SOL at the last chain read (reconcile-wallet): what balance_fraction sizes '
'live copies on, less the live buys since. Written by WallTrack.';

comment on column walltrack.config.trading_key_read_at is
'When the trading key''s SOL was last read from the chain.';

alter table walltrack.signals add column copy_sizing jsonb;
comment on column walltrack.signals.copy_sizing is
'How a copied buy was sized (walltrack.copy_sizing): the mode, its inputs (leader''s SOL, '
'fraction, available SOL, tier), the raw amount, the cap and size_sol. Written with the '
'decision, once.';
comment on column walltrack.signals.decision_reason is
'Machine-readable reason: copied, mirror_sell, wallet_not_active, trading_disabled, '
'breaker_active, leader_paused (the leader''s own protections paused it), token_unsafe, '
'token_unknown, token_not_checked, max_positions, leader_trade_too_small (under '
'config.min_leader_trade_sol), balance_unknown (balance_fraction sizing of a live copy '
'before the trading key was read), '
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
      new.copy_sizing)
    is distinct from
    (old.decision, old.decision_reason, old.decided_at, old.position_id, old.order_id,
      old.copy_sizing) then
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
  (new.decision, new.decision_reason, new.position_id, new.order_id, new.copy_sizing)
  is distinct from
  (old.decision, old.decision_reason, old.position_id, old.order_id, old.copy_sizing)
  and pg_trigger_depth() = 0
  and current_setting('walltrack.engine_write', true) is distinct from 'on'
)
execute function walltrack.trigger_refuse_direct_write(
  'signal %s: its decision is WallTrack''s, written when the signal is recorded',
  'Decisions are never typed in: a copy that did not happen would count in the scoreboard.'
);

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

alter type walltrack.book
add attribute paper_available_sol numeric,
add attribute live_available_sol numeric;
comment on type walltrack.book is
'What the limits look at, read once per batch and kept current by each decision: open '
'positions, exposure in SOL, breaker state, the leaders their protections paused, our own '
'available SOL per mode (balance_fraction sizing).';

create or replace function walltrack.current_book()
returns walltrack.book
language plpgsql
stable
set search_path = ''
as $$
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
    case when walltrack.sizes_on_balance() then walltrack.available_sol('simulation') end,
    case when walltrack.sizes_on_balance() then walltrack.available_sol('live') end
  )::walltrack.book;
end;
$$;
comment on function walltrack.current_book() is
'Open positions, exposure, breaker state, paused leaders and available SOL now: the starting '
'point of a batch''s decisions.';
grant execute on function walltrack.current_book() to service_role;

alter type walltrack.decision add attribute sizing jsonb;
comment on type walltrack.decision is
'The outcome of deciding one signal, how it moved the book (positions, exposure) and, for a '
'copy to open, its size in SOL and how it was worked out.';

create or replace function walltrack.skip(reason text)
returns walltrack.decision
language plpgsql
immutable
set search_path = ''
as $$
begin
  return row('skipped', reason, null, null, 0, 0, null, null)::walltrack.decision;
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
    return walltrack.skip(refusal);
  end if;
  -- What the copy puts at stake: a live entry its size until it fills; a simulated one
  -- fills at once, and its fill adds the simulated fee to the position's cost.
  return row(
    'copied', 'copied', null, null, 1,
    size_sol + case when wallet.mode = 'simulation' then cfg.sim_fee_lamports / 1e9 else 0 end,
    size_sol, sizing
  )::walltrack.decision;
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
      'ignored', 'failed_transaction', null, null, 0, 0, null, null
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
      if walltrack.sizes_on_balance() then
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
    copy_sizing = d.sizing
  from rows from (unnest(decided_ids), unnest(outcomes)) as d(
    signal_id, decision, reason, position_id, order_id, positions_delta, exposure_delta_sol,
    copy_size_sol, sizing
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

drop function walltrack.copy_size_sol(walltrack.config, numeric, numeric);

create or replace function walltrack.reconcile_wallet(
  owner text, token_accounts jsonb, sol_lamports bigint, read_at timestamptz
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- Compares the open live positions, per token, with the chain's holdings read from read_at
-- on (walltrack.chain_read_started, the database's clock): match, phantom, deficit or
-- excess, exactly, in atomic units. A token with a live order in flight is not compared: a
-- submitted swap may have landed (the chain ahead of us) or not yet (behind), and one
-- confirmed since read_at may have landed after the read (the database ahead of the read).
-- Each mismatch updates the token's open finding or opens one, unless it is exactly the
-- mismatch an operator already resolved; a token whose open finding now matches is noted
-- cleared. Positions are never touched. The key's SOL is kept for balance_fraction sizing.
declare
  engine text;
  report jsonb;
begin
  perform walltrack.ensure(coalesce(sol_lamports >= 0, false),
    format('reconcile_wallet needs the key''s SOL balance in lamports, got %s',
      coalesce(sol_lamports::text, 'none')));
  perform walltrack.ensure(read_at is not null,
    'reconcile_wallet needs the time the chain read started (walltrack.chain_read_started)');
  -- One run at a time: two runs must not both open the same token's finding.
  perform pg_advisory_xact_lock(hashtext('walltrack.reconcile_wallet'));
  -- The key's SOL as read: what balance_fraction sizes live copies on (available_sol).
  update walltrack.config
  set trading_key_sol_lamports = sol_lamports, trading_key_read_at = read_at;
  engine := walltrack.begin_engine_write();
  with chain as (
    select h.token_mint, h.amount, h.token_decimals
    from walltrack.chain_holdings(token_accounts) as h
  ),
  book as (
    select p.token_mint, sum(p.qty_bought - p.qty_sold) as amount,
      max(p.token_decimals) as token_decimals
    from walltrack.positions as p
    where p.mode = 'live' and p.status in ('opening', 'open', 'closing')
    group by p.token_mint
  ),
  in_flight as (
    select distinct p.token_mint
    from walltrack.orders as o
    inner join walltrack.positions as p on o.position_id = p.id
    where o.mode = 'live' and (
      o.status = 'submitted'
      or (o.status = 'confirmed' and o.confirmed_at >= read_at)
    )
  ),
  compared as (
    select
      m.token_mint,
      coalesce(b.amount, 0) as db_amount,
      coalesce(c.amount, 0) as chain_amount,
      coalesce(c.token_decimals, b.token_decimals) as token_decimals,
      m.token_mint in (select f.token_mint from in_flight as f) as in_flight
    from (
      select c.token_mint from chain as c
      union
      select b.token_mint from book as b
      union
      select f.token_mint from walltrack.chain_findings as f where f.resolved_at is null
    ) as m
    left join chain as c on m.token_mint = c.token_mint
    left join book as b on m.token_mint = b.token_mint
  ),
  mismatched as (
    select
      c.*,
      case
        when c.chain_amount = 0 then 'phantom'
        when c.chain_amount < c.db_amount then 'deficit'
        else 'excess'
      end::walltrack.chain_finding_kind as kind
    from compared as c
    where not c.in_flight and c.db_amount <> c.chain_amount
      -- The operator resolved exactly this mismatch already: not raised again.
      and not exists (
        select from walltrack.chain_findings as r
        where r.token_mint = c.token_mint and r.resolved_at is not null
          and (r.db_amount, r.chain_amount) = (c.db_amount, c.chain_amount)
          and r.id = (
            select max(l.id) from walltrack.chain_findings as l where l.token_mint = c.token_mint
          )
      )
  ),
  recorded as (
    insert into walltrack.chain_findings as f (
      token_mint, owner, kind, db_amount, chain_amount, token_decimals, sol_balance_lamports
    )
    select m.token_mint, reconcile_wallet.owner, m.kind, m.db_amount, m.chain_amount,
      m.token_decimals, sol_lamports
    from mismatched as m
    on conflict (token_mint) where resolved_at is null do update
    set
      owner = excluded.owner,
      kind = excluded.kind,
      db_amount = excluded.db_amount,
      chain_amount = excluded.chain_amount,
      token_decimals = excluded.token_decimals,
      sol_balance_lamports = excluded.sol_balance_lamports,
      last_seen_at = walltrack.clock(),
      times_seen = f.times_seen + 1,
      cleared_at = null
    returning f.id, f.token_mint, f.kind, f.db_amount, f.chain_amount, f.times_seen
  ),
  cleared as (
    update walltrack.chain_findings as f
    set cleared_at = walltrack.clock()
    from compared as c
    where f.token_mint = c.token_mint and f.resolved_at is null and f.cleared_at is null
      and not c.in_flight and c.db_amount = c.chain_amount
    returning f.id, f.token_mint
  )
  select jsonb_build_object(
    'owner', owner,
    'sol_balance_lamports', sol_lamports,
    'compared', (select count(*) from compared as c where not c.in_flight),
    'matched', (
      select count(*) from compared as c where not c.in_flight and c.db_amount = c.chain_amount
    ),
    'in_flight', to_jsonb(array(
      select c.token_mint from compared as c where c.in_flight order by c.token_mint
    )),
    'findings', (
      select coalesce(jsonb_agg(jsonb_build_object(
        'finding_id', r.id, 'token_mint', r.token_mint, 'kind', r.kind,
        'db_amount', r.db_amount::text, 'chain_amount', r.chain_amount::text,
        'times_seen', r.times_seen
      ) order by r.token_mint), '[]')
      from recorded as r
    ),
    'cleared', to_jsonb(array(select c.id from cleared as c order by c.id))
  ) into report;
  perform walltrack.end_engine_write(engine);
  return report;
end;
$$;

create or replace view walltrack.signal_list
with (security_invoker = true)
as
select
  s.id,
  s.wallet_id,
  w.address as wallet_address,
  w.label as wallet_label,
  s.signature,
  s.slot,
  s.block_time,
  s.source,
  s.side,
  s.token_mint,
  k.symbol as token_symbol,
  s.token_amount,
  s.token_decimals,
  s.quote_mint,
  s.quote_amount,
  s.quote_decimals,
  s.price_sol,
  s.tx_error,
  s.decision,
  s.decision_reason,
  s.decided_at,
  s.found_by,
  s.received_at,
  s.copy_sizing
from walltrack.signals as s
inner join walltrack.wallets as w on s.wallet_id = w.id
left join walltrack.tokens as k on s.token_mint = k.mint;

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
  ) as sizing
from walltrack.performance as p
inner join walltrack.wallets as w on p.wallet_id = w.id
order by w.label, w.id, array_position(array['24h', '7d', '30d', 'all'], p.time_window);
comment on column walltrack.scoreboard.sizing is
'How the wallet''s copies are sized now: its own position_size_sol, else config.sizing_mode '
'(each copy''s own sizing is in signals.copy_sizing).';

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
  c.priority_fee_max_lamports,
  c.leader_max_consecutive_losses,
  c.leader_max_loss_sol,
  c.leader_loss_window_hours,
  c.leader_max_baseline_gap_pct,
  c.leader_baseline_trades,
  c.leader_pause_cooldown_minutes,
  c.balance_fraction,
  c.sim_bankroll_sol,
  c.size_tiers,
  c.min_leader_trade_sol
from walltrack.config as c;

-- One way to name a wallet by address or label (walltrack.wallet_named).
create function walltrack.wallet_named(name text)
returns bigint
language plpgsql
stable
set search_path = ''
as $$
-- The one wallet an operator names by its address or its label, or a refusal that says so.
declare
  matches integer;
  found bigint;
begin
  select count(*), min(w.id) into matches, found from walltrack.wallets as w
  where w.address = wallet_named.name or w.label = wallet_named.name;
  perform walltrack.ensure(matches = 1,
    format('%s names %s wallets, not one', wallet_named.name, matches),
    'Name it by its address (walltrack wallets list shows them).');
  return found;
end;
$$;
comment on function walltrack.wallet_named(text) is
'The id of the one wallet named by this address or label; refused when none or several are.';
grant execute on function walltrack.wallet_named(text) to service_role;

create or replace function walltrack.set_wallet_status(wallet text, status walltrack.wallet_status)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- Pause, resume or retire a wallet named by its address or its label (one wallet only).
declare
  changed walltrack.wallets;
begin
  update walltrack.wallets as w set status = set_wallet_status.status
  where w.id = walltrack.wallet_named(set_wallet_status.wallet)
  returning w.* into changed;
  return jsonb_build_object('id', changed.id, 'address', changed.address,
    'label', changed.label, 'status', changed.status);
end;
$$;

create or replace function walltrack.resume_leader(wallet text, operator text, note text)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- For the operator: resume a paused leader (named by its address or its label), saying who
-- and why. Its protections count again from now.
declare
  wallet_id bigint := walltrack.wallet_named(resume_leader.wallet);
  resumed walltrack.leader_pause_events;
begin
  perform walltrack.ensure(
    coalesce((walltrack.latest_leader_event(wallet_id)).event_type = 'paused', false),
    format('%s is not paused by its protections: there is nothing to resume',
      resume_leader.wallet),
    'A wallet paused by hand (its status) is resumed by setting its status to active.');
  insert into walltrack.leader_pause_events (wallet_id, event_type, trigger, actor, note)
  values (wallet_id, 'resumed', 'manual', coalesce(operator, 'system'), coalesce(note, ''))
  returning * into resumed;
  return jsonb_build_object('wallet_id', wallet_id, 'event_id', resumed.id,
    'resumed_at', resumed.created_at);
end;
$$;
