-- engine_isolation
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

-- A bad row in a batch is isolated and recorded, so the rest of the batch still runs.

-- ---------------------------------------------------------------------------------------
-- Faults: what a batch could not process, where the operator sees it

create table walltrack.faults (
  id bigint generated always as identity primary key,
  -- where: the batch that met it (apply_prices, store_token_facts, confirm_orders, ...)
  source text not null,
  -- what: the one row or input that failed, e.g. 'position 42', 'price tick 3'
  subject text not null,
  -- why, as Postgres or the service said it
  sqlstate text,
  message text not null,
  hint text,
  input jsonb,
  -- how often: one row per source and subject, counted while it keeps failing
  occurrences integer not null default 1,
  first_seen_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  constraint faults_once_per_subject unique (source, subject)
);

alter table walltrack.faults enable row level security;
grant select, insert, update, delete on walltrack.faults to service_role;

comment on table walltrack.faults is
'What a batch could not process, one row per source and subject: the rest of the batch went '
'on without it. Fix the cause, then delete the row; a fault that recurs comes back.';
comment on column walltrack.faults.id is 'Identity of the fault.';
comment on column walltrack.faults.source is
'The batch that met the fault: apply_prices, store_token_facts, confirm_orders, ...';
comment on column walltrack.faults.subject is
'The row or input that failed, e.g. ''position 42'' or ''price tick 3''.';
comment on column walltrack.faults.sqlstate is 'The SQLSTATE of the error, when SQL raised it.';
comment on column walltrack.faults.message is 'The error, as it was raised.';
comment on column walltrack.faults.hint is 'What to do about it, when the error said.';
comment on column walltrack.faults.input is 'The input that failed (a tick, a fill), if any.';
comment on column walltrack.faults.occurrences is 'How many times it failed so far.';
comment on column walltrack.faults.first_seen_at is 'When it first failed.';
comment on column walltrack.faults.last_seen_at is 'When it last failed.';

create function walltrack.record_fault(
  source text, subject text, sqlstate text, message text, hint text default null,
  input jsonb default null
)
returns void
language plpgsql
set search_path = ''
as $$
-- A batch that skips a bad row says so here, once per row, however often it meets it.
begin
  insert into walltrack.faults as f (source, subject, sqlstate, message, hint, input)
  values (source, subject, sqlstate, message, hint, input)
  on conflict on constraint faults_once_per_subject do update
  set
    sqlstate = excluded.sqlstate,
    message = excluded.message,
    hint = excluded.hint,
    input = excluded.input,
    occurrences = f.occurrences + 1,
    last_seen_at = now();
end;
$$;
comment on function walltrack.record_fault(text, text, text, text, text, jsonb) is
'Records (or counts again) what a batch could not process: the source, the failing row or '
'input, and the error.';
grant execute on function walltrack.record_fault(text, text, text, text, text, jsonb)
to service_role;

-- The exit engine isolates a bad tick, position or exit (11_exit_engine.sql).

create type walltrack.price_tick as (
  mint text,
  price_sol numeric,
  observed_at timestamptz
);
comment on type walltrack.price_tick is 'One price of one token, as a tick applies it.';

create function walltrack.price_tick_from(item jsonb)
returns walltrack.price_tick
language plpgsql
stable
set search_path = ''
as $$
-- One element of a price batch, checked: a price that is not a positive number, or a time
-- more than five minutes ahead (which would hide every later tick of the token), is refused.
declare
  tick walltrack.price_tick;
begin
  perform walltrack.ensure(
    jsonb_typeof(item) = 'object' and coalesce(jsonb_typeof(item -> 'mint') = 'string', false),
    format('a price tick is an object with a mint, got %s', left(item::text, 200)));
  tick := row(item ->> 'mint', (item ->> 'price_sol')::numeric,
    coalesce((item ->> 'observed_at')::timestamptz, now()));
  perform walltrack.ensure(
    coalesce(tick.price_sol > 0 and walltrack.is_finite(tick.price_sol), false),
    format('the price of %s must be a positive number, got %s', tick.mint, item -> 'price_sol'));
  perform walltrack.ensure(
    tick.observed_at <= now() + interval '5 minutes' and tick.observed_at > '-infinity',
    format('the price of %s is dated %s, ahead of the database clock', tick.mint,
      tick.observed_at));
  return tick;
end;
$$;
comment on function walltrack.price_tick_from(jsonb) is
'One checked price tick from an element of a price batch (raises what is wrong with it).';
grant execute on function walltrack.price_tick_from(jsonb) to service_role;

create function walltrack.price_ticks(prices jsonb)
returns walltrack.price_tick[]
language plpgsql
set search_path = ''
as $$
-- The good ticks of a batch. All at once when the batch is clean (one subtransaction);
-- otherwise element by element, each bad one recorded as a fault and left out.
declare
  ticks walltrack.price_tick[] := '{}'::walltrack.price_tick[];
  item record;
  error_state text;
  error_message text;
begin
  if jsonb_typeof(prices) is distinct from 'array' then
    raise exception using
      message = 'apply_prices expects a JSON array of {mint, price_sol, observed_at?}',
      errcode = 'invalid_parameter_value';
  end if;
  begin
    return array(select walltrack.price_tick_from(p.value) from jsonb_array_elements(prices) as p);
  exception when others then
    null;  -- some element is bad: find which below
  end;
  for item in select p.value, p.ordinality from jsonb_array_elements(prices) with ordinality as p loop
    begin
      ticks := ticks || walltrack.price_tick_from(item.value);
    exception when others then
      get stacked diagnostics error_state = returned_sqlstate, error_message = message_text;
      perform walltrack.record_fault('apply_prices',
        format('price of %s', coalesce(
          case when jsonb_typeof(item.value) = 'object' then item.value ->> 'mint' end,
          'element ' || item.ordinality)),
        error_state, error_message, 'The price source sent this tick: it was skipped.',
        item.value);
    end;
  end loop;
  return ticks;
end;
$$;
comment on function walltrack.price_ticks(jsonb) is
'The valid ticks of a price batch; each invalid element is recorded in walltrack.faults.';
grant execute on function walltrack.price_ticks(jsonb) to service_role;

create function walltrack.mark_to_market(ticks walltrack.price_tick[], only_position bigint)
returns integer
language plpgsql
set search_path = ''
as $$
-- Re-values the live positions in the ticked tokens (or just one of them); a tick older than
-- the position's last price is ignored. Returns how many were re-valued.
declare
  revalued integer;
begin
  update walltrack.positions as p
  set last_price_sol = t.price_sol, last_price_at = t.observed_at
  from unnest(ticks) as t
  where
    p.token_mint = t.mint and p.status in ('open', 'closing')
    and (only_position is null or p.id = only_position)
    and (p.last_price_at is null or t.observed_at >= p.last_price_at);
  get diagnostics revalued = row_count;
  return revalued;
end;
$$;
comment on function walltrack.mark_to_market(walltrack.price_tick[], bigint) is
'Re-values the live positions of the ticked tokens (all, or one position) at the tick prices.';
grant execute on function walltrack.mark_to_market(walltrack.price_tick[], bigint)
to service_role;

create function walltrack.mark_to_market_isolated(ticks walltrack.price_tick[])
returns integer
language plpgsql
set search_path = ''
as $$
-- All positions at once (one subtransaction); when one of them cannot take its price, each
-- on its own, and the one that fails is recorded as a fault: the others are still valued.
declare
  revalued integer := 0;
  position_id bigint;
  error_state text;
  error_message text;
  error_hint text;
begin
  begin
    return walltrack.mark_to_market(ticks, null);
  exception when others then
    null;  -- some position refuses its price: find which below
  end;
  for position_id in
    select p.id from walltrack.positions as p
    where p.token_mint in (select t.mint from unnest(ticks) as t)
      and p.status in ('open', 'closing')
    order by p.id
  loop
    begin
      revalued := revalued + walltrack.mark_to_market(ticks, position_id);
    exception when others then
      get stacked diagnostics error_state = returned_sqlstate, error_message = message_text,
        error_hint = pg_exception_hint;
      perform walltrack.record_fault('apply_prices', format('position %s', position_id),
        error_state, error_message, nullif(error_hint, ''), null);
    end;
  end loop;
  return revalued;
end;
$$;
comment on function walltrack.mark_to_market_isolated(walltrack.price_tick[]) is
'mark_to_market for every position, isolating (and recording as a fault) one that fails.';
grant execute on function walltrack.mark_to_market_isolated(walltrack.price_tick[])
to service_role;

create function walltrack.exit_call_isolated(pos walltrack.positions, dust_sol numeric)
returns walltrack.exit_call
language plpgsql
set search_path = ''
as $$
-- exit_call_for for a position whose rules may not compute: the failure is recorded as a
-- fault and the template's rules (the snapshot without the override) still protect it.
declare
  error_state text;
  error_message text;
begin
  return walltrack.exit_call_for(pos, dust_sol);
exception when others then
  get stacked diagnostics error_state = returned_sqlstate, error_message = message_text;
  perform walltrack.record_fault('apply_prices', format('position %s', pos.id), error_state,
    error_message,
    'Its exit rules could not be evaluated; it runs on its template''s rules (its override '
    || 'ignored) until they are fixed.',
    jsonb_build_object('exit_strategy_override', pos.exit_strategy_override));
  begin
    pos.exit_strategy_override := '{}';
    return walltrack.exit_call_for(pos, dust_sol);
  exception when others then
    return null;
  end;
end;
$$;
comment on function walltrack.exit_call_isolated(walltrack.positions, numeric) is
'exit_call_for that records a failure as a fault and falls back to the template''s rules.';
grant execute on function walltrack.exit_call_isolated(walltrack.positions, numeric)
to service_role;

create type walltrack.exit_due as (
  pos walltrack.positions,
  call walltrack.exit_call
);
comment on type walltrack.exit_due is 'A position and the exit a tick calls for.';

create function walltrack.exits_due(mints text[], dust_sol numeric, isolated boolean)
returns walltrack.exit_due[]
language plpgsql
set search_path = ''
as $$
-- The open positions in these tokens that call for an exit and have none in flight. Each
-- exit call is made once, in the query (a lateral call).
begin
  return array(
    select row(p, c.call)::walltrack.exit_due
    from walltrack.positions as p
    -- offset 0 keeps the call in its subquery: made once per position, not once per use.
    cross join lateral (
      select case
        when isolated then walltrack.exit_call_isolated(p, dust_sol)
        else walltrack.exit_call_for(p, dust_sol)
      end as call
      offset 0
    ) as c
    where
      p.status = 'open' and p.token_mint = any(mints)
      and not exists (
        select from walltrack.orders as o
        where o.position_id = p.id and o.side = 'sell' and o.status in ('pending', 'submitted')
      )
      and (c.call).reason is not null
    order by p.id
  );
end;
$$;
comment on function walltrack.exits_due(text[], numeric, boolean) is
'The exits the open positions in these tokens call for (isolated: a position whose rules '
'fail is recorded as a fault and judged on its template''s rules).';
grant execute on function walltrack.exits_due(text[], numeric, boolean) to service_role;

create or replace function walltrack.apply_prices(prices jsonb, missing text[] default '{}')
returns jsonb
language plpgsql
set search_path = ''
as $$
-- One batch of the price-refresh function ([{mint, price_sol, observed_at?}]): stores the
-- prices, re-values the live positions in those tokens, then places the exit each open
-- position calls for, unless one is in flight. A bad tick, a position that cannot be valued
-- or judged, or an exit that cannot be placed is recorded in walltrack.faults and skipped:
-- every other position still exits.
declare
  cfg walltrack.config;
  ticks walltrack.price_tick[] := walltrack.price_ticks(prices);
  mints text[] := array(select t.mint from unnest(ticks) as t);
  due walltrack.exit_due;
  dues walltrack.exit_due[];
  placed bigint;
  orders jsonb := '[]'::jsonb;
  live bigint[] := '{}'::bigint[];
  revalued integer;
  error_state text;
  error_message text;
  error_hint text;
begin
  select c.* into strict cfg from walltrack.config as c;
  update walltrack.tokens as t
  set price_sol = k.price_sol, price_at = now(), price_stale = false
  from unnest(ticks) as k
  where t.mint = k.mint;
  update walltrack.tokens as t set price_stale = true where t.mint = any(missing);
  revalued := walltrack.mark_to_market_isolated(ticks);

  begin
    dues := walltrack.exits_due(mints, cfg.position_dust_sol, false);
  exception when others then
    dues := walltrack.exits_due(mints, cfg.position_dust_sol, true);
  end;
  foreach due in array dues loop
    begin
      if (due.call).reason = 'take_profit' then
        update walltrack.positions as p
        set take_profits_fired = p.take_profits_fired || (due.call).take_profit_level
        where p.id = (due.pos).id;
      end if;
      continue when coalesce((due.call).quantity, 0) <= 0;
      placed := walltrack.place_order(
        position_id => (due.pos).id, signal_id => null, side => 'sell',
        reason => (due.call).reason, mode => (due.pos).mode, token_mint => (due.pos).token_mint,
        amount_in => (due.call).quantity,
        idempotency_key => format('exit:%s:%s:%s', (due.pos).id, (due.call).reason,
          coalesce((due.call).take_profit_level::text, (due.pos).qty_sold::text)),
        cfg => cfg, token_decimals => (due.pos).token_decimals,
        reference_price_sol => (due.pos).last_price_sol,
        take_profit_level => (due.call).take_profit_level
      );
      orders := orders || jsonb_build_object(
        'position_id', (due.pos).id, 'order_id', placed, 'reason', (due.call).reason,
        'take_profit_level', (due.call).take_profit_level, 'quantity', (due.call).quantity
      );
      if (due.pos).mode = 'live' then
        live := live || placed;
      end if;
    exception when others then
      get stacked diagnostics error_state = returned_sqlstate, error_message = message_text,
        error_hint = pg_exception_hint;
      perform walltrack.record_fault('apply_prices', format('position %s', (due.pos).id),
        error_state, format('its %s exit could not be placed: %s', (due.call).reason,
          error_message), nullif(error_hint, ''), to_jsonb(due.call));
    end;
  end loop;
  return jsonb_build_object('revalued', revalued, 'orders', orders, 'live_orders', to_jsonb(live));
end;
$$;
comment on function walltrack.apply_prices(jsonb, text[]) is
'Applies a batch of prices (ignoring ticks older than the last), re-values positions and '
'places the exits their strategies call for, isolating a bad tick, position or exit as a '
'fault. Returns the orders and the live ones to execute.';
grant execute on function walltrack.apply_prices(jsonb, text[]) to service_role;

-- The overview counts the faults (16_read_models.sql).

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

-- Token facts: no NaN or Infinity; a token whose facts cannot be stored is a fault, the
-- others are stored (04_tokens.sql).

-- NaN sorts above every number and Infinity passes `>= 0`: greatest and least see both
-- (and skip nulls) without a function call on a price tick.
alter table walltrack.tokens
add constraint tokens_numbers_finite check (
  (
    greatest(
      supply, top10_holders_pct, lp_locked_pct, liquidity_usd, market_cap_usd, fdv_usd,
      price_usd, price_sol
    ) < 'Infinity'::numeric
    and least(
      supply, top10_holders_pct, lp_locked_pct, liquidity_usd, market_cap_usd, fdv_usd,
      price_usd, price_sol
    ) > '-Infinity'::numeric
  ) is not false
  or walltrack.ensure_finite(
    'tokens',
    array[
      'supply', 'top10_holders_pct', 'lp_locked_pct', 'liquidity_usd', 'market_cap_usd',
      'fdv_usd', 'price_usd', 'price_sol'
    ],
    array[
      supply, top10_holders_pct, lp_locked_pct, liquidity_usd, market_cap_usd, fdv_usd,
      price_usd, price_sol
    ]
  )
);

create function walltrack.store_token_facts_batch(facts jsonb)
returns text[]
language plpgsql
set search_path = ''
as $$
-- Stores what each source said about each token (a source that failed leaves its facts
-- as they were, and is named in failed_sources), then re-judges those tokens. Returns them.
declare
  mints text[];
begin
  insert into walltrack.tokens as t (mint, fetched_at, failed_sources)
  select
    f.value ->> 'mint', now(),
    coalesce(array(select jsonb_array_elements_text(f.value -> 'failed_sources')), '{}')
  from jsonb_array_elements(facts) as f
  on conflict (mint) do update
  set fetched_at = now(), failed_sources = excluded.failed_sources, lookup_claimed_until = null;
  select array_agg(f.value ->> 'mint') into mints from jsonb_array_elements(facts) as f;

  update walltrack.tokens as t
  set
    rugcheck_score = (f.rc ->> 'score')::integer,
    rugcheck_score_normalised = (f.rc ->> 'score_normalised')::integer,
    risks = coalesce(f.rc -> 'risks', '[]'),
    top10_holders_pct = (f.rc ->> 'top10_holders_pct')::numeric,
    lp_locked_pct = (f.rc ->> 'lp_locked_pct')::numeric,
    rugged = coalesce(t.rugged, false) or coalesce((f.rc ->> 'rugged')::boolean, false),
    rugcheck_fetched_at = now()
  from (
    select e.value ->> 'mint' as mint, e.value -> 'rugcheck' as rc
    from jsonb_array_elements(facts) as e
  ) as f
  where t.mint = f.mint and jsonb_typeof(f.rc) = 'object';

  update walltrack.tokens as t
  set
    pair_address = f.dx ->> 'pair_address',
    dex_id = f.dx ->> 'dex_id',
    liquidity_usd = (f.dx ->> 'liquidity_usd')::numeric,
    market_cap_usd = (f.dx ->> 'market_cap_usd')::numeric,
    fdv_usd = (f.dx ->> 'fdv_usd')::numeric,
    price_usd = (f.dx ->> 'price_usd')::numeric,
    price_sol = (f.dx ->> 'price_sol')::numeric,
    pair_created_at = (f.dx ->> 'pair_created_at')::timestamptz,
    market_fetched_at = now()
  from (
    select e.value ->> 'mint' as mint, e.value -> 'dexscreener' as dx
    from jsonb_array_elements(facts) as e
  ) as f
  where t.mint = f.mint and jsonb_typeof(f.dx) = 'object';

  -- Identity and authorities: DAS first, else what RugCheck's full report says.
  update walltrack.tokens as t
  set
    name = coalesce(f.src ->> 'name', t.name),
    symbol = coalesce(f.src ->> 'symbol', t.symbol),
    decimals = coalesce((f.src ->> 'decimals')::smallint, t.decimals),
    supply = coalesce((f.src ->> 'supply')::numeric, t.supply),
    mint_authority = f.src ->> 'mint_authority',
    freeze_authority = f.src ->> 'freeze_authority',
    authorities_checked_at = now()
  from (
    select
      e.value ->> 'mint' as mint,
      case
        when jsonb_typeof(e.value -> 'das') = 'object' then e.value -> 'das'
        else e.value -> 'rugcheck'
      end as src
    from jsonb_array_elements(facts) as e
  ) as f
  where t.mint = f.mint and jsonb_typeof(f.src) = 'object';

  perform walltrack.rejudge_tokens(mints);
  return mints;
end;
$$;
comment on function walltrack.store_token_facts_batch(jsonb) is
'Stores fetched token facts per source ([{mint, rugcheck, dexscreener, das, failed_sources}]) '
'and re-judges those tokens; raises if any element cannot be stored.';
grant execute on function walltrack.store_token_facts_batch(jsonb) to service_role;

create or replace function walltrack.store_token_facts(facts jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- store_token_facts_batch for the whole batch at once (one subtransaction); when a token's
-- facts cannot be stored (a source answered nonsense), token by token, and the one that
-- fails is recorded as a fault: its facts stay as they were, so its buys stay refused.
declare
  mints text[] := '{}'::text[];
  item record;
  error_state text;
  error_message text;
  error_hint text;
begin
  if jsonb_typeof(facts) is distinct from 'array' then
    raise exception using
      message = 'store_token_facts expects a JSON array of {mint, rugcheck, dexscreener, das}',
      errcode = 'invalid_parameter_value';
  end if;
  begin
    mints := walltrack.store_token_facts_batch(facts);
  exception when others then
    for item in select f.value, f.ordinality from jsonb_array_elements(facts) with ordinality as f
    loop
      begin
        mints := mints || walltrack.store_token_facts_batch(jsonb_build_array(item.value));
      exception when others then
        get stacked diagnostics error_state = returned_sqlstate, error_message = message_text,
          error_hint = pg_exception_hint;
        perform walltrack.record_fault('store_token_facts',
          format('token %s', coalesce(
            case when jsonb_typeof(item.value) = 'object' then item.value ->> 'mint' end,
            'element ' || item.ordinality)),
          error_state, error_message, nullif(error_hint, ''), item.value);
      end;
    end loop;
  end;
  return (
    select coalesce(jsonb_object_agg(t.mint, jsonb_build_object(
      'verdict', t.verdict, 'reasons', t.verdict_reasons
    )), '{}')
    from walltrack.tokens as t where t.mint = any(mints)
  );
end;
$$;
comment on function walltrack.store_token_facts(jsonb) is
'Stores fetched token facts per source ([{mint, rugcheck, dexscreener, das, failed_sources}]) '
'and returns the new verdicts; a token whose facts cannot be stored is recorded as a fault.';
grant execute on function walltrack.store_token_facts(jsonb) to service_role;

-- The confirm loop records an order the database refused (18_api.sql).

create function api.record_fault(
  source text, subject text, sqlstate text, message text, hint text, input jsonb
)
returns void
language sql
security invoker
set search_path = ''
as $$
  select walltrack.record_fault(source, subject, sqlstate, message, hint, input);
$$;
comment on function api.record_fault(text, text, text, text, text, jsonb) is
'RPC of walltrack.record_fault, for '
'a function whose batch skipped an item the database refused (the confirm loop).';
grant execute on function api.record_fault(text, text, text, text, text, jsonb) to service_role;
