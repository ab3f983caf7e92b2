-- Wallet discovery (issue 17): find wallets worth copying, judge them on a ledger of their
-- own swaps, and rank them on what copying them would earn us after our measured copy decay.
-- The wallet-discovery function only moves data: DexScreener winners go to record_winners,
-- pages of a winner's mint history to record_winner_page (its early and size buyers become
-- candidates), pages of a candidate's own history to record_candidate_page. Everything else
-- is here: the ledger (average cost per token), the flags with their evidence, the
-- copyability, the ranking Studio reads, promotion to the watchlist and the baselines.

create type walltrack.discovery_winner_source as enum ('boost', 'search');
comment on type walltrack.discovery_winner_source is
'Where a winner token came from: DexScreener''s top boosted tokens, or a search query.';

create type walltrack.candidate_source as enum ('early_buyer', 'size_buyer', 'operator');
comment on type walltrack.candidate_source is
'How a candidate was found: among the first buyers of a winner, a buyer whose own SOL paid at '
'least config.discovery_min_size_buy_sol for a winner, or submitted by an operator.';

create type walltrack.candidate_status as enum ('new', 'measured', 'promoted', 'dismissed');
comment on type walltrack.candidate_status is
'new = its history is being read; measured = read over the period, ranked; promoted = on the '
'watchlist (simulation); dismissed = set aside by an operator.';

-- ---------------------------------------------------------------------------------------
-- Winners: tokens that did well, and their buyers

create table walltrack.discovery_winners (
  id bigint generated always as identity primary key,
  mint walltrack.solana_address not null,
  source walltrack.discovery_winner_source not null,
  ref text not null,
  price_change_h24_pct numeric,
  liquidity_usd numeric,
  volume_h24_usd numeric,
  market_cap_usd numeric,
  pair_created_at timestamptz,
  found_at timestamptz not null default walltrack.clock(),
  history_before walltrack.solana_signature,
  history_complete boolean not null default false,
  history_read_at timestamptz,
  constraint discovery_winners_mint_unique unique (mint),
  constraint discovery_winners_numbers_finite check (walltrack.ensure_finite(
    'discovery_winners',
    array['price_change_h24_pct', 'liquidity_usd', 'volume_h24_usd', 'market_cap_usd'],
    array[price_change_h24_pct, liquidity_usd, volume_h24_usd, market_cap_usd]
  ))
);

create index discovery_winners_walk_idx on walltrack.discovery_winners (found_at, id)
where not history_complete;

create table walltrack.discovery_winner_buys (
  id bigint generated always as identity primary key,
  winner_id bigint not null references walltrack.discovery_winners (id),
  buyer walltrack.solana_address not null,
  signature walltrack.solana_signature not null,
  slot bigint,
  block_time timestamptz not null,
  token_amount numeric not null,
  sol_lamports numeric not null,
  constraint discovery_winner_buys_once unique (winner_id, signature, buyer),
  constraint discovery_winner_buys_amounts check (walltrack.ensure(
    token_amount > 0 and sol_lamports >= 0 and walltrack.is_finite(token_amount)
    and walltrack.is_finite(sol_lamports),
    'a winner buy needs a finite token amount above 0 and SOL paid not below 0'
  ))
);

create index discovery_winner_buys_first_idx on walltrack.discovery_winner_buys (
  winner_id, block_time, slot, signature
);

-- ---------------------------------------------------------------------------------------
-- Candidates and their swaps

create table walltrack.discovery_candidates (
  id bigint generated always as identity primary key,
  address walltrack.solana_address not null,
  source walltrack.candidate_source not null,
  winner_id bigint references walltrack.discovery_winners (id),
  status walltrack.candidate_status not null default 'new',
  note text not null default '',
  found_at timestamptz not null default walltrack.clock(),
  history_before walltrack.solana_signature,
  history_complete boolean not null default false,
  measured_at timestamptz,
  wallet_id bigint references walltrack.wallets (id),
  promoted_at timestamptz,
  promoted_by text,
  updated_at timestamptz not null default walltrack.clock(),
  constraint discovery_candidates_address_unique unique (address),
  constraint discovery_candidates_measured_complete check (walltrack.ensure(
    (status in ('measured', 'promoted')) <= history_complete
    and (measured_at is null) = (not history_complete),
    'a measured candidate has its history read complete and the time it was measured'
  )),
  constraint discovery_candidates_promoted_wallet check (walltrack.ensure(
    (status = 'promoted') = (wallet_id is not null),
    'a promoted candidate names the wallet it became, and only a promoted one does'
  ))
);

create index discovery_candidates_to_read_idx on walltrack.discovery_candidates (found_at, id)
where status = 'new';

create index discovery_candidates_wallet_idx on walltrack.discovery_candidates (wallet_id);

create index discovery_candidates_winner_idx on walltrack.discovery_candidates (winner_id);

create table walltrack.candidate_swaps (
  id bigint generated always as identity primary key,
  candidate_id bigint not null references walltrack.discovery_candidates (id),
  signature walltrack.solana_signature not null,
  slot bigint,
  block_time timestamptz not null,
  source text,
  side walltrack.trade_side not null,
  token_mint walltrack.solana_address not null,
  token_amount numeric not null,
  token_decimals smallint,
  sol_lamports numeric not null,
  recorded_at timestamptz not null default walltrack.clock(),
  constraint candidate_swaps_once unique (candidate_id, signature, token_mint, side),
  constraint candidate_swaps_amounts check (walltrack.ensure(
    token_amount > 0 and sol_lamports >= 0 and walltrack.is_finite(token_amount)
    and walltrack.is_finite(sol_lamports),
    'a candidate swap needs a finite token amount above 0 and SOL not below 0'
  ))
);

create index candidate_swaps_ledger_idx on walltrack.candidate_swaps (
  candidate_id, token_mint, block_time, slot, signature
);

-- Who writes what. The tables the walk fills (winners' buys, candidates' swaps) and the
-- candidates' read state are the functions' own: a swap typed in would change a ledger, a
-- cursor typed in would skip history. Operators add candidates (api.submit_candidates or
-- an insert with source operator), dismiss them and promote them.
create function walltrack.trigger_discovery_candidate_guard()
returns trigger
language plpgsql
set search_path = ''
as $$
-- An operator's insert is a new operator candidate; an operator's update changes status
-- (dismissed, promoted, or back to measured from dismissed) and note only. Promotion puts
-- the wallet on the watchlist (walltrack.promote_to_watchlist).
declare
  engine boolean := current_setting('walltrack.engine_write', true) is not distinct from 'on';
begin
  if tg_op = 'INSERT' then
    if not engine then
      perform walltrack.ensure(
        new.status = 'new' and not new.history_complete and new.history_before is null
        and new.measured_at is null and new.wallet_id is null and new.promoted_at is null,
        format('candidate %s: a new candidate starts unread (status new, no cursor, not '
          'measured, not promoted)', new.address),
        'Insert only the address (and a note); wallet-discovery reads its history.');
    end if;
    perform walltrack.ensure(
      not exists (select from walltrack.wallets as w where w.address = new.address),
      format('wallet %s is already on the watchlist: it needs no discovery', new.address),
      'Its scoreboard (walltrack.scoreboard) already measures it.');
    return new;
  end if;
  perform walltrack.ensure(
    (new.id, new.address, new.source, new.winner_id, new.found_at)
    is not distinct from (old.id, old.address, old.source, old.winner_id, old.found_at),
    format('candidate %s: its address, source, winner and found_at are what discovery found',
      old.id),
    'Add another candidate instead.');
  if not engine then
    perform walltrack.ensure(
      (new.history_before, new.history_complete, new.measured_at, new.promoted_at)
      is not distinct from
      (old.history_before, old.history_complete, old.measured_at, old.promoted_at)
      and (new.wallet_id is not distinct from old.wallet_id),
      format('candidate %s: its history read (cursor, complete, measured_at) and promotion '
        'are kept by wallet-discovery', old.id),
      'Edit status (promoted or dismissed) or note only.');
  end if;
  if new.status is distinct from old.status then
    perform walltrack.ensure(old.status <> 'promoted',
      format('candidate %s is already promoted to wallet %s', old.id, old.wallet_id),
      'Pause or retire the wallet on walltrack.wallets instead.');
    if new.status = 'promoted' then
      perform walltrack.ensure(old.status = 'measured',
        format('candidate %s is not measured (status %s): only a measured candidate can be '
          'promoted', old.id, old.status),
        case old.status when 'new'
          then 'Wait until wallet-discovery has read its history over the period.'
          else 'Set status back to measured first.' end);
      new := walltrack.promote_to_watchlist(new);
    elsif new.status = 'measured' then
      perform walltrack.ensure(engine or (old.status = 'dismissed' and old.history_complete),
        format('candidate %s: status measured is set when its history read completes',
          old.id),
        'Only a dismissed candidate whose history is read can be set back to measured.');
    elsif new.status = 'new' then
      perform walltrack.ensure(engine,
        format('candidate %s: status new is where a candidate starts, not an edit', old.id),
        'Set dismissed to set it aside.');
    end if;
  end if;
  new.updated_at := walltrack.clock();
  return new;
end;
$$;
comment on function walltrack.trigger_discovery_candidate_guard() is
'Guards discovery_candidates: operators add unread candidates, dismiss and promote them; the '
'read state and promotion fields are the functions''; a promotion puts the wallet on the '
'watchlist.';

create function walltrack.trigger_discovery_engine_only()
returns trigger
language plpgsql
set search_path = ''
as $$
-- What the history walks record is never typed in (tg_argv[0] names it, tg_argv[1] says
-- what to do instead).
begin
  if current_setting('walltrack.engine_write', true) is distinct from 'on' then
    raise exception using
      message = format('%s: %s', tg_table_name, tg_argv[0]),
      hint = tg_argv[1],
      errcode = 'check_violation';
  end if;
  return coalesce(new, old);
end;
$$;
comment on function walltrack.trigger_discovery_engine_only() is
'Refuses a direct write of rows only wallet-discovery''s functions write; arguments: the '
'message and the hint.';

-- Triggers on discovery_candidates, in the order Postgres fires them (one timing at a time,
-- by name):
--   insert  discovery_candidates_before_write_guard    an operator's starts unread
--   update  discovery_candidates_before_write_guard    status and note only; promotion
--   delete  discovery_candidates_before_delete_refuse  refused: dismiss instead
create trigger discovery_candidates_before_write_guard
before insert or update on walltrack.discovery_candidates
for each row execute function walltrack.trigger_discovery_candidate_guard();

create trigger discovery_candidates_before_delete_refuse
before delete on walltrack.discovery_candidates
for each row execute function walltrack.trigger_refuse_change(
  'Set status = dismissed instead: its swaps and ranking stay as evidence.'
);

-- Triggers on candidate_swaps, in the order Postgres fires them (one timing at a time, by
-- name):
--   insert  candidate_swaps_before_write_engine_only  record_candidate_page only
--   update  candidate_swaps_before_write_engine_only  record_candidate_page only
--   delete  candidate_swaps_before_write_engine_only  record_candidate_page only
create trigger candidate_swaps_before_write_engine_only
before insert or update or delete on walltrack.candidate_swaps
for each row execute function walltrack.trigger_discovery_engine_only(
  'a candidate''s swaps are read from its Helius history, never typed in',
  'Run wallet-discovery; api.submit_candidates adds an address to read.'
);

-- Triggers on discovery_winner_buys, in the order Postgres fires them (one timing at a
-- time, by name):
--   insert  discovery_winner_buys_before_write_engine_only  record_winner_page only
--   update  discovery_winner_buys_before_write_engine_only  record_winner_page only
--   delete  discovery_winner_buys_before_write_engine_only  record_winner_page only
create trigger discovery_winner_buys_before_write_engine_only
before insert or update or delete on walltrack.discovery_winner_buys
for each row execute function walltrack.trigger_discovery_engine_only(
  'a winner''s buys are read from its mint''s Helius history, never typed in',
  'Run wallet-discovery.'
);

-- Triggers on discovery_winners, in the order Postgres fires them (one timing at a time,
-- by name); an operator may insert a winner by hand, its walk is the function's:
--   update  discovery_winners_before_write_engine_only  record_winner_page only
--   delete  discovery_winners_before_write_engine_only  refused
create trigger discovery_winners_before_write_engine_only
before update or delete on walltrack.discovery_winners
for each row execute function walltrack.trigger_discovery_engine_only(
  'a winner''s facts and history walk are kept by wallet-discovery',
  'Add another winner row to walk another mint.'
);

-- ---------------------------------------------------------------------------------------
-- The walks: plan, winners, winners' pages, candidates' pages, operator submissions

create function walltrack.discovery_plan(max_items integer default 100)
returns jsonb
language sql
stable
set search_path = ''
as $$
  -- The run's budget, its search queries, the winners whose mint walk is unfinished (oldest
  -- found first) and the candidates whose history read is unfinished (oldest found first),
  -- each with where its walk resumes; period_start: a candidate's walk stops below it.
  select jsonb_build_object(
    'credits', c.discovery_credits_per_run,
    'call_credits', c.helius_history_call_credits,
    'search_queries', to_jsonb(c.discovery_search_queries),
    'winners', coalesce((
      select jsonb_agg(jsonb_build_object('mint', w.mint, 'before', w.history_before)
        order by w.found_at, w.id)
      from (
        select x.* from walltrack.discovery_winners as x
        where not x.history_complete order by x.found_at, x.id limit max_items
      ) as w
    ), '[]'::jsonb),
    'candidates', coalesce((
      select jsonb_agg(jsonb_build_object('address', d.address, 'before', d.history_before)
        order by d.found_at, d.id)
      from (
        select x.* from walltrack.discovery_candidates as x
        where x.status = 'new' order by x.found_at, x.id limit max_items
      ) as d
    ), '[]'::jsonb),
    'period_start', floor(extract(epoch from walltrack.clock()
      - make_interval(days => c.discovery_period_days)))::bigint
  )
  from walltrack.config as c;
$$;
comment on function walltrack.discovery_plan(integer) is
'{credits, call_credits, search_queries, winners: [{mint, before}], candidates: [{address, '
'before}], period_start}: what a wallet-discovery run reads, in order, and its credit budget.';
grant execute on function walltrack.discovery_plan(integer) to service_role;

create function walltrack.record_winners(tokens jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- A token is a winner when its facts meet every threshold of config: 24 h price change,
-- liquidity and 24 h volume at least the minimums (a missing figure fails its test), and a
-- pair created within the discovery period (older winners' early buyers bought outside the
-- period the ledger measures; an unknown creation time passes). Each winner is stored once.
declare
  cfg walltrack.config;
  verdicts jsonb;
begin
  perform walltrack.ensure(jsonb_typeof(tokens) = 'array',
    'record_winners expects a JSON array of {mint, source, ref, price_change_h24_pct, ...}');
  select c.* into strict cfg from walltrack.config as c;
  with t as (
    select
      x.value ->> 'mint' as mint,
      coalesce(x.value ->> 'source', 'search') as source,
      coalesce(x.value ->> 'ref', '') as ref,
      (x.value ->> 'price_change_h24_pct')::numeric as price_change,
      (x.value ->> 'liquidity_usd')::numeric as liquidity,
      (x.value ->> 'volume_h24_usd')::numeric as volume,
      (x.value ->> 'market_cap_usd')::numeric as market_cap,
      to_timestamp((x.value ->> 'pair_created_at_ms')::numeric / 1000) as pair_created_at,
      x.ordinality
    from jsonb_array_elements(tokens) with ordinality as x
  ),

  judged as (
    select
      t.*,
      case
        when t.mint is null or t.mint !~ '^[1-9A-HJ-NP-Za-km-z]{32,44}$' then 'invalid_mint'
        when t.source not in ('boost', 'search') then 'invalid_source'
        when not walltrack.is_finite(t.price_change) or not walltrack.is_finite(t.liquidity)
          or not walltrack.is_finite(t.volume) or not walltrack.is_finite(t.market_cap)
          then 'not_finite'
        when coalesce(t.price_change < cfg.discovery_winner_min_price_change_pct, true)
          then 'price_change_below_min'
        when coalesce(t.liquidity < cfg.discovery_winner_min_liquidity_usd, true)
          then 'liquidity_below_min'
        when coalesce(t.volume < cfg.discovery_winner_min_volume_usd, true)
          then 'volume_below_min'
        when t.pair_created_at < walltrack.clock() - make_interval(days => cfg.discovery_period_days)
          then 'older_than_period'
      end as reason
    from t
  ),

  stored as (
    insert into walltrack.discovery_winners (
      mint, source, ref, price_change_h24_pct, liquidity_usd, volume_h24_usd, market_cap_usd,
      pair_created_at
    )
    select distinct on (j.mint)
      j.mint, j.source::walltrack.discovery_winner_source, j.ref, j.price_change, j.liquidity,
      j.volume, j.market_cap, j.pair_created_at
    from judged as j where j.reason is null
    order by j.mint, j.ordinality
    on conflict on constraint discovery_winners_mint_unique do nothing
    returning mint
  )

  select jsonb_build_object(
    'winners', coalesce((
      select jsonb_agg(distinct j.mint) from judged as j where j.reason is null
    ), '[]'::jsonb),
    'new_winners', (select count(*) from stored),
    'rejected', coalesce((
      select jsonb_agg(jsonb_build_object('mint', j.mint, 'reason', j.reason)
        order by j.ordinality)
      from judged as j where j.reason is not null
    ), '[]'::jsonb)
  ) into verdicts;
  return verdicts;
end;
$$;
comment on function walltrack.record_winners(jsonb) is
'Judges DexScreener tokens against the winner thresholds of config and stores each winner '
'once; returns {winners: [mint] (passed, stored now or before), new_winners, rejected: [{mint, '
'reason}]}.';
grant execute on function walltrack.record_winners(jsonb) to service_role;

create function walltrack.discovery_swaps(transactions jsonb)
returns table (
  signature text, slot bigint, block_time timestamptz, source text, wallet text,
  side walltrack.trade_side, token_mint text, token_amount numeric, token_decimals smallint,
  sol_lamports numeric, usable boolean, by_fee_payer boolean
)
language sql
immutable
set search_path = ''
as $$
  -- Every swap of normalised transactions (the webhook parser's payloads); usable = a
  -- successful transaction, a SOL (wSOL) quote, a known side, a positive token amount.
  -- by_fee_payer = the swap's wallet paid the transaction's fee, so it signed it: the
  -- trader, not a pool or program account whose balances moved the other way.
  select
    t.value ->> 'signature',
    (t.value ->> 'slot')::bigint,
    to_timestamp((t.value ->> 'timestamp')::bigint),
    t.value ->> 'source',
    s.value ->> 'wallet',
    case when s.value ->> 'side' in ('buy', 'sell')
      then (s.value ->> 'side')::walltrack.trade_side end,
    s.value ->> 'token_mint',
    (s.value ->> 'token_amount')::numeric,
    (s.value ->> 'token_decimals')::smallint,
    (s.value ->> 'quote_amount')::numeric,
    t.value ->> 'tx_error' is null
    and s.value ->> 'quote_mint' = 'So11111111111111111111111111111111111111112'
    and s.value ->> 'side' in ('buy', 'sell')
    and (s.value ->> 'token_amount')::numeric > 0
    and (s.value ->> 'quote_amount')::numeric >= 0
    and t.value ->> 'timestamp' is not null,
    s.value ->> 'wallet' = t.value ->> 'fee_payer'
  from jsonb_array_elements(transactions) as t
  cross join lateral jsonb_array_elements(coalesce(t.value -> 'swaps', '[]')) as s;
$$;
comment on function walltrack.discovery_swaps(jsonb) is
'The swaps of normalised transactions, one row each, marked usable when the transaction '
'succeeded and the token was traded against SOL (wSOL), and by_fee_payer when its wallet '
'signed the transaction (paid its fee).';
grant execute on function walltrack.discovery_swaps(jsonb) to service_role;

create function walltrack.add_candidates(
  addresses text[], source walltrack.candidate_source, winner_id bigint, note text
)
returns integer
language plpgsql
set search_path = ''
as $$
-- New candidates, once per address, in the order given (the plan reads them in id order);
-- an address already watched or already a candidate is left alone. Returns how many were
-- added.
declare
  added integer;
  engine text := walltrack.begin_engine_write();
begin
  insert into walltrack.discovery_candidates (address, source, winner_id, note)
  select u.a, add_candidates.source, add_candidates.winner_id, coalesce(note, '')
  from (
    select distinct on (x.a) x.a, x.n
    from unnest(addresses) with ordinality as x (a, n)
    order by x.a asc, x.n asc
  ) as u
  where not exists (select from walltrack.wallets as w where w.address = u.a)
  order by u.n
  on conflict on constraint discovery_candidates_address_unique do nothing;
  get diagnostics added = row_count;
  perform walltrack.end_engine_write(engine);
  return added;
end;
$$;
comment on function walltrack.add_candidates(text[], walltrack.candidate_source, bigint, text) is
'Adds candidates (once per address, never a watched wallet); returns how many are new.';
grant execute on function walltrack.add_candidates(
  text[], walltrack.candidate_source, bigint, text
) to service_role;

create function walltrack.record_winner_page(
  mint text, transactions jsonb, oldest_signature text, complete boolean
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- One page (newest first) of a winner mint's parsed history. Its buys of the mint (by the
-- transaction's signer: a pool's side of a sell is no buy) are stored once; a buyer whose one buy paid at least config.discovery_min_size_buy_sol of
-- its own SOL is a candidate now (size_buyer). When the walk completes (it reached the
-- mint's first transaction), the first config.discovery_early_buyers distinct buyers by
-- their first buy's block time (then slot, signature) become candidates (early_buyer).
declare
  cfg walltrack.config;
  winner walltrack.discovery_winners;
  engine text;
  new_candidates integer := 0;
  size_buyers text[];
begin
  perform walltrack.ensure(jsonb_typeof(transactions) = 'array',
    'record_winner_page expects a JSON array of normalised transactions');
  select c.* into strict cfg from walltrack.config as c;
  select w.* into winner from walltrack.discovery_winners as w
  where w.mint = record_winner_page.mint for update;
  perform walltrack.ensure(winner.id is not null,
    format('%s is not a discovery winner', mint),
    'Winners are stored by api.record_winners.');
  engine := walltrack.begin_engine_write();
  insert into walltrack.discovery_winner_buys (
    winner_id, buyer, signature, slot, block_time, token_amount, sol_lamports
  )
  select winner.id, s.wallet, s.signature, s.slot, s.block_time, s.token_amount, s.sol_lamports
  from walltrack.discovery_swaps(transactions) as s
  where s.usable and s.by_fee_payer and s.side = 'buy' and s.token_mint = winner.mint
    and s.wallet ~ '^[1-9A-HJ-NP-Za-km-z]{32,44}$'
  on conflict on constraint discovery_winner_buys_once do nothing;
  size_buyers := array(
    select distinct s.wallet from walltrack.discovery_swaps(transactions) as s
    where s.usable and s.by_fee_payer and s.side = 'buy' and s.token_mint = winner.mint
      and s.wallet ~ '^[1-9A-HJ-NP-Za-km-z]{32,44}$'
      and s.sol_lamports >= cfg.discovery_min_size_buy_sol * 1000000000
  );
  new_candidates := walltrack.add_candidates(size_buyers, 'size_buyer', winner.id, '');
  if complete then
    new_candidates := new_candidates + walltrack.add_candidates(array(
      select f.buyer from (
        select distinct on (b.buyer) b.buyer, b.block_time, b.slot, b.signature
        from walltrack.discovery_winner_buys as b where b.winner_id = winner.id
        order by b.buyer, b.block_time, b.slot nulls last, b.signature
      ) as f
      order by f.block_time, f.slot nulls last, f.signature
      limit cfg.discovery_early_buyers
    ), 'early_buyer', winner.id, '');
  end if;
  update walltrack.discovery_winners as w
  set
    history_before = case when complete then null
      else coalesce(oldest_signature, w.history_before) end,
    history_complete = complete,
    history_read_at = walltrack.clock()
  where w.id = winner.id
  returning * into winner;
  perform walltrack.end_engine_write(engine);
  return jsonb_build_object('new_candidates', new_candidates, 'before', winner.history_before);
end;
$$;
comment on function walltrack.record_winner_page(text, jsonb, text, boolean) is
'Stores the buys of a winner''s mint from one page of its history, makes its size buyers '
'candidates, and its early buyers once the walk completes; returns {new_candidates, before}.';
grant execute on function walltrack.record_winner_page(text, jsonb, text, boolean)
to service_role;

create function walltrack.record_candidate_page(
  address text, transactions jsonb, oldest_signature text, complete boolean
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- One page (newest first) of a candidate's parsed history: its own usable swaps are stored
-- once, the cursor moves to the page's oldest signature, and the read is complete (status
-- measured) when the caller says so (the history's start) or the page's oldest transaction
-- is older than the discovery period's start: the ledger needs nothing older.
declare
  cfg walltrack.config;
  candidate walltrack.discovery_candidates;
  engine text;
  added integer;
  oldest timestamptz;
  done boolean;
begin
  perform walltrack.ensure(jsonb_typeof(transactions) = 'array',
    'record_candidate_page expects a JSON array of normalised transactions');
  select c.* into strict cfg from walltrack.config as c;
  select d.* into candidate from walltrack.discovery_candidates as d
  where d.address = record_candidate_page.address for update;
  perform walltrack.ensure(candidate.id is not null,
    format('%s is not a discovery candidate', address),
    'Submit it first (api.submit_candidates).');
  engine := walltrack.begin_engine_write();
  insert into walltrack.candidate_swaps (
    candidate_id, signature, slot, block_time, source, side, token_mint, token_amount,
    token_decimals, sol_lamports
  )
  select
    candidate.id, s.signature, s.slot, s.block_time, s.source, s.side, s.token_mint,
    s.token_amount, s.token_decimals, s.sol_lamports
  from walltrack.discovery_swaps(transactions) as s
  where s.usable and s.wallet = candidate.address
    and s.token_mint ~ '^[1-9A-HJ-NP-Za-km-z]{32,44}$'
  on conflict on constraint candidate_swaps_once do nothing;
  get diagnostics added = row_count;
  select min(to_timestamp((t.value ->> 'timestamp')::bigint)) into oldest
  from jsonb_array_elements(transactions) as t;
  done := candidate.history_complete or complete
    or oldest < walltrack.clock() - make_interval(days => cfg.discovery_period_days);
  if not candidate.history_complete then
    update walltrack.discovery_candidates as d
    set
      history_before = case when done then null
        else coalesce(oldest_signature, d.history_before) end,
      history_complete = done,
      measured_at = case when done then walltrack.clock() end,
      status = case when done and d.status = 'new' then 'measured'::walltrack.candidate_status
        else d.status end
    where d.id = candidate.id
    returning * into candidate;
  end if;
  perform walltrack.end_engine_write(engine);
  return jsonb_build_object(
    'new_swaps', added, 'before', candidate.history_before, 'complete', done
  );
end;
$$;
comment on function walltrack.record_candidate_page(text, jsonb, text, boolean) is
'Stores a candidate''s own SOL-quoted swaps from one page of its history and moves its read; '
'complete (measured) at the history''s start or past the period''s start. Returns {new_swaps, '
'before, complete}.';
grant execute on function walltrack.record_candidate_page(text, jsonb, text, boolean)
to service_role;

create function walltrack.submit_candidates(addresses text[], note text)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- An operator's addresses to evaluate. One invalid address refuses the whole call (nothing
-- half-submitted); a watched wallet or an existing candidate is reported, not added again.
declare
  invalid text[];
  added integer;
begin
  invalid := array(
    select a from unnest(coalesce(addresses, '{}')) as a
    where a is null or a !~ '^[1-9A-HJ-NP-Za-km-z]{32,44}$'
  );
  perform walltrack.ensure(cardinality(invalid) = 0,
    format('not Solana addresses (32 to 44 base58 characters): %s',
      array_to_string(invalid, ', ', '(empty)')),
    'Base58 excludes 0, O, I and l. Copy each address again from an explorer.');
  added := walltrack.add_candidates(addresses, 'operator', null, note);
  return jsonb_build_object(
    'submitted', added,
    'already_watched', to_jsonb(array(
      select distinct w.address::text from walltrack.wallets as w
      where w.address = any(addresses) order by 1
    )),
    'already_candidates', cardinality(addresses) - added - (
      select count(distinct w.address) from walltrack.wallets as w
      where w.address = any(addresses)
    ) - (cardinality(addresses) - (select count(distinct a) from unnest(addresses) as a))
  );
end;
$$;
comment on function walltrack.submit_candidates(text[], text) is
'Adds an operator''s addresses as candidates (source operator) with a note; refuses the call '
'if one is not a Solana address. Returns {submitted, already_watched, already_candidates}.';
grant execute on function walltrack.submit_candidates(text[], text) to service_role;

-- ---------------------------------------------------------------------------------------
-- The ledger: average cost per token, in SOL

create function walltrack.ledger_step(
  state numeric[], side walltrack.trade_side, tokens numeric, sol numeric
)
returns numeric[]
language plpgsql
immutable
set search_path = ''
as $$
-- One swap of one token, in time order, for the average cost method. state: {1 tokens
-- held, 2 cost held (SOL), 3 realized PnL (SOL), 4 cost of what was sold (SOL), 5 proceeds
-- of what was sold against a cost (SOL), 6 tokens sold with no cost basis, 7 their
-- proceeds (SOL)}. A buy adds tokens and cost. A sell realizes proceeds minus the average
-- cost of the tokens sold (cost held x sold / held); what it sells beyond the tokens held
-- was never bought here (received from elsewhere): its share of the proceeds is not profit
-- and is kept apart (6, 7).
declare
  matched numeric;
  basis numeric;
  proceeds numeric;
begin
  if side = 'buy' then
    state[1] := state[1] + tokens;
    state[2] := state[2] + sol;
    return state;
  end if;
  matched := least(tokens, state[1]);
  if matched > 0 then
    basis := state[2] * matched / state[1];
    proceeds := sol * matched / tokens;
    state[3] := state[3] + proceeds - basis;
    state[4] := state[4] + basis;
    state[5] := state[5] + proceeds;
    state[1] := state[1] - matched;
    state[2] := state[2] - basis;
  end if;
  if tokens > matched then
    state[6] := state[6] + tokens - matched;
    state[7] := state[7] + sol * (tokens - matched) / tokens;
  end if;
  return state;
end;
$$;
comment on function walltrack.ledger_step(numeric[], walltrack.trade_side, numeric, numeric) is
'One step of walltrack.avg_cost_ledger (average cost per token): a buy adds tokens and '
'cost; a sell realizes proceeds minus average cost, and sells beyond holdings have no cost '
'basis (kept apart, never profit).';
grant execute on function walltrack.ledger_step(
  numeric[], walltrack.trade_side, numeric, numeric
) to service_role;

create function walltrack.avg_cost_ledger(
  sides walltrack.trade_side[], tokens numeric[], sols numeric[]
)
returns numeric[]
language plpgsql
immutable
set search_path = ''
as $$
-- One token's swaps in time order (array_agg(... order by time)), folded by ledger_step.
declare
  state numeric [] := '{0,0,0,0,0,0,0}'::numeric [];
begin
  for i in 1 .. coalesce(cardinality(sides), 0) loop
    state := walltrack.ledger_step(state, sides[i], tokens[i], sols[i]);
  end loop;
  return state;
end;
$$;
comment on function walltrack.avg_cost_ledger(
  walltrack.trade_side[], numeric[], numeric[]
) is
'Average-cost ledger of one token''s swaps given in time order (sides, token amounts, SOL): '
'{tokens held, cost held, realized PnL, cost sold, proceeds matched, tokens sold never '
'bought, their proceeds}, SOL.';
grant execute on function walltrack.avg_cost_ledger(
  walltrack.trade_side[], numeric[], numeric[]
) to service_role;

create view walltrack.candidate_periods
with (security_invoker = true)
as
select
  d.id as candidate_id,
  coalesce(d.measured_at, walltrack.clock()) - make_interval(days => c.discovery_period_days)
    as period_start,
  coalesce(d.measured_at, walltrack.clock()) as period_end,
  c.discovery_period_days as period_days
from walltrack.discovery_candidates as d
cross join walltrack.config as c;

revoke all on walltrack.candidate_periods from public, anon, authenticated;
grant select on walltrack.candidate_periods to service_role;
comment on view walltrack.candidate_periods is
'Each candidate''s ledger period: config.discovery_period_days ending when its history read '
'completed (now while it is being read).';
comment on column walltrack.candidate_periods.candidate_id is 'The candidate.';
comment on column walltrack.candidate_periods.period_start is 'Start of the period.';
comment on column walltrack.candidate_periods.period_end is
'End of the period: measured_at, or now while unmeasured.';
comment on column walltrack.candidate_periods.period_days is 'Length of the period, days.';

create view walltrack.candidate_token_ledger
with (security_invoker = true)
as
with swaps as (
  select
    s.*,
    s.sol_lamports / 1000000000.0 as sol
  from walltrack.candidate_swaps as s
  inner join walltrack.candidate_periods as p on s.candidate_id = p.candidate_id
  cross join walltrack.config as c
  where
    s.block_time between p.period_start and p.period_end
    and s.sol_lamports >= c.discovery_dust_sol * 1000000000
),

per_token as (
  select
    s.candidate_id,
    s.token_mint,
    count(*) filter (where s.side = 'buy') as buys,
    count(*) filter (where s.side = 'sell') as sells,
    coalesce(sum(s.sol) filter (where s.side = 'buy'), 0) as bought_sol,
    coalesce(sum(s.sol) filter (where s.side = 'sell'), 0) as sold_sol,
    min(s.block_time) filter (where s.side = 'buy') as first_buy_at,
    max(s.block_time) filter (where s.side = 'sell') as last_sell_at,
    walltrack.avg_cost_ledger(
      array_agg(s.side order by s.block_time, s.slot, s.signature, s.side),
      array_agg(s.token_amount order by s.block_time, s.slot, s.signature, s.side),
      array_agg(s.sol order by s.block_time, s.slot, s.signature, s.side)
    ) as l,
    (array_agg(s.signature order by s.block_time, s.slot, s.signature))[1:3] as signatures
  from swaps as s
  group by s.candidate_id, s.token_mint
)

select
  t.candidate_id,
  t.token_mint,
  t.buys,
  t.sells,
  t.bought_sol,
  t.sold_sol,
  t.first_buy_at,
  t.last_sell_at,
  round(t.l[3], 9) as realized_pnl_sol,
  round(t.l[4], 9) as cost_sold_sol,
  t.l[1] as tokens_held,
  t.l[6] as tokens_sold_never_bought,
  round(t.l[7], 9) as sold_never_bought_sol,
  t.l[4] > 0 as is_trade,
  case when t.l[4] > 0 then t.l[3] / t.l[4] end as return_ratio,
  case when t.l[4] > 0 then extract(epoch from t.last_sell_at - t.first_buy_at) end
    as hold_seconds,
  t.signatures
from per_token as t;

revoke all on walltrack.candidate_token_ledger from public, anon, authenticated;
grant select on walltrack.candidate_token_ledger to service_role;
comment on view walltrack.candidate_token_ledger is
'Each candidate''s ledger per token over its period (swaps moving less SOL than '
'config.discovery_dust_sol ignored), by average cost. A trade is a token round trip closed or '
'partly closed: at least one sell matched against a cost basis.';
comment on column walltrack.candidate_token_ledger.candidate_id is 'The candidate.';
comment on column walltrack.candidate_token_ledger.token_mint is 'The token.';
comment on column walltrack.candidate_token_ledger.buys is 'Buys counted (not dust).';
comment on column walltrack.candidate_token_ledger.sells is 'Sells counted (not dust).';
comment on column walltrack.candidate_token_ledger.bought_sol is 'SOL paid for the token.';
comment on column walltrack.candidate_token_ledger.sold_sol is 'SOL received for the token.';
comment on column walltrack.candidate_token_ledger.first_buy_at is 'First buy.';
comment on column walltrack.candidate_token_ledger.last_sell_at is 'Last sell.';
comment on column walltrack.candidate_token_ledger.realized_pnl_sol is
'Sum over sells of proceeds - average cost of the tokens sold (tokens with a cost basis only), '
'SOL, rounded to the lamport.';
comment on column walltrack.candidate_token_ledger.cost_sold_sol is
'Average cost of the tokens sold: the capital of the round trip, SOL.';
comment on column walltrack.candidate_token_ledger.tokens_held is
'Tokens still held at the period''s end (atomic units): the open part, not realized.';
comment on column walltrack.candidate_token_ledger.tokens_sold_never_bought is
'Tokens sold beyond what was bought before (atomic units): received from elsewhere.';
comment on column walltrack.candidate_token_ledger.sold_never_bought_sol is
'Proceeds of those tokens, SOL: no cost basis, not counted as profit.';
comment on column walltrack.candidate_token_ledger.is_trade is
'A trade: some tokens sold against a cost basis (a closed or partly closed round trip).';
comment on column walltrack.candidate_token_ledger.return_ratio is
'realized_pnl_sol / cost_sold_sol of the trade.';
comment on column walltrack.candidate_token_ledger.hold_seconds is
'First buy to last sell, seconds (trades only).';
comment on column walltrack.candidate_token_ledger.signatures is
'The first three signatures of the token''s swaps, as evidence.';

create view walltrack.candidate_ledger
with (security_invoker = true)
as
with tokens as (
  select
    t.candidate_id,
    count(*) as tokens_traded,
    count(*) filter (where t.is_trade) as trade_count,
    count(*) filter (where t.is_trade and t.realized_pnl_sol > 0) as wins,
    count(*) filter (where t.is_trade and t.realized_pnl_sol < 0) as losses,
    coalesce(sum(t.realized_pnl_sol) filter (where t.is_trade), 0) as realized_pnl_sol,
    coalesce(sum(t.realized_pnl_sol) filter (where t.realized_pnl_sol > 0), 0)
      as gross_profit_sol,
    coalesce(-sum(t.realized_pnl_sol) filter (where t.realized_pnl_sol < 0), 0)
      as gross_loss_sol,
    sum(t.cost_sold_sol) filter (where t.is_trade) as cost_sold_sol,
    avg(t.return_ratio) filter (where t.is_trade) as mean_return_ratio,
    percentile_cont(0.5) within group (order by t.hold_seconds)
    filter (where t.is_trade) as median_hold_seconds,
    max(t.realized_pnl_sol) filter (where t.is_trade) as largest_win_sol,
    count(*) filter (where t.tokens_sold_never_bought > 0) as sold_never_bought_tokens,
    coalesce(sum(t.sold_never_bought_sol), 0) as sold_never_bought_sol,
    (
      array_agg(t.signatures[1] order by t.realized_pnl_sol desc, t.token_mint asc)
      filter (where t.is_trade)
    )[1:5
    ] as evidence_signatures,
    jsonb_agg(
      jsonb_build_object('token_mint', t.token_mint, 'signatures', t.signatures)
      order by t.realized_pnl_sol desc, t.token_mint asc
    )
    filter (where t.is_trade and t.realized_pnl_sol > 0) -> 0 as largest_win_token,
    jsonb_agg(jsonb_build_object(
      'token_mint', t.token_mint, 'tokens', t.tokens_sold_never_bought,
      'proceeds_sol', t.sold_never_bought_sol, 'signatures', t.signatures
    ) order by t.sold_never_bought_sol desc, t.token_mint asc)
    filter (where t.tokens_sold_never_bought > 0) as sold_never_bought_evidence,
    jsonb_agg(jsonb_build_object(
      'token_mint', t.token_mint, 'buys', t.buys, 'sells', t.sells,
      'bought_sol', round(t.bought_sol, 9),
      'realized_pnl_sol', t.realized_pnl_sol, 'signatures', t.signatures
    ) order by t.bought_sol desc, t.token_mint asc)
    filter (
      where t.sells >= (select c.discovery_wash_min_round_trips from walltrack.config as c)
      and abs(t.realized_pnl_sol) <= t.bought_sol
      * (select c.discovery_wash_max_pnl_pct from walltrack.config as c) / 100
    ) -> 0 as churned_token
  from walltrack.candidate_token_ledger as t
  group by t.candidate_id
)

select
  d.id as candidate_id,
  coalesce(t.trade_count, 0) as trade_count,
  coalesce(t.tokens_traded, 0) as tokens_traded,
  coalesce(t.wins, 0) as wins,
  coalesce(t.losses, 0) as losses,
  round(100.0 * t.wins / nullif(t.trade_count, 0), 2) as win_rate_pct,
  coalesce(t.realized_pnl_sol, 0) as realized_pnl_sol,
  round(t.gross_profit_sol / nullif(t.gross_loss_sol, 0), 4) as profit_factor,
  round(t.realized_pnl_sol / nullif(t.trade_count, 0), 9) as expectancy_sol,
  round(100 * t.mean_return_ratio, 2) as expectancy_pct,
  round(t.cost_sold_sol / nullif(t.trade_count, 0), 9) as avg_cost_per_trade_sol,
  round(t.median_hold_seconds::numeric, 0) as median_hold_seconds,
  case when t.largest_win_sol > 0 then t.largest_win_sol end as largest_win_sol,
  case
    when t.largest_win_sol > 0 and t.realized_pnl_sol > 0
      then round(100 * t.largest_win_sol / t.realized_pnl_sol, 2)
  end as largest_win_share_pct,
  coalesce(t.sold_never_bought_tokens, 0) as sold_never_bought_tokens,
  coalesce(t.sold_never_bought_sol, 0) as sold_never_bought_sol,
  p.period_start,
  p.period_end,
  p.period_days,
  coalesce(t.evidence_signatures, '{}') as evidence_signatures,
  t.largest_win_token,
  t.sold_never_bought_evidence,
  t.churned_token
from walltrack.discovery_candidates as d
inner join walltrack.candidate_periods as p on d.id = p.candidate_id
left join tokens as t on d.id = t.candidate_id;

revoke all on walltrack.candidate_ledger from public, anon, authenticated;
grant select on walltrack.candidate_ledger to service_role;
comment on view walltrack.candidate_ledger is
'Each candidate''s ledger figures over its period, by average cost per token (SOL quotes, dust '
'ignored). A trade = one token with some tokens sold against a cost basis.';
comment on column walltrack.candidate_ledger.candidate_id is 'The candidate.';
comment on column walltrack.candidate_ledger.trade_count is
'Trades: tokens closed or partly closed against a cost basis.';
comment on column walltrack.candidate_ledger.tokens_traded is
'Distinct tokens with a (non-dust) swap in the period, trades or not.';
comment on column walltrack.candidate_ledger.wins is 'Trades with realized PnL above 0.';
comment on column walltrack.candidate_ledger.losses is 'Trades with realized PnL below 0.';
comment on column walltrack.candidate_ledger.win_rate_pct is 'wins / trade_count, %.';
comment on column walltrack.candidate_ledger.realized_pnl_sol is
'Realized PnL of the trades, SOL (sales with no cost basis excluded).';
comment on column walltrack.candidate_ledger.profit_factor is
'Gross profit / gross loss of the trades; empty without a losing trade.';
comment on column walltrack.candidate_ledger.expectancy_sol is
'Mean realized PnL per trade, SOL (realized_pnl_sol / trade_count).';
comment on column walltrack.candidate_ledger.expectancy_pct is
'Mean return per trade, %: the mean of each trade''s realized PnL / its cost sold. What a '
'copy at a fixed size would earn per trade before decay.';
comment on column walltrack.candidate_ledger.avg_cost_per_trade_sol is
'Mean cost sold per trade, SOL: the wallet''s own size.';
comment on column walltrack.candidate_ledger.median_hold_seconds is
'Median over trades of first buy to last sell, seconds.';
comment on column walltrack.candidate_ledger.largest_win_sol is 'Largest winning trade, SOL.';
comment on column walltrack.candidate_ledger.largest_win_share_pct is
'largest_win_sol / realized_pnl_sol, % (empty unless both are above 0); above 100 when the other '
'trades lost.';
comment on column walltrack.candidate_ledger.sold_never_bought_tokens is
'Tokens sold (at least partly) with no buy seen before.';
comment on column walltrack.candidate_ledger.sold_never_bought_sol is
'Proceeds of those sales, SOL, not counted as profit.';
comment on column walltrack.candidate_ledger.period_start is 'Start of the period.';
comment on column walltrack.candidate_ledger.period_end is 'End of the period.';
comment on column walltrack.candidate_ledger.period_days is 'Length of the period, days.';
comment on column walltrack.candidate_ledger.evidence_signatures is
'The first transaction of each of its five best trades.';
comment on column walltrack.candidate_ledger.largest_win_token is
'{token_mint, signatures} of its largest winning trade.';
comment on column walltrack.candidate_ledger.sold_never_bought_evidence is
'[{token_mint, tokens, proceeds_sol, signatures}] of the tokens sold never bought, largest first.';
comment on column walltrack.candidate_ledger.churned_token is
'{token_mint, buys, sells, bought_sol, realized_pnl_sol, signatures} of its largest token '
'bought and sold over and over for nothing: at least config.discovery_wash_min_round_trips '
'sells, realized PnL within config.discovery_wash_max_pnl_pct % of the SOL bought.';

-- ---------------------------------------------------------------------------------------
-- Flags, each with its evidence (thresholds in config)

create view walltrack.candidate_flags
with (security_invoker = true)
as
with period_swaps as (
  select s.*
  from walltrack.candidate_swaps as s
  inner join walltrack.candidate_periods as p on s.candidate_id = p.candidate_id
  where s.block_time between p.period_start and p.period_end
),

-- Bot activity counts every transaction of the period, dust included.
busiest_minute as (
  select distinct on (m.candidate_id) m.*
  from (
    select
      s.candidate_id,
      date_trunc('minute', s.block_time) as minute,
      count(distinct s.signature) as transactions,
      (array_agg(distinct s.signature))[1:3] as signatures
    from period_swaps as s
    group by s.candidate_id, date_trunc('minute', s.block_time)
  ) as m
  order by m.candidate_id asc, m.transactions desc, m.minute asc
),

busiest_hour as (
  select distinct on (h.candidate_id) h.*
  from (
    select
      s.candidate_id,
      date_trunc('hour', s.block_time) as hour,
      count(distinct s.token_mint) as tokens,
      (array_agg(distinct s.signature))[1:3] as signatures
    from period_swaps as s
    group by s.candidate_id, date_trunc('hour', s.block_time)
  ) as h
  order by h.candidate_id asc, h.tokens desc, h.hour asc
),

first_swap as (
  select distinct on (s.candidate_id)
    s.candidate_id,
    s.block_time,
    s.signature
  from walltrack.candidate_swaps as s
  order by s.candidate_id, s.block_time, s.slot, s.signature
),

judged as (
  select
    l.*,
    array_remove(array[
      case
        when
          bm.transactions >= c.discovery_bot_max_tx_per_minute
          or bh.tokens >= c.discovery_bot_max_tokens_per_hour
          then
            jsonb_build_object(
              'flag', 'bot',
              'max_tx_per_minute', bm.transactions, 'minute', bm.minute,
              'max_tokens_per_hour', bh.tokens, 'hour', bh.hour,
              'thresholds', jsonb_build_object(
                'tx_per_minute', c.discovery_bot_max_tx_per_minute,
                'tokens_per_hour', c.discovery_bot_max_tokens_per_hour
              ),
              'signatures', to_jsonb(case
                when bm.transactions >= c.discovery_bot_max_tx_per_minute
                  then bm.signatures
                else bh.signatures
              end)
            )
      end,
      case
        when
          l.trade_count >= c.discovery_sniper_min_closed_tokens
          and l.median_hold_seconds < 60 * c.discovery_sniper_max_median_hold_minutes
          then jsonb_build_object(
            'flag', 'sniper', 'median_hold_seconds', l.median_hold_seconds,
            'trades', l.trade_count,
            'thresholds', jsonb_build_object(
              'median_hold_minutes', c.discovery_sniper_max_median_hold_minutes,
              'min_trades', c.discovery_sniper_min_closed_tokens
            )
          )
      end,
      case
        when
          l.trade_count >= c.discovery_win_rate_min_trades
          and l.win_rate_pct > c.discovery_max_win_rate_pct
          then
            jsonb_build_object(
              'flag', 'suspicious_win_rate', 'win_rate_pct', l.win_rate_pct,
              'trades', l.trade_count,
              'thresholds', jsonb_build_object(
                'win_rate_pct', c.discovery_max_win_rate_pct,
                'min_trades', c.discovery_win_rate_min_trades
              )
            )
      end,
      case
        when fs.block_time > l.period_end - make_interval(days => c.discovery_fresh_wallet_days)
          then jsonb_build_object(
            'flag', 'fresh_wallet', 'first_swap_at', fs.block_time,
            'days_before_period_end',
            round(extract(epoch from l.period_end - fs.block_time) / 86400, 2),
            'thresholds', jsonb_build_object('days', c.discovery_fresh_wallet_days),
            'signatures', jsonb_build_array(fs.signature)
          )
      end,
      case
        when l.sold_never_bought_tokens >= c.discovery_sold_never_bought_min_tokens
          then jsonb_build_object(
            'flag', 'sold_never_bought', 'tokens', l.sold_never_bought_tokens,
            'proceeds_sol', l.sold_never_bought_sol, 'evidence', l.sold_never_bought_evidence,
            'thresholds', jsonb_build_object('tokens', c.discovery_sold_never_bought_min_tokens)
          )
      end,
      case
        when l.largest_win_share_pct > c.discovery_max_single_token_profit_pct
          then jsonb_build_object(
            'flag', 'single_token_profit', 'token_mint', l.largest_win_token -> 'token_mint',
            'largest_win_sol', l.largest_win_sol, 'realized_pnl_sol', l.realized_pnl_sol,
            'share_pct', l.largest_win_share_pct,
            'thresholds', jsonb_build_object('share_pct', c.discovery_max_single_token_profit_pct),
            'signatures', l.largest_win_token -> 'signatures'
          )
      end,
      case when l.churned_token is not null then jsonb_build_object(
        'flag', 'wash_trading', 'token_mint', l.churned_token -> 'token_mint',
        'buys', l.churned_token -> 'buys', 'sells', l.churned_token -> 'sells',
        'bought_sol', l.churned_token -> 'bought_sol',
        'realized_pnl_sol', l.churned_token -> 'realized_pnl_sol',
        'thresholds', jsonb_build_object(
          'min_round_trips', c.discovery_wash_min_round_trips,
          'max_pnl_pct', c.discovery_wash_max_pnl_pct
        ),
        'signatures', l.churned_token -> 'signatures'
      ) end,
      case when l.trade_count < c.discovery_min_trades then jsonb_build_object(
        'flag', 'low_activity', 'trades', l.trade_count,
        'thresholds', jsonb_build_object('min_trades', c.discovery_min_trades)
      ) end
    ], null) as flag_list
  from walltrack.candidate_ledger as l
  cross join walltrack.config as c
  left join busiest_minute as bm on l.candidate_id = bm.candidate_id
  left join busiest_hour as bh on l.candidate_id = bh.candidate_id
  left join first_swap as fs on l.candidate_id = fs.candidate_id
)

select
  j.candidate_id,
  array(select f ->> 'flag' from unnest(j.flag_list) as f) as flag_names,
  coalesce(to_jsonb(j.flag_list), '[]'::jsonb) as flags,
  j.trade_count,
  j.tokens_traded,
  j.wins,
  j.losses,
  j.win_rate_pct,
  j.realized_pnl_sol,
  j.profit_factor,
  j.expectancy_sol,
  j.expectancy_pct,
  j.avg_cost_per_trade_sol,
  j.median_hold_seconds,
  j.largest_win_sol,
  j.largest_win_share_pct,
  j.sold_never_bought_tokens,
  j.sold_never_bought_sol,
  j.period_start,
  j.period_end,
  j.period_days,
  j.evidence_signatures
from judged as j;

revoke all on walltrack.candidate_flags from public, anon, authenticated;
grant select on walltrack.candidate_flags to service_role;
comment on view walltrack.candidate_flags is
'Each candidate''s flags over its period, each with its evidence (figures, thresholds, '
'signatures): bot (transactions in one minute or tokens in one hour at the config limits), '
'sniper (median hold under config minutes over enough trades), suspicious_win_rate, '
'fresh_wallet (earliest swap read is recent), sold_never_bought, single_token_profit (largest '
'win''s share of realized PnL), wash_trading (one token bought and sold over and over for '
'nothing), low_activity (too few trades to measure).';
comment on column walltrack.candidate_flags.candidate_id is 'The candidate.';
comment on column walltrack.candidate_flags.flag_names is 'The flags raised, by name.';
comment on column walltrack.candidate_flags.flags is
'The flags raised: [{flag, figures..., thresholds, signatures}].';
comment on column walltrack.candidate_flags.trade_count is
'The ledger''s figures it judged, from here on (walltrack.candidate_ledger).';

-- ---------------------------------------------------------------------------------------
-- Copyability: what our own copies of watched wallets lose, applied to candidates

create view walltrack.wallet_copyability
with (security_invoker = true)
as
select
  w.id as wallet_id,
  w.address,
  w.label,
  d.copies,
  d.median_copy_delay_seconds,
  p.copy_decay_pct,
  coalesce(p.leader_trades_compared, 0) as leader_trades_compared
from walltrack.wallets as w
left join lateral (
  select
    count(*) as copies,
    round(percentile_cont(0.5) within group (
      order by extract(epoch from s.decided_at - s.block_time)
    )::numeric, 1) as median_copy_delay_seconds
  from walltrack.signals as s
  where s.wallet_id = w.id and s.decision = 'copied' and s.block_time is not null
) as d on true
left join walltrack.performance as p on w.id = p.wallet_id and p.time_window = 'all';

revoke all on walltrack.wallet_copyability from public, anon, authenticated;
grant select on walltrack.wallet_copyability to service_role;
comment on view walltrack.wallet_copyability is
'Per watched wallet, how well we copy it: our copy delay (median of decided_at - block_time '
'over its copied signals, live) and the scoreboard''s copy decay (all-time window, as of the '
'last refresh of walltrack.performance).';
comment on column walltrack.wallet_copyability.wallet_id is 'The watched wallet.';
comment on column walltrack.wallet_copyability.address is 'Its address.';
comment on column walltrack.wallet_copyability.label is 'Its label.';
comment on column walltrack.wallet_copyability.copies is 'Its signals we copied.';
comment on column walltrack.wallet_copyability.median_copy_delay_seconds is
'Median of decided_at - block_time over the copied signals, seconds.';
comment on column walltrack.wallet_copyability.copy_decay_pct is
'walltrack.performance.copy_decay_pct (all): leader''s return - our return on the same trades, '
'points.';
comment on column walltrack.wallet_copyability.leader_trades_compared is
'Trades the copy decay is measured on.';

create view walltrack.discovery_copy_decay
with (security_invoker = true)
as
with m as (
  select
    round(
      percentile_cont(0.5) within group (order by k.copy_decay_pct)
      filter (where k.leader_trades_compared > 0 and k.copy_decay_pct is not null)::numeric, 2)
      as median_decay,
    count(*) filter (where k.leader_trades_compared > 0 and k.copy_decay_pct is not null)
      as wallets,
    round(percentile_cont(0.5) within group (order by k.median_copy_delay_seconds)::numeric, 1)
      as median_delay
  from walltrack.wallet_copyability as k
)

select
  coalesce(m.median_decay, c.discovery_default_copy_decay_pct) as copy_decay_pct,
  m.median_decay is null as is_default,
  m.wallets,
  m.median_delay as median_copy_delay_seconds
from walltrack.config as c
cross join m;

revoke all on walltrack.discovery_copy_decay from public, anon, authenticated;
grant select on walltrack.discovery_copy_decay to service_role;
comment on view walltrack.discovery_copy_decay is
'The copy decay applied to every candidate: the median copy_decay_pct across watched wallets '
'with comparable trades, or config.discovery_default_copy_decay_pct when none has any.';
comment on column walltrack.discovery_copy_decay.copy_decay_pct is
'Points of return per trade a copy loses to our delay, slippage and fees.';
comment on column walltrack.discovery_copy_decay.is_default is
'True when no watched wallet has a measured decay: the config default is used.';
comment on column walltrack.discovery_copy_decay.wallets is
'Watched wallets the median is taken over.';
comment on column walltrack.discovery_copy_decay.median_copy_delay_seconds is
'Median across watched wallets of their median copy delay, seconds (shown, not used).';

-- ---------------------------------------------------------------------------------------
-- Ranking: what Studio reads

create view walltrack.candidate_ranking_all
with (security_invoker = true)
as
with scored as (
  select
    d.id,
    d.address,
    d.status,
    d.source,
    w.mint as winner_mint,
    l.trade_count,
    l.tokens_traded,
    l.win_rate_pct,
    l.realized_pnl_sol,
    l.profit_factor,
    l.expectancy_sol,
    l.expectancy_pct,
    l.avg_cost_per_trade_sol,
    l.median_hold_seconds,
    l.largest_win_share_pct,
    l.sold_never_bought_tokens,
    l.flag_names,
    l.flags,
    l.evidence_signatures,
    k.copy_decay_pct,
    k.is_default as copy_decay_is_default,
    k.median_copy_delay_seconds,
    l.expectancy_pct - k.copy_decay_pct as expectancy_after_decay_pct,
    round(c.fixed_amount_sol * (l.expectancy_pct - k.copy_decay_pct) / 100, 9)
      as copy_expectancy_sol,
    l.period_start,
    l.period_end,
    l.period_days,
    d.found_at,
    d.measured_at,
    d.wallet_id,
    d.note
  from walltrack.discovery_candidates as d
  inner join walltrack.candidate_flags as l on d.id = l.candidate_id
  left join walltrack.discovery_winners as w on d.winner_id = w.id
  cross join walltrack.discovery_copy_decay as k
  cross join walltrack.config as c
)

select
  case when s.status in ('measured', 'promoted') then rank() over (
    partition by s.status in ('measured', 'promoted')
    order by
      cardinality(s.flag_names) > 0, s.expectancy_after_decay_pct desc nulls last,
      s.realized_pnl_sol desc, s.id asc
  ) end as rank,
  s.id,
  s.address,
  s.status,
  s.source,
  s.winner_mint,
  s.trade_count,
  s.tokens_traded,
  s.win_rate_pct,
  s.realized_pnl_sol,
  s.profit_factor,
  s.expectancy_sol,
  s.expectancy_pct,
  s.copy_decay_pct,
  s.expectancy_after_decay_pct,
  s.copy_expectancy_sol,
  s.median_hold_seconds,
  s.largest_win_share_pct,
  s.sold_never_bought_tokens,
  s.flag_names,
  s.flags,
  s.copy_decay_is_default,
  s.median_copy_delay_seconds,
  s.avg_cost_per_trade_sol,
  'https://solscan.io/account/' || s.address as account_link,
  array(
    select 'https://solscan.io/tx/' || x.signature
    from unnest(s.evidence_signatures) as x (signature)
  ) as evidence_links,
  s.period_start,
  s.period_end,
  s.period_days,
  s.found_at,
  s.measured_at,
  s.wallet_id,
  s.note
from scored as s
order by rank nulls last, s.found_at, s.id;

revoke all on walltrack.candidate_ranking_all from public, anon, authenticated;
grant select on walltrack.candidate_ranking_all to service_role;
comment on view walltrack.candidate_ranking_all is
'The ranking''s definition, read through walltrack.candidate_ranking (see there).';

create function walltrack.candidate_ranking_rows()
returns setof walltrack.candidate_ranking_all
language sql
stable
set search_path = ''
set jit = off
as $$
  -- The ranking's plan is costly on paper (ledgers, medians, flags): without this, Postgres
  -- JIT-compiles it for seconds even over a handful of rows.
  select r.* from walltrack.candidate_ranking_all as r;
$$;
comment on function walltrack.candidate_ranking_rows() is
'The rows of walltrack.candidate_ranking_all, computed without JIT compilation.';
grant execute on function walltrack.candidate_ranking_rows() to service_role;

create view walltrack.candidate_ranking
with (security_invoker = true)
as
select r.*
from walltrack.candidate_ranking_rows() as r
order by r.rank asc nulls last, r.found_at asc, r.id asc;

revoke all on walltrack.candidate_ranking from public, anon, authenticated;
grant select on walltrack.candidate_ranking to service_role;
comment on view walltrack.candidate_ranking is
'Discovery candidates as Studio shows them best, ranked on expectancy after decay (not win '
'rate): unflagged before flagged, then expectancy_after_decay_pct descending (a candidate with '
'no trade last), realized PnL, id. Only measured and promoted candidates have a rank. Promote '
'one with update walltrack.discovery_candidates set status = ''promoted'' where id = ...';
comment on column walltrack.candidate_ranking.rank is
'1 = the best to copy; empty while the history is read, or dismissed.';
comment on column walltrack.candidate_ranking.id is 'The candidate''s id (discovery_candidates).';
comment on column walltrack.candidate_ranking.address is 'The wallet''s address.';
comment on column walltrack.candidate_ranking.status is 'new, measured, promoted or dismissed.';
comment on column walltrack.candidate_ranking.source is 'early_buyer, size_buyer or operator.';
comment on column walltrack.candidate_ranking.winner_mint is 'The winner it was found through.';
comment on column walltrack.candidate_ranking.trade_count is
'Trades: tokens closed or partly closed against a cost basis over the period.';
comment on column walltrack.candidate_ranking.tokens_traded is 'Distinct tokens swapped.';
comment on column walltrack.candidate_ranking.win_rate_pct is 'Winning trades / trades, %.';
comment on column walltrack.candidate_ranking.realized_pnl_sol is
'Realized PnL by average cost, SOL.';
comment on column walltrack.candidate_ranking.profit_factor is 'Gross profit / gross loss.';
comment on column walltrack.candidate_ranking.expectancy_sol is 'Mean realized PnL per trade, SOL.';
comment on column walltrack.candidate_ranking.expectancy_pct is
'Mean return per trade (realized PnL / cost sold), %.';
comment on column walltrack.candidate_ranking.copy_decay_pct is
'Points of return per trade a copy loses (walltrack.discovery_copy_decay).';
comment on column walltrack.candidate_ranking.expectancy_after_decay_pct is
'expectancy_pct - copy_decay_pct: the mean return per trade a copy would earn, %. The ranking '
'key.';
comment on column walltrack.candidate_ranking.copy_expectancy_sol is
'config.fixed_amount_sol x expectancy_after_decay_pct / 100: what one copy would earn, SOL.';
comment on column walltrack.candidate_ranking.median_hold_seconds is
'Median first buy to last sell per trade, seconds.';
comment on column walltrack.candidate_ranking.largest_win_share_pct is
'Largest win / realized PnL, %.';
comment on column walltrack.candidate_ranking.sold_never_bought_tokens is
'Tokens sold with no buy seen before.';
comment on column walltrack.candidate_ranking.flag_names is
'Flags raised (bot, sniper, suspicious_win_rate, fresh_wallet, sold_never_bought, '
'single_token_profit, wash_trading, low_activity): a flagged candidate ranks after every '
'unflagged one and is never auto-promoted.';
comment on column walltrack.candidate_ranking.flags is 'Each flag with its evidence.';
comment on column walltrack.candidate_ranking.copy_decay_is_default is
'True when copy_decay_pct is the config default (no watched wallet measured yet).';
comment on column walltrack.candidate_ranking.median_copy_delay_seconds is
'Our median copy delay across watched wallets, seconds.';
comment on column walltrack.candidate_ranking.avg_cost_per_trade_sol is
'The wallet''s mean size per trade (cost sold), SOL.';
comment on column walltrack.candidate_ranking.account_link is 'The wallet on Solscan.';
comment on column walltrack.candidate_ranking.evidence_links is
'Up to five of its trades'' transactions on Solscan.';
comment on column walltrack.candidate_ranking.period_start is 'Start of the measured period.';
comment on column walltrack.candidate_ranking.period_end is 'End of the measured period.';
comment on column walltrack.candidate_ranking.period_days is 'Length of the period, days.';
comment on column walltrack.candidate_ranking.found_at is 'When discovery found it.';
comment on column walltrack.candidate_ranking.measured_at is 'When its history read completed.';
comment on column walltrack.candidate_ranking.wallet_id is 'The wallet it became, once promoted.';
comment on column walltrack.candidate_ranking.note is 'The operator''s note.';

-- ---------------------------------------------------------------------------------------
-- Promotion and baselines

create function walltrack.promote_to_watchlist(candidate walltrack.discovery_candidates)
returns walltrack.discovery_candidates
language plpgsql
set search_path = ''
as $$
-- Called by the candidates' guard trigger on status -> promoted (the candidate is measured).
-- The wallet joins the watchlist active, in simulation mode, with where it was found and the
-- baseline from its ledger: win rate, realized PnL, trade count and period days. Returns the
-- candidate with its wallet and promotion time.
declare
  r walltrack.candidate_ranking;
  new_wallet_id bigint;
begin
  perform walltrack.ensure(
    not exists (select from walltrack.wallets as w where w.address = candidate.address),
    format('candidate %s: wallet %s is already on the watchlist', candidate.id,
      candidate.address),
    'Edit the existing wallet row instead; set this candidate dismissed.');
  select x.* into strict r from walltrack.candidate_ranking as x where x.id = candidate.id;
  insert into walltrack.wallets (
    address, label, status, mode, discovery_source, discovered_at, discovery_ref,
    discovery_metadata, baseline_win_rate_pct, baseline_pnl_sol, baseline_trade_count,
    baseline_period_days
  )
  values (
    candidate.address, 'discovered ' || left(candidate.address, 8), 'active', 'simulation',
    case when candidate.source = 'operator' then 'manual'::walltrack.discovery_source
      else 'onchain_analysis'::walltrack.discovery_source end,
    candidate.found_at,
    format('discovery candidate %s (%s%s)', candidate.id, candidate.source,
      coalesce(' of ' || r.winner_mint, '')),
    jsonb_build_object(
      'candidate_id', candidate.id, 'source', candidate.source, 'winner_mint', r.winner_mint,
      'rank', r.rank, 'measured_at', candidate.measured_at, 'period_start', r.period_start,
      'period_end', r.period_end, 'trade_count', r.trade_count,
      'tokens_traded', r.tokens_traded, 'win_rate_pct', r.win_rate_pct,
      'realized_pnl_sol', r.realized_pnl_sol, 'profit_factor', r.profit_factor,
      'expectancy_sol', r.expectancy_sol, 'expectancy_pct', r.expectancy_pct,
      'copy_decay_pct', r.copy_decay_pct,
      'expectancy_after_decay_pct', r.expectancy_after_decay_pct,
      'median_hold_seconds', r.median_hold_seconds,
      'largest_win_share_pct', r.largest_win_share_pct, 'flags', r.flags,
      'evidence_links', to_jsonb(r.evidence_links), 'note', candidate.note
    ),
    r.win_rate_pct, r.realized_pnl_sol, r.trade_count, r.period_days
  )
  returning id into new_wallet_id;
  candidate.wallet_id := new_wallet_id;
  candidate.promoted_at := walltrack.clock();
  candidate.promoted_by := coalesce(nullif(candidate.promoted_by, ''), current_user::text);
  return candidate;
end;
$$;
comment on function walltrack.promote_to_watchlist(walltrack.discovery_candidates) is
'Puts a measured candidate on the watchlist (active, simulation) with its discovery fields and '
'its measured baseline; refused if the address is already watched. Called by the candidates'' '
'guard trigger on status = promoted.';
grant execute on function walltrack.promote_to_watchlist(walltrack.discovery_candidates)
to service_role;

create function walltrack.promote_candidate(candidate_id bigint, operator text)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- The same as the Studio edit: status = promoted (the guard trigger does the rest).
declare
  candidate walltrack.discovery_candidates;
begin
  perform walltrack.ensure(nullif(trim(operator), '') is not null,
    'promote_candidate needs the operator''s name', 'Say who promotes the wallet.');
  select d.* into candidate from walltrack.discovery_candidates as d
  where d.id = promote_candidate.candidate_id for update;
  perform walltrack.ensure(candidate.id is not null,
    format('discovery candidate %s does not exist', candidate_id),
    'Pick an id from walltrack.candidate_ranking.');
  perform walltrack.ensure(candidate.status <> 'promoted',
    format('candidate %s is already promoted to wallet %s', candidate.id, candidate.wallet_id),
    'Pause or retire the wallet on walltrack.wallets instead.');
  update walltrack.discovery_candidates as d
  set status = 'promoted', promoted_by = operator
  where d.id = candidate.id
  returning * into candidate;
  return jsonb_build_object(
    'candidate_id', candidate.id, 'wallet_id', candidate.wallet_id,
    'address', candidate.address, 'promoted_at', candidate.promoted_at,
    'promoted_by', candidate.promoted_by
  );
end;
$$;
comment on function walltrack.promote_candidate(bigint, text) is
'Promotes a measured candidate to the watchlist in simulation mode with its measured baseline, '
'as the single Studio edit does; returns {candidate_id, wallet_id, address, promoted_at, '
'promoted_by}.';
grant execute on function walltrack.promote_candidate(bigint, text) to service_role;

create function walltrack.auto_promote_candidates()
returns jsonb
language plpgsql
set search_path = ''
as $$
-- Off by default (config.discovery_auto_promote_top_n = 0). Otherwise the measured candidates
-- among the top N ranks that carry no flag and would earn something after decay
-- (expectancy_after_decay_pct > 0) are promoted, in simulation mode only (promotion always
-- is); candidates already promoted count in the N. Returns the promoted ids.
declare
  top_n integer;
  promoted bigint [] := '{}'::bigint [];
  r record;
begin
  select c.discovery_auto_promote_top_n into strict top_n from walltrack.config as c;
  if top_n = 0 then
    return jsonb_build_object('promoted', '[]'::jsonb, 'top_n', 0);
  end if;
  for r in
    select x.id from walltrack.candidate_ranking as x
    where x.rank <= top_n and x.status = 'measured' and cardinality(x.flag_names) = 0
      and x.expectancy_after_decay_pct > 0
      and not exists (select from walltrack.wallets as w where w.address = x.address)
    order by x.rank
  loop
    update walltrack.discovery_candidates as d
    set status = 'promoted', promoted_by = 'auto_promote'
    where d.id = r.id;
    promoted := array_append(promoted, r.id::bigint);
  end loop;
  return jsonb_build_object('promoted', to_jsonb(promoted), 'top_n', top_n);
end;
$$;
comment on function walltrack.auto_promote_candidates() is
'Promotes (simulation only) the unflagged measured candidates with a positive expectancy after '
'decay among the top config.discovery_auto_promote_top_n of the ranking; off at 0 (default).';
grant execute on function walltrack.auto_promote_candidates() to service_role;

create function walltrack.remeasure_baselines()
returns integer
language plpgsql
set search_path = ''
as $$
-- Each promoted wallet's baseline, measured again from its own signals: the leader's trades
-- as WallTrack recorded them (successful, SOL-quoted, at least config.discovery_dust_sol),
-- over config.discovery_period_days ending now, by the same average-cost ledger (a trade =
-- a token with some tokens sold against a cost basis). The period is cut to the days the
-- signals cover (first signal to now, in whole days rounded, at least 1); a wallet with
-- no trade in its signals keeps the baseline it has. Returns how many were re-measured.
declare
  measured integer;
begin
  with cfg as (
    select c.discovery_period_days as days, c.discovery_dust_sol as dust
    from walltrack.config as c
  ),

  promoted as (
    select w.id as wallet_id, greatest(
      walltrack.clock() - make_interval(days => cfg.days),
      (select min(s.block_time) from walltrack.signals as s where s.wallet_id = w.id)
    ) as since
    from walltrack.wallets as w
    cross join cfg
    where w.status <> 'retired' and exists (
      select from walltrack.discovery_candidates as d where d.wallet_id = w.id
    )
  ),

  tokens as (
    select
      p.wallet_id, s.token_mint,
      walltrack.avg_cost_ledger(
        array_agg(s.side order by s.block_time, s.slot, s.signature, s.side),
        array_agg(s.token_amount order by s.block_time, s.slot, s.signature, s.side),
        array_agg(s.quote_amount / 1000000000.0 order by s.block_time, s.slot, s.signature, s.side)
      ) as l
    from promoted as p
    inner join walltrack.signals as s on p.wallet_id = s.wallet_id
    cross join cfg
    where s.block_time between p.since and walltrack.clock() and s.tx_error is null
      and s.quote_mint = 'So11111111111111111111111111111111111111112'
      and s.quote_amount >= cfg.dust * 1000000000
    group by p.wallet_id, s.token_mint
  ),

  figures as (
    select
      t.wallet_id,
      count(*) filter (where t.l[4] > 0) as trades,
      count(*) filter (where t.l[4] > 0 and t.l[3] > 0) as wins,
      round(coalesce(sum(t.l[3]) filter (where t.l[4] > 0), 0), 9) as pnl
    from tokens as t
    group by t.wallet_id
  )

  update walltrack.wallets as w
  set
    baseline_win_rate_pct = round(100.0 * f.wins / f.trades, 2),
    baseline_pnl_sol = f.pnl,
    baseline_trade_count = f.trades,
    baseline_period_days = greatest(1, round(extract(epoch from walltrack.clock() - p.since) / 86400))::integer,
    discovery_metadata = w.discovery_metadata || jsonb_build_object(
      'baseline_measured_at', walltrack.clock(), 'baseline_source', 'signals'
    )
  from figures as f
  inner join promoted as p on f.wallet_id = p.wallet_id
  where w.id = f.wallet_id and f.trades > 0;
  get diagnostics measured = row_count;
  return measured;
end;
$$;
comment on function walltrack.remeasure_baselines() is
'Re-measures each promoted wallet''s baseline (win rate, PnL, trades, period days) from its own '
'signals over the discovery period, by average cost; wallets with no trade keep theirs. '
'Scheduled daily (17_schedules.sql); returns how many were re-measured.';
grant execute on function walltrack.remeasure_baselines() to service_role;

alter table walltrack.discovery_winners enable row level security;
alter table walltrack.discovery_winner_buys enable row level security;
alter table walltrack.discovery_candidates enable row level security;
alter table walltrack.candidate_swaps enable row level security;
grant select, insert, update on walltrack.discovery_winners to service_role;
grant select, insert, update on walltrack.discovery_winner_buys to service_role;
grant select, insert, update on walltrack.discovery_candidates to service_role;
grant select, insert, update on walltrack.candidate_swaps to service_role;

comment on table walltrack.discovery_winners is
'Tokens that did well (DexScreener boosts and searches, judged against config''s winner '
'thresholds), each once, with the walk of its mint''s history that finds its buyers.';
comment on column walltrack.discovery_winners.id is 'Identity of the winner.';
comment on column walltrack.discovery_winners.mint is 'The token''s mint.';
comment on column walltrack.discovery_winners.source is 'boost or search.';
comment on column walltrack.discovery_winners.ref is
'The search query, or token-boosts/top for a boosted token.';
comment on column walltrack.discovery_winners.price_change_h24_pct is
'24 h price change of its deepest SOL pair when found, %.';
comment on column walltrack.discovery_winners.liquidity_usd is 'Pair liquidity when found, USD.';
comment on column walltrack.discovery_winners.volume_h24_usd is '24 h volume when found, USD.';
comment on column walltrack.discovery_winners.market_cap_usd is 'Market cap when found, USD.';
comment on column walltrack.discovery_winners.pair_created_at is 'When its pair was created.';
comment on column walltrack.discovery_winners.found_at is 'When discovery stored it.';
comment on column walltrack.discovery_winners.history_before is
'The mint''s history walk resumes with the transactions older than this one.';
comment on column walltrack.discovery_winners.history_complete is
'The walk reached the mint''s first transaction: its early buyers are known.';
comment on column walltrack.discovery_winners.history_read_at is
'When a page of its history was last recorded.';

comment on table walltrack.discovery_winner_buys is
'Buys of a winner''s mint read from its history (SOL quotes), once each: where its early and '
'size buyers come from. Written by record_winner_page only.';
comment on column walltrack.discovery_winner_buys.id is 'Identity of the buy.';
comment on column walltrack.discovery_winner_buys.winner_id is 'The winner bought.';
comment on column walltrack.discovery_winner_buys.buyer is 'The buying wallet.';
comment on column walltrack.discovery_winner_buys.signature is 'The buy''s transaction.';
comment on column walltrack.discovery_winner_buys.slot is 'Its slot.';
comment on column walltrack.discovery_winner_buys.block_time is 'Its block time.';
comment on column walltrack.discovery_winner_buys.token_amount is
'Tokens bought, atomic units.';
comment on column walltrack.discovery_winner_buys.sol_lamports is
'SOL the buyer paid, lamports.';

comment on table walltrack.discovery_candidates is
'Wallets discovery is judging: found as early or size buyers of winners, or submitted by an '
'operator. Read its history (status new), then ranked (measured) in walltrack.candidate_ranking. '
'Set status = promoted to put it on the watchlist in simulation mode with its measured '
'baseline, or dismissed to set it aside.';
comment on column walltrack.discovery_candidates.id is 'Identity of the candidate.';
comment on column walltrack.discovery_candidates.address is 'The wallet''s address, unique.';
comment on column walltrack.discovery_candidates.source is 'early_buyer, size_buyer or operator.';
comment on column walltrack.discovery_candidates.winner_id is
'The winner it was first found through (empty for an operator''s).';
comment on column walltrack.discovery_candidates.status is
'new (history being read), measured (ranked), promoted (edit to promote), dismissed.';
comment on column walltrack.discovery_candidates.note is 'Free notes, e.g. why it was submitted.';
comment on column walltrack.discovery_candidates.found_at is
'When it was found: the wallet''s discovered_at once promoted.';
comment on column walltrack.discovery_candidates.history_before is
'Its history read resumes with the transactions older than this one.';
comment on column walltrack.discovery_candidates.history_complete is
'Its history is read back past the period''s start (or to its first transaction).';
comment on column walltrack.discovery_candidates.measured_at is
'When the read completed: the end of its ledger period.';
comment on column walltrack.discovery_candidates.wallet_id is 'The wallet it became.';
comment on column walltrack.discovery_candidates.promoted_at is 'When it was promoted.';
comment on column walltrack.discovery_candidates.promoted_by is
'Who promoted it: the operator, or auto_promote.';
comment on column walltrack.discovery_candidates.updated_at is 'Last change of the row.';

comment on table walltrack.candidate_swaps is
'A candidate''s own SOL-quoted swaps read from its Helius history, once each: its ledger. '
'Written by record_candidate_page only.';
comment on column walltrack.candidate_swaps.id is 'Identity of the swap.';
comment on column walltrack.candidate_swaps.candidate_id is 'The candidate that swapped.';
comment on column walltrack.candidate_swaps.signature is 'The transaction.';
comment on column walltrack.candidate_swaps.slot is 'Its slot.';
comment on column walltrack.candidate_swaps.block_time is 'Its block time.';
comment on column walltrack.candidate_swaps.source is 'DEX or program Helius named.';
comment on column walltrack.candidate_swaps.side is 'buy = token in, SOL out; sell = the reverse.';
comment on column walltrack.candidate_swaps.token_mint is 'The token traded.';
comment on column walltrack.candidate_swaps.token_amount is 'Tokens moved, atomic units.';
comment on column walltrack.candidate_swaps.token_decimals is 'Decimals of the token.';
comment on column walltrack.candidate_swaps.sol_lamports is 'SOL moved, lamports.';
comment on column walltrack.candidate_swaps.recorded_at is 'When it was stored.';
