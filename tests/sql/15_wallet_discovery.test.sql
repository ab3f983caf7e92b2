-- Wallet discovery: winners and their buyers, candidates' history pages, the average-cost
-- ledger against hand-computed histories, each flag, the ranking, promotion and baselines.
begin;
select plan(65);

-- A normalised transaction `ago` seconds before now (the ledger's period ends at now).
create function pg_temp.tx(
  seed text, wallet text, side text, mint text, tokens numeric, lamports numeric, ago integer
) returns jsonb language sql as $$
  select jsonb_set(
    tests.swap_tx(seed, wallet, side, mint, tokens, lamports), '{timestamp}',
    to_jsonb(floor(extract(epoch from now()))::bigint - ago));
$$;
create function pg_temp.addr(name text) returns text language sql as $$
  select rpad(name, 44, '1');
$$;
create function pg_temp.cid(name text) returns bigint language sql as $$
  select d.id from walltrack.discovery_candidates as d where d.address = rpad(name, 44, '1');
$$;
create function pg_temp.ledger(name text) returns walltrack.candidate_ledger language sql as $$
  select l.* from walltrack.candidate_ledger as l where l.candidate_id = pg_temp.cid(name);
$$;
create function pg_temp.flags(name text) returns text[] language sql as $$
  select f.flag_names from walltrack.candidate_flags as f where f.candidate_id = pg_temp.cid(name);
$$;

-- ---------------------------------------------------------------------------------------
-- Winners

select is(
  api.record_winners(jsonb_build_array(
    jsonb_build_object('mint', pg_temp.addr('WinA'), 'source', 'boost', 'ref',
      'token-boosts/top', 'price_change_h24_pct', 250, 'liquidity_usd', 50000,
      'volume_h24_usd', 500000, 'market_cap_usd', 900000, 'pair_created_at_ms', null),
    jsonb_build_object('mint', pg_temp.addr('WinB'), 'source', 'search', 'ref', 'sol',
      'price_change_h24_pct', 40, 'liquidity_usd', 50000, 'volume_h24_usd', 500000),
    jsonb_build_object('mint', pg_temp.addr('WinC'), 'source', 'search', 'ref', 'sol',
      'price_change_h24_pct', 300, 'liquidity_usd', null, 'volume_h24_usd', 500000),
    jsonb_build_object('mint', pg_temp.addr('WinD'), 'source', 'search', 'ref', 'sol',
      'price_change_h24_pct', 300, 'liquidity_usd', 50000, 'volume_h24_usd', 500000,
      'pair_created_at_ms', (extract(epoch from now() - interval '90 days') * 1000)::bigint),
    jsonb_build_object('mint', 'not a mint', 'source', 'boost', 'ref', 'x')
  )),
  jsonb_build_object(
    'winners', jsonb_build_array(pg_temp.addr('WinA')), 'new_winners', 1,
    'rejected', jsonb_build_array(
      jsonb_build_object('mint', pg_temp.addr('WinB'), 'reason', 'price_change_below_min'),
      jsonb_build_object('mint', pg_temp.addr('WinC'), 'reason', 'liquidity_below_min'),
      jsonb_build_object('mint', pg_temp.addr('WinD'), 'reason', 'older_than_period'),
      jsonb_build_object('mint', 'not a mint', 'reason', 'invalid_mint')
    )
  ),
  'record_winners keeps the tokens that meet every threshold and says why the others fail'
);
select is(
  api.record_winners(jsonb_build_array(jsonb_build_object('mint', pg_temp.addr('WinA'),
    'source', 'boost', 'ref', 'token-boosts/top', 'price_change_h24_pct', 250,
    'liquidity_usd', 50000, 'volume_h24_usd', 500000))) -> 'new_winners',
  '0'::jsonb,
  'a winner is stored once'
);
select is(
  api.discovery_plan() -> 'winners',
  jsonb_build_array(jsonb_build_object('mint', pg_temp.addr('WinA'), 'before', null)),
  'the plan walks the winner''s mint history'
);

update walltrack.config set discovery_early_buyers = 2, discovery_min_size_buy_sol = 5;
select is(
  api.record_winner_page(pg_temp.addr('WinA'), jsonb_build_array(
    pg_temp.tx('w-late', pg_temp.addr('BuyLate'), 'buy', pg_temp.addr('WinA'), 10, 100000000, 100),
    pg_temp.tx('w-big', pg_temp.addr('BuyBig'), 'buy', pg_temp.addr('WinA'), 10, 6000000000, 200),
    pg_temp.tx('w-sell', pg_temp.addr('Seller'), 'sell', pg_temp.addr('WinA'), 10, 9000000000, 250),
    pg_temp.tx('w-other', pg_temp.addr('Other'), 'buy', pg_temp.addr('WinB'), 10, 9000000000, 260)
  ), tests.signature('w-other'), false),
  jsonb_build_object('new_candidates', 1, 'before', tests.signature('w-other')),
  'a size buyer of the winner (6 SOL of its own) is a candidate at once; sells and other mints '
  || 'are not buys of the winner'
);
-- A sell of the winner as Helius parses it: the seller signs (pays the fee) and the pool's
-- balances move the other way, which reads as the pool buying 9 SOL of the winner.
select is(
  api.record_winner_page(pg_temp.addr('WinA'), jsonb_build_array(
    jsonb_set(
      pg_temp.tx('w-pool', pg_temp.addr('Seller2'), 'sell', pg_temp.addr('WinA'), 10,
        9000000000, 150),
      '{swaps}',
      pg_temp.tx('w-pool', pg_temp.addr('Seller2'), 'sell', pg_temp.addr('WinA'), 10,
        9000000000, 150) -> 'swaps'
      || (pg_temp.tx('w-pool', pg_temp.addr('PoolP'), 'buy', pg_temp.addr('WinA'), 10,
        9000000000, 150) -> 'swaps')
    )
  ), tests.signature('w-pool'), false) -> 'new_candidates',
  '0'::jsonb,
  'a pool''s side of a sell is no size buyer: only the transaction''s signer trades'
);
select is(
  (select count(*) from walltrack.discovery_winner_buys as b where b.buyer = pg_temp.addr('PoolP')),
  0::bigint, 'nor is it stored as a buy of the winner (so never an early buyer)'
);
select is(
  api.record_winner_page(pg_temp.addr('WinA'), jsonb_build_array(
    pg_temp.tx('w-first', pg_temp.addr('BuyFirst'), 'buy', pg_temp.addr('WinA'), 10, 100000000,
      900),
    pg_temp.tx('w-second', pg_temp.addr('BuySecond'), 'buy', pg_temp.addr('WinA'), 10,
      100000000, 800)
  ), tests.signature('w-first'), true) || api.record_winner_page(pg_temp.addr('WinA'),
    '[]'::jsonb, null, true) - 'new_candidates',
  jsonb_build_object('new_candidates', 2, 'before', null),
  'when the walk completes, the first buyers by block time become candidates (2 here)'
);
select results_eq(
  $$ select d.address::text, d.source::text, d.status::text
     from walltrack.discovery_candidates as d order by d.id $$,
  $$ values (pg_temp.addr('BuyBig'), 'size_buyer', 'new'),
       (pg_temp.addr('BuyFirst'), 'early_buyer', 'new'),
       (pg_temp.addr('BuySecond'), 'early_buyer', 'new') $$,
  'size and early buyers are candidates, once each, unread'
);

-- ---------------------------------------------------------------------------------------
-- Operators' candidates

select throws_ok(
  $$ select api.submit_candidates(array[pg_temp.addr('CandQ'), 'O0Il'], 'tip') $$,
  '23514', 'not Solana addresses (32 to 44 base58 characters): O0Il',
  'an invalid address refuses the whole submission'
);
select is(
  api.submit_candidates(array[
    pg_temp.addr('CandA'), pg_temp.addr('CandB'), pg_temp.addr('CandC'), pg_temp.addr('CandD'),
    pg_temp.addr('CandF'), pg_temp.addr('CandG'), pg_temp.addr('BuyBig')
  ], 'from a friend'),
  jsonb_build_object('submitted', 6, 'already_watched', '[]'::jsonb, 'already_candidates', 1),
  'submitted addresses become operator candidates; an existing candidate is not added twice'
);

-- ---------------------------------------------------------------------------------------
-- Candidates' histories. A: a patient trader with partial sells, a loss, a token sold never
-- bought, a sale beyond its holding, dust and an open token.
select is(
  api.record_candidate_page(pg_temp.addr('CandA'), jsonb_build_array(
    -- T1: buy 1000 for 1, buy 1000 for 3 (2000 held, cost 4); sell 500 for 2 (basis 1,
    -- +1); buy 500 for 1 (2000 held, cost 4); sell 2000 for 6 (basis 4, +2). +3 on cost 5.
    pg_temp.tx('a1', pg_temp.addr('CandA'), 'buy', pg_temp.addr('TokT1'), 1000, 1000000000,
      10 * 86400),
    pg_temp.tx('a2', pg_temp.addr('CandA'), 'buy', pg_temp.addr('TokT1'), 1000, 3000000000,
      9 * 86400),
    pg_temp.tx('a3', pg_temp.addr('CandA'), 'sell', pg_temp.addr('TokT1'), 500, 2000000000,
      8 * 86400),
    pg_temp.tx('a4', pg_temp.addr('CandA'), 'buy', pg_temp.addr('TokT1'), 500, 1000000000,
      7 * 86400),
    pg_temp.tx('a5', pg_temp.addr('CandA'), 'sell', pg_temp.addr('TokT1'), 2000, 6000000000,
      6 * 86400),
    -- T2: buy 1000 for 2, sell all for 1: -1 on cost 2, held a day.
    pg_temp.tx('a6', pg_temp.addr('CandA'), 'buy', pg_temp.addr('TokT2'), 1000, 2000000000,
      5 * 86400),
    pg_temp.tx('a7', pg_temp.addr('CandA'), 'sell', pg_temp.addr('TokT2'), 1000, 1000000000,
      4 * 86400),
    -- T3: sold, never bought: 0.5 SOL that is no profit.
    pg_temp.tx('a8', pg_temp.addr('CandA'), 'sell', pg_temp.addr('TokT3'), 100, 500000000,
      3 * 86400),
    -- T4: dust both ways (under 0.005 SOL): not a trade, not a token traded.
    pg_temp.tx('a9', pg_temp.addr('CandA'), 'buy', pg_temp.addr('TokT4'), 10, 1000000,
      2 * 86400),
    pg_temp.tx('a10', pg_temp.addr('CandA'), 'sell', pg_temp.addr('TokT4'), 10, 4000000,
      86400 + 600),
    -- T5: bought, still held: no trade.
    pg_temp.tx('a11', pg_temp.addr('CandA'), 'buy', pg_temp.addr('TokT5'), 100, 1000000000,
      86400),
    -- T6: buy 100 for 1, sell 150 for 3: 100 sold against cost (2 - 1 = +1), 50 never
    -- bought (1 SOL, no profit).
    pg_temp.tx('a12', pg_temp.addr('CandA'), 'buy', pg_temp.addr('TokT6'), 100, 1000000000,
      12 * 86400),
    pg_temp.tx('a13', pg_temp.addr('CandA'), 'sell', pg_temp.addr('TokT6'), 150, 3000000000,
      11 * 86400),
    -- Not the candidate's swap, a USDC quote, a failed transaction: ignored.
    pg_temp.tx('a14', pg_temp.addr('Someone'), 'buy', pg_temp.addr('TokT1'), 1, 9000000000,
      86400),
    jsonb_set(tests.swap_tx('a15', pg_temp.addr('CandA'), 'buy', pg_temp.addr('TokT7'), 1,
      5000000, 0, 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v'), '{timestamp}',
      to_jsonb(floor(extract(epoch from now()))::bigint - 100)),
    jsonb_set(pg_temp.tx('a16', pg_temp.addr('CandA'), 'buy', pg_temp.addr('TokT8'), 1,
      5000000000, 100), '{tx_error}', '"InstructionError"')
  ), tests.signature('a12'), false),
  jsonb_build_object('new_swaps', 13, 'before', tests.signature('a12'), 'complete', false),
  'a candidate''s own SOL-quoted successful swaps are stored; the read goes on'
);
select is(
  api.record_candidate_page(pg_temp.addr('CandA'), jsonb_build_array(
    pg_temp.tx('a1', pg_temp.addr('CandA'), 'buy', pg_temp.addr('TokT1'), 1000, 1000000000,
      10 * 86400),
    pg_temp.tx('a0', pg_temp.addr('CandA'), 'buy', pg_temp.addr('TokT9'), 1000, 1000000000,
      40 * 86400)
  ), tests.signature('a0'), false),
  jsonb_build_object('new_swaps', 1, 'before', null, 'complete', true),
  'a swap stored once; a page older than the period''s start completes the read'
);
select is(
  (select d.status::text from walltrack.discovery_candidates as d
   where d.id = pg_temp.cid('CandA')),
  'measured', 'a candidate whose read completed is measured'
);

select is(
  (select (l.trade_count, l.tokens_traded, l.wins, l.losses, l.win_rate_pct,
     l.realized_pnl_sol, l.profit_factor, l.expectancy_sol, l.expectancy_pct,
     l.avg_cost_per_trade_sol, l.median_hold_seconds, l.largest_win_sol,
     l.largest_win_share_pct, l.sold_never_bought_tokens, l.sold_never_bought_sol)::text
   from pg_temp.ledger('CandA') as l),
  (3::bigint, 5::bigint, 2::bigint, 1::bigint, 66.67, 3.000000000, 4.0000, 1.000000000, 36.67,
    2.666666667, 86400::numeric, 3.000000000, 100.00, 2::bigint, 1.500000000)::text,
  'A''s ledger: 3 trades (T1 +3, T2 -1, T6 +1), 5 tokens (dust excluded, the old T9 outside '
  || 'the period), win rate 66.67, PnL 3, profit factor 4, expectancy 1 SOL and 36.67 %, '
  || 'median hold a day, largest win 100 % of PnL, 2 tokens sold never bought for 1.5 SOL'
);
select results_eq(
  $$ select t.token_mint::text, t.realized_pnl_sol, t.cost_sold_sol, t.tokens_held, t.is_trade,
       t.hold_seconds::integer
     from walltrack.candidate_token_ledger as t where t.candidate_id = pg_temp.cid('CandA')
     order by t.token_mint $$,
  $$ values
       (pg_temp.addr('TokT1'), 3.000000000, 5.000000000, 0::numeric, true, 4 * 86400),
       (pg_temp.addr('TokT2'), -1.000000000, 2.000000000, 0::numeric, true, 86400),
       (pg_temp.addr('TokT3'), 0.000000000, 0.000000000, 0::numeric, false, null),
       (pg_temp.addr('TokT5'), 0.000000000, 0.000000000, 100::numeric, false, null),
       (pg_temp.addr('TokT6'), 1.000000000, 1.000000000, 0::numeric, true, 86400) $$,
  'per token: average cost across partial sells and re-buys; a sale beyond the holding counts '
  || 'only the part bought; dust is no token'
);
select is(
  pg_temp.flags('CandA'),
  array['sold_never_bought', 'single_token_profit', 'low_activity'],
  'A is flagged: tokens sold never bought, one token''s profit, too few trades'
);
select is(
  (select f.flags -> 0 -> 'evidence' -> 0 -> 'signatures' -> 0
   from walltrack.candidate_flags as f where f.candidate_id = pg_temp.cid('CandA')),
  to_jsonb(tests.signature('a12')),
  'the sold-never-bought flag names the token''s transactions as evidence (the largest first: '
  || 'T6, 1 SOL)'
);

-- B: a wallet with one trade.
select is(
  api.record_candidate_page(pg_temp.addr('CandB'), jsonb_build_array(
    pg_temp.tx('b2', pg_temp.addr('CandB'), 'sell', pg_temp.addr('TokB'), 1000, 1500000000,
      19 * 86400),
    pg_temp.tx('b1', pg_temp.addr('CandB'), 'buy', pg_temp.addr('TokB'), 1000, 1000000000,
      20 * 86400)
  ), tests.signature('b1'), true) -> 'complete',
  'true'::jsonb, 'the caller completes a read that reached the history''s start'
);
select is(
  (select (l.trade_count, l.win_rate_pct, l.realized_pnl_sol, l.profit_factor,
     l.expectancy_sol, l.expectancy_pct, l.median_hold_seconds, l.largest_win_share_pct)::text
   from pg_temp.ledger('CandB') as l),
  (1::bigint, 100.00, 0.500000000, null::numeric, 0.500000000, 50.00, 86400::numeric,
    100.00)::text,
  'one trade: win rate 100, PnL 0.5, no profit factor without a loss, expectancy 50 %'
);

-- C: a sniper: five tokens, each bought for 1 SOL and sold a minute later for 1.1.
select lives_ok(
  $$ select api.record_candidate_page(pg_temp.addr('CandC'), (
       select jsonb_agg(x.t) from (
         select pg_temp.tx('c-b' || i, pg_temp.addr('CandC'), 'buy', pg_temp.addr('TokC' || i),
           1000, 1000000000, (5 + i) * 86400) as t from generate_series(1, 5) as i
         union all
         select pg_temp.tx('c-s' || i, pg_temp.addr('CandC'), 'sell',
           pg_temp.addr('TokC' || i), 1000, 1100000000, (5 + i) * 86400 - 60)
         from generate_series(1, 5) as i
       ) as x), null, true) $$,
  'the sniper''s history is read'
);
select is(
  (select (l.trade_count, l.win_rate_pct, l.realized_pnl_sol, l.expectancy_pct,
     l.median_hold_seconds, l.largest_win_share_pct)::text from pg_temp.ledger('CandC') as l),
  (5::bigint, 100.00, 0.500000000, 10.00, 60::numeric, 20.00)::text,
  'C: 5 trades of +0.1, 10 % each, held a minute'
);
select is(pg_temp.flags('CandC'), array['sniper'],
  'C is a sniper: median hold 1 minute (under 5) over 5 closed tokens');
select is(
  (select f.flags -> 0 -> 'median_hold_seconds' from walltrack.candidate_flags as f
   where f.candidate_id = pg_temp.cid('CandC')),
  '60'::jsonb, 'the sniper flag shows the median hold'
);
update walltrack.config set discovery_win_rate_min_trades = 5, discovery_max_win_rate_pct = 90;
select is(pg_temp.flags('CandC'), array['sniper', 'suspicious_win_rate'],
  'a win rate of 100 % over 5 trades is suspicious once 5 trades are enough');
update walltrack.config set discovery_win_rate_min_trades = 20;

-- D: a bot: ten transactions within a minute, a fresh wallet.
select lives_ok(
  $$ select api.record_candidate_page(pg_temp.addr('CandD'), (
       select jsonb_agg(pg_temp.tx('d' || i, pg_temp.addr('CandD'), 'buy',
         pg_temp.addr('TokD' || chr(97 + i)), 10, 100000000,
         3600 + floor(extract(second from now()))::integer - i))
       from generate_series(0, 9) as i), null, true) $$,
  'the bot''s history is read'
);
select is(pg_temp.flags('CandD'), array['bot', 'fresh_wallet', 'low_activity'],
  'D: 10 transactions in one minute is a bot; its first swap an hour ago, a fresh wallet');
select is(
  (select (f.flags -> 0 ->> 'max_tx_per_minute', f.flags -> 0 ->> 'max_tokens_per_hour',
     jsonb_array_length(f.flags -> 0 -> 'signatures'))::text
   from walltrack.candidate_flags as f where f.candidate_id = pg_temp.cid('CandD')),
  ('10', '10', 3)::text, 'the bot flag''s evidence: the busiest minute and hour, signatures'
);
update walltrack.config set discovery_bot_max_tx_per_minute = 100,
  discovery_bot_max_tokens_per_hour = 10;
select is(pg_temp.flags('CandD'), array['bot', 'fresh_wallet', 'low_activity'],
  'ten tokens in one hour is a bot too');
update walltrack.config set discovery_bot_max_tx_per_minute = 10,
  discovery_bot_max_tokens_per_hour = 20;

-- W: a wash trader: one token bought for 2 SOL and sold for 2.01, six times over.
select lives_ok(
  $$ select api.submit_candidates(array[pg_temp.addr('WashW')], 'volume too good to be true');
     select api.record_candidate_page(pg_temp.addr('WashW'), (
       select jsonb_agg(x.t) from (
         select pg_temp.tx('w-b' || i, pg_temp.addr('WashW'), 'buy', pg_temp.addr('TokW'),
           1000, 2000000000, 10 * 86400 - 600 * i) as t from generate_series(1, 6) as i
         union all
         select pg_temp.tx('w-s' || i, pg_temp.addr('WashW'), 'sell', pg_temp.addr('TokW'),
           1000, 2010000000, 10 * 86400 - 600 * i - 60)
         from generate_series(1, 6) as i
       ) as x), null, true) $$,
  'the wash trader''s history is read'
);
select is(pg_temp.flags('WashW'), array['single_token_profit', 'wash_trading', 'low_activity'],
  'W churns one token six times for 0.06 SOL on 12 bought (0.5 %, within 1 %): wash trading');
select is(
  (select (w ->> 'token_mint', w ->> 'buys', w ->> 'sells', w ->> 'bought_sol',
     w ->> 'realized_pnl_sol', jsonb_array_length(w -> 'signatures'))::text
   from walltrack.candidate_flags as f
   cross join lateral jsonb_path_query(f.flags, '$[*] ? (@.flag == "wash_trading")') as w
   where f.candidate_id = pg_temp.cid('WashW')),
  (pg_temp.addr('TokW'), '6', '6', '12.000000000', '0.060000000', 3)::text,
  'the wash flag''s evidence: the token, its round trips, the SOL churned, the PnL, signatures'
);
update walltrack.config set discovery_wash_max_pnl_pct = 0.4;
select is(pg_temp.flags('WashW'), array['single_token_profit', 'low_activity'],
  'a PnL of 0.5 % of the SOL bought is no wash trading when the limit is 0.4 %');
update walltrack.config set discovery_wash_max_pnl_pct = 1;
-- The operator dismisses it: no rank (the ranking below is among the other candidates).
update walltrack.discovery_candidates set status = 'dismissed'
where address = pg_temp.addr('WashW');

-- F stays unread.
select is(
  api.record_candidate_page(pg_temp.addr('CandF'), jsonb_build_array(
    pg_temp.tx('f1', pg_temp.addr('CandF'), 'buy', pg_temp.addr('TokF'), 10, 100000000, 60)
  ), tests.signature('f1'), false),
  jsonb_build_object('new_swaps', 1, 'before', tests.signature('f1'), 'complete', false),
  'a recent page leaves the read open'
);
select is(
  (select jsonb_agg(c.value ->> 'address') from jsonb_array_elements(
     api.discovery_plan() -> 'candidates') as c where c.value ->> 'address' like 'Cand%'),
  jsonb_build_array(pg_temp.addr('CandF'), pg_temp.addr('CandG')),
  'the plan reads the candidates still new'
);

-- ---------------------------------------------------------------------------------------
-- Ranking: on expectancy after decay, flagged after unflagged

select is(
  (select (k.copy_decay_pct, k.is_default)::text from walltrack.discovery_copy_decay as k),
  (10::numeric, true)::text,
  'with no measured copy decay among watched wallets, the config default applies'
);
update walltrack.config set discovery_min_trades = 1, discovery_max_single_token_profit_pct = 1000,
  discovery_sold_never_bought_min_tokens = 100, discovery_sniper_min_closed_tokens = 100,
  discovery_fresh_wallet_days = 0, discovery_bot_max_tx_per_minute = 1000;
select results_eq(
  $$ select r.rank, r.address::text, r.expectancy_after_decay_pct, r.copy_expectancy_sol
     from walltrack.candidate_ranking as r where r.address like 'Cand%' order by r.rank, r.id $$,
  $$ values (1::bigint, pg_temp.addr('CandB'), 40.00, 0.040000000),
       (2::bigint, pg_temp.addr('CandA'), 26.67, 0.026670000),
       (3::bigint, pg_temp.addr('CandC'), 0.00, 0.000000000),
       (4::bigint, pg_temp.addr('CandD'), null, null),
       (null::bigint, pg_temp.addr('CandF'), null, null),
       (null::bigint, pg_temp.addr('CandG'), null, null) $$,
  'unflagged, candidates rank on expectancy % minus the 10-point decay (x 0.1 SOL a copy), '
  || 'not on win rate (C wins every trade); unread candidates have no rank'
);
update walltrack.config set discovery_min_trades = 5;
select results_eq(
  $$ select r.rank, r.address::text, cardinality(r.flag_names) > 0
     from walltrack.candidate_ranking as r where r.rank is not null and r.address like 'Cand%'
     order by r.rank $$,
  $$ values (1::bigint, pg_temp.addr('CandC'), false), (2::bigint, pg_temp.addr('CandB'), true),
       (3::bigint, pg_temp.addr('CandA'), true), (4::bigint, pg_temp.addr('CandD'), true) $$,
  'a flagged candidate (here: too few trades) ranks after every unflagged one'
);
select is(
  (select r.evidence_links[1] from walltrack.candidate_ranking as r where r.address = pg_temp.addr('CandB')),
  'https://solscan.io/tx/' || tests.signature('b1'),
  'the ranking links the trades'' transactions on Solscan'
);

-- ---------------------------------------------------------------------------------------
-- Promotion

select throws_ok(
  $$ update walltrack.discovery_candidates set status = 'promoted'
     where address = pg_temp.addr('CandF') $$,
  '23514', format('candidate %s is not measured (status new): only a measured candidate can '
    || 'be promoted', pg_temp.cid('CandF')),
  'an unmeasured candidate is not promoted'
);
select lives_ok(
  $$ update walltrack.discovery_candidates set status = 'promoted'
     where address = pg_temp.addr('CandB') $$,
  'one edit promotes a measured candidate'
);
select is(
  (select (w.status, w.mode, w.discovery_source, w.discovered_at = d.found_at,
     w.discovery_ref, w.baseline_win_rate_pct, w.baseline_pnl_sol, w.baseline_trade_count,
     w.baseline_period_days, w.discovery_metadata ->> 'expectancy_after_decay_pct')::text
   from walltrack.wallets as w
   inner join walltrack.discovery_candidates as d on d.wallet_id = w.id
   where d.address = pg_temp.addr('CandB')),
  ('active'::walltrack.wallet_status, 'simulation'::walltrack.trade_mode,
    'manual'::walltrack.discovery_source, true,
    format('discovery candidate %s (operator)', pg_temp.cid('CandB')), 100.00, 0.500000000, 1,
    30, '40.00')::text,
  'the wallet joins the watchlist in simulation, its baseline measured by the ledger'
);
select is(
  api.promote_candidate(pg_temp.cid('CandA'), 'ops') - 'promoted_at' - 'wallet_id',
  jsonb_build_object('candidate_id', pg_temp.cid('CandA'), 'address', pg_temp.addr('CandA'),
    'promoted_by', 'ops'),
  'api.promote_candidate promotes the same way'
);
select is(
  (select (w.baseline_win_rate_pct, w.baseline_pnl_sol, w.baseline_trade_count)::text
   from walltrack.wallets as w where w.address = pg_temp.addr('CandA')),
  (66.67, 3.000000000, 3)::text, 'A''s baseline: 66.67 %, 3 SOL over 3 trades'
);
select throws_ok(
  format('select api.promote_candidate(%s, %L)', pg_temp.cid('CandA'), 'ops'),
  '23514', format('candidate %s is already promoted to wallet %s', pg_temp.cid('CandA'),
    (select w.id from walltrack.wallets as w where w.address = pg_temp.addr('CandA'))),
  'a candidate is promoted once'
);
insert into walltrack.wallets (address, label) values (pg_temp.addr('CandC'), 'added by hand');
select throws_ok(
  format('select api.promote_candidate(%s, %L)', pg_temp.cid('CandC'), 'ops'),
  '23514', format('candidate %s: wallet %s is already on the watchlist', pg_temp.cid('CandC'),
    pg_temp.addr('CandC')),
  'a candidate already watched is not promoted again'
);
select throws_ok(
  $$ select api.promote_candidate(999999999, 'ops') $$,
  '23514', 'discovery candidate 999999999 does not exist', 'a missing candidate is named'
);
select throws_ok(
  $$ update walltrack.discovery_candidates set status = 'measured'
     where address = pg_temp.addr('CandB') $$,
  '23514', format('candidate %s is already promoted to wallet %s', pg_temp.cid('CandB'),
    (select w.id from walltrack.wallets as w where w.address = pg_temp.addr('CandB'))),
  'a promotion is not undone on the candidate'
);

-- Dismiss and restore; what operators cannot forge.
select lives_ok(
  $$ update walltrack.discovery_candidates set status = 'dismissed'
     where address = pg_temp.addr('CandD') $$, 'an operator dismisses a candidate'
);
select lives_ok(
  $$ update walltrack.discovery_candidates set status = 'measured'
     where address = pg_temp.addr('CandD') $$, 'and restores it'
);
select throws_ok(
  $$ update walltrack.discovery_candidates set history_complete = true, status = 'measured',
       measured_at = now() where address = pg_temp.addr('CandF') $$,
  '23514', format('candidate %s: its history read (cursor, complete, measured_at) and '
    || 'promotion are kept by wallet-discovery', pg_temp.cid('CandF')),
  'an operator cannot declare a history read'
);
select throws_ok(
  format($$ insert into walltrack.candidate_swaps (candidate_id, signature, block_time, side,
       token_mint, token_amount, sol_lamports)
     values (%s, %L, now(), 'sell', %L, 1, 99000000000) $$,
    pg_temp.cid('CandF'), tests.signature('forged'), pg_temp.addr('TokF')),
  '23514', 'candidate_swaps: a candidate''s swaps are read from its Helius history, never typed in',
  'a swap cannot be typed into a ledger'
);
select throws_ok(
  format($$ insert into walltrack.discovery_candidates (address, source, status)
     values (%L, 'operator', 'measured') $$, pg_temp.addr('CandZ')),
  '23514', format('candidate %s: a new candidate starts unread (status new, no cursor, not '
    || 'measured, not promoted)', pg_temp.addr('CandZ')),
  'an operator''s candidate starts unread'
);
select throws_ok(
  $$ delete from walltrack.discovery_candidates where address = pg_temp.addr('CandF') $$,
  '23001', 'discovery_candidates rows are permanent: delete is refused',
  'a candidate is dismissed, not deleted'
);

-- ---------------------------------------------------------------------------------------
-- Auto-promotion (off by default) and baselines from signals

select is(api.auto_promote_candidates() -> 'promoted', '[]'::jsonb, 'auto-promotion is off at 0');
-- G: unflagged (with the thresholds above), positive after decay.
select lives_ok(
  $$ select api.record_candidate_page(pg_temp.addr('CandG'), (
       select jsonb_agg(x.t) from (
         select pg_temp.tx('g-b' || i, pg_temp.addr('CandG'), 'buy', pg_temp.addr('TokG' || i),
           1000, 1000000000, (10 + i) * 86400) as t from generate_series(1, 5) as i
         union all
         select pg_temp.tx('g-s' || i, pg_temp.addr('CandG'), 'sell',
           pg_temp.addr('TokG' || i), 1000, 1500000000, (10 + i) * 86400 - 7200)
         from generate_series(1, 5) as i
       ) as x), null, true) $$,
  'a patient trader''s history is read'
);
update walltrack.config set discovery_auto_promote_top_n = 1;
select is(
  api.auto_promote_candidates() -> 'promoted', jsonb_build_array(pg_temp.cid('CandG')),
  'auto-promotion takes the top unflagged candidate, positive after decay'
);
select is(
  (select (w.mode, w.baseline_trade_count, w.baseline_pnl_sol)::text from walltrack.wallets as w
   where w.address = pg_temp.addr('CandG')),
  ('simulation'::walltrack.trade_mode, 5, 2.500000000)::text,
  'in simulation mode, with its baseline'
);
select is(api.auto_promote_candidates() -> 'promoted', '[]'::jsonb,
  'the top N counts those already promoted');

-- G's own signals, as WallTrack records them: a round trip of 1 SOL for 0.8, a day apart.
select lives_ok(
  $$ select api.ingest_swaps(jsonb_build_array(
       pg_temp.tx('g-sig-b', pg_temp.addr('CandG'), 'buy', pg_temp.addr('TokGs'), 1000,
         1000000000, 2 * 86400),
       pg_temp.tx('g-sig-s', pg_temp.addr('CandG'), 'sell', pg_temp.addr('TokGs'), 1000,
         800000000, 86400))) $$,
  'the promoted wallet trades'
);
select cmp_ok(walltrack.remeasure_baselines(), '>=', 1, 'baselines are re-measured');
select is(
  (select (w.baseline_win_rate_pct, w.baseline_pnl_sol, w.baseline_trade_count,
     w.baseline_period_days, w.discovery_metadata ->> 'baseline_source')::text
   from walltrack.wallets as w where w.address = pg_temp.addr('CandG')),
  (0.00, -0.200000000, 1, 2, 'signals')::text,
  'from its own signals: one losing trade of -0.2 SOL over the 2 days they cover'
);

-- Copyability: our copy delay per watched wallet, from its copied signals.
create temporary table copied_leader as select tests.new_wallet('copied leader') as id;
select tests.safe_token(rpad('MintCopy', 44, '1'));
update walltrack.config set max_copy_delay_seconds = null;
select api.ingest_swaps(jsonb_build_array(tests.swap_tx('cp-buy',
  (select w.address from walltrack.wallets as w where w.id = (select id from copied_leader)),
  'buy', rpad('MintCopy', 44, '1'), 1000000000, 100000000)));
select is(
  (select (k.copies, k.median_copy_delay_seconds
     = round(extract(epoch from s.decided_at - s.block_time)::numeric, 1))::text
   from walltrack.wallet_copyability as k
   inner join walltrack.signals as s on s.wallet_id = k.wallet_id
   where k.wallet_id = (select id from copied_leader)),
  (1::bigint, true)::text,
  'a watched wallet''s copy delay: the median of decided_at - block_time over its copies'
);
select is(
  (select (k.copy_decay_pct, k.is_default)::text from walltrack.discovery_copy_decay as k),
  (10::numeric, true)::text,
  'a copy without a compared round trip measures no decay: the default still applies'
);

-- The functions run as PostgREST calls them: service_role.
select jsonb_build_array(pg_temp.tx('sr-w', pg_temp.addr('BuySr'), 'buy', pg_temp.addr('WinA'),
  10, 7000000000, 30))::text as winner_page \gset
select jsonb_build_array(pg_temp.tx('sr-f', pg_temp.addr('CandF'), 'sell', pg_temp.addr('TokF'),
  10, 200000000, 30))::text as candidate_page \gset
select tests.act_as('service_role');
select is(
  api.record_winner_page(rpad('WinA', 44, '1'), :'winner_page'::jsonb, null, true)
  -> 'new_candidates',
  '1'::jsonb, 'service_role records a winner''s page (its buys, a new size buyer)'
);
select is(
  api.record_candidate_page(rpad('CandF', 44, '1'), :'candidate_page'::jsonb, null, true)
  -> 'new_swaps',
  '1'::jsonb, 'service_role records a candidate''s page'
);
select tests.act_as_operator();

select * from finish();
rollback;
