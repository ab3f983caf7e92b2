-- The operator's calls outside Studio (the `walltrack` command, through api): what the stack
-- is doing at a glance, the watchlist and its edits, the discovery candidates. Each reads the
-- read models or writes the tables the way a Studio edit would: the tables' own rules apply.

create function walltrack.operator_status()
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'overview', walltrack.overview(),
    'breaker', walltrack.breaker_state(),
    'open_positions', coalesce((
      select jsonb_agg(jsonb_build_object(
        'id', p.id, 'wallet', p.wallet_label, 'token', coalesce(p.token_symbol, p.token_mint),
        'mode', p.mode, 'status', p.status, 'cost_basis_sol', p.cost_basis_sol,
        'unrealized_pnl_sol', p.unrealized_pnl_sol, 'opened_at', p.opened_at
      ) order by p.opened_at, p.id)
      from walltrack.position_list as p where p.status in ('opening', 'open', 'closing')
    ), '[]'),
    'deliveries', coalesce((
      select jsonb_agg(jsonb_build_object(
        'wallet', d.label, 'status', d.status, 'last_delivery_at', d.last_delivery_at,
        'last_backfill_at', d.last_backfill_at, 'flagged', d.flagged
      ) order by d.wallet_id)
      from walltrack.delivery_health as d where d.status = 'active'
    ), '[]'),
    'alerts_pending', (
      select count(*) from walltrack.alerts as a cross join walltrack.config as c
      where a.created_at > walltrack.clock() - make_interval(mins => c.alert_max_age_minutes)
        and not exists (
          select from walltrack.alert_deliveries as d
          where d.alert_id = a.id and d.status in ('sent', 'failed')
        )
        and (a.kind = any(c.alert_kinds_telegram) or a.kind = any(c.alert_kinds_discord))
    )
  );
$$;
comment on function walltrack.operator_status() is
'The stack at a glance: row counts and switches, the breaker, the open positions, each active '
'wallet''s last deliveries, and the routed alerts not yet sent or given up.';
grant execute on function walltrack.operator_status() to service_role;

create function walltrack.wallet_list()
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
    'address', w.address, 'label', w.label, 'status', w.status, 'mode', w.mode,
    'exit_strategy', coalesce(w.exit_strategy, '(default)'),
    'position_size_sol', w.position_size_sol, 'trades', coalesce(s.trades, 0),
    'win_rate_pct', s.win_rate_pct, 'realized_pnl_sol', coalesce(s.realized_pnl_sol, 0)
  ) order by w.id), '[]')
  from walltrack.watchlist as w
  left join walltrack.scoreboard as s on w.address = s.address and s.time_window = 'all';
$$;
comment on function walltrack.wallet_list() is
'The watchlist with each wallet''s all-time trades, win rate and realized PnL (as of the '
'scoreboard''s last refresh).';
grant execute on function walltrack.wallet_list() to service_role;

create function walltrack.add_wallet(
  address text, label text, mode walltrack.trade_mode default 'simulation',
  exit_strategy text default null, position_size_sol numeric default null, notes text default ''
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- As a Studio insert: the wallets table's rules (a valid address once, a live wallet only
-- when live trading is on, sizes above 0...) refuse what is wrong, with what to fix.
declare
  strategy_id bigint;
  added walltrack.wallets;
begin
  if exit_strategy is not null then
    select s.id into strategy_id from walltrack.exit_strategies as s
    where s.name = add_wallet.exit_strategy;
    perform walltrack.ensure(strategy_id is not null,
      format('no exit strategy named %s', exit_strategy),
      'List them in walltrack.exit_strategies; leave it out for the default strategy.');
  end if;
  insert into walltrack.wallets (address, label, mode, exit_strategy_id, position_size_sol, notes)
  values (address, coalesce(label, ''), mode, strategy_id, position_size_sol, coalesce(notes, ''))
  returning * into added;
  return jsonb_build_object('id', added.id, 'address', added.address, 'label', added.label,
    'status', added.status, 'mode', added.mode);
end;
$$;
comment on function walltrack.add_wallet(
  text, text, walltrack.trade_mode, text, numeric, text
) is
'Adds a wallet to the watchlist as a Studio insert would (the table''s rules apply); the exit '
'strategy by name, the default one when left out.';
grant execute on function walltrack.add_wallet(
  text, text, walltrack.trade_mode, text, numeric, text
) to service_role;

create function walltrack.set_wallet_status(wallet text, status walltrack.wallet_status)
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
comment on function walltrack.set_wallet_status(text, walltrack.wallet_status) is
'Sets a wallet''s status (active, paused, retired), the wallet named by address or label.';
grant execute on function walltrack.set_wallet_status(text, walltrack.wallet_status)
to service_role;

create function walltrack.candidate_list(max_rows integer default 20)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
    'id', r.id, 'rank', r.rank, 'address', r.address, 'status', r.status,
    'source', r.source, 'trades', r.trade_count, 'win_rate_pct', r.win_rate_pct,
    'realized_pnl_sol', r.realized_pnl_sol,
    'expectancy_after_decay_pct', r.expectancy_after_decay_pct, 'flags', r.flag_names
  ) order by r.rank), '[]')
  from (
    select x.* from walltrack.candidate_ranking as x where x.rank is not null
    order by x.rank limit greatest(max_rows, 0)
  ) as r;
$$;
comment on function walltrack.candidate_list(integer) is
'The first max_rows of walltrack.candidate_ranking (measured and promoted candidates).';
grant execute on function walltrack.candidate_list(integer) to service_role;
