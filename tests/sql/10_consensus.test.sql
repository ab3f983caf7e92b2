-- Consensus entries: a strategy's wallets as a group; windows, weights, one position per
-- consensus, and the three exit rules. Each copy buys 1,000 tokens for 1 SOL (no simulated
-- slippage or fee); leaders trade 1 SOL, seconds apart in chain time unless said.
begin;
select plan(17);

update walltrack.config set sim_slippage_bps = 0, sim_fee_lamports = 0,
  max_open_positions = 1000, max_total_exposure_sol = 1000, max_positions_per_token = 5,
  breaker_max_consecutive_losses = 1000, leader_max_consecutive_losses = null,
  leader_max_baseline_gap_pct = null;
insert into walltrack.exit_strategies (name, description, stop_loss_pct, mirror_leader_sells,
  consensus_min_leaders, consensus_window_minutes)
values ('two agree', 'copy a token once two of its wallets bought it within 10 minutes', -50,
  true, 2, 10);
update walltrack.wallets set position_size_sol = 1, exit_strategy_id = (
  select id from walltrack.exit_strategies where name = 'two agree'
) where label in ('whale-alpha', 'scalper-beta', 'degen-gamma');

select tests.new_wallet('outsider');
update walltrack.wallets set position_size_sol = 1 where label = 'outsider';

create function pg_temp.address(label text) returns text language sql as $$
  select address from walltrack.wallets where wallets.label = address.label;
$$;

create function pg_temp.trade(seed text, label text, side text, mint text, seconds integer)
returns text language sql as $$
  select api.ingest_swaps(jsonb_build_array(tests.swap_tx(seed || label, pg_temp.address(label),
    side, rpad('Mint' || mint, 44, '1'), 1000000000, 1000000000, seconds)))
    #>> '{decisions,0,reason}';
$$;

create function pg_temp.leaders(seed text, label text) returns text language sql as $$
  -- the labels of the leaders a signal's consensus names, in order
  select string_agg(w.label, ' ' order by w.label)
  from walltrack.signals as s
  cross join lateral jsonb_array_elements(s.consensus -> 'leaders') as l
  inner join walltrack.wallets as w on w.id = (l.value ->> 'wallet_id')::bigint
  where s.signature = tests.signature(seed || label);
$$;

create function pg_temp.book(mint text) returns text language sql as $$
  select string_agg(w.label || ':' || p.status, ' ' order by p.id)
  from walltrack.positions as p inner join walltrack.wallets as w on w.id = p.wallet_id
  where p.token_mint = rpad('Mint' || mint, 44, '1');
$$;

select tests.safe_token(rpad('Mint' || m, 44, '1'))
from unnest(array['CA', 'CB', 'CC', 'CD', 'CE', 'CF']) as m;

-- Two of the group within the window: the second buy forms the consensus.
select is(pg_temp.trade('c1', 'whale-alpha', 'buy', 'CA', 0), 'awaiting_consensus',
  'one leader alone is not a consensus');
select is(
  (select consensus -> 'formed' from walltrack.signals
   where signature = tests.signature('c1whale-alpha')),
  'false', 'its decision records the leaders so far, and that they did not form it'
);
select is(pg_temp.trade('c1', 'scalper-beta', 'buy', 'CA', 60), 'copied',
  'a second leader of the group a minute later forms it: copied');
select is(pg_temp.leaders('c1', 'scalper-beta'), 'scalper-beta whale-alpha',
  'the copy records the two leaders who formed it');
select is(pg_temp.trade('c1', 'degen-gamma', 'buy', 'CA', 120), 'consensus_entered',
  'a third one adds nothing: one consensus, one position');
select is(pg_temp.book('CA'), 'scalper-beta:open', 'one position, the forming leader''s');

-- Outside the window, or outside the group, no consensus.
select pg_temp.trade('c2', 'whale-alpha', 'buy', 'CB', 0);
select is(pg_temp.trade('c2', 'scalper-beta', 'buy', 'CB', 601), 'awaiting_consensus',
  'a second buy 10 minutes and 1 second later is outside the window');
select is(pg_temp.trade('c2', 'outsider', 'buy', 'CC', 0), 'copied',
  'a wallet of another strategy is copied on its own');
select pg_temp.trade('c3', 'outsider', 'buy', 'CD', 0);
select is(pg_temp.trade('c3', 'whale-alpha', 'buy', 'CD', 5), 'awaiting_consensus',
  'and does not count towards the group''s consensus');

-- first_out (the default): any of its leaders selling sells the whole entry.
select is(pg_temp.trade('c4', 'whale-alpha', 'sell', 'CA', 200), 'mirror_sell',
  'the first of its leaders to sell mirrors out of the consensus entry');
select is(pg_temp.book('CA'), 'scalper-beta:closed', 'all of it, though it was not its copy');

-- majority_out: three leaders needed, two of three selling sell it.
update walltrack.exit_strategies set consensus_min_leaders = 3, consensus_exit = 'majority_out'
where name = 'two agree';
select pg_temp.trade('c5', 'whale-alpha', 'buy', 'CE', 0);
select pg_temp.trade('c5', 'scalper-beta', 'buy', 'CE', 1);
select is(pg_temp.trade('c5', 'degen-gamma', 'buy', 'CE', 2), 'copied', 'three of three form it');
select is(pg_temp.trade('c6', 'whale-alpha', 'sell', 'CE', 10), 'awaiting_majority',
  'one of three out is not a majority');
select is(pg_temp.trade('c6', 'degen-gamma', 'sell', 'CE', 20), 'mirror_sell',
  'two of three out is: the entry is sold');
select is(pg_temp.book('CE'), 'degen-gamma:closed', 'and closed');

-- none: only the strategy's exits.
update walltrack.exit_strategies set consensus_min_leaders = 2, consensus_exit = 'none'
where name = 'two agree';
select pg_temp.trade('c7', 'whale-alpha', 'buy', 'CF', 0);
select pg_temp.trade('c7', 'scalper-beta', 'buy', 'CF', 1);
select is(pg_temp.trade('c8', 'whale-alpha', 'sell', 'CF', 10), 'mirror_sells_off',
  'with exit none a leader''s sale is not followed');

-- Weighted: a leader of 100 % weighs 2, enough alone for a consensus of 2.
update walltrack.exit_strategies set consensus_weighted = true where name = 'two agree';
update walltrack.wallets set baseline_win_rate_pct = 100 where label = 'whale-alpha';
select tests.safe_token(rpad('MintCG', 44, '1'));
select is(pg_temp.trade('c9', 'whale-alpha', 'buy', 'CG', 0), 'copied',
  'weighted, a leader of weight 2 (no closed copy yet: its 100 % baseline / 50) forms it alone');

select * from finish();
rollback;
