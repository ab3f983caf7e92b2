-- Schedules: the pg_cron jobs, each calling one walltrack function (never an api one).
-- pg_cron runs them in this database as the role that created them; hosted Supabase
-- enables the extension the same way.

create extension if not exists pg_cron with schema pg_catalog;

grant usage on schema cron to postgres;

select cron.schedule(
  'walltrack-breaker-check', '* * * * *', 'select walltrack.check_circuit_breaker()'
);

-- Buys whose lookup died (its claim lapsed) are decided here, stale past the copy delay.
-- Paused leaders whose cooldown has run are resumed (09_leader_pauses.sql).
select cron.schedule(
  'walltrack-leader-cooldowns', '* * * * *', 'select walltrack.resume_leaders_after_cooldown()'
);

select cron.schedule(
  'walltrack-decide-waiting', '* * * * *', 'select walltrack.decide_waiting()'
);

select cron.schedule(
  'walltrack-release-leases', '* * * * *', 'select walltrack.release_expired_leases()'
);

select cron.schedule(
  'walltrack-purge-tokens', '17 * * * *', 'select walltrack.purge_expired_tokens()'
);

select cron.schedule(
  'walltrack-purge-price-history', '27 * * * *', 'select walltrack.purge_price_history()'
);

select cron.schedule(
  'walltrack-performance-refresh', '7 3 * * *', 'select walltrack.refresh_performance()'
);

-- Promoted wallets' baselines, measured again from their own signals.
select cron.schedule(
  'walltrack-remeasure-baselines', '37 3 * * *', 'select walltrack.remeasure_baselines()'
);

-- Off unless config.discovery_auto_promote_top_n is above 0.
select cron.schedule(
  'walltrack-auto-promote', '*/10 * * * *', 'select walltrack.auto_promote_candidates()'
);

-- A silent webhook and the daily summary (17_alerts.sql); notify sends them.
select cron.schedule(
  'walltrack-scheduled-alerts', '* * * * *', 'select walltrack.raise_scheduled_alerts()'
);
