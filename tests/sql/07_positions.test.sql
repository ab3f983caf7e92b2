begin;
select plan(19);

create temporary table fixture as
select
  tests.new_position(tests.new_wallet()) as default_position_id,
  tests.new_position(
    (select id from walltrack.wallets where label = 'scalper-beta')
  ) as scalper_position_id;

select is(
  (select s.name from walltrack.positions as p
   join walltrack.exit_strategies as s on s.id = p.exit_strategy_id
   where p.id = (select default_position_id from fixture)),
  'balanced', 'a wallet without a strategy gets the default template'
);
select is(
  (select exit_strategy_snapshot ->> 'name' from walltrack.positions
   where id = (select scalper_position_id from fixture)),
  'scalper', 'a wallet''s own template is snapshotted into its positions'
);
select is(
  (select exit_strategy_snapshot from walltrack.positions
   where id = (select scalper_position_id from fixture)),
  (select walltrack.exit_strategy_rules(s) from walltrack.exit_strategies as s
   where s.name = 'scalper'),
  'the snapshot holds every rule of the template'
);

update walltrack.exit_strategies set stop_loss_pct = -5 where name = 'scalper';
select is(
  (select exit_strategy_snapshot ->> 'stop_loss_pct' from walltrack.positions
   where id = (select scalper_position_id from fixture)),
  '-10', 'editing a template never changes an open position'
);
select throws_ok(
  $$ update walltrack.positions set exit_strategy_snapshot = '{}'
     where id = (select scalper_position_id from fixture) $$,
  '23514',
  format('position %s keeps the exit strategy it was opened with',
    (select scalper_position_id from fixture)),
  'the snapshot cannot be edited'
);
select throws_ok(
  $$ update walltrack.positions set exit_strategy_override = '[]'
     where id = (select scalper_position_id from fixture) $$,
  '23514',
  'positions.exit_strategy_override must be a JSON object of rule fields, e.g. '
  || '{"stop_loss_pct": -20}',
  'an override must be an object'
);
select throws_ok(
  $$ delete from walltrack.positions $$, '23001',
  'positions rows are permanent: delete is refused', 'positions are never deleted'
);

-- Numbers are finite: NaN sorts above every number.
select throws_ok(
  $$ select tests.as_engine($q$ update walltrack.positions set last_price_sol = 'NaN'
     where id = (select scalper_position_id from fixture) $q$) $$,
  '23514',
  'positions numbers must be finite: NaN and Infinity are not amounts (got last_price_sol = NaN)',
  'a NaN price is refused'
);
select throws_ok(
  $$ select tests.as_engine($q$ update walltrack.positions set last_price_sol = 'Infinity'
     where id = (select scalper_position_id from fixture) $q$) $$,
  '23514',
  'positions numbers must be finite: NaN and Infinity are not amounts '
  || '(got last_price_sol = Infinity)',
  'an infinite price is refused'
);

-- Engine state: status, last price and fired levels are the engine's and the fills'.
select throws_ok(
  $$ update walltrack.positions set status = 'closed'
     where id = (select scalper_position_id from fixture) $$,
  '23514',
  format('position %s: its status, last price and fired take-profit levels are kept by the '
    || 'exit engine and the order fills, not edited', (select scalper_position_id from fixture)),
  'a position closed by hand is refused: it would leave the engine and its stop loss'
);
select throws_ok(
  $$ update walltrack.positions set last_price_at = now() + interval '100 years'
     where id = (select scalper_position_id from fixture) $$,
  '23514', null, 'a last price dated in the future is refused: it would hide every later tick'
);
select throws_ok(
  $$ update walltrack.positions set take_profits_fired = '{1,2,3}'
     where id = (select scalper_position_id from fixture) $$,
  '23514', null, 'fired take-profit levels cannot be edited: the ladder would never sell'
);
select throws_ok(
  $$ insert into walltrack.positions (wallet_id, token_mint, token_decimals, mode)
     select w.id, 'TestMint1111111111111111111111111111111111', 6, 'live'
     from walltrack.wallets as w limit 1 $$,
  '23514',
  'positions are opened by WallTrack when it copies a leader''s buy: a position cannot be '
  || 'inserted by hand',
  'a position inserted by hand is refused'
);
select throws_ok(
  $$ select tests.as_engine($q$ insert into walltrack.positions (wallet_id, token_mint,
       token_decimals, mode, exit_strategy_override)
     select w.id, 'TestMint1111111111111111111111111111111111', 6, 'simulation',
       '{"time_exit_minutes": 0.5}' from walltrack.wallets as w limit 1 $q$) $$,
  '23514', 'time_exit_minutes must be a whole number of minutes within 1..2147483647, got 0.5',
  'an override is checked at insert too'
);

-- Identity: what a position was opened as never changes.
select throws_ok(
  $$ update walltrack.positions set token_decimals = 0
     where id = (select scalper_position_id from fixture) $$,
  '23514',
  format('position %s keeps what it was opened as: token_decimals cannot change',
    (select scalper_position_id from fixture)),
  'token_decimals cannot change (it would revalue the position)'
);
select throws_ok(
  $$ update walltrack.positions set mode = 'live'
     where id = (select scalper_position_id from fixture) $$,
  '23514',
  format('position %s keeps what it was opened as: mode cannot change',
    (select scalper_position_id from fixture)),
  'mode cannot change (a simulation position would sell live)'
);
select throws_ok(
  $$ update walltrack.positions
     set wallet_id = (select id from walltrack.wallets where label = 'whale-alpha'),
       opened_at = now() - interval '1 day'
     where id = (select scalper_position_id from fixture) $$,
  '23514',
  format('position %s keeps what it was opened as: wallet_id, opened_at cannot change',
    (select scalper_position_id from fixture)),
  'wallet_id and opened_at cannot change, and the message names both'
);
select throws_ok(
  $$ update walltrack.positions set token_mint = 'So11111111111111111111111111111111111111112'
     where id = (select scalper_position_id from fixture) $$,
  '23514',
  format('position %s keeps what it was opened as: token_mint cannot change',
    (select scalper_position_id from fixture)),
  'token_mint cannot change'
);
select lives_ok(
  $$ update walltrack.positions set exit_strategy_override = '{"stop_loss_pct": -15}'
     where id = (select scalper_position_id from fixture) $$,
  'the override is still editable'
);

select * from finish();
rollback;
