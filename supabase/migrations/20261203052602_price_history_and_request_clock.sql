-- price_history_and_request_clock
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.


-- The offline stack's live wallets trade on the simulator's chain (set_clock allowed there),
-- and the price path kept for replays.
alter table walltrack.config
add column simulated_chain boolean not null default false,
add column price_history_days integer not null default 7,
add constraint config_simulated_chain_not_in_production check (walltrack.ensure(
  not (production and simulated_chain),
  'config.simulated_chain cannot be on in production: a production database trades on the '
  || 'real chain',
  'simulated_chain is the offline stack''s, set by scripts/stack.sh with the market simulator.'
)),
add constraint config_price_history_days check (walltrack.ensure(
  price_history_days between 1 and 366,
  format('config.price_history_days must be within 1..366 (got %s)', price_history_days),
  'The replay reads the price path between the leaders'' swaps from this history.'
));

comment on column walltrack.config.production is
'This database trades for real: walltrack.set_clock is refused (no replayed or forged time). '
'Once on, it stays on (walltrack deploy turns it on).';

comment on column walltrack.config.simulated_chain is
'The live wallets trade on the market simulator''s chain, not Solana''s (the offline stack): '
'the clock may be set with live trading on. Never on in production.';

comment on column walltrack.config.price_history_days is
'Days of applied price ticks kept in walltrack.price_history (the replay''s price path).';

create or replace function walltrack.set_clock(at timestamptz, for_session boolean default false)
returns timestamptz
language plpgsql
set search_path = ''
as $$
-- Sets the time every rule reads (walltrack.clock), for this transaction (the default) or
-- for this session: a replay, the demo, a test. Refused where WallTrack trades for real
-- (config.production, or live trading on a real chain), so it can never forge when an
-- event happened. A session's clock never goes backwards, and a transaction's is never
-- before its session's (walltrack.clock_floor, kept where the clock is).
declare
  cfg walltrack.config;
  floor_text text := nullif(current_setting('walltrack.clock_floor', true), '');
begin
  select c.* into strict cfg from walltrack.config as c;
  perform walltrack.ensure(
    not cfg.production and (not cfg.live_trading_enabled or cfg.simulated_chain),
    'the clock is set only where nothing trades for real: live trading is on (on a real '
    || 'chain: config.simulated_chain is off), or this database is marked production '
    || '(config.production)',
    'Replay on a database of its own (make replay), never on the one that trades.');
  perform walltrack.ensure(at is not null and isfinite(at), 'set_clock needs a finite time');
  perform walltrack.ensure(floor_text is null or at >= floor_text::timestamptz,
    format('the clock cannot go backwards within a session: %s is before %s', at, floor_text),
    'Start a new session to replay from an earlier time.');
  perform set_config('walltrack.clock_floor', at::text, not for_session);
  perform set_config('walltrack.clock', at::text, not for_session);
  return at;
end;
$$;
comment on function walltrack.set_clock(timestamptz, boolean) is
'Sets the clock every rule reads for this transaction (or session): refused on a database '
'that trades for real, and never backwards within a session.';
grant execute on function walltrack.set_clock(timestamptz, boolean) to service_role;

create function walltrack.clock_from_request()
returns void
language plpgsql
set search_path = ''
as $$
-- PostgREST's pre-request hook on the offline stack (scripts/stack.sh): a request carrying
-- X-WallTrack-Clock (the demo's scenario time, forwarded by the functions) runs at that
-- time, through set_clock and its refusals. Without the header, nothing changes.
declare
  at_text text := nullif(current_setting('request.headers', true), '')::json
    ->> 'x-walltrack-clock';
begin
  if at_text is not null then
    perform walltrack.set_clock(at_text::timestamptz);
  end if;
end;
$$;
comment on function walltrack.clock_from_request() is
'PostgREST pre-request hook (offline stack): sets this request''s clock from its '
'X-WallTrack-Clock header.';
grant execute on function walltrack.clock_from_request() to service_role;

create table walltrack.price_history (
  id bigint generated always as identity primary key,
  token_mint text not null,
  price_sol numeric not null,
  -- when the source priced it (the tick's observed_at), if it said
  observed_at timestamptz,
  -- the clock when the tick was applied
  applied_at timestamptz not null default walltrack.clock()
);
create index price_history_applied_at on walltrack.price_history (applied_at);
comment on table walltrack.price_history is
'Every price tick applied (apply_prices), in order: the replay''s price path. Written by '
'WallTrack only; purged after config.price_history_days.';
comment on column walltrack.price_history.id is 'The order ticks were applied in.';
comment on column walltrack.price_history.token_mint is 'The token priced.';
comment on column walltrack.price_history.price_sol is 'Its price, in SOL per whole token.';
comment on column walltrack.price_history.observed_at is
'When the price source observed it, when it said.';
comment on column walltrack.price_history.applied_at is 'The clock when it was applied.';

-- Triggers on price_history, in the order Postgres fires them (one timing at a time, by name):
--   insert    price_history_before_insert_engine_only  written by apply_prices only
--   update    price_history_before_update_refuse       refused: a price applied stays applied
--   delete    price_history_before_delete_engine_only  purged by WallTrack only
create trigger price_history_before_insert_engine_only
before insert on walltrack.price_history
for each row
when (
  pg_trigger_depth() = 0
  and current_setting('walltrack.engine_write', true) is distinct from 'on'
)
execute function walltrack.trigger_refuse_direct_write(
  'price_history is the prices WallTrack applied: a price cannot be inserted by hand',
  'Prices are applied by the price-refresh function (api.apply_prices).'
);

create trigger price_history_before_update_refuse
before update on walltrack.price_history
for each row execute function walltrack.trigger_refuse_change(
  'A price applied stays as applied: the replay reads this history.'
);

create trigger price_history_before_delete_engine_only
before delete on walltrack.price_history
for each row
when (current_setting('walltrack.engine_write', true) is distinct from 'on')
execute function walltrack.trigger_refuse_change(
  'The history is purged after config.price_history_days (walltrack.purge_price_history).'
);

alter table walltrack.price_history enable row level security;
grant select, insert, delete on walltrack.price_history to service_role;

create function walltrack.purge_price_history()
returns integer
language plpgsql
set search_path = ''
as $$
declare
  purged integer;
  engine text := walltrack.begin_engine_write();
begin
  delete from walltrack.price_history as h
  where h.applied_at < walltrack.clock() - make_interval(days => (
    select c.price_history_days from walltrack.config as c
  ));
  get diagnostics purged = row_count;
  perform walltrack.end_engine_write(engine);
  return purged;
end;
$$;
comment on function walltrack.purge_price_history() is
'Deletes applied prices older than config.price_history_days (pg_cron, hourly).';
grant execute on function walltrack.purge_price_history() to service_role;

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
  engine text := walltrack.begin_engine_write();
begin
  select c.* into strict cfg from walltrack.config as c;
  update walltrack.tokens as t
  set price_sol = k.price_sol, price_at = walltrack.clock(), price_stale = false
  from unnest(ticks) as k
  where t.mint = k.mint;
  update walltrack.tokens as t set price_stale = true where t.mint = any(missing);
  insert into walltrack.price_history (token_mint, price_sol, observed_at)
  select k.mint, k.price_sol, k.observed_at from unnest(ticks) as k;
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
  perform walltrack.end_engine_write(engine);
  return jsonb_build_object('revalued', revalued, 'orders', orders, 'live_orders', to_jsonb(live));
end;
$$;
comment on function walltrack.apply_prices(jsonb, text[]) is
'Applies a batch of prices (ignoring ticks older than the last), re-values positions and '
'places the exits their strategies call for, isolating a bad tick, position or exit as a '
'fault. Returns the orders and the live ones to execute.';
grant execute on function walltrack.apply_prices(jsonb, text[]) to service_role;

create view walltrack.signals_log_prices
with (security_invoker = true)
as
select
  h.id,
  h.token_mint as mint,
  h.price_sol,
  h.observed_at,
  h.applied_at
from walltrack.price_history as h;

revoke all on walltrack.signals_log_prices from public, anon, authenticated;
grant select on walltrack.signals_log_prices to service_role;
comment on view walltrack.signals_log_prices is
'The price path as the signals log carries it: each price tick applied, with when the '
'source observed it and when it was applied (the replay applies it again then).';

create view walltrack.signals_log_restarts
with (security_invoker = true)
as
select
  e.id,
  e.created_at,
  e.actor,
  e.note
from walltrack.circuit_breaker_events as e
where e.event_type = 'deactivated' and e.trigger = 'manual';

revoke all on walltrack.signals_log_restarts from public, anon, authenticated;
grant select on walltrack.signals_log_restarts to service_role;
comment on view walltrack.signals_log_restarts is
'The operators'' manual breaker resets and equity-curve restarts, as the signals log carries '
'them: the replay makes each again at its time.';

select cron.schedule(
  'walltrack-purge-price-history', '27 * * * *', 'select walltrack.purge_price_history()'
);
