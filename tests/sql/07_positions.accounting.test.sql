-- A copied buy and two mirrored sells, hand-computed (config: 0.1 SOL fixed size, 50 bps
-- simulated slippage, 15,000 lamports simulated fee; token with 6 decimals).
begin;
select plan(17);

select tests.safe_token('MintAcc111111111111111111111111111111111111');
create temporary table w as
select id, address from walltrack.wallets where label = 'whale-alpha';

-- Leader buys 2,000 tokens for 1 SOL: price 0.0005 SOL per token.
select api.ingest_swaps(jsonb_build_array(tests.swap_tx(
  'buy', (select address from w), 'buy', 'MintAcc111111111111111111111111111111111111',
  2000000000, 1000000000
)));
create temporary table pos as
select p.* from walltrack.positions as p where p.wallet_id = (select id from w);

select is((select count(*) from pos), 1::bigint, 'the copy opened one position');
select is(
  (select filled_out from walltrack.orders where position_id = (select id from pos)),
  199004975::numeric,
  'bought floor(0.1 SOL / (0.0005 x 1.005) x 10^6) = 199004975 atomic units'
);
select is(
  (select fill_price_sol from walltrack.orders where position_id = (select id from pos)),
  0.000502500000000000, 'the fill price is the leader''s price made 50 bps worse'
);
select results_eq(
  $$ select status::text, qty_bought, cost_basis_sol, avg_entry_price_sol, unrealized_pnl_sol
     from walltrack.positions where id = (select id from pos) $$,
  $$ values ('open', 199004975::numeric, 0.100015::numeric, 0.000502575375314110::numeric,
       -0.000015000::numeric) $$,
  'entry: cost basis includes the fee; average entry = cost / tokens; unrealized = -fee'
);

-- Leader sells half (1,000 tokens) for 0.6 SOL: price 0.0006.
select api.ingest_swaps(jsonb_build_array(tests.swap_tx(
  'sell-half', (select address from w), 'sell', 'MintAcc111111111111111111111111111111111111',
  1000000000, 600000000, 60
)));
select is(
  (select amount_in from walltrack.orders where position_id = (select id from pos)
   and reason = 'mirror_sell' order by id limit 1),
  99502487::numeric, 'the mirror sells floor(half of 199004975) = 99502487'
);
select results_eq(
  $$ select status::text, qty_sold, proceeds_sol, realized_pnl_sol
     from walltrack.positions where id = (select id from pos) $$,
  $$ values ('open', 99502487::numeric, 0.059387984::numeric, 0.009380484::numeric) $$,
  'half sold at 0.000597: proceeds 0.059402984 - fee; realized = proceeds - 0.050007500 cost'
);
select is(
  (select avg_entry_price_sol from walltrack.positions where id = (select id from pos)),
  0.000502575375314110::numeric, 'a sell leaves the average entry price unchanged'
);
select is(
  (select walltrack.position_open_cost_sol(p) from walltrack.positions as p
   where p.id = (select id from pos)),
  0.050007500::numeric, 'the open cost is what the remaining half cost'
);

-- Leader sells the rest for 0.3 SOL: price 0.0003; we sell everything we hold.
select api.ingest_swaps(jsonb_build_array(tests.swap_tx(
  'sell-rest', (select address from w), 'sell', 'MintAcc111111111111111111111111111111111111',
  1000000000, 300000000, 120
)));
select results_eq(
  $$ select status::text, qty_sold, proceeds_sol, realized_pnl_sol, unrealized_pnl_sol,
       close_reason::text
     from walltrack.positions where id = (select id from pos) $$,
  $$ values ('closed', 199004975::numeric, 0.089074476::numeric, -0.010940524::numeric,
       0::numeric, 'mirror_sell') $$,
  'closed: realized = all proceeds net of fees - all cost = -0.010940524'
);
select ok(
  (select closed_at is not null from walltrack.positions where id = (select id from pos)),
  'the close time is recorded'
);

-- Direct writes of the money columns are refused, whoever tries.
select throws_ok(
  $$ update walltrack.positions set realized_pnl_sol = 100 where id = (select id from pos) $$,
  '23514', 'position money columns are kept by the order fills: they cannot be edited directly',
  'realized PnL cannot be edited'
);
select throws_ok(
  $$ update walltrack.positions set qty_bought = 1 where id = (select id from pos) $$,
  '23514', null, 'quantities cannot be edited'
);
select throws_ok(
  $$ insert into walltrack.positions (wallet_id, token_mint, token_decimals, mode, qty_bought)
     select id, 'MintAcc111111111111111111111111111111111111', 6, 'simulation', 5 from w $$,
  '23514', null, 'a position cannot be created with money already in it'
);

-- Dust: a sell that leaves less than config.position_dust_sol of cost closes the position
-- and writes the dust off.
select tests.safe_token('MintDust11111111111111111111111111111111111');
select api.ingest_swaps(jsonb_build_array(tests.swap_tx(
  'dust-buy', (select address from w), 'buy', 'MintDust11111111111111111111111111111111111',
  1000000000, 1000000000, 200
)));
select api.ingest_swaps(jsonb_build_array(tests.swap_tx(
  'dust-sell', (select address from w), 'sell', 'MintDust11111111111111111111111111111111111',
  999990000, 1000000000, 260
)));
select results_eq(
  $$ select status::text, qty_bought - qty_sold,
       realized_pnl_sol = proceeds_sol - cost_basis_sol
     from walltrack.positions
     where token_mint = 'MintDust11111111111111111111111111111111111' $$,
  $$ values ('closed', 0::numeric, true) $$,
  'a mirror that would leave dust sells everything; realized = proceeds - cost'
);

-- A live entry that fails before any fill fails its position.
update walltrack.wallets set mode = 'live' where label = 'scalper-beta';
update walltrack.config set live_trading_enabled = true;
select tests.safe_token('MintLive11111111111111111111111111111111111');
select api.ingest_swaps(jsonb_build_array(tests.swap_tx(
  'live-buy', (select address from walltrack.wallets where label = 'scalper-beta'), 'buy',
  'MintLive11111111111111111111111111111111111', 1000000, 500000000, 300
)));
select is(
  (select status::text from walltrack.positions
   where token_mint = 'MintLive11111111111111111111111111111111111'),
  'opening', 'a live entry stays opening until its order fills'
);
update walltrack.orders set status = 'failed', last_error = 'slippage exceeded'
where idempotency_key like 'signal:%:entry'
  and output_mint = 'MintLive11111111111111111111111111111111111';
select is(
  (select status::text from walltrack.positions
   where token_mint = 'MintLive11111111111111111111111111111111111'),
  'failed', 'an entry that fails without a fill fails the position'
);
select is(
  walltrack.open_exposure_sol(), 0::numeric,
  'closed and failed positions hold no exposure'
);

select * from finish();
rollback;
