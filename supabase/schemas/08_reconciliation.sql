-- Chain reconciliation (live wallets): what the open live positions say the trading key
-- holds, compared with what the chain says it holds. The reconcile-wallet function reads
-- the key's token accounts (Token and Token-2022 programs) and its SOL balance and hands
-- them over raw; walltrack.reconcile_wallet sums them per mint and compares, in atomic
-- units, exactly. Each mismatch is a finding row with both amounts, never a fix: positions
-- are not touched. A phantom (the database holds, the chain does not) or a deficit (the
-- chain holds less) blocks new live buys of that token (walltrack.reconciliation_gate, read
-- by the copy decisions) until an operator resolves it with their name and a note.

create type walltrack.chain_finding_kind as enum ('phantom', 'excess', 'deficit');
comment on type walltrack.chain_finding_kind is
'phantom: open live positions hold the token, the chain holds none; deficit: the chain holds '
'less than they do; excess: the chain holds more (tokens no position accounts for).';

create table walltrack.chain_findings (
  id bigint generated always as identity primary key,
  token_mint walltrack.solana_address not null,
  owner walltrack.solana_address not null,
  kind walltrack.chain_finding_kind not null,
  db_amount numeric not null,
  chain_amount numeric not null,
  token_decimals smallint,
  sol_balance_lamports bigint not null,
  first_seen_at timestamptz not null default walltrack.clock(),
  last_seen_at timestamptz not null default walltrack.clock(),
  times_seen integer not null default 1,
  cleared_at timestamptz,
  resolved_at timestamptz,
  resolved_by text,
  resolution_note text,

  constraint chain_findings_amounts_differ check (walltrack.ensure(
    db_amount >= 0 and chain_amount >= 0 and db_amount <> chain_amount
    and sol_balance_lamports >= 0,
    format(
      'a chain finding is a mismatch of amounts not below 0, got %s in the database and %s '
      || 'on chain', db_amount, chain_amount
    )
  )),
  constraint chain_findings_kind_matches check (walltrack.ensure(
    kind = case
      when chain_amount = 0 then 'phantom'
      when chain_amount < db_amount then 'deficit'
      else 'excess'
    end::walltrack.chain_finding_kind,
    format(
      'a chain finding of %s in the database and %s on chain is not %s', db_amount,
      chain_amount, kind
    )
  )),
  -- Like a manual breaker event: whoever lifts a block says who they are and why.
  constraint chain_findings_resolution_names_operator check (walltrack.ensure(
    (resolved_by is null and resolution_note is null and resolved_at is null)
    or (
      length(btrim(coalesce(resolved_by, ''))) > 0 and resolved_by <> 'system'
      and length(btrim(coalesce(resolution_note, ''))) > 0 and resolved_at is not null
    ),
    'resolving a chain finding names the operator (not system) and says what was done in a '
    || 'note',
    'Use api.resolve_chain_finding(finding_id, operator, note), or set resolved_by and '
    || 'resolution_note together in Studio.'
  )),
  constraint chain_findings_numbers_finite check (walltrack.ensure_finite(
    'chain_findings', array['db_amount', 'chain_amount'], array[db_amount, chain_amount]
  ))
);

-- One open finding per token: a mismatch seen again updates it, never piles up rows.
create unique index chain_findings_open_token_idx on walltrack.chain_findings (token_mint)
where resolved_at is null;

create index chain_findings_token_idx on walltrack.chain_findings (token_mint, resolved_at desc);

create function walltrack.trigger_chain_finding_resolve()
returns trigger
language plpgsql
set search_path = ''
as $$
-- A resolution is stamped with the database's clock, and it is final: the block it lifted
-- must not come back by an edit (a new mismatch opens a new finding).
begin
  perform walltrack.ensure(old.resolved_at is null,
    format('chain finding %s was resolved by %s at %s: a resolution is final', old.id,
      old.resolved_by, old.resolved_at),
    'A new mismatch of this token opens a new finding at the next reconciliation.');
  new.resolved_at := case
    when new.resolved_by is not null or new.resolution_note is not null then walltrack.clock()
  end;
  return new;
end;
$$;
comment on function walltrack.trigger_chain_finding_resolve() is
'Stamps a chain finding''s resolution time and refuses changing a resolution once made.';

-- Triggers on chain_findings, in the order Postgres fires them (by name):
--   insert    chain_findings_before_insert_engine_only    recorded by reconciliation only
--             chain_findings_after_insert_alert           raises an alert (17_alerts.sql)
--   update    chain_findings_before_update_engine_columns what the chain showed is not edited
--             chain_findings_before_update_resolve        resolution stamped, final
--   delete    chain_findings_before_delete_refuse         refused: resolve instead
--   truncate  chain_findings_before_truncate_refuse       refused
create trigger chain_findings_before_insert_engine_only
before insert on walltrack.chain_findings
for each row
when (
  pg_trigger_depth() = 0
  and current_setting('walltrack.engine_write', true) is distinct from 'on'
)
execute function walltrack.trigger_refuse_direct_write(
  'chain findings are recorded by reconciliation (the reconcile-wallet function), not by hand',
  'Run reconcile-wallet to compare the trading key''s holdings with the open live positions.'
);

create trigger chain_findings_before_update_engine_columns
before update on walltrack.chain_findings
for each row
when (
  pg_trigger_depth() = 0
  and (
    new.token_mint, new.owner, new.kind, new.db_amount, new.chain_amount, new.token_decimals,
    new.sol_balance_lamports, new.first_seen_at, new.last_seen_at, new.times_seen,
    new.cleared_at
  )
  is distinct from
  (
    old.token_mint, old.owner, old.kind, old.db_amount, old.chain_amount, old.token_decimals,
    old.sol_balance_lamports, old.first_seen_at, old.last_seen_at, old.times_seen,
    old.cleared_at
  )
  and current_setting('walltrack.engine_write', true) is distinct from 'on'
)
execute function walltrack.trigger_refuse_direct_write(
  'chain finding %s: what reconciliation saw (token, amounts, times) is not edited',
  'Resolve it instead: set resolved_by and resolution_note, or call '
  'api.resolve_chain_finding(finding_id, operator, note).'
);

create trigger chain_findings_before_update_resolve
before update of resolved_by, resolution_note, resolved_at on walltrack.chain_findings
for each row
when (
  (new.resolved_by, new.resolution_note, new.resolved_at)
  is distinct from (old.resolved_by, old.resolution_note, old.resolved_at)
)
execute function walltrack.trigger_chain_finding_resolve();

create trigger chain_findings_before_delete_refuse
before delete on walltrack.chain_findings
for each row execute function walltrack.trigger_refuse_change(
  'Chain findings are the record of what the chain held: resolve one instead of deleting it.'
);

create trigger chain_findings_before_truncate_refuse
before truncate on walltrack.chain_findings
for each statement execute function walltrack.trigger_refuse_change(
  'Chain findings are the record of what the chain held: resolve one instead of deleting it.'
);

alter table walltrack.chain_findings enable row level security;
grant select, insert, update on walltrack.chain_findings to service_role;

comment on table walltrack.chain_findings is
'Reconciliation findings: each mismatch between what the open live positions hold of a token '
'and what the trading key holds on chain, with both amounts. Never a fix. One open finding '
'per token (seen again: updated); a phantom or deficit blocks new live buys of the token '
'until an operator resolves it (resolved_by and resolution_note).';
comment on column walltrack.chain_findings.id is 'Identity of the finding.';
comment on column walltrack.chain_findings.token_mint is 'The token whose amounts differ.';
comment on column walltrack.chain_findings.owner is 'The trading key whose accounts were read.';
comment on column walltrack.chain_findings.kind is
'phantom (chain holds none), deficit (chain holds less) or excess (chain holds more), at the '
'last run that saw the mismatch.';
comment on column walltrack.chain_findings.db_amount is
'Atomic units the open live positions hold (bought minus sold), at the last sighting.';
comment on column walltrack.chain_findings.chain_amount is
'Atomic units the trading key''s token accounts of the mint hold, summed, at the last sighting.';
comment on column walltrack.chain_findings.token_decimals is
'Decimals of the token, from the chain or the positions (amounts are atomic).';
comment on column walltrack.chain_findings.sol_balance_lamports is
'The trading key''s SOL balance at the last sighting, lamports.';
comment on column walltrack.chain_findings.first_seen_at is 'The run that first saw it.';
comment on column walltrack.chain_findings.last_seen_at is 'The last run that saw it.';
comment on column walltrack.chain_findings.times_seen is 'Runs that saw the mismatch.';
comment on column walltrack.chain_findings.cleared_at is
'When a run found the chain and the database agreeing again (noted; the block stays until '
'resolved); empty while the mismatch persists.';
comment on column walltrack.chain_findings.resolved_at is
'When an operator resolved it (stamped by the database); empty while open.';
comment on column walltrack.chain_findings.resolved_by is
'The operator who resolved it (set with resolution_note).';
comment on column walltrack.chain_findings.resolution_note is
'What the operator found or did, e.g. "tokens moved to cold wallet, position sold by hand".';

create function walltrack.reconciliation_gate(token_mint text)
returns text
language plpgsql
stable
set search_path = ''
as $$
-- The decision reason refusing a live buy of the token while the chain holds less of it
-- than we believe: buying more would stack a position on holdings we cannot account for.
begin
  return case when exists (
    select from walltrack.chain_findings as f
    where f.token_mint = reconciliation_gate.token_mint and f.resolved_at is null
      and f.kind in ('phantom', 'deficit')
  ) then 'chain_mismatch' end;
end;
$$;
comment on function walltrack.reconciliation_gate(text) is
'chain_mismatch while an unresolved phantom or deficit finding holds the token, else null: '
'the refusal of new live buys of it.';
grant execute on function walltrack.reconciliation_gate(text) to service_role;

create function walltrack.chain_holdings(token_accounts jsonb)
returns table (token_mint text, amount numeric, token_decimals smallint)
language plpgsql
immutable
set search_path = ''
as $$
-- The token accounts as getTokenAccountsByOwner lists them ([{account, mint, amount,
-- decimals, program}], amount a string of atomic units), summed per mint: a key may hold
-- several accounts of one mint. wSOL is SOL, not a position: left out.
begin
  if jsonb_typeof(token_accounts) is distinct from 'array' or exists (
    select from jsonb_array_elements(token_accounts) as a
    where jsonb_typeof(a.value) is distinct from 'object'
      or coalesce(a.value ->> 'mint', '') !~ '^[1-9A-HJ-NP-Za-km-z]{32,44}$'
      or jsonb_typeof(a.value -> 'amount') is distinct from 'string'
      or (a.value ->> 'amount') !~ '^[0-9]{1,30}$'
      or jsonb_typeof(a.value -> 'decimals') is distinct from 'number'
  ) then
    raise exception using
      message = 'reconcile_wallet expects a JSON array of token accounts {mint, amount, '
        || 'decimals}: mint a base58 address, amount a string of atomic units, decimals a number',
      errcode = 'invalid_parameter_value';
  end if;
  return query
  select a.value ->> 'mint', sum((a.value ->> 'amount')::numeric),
    max((a.value ->> 'decimals')::smallint)
  from jsonb_array_elements(token_accounts) as a
  where a.value ->> 'mint' <> 'So11111111111111111111111111111111111111112'
  group by a.value ->> 'mint';
end;
$$;
comment on function walltrack.chain_holdings(jsonb) is
'The trading key''s token accounts summed per mint (atomic units), wSOL left out; refuses a '
'list that is not token accounts.';
grant execute on function walltrack.chain_holdings(jsonb) to service_role;

create function walltrack.chain_read_started()
returns timestamptz
language plpgsql
stable
set search_path = ''
as $$
-- Taken BEFORE the chain is read, on the clock that stamps fills: an order confirmed from
-- then on may have landed after the read, so reconcile_wallet does not compare its token.
begin
  return walltrack.clock();
end;
$$;
comment on function walltrack.chain_read_started() is
'The database''s time as a chain read begins: the read_at to give walltrack.reconcile_wallet.';
grant execute on function walltrack.chain_read_started() to service_role;

create function walltrack.reconcile_wallet(
  owner text, token_accounts jsonb, sol_lamports bigint, read_at timestamptz
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- Compares the open live positions, per token, with the chain's holdings read from read_at
-- on (walltrack.chain_read_started, the database's clock): match, phantom, deficit or
-- excess, exactly, in atomic units. A token with a live order in flight is not compared: a
-- submitted swap may have landed (the chain ahead of us) or not yet (behind), and one
-- confirmed since read_at may have landed after the read (the database ahead of the read).
-- Each mismatch updates the token's open finding or opens one, unless it is exactly the
-- mismatch an operator already resolved; a token whose open finding now matches is noted
-- cleared. Positions are never touched. The key's SOL is kept for balance_fraction sizing.
declare
  engine text;
  report jsonb;
begin
  perform walltrack.ensure(coalesce(sol_lamports >= 0, false),
    format('reconcile_wallet needs the key''s SOL balance in lamports, got %s',
      coalesce(sol_lamports::text, 'none')));
  perform walltrack.ensure(read_at is not null,
    'reconcile_wallet needs the time the chain read started (walltrack.chain_read_started)');
  -- One run at a time: two runs must not both open the same token's finding.
  perform pg_advisory_xact_lock(hashtext('walltrack.reconcile_wallet'));
  -- The key's SOL as read: what balance_fraction sizes live copies on (available_sol).
  update walltrack.config
  set trading_key_sol_lamports = sol_lamports, trading_key_read_at = read_at;
  engine := walltrack.begin_engine_write();
  with chain as (
    select h.token_mint, h.amount, h.token_decimals
    from walltrack.chain_holdings(token_accounts) as h
  ),
  book as (
    select p.token_mint, sum(p.qty_bought - p.qty_sold) as amount,
      max(p.token_decimals) as token_decimals
    from walltrack.positions as p
    where p.mode = 'live' and p.status in ('opening', 'open', 'closing')
    group by p.token_mint
  ),
  in_flight as (
    select distinct p.token_mint
    from walltrack.orders as o
    inner join walltrack.positions as p on o.position_id = p.id
    where o.mode = 'live' and (
      o.status = 'submitted'
      or (o.status = 'confirmed' and o.confirmed_at >= read_at)
    )
  ),
  compared as (
    select
      m.token_mint,
      coalesce(b.amount, 0) as db_amount,
      coalesce(c.amount, 0) as chain_amount,
      coalesce(c.token_decimals, b.token_decimals) as token_decimals,
      m.token_mint in (select f.token_mint from in_flight as f) as in_flight
    from (
      select c.token_mint from chain as c
      union
      select b.token_mint from book as b
      union
      select f.token_mint from walltrack.chain_findings as f where f.resolved_at is null
    ) as m
    left join chain as c on m.token_mint = c.token_mint
    left join book as b on m.token_mint = b.token_mint
  ),
  mismatched as (
    select
      c.*,
      case
        when c.chain_amount = 0 then 'phantom'
        when c.chain_amount < c.db_amount then 'deficit'
        else 'excess'
      end::walltrack.chain_finding_kind as kind
    from compared as c
    where not c.in_flight and c.db_amount <> c.chain_amount
      -- The operator resolved exactly this mismatch already: not raised again.
      and not exists (
        select from walltrack.chain_findings as r
        where r.token_mint = c.token_mint and r.resolved_at is not null
          and (r.db_amount, r.chain_amount) = (c.db_amount, c.chain_amount)
          and r.id = (
            select max(l.id) from walltrack.chain_findings as l where l.token_mint = c.token_mint
          )
      )
  ),
  recorded as (
    insert into walltrack.chain_findings as f (
      token_mint, owner, kind, db_amount, chain_amount, token_decimals, sol_balance_lamports
    )
    select m.token_mint, reconcile_wallet.owner, m.kind, m.db_amount, m.chain_amount,
      m.token_decimals, sol_lamports
    from mismatched as m
    on conflict (token_mint) where resolved_at is null do update
    set
      owner = excluded.owner,
      kind = excluded.kind,
      db_amount = excluded.db_amount,
      chain_amount = excluded.chain_amount,
      token_decimals = excluded.token_decimals,
      sol_balance_lamports = excluded.sol_balance_lamports,
      last_seen_at = walltrack.clock(),
      times_seen = f.times_seen + 1,
      cleared_at = null
    returning f.id, f.token_mint, f.kind, f.db_amount, f.chain_amount, f.times_seen
  ),
  cleared as (
    update walltrack.chain_findings as f
    set cleared_at = walltrack.clock()
    from compared as c
    where f.token_mint = c.token_mint and f.resolved_at is null and f.cleared_at is null
      and not c.in_flight and c.db_amount = c.chain_amount
    returning f.id, f.token_mint
  )
  select jsonb_build_object(
    'owner', owner,
    'sol_balance_lamports', sol_lamports,
    'compared', (select count(*) from compared as c where not c.in_flight),
    'matched', (
      select count(*) from compared as c where not c.in_flight and c.db_amount = c.chain_amount
    ),
    'in_flight', to_jsonb(array(
      select c.token_mint from compared as c where c.in_flight order by c.token_mint
    )),
    'findings', (
      select coalesce(jsonb_agg(jsonb_build_object(
        'finding_id', r.id, 'token_mint', r.token_mint, 'kind', r.kind,
        'db_amount', r.db_amount::text, 'chain_amount', r.chain_amount::text,
        'times_seen', r.times_seen
      ) order by r.token_mint), '[]')
      from recorded as r
    ),
    'cleared', to_jsonb(array(select c.id from cleared as c order by c.id))
  ) into report;
  perform walltrack.end_engine_write(engine);
  return report;
end;
$$;
comment on function walltrack.reconcile_wallet(text, jsonb, bigint, timestamptz) is
'Compares the open live positions with the trading key''s token accounts read at read_at '
'(tokens with a live order in flight skipped): each mismatch updates or opens the token''s '
'finding, a match clears an open one. Returns {compared, matched, in_flight, findings, '
'cleared}. Never changes a position.';
grant execute on function walltrack.reconcile_wallet(text, jsonb, bigint, timestamptz)
to service_role;

create function walltrack.resolve_chain_finding(finding_id bigint, operator text, note text)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- The operator's word that a finding is dealt with: lifts its block on live buys. The
-- table's rules say what is missing (operator, note) or that it was resolved already.
declare
  resolved walltrack.chain_findings;
begin
  perform walltrack.ensure(
    length(btrim(coalesce(operator, ''))) > 0 and length(btrim(coalesce(note, ''))) > 0,
    'resolving a chain finding names the operator (not system) and says what was done in a '
    || 'note',
    'Use api.resolve_chain_finding(finding_id, operator, note), or set resolved_by and '
    || 'resolution_note together in Studio.');
  update walltrack.chain_findings as f
  set resolved_by = btrim(operator), resolution_note = btrim(note)
  where f.id = finding_id
  returning f.* into resolved;
  perform walltrack.ensure(resolved.id is not null,
    format('chain finding %s does not exist', finding_id));
  return jsonb_build_object(
    'finding_id', resolved.id, 'token_mint', resolved.token_mint, 'kind', resolved.kind,
    'resolved_by', resolved.resolved_by, 'resolved_at', resolved.resolved_at
  );
end;
$$;
comment on function walltrack.resolve_chain_finding(bigint, text, text) is
'Resolves a chain finding in the operator''s name with a note (both required), lifting its '
'block on live buys of the token.';
grant execute on function walltrack.resolve_chain_finding(bigint, text, text) to service_role;
