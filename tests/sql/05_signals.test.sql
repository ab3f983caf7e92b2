begin;
select plan(15);

create temporary table fixture as select tests.new_wallet() as wallet_id;

select throws_ok(
  $$ insert into walltrack.signals (signature, wallet_id, side, token_mint, token_amount, raw)
     select repeat('4', 88), wallet_id, 'buy', 'So11111111111111111111111111111111111111112',
       1000000, '{}' from fixture $$,
  '23514', 'signals are recorded from Helius deliveries: a leader swap cannot be inserted by hand',
  'a leader swap typed in is refused: it would move the leader''s holding'
);
-- As walltrack.ingest_swaps records them:
select tests.as_engine($$
  insert into walltrack.signals (
    signature, wallet_id, side, token_mint, token_amount, token_decimals, quote_mint,
    quote_amount, quote_decimals, raw
  )
  select
    repeat('5', 88), wallet_id, 'buy', 'So11111111111111111111111111111111111111112',
    1000, 6, 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v', 5, 6, '{}'
  from fixture
$$);

select throws_ok(
  $$ select tests.as_engine($q$ insert into walltrack.signals (signature, wallet_id, side, token_mint, token_amount, raw)
     select repeat('5', 88), wallet_id, 'buy', 'So11111111111111111111111111111111111111112',
       1000, '{}' from fixture $q$) $$,
  '23505', null, 'the same (signature, wallet, mint) is one signal'
);
select throws_ok(
  $$ select tests.as_engine($q$ insert into walltrack.signals (signature, wallet_id, side, token_mint, token_amount, raw)
     select 'not-a-signature', wallet_id, 'buy', 'So11111111111111111111111111111111111111112',
       1, '{}' from fixture $q$) $$,
  '23514',
  '"not-a-signature" is not a Solana transaction signature: expected 64 to 88 base58 characters',
  'an invalid signature is refused'
);
select throws_ok(
  $$ select tests.as_engine($q$ insert into walltrack.signals (signature, wallet_id, raw)
     select repeat('6', 88), wallet_id, '{}' from fixture $q$) $$,
  '23514', 'a successful swap signal needs side, token_mint and token_amount',
  'a partial swap is refused'
);
select lives_ok(
  $$ select tests.as_engine($q$ insert into walltrack.signals (signature, wallet_id, tx_error, raw)
     select repeat('7', 88), wallet_id, 'InstructionError', '{}' from fixture $q$) $$,
  'a failed transaction is recorded without trade fields'
);
select throws_ok(
  $$ select tests.as_engine($q$ insert into walltrack.signals (signature, wallet_id, tx_error, raw)
     select repeat('7', 88), wallet_id, 'InstructionError', '{}' from fixture $q$) $$,
  '23505', null, 'a failed transaction re-delivered is still one signal'
);
select throws_ok(
  $$ update walltrack.signals set token_amount = 1 where signature = repeat('5', 88) $$,
  '23001', null, 'the event columns cannot be changed'
);
select throws_ok(
  $$ update walltrack.signals
     set decision = 'skipped', decision_reason = 'token_unknown', decided_at = now()
     where signature = repeat('5', 88) $$,
  '23514', null, 'a decision typed in is refused: a copy that never happened would count'
);
select lives_ok(
  $$ select tests.as_engine($q$ update walltrack.signals
     set decision = 'skipped', decision_reason = 'token_unknown', decided_at = now()
     where signature = repeat('5', 88) $q$) $$,
  'the decision is written once'
);
select throws_ok(
  $$ select tests.as_engine($q$ update walltrack.signals set decision = 'copied'
     where signature = repeat('5', 88) $q$) $$,
  '23001', null, 'a written decision cannot be rewritten'
);
select throws_ok(
  $$ select tests.as_engine($q$ update walltrack.signals
     set decision = 'skipped', decision_reason = 'Not Snake', decided_at = now()
     where signature = repeat('7', 88) $q$) $$,
  '23514', 'decision_reason must be a snake_case code, got "Not Snake"',
  'decision reasons are machine-readable codes'
);
select throws_ok(
  $$ delete from walltrack.signals $$, '23001',
  'signals rows are permanent: delete is refused', 'signals are never deleted'
);
select throws_ok(
  $$ truncate walltrack.signals cascade $$, '23001',
  'signals rows are permanent: truncate is refused', 'signals are never truncated'
);

select throws_ok(
  $$ select tests.as_engine($q$ insert into walltrack.signals (signature, wallet_id, side, token_mint, token_amount, raw)
     select repeat('6', 88), wallet_id, 'buy', 'So11111111111111111111111111111111111111112',
       'Infinity', '{}' from fixture $q$) $$,
  '23514',
  'signals numbers must be finite: NaN and Infinity are not amounts (got token_amount = Infinity)',
  'an infinite token amount is refused'
);
select throws_ok(
  $$ select tests.as_engine($q$ insert into walltrack.signals (
       signature, wallet_id, side, token_mint, token_amount, price_sol, raw)
     select repeat('7', 88), wallet_id, 'buy', 'So11111111111111111111111111111111111111112',
       1, 'NaN', '{}' from fixture $q$) $$,
  '23514',
  'signals numbers must be finite: NaN and Infinity are not amounts (got price_sol = NaN)',
  'a NaN price is refused'
);

select * from finish();
rollback;
