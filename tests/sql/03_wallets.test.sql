begin;
select plan(13);

select throws_ok(
  $$ insert into walltrack.wallets (address) values ('0xDEADBEEF') $$, '23514',
  '"0xDEADBEEF" is not a Solana address: expected 32 to 44 base58 characters',
  'a non-base58 address is refused with what to fix'
);
select throws_ok(
  $$ insert into walltrack.wallets (address) values ('DemoWhaLe111111111111111111111111111111111lI') $$,
  '23514', null, 'an address with l or I (not base58) is refused'
);
select throws_ok(
  $$ insert into walltrack.wallets (address) values ('2uaLK4RYzFft54Mh6zScuQ8ZLyvtaAZ6e7A2QrKAg236') $$,
  '23514', 'wallet 2uaLK4RYzFft54Mh6zScuQ8ZLyvtaAZ6e7A2QrKAg236 is already on the watchlist',
  'the same address twice is refused'
);
select throws_ok(
  $$ insert into walltrack.wallets (address, position_size_sol)
     values ('FreshWa11et1111111111111111111111111111111', 0) $$,
  '23514',
  'wallets.position_size_sol must be above 0 SOL (got 0); leave it empty to use the config sizing',
  'a zero sizing override is refused'
);
select throws_ok(
  $$ delete from walltrack.wallets where label = 'whale-alpha' $$, '23001',
  'wallets rows are permanent: delete is refused', 'wallets are retired, never deleted'
);

update walltrack.exit_strategies set archived = true where name = 'mirror only';
select throws_ok(
  $$ update walltrack.wallets
     set exit_strategy_id = (select id from walltrack.exit_strategies where name = 'mirror only')
     where label = 'whale-alpha' $$,
  '23514', null, 'an archived exit strategy cannot be chosen'
);

select isnt(walltrack.active_wallets_hash(), md5(''), 'the hash covers the active wallets');
create temporary table hash_before as select walltrack.active_wallets_hash() as h;
update walltrack.wallets set label = 'renamed' where label = 'whale-alpha';
select is(
  walltrack.active_wallets_hash(), (select h from hash_before),
  'a label edit does not change the watched set (no Helius call)'
);
update walltrack.wallets set status = 'paused' where label = 'renamed';
select isnt(
  walltrack.active_wallets_hash(), (select h from hash_before),
  'pausing a wallet changes the watched set'
);
update walltrack.wallets set status = 'active' where label = 'renamed';
select is(
  walltrack.active_wallets_hash(), (select h from hash_before),
  'the hash depends on the set only, not on edit history'
);

select throws_ok(
  $$ update walltrack.wallets set position_size_sol = 'NaN' where label = 'scalper-beta' $$,
  '23514',
  'wallets numbers must be finite: NaN and Infinity are not amounts (got position_size_sol = NaN)',
  'a NaN position size is refused'
);
select throws_ok(
  $$ update walltrack.wallets set baseline_pnl_sol = '-Infinity' where label = 'scalper-beta' $$,
  '23514',
  'wallets numbers must be finite: NaN and Infinity are not amounts '
  || '(got baseline_pnl_sol = -Infinity)',
  'an infinite baseline is refused'
);

select throws_ok(
  $$ update walltrack.wallets set exit_strategy_id = -1
     where id = (select min(id) from walltrack.wallets) $$,
  '23514', 'exit strategy -1 does not exist',
  'a wallet pointed at an exit strategy that does not exist is refused in words'
);

select * from finish();
rollback;
