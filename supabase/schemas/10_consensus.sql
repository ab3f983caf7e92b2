-- Consensus entries (issue 20): an exit strategy with consensus_min_leaders makes the wallets
-- following it a group. A buy by one of them is copied only once that many of the group
-- (or, weighted, that much of their weight) bought the token within consensus_window_minutes
-- of chain time; until then it is decided awaiting_consensus. The copy records which leaders
-- formed it (signals.consensus), one consensus makes one position (consensus_entered after),
-- and its mirror sells follow the strategy's consensus_exit (10_copy_decisions.sql).

create function walltrack.consensus_strategy(wallet walltrack.wallets)
returns walltrack.exit_strategies
language plpgsql
stable
set search_path = ''
as $$
-- The wallet's own strategy, else the default one, when it asks for a consensus; else null.
declare
  strategy walltrack.exit_strategies;
begin
  select s.* into strategy from walltrack.exit_strategies as s
  where s.id = wallet.exit_strategy_id or (wallet.exit_strategy_id is null and s.is_default)
  order by s.id = wallet.exit_strategy_id desc
  limit 1;
  return case when strategy.consensus_min_leaders is not null then strategy end;
end;
$$;
comment on function walltrack.consensus_strategy(walltrack.wallets) is
'The wallet''s effective exit strategy when it asks for a consensus (consensus_min_leaders), '
'else null.';
grant execute on function walltrack.consensus_strategy(walltrack.wallets) to service_role;

create function walltrack.consensus_for(
  signal walltrack.signals, strategy walltrack.exit_strategies
)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
-- The group's leaders who bought the signal's token within the window up to this buy
-- (itself included), each with its weight (1, or its win rate / 50 when weighted: over all
-- its closed copies, else its baseline, else 50 %), their total and whether it reaches
-- the strategy's consensus_min_leaders.
declare
  leaders jsonb;
  total numeric;
begin
  with buyers as (
    select distinct on (s.wallet_id) s.wallet_id, w.address,
      case when strategy.consensus_weighted then round(coalesce(
        (select 100.0 * count(*) filter (where p.realized_pnl_sol > 0) / nullif(count(*), 0)
         from walltrack.positions as p
         where p.wallet_id = s.wallet_id and p.status = 'closed'),
        w.baseline_win_rate_pct, 50) / 50, 4)
      else 1 end as weight
    from walltrack.signals as s
    inner join walltrack.wallets as w on s.wallet_id = w.id
    where s.token_mint = signal.token_mint and s.side = 'buy' and s.tx_error is null
      and w.status = 'active'
      and s.block_time >= signal.block_time
        - make_interval(mins => strategy.consensus_window_minutes)
      and (s.block_time, s.slot, s.id) <= (signal.block_time, signal.slot, signal.id)
      and coalesce(w.exit_strategy_id, (
        select d.id from walltrack.exit_strategies as d where d.is_default
      )) = strategy.id
    order by s.wallet_id
  )
  select
    coalesce(jsonb_agg(jsonb_build_object(
      'wallet_id', b.wallet_id, 'address', b.address, 'weight', b.weight
    ) order by b.wallet_id), '[]'),
    coalesce(sum(b.weight), 0)
  into leaders, total
  from buyers as b;
  return jsonb_build_object(
    'strategy', strategy.name,
    'leaders', leaders,
    'weight', total,
    'min_leaders', strategy.consensus_min_leaders,
    'window_minutes', strategy.consensus_window_minutes,
    'exit', strategy.consensus_exit,
    'formed', total >= strategy.consensus_min_leaders
  );
end;
$$;
comment on function walltrack.consensus_for(walltrack.signals, walltrack.exit_strategies) is
'The group''s leaders who bought the token within the strategy''s window up to this buy, with '
'their weights, and whether they form a consensus (JSON).';
grant execute on function walltrack.consensus_for(walltrack.signals, walltrack.exit_strategies)
to service_role;

create function walltrack.consensus_entered(token_mint text, strategy_name text)
returns boolean
language sql
stable
set search_path = ''
as $$
  -- An open position of the token that a consensus of this strategy's group formed.
  select exists (
    select from walltrack.positions as p
    inner join walltrack.signals as s on p.opened_from_signal_id = s.id
    where p.token_mint = consensus_entered.token_mint
      and p.status in ('opening', 'open', 'closing')
      and s.consensus ->> 'strategy' = consensus_entered.strategy_name
  );
$$;
comment on function walltrack.consensus_entered(text, text) is
'True while a position of the token formed by a consensus of this strategy''s group is open.';
grant execute on function walltrack.consensus_entered(text, text) to service_role;

create function walltrack.consensus_follows(
  pos walltrack.positions, consensus jsonb, signal walltrack.signals
)
returns text
language plpgsql
stable
set search_path = ''
as $$
-- Whether a consensus entry follows this leader's sale out, by its exit rule: 'all' (sell
-- everything), or the reason it does not: mirror_sells_off (none), awaiting_majority (not yet
-- more than half of its leaders sold since it opened).
declare
  leaders bigint[] := array(
    select (l.value ->> 'wallet_id')::bigint
    from jsonb_array_elements(consensus -> 'leaders') as l
  );
  sellers integer;
begin
  if consensus ->> 'exit' = 'none' then
    return 'mirror_sells_off';
  end if;
  if consensus ->> 'exit' = 'first_out' then
    return 'all';
  end if;
  select count(distinct s.wallet_id) into sellers
  from walltrack.signals as s
  where s.token_mint = pos.token_mint and s.side = 'sell' and s.tx_error is null
    and s.wallet_id = any(leaders)
    and (s.block_time, s.slot, s.id) <= (signal.block_time, signal.slot, signal.id)
    and s.id > pos.opened_from_signal_id;
  return case when sellers * 2 > cardinality(leaders) then 'all' else 'awaiting_majority' end;
end;
$$;
comment on function walltrack.consensus_follows(
  walltrack.positions, jsonb, walltrack.signals
) is
'all when a consensus entry follows this leader''s sale out (first_out, or most of its leaders '
'sold for majority_out), else the reason it does not.';
grant execute on function walltrack.consensus_follows(
  walltrack.positions, jsonb, walltrack.signals
) to service_role;
