begin;
select plan(21);

select ok(
  (select count(*) >= 3 from walltrack.exit_strategies where not archived),
  'the catalog is seeded with at least three templates'
);
select is(
  (select count(*) from walltrack.exit_strategies where is_default), 1::bigint,
  'exactly one seeded template is the default'
);
select throws_ok(
  $$ insert into walltrack.exit_strategies (name, take_profit_levels)
     values ('bad order', '[{"at_pct": 100, "sell_pct": 20}, {"at_pct": 50, "sell_pct": 20}]') $$,
  '23514', 'take-profit levels must be above 0 and ascending: at_pct 50 comes after 100',
  'a ladder that is not ascending is refused'
);
select throws_ok(
  $$ insert into walltrack.exit_strategies (name, take_profit_levels, moonbag_pct)
     values ('too much', '[{"at_pct": 50, "sell_pct": 60}, {"at_pct": 90, "sell_pct": 30}]', 20) $$,
  '23514',
  'take-profit levels sell 90% and the moonbag keeps 20%: together they must not exceed 100%',
  'a ladder plus moonbag above 100% is refused'
);
select throws_ok(
  $$ insert into walltrack.exit_strategies (name, take_profit_levels)
     values ('shape', '[{"at": 50}]') $$,
  '23514', 'take-profit level {"at": 50} needs numeric at_pct and sell_pct',
  'a malformed ladder level is refused'
);
select throws_ok(
  $$ insert into walltrack.exit_strategies (name, stop_loss_pct) values ('up stop', 0) $$,
  '23514', 'stop_loss_pct must be negative and above -100 (a drop from entry), got 0',
  'a stop loss >= 0 is refused'
);
select throws_ok(
  $$ insert into walltrack.exit_strategies (name, trailing_activation_pct, trailing_distance_pct)
     values ('neg trail', -5, 10) $$,
  '23514',
  'trailing stop needs both trailing_activation_pct (>= 0, gain from entry that arms it) '
  || 'and trailing_distance_pct (within (0, 100), drop from the peak that sells), or neither',
  'a trailing activation below zero is refused'
);
select throws_ok(
  $$ insert into walltrack.exit_strategies (name, is_default) values ('second default', true) $$,
  '23514', '"balanced" is already the default exit strategy',
  'a second default is refused, naming the current one'
);
select throws_ok(
  $$ delete from walltrack.exit_strategies where name = 'scalper' $$,
  '23001', 'exit strategy "scalper" cannot be deleted',
  'a template is archived, never deleted'
);
select throws_ok(
  $$ insert into walltrack.exit_strategies (name) values ('balanced') $$,
  '23514', 'an exit strategy named "balanced" exists already', 'template names are unique'
);
select lives_ok(
  $$ insert into walltrack.exit_strategies (name, take_profit_levels, stop_loss_pct, moonbag_pct)
     values ('full ladder', '[{"at_pct": 25, "sell_pct": 40}, {"at_pct": 60, "sell_pct": 40}]',
       -20, 20) $$,
  'a ladder that sums to exactly 100% with its moonbag is accepted'
);
select is(
  walltrack.exit_strategy_rules(s) ->> 'stop_loss_pct', '-20',
  'exit_strategy_rules carries the rule fields'
) from walltrack.exit_strategies as s where s.name = 'full ladder';

-- Non-finite numbers and values the exit engine cannot compute with.
select throws_ok(
  $$ insert into walltrack.exit_strategies (name, trailing_activation_pct, trailing_distance_pct)
     values ('nan trail', 'NaN', 10) $$,
  '23514',
  'exit_strategies numbers must be finite: NaN and Infinity are not amounts '
  || '(got trailing_activation_pct = NaN)',
  'a NaN trailing activation is refused'
);
select throws_ok(
  $$ insert into walltrack.exit_strategies (name, time_exit_minutes, time_exit_max_pnl_pct)
     values ('inf bar', 60, '-Infinity') $$,
  '23514',
  'exit_strategies numbers must be finite: NaN and Infinity are not amounts '
  || '(got time_exit_max_pnl_pct = -Infinity)',
  'a -Infinity time-exit bar is refused'
);
select throws_ok(
  $$ insert into walltrack.exit_strategies (name, take_profit_levels)
     values ('moon', '[{"at_pct": 1e400, "sell_pct": 10}]') $$,
  '23514',
  'take-profit at_pct must be at most 1000000 (a gain in %), got '
  || (('1e400'::numeric)::text),
  'an absurd take-profit level is refused'
);
select throws_ok(
  $$ select walltrack.check_exit_rules('{"time_exit_minutes": 0.5}') $$,
  '23514', 'time_exit_minutes must be a whole number of minutes within 1..2147483647, got 0.5',
  'half a minute is refused: the engine casts the time exit to integer'
);
select throws_ok(
  $$ select walltrack.check_exit_rules('{"time_exit_minutes": 30.0}') $$,
  '23514', 'time_exit_minutes must be a whole number of minutes within 1..2147483647, got 30.0',
  'a decimal spelling of a whole number is refused: it does not cast to integer'
);
select throws_ok(
  $$ select walltrack.check_exit_rules('{"time_exit_minutes": 3000000000}') $$,
  '23514',
  'time_exit_minutes must be a whole number of minutes within 1..2147483647, got 3000000000',
  'a time exit beyond the integer range is refused'
);
select throws_ok(
  $$ select walltrack.check_exit_rules(
       '{"trailing_activation_pct": 1e300, "trailing_distance_pct": 10}') $$,
  '23514',
  'trailing_activation_pct must be at most 1000000 (a gain in %), got '
  || (('1e300'::numeric)::text),
  'an absurd trailing activation is refused'
);
select throws_ok(
  $$ select walltrack.check_exit_rules(
       '{"time_exit_minutes": 60, "time_exit_max_pnl_pct": -1e20}') $$,
  '23514',
  'time_exit_max_pnl_pct must be within -100..1000000 (a PnL in %), got -100000000000000000000',
  'a time-exit PnL bar below -100% is refused'
);
select ok(
  walltrack.check_exit_rules('{"time_exit_minutes": 1440, "time_exit_max_pnl_pct": 10}'),
  'a whole number of minutes and a PnL bar in range are accepted'
);


select * from finish();
rollback;
