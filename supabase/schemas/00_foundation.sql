-- Foundation: the private schema `walltrack` that holds every table and rule, the `api`
-- schema of RPC entry points (18_api.sql), the default that no function is executable by
-- PUBLIC, shared domains and types, and walltrack.ensure, which turns a failed rule into a
-- message that says what to fix.

create schema if not exists walltrack;
comment on schema walltrack is
'WallTrack tables and internal functions. Private: never exposed through PostgREST.';

create schema if not exists api;
comment on schema api is
'RPC functions the WallTrack cloud functions call through PostgREST. '
'Executable by service_role only.';

-- Nobody but service_role gets in; a hosted project grants anon/authenticated
-- broad defaults on `public`, so WallTrack keeps nothing there.
revoke all on schema walltrack from public;

revoke all on schema api from public;

grant usage on schema walltrack to service_role;

grant usage on schema api to service_role;

-- Functions are executable by PUBLIC by default, and a per-schema default cannot take
-- a global one away: revoke it for every function the migration role creates from now
-- on. Each function is then granted to service_role explicitly, or to nobody.
alter default privileges revoke execute on functions from public;

-- One clock for every rule: whatever reads time (time exits, the breaker's windows and
-- cooldown, freshness, leases and retries, the scoreboard's windows, staleness, table
-- defaults and event times) reads walltrack.clock(), never now() itself. In production it
-- is the transaction's time and nothing moves it; a replay, the demo or a test sets its own
-- transaction's or session's with walltrack.set_clock (01_config.sql), which a database
-- that trades for real refuses. Both clock functions name pg_catalog in full instead of
-- pinning search_path: a pinned path stops the planner from inlining them, and they run
-- once per row in the largest queries (18x slower measured over a million rows).
create function walltrack.clock()
returns timestamptz
language sql
stable
as $$
  select coalesce(
    nullif(pg_catalog.current_setting('walltrack.clock', true), '')::timestamptz,
    pg_catalog.now()
  );
$$;
comment on function walltrack.clock() is
'The time every rule reads: the transaction''s time (now()), unless walltrack.set_clock set '
'this transaction''s or session''s.';
grant execute on function walltrack.clock() to service_role;

create function walltrack.clock_precise()
returns timestamptz
language sql
stable
as $$
  -- Unset, the wall clock itself: events of one transaction (a breaker trip, then the buys
  -- it stops) stay in the order they happened. Set (a replay), the set time: the replay
  -- orders its own events, and the wall time it takes must not leak into them.
  select coalesce(
    nullif(pg_catalog.current_setting('walltrack.clock', true), '')::timestamptz,
    pg_catalog.clock_timestamp()
  );
$$;
comment on function walltrack.clock_precise() is
'Ordered event times: the wall clock (clock_timestamp()), or the time walltrack.set_clock '
'set.';
grant execute on function walltrack.clock_precise() to service_role;

create function walltrack.ensure(condition boolean, message text, hint text default null)
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
-- Used inside CHECK constraints: true when the rule holds (or cannot be judged on
-- nulls), otherwise a check_violation whose message tells the operator what to fix.
begin
  if condition is false then
    raise exception using
      message = message,
      hint = coalesce(hint, 'Correct the value and save again.'),
      errcode = 'check_violation';
  end if;
  return true;
end;
$$;
comment on function walltrack.ensure(boolean, text, text) is
'Returns true when a rule holds; otherwise raises check_violation with a message '
'that says what to fix. Used by CHECK constraints so Studio shows a clear error.';
grant execute on function walltrack.ensure(boolean, text, text) to service_role;

create function walltrack.is_finite(value numeric)
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

create function walltrack.ensure_finite(subject text, names text[], vals numeric[])
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

create domain walltrack.solana_address as text
check (walltrack.ensure(
  value ~ '^[1-9A-HJ-NP-Za-km-z]{32,44}$',
  format('"%s" is not a Solana address: expected 32 to 44 base58 characters', value),
  'Base58 excludes 0, O, I and l. Copy the address again from an explorer.'
));
comment on domain walltrack.solana_address is
'A Solana public key (wallet or mint) in base58, 32 to 44 characters.';

create domain walltrack.solana_signature as text
check (walltrack.ensure(
  value ~ '^[1-9A-HJ-NP-Za-km-z]{64,88}$',
  format('"%s" is not a Solana transaction signature: expected 64 to 88 base58 characters', value)
));
comment on domain walltrack.solana_signature is
'A Solana transaction signature in base58, 64 to 88 characters.';

create type walltrack.trade_mode as enum ('simulation', 'live');
comment on type walltrack.trade_mode is
'simulation fills orders at a modelled price; live signs and sends real transactions.';

create type walltrack.trade_side as enum ('buy', 'sell');
comment on type walltrack.trade_side is
'buy = SOL (or a stablecoin) in, token out; sell = token in, SOL out.';

create type walltrack.order_reason as enum (
  'copy_entry', 'take_profit', 'stop_loss', 'trailing_stop', 'time_exit', 'mirror_sell',
  'manual', 'write_off'
);
comment on type walltrack.order_reason is
'Why the order exists: the entry copy, or the exit rule that fired.';

create function walltrack.trigger_set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
-- Keeps updated_at true on every edit, whoever makes it (Studio or a function).
begin
  new.updated_at := walltrack.clock();
  return new;
end;
$$;
comment on function walltrack.trigger_set_updated_at() is
'Stamps updated_at on every update.';

create function walltrack.trigger_refuse_change()
returns trigger
language plpgsql
set search_path = ''
as $$
-- Append-only tables: DELETE and TRUNCATE are refused; the trigger argument names
-- what to do instead.
begin
  raise exception using
    message = format('%s rows are permanent: %s is refused', tg_table_name, lower(tg_op)),
    hint = tg_argv[0],
    errcode = 'restrict_violation';
end;
$$;
comment on function walltrack.trigger_refuse_change() is
'Refuses the statement that fired it (DELETE/TRUNCATE on append-only tables); '
'the first trigger argument is the hint shown to the operator.';

-- ---------------------------------------------------------------------------------------
-- Engine writes: what only WallTrack's own functions write

create function walltrack.begin_engine_write()
returns text
language plpgsql
set search_path = ''
as $$
-- Fills, prices, exits, positions, orders and automatic breaker events are written by
-- WallTrack's functions only: their guard triggers let a write through while this
-- transaction-local flag is on. The owning function turns it on around its writes and
-- gives back what was there (end_engine_write), so a Studio edit later in the same
-- transaction is refused again. Returns the previous value.
declare
  previous text := coalesce(current_setting('walltrack.engine_write', true), '');
begin
  perform set_config('walltrack.engine_write', 'on', true);
  return previous;
end;
$$;
comment on function walltrack.begin_engine_write() is
'Marks the writes that follow, in this transaction, as WallTrack''s own (see the '
'<table>_before_*_engine_* triggers); returns the previous mark for end_engine_write.';
grant execute on function walltrack.begin_engine_write() to service_role;

create function walltrack.end_engine_write(previous text)
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('walltrack.engine_write', previous, true);
end;
$$;
comment on function walltrack.end_engine_write(text) is
'Restores the engine-write mark begin_engine_write returned.';
grant execute on function walltrack.end_engine_write(text) to service_role;

create function walltrack.trigger_refuse_direct_write()
returns trigger
language plpgsql
set search_path = ''
as $$
-- A guard trigger's WHEN clause found a direct write of what WallTrack's functions own.
-- Arguments: the message (a %s in it takes the row's id) and the hint.
begin
  raise exception using
    message = format(tg_argv[0], new.id),
    hint = tg_argv[1],
    errcode = 'check_violation';
end;
$$;
comment on function walltrack.trigger_refuse_direct_write() is
'Refuses a direct write of rows or columns only WallTrack''s functions write; the trigger '
'arguments are the message (%s = the row id) and the hint.';

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
  first_seen_at timestamptz not null default walltrack.clock(),
  last_seen_at timestamptz not null default walltrack.clock(),
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
    last_seen_at = walltrack.clock();
end;
$$;
comment on function walltrack.record_fault(text, text, text, text, text, jsonb) is
'Records (or counts again) what a batch could not process: the source, the failing row or '
'input, and the error.';
grant execute on function walltrack.record_fault(text, text, text, text, text, jsonb)
to service_role;
