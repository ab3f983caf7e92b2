-- The read models (supabase/schemas/16_read_models.sql) against a small hand-computed book,
-- traded through the real SQL API with no simulated slippage or fee; each copy spends 1 SOL
-- on 1,000 tokens at 0.001 SOL (breaker capital 10 SOL, a fresh equity curve):
--   alpha  A1 mirrored at +50 %               +0.5   curve 10.5 (peak)
--          A2 stopped out at -50 % (tick)     -0.5   curve 10.0
--          A3 mirrored at -20 %               -0.2   curve  9.8: 2 losses in a row trip it
--          A4 refused (breaker_active); alice resets the breaker
--   beta   B1 half mirrored at +20 %          +0.1 realized, +0.1 unrealized, still open
--          a sale of a token never looked up: nothing to mirror
-- Totals are compared with what the book held before the fixture (other rows may exist).
begin;
select plan(36);

update walltrack.config set sim_slippage_bps = 0, sim_fee_lamports = 0,
  max_open_positions = 1000000, max_total_exposure_sol = 1000000, breaker_capital_sol = 10,
  breaker_max_daily_loss_sol = 1000, breaker_max_drawdown_pct = 100,
  breaker_max_consecutive_losses = 2, breaker_min_win_rate_pct = 0;
insert into walltrack.circuit_breaker_events (event_type, trigger, actor, note)
values ('deactivated', 'manual', 'read-models-test', 'a fresh equity curve');

create temporary table before_fixture as
select
  t.realized_pnl_sol,
  t.closed_realized_pnl_sol,
  t.open_unrealized_pnl_sol,
  (select max(e.id) from walltrack.circuit_breaker_events as e) as last_event_id
from walltrack.pnl_totals as t;
create temporary table orders_before as select * from walltrack.orders_by_reason;

create temporary table fixture (label text primary key, wallet_id bigint, address text);
insert into fixture (label, wallet_id)
select label, tests.new_wallet(label) from unnest(array['alpha', 'beta', 'idle']) as label;
update fixture set address = w.address from walltrack.wallets as w where w.id = fixture.wallet_id;
update walltrack.wallets set position_size_sol = 1, exit_strategy_id = (
  select id from walltrack.exit_strategies where name = 'mirror only'
) where id in (select wallet_id from fixture where label in ('alpha', 'beta'));

create function pg_temp.mint(seed text) returns text language sql as $$
  select rpad('Read' || seed, 44, '1');
$$;

-- The leader swaps `tokens` thousandths of the 1,000 tokens for `sol` SOL.
create function pg_temp.swap(label text, seed text, side text, sol numeric, tokens numeric)
returns text language sql as $$
  select api.ingest_swaps(jsonb_build_array(tests.swap_tx(
    side || seed, (select address from fixture where fixture.label = swap.label), side,
    pg_temp.mint(seed), tokens * 1e6, sol * 1e9, case side when 'buy' then 0 else 1 end
  ))) #>> '{decisions,0,reason}';
$$;

create function pg_temp.buy(label text, seed text) returns text language sql as $$
  select tests.safe_token(pg_temp.mint(seed));
  select pg_temp.swap(label, seed, 'buy', 1, 1000);
$$;

create function pg_temp.position_id(seed text) returns bigint language sql as $$
  select id from walltrack.positions where token_mint = pg_temp.mint(seed);
$$;

select is(
  array[
    pg_temp.buy('alpha', 'A1'), pg_temp.swap('alpha', 'A1', 'sell', 1.5, 1000),
    pg_temp.buy('alpha', 'A2')
  ],
  array['copied', 'mirror_sell', 'copied'],
  'the fixture: A1 copied and mirrored, A2 copied'
);
select api.apply_prices(jsonb_build_array(jsonb_build_object(
  'mint', pg_temp.mint('A2'), 'price_sol', 0.0005, 'observed_at', now() + interval '1 second'
)));
select is(
  array[pg_temp.buy('alpha', 'A3'), pg_temp.swap('alpha', 'A3', 'sell', 0.8, 1000)],
  array['copied', 'mirror_sell'],
  'A3 copied and mirrored: the second loss in a row'
);
select is(pg_temp.buy('alpha', 'A4'), 'breaker_active', 'A4 is refused: the breaker tripped');

-- While the breaker is active.

select results_eq(
  $$ select signal_id, wallet_label, token_mint::text from walltrack.breaker_refusals
     where wallet_id in (select wallet_id from fixture) $$,
  $$ select id, 'alpha', pg_temp.mint('A4') from walltrack.signals
     where token_mint = pg_temp.mint('A4') $$,
  'breaker_refusals: the copy the breaker refused'
);
select results_eq(
  $$ select event_type::text, trigger::text, threshold, observed, actor, since_last_reset
     from walltrack.breaker_event_log
     where id > (select last_event_id from before_fixture) order by id $$,
  $$ values ('activated', 'consecutive_losses', 2::numeric, 2::numeric, 'system', true) $$,
  'breaker_event_log: the trip, after the last reset'
);

select ok(
  (api.reset_circuit_breaker('alice', 'two losses reviewed') ->> 'active') = 'false',
  'alice resets the breaker'
);
select results_eq(
  $$ select event_type::text, trigger::text, actor, since_last_reset
     from walltrack.breaker_event_log
     where id > (select last_event_id from before_fixture) order by id $$,
  $$ values ('activated', 'consecutive_losses', 'system', false),
            ('deactivated', 'manual', 'alice', false) $$,
  'breaker_event_log: the trip and its reset are before the current curve'
);

-- Beta: a partial mirror sell keeps the position open; a sale of an unknown token.

select is(
  array[
    pg_temp.buy('beta', 'B1'), pg_temp.swap('beta', 'B1', 'sell', 0.6, 500),
    pg_temp.swap('beta', 'Unknown', 'sell', 1, 1000)
  ],
  array['copied', 'mirror_sell', 'no_position_to_mirror'],
  'the fixture: B1 copied, half of it mirrored; a sale of a token we never held'
);
update walltrack.positions set exit_strategy_override = '{"time_exit_minutes": 5}'
where id = pg_temp.position_id('B1');

-- Shared by the demo, the report and the replay.

select results_eq(
  $$ select wallet_label, token_symbol, status::text, close_reason::text, cost_basis_sol,
       realized_pnl_sol, unrealized_pnl_sol, time_exit_minutes
     from walltrack.position_list
     where wallet_id in (select wallet_id from fixture) order by id $$,
  $$ values
       ('alpha', 'SAFE', 'closed', 'mirror_sell', 1::numeric, 0.5::numeric, 0::numeric,
         null::numeric),
       ('alpha', 'SAFE', 'closed', 'stop_loss', 1, -0.5, 0, null),
       ('alpha', 'SAFE', 'closed', 'mirror_sell', 1, -0.2, 0, null),
       ('beta', 'SAFE', 'open', null, 1, 0.1, 0.1, 5) $$,
  'position_list: each position named, with its PnL and the time exit of its override'
);
select is(
  (select count(*) from walltrack.position_list
   where status in ('open', 'closing') and time_exit_minutes is not null
     and wallet_id in (select wallet_id from fixture)),
  1::bigint,
  'position_list: the one position a time exit is pending on'
);
select results_eq(
  $$ select wallet_label, side::text, reason::text, status::text, filled_in, filled_out,
       is_exit
     from walltrack.order_list
     where wallet_id in (select wallet_id from fixture) order by id $$,
  $$ values
       ('alpha', 'buy', 'copy_entry', 'confirmed', 1000000000::numeric, 1000000000::numeric,
         false),
       ('alpha', 'sell', 'mirror_sell', 'confirmed', 1000000000, 1500000000, false),
       ('alpha', 'buy', 'copy_entry', 'confirmed', 1000000000, 1000000000, false),
       ('alpha', 'sell', 'stop_loss', 'confirmed', 1000000000, 500000000, true),
       ('alpha', 'buy', 'copy_entry', 'confirmed', 1000000000, 1000000000, false),
       ('alpha', 'sell', 'mirror_sell', 'confirmed', 1000000000, 800000000, false),
       ('beta', 'buy', 'copy_entry', 'confirmed', 1000000000, 1000000000, false),
       ('beta', 'sell', 'mirror_sell', 'confirmed', 500000000, 600000000, false) $$,
  'order_list: each order named; only the stop loss is an exit no leader asked for'
);
select results_eq(
  $$ select n.side::text, n.reason::text, n.orders - coalesce(b.orders, 0),
       n.confirmed - coalesce(b.confirmed, 0)
     from walltrack.orders_by_reason as n
     left join orders_before as b on n.side = b.side and n.reason = b.reason
     where n.orders <> coalesce(b.orders, 0) order by n.side, n.reason $$,
  $$ values ('buy', 'copy_entry', 4::bigint, 4::bigint), ('sell', 'stop_loss', 1, 1),
            ('sell', 'mirror_sell', 3, 3) $$,
  'orders_by_reason: the fixture adds 4 entries, 1 stop loss and 3 mirror sells'
);
select results_eq(
  $$ select wallet_label, side::text, token_symbol, decision::text, decision_reason,
       wallet_address = (select address from fixture where label = wallet_label)
     from walltrack.signal_list
     where wallet_id in (select wallet_id from fixture) order by id $$,
  $$ values
       ('alpha', 'buy', 'SAFE', 'copied', 'copied', true),
       ('alpha', 'sell', 'SAFE', 'copied', 'mirror_sell', true),
       ('alpha', 'buy', 'SAFE', 'copied', 'copied', true),
       ('alpha', 'buy', 'SAFE', 'copied', 'copied', true),
       ('alpha', 'sell', 'SAFE', 'copied', 'mirror_sell', true),
       ('alpha', 'buy', 'SAFE', 'skipped', 'breaker_active', true),
       ('beta', 'buy', 'SAFE', 'copied', 'copied', true),
       ('beta', 'sell', 'SAFE', 'copied', 'mirror_sell', true),
       ('beta', 'sell', null, 'skipped', 'no_position_to_mirror', true) $$,
  'signal_list: each swap with its wallet, its token (empty when never looked up), its decision'
);
select results_eq(
  $$ select n.realized_pnl_sol - b.realized_pnl_sol,
       n.closed_realized_pnl_sol - b.closed_realized_pnl_sol,
       n.open_unrealized_pnl_sol - b.open_unrealized_pnl_sol
     from walltrack.pnl_totals as n cross join before_fixture as b $$,
  $$ values (-0.1::numeric, -0.2::numeric, 0.1::numeric) $$,
  'pnl_totals: realized -0.1 in all (B1''s partial exit included), -0.2 closed, +0.1 open'
);

-- Read by the report.

select results_eq(
  $$ select c.position_id, c.wallet_label, c.realized_pnl_sol,
       c.equity_sol - b.closed_realized_pnl_sol
     from walltrack.equity_curve as c cross join before_fixture as b
     where c.wallet_id in (select wallet_id from fixture) order by c.closed_at, c.position_id $$,
  $$ values (pg_temp.position_id('A1'), 'alpha', 0.5::numeric, 0.5::numeric),
            (pg_temp.position_id('A2'), 'alpha', -0.5, 0.0),
            (pg_temp.position_id('A3'), 'alpha', -0.2, -0.2) $$,
  'equity_curve: one point per close, the running sum of the realized PnL'
);
select is(
  (select equity_sol from walltrack.equity_curve order by closed_at desc, position_id desc
   limit 1),
  (select closed_realized_pnl_sol from walltrack.pnl_totals),
  'equity_curve: its end is the realized PnL of the closed positions'
);
select results_eq(
  $$ select label, closes, realized_pnl_sol from walltrack.wallet_realized_pnl
     where wallet_id in (select wallet_id from fixture) $$,
  $$ values ('alpha', 3::bigint, -0.2::numeric) $$,
  'wallet_realized_pnl: alpha''s three closes; beta, still open, has no row'
);

-- Read by the replay.

select results_eq(
  $$ select label, status::text, mode::text, exit_strategy, position_size_sol, has_signals
     from walltrack.watchlist where id in (select wallet_id from fixture) order by id $$,
  $$ values ('alpha', 'active', 'simulation', 'mirror only', 1::numeric, true),
            ('beta', 'active', 'simulation', 'mirror only', 1, true),
            ('idle', 'active', 'simulation', null, null, false) $$,
  'watchlist: each wallet with its strategy by name and whether it has a history here'
);
select is(
  (select array_agg(a.attname::text order by a.attnum) from pg_attribute as a
   where a.attrelid = 'walltrack.signals_log_config'::regclass and a.attnum > 0),
  (select array_agg(a.attname::text order by a.attnum) from pg_attribute as a
   where
     a.attrelid = 'walltrack.config'::regclass and a.attnum > 0 and not a.attisdropped
     and a.attname not in (
       'id', 'updated_at', 'helius_webhook_id', 'helius_webhook_url', 'helius_synced_at',
       'helius_synced_hash', 'backfill_interval_minutes', 'webhook_silence_minutes',
       'backfill_credits_per_run', 'helius_history_call_credits', 'production',
       'simulated_chain', 'price_history_days', 'trading_key_sol_lamports',
       'trading_key_read_at'
     )
     -- wallet discovery finds and ranks wallets, alerts tell the operator: neither decides a
     -- copy a replay plays
     and a.attname not like 'discovery\_%' and a.attname not like 'alert\_%'),
  'signals_log_config: every config column but the operational state, discovery and alerts, '
  || 'in the table''s order'
);
select results_eq(
  $$ select breaker_max_consecutive_losses, breaker_capital_sol, sim_slippage_bps
     from walltrack.signals_log_config $$,
  $$ values (2, 10::numeric, 0) $$,
  'signals_log_config: the settings in force'
);
select results_eq(
  $$ select stop_loss_pct, mirror_leader_sells, take_profit_levels, is_default, archived
     from walltrack.signals_log_exit_strategies where name = 'mirror only' $$,
  $$ values (-40::numeric, true, '[]'::jsonb, false, false) $$,
  'signals_log_exit_strategies: a strategy''s rules and flags'
);
select results_eq(
  $$ select symbol, liquidity_usd, rugged, mint_authority, authorities_checked_at is not null
     from walltrack.signals_log_tokens where mint = pg_temp.mint('A1') $$,
  $$ values ('SAFE', 250000::numeric, false, null::text, true) $$,
  'signals_log_tokens: a token''s recorded facts'
);
select hasnt_column(
  'walltrack', 'signals_log_tokens', 'verdict', 'signals_log_tokens: no verdict, a replay judges'
);

select isnt(api.refresh_performance(), null, 'the scoreboard is refreshed');
select results_eq(
  $$ select label, trades, wins, win_rate_pct, realized_pnl_sol, max_drawdown_sol,
       profit_factor, copied, unclosed_positions
     from walltrack.wallet_results where wallet_id in (select wallet_id from fixture)
     order by label $$,
  $$ values
       ('alpha', 3::bigint, 1::bigint, 33.33::numeric, -0.2::numeric, 0.7::numeric,
         0.7143::numeric, 5::bigint, 0::bigint),
       ('beta', 0, 0, null, 0, 0, null, 2, 1),
       ('idle', 0, 0, null, 0, 0, null, 0, 0) $$,
  'wallet_results: each wallet''s all-time figures (drawdown 0.5 -> -0.2, profit 0.5 / 0.7)'
);
select results_eq(
  $$ select side::text, reason::text, orders, confirmed from walltrack.wallet_orders_by_reason
     where address = (select address from fixture where label = 'alpha') order by side, reason $$,
  $$ values ('buy', 'copy_entry', 3::bigint, 3::bigint), ('sell', 'mirror_sell', 2, 2),
            ('sell', 'stop_loss', 1, 1) $$,
  'wallet_orders_by_reason: alpha''s orders per side and reason'
);
select results_eq(
  $$ select label, decision::text, decision_reason, signals
     from walltrack.wallet_decisions_by_reason
     where wallet_id in (select wallet_id from fixture) order by label, decision, decision_reason $$,
  $$ values ('alpha', 'copied', 'copied', 3::bigint), ('alpha', 'copied', 'mirror_sell', 2),
            ('alpha', 'skipped', 'breaker_active', 1), ('beta', 'copied', 'copied', 1),
            ('beta', 'copied', 'mirror_sell', 1),
            ('beta', 'skipped', 'no_position_to_mirror', 1) $$,
  'wallet_decisions_by_reason: each wallet''s decisions per reason'
);
select results_eq(
  $$ select trades, wins, win_rate_pct, realized_pnl_sol, profit_factor, max_drawdown_sol
     from walltrack.combined_results(array(select address from fixture)) $$,
  $$ values (3::bigint, 1::bigint, 33.33::numeric, -0.2::numeric, 0.7143::numeric,
             0.7::numeric) $$,
  'combined_results: the closes together; the drawdown from the curve''s peak 10.5 to 9.8'
);
select results_eq(
  $$ select trades, wins, win_rate_pct, realized_pnl_sol, profit_factor, max_drawdown_sol
     from walltrack.combined_results(array(select address from fixture where label = 'beta')) $$,
  $$ values (0::bigint, 0::bigint, null::numeric, 0::numeric, null::numeric, 0::numeric) $$,
  'combined_results: no close, no ratio'
);

-- Who may read them: service_role, as PostgREST's key; anon and authenticated nothing.

create temporary table read_models as
select 'walltrack.' || v as view_name
from unnest(array[
  'position_list', 'order_list', 'orders_by_reason', 'signal_list', 'breaker_event_log',
  'pnl_totals', 'breaker_refusals', 'equity_curve', 'wallet_realized_pnl', 'watchlist',
  'signals_log_config', 'signals_log_exit_strategies', 'signals_log_tokens', 'wallet_results',
  'wallet_orders_by_reason', 'wallet_decisions_by_reason'
]) as v;

select is_empty(
  $$ select c.relname from pg_class as c
     where
       c.oid in (select view_name::regclass from read_models)
       and not has_table_privilege('service_role', c.oid, 'select') $$,
  'service_role may read every read model'
);
select is_empty(
  $$ select r.rolname, c.relname from pg_class as c
     cross join pg_roles as r
     where
       c.oid in (select view_name::regclass from read_models)
       and r.rolname in ('anon', 'authenticated')
       and has_table_privilege(r.oid, c.oid, 'select') $$,
  'anon and authenticated may read none'
);
select ok(
  has_function_privilege('service_role', 'walltrack.combined_results(text[])', 'execute')
  and not has_function_privilege('anon', 'walltrack.combined_results(text[])', 'execute')
  and not has_function_privilege('authenticated', 'walltrack.combined_results(text[])',
    'execute'),
  'combined_results is service_role''s only'
);
select is_empty(
  $$ select c.relname from pg_class as c
     where
       c.oid in (select view_name::regclass from read_models)
       and not coalesce('security_invoker=true' = any(c.reloptions), false) $$,
  'every read model runs with its reader''s rights (security_invoker)'
);
grant select on fixture to service_role;
select tests.act_as('service_role');
select is(
  (select count(*) from walltrack.position_list where wallet_id in (select wallet_id from fixture)),
  4::bigint, 'service_role reads the positions through the view'
);
select tests.act_as_operator();
select tests.act_as('anon');
select throws_ok(
  $$ select * from walltrack.pnl_totals $$, '42501', null, 'anon cannot read a read model'
);
select tests.act_as_operator();

-- Studio shows what each read model is for.

select is_empty(
  $$ select c.relname from pg_class as c
     where
       c.oid in (select view_name::regclass from read_models)
       and obj_description(c.oid, 'pg_class') is null $$,
  'every read model carries a comment'
);

select * from finish();
rollback;
