-- prepared_plans_on_the_hot_path
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

-- Every delivery calls these: as PL/pgSQL their plans are prepared once per session,
-- where an SQL function's body is planned again at each call.

create or replace function walltrack.tokens_awaiting_lookup(mints text[])
returns text[]
language plpgsql
stable
set search_path = ''
as $$
-- Tokens whose facts a lookup is fetching right now (claimed, still due): deciding a buy
-- of one before that lookup ends would refuse it as token_not_checked, where waiting a
-- moment judges it on its facts. PL/pgSQL for its prepared plan: every delivery asks.
begin
  return (
    select coalesce(array_agg(t.mint order by t.mint), '{}')
    from walltrack.tokens as t
    cross join walltrack.config as c
    where
      t.mint = any(mints)
      and t.lookup_claimed_until > now()
      and cardinality(walltrack.token_sources_due(t, c)) > 0
  );
end;
$$;

comment on function walltrack.tokens_awaiting_lookup(text[]) is
'The given tokens whose lookup is claimed and not finished.';

create or replace function walltrack.insert_signals(transactions jsonb)
returns bigint[]
language plpgsql
set search_path = ''
as $$
-- Every swap of a watched wallet in normalised transactions, as a signal (a re-delivery
-- changes nothing); a failed transaction as one signal per watched account. The new ids.
-- PL/pgSQL, not SQL: its plan is prepared once per session, not at every delivery.
declare
  new_ids bigint[];
begin
  with tx as (
    select
      t.value as body,
      t.value ->> 'signature' as signature,
      (t.value ->> 'slot')::bigint as slot,
      to_timestamp((t.value ->> 'timestamp')::bigint) as block_time,
      t.value ->> 'source' as source,
      t.value ->> 'tx_error' as tx_error
    from jsonb_array_elements(transactions) as t
  ),

  swap_rows as (
    select
      tx.*, s.value ->> 'wallet' as wallet, (s.value ->> 'side')::walltrack.trade_side as side,
      s.value ->> 'token_mint' as token_mint, (s.value ->> 'token_amount')::numeric as token_amount,
      (s.value ->> 'token_decimals')::smallint as token_decimals,
      s.value ->> 'quote_mint' as quote_mint, (s.value ->> 'quote_amount')::numeric as quote_amount,
      (s.value ->> 'quote_decimals')::smallint as quote_decimals
    from tx
    cross join lateral jsonb_array_elements(coalesce(tx.body -> 'swaps', '[]')) as s
    where tx.tx_error is null
    union all
    select
      tx.*, a.value #>> '{}', null, null, null, null, null, null, null
    from tx
    cross join lateral jsonb_array_elements(coalesce(tx.body -> 'accounts', '[]')) as a
    where tx.tx_error is not null
  ),

  inserted as (
    insert into walltrack.signals (
      signature, slot, block_time, wallet_id, source, side, token_mint, token_amount,
      token_decimals, quote_mint, quote_amount, quote_decimals, price_sol, tx_error, raw
    )
    select
      r.signature, r.slot, r.block_time, w.id, r.source, r.side, r.token_mint, r.token_amount,
      r.token_decimals, r.quote_mint, r.quote_amount, r.quote_decimals,
      case
        when r.quote_mint = 'So11111111111111111111111111111111111111112'
          then round(r.quote_amount / 1e9 / (r.token_amount / 10::numeric ^ r.token_decimals), 18)
      end,
      r.tx_error, r.body -> 'raw'
    from swap_rows as r
    inner join walltrack.wallets as w on r.wallet = w.address
    on conflict on constraint signals_dedupe do nothing
    returning id
  )

  select coalesce(array_agg(i.id), '{}') into new_ids from inserted as i;
  return new_ids;
end;
$$;
create or replace function walltrack.decision_report(decided_ids bigint[])
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
-- What the caller acts on: each decision, in decision order, and the live orders they
-- created (to execute at once). PL/pgSQL for its prepared plan, as insert_signals.
begin
  return jsonb_build_object(
    'decisions', (
      select coalesce(jsonb_agg(jsonb_build_object(
        'signal_id', s.id, 'signature', s.signature, 'token_mint', s.token_mint,
        'decision', s.decision, 'reason', s.decision_reason, 'order_id', s.order_id
      ) order by d.ordinality), '[]')
      from unnest(decided_ids) with ordinality as d(signal_id, ordinality)
      inner join walltrack.signals as s on s.id = d.signal_id
    ),
    'live_orders', (
      select coalesce(jsonb_agg(o.id order by o.id), '[]')
      from walltrack.orders as o
      where o.signal_id = any(decided_ids) and o.mode = 'live' and o.status = 'pending'
    )
  );
end;
$$;
