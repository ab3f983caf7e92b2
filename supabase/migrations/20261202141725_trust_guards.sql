-- trust_guards
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

-- Non-finite numbers: NaN and Infinity pass `> 0`; each table names its numeric columns.

create or replace function walltrack.is_finite(value numeric)
returns boolean
language sql
immutable
set search_path = ''
as $$
  -- Postgres numeric accepts NaN, Infinity and -Infinity, and sorts NaN above every number,
  -- so a plain `x > 0` lets NaN through. Null counts as finite (an empty optional value).
  select value is null or (value > '-Infinity'::numeric and value < 'Infinity'::numeric);
$$;
comment on function walltrack.is_finite(numeric) is
'True when a numeric is a real number (or null): false for NaN, Infinity and -Infinity.';
grant execute on function walltrack.is_finite(numeric) to service_role;

create or replace function walltrack.ensure_finite(subject text, names text[], vals numeric[])
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
-- Used inside CHECK constraints: one per table, naming every numeric column that means
-- money, a size, a limit or a time. The first that is not finite is named in the message.
begin
  for i in 1 .. coalesce(array_length(vals, 1), 0) loop
    if not walltrack.is_finite(vals[i]) then
      return walltrack.ensure(false,
        format('%s numbers must be finite: NaN and Infinity are not amounts (got %s = %s)',
          subject, names[i], vals[i]),
        'Enter an ordinary number, or leave the value empty where it is optional.');
    end if;
  end loop;
  return true;
end;
$$;
comment on function walltrack.ensure_finite(text, text[], numeric[]) is
'Returns true when every value is finite (or null); otherwise raises check_violation naming '
'the first column holding NaN or Infinity. Used by each table''s <table>_numbers_finite CHECK.';
grant execute on function walltrack.ensure_finite(text, text[], numeric[]) to service_role;

alter table walltrack.config
add constraint config_numbers_finite check (walltrack.ensure_finite(
  'config',
  array[
    'fixed_amount_sol', 'leader_fraction', 'min_position_sol', 'max_position_sol',
    'max_total_exposure_sol', 'min_liquidity_usd', 'min_market_cap_usd', 'max_market_cap_usd',
    'max_top10_holders_pct', 'breaker_max_daily_loss_sol', 'breaker_max_drawdown_pct',
    'breaker_min_win_rate_pct', 'position_dust_sol', 'breaker_capital_sol'
  ],
  array[
    fixed_amount_sol, leader_fraction, min_position_sol, max_position_sol,
    max_total_exposure_sol, min_liquidity_usd, min_market_cap_usd, max_market_cap_usd,
    max_top10_holders_pct, breaker_max_daily_loss_sol, breaker_max_drawdown_pct,
    breaker_min_win_rate_pct, position_dust_sol, breaker_capital_sol
  ]
));

alter table walltrack.exit_strategies
add constraint exit_strategies_numbers_finite check (walltrack.ensure_finite(
  'exit_strategies',
  array[
    'stop_loss_pct', 'trailing_activation_pct', 'trailing_distance_pct',
    'time_exit_max_pnl_pct', 'moonbag_pct'
  ],
  array[
    stop_loss_pct, trailing_activation_pct, trailing_distance_pct, time_exit_max_pnl_pct,
    moonbag_pct
  ]
));

alter table walltrack.wallets
add constraint wallets_numbers_finite check (walltrack.ensure_finite(
  'wallets',
  array['position_size_sol', 'baseline_win_rate_pct', 'baseline_pnl_sol'],
  array[position_size_sol, baseline_win_rate_pct, baseline_pnl_sol]
));

alter table walltrack.signals
add constraint signals_numbers_finite check (walltrack.ensure_finite(
  'signals',
  array['token_amount', 'quote_amount', 'price_sol'],
  array[token_amount, quote_amount, price_sol]
));

alter table walltrack.circuit_breaker_events
add constraint circuit_breaker_events_numbers_finite check (walltrack.ensure_finite(
  'circuit_breaker_events', array['threshold', 'observed'], array[threshold, observed]
));

alter table walltrack.positions
add constraint positions_numbers_finite check (
  (
    greatest(
      qty_bought, cost_basis_sol, avg_entry_price_sol, qty_sold, proceeds_sol,
      realized_pnl_sol, last_price_sol, unrealized_pnl_sol, peak_price_sol, equity_after_sol,
      equity_peak_after_sol
    ) < 'Infinity'::numeric
    and least(
      qty_bought, cost_basis_sol, avg_entry_price_sol, qty_sold, proceeds_sol,
      realized_pnl_sol, last_price_sol, unrealized_pnl_sol, peak_price_sol, equity_after_sol,
      equity_peak_after_sol
    ) > '-Infinity'::numeric
  ) is not false
  or walltrack.ensure_finite(
    'positions',
    array[
      'qty_bought', 'cost_basis_sol', 'avg_entry_price_sol', 'qty_sold', 'proceeds_sol',
      'realized_pnl_sol', 'last_price_sol', 'unrealized_pnl_sol', 'peak_price_sol',
      'equity_after_sol', 'equity_peak_after_sol'
    ],
    array[
      qty_bought, cost_basis_sol, avg_entry_price_sol, qty_sold, proceeds_sol,
      realized_pnl_sol, last_price_sol, unrealized_pnl_sol, peak_price_sol, equity_after_sol,
      equity_peak_after_sol
    ]
  )
);

alter table walltrack.orders
add constraint orders_numbers_finite check (
  (
    greatest(
      amount_in, quoted_out, min_out, quoted_price_sol, filled_in, filled_out, fill_price_sol,
      realized_slippage_bps
    ) < 'Infinity'::numeric
    and least(
      amount_in, quoted_out, min_out, quoted_price_sol, filled_in, filled_out, fill_price_sol,
      realized_slippage_bps
    ) > '-Infinity'::numeric
  ) is not false
  or walltrack.ensure_finite(
    'orders',
    array[
      'amount_in', 'quoted_out', 'min_out', 'quoted_price_sol', 'filled_in', 'filled_out',
      'fill_price_sol', 'realized_slippage_bps'
    ],
    array[
      amount_in, quoted_out, min_out, quoted_price_sol, filled_in, filled_out, fill_price_sol,
      realized_slippage_bps
    ]
  )
);

-- Exit rules are validated to the type and range the exit engine computes with.

alter table walltrack.exit_strategies
add constraint exit_strategies_rules_computable check (walltrack.ensure(
  coalesce(trailing_activation_pct <= 1000000, true)
  and coalesce(time_exit_max_pnl_pct between -100 and 1000000, true),
  'trailing_activation_pct must be at most 1000000 (% gain) and time_exit_max_pnl_pct '
  || 'within -100..1000000 (% PnL)'
));

create or replace function walltrack.check_take_profit_ladder(levels jsonb, moonbag_pct numeric)
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

create or replace function walltrack.check_exit_rules(rules jsonb)
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

-- The breaker's events carry the database's clock, and a manual one its operator and note.

alter table walltrack.circuit_breaker_events
add constraint circuit_breaker_events_manual_names_operator check (walltrack.ensure(
  trigger <> 'manual' or (actor <> 'system' and length(btrim(note)) > 0),
  'a manual breaker event names the operator (not system) and says why in a note',
  'Use api.reset_circuit_breaker(operator, note) to reset the breaker.'
));

create or replace function walltrack.trigger_stamp_event_time()
returns trigger
language plpgsql
set search_path = ''
as $$
-- An event's time is the database's clock, never the client's: an event dated in the
-- future would stay the latest, and so the breaker's state, whatever happened after it.
begin
  new.created_at := clock_timestamp();
  return new;
end;
$$;
comment on function walltrack.trigger_stamp_event_time() is
'Stamps an inserted event with the database''s clock, whatever created_at was given.';

create trigger circuit_breaker_events_before_insert_stamp_time
before insert on walltrack.circuit_breaker_events
for each row execute function walltrack.trigger_stamp_event_time();

comment on column walltrack.circuit_breaker_events.note is
'Why the operator acted; required for a manual event.';

comment on column walltrack.circuit_breaker_events.created_at is
'When it happened: the database''s clock at insert, whatever the insert gave.';

-- An order's direction is tied to its side; a confirmed fill never changes.

alter table walltrack.orders
add constraint orders_direction_matches_side check (
  case side
    when 'buy' then input_mint = 'So11111111111111111111111111111111111111112'
    else output_mint = 'So11111111111111111111111111111111111111112'
  end
  or walltrack.ensure(
    false,
    format(
      'a %s order swaps %s: got input_mint %s, output_mint %s', side,
      case side when 'buy' then 'SOL for the token' else 'the token for SOL' end,
      input_mint, output_mint
    ),
    'SOL is the wSOL mint So11111111111111111111111111111111111111112: a buy spends it '
    || '(input_mint), a sell receives it (output_mint).'
  )
);

create or replace function walltrack.trigger_order_transition()
returns trigger
language plpgsql
set search_path = ''
as $$
-- The lifecycle only moves forward along the allowed edges; the intent of an order is
-- fixed once it exists; a confirmed fill already moved its position's money, so its facts
-- never change.
begin
  if new.status is distinct from old.status then
    perform walltrack.ensure(
      (old.status, new.status) in (
        ('pending', 'submitted'), ('pending', 'confirmed'), ('pending', 'failed'),
        ('pending', 'cancelled'), ('submitted', 'confirmed'), ('submitted', 'failed'),
        ('submitted', 'pending')
      ),
      format('order %s cannot go from %s to %s', old.id, old.status, new.status),
      'Allowed: pending -> submitted | confirmed | failed | cancelled; '
      || 'submitted -> confirmed | failed | pending (retry).');
  end if;
  if old.status = 'confirmed' then
    perform walltrack.ensure(
      (new.status, new.filled_in, new.filled_out, new.fill_price_sol, new.realized_slippage_bps,
        new.network_fee_lamports, new.priority_fee_lamports, new.tip_lamports, new.tx_signature,
        new.confirmed_at)
      is not distinct from
      (old.status, old.filled_in, old.filled_out, old.fill_price_sol, old.realized_slippage_bps,
        old.network_fee_lamports, old.priority_fee_lamports, old.tip_lamports, old.tx_signature,
        old.confirmed_at),
      format('order %s is confirmed: its fill (amounts, price, slippage, fees, signature, time) '
        || 'is recorded for good', old.id),
      'The fill already moved its position''s money. A wrong fill is a new fact: record it '
      || 'as a new order, never by rewriting this one.');
  end if;
  perform walltrack.ensure(
    (new.position_id, new.signal_id, new.side, new.reason, new.take_profit_level, new.mode,
      new.input_mint, new.output_mint, new.amount_in, new.idempotency_key)
    is not distinct from
    (old.position_id, old.signal_id, old.side, old.reason, old.take_profit_level, old.mode,
      old.input_mint, old.output_mint, old.amount_in, old.idempotency_key),
    format('order %s: its intent (position, side, reason, mints, amount, key) is fixed', old.id),
    'Cancel the order and create a new one instead.');
  return new;
end;
$$;
comment on function walltrack.trigger_order_transition() is
'Enforces the order lifecycle transitions, keeps the intent columns fixed and a confirmed '
'fill immutable.';

-- A position's identity is fixed at opening.

create or replace function walltrack.trigger_position_keep_identity()
returns trigger
language plpgsql
set search_path = ''
as $$
-- What a position is (its wallet, token, decimals, mode, opening time and signal) is set at
-- opening: changing it would revalue its money (decimals), send live orders for tokens never
-- bought (mode) or move it in the scoreboard and the breaker's windows (opened_at).
declare
  changed text := concat_ws(', ',
    case when new.wallet_id is distinct from old.wallet_id then 'wallet_id' end,
    case when new.token_mint is distinct from old.token_mint then 'token_mint' end,
    case when new.token_decimals is distinct from old.token_decimals then 'token_decimals' end,
    case when new.mode is distinct from old.mode then 'mode' end,
    case when new.opened_at is distinct from old.opened_at then 'opened_at' end,
    case when new.opened_from_signal_id is distinct from old.opened_from_signal_id
      then 'opened_from_signal_id' end);
begin
  raise exception using
    message = format('position %s keeps what it was opened as: %s cannot change', old.id, changed),
    hint = 'A position''s wallet, token, decimals, mode and opening are set when it opens. '
    || 'To get out of a wrong position, give it an exit rule in exit_strategy_override; a new '
    || 'copy opens a new position.',
    errcode = 'check_violation';
end;
$$;
comment on function walltrack.trigger_position_keep_identity() is
'Refuses a change of a position''s identity columns (wallet, token, decimals, mode, opening).';

create trigger positions_before_update_keep_identity
before update on walltrack.positions
for each row
when (
  (
    new.wallet_id, new.token_mint, new.token_decimals, new.mode, new.opened_at,
    new.opened_from_signal_id
  )
  is distinct from
  (
    old.wallet_id, old.token_mint, old.token_decimals, old.mode, old.opened_at,
    old.opened_from_signal_id
  )
)
execute function walltrack.trigger_position_keep_identity();
