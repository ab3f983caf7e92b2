-- exit_strategies: the catalog of reusable exit templates. Wallets reference one for their
-- copies; each position snapshots its template at creation (ADR-002), so editing a
-- template never changes an open position. The rule checks here also validate a
-- position's exit_strategy_override.

create function walltrack.check_take_profit_ladder(levels jsonb, moonbag_pct numeric)
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
-- A ladder is a JSON array of {"at_pct": X, "sell_pct": Y}: at +X% from entry, sell
-- Y% of the initial quantity. Levels ascend strictly, and the ladder plus the moonbag
-- never sells more than 100%.
declare
  level jsonb;
  previous_at numeric := 0;
  total_sell numeric := 0;
begin
  perform walltrack.ensure(coalesce(jsonb_typeof(levels) = 'array', false),
    'take_profit_levels must be a JSON array such as [{"at_pct": 50, "sell_pct": 30}]');
  for level in select value from jsonb_array_elements(levels) loop
    perform walltrack.ensure(
      jsonb_typeof(level) = 'object'
      and coalesce(jsonb_typeof(level -> 'at_pct') = 'number', false)
      and coalesce(jsonb_typeof(level -> 'sell_pct') = 'number', false),
      format('take-profit level %s needs numeric at_pct and sell_pct', level));
    perform walltrack.ensure((level ->> 'at_pct')::numeric > previous_at,
      format('take-profit levels must be above 0 and ascending: at_pct %s comes after %s',
        level ->> 'at_pct', previous_at));
    perform walltrack.ensure((level ->> 'at_pct')::numeric <= 1000000,
      format('take-profit at_pct must be at most 1000000 (a gain in %%), got %s',
        level ->> 'at_pct'));
    perform walltrack.ensure((level ->> 'sell_pct')::numeric > 0
      and (level ->> 'sell_pct')::numeric <= 100,
      format('take-profit sell_pct must be within (0, 100], got %s', level ->> 'sell_pct'));
    previous_at := (level ->> 'at_pct')::numeric;
    total_sell := total_sell + (level ->> 'sell_pct')::numeric;
  end loop;
  perform walltrack.ensure(total_sell + coalesce(moonbag_pct, 0) <= 100,
    format('take-profit levels sell %s%% and the moonbag keeps %s%%: together they must not '
      || 'exceed 100%%', total_sell, coalesce(moonbag_pct, 0)),
    'Lower some sell_pct values or the moonbag share.');
  return true;
end;
$$;
comment on function walltrack.check_take_profit_ladder(jsonb, numeric) is
'Validates a take-profit ladder against the moonbag share; raises check_violation with '
'what to fix. Shared by the catalog and by per-position overrides.';
grant execute on function walltrack.check_take_profit_ladder(jsonb, numeric) to service_role;

create type walltrack.consensus_exit as enum ('first_out', 'majority_out', 'none');
comment on type walltrack.consensus_exit is
'How a consensus entry follows its leaders out: at the first one''s sale, once most of them '
'sold, or not at all (its exits only).';

create table walltrack.exit_strategies (
  id bigint generated always as identity primary key,
  name text not null,
  description text not null default '',
  is_default boolean not null default false,
  archived boolean not null default false,
  take_profit_levels jsonb not null default '[]',
  stop_loss_pct numeric,
  trailing_activation_pct numeric,
  trailing_distance_pct numeric,
  time_exit_minutes integer,
  time_exit_max_pnl_pct numeric,
  mirror_leader_sells boolean not null default true,
  moonbag_pct numeric not null default 0,
  moonbag_keeps_stop_loss boolean not null default true,
  created_at timestamptz not null default walltrack.clock(),
  updated_at timestamptz not null default walltrack.clock(),
  -- consensus entries (10_consensus.sql): the wallets following this strategy are a group
  consensus_min_leaders integer,
  consensus_window_minutes integer not null default 10,
  consensus_weighted boolean not null default false,
  consensus_exit walltrack.consensus_exit not null default 'first_out',

  constraint exit_strategies_name_unique unique (name),
  constraint exit_strategies_name_present check (walltrack.ensure(
    length(btrim(name)) > 0, 'an exit strategy needs a name'
  )),
  constraint exit_strategies_ladder_valid check (
    walltrack.check_take_profit_ladder(take_profit_levels, moonbag_pct)
  ),
  constraint exit_strategies_stop_loss_negative check (walltrack.ensure(
    stop_loss_pct > -100 and stop_loss_pct < 0,
    format(
      'stop_loss_pct must be negative and above -100 (a drop from entry), got %s',
      stop_loss_pct
    ),
    'Use -25 to sell everything 25% below the entry price; leave it empty for no stop loss.'
  )),
  constraint exit_strategies_trailing_valid check (walltrack.ensure(
    (trailing_activation_pct is null) = (trailing_distance_pct is null)
    and coalesce(trailing_activation_pct >= 0, true)
    and coalesce(trailing_distance_pct > 0 and trailing_distance_pct < 100, true),
    'trailing stop needs both trailing_activation_pct (>= 0, gain from entry that arms it) '
    || 'and trailing_distance_pct (within (0, 100), drop from the peak that sells), or neither'
  )),
  constraint exit_strategies_time_exit_valid check (walltrack.ensure(
    coalesce(time_exit_minutes > 0, true)
    and (time_exit_max_pnl_pct is null or time_exit_minutes is not null),
    'time_exit_minutes must be above 0, and time_exit_max_pnl_pct needs time_exit_minutes'
  )),
  constraint exit_strategies_moonbag_range check (walltrack.ensure(
    moonbag_pct >= 0 and moonbag_pct < 100,
    format('moonbag_pct must be within [0, 100), got %s', moonbag_pct)
  )),
  constraint exit_strategies_numbers_finite check (walltrack.ensure_finite(
    'exit_strategies',
    array[
      'stop_loss_pct', 'trailing_activation_pct', 'trailing_distance_pct',
      'time_exit_max_pnl_pct', 'moonbag_pct'
    ],
    array[
      stop_loss_pct, trailing_activation_pct, trailing_distance_pct, time_exit_max_pnl_pct,
      moonbag_pct
    ]
  )),
  constraint exit_strategies_consensus_valid check (walltrack.ensure(
    coalesce(consensus_min_leaders between 2 and 100, true)
    and consensus_window_minutes between 1 and 1440,
    format(
      'consensus_min_leaders must be within 2..100 or empty (got %s), '
      || 'consensus_window_minutes within 1..1440 (got %s)',
      consensus_min_leaders, consensus_window_minutes
    ),
    'Leave consensus_min_leaders empty to copy each leader on its own.'
  )),
  -- The exit engine computes with these: the same bounds as check_exit_rules.
  constraint exit_strategies_rules_computable check (walltrack.ensure(
    coalesce(trailing_activation_pct <= 1000000, true)
    and coalesce(time_exit_max_pnl_pct between -100 and 1000000, true),
    'trailing_activation_pct must be at most 1000000 (% gain) and time_exit_max_pnl_pct '
    || 'within -100..1000000 (% PnL)'
  ))
);

-- At most one default template; the trigger below explains a clash in words.
create unique index exit_strategies_one_default on walltrack.exit_strategies (is_default)
where is_default;

create function walltrack.exit_strategy_rules(strategy walltrack.exit_strategies)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
-- The rule fields of a template, as snapshotted into positions (ADR-002).
begin
  return jsonb_build_object(
    'name', strategy.name,
    'take_profit_levels', strategy.take_profit_levels,
    'stop_loss_pct', strategy.stop_loss_pct,
    'trailing_activation_pct', strategy.trailing_activation_pct,
    'trailing_distance_pct', strategy.trailing_distance_pct,
    'time_exit_minutes', strategy.time_exit_minutes,
    'time_exit_max_pnl_pct', strategy.time_exit_max_pnl_pct,
    'mirror_leader_sells', strategy.mirror_leader_sells,
    'moonbag_pct', strategy.moonbag_pct,
    'moonbag_keeps_stop_loss', strategy.moonbag_keeps_stop_loss
  );
end;
$$;
comment on function walltrack.exit_strategy_rules(walltrack.exit_strategies) is
'The rule fields of an exit strategy as JSON: what a position snapshots at creation.';
grant execute on function walltrack.exit_strategy_rules(walltrack.exit_strategies) to service_role;

create function walltrack.trigger_exit_strategy_guard()
returns trigger
language plpgsql
set search_path = ''
as $$
-- One name per template and one default at a time, said in words; a template is archived,
-- never deleted, once anything refers to it (open positions keep their snapshot either way).
declare
  other_default text;
begin
  if tg_op = 'DELETE' then
    raise exception using
      message = format('exit strategy "%s" cannot be deleted', old.name),
      hint = 'Set archived = true instead: positions and wallets may still refer to it.',
      errcode = 'restrict_violation';
  end if;
  perform walltrack.ensure(
    not exists (
      select from walltrack.exit_strategies as s where s.name = new.name and s.id <> new.id
    ),
    format('an exit strategy named "%s" exists already', new.name),
    'Give this one another name, or edit the existing template.');
  if new.is_default then
    select s.name into other_default
    from walltrack.exit_strategies as s
    where s.is_default and s.id <> new.id;
    perform walltrack.ensure(other_default is null,
      format('"%s" is already the default exit strategy', other_default),
      format('Set is_default = false on "%s" first.', other_default));
    perform walltrack.ensure(not new.archived, 'an archived exit strategy cannot be the default');
  end if;
  return new;
end;
$$;
comment on function walltrack.trigger_exit_strategy_guard() is
'Refuses a duplicate name, a second default template and deletions (archive instead).';

-- Triggers on exit_strategies, in the order Postgres fires them (one timing at a time, by name):
--   insert  exit_strategies_before_change_guard          one name each, one default at a time
--   update  exit_strategies_before_change_guard          one name each, one default at a time
--           exit_strategies_before_update_set_updated_at stamp updated_at
--   delete  exit_strategies_before_change_guard          refused: archive instead
create trigger exit_strategies_before_change_guard
before insert or update or delete on walltrack.exit_strategies
for each row execute function walltrack.trigger_exit_strategy_guard();

create trigger exit_strategies_before_update_set_updated_at
before update on walltrack.exit_strategies
for each row execute function walltrack.trigger_set_updated_at();

alter table walltrack.exit_strategies enable row level security;
grant select on walltrack.exit_strategies to service_role;

insert into walltrack.exit_strategies (
  name, description, is_default, take_profit_levels, stop_loss_pct,
  trailing_activation_pct, trailing_distance_pct, time_exit_minutes, time_exit_max_pnl_pct,
  mirror_leader_sells, moonbag_pct
) values
(
  'balanced',
  'Default. Sell a third at +50% and a third at +100%, trail the rest 20% below the peak '
  || 'once up 30%, stop out at -30%, mirror the leader''s sells, give up after 24 h flat.',
  true, '[{"at_pct": 50, "sell_pct": 33}, {"at_pct": 100, "sell_pct": 33}]', -30,
  30, 20, 1440, 10, true, 0
),
(
  'scalper',
  'Fast in and out for momentum tokens: half at +20%, the rest at +40%, stop at -10%, '
  || 'trail 8% once up 15%, out after 30 minutes whatever happens.',
  false, '[{"at_pct": 20, "sell_pct": 50}, {"at_pct": 40, "sell_pct": 50}]', -10,
  15, 8, 30, null, true, 0
),
(
  'moonbag runner',
  'Recover the stake at +100%, take more at +300%, keep a 20% moonbag for the long tail; '
  || 'wide -50% stop, trail 35% once up 200%; ignores the leader''s sells.',
  false, '[{"at_pct": 100, "sell_pct": 50}, {"at_pct": 300, "sell_pct": 30}]', -50,
  200, 35, null, null, false, 20
),
(
  'mirror only',
  'Exit exactly when the leader exits, with a -40% safety stop and nothing else.',
  false, '[]', -40, null, null, null, null, true, 0
);

comment on table walltrack.exit_strategies is
'Catalog: reusable exit strategy templates (take-profit ladder, stop loss, trailing stop, '
'time exit, mirror leader sells, moonbag). Wallets point at one; positions snapshot it at '
'creation, so edits here never change open positions. Archive, never delete.';
comment on column walltrack.exit_strategies.id is 'Identity of the template.';
comment on column walltrack.exit_strategies.name is 'Unique name shown to operators.';
comment on column walltrack.exit_strategies.description is 'What the template is for, in words.';
comment on column walltrack.exit_strategies.is_default is
'The template used by wallets that name none. At most one.';
comment on column walltrack.exit_strategies.archived is
'Archived templates stay for history and existing references; pick another for new wallets.';
comment on column walltrack.exit_strategies.take_profit_levels is
'Ladder: [{"at_pct": X, "sell_pct": Y}] = at +X% from entry sell Y% of the initial quantity; '
'ascending, shares plus moonbag <= 100%. Each level fires once.';
comment on column walltrack.exit_strategies.stop_loss_pct is
'Sell everything at this % from entry (negative, e.g. -30); empty = no stop loss.';
comment on column walltrack.exit_strategies.trailing_activation_pct is
'Trailing stop arms once price reaches +this % from entry (>= 0).';
comment on column walltrack.exit_strategies.trailing_distance_pct is
'Once armed, sell everything when price falls this % below the highest price since entry.';
comment on column walltrack.exit_strategies.time_exit_minutes is
'Sell everything after this many minutes held; empty = no time exit.';
comment on column walltrack.exit_strategies.time_exit_max_pnl_pct is
'Time exit only fires while unrealized PnL % is below this bar; empty = always.';
comment on column walltrack.exit_strategies.mirror_leader_sells is
'When the copied wallet sells the token, sell the same fraction of our position.';
comment on column walltrack.exit_strategies.moonbag_pct is
'Share of the initial quantity kept out of the ladder and the time exit.';
comment on column walltrack.exit_strategies.moonbag_keeps_stop_loss is
'When true the stop loss also sells the moonbag; when false the moonbag rides to zero.';
comment on column walltrack.exit_strategies.created_at is 'When the template was created.';
comment on column walltrack.exit_strategies.updated_at is 'Last edit of the template.';
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

create function walltrack.check_exit_rules(rules jsonb)
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
-- The rules of an effective strategy (snapshot + override) as a position uses them; the
-- same limits as the catalog's columns, said in the same words. Each value is checked to
-- the type and range the exit engine (walltrack.exit_call_for) computes with: numbers for
-- the percentages, a whole number of minutes that casts to integer for the time exit,
-- booleans for the flags, and bounds that keep every product finite. A rule the engine
-- could not evaluate would fail the whole price tick, every other position's stop loss
-- included.
declare
  known constant text[] := array[
    'name', 'take_profit_levels', 'stop_loss_pct', 'trailing_activation_pct',
    'trailing_distance_pct', 'time_exit_minutes', 'time_exit_max_pnl_pct',
    'mirror_leader_sells', 'moonbag_pct', 'moonbag_keeps_stop_loss'
  ];
  unknown text;
begin
  select string_agg(k, ', ') into unknown
  from jsonb_object_keys(rules) as k where k <> all(known);
  perform walltrack.ensure(unknown is null,
    format('unknown exit rule(s): %s', unknown),
    format('Known rules: %s.', array_to_string(known, ', ')));
  perform walltrack.ensure(
    coalesce(jsonb_typeof(rules -> 'stop_loss_pct') in ('number', 'null'), true)
    and coalesce(jsonb_typeof(rules -> 'trailing_activation_pct') in ('number', 'null'), true)
    and coalesce(jsonb_typeof(rules -> 'trailing_distance_pct') in ('number', 'null'), true)
    and coalesce(jsonb_typeof(rules -> 'time_exit_minutes') in ('number', 'null'), true)
    and coalesce(jsonb_typeof(rules -> 'time_exit_max_pnl_pct') in ('number', 'null'), true)
    and coalesce(jsonb_typeof(rules -> 'moonbag_pct') in ('number', 'null'), true)
    and coalesce(jsonb_typeof(rules -> 'mirror_leader_sells') in ('boolean', 'null'), true)
    and coalesce(jsonb_typeof(rules -> 'moonbag_keeps_stop_loss') in ('boolean', 'null'), true),
    'exit rules: percentages and minutes are numbers (or null), mirror_leader_sells and '
    || 'moonbag_keeps_stop_loss are true or false');
  perform walltrack.ensure(
    coalesce((rules ->> 'stop_loss_pct')::numeric between -99.999999 and -0.000001, true),
    format('stop_loss_pct must be negative and above -100 (a drop from entry), got %s',
      rules ->> 'stop_loss_pct'),
    'Use -25 to sell everything 25% below the entry price; null for no stop loss.');
  perform walltrack.ensure(
    (rules ->> 'trailing_activation_pct' is null) = (rules ->> 'trailing_distance_pct' is null)
    and coalesce((rules ->> 'trailing_activation_pct')::numeric >= 0, true)
    and coalesce((rules ->> 'trailing_distance_pct')::numeric > 0
      and (rules ->> 'trailing_distance_pct')::numeric < 100, true),
    'trailing stop needs both trailing_activation_pct (>= 0, gain from entry that arms it) '
    || 'and trailing_distance_pct (within (0, 100), drop from the peak that sells), or neither');
  perform walltrack.ensure(
    coalesce((rules ->> 'trailing_activation_pct')::numeric <= 1000000, true),
    format('trailing_activation_pct must be at most 1000000 (a gain in %%), got %s',
      rules ->> 'trailing_activation_pct'));
  -- The engine reads it as (rules ->> 'time_exit_minutes')::integer: 0.5, 30.0 or 1e10
  -- would fail that cast on every tick.
  perform walltrack.ensure(
    coalesce(rules ->> 'time_exit_minutes' ~ '^[0-9]{1,10}$'
      and (rules ->> 'time_exit_minutes')::numeric between 1 and 2147483647, true),
    format('time_exit_minutes must be a whole number of minutes within 1..2147483647, got %s',
      rules ->> 'time_exit_minutes'),
    'Use 1440 for a day; null for no time exit.');
  perform walltrack.ensure(
    rules ->> 'time_exit_max_pnl_pct' is null or rules ->> 'time_exit_minutes' is not null,
    'time_exit_minutes must be above 0, and time_exit_max_pnl_pct needs time_exit_minutes');
  perform walltrack.ensure(
    coalesce((rules ->> 'time_exit_max_pnl_pct')::numeric between -100 and 1000000, true),
    format('time_exit_max_pnl_pct must be within -100..1000000 (a PnL in %%), got %s',
      rules ->> 'time_exit_max_pnl_pct'));
  perform walltrack.ensure(
    coalesce((rules ->> 'moonbag_pct')::numeric >= 0 and (rules ->> 'moonbag_pct')::numeric < 100,
      true),
    format('moonbag_pct must be within [0, 100), got %s', rules ->> 'moonbag_pct'));
  return walltrack.check_take_profit_ladder(
    coalesce(rules -> 'take_profit_levels', '[]'), (rules ->> 'moonbag_pct')::numeric
  );
end;
$$;
comment on function walltrack.check_exit_rules(jsonb) is
'Validates an effective exit strategy (snapshot + override): known rules, types and limits.';
grant execute on function walltrack.check_exit_rules(jsonb) to service_role;
