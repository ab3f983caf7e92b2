-- wallets: the registry, i.e. the watchlist. Adding a row is how an operator starts
-- following a wallet; only active wallets are watched (Helius sync) and copied.

create type walltrack.wallet_status as enum ('active', 'paused', 'retired');
comment on type walltrack.wallet_status is
'active = watched and copied; paused = not copied, open positions keep running; '
'retired = dropped for good, open positions run to their exit.';

create type walltrack.discovery_source as enum (
  'manual', 'import', 'ranking_site', 'onchain_analysis'
);
comment on type walltrack.discovery_source is 'How a wallet came to be watched.';

create table walltrack.wallets (
  id bigint generated always as identity primary key,
  -- identity
  address walltrack.solana_address not null,
  label text not null default '',
  notes text not null default '',
  -- status and mode
  status walltrack.wallet_status not null default 'active',
  mode walltrack.trade_mode not null default 'simulation',
  -- copy settings
  exit_strategy_id bigint references walltrack.exit_strategies (id),
  position_size_sol numeric,
  copy_sells boolean,
  -- discovery
  discovery_source walltrack.discovery_source not null default 'manual',
  discovered_at timestamptz not null default walltrack.clock(),
  discovery_ref text,
  discovery_metadata jsonb not null default '{}',
  -- performance baseline measured at discovery
  baseline_win_rate_pct numeric,
  baseline_pnl_sol numeric,
  baseline_trade_count integer,
  baseline_period_days integer,
  created_at timestamptz not null default walltrack.clock(),
  updated_at timestamptz not null default walltrack.clock(),
  -- history backfill (kept by walltrack.record_backfill_page)
  history_until_signature walltrack.solana_signature,
  history_until_slot bigint,
  history_walk_before walltrack.solana_signature,
  history_walk_top_signature walltrack.solana_signature,
  history_walk_top_slot bigint,
  history_checked_at timestamptz,
  -- its own protections (09_leader_pauses.sql); empty = config's leader_* value
  pause_max_consecutive_losses integer,
  pause_max_loss_sol numeric,
  pause_max_baseline_gap_pct numeric,
  pause_cooldown_minutes integer,

  constraint wallets_address_unique unique (address),
  constraint wallets_position_size_positive check (walltrack.ensure(
    position_size_sol > 0,
    format(
      'wallets.position_size_sol must be above 0 SOL (got %s); leave it empty to use '
      || 'the config sizing', position_size_sol
    )
  )),
  constraint wallets_baseline_range check (walltrack.ensure(
    coalesce(baseline_win_rate_pct between 0 and 100, true)
    and coalesce(baseline_trade_count >= 0, true)
    and coalesce(baseline_period_days >= 1, true),
    'wallet baseline out of range: win rate within 0..100 %, trade count >= 0, period >= 1 day'
  )),
  constraint wallets_discovery_metadata_object check (walltrack.ensure(
    jsonb_typeof(discovery_metadata) = 'object',
    'wallets.discovery_metadata must be a JSON object'
  )),
  constraint wallets_history_walk_whole check (walltrack.ensure(
    (history_walk_before is null) = (history_walk_top_signature is null),
    'a history walk in progress needs both where it resumes and its newest transaction'
  )),
  constraint wallets_pause_thresholds check (walltrack.ensure(
    coalesce(pause_max_consecutive_losses between 1 and 1000, true)
    and coalesce(pause_max_loss_sol > 0, true)
    and coalesce(pause_max_baseline_gap_pct between 0 and 100, true)
    and coalesce(pause_cooldown_minutes between 1 and 525600, true),
    format(
      'wallet protections out of range: pause_max_consecutive_losses within 1..1000 (got %s), '
      || 'pause_max_loss_sol above 0 (got %s), pause_max_baseline_gap_pct within 0..100 '
      || 'points (got %s), pause_cooldown_minutes within 1..525600 (got %s)',
      pause_max_consecutive_losses, pause_max_loss_sol, pause_max_baseline_gap_pct,
      pause_cooldown_minutes
    ),
    'Leave one empty to use the config''s leader_* value.'
  )),
  constraint wallets_pause_numbers_finite check (walltrack.ensure_finite(
    'wallets', array['pause_max_loss_sol', 'pause_max_baseline_gap_pct'],
    array[pause_max_loss_sol, pause_max_baseline_gap_pct]
  )),
  constraint wallets_numbers_finite check (walltrack.ensure_finite(
    'wallets',
    array['position_size_sol', 'baseline_win_rate_pct', 'baseline_pnl_sol'],
    array[position_size_sol, baseline_win_rate_pct, baseline_pnl_sol]
  ))
);

create index wallets_active_idx on walltrack.wallets (address) where status = 'active';

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

create index wallets_exit_strategy_idx on walltrack.wallets (exit_strategy_id);

create function walltrack.trigger_wallet_guard()
returns trigger
language plpgsql
set search_path = ''
as $$
-- Friendly words for the edits operators get wrong most: a duplicate address, and an exit
-- strategy that is archived or does not exist.
begin
  perform walltrack.ensure(
    not exists (
      select from walltrack.wallets as w where w.address = new.address and w.id <> new.id
    ),
    format('wallet %s is already on the watchlist', new.address),
    'Edit the existing row (status, label) instead of adding it again.');
  if new.exit_strategy_id is distinct from old.exit_strategy_id then
    perform walltrack.ensure(
      new.exit_strategy_id is null or exists (
        select from walltrack.exit_strategies as s where s.id = new.exit_strategy_id
      ),
      format('exit strategy %s does not exist', new.exit_strategy_id),
      'Pick an id from walltrack.exit_strategies, or leave it empty for the default.');
    perform walltrack.ensure(
      not exists (
        select from walltrack.exit_strategies as s
        where s.id = new.exit_strategy_id and s.archived
      ),
      format('exit strategy %s is archived: pick an active one', new.exit_strategy_id));
  end if;
  return new;
end;
$$;
comment on function walltrack.trigger_wallet_guard() is
'Refuses a duplicate address and a missing or archived exit strategy with a clear message.';

-- Triggers on wallets, in the order Postgres fires them (one timing at a time, by name):
--   insert  wallets_before_write_guard            no duplicate address, a live strategy
--   update  wallets_before_update_history_engine_only  the history watermark: backfill only
--           wallets_before_update_set_updated_at  stamp updated_at
--           wallets_before_write_guard            no duplicate address, a live strategy
--   delete  wallets_before_delete_refuse          refused: retire instead
create trigger wallets_before_write_guard
before insert or update on walltrack.wallets
for each row execute function walltrack.trigger_wallet_guard();

-- Moving the watermark forward by hand would skip history a backfill never read (missed
-- leader sells never mirrored); a WHEN clause, so an ordinary edit pays no call.
create trigger wallets_before_update_history_engine_only
before update on walltrack.wallets
for each row
when (
  pg_trigger_depth() = 0
  and (
    new.history_until_signature, new.history_until_slot, new.history_walk_before,
    new.history_walk_top_signature, new.history_walk_top_slot, new.history_checked_at
  )
  is distinct from
  (
    old.history_until_signature, old.history_until_slot, old.history_walk_before,
    old.history_walk_top_signature, old.history_walk_top_slot, old.history_checked_at
  )
  and current_setting('walltrack.engine_write', true) is distinct from 'on'
)
execute function walltrack.trigger_refuse_direct_write(
  'wallet %s: its history watermark is kept by the helius-backfill function, not edited',
  'To read a wallet''s history again, run helius-backfill; the watermark only moves as far '
  'as the history it has read.'
);

create trigger wallets_before_update_set_updated_at
before update on walltrack.wallets
for each row execute function walltrack.trigger_set_updated_at();

create trigger wallets_before_delete_refuse
before delete on walltrack.wallets
for each row execute function walltrack.trigger_refuse_change(
  'Set status = retired instead: signals and positions keep their history.'
);

create function walltrack.active_wallets_hash()
returns text
language sql
stable
set search_path = ''
as $$
  -- ADR-001: the Helius sync's subscription hash covers it (see helius_sync_plan).
  select md5(coalesce(string_agg(w.address, ',' order by w.address), ''))
  from walltrack.wallets as w
  where w.status = 'active';
$$;
comment on function walltrack.active_wallets_hash() is
'Hash of the sorted active wallet addresses, part of the Helius subscription hash '
'(helius_sync_plan, ADR-001).';
grant execute on function walltrack.active_wallets_hash() to service_role;

alter table walltrack.wallets enable row level security;
grant select, insert, update on walltrack.wallets to service_role;

comment on table walltrack.wallets is
'Registry: the watchlist of smart-money wallets. Add a row to follow a wallet; set status '
'to paused or retired to stop copying it (open positions keep running to exit).';
comment on column walltrack.wallets.id is 'Identity of the wallet row.';
comment on column walltrack.wallets.address is 'The wallet''s public key (base58), unique.';
comment on column walltrack.wallets.label is 'Short name shown to operators.';
comment on column walltrack.wallets.notes is 'Free notes: why it is followed, what to watch.';
comment on column walltrack.wallets.status is
'active = watched and copied; paused = not copied; retired = dropped. Only active wallets '
'are sent to Helius.';
comment on column walltrack.wallets.mode is
'simulation = paper trades at a modelled price; live = real transactions (needs '
'config.live_trading_enabled).';
comment on column walltrack.wallets.exit_strategy_id is
'Exit strategy for this wallet''s copies; empty = the default template.';
comment on column walltrack.wallets.position_size_sol is
'Fixed SOL per copy for this wallet, overriding config sizing; empty = config sizing.';
comment on column walltrack.wallets.copy_sells is
'Mirror this wallet''s sells; empty = follow the exit strategy''s mirror_leader_sells.';
comment on column walltrack.wallets.discovery_source is
'How the wallet was found: manual, import, ranking_site, onchain_analysis.';
comment on column walltrack.wallets.discovered_at is 'When the wallet was found.';
comment on column walltrack.wallets.discovery_ref is
'Where it was found: a ranking page URL, an import file, an analysis run id.';
comment on column walltrack.wallets.discovery_metadata is
'Anything else the discovery source said about it (JSON object).';
comment on column walltrack.wallets.baseline_win_rate_pct is
'Win rate that justified adding the wallet, measured at discovery (for decay).';
comment on column walltrack.wallets.baseline_pnl_sol is
'PnL in SOL that justified adding the wallet, over the baseline period.';
comment on column walltrack.wallets.baseline_trade_count is
'Trades behind the baseline figures.';
comment on column walltrack.wallets.baseline_period_days is
'Length of the period the baseline was measured over, in days.';
comment on column walltrack.wallets.created_at is 'When the row was added.';
comment on column walltrack.wallets.updated_at is 'Last edit of the row.';
comment on column walltrack.wallets.history_until_signature is
'Watermark: the wallet''s history is known complete (webhook or backfill) up to this '
'transaction; the next backfill reads what is newer.';
comment on column walltrack.wallets.history_until_slot is 'Slot of the watermark transaction.';
comment on column walltrack.wallets.history_walk_before is
'A backfill walk left unfinished (credits spent) resumes with the transactions older than '
'this one.';
comment on column walltrack.wallets.history_walk_top_signature is
'The newest transaction of the walk in progress: the watermark once the walk ends.';
comment on column walltrack.wallets.history_walk_top_slot is
'Slot of the walk''s newest transaction.';
comment on column walltrack.wallets.history_checked_at is
'When a backfill last finished reading this wallet''s history.';
comment on column walltrack.wallets.pause_max_consecutive_losses is
'Pause this leader after this many losing copies in a row (empty: '
'config.leader_max_consecutive_losses).';
comment on column walltrack.wallets.pause_max_loss_sol is
'Pause this leader when its copies lost more than this within the loss window (empty: '
'config.leader_max_loss_sol).';
comment on column walltrack.wallets.pause_max_baseline_gap_pct is
'Pause this leader when its recent copies won this many points below its baseline (empty: '
'config.leader_max_baseline_gap_pct).';
comment on column walltrack.wallets.pause_cooldown_minutes is
'Resume this leader on its own this many minutes after a pause (empty: '
'config.leader_pause_cooldown_minutes).';
