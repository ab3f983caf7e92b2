-- api.overview: the first RPC of the exposed `api` schema. One round trip that tells a
-- caller (the demo, a health check) what the database holds.

create function api.overview()
returns jsonb
language sql
stable
security invoker
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
    'trading_enabled', (select c.trading_enabled from walltrack.config as c),
    'live_trading_enabled', (select c.live_trading_enabled from walltrack.config as c)
  );
$$;
comment on function api.overview() is
'Row counts per WallTrack table and the trading switches: a health check through the gateway.';
grant execute on function api.overview() to service_role;

-- Rollback:
-- drop function api.overview();
