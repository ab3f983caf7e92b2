begin;
select plan(14);

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
  $$ update walltrack.positions set last_price_sol = 'NaN'
     where id = (select scalper_position_id from fixture) $$,
  '23514',
  'positions numbers must be finite: NaN and Infinity are not amounts (got last_price_sol = NaN)',
  'a NaN price is refused'
);
select throws_ok(
  $$ update walltrack.positions set last_price_sol = 'Infinity'
     where id = (select scalper_position_id from fixture) $$,
  '23514',
  'positions numbers must be finite: NaN and Infinity are not amounts '
  || '(got last_price_sol = Infinity)',
  'an infinite price is refused'
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
