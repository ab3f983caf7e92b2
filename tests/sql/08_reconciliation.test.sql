-- Chain reconciliation: the trading key's token accounts against the open live positions,
-- with hand-set amounts. Match, phantom, deficit, excess; Token-2022 accounts summed with
-- the others; tokens in flight not compared; one open finding per token; a phantom or
-- deficit blocks new live buys (not paper ones, not exits) until an operator resolves it.
begin;
select plan(39);

update walltrack.config set live_trading_enabled = true, max_open_positions = 1000000,
  max_total_exposure_sol = 1000000, max_positions_per_token = 1000000;

create temporary table fx as
select tests.new_wallet('reconciled live') as live_id, tests.new_wallet('reconciled paper') as paper_id;
update walltrack.wallets set mode = 'live', position_size_sol = 0.1, copy_sells = true
where id = (select live_id from fx);

create function pg_temp.mint(seed text) returns text language sql as $$
  select rpad('Rc' || seed, 44, '1');
$$;
create function pg_temp.address(wallet_id bigint) returns text language sql as $$
  select w.address from walltrack.wallets as w where w.id = wallet_id;
$$;

-- An open live position holding qty atomic units: the leader's buy copied, the order sent
-- and confirmed from the chain's view.
create function pg_temp.hold(seed text, qty numeric) returns bigint language plpgsql as $$
declare
  order_id bigint;
begin
  perform tests.safe_token(pg_temp.mint(seed));
  order_id := (api.ingest_swaps(jsonb_build_array(tests.swap_tx('rc-hold-' || seed,
    pg_temp.address((select live_id from fx)), 'buy', pg_temp.mint(seed), 1000000000,
    1000000000))) #>> '{live_orders,0}')::bigint;
  perform api.claim_orders('rc-worker', array[order_id]);
  perform api.record_signed(order_id, 'rc-worker', tests.signature('rc-hold-' || seed),
    280000150, qty, qty, 0, null);
  perform api.record_fill(order_id, tests.signature('rc-hold-' || seed), 100000000, qty, 5000);
  return order_id;
end;
$$;

-- A token account as getTokenAccountsByOwner lists it (jsonParsed, reduced to its facts).
create function pg_temp.account(
  seed text, amount text, program text default 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA',
  n integer default 1
) returns jsonb language sql as $$
  select jsonb_build_object('account', rpad('Acct' || translate(seed, 'OIl', 'abc') || n, 44, '1'),
    'mint', case when seed = 'wSOL' then 'So11111111111111111111111111111111111111112'
      else pg_temp.mint(seed) end,
    'amount', amount, 'decimals', 6, 'program', program);
$$;

-- A run whose chain read started after every fill above.
create function pg_temp.run(accounts jsonb) returns jsonb language sql as $$
  select api.reconcile_wallet('RcKeyhaver111111111111111111111111111111111', accounts,
    5000000000, now() + interval '1 second');
$$;

-- The key's accounts in the runs after the first: the phantom's and the deficit's amounts
-- vary, the others stay as the positions hold them (the stray token still there).
create function pg_temp.chain(phantom text, deficit text) returns jsonb language sql as $$
  select jsonb_build_array(
    pg_temp.account('Match', '1000'), pg_temp.account('Phantom', phantom),
    pg_temp.account('Deficit', deficit), pg_temp.account('Excess', '150'),
    pg_temp.account('Stray', '7'),
    pg_temp.account('Twentytwo', '500', 'TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb'),
    pg_temp.account('Recent', '900'));
$$;

create function pg_temp.findings() returns text[] language sql as $$
  select coalesce(array_agg(
    replace(rtrim(f.token_mint, '1'), 'Rc', '') || ':' || f.kind || ':' || f.db_amount || '/'
    || f.chain_amount order by f.token_mint), '{}')
  from walltrack.chain_findings as f
  where f.token_mint like 'Rc%' and f.resolved_at is null;
$$;

create function pg_temp.buy(seed text, wallet_id bigint, sig text) returns text
language sql as $$
  select api.ingest_swaps(jsonb_build_array(tests.swap_tx(sig,
    pg_temp.address(wallet_id), 'buy', pg_temp.mint(seed), 1000000000, 1000000000)))
    #>> '{decisions,0,reason}';
$$;

select pg_temp.hold('Match', 1000);
select pg_temp.hold('Phantom', 2000);
select pg_temp.hold('Deficit', 3000);
select pg_temp.hold('Excess', 100);
select pg_temp.hold('Twentytwo', 500);
-- A token whose sale is in flight: the chain may be ahead of the database or behind it.
create temporary table flight as select pg_temp.hold('Transit', 4000) as entry_id;
insert into flight (entry_id)
select walltrack.place_order(
  position_id => o.position_id, signal_id => null::bigint, side => 'sell', reason => 'manual',
  mode => 'live', token_mint => pg_temp.mint('Transit'), amount_in => 4000,
  idempotency_key => 'rc-transit-sell', cfg => c, token_decimals => 6::smallint,
  reference_price_sol => null::numeric
)
from walltrack.orders as o, walltrack.config as c
where o.id = (select entry_id from flight);
select api.claim_orders('rc-worker', array[(select max(entry_id) from flight)]);
select api.record_signed((select max(entry_id) from flight), 'rc-worker',
  tests.signature('rc-transit-sell'), 280000150, 400000, 400000, 0, null);

create temporary table positions_before as
select p.id, p.status, p.qty_bought, p.qty_sold from walltrack.positions as p
where p.token_mint like 'Rc%';

create temporary table first_run as
select pg_temp.run(jsonb_build_array(
  pg_temp.account('Match', '1000'),
  pg_temp.account('Phantom', '0'),
  pg_temp.account('Deficit', '1000'),
  pg_temp.account('Excess', '150'),
  pg_temp.account('Stray', '7'),
  pg_temp.account('Twentytwo', '200', 'TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb', 1),
  pg_temp.account('Twentytwo', '300', 'TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb', 2),
  pg_temp.account('wSOL', '5000')
)) as report;

select is(
  pg_temp.findings(),
  array['Deficit:deficit:3000/1000', 'Excess:excess:100/150', 'Phantom:phantom:2000/0',
    'Stray:excess:0/7'],
  'each mismatch is one finding with both amounts: phantom, deficit, excess (also of a token '
  || 'no position holds)'
);
select ok(
  not exists (select from walltrack.chain_findings where token_mint = pg_temp.mint('Match')),
  'a token the chain holds exactly as the positions do is a match: no finding'
);
select ok(
  not exists (select from walltrack.chain_findings where token_mint = pg_temp.mint('Twentytwo')),
  'Token-2022 accounts count, each account of a mint summed (200 + 300 = 500): a match'
);
select ok(
  not exists (
    select from walltrack.chain_findings
    where token_mint = 'So11111111111111111111111111111111111111112'
  ),
  'wSOL is SOL, not a token position: never a finding'
);
select ok(
  (select report -> 'in_flight' ? pg_temp.mint('Transit') from first_run)
  and not exists (select from walltrack.chain_findings where token_mint = pg_temp.mint('Transit')),
  'a token with a submitted order is in flight: not compared, no false alarm'
);
select is(
  (select sol_balance_lamports from walltrack.chain_findings
   where token_mint = pg_temp.mint('Phantom') and resolved_at is null),
  5000000000::bigint, 'a finding keeps the SOL balance the run saw'
);
select is(
  (select jsonb_agg(f ->> 'kind' order by f ->> 'token_mint') from first_run,
     jsonb_array_elements(report -> 'findings') as f
   where f ->> 'token_mint' like 'Rc%'),
  '["deficit", "excess", "phantom", "excess"]'::jsonb, 'the run reports its findings'
);
select set_eq(
  $$ select p.id, p.status, p.qty_bought, p.qty_sold from walltrack.positions as p
     where p.token_mint like 'Rc%' $$,
  $$ select * from positions_before $$,
  'findings are never fixes: no position changed'
);

-- A token confirmed since the read began may have landed after it: in flight too.
select pg_temp.hold('Recent', 900);
select ok(
  (api.reconcile_wallet('RcKeyhaver111111111111111111111111111111111', '[]', 1, now())
    -> 'in_flight') ? pg_temp.mint('Recent')
  and not exists (select from walltrack.chain_findings where token_mint = pg_temp.mint('Recent')),
  'a fill confirmed after the chain read started is in flight: not compared'
);

-- The same mismatches seen again.
create temporary table same_again as
select pg_temp.run(pg_temp.chain('0', '1000')) as report;
select is(
  (select count(*)::integer from walltrack.chain_findings where token_mint like 'Rc%'), 4,
  'a repeated run does not pile up rows: one finding per token'
);
select is(
  (select times_seen || '/' || (last_seen_at >= first_seen_at)::text
   from walltrack.chain_findings where token_mint = pg_temp.mint('Phantom')),
  '2/true', 'it counts the runs that saw it and when it was last seen'
);

-- The phantom gets part of its tokens back: the same finding, now a deficit.
create temporary table phantom_id as
select id from walltrack.chain_findings where token_mint = pg_temp.mint('Phantom');
select pg_temp.run(pg_temp.chain('500', '1000'));
select is(
  (select id || ':' || kind || ':' || chain_amount from walltrack.chain_findings
   where token_mint = pg_temp.mint('Phantom') and resolved_at is null),
  (select id from phantom_id) || ':deficit:500',
  'a changed mismatch updates the token''s open finding (phantom -> deficit)'
);

-- The deficit's tokens come back: noted, still blocking until resolved.
select pg_temp.run(pg_temp.chain('500', '3000'));
select ok(
  (select cleared_at is not null and resolved_at is null from walltrack.chain_findings
   where token_mint = pg_temp.mint('Deficit')),
  'a mismatch that disappears is noted cleared, and stays open'
);
select is(walltrack.reconciliation_gate(pg_temp.mint('Deficit')), 'chain_mismatch',
  'a cleared deficit still blocks until an operator resolves it');
select is(walltrack.reconciliation_gate(pg_temp.mint('Excess')), null,
  'an excess blocks nothing: no position is at risk');

-- The block on the copy decisions.
select is(pg_temp.buy('Phantom', (select live_id from fx), 'rc-live-buy-1'), 'chain_mismatch',
  'a new live buy of a token with a phantom or deficit is refused: chain_mismatch');
select is(pg_temp.buy('Phantom', (select paper_id from fx), 'rc-paper-buy-1'), 'copied',
  'a paper copy of the same token is not affected');
select is(
  (select jsonb_agg(d ->> 'reason' order by d ->> 'signature')
   from jsonb_array_elements(api.ingest_swaps(jsonb_build_array(
     tests.swap_tx('rc-batch-a', pg_temp.address((select live_id from fx)), 'buy',
       pg_temp.mint('Deficit'), 1000000000, 1000000000),
     tests.swap_tx('rc-batch-b', pg_temp.address((select paper_id from fx)), 'buy',
       pg_temp.mint('Deficit'), 1000000000, 1000000000, 1)
   )) -> 'decisions') as d),
  '["chain_mismatch", "copied"]'::jsonb,
  'in one batch, the gate read once: the live buy refused, the paper one copied'
);
select is(pg_temp.buy('Excess', (select live_id from fx), 'rc-live-buy-excess'), 'copied',
  'a live buy of a token with an excess is copied');
select is(
  api.ingest_swaps(jsonb_build_array(tests.swap_tx('rc-leader-sells',
    pg_temp.address((select live_id from fx)), 'sell', pg_temp.mint('Phantom'), 1000000000,
    1000000000, 2))) #>> '{decisions,0,reason}',
  'mirror_sell', 'exits keep running: the leader''s sell is mirrored'
);

-- Resolving: the operator's name and a note, nothing less.
select throws_ok(
  format($$ select api.resolve_chain_finding(%s, 'alice', '  ') $$, (select id from phantom_id)),
  '23514',
  'resolving a chain finding names the operator (not system) and says what was done in a note',
  'resolving without a note is refused, saying what is missing'
);
select throws_ok(
  format($$ select api.resolve_chain_finding(%s, null, 'moved back') $$,
    (select id from phantom_id)),
  '23514',
  'resolving a chain finding names the operator (not system) and says what was done in a note',
  'so is resolving without an operator'
);
select throws_like(
  format($$ update walltrack.chain_findings set resolution_note = 'looked at it' where id = %s $$,
    (select id from phantom_id)),
  '%names the operator (not system) and says what was done in a note%',
  'a Studio edit with a note but no operator is refused'
);
select throws_like(
  format($$ update walltrack.chain_findings set chain_amount = 2000 where id = %s $$,
    (select id from phantom_id)),
  '%what reconciliation saw (token, amounts, times) is not edited%',
  'what the chain showed cannot be edited away'
);
select throws_like(
  $$ insert into walltrack.chain_findings (token_mint, owner, kind, db_amount, chain_amount,
       sol_balance_lamports) values ('RcHand111111111111111111111111111111111111', 'RcKeyhaver111111111111111111111111111111111', 'phantom', 1, 0, 0) $$,
  '%recorded by reconciliation%', 'findings are not typed in by hand'
);
select throws_like(
  format($$ delete from walltrack.chain_findings where id = %s $$, (select id from phantom_id)),
  'chain_findings rows are permanent: delete is refused', 'findings are never deleted'
);
select throws_ok(
  $$ truncate walltrack.chain_findings $$, '23001',
  'chain_findings rows are permanent: truncate is refused', 'nor truncated'
);
select is(
  api.resolve_chain_finding((select id from phantom_id), 'alice',
    'tokens were moved to the cold wallet; position to be closed by hand') ->> 'resolved_by',
  'alice', 'the operator resolves it with their name and a note'
);
select ok(
  (select resolved_at = now() from walltrack.chain_findings where id = (select id from phantom_id)),
  'the database stamps when'
);
select is(walltrack.reconciliation_gate(pg_temp.mint('Phantom')), null, 'the block is lifted');
select is(pg_temp.buy('Phantom', (select live_id from fx), 'rc-live-buy-2'), 'copied',
  'and live buys of the token are copied again');
select throws_like(
  format($$ select api.resolve_chain_finding(%s, 'bob', 'again') $$, (select id from phantom_id)),
  '%was resolved by alice%: a resolution is final%', 'a resolution is final'
);

-- The mismatch the operator resolved, seen again, is not raised again; a new one is.
select pg_temp.run(pg_temp.chain('500', '3000'));
select ok(
  not exists (
    select from walltrack.chain_findings
    where token_mint = pg_temp.mint('Phantom') and resolved_at is null
  ),
  'exactly the mismatch an operator resolved is not raised again'
);
select pg_temp.run(pg_temp.chain('100', '3000'));
select is(
  (select kind || ':' || chain_amount || ':' || (id > (select id from phantom_id))::text
   from walltrack.chain_findings where token_mint = pg_temp.mint('Phantom') and resolved_at is null),
  'deficit:100:true', 'a different mismatch opens a new finding'
);

select throws_ok(
  $$ select pg_temp.run('[{"mint": "RcBad1111111111111111111111111111111111111", "amount": 5, "decimals": 6}]') $$,
  '22023',
  'reconcile_wallet expects a JSON array of token accounts {mint, amount, decimals}: mint a '
  || 'base58 address, amount a string of atomic units, decimals a number',
  'a malformed holding list is refused, nothing written'
);

-- What the operator reads.
select is(
  (select state || ':' || blocks_live_buys || ':' || difference || ':' || wallet_labels
   from walltrack.chain_finding_list where token_mint = pg_temp.mint('Deficit')),
  'cleared:true:-2000:reconciled live',
  'chain_finding_list: the state, the block, the last difference seen and the leaders '
  || 'holding it'
);
select is(
  (select count(*)::integer from walltrack.chain_finding_list where token_mint like 'Rc%'), 4,
  'it lists the findings not resolved'
);
select api.refresh_performance();
select is(
  (select array_agg(distinct open_chain_findings) from walltrack.scoreboard
   where wallet_id = (select live_id from fx)),
  array[3::bigint],
  'the scoreboard counts the open findings on the wallet''s live tokens (the new deficit, the '
  || 'cleared one, the excess), not the stray token no position holds'
);
select is(
  (select array_agg(distinct open_chain_findings) from walltrack.scoreboard
   where wallet_id = (select paper_id from fx)),
  array[0::bigint], 'and none for a paper wallet'
);

select * from finish();
rollback;
