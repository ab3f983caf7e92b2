-- token_times_not_ahead
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

alter table walltrack.tokens
-- A fact or a claim dated ahead would never go stale: the token would keep old facts, or
-- never be looked up again. Ten minutes allow for clocks and the lookup claim.
add constraint tokens_times_not_ahead check (
  coalesce(greatest(
    fetched_at, rugcheck_fetched_at, market_fetched_at, authorities_checked_at,
    lookup_claimed_until, price_at, verdict_at
  ) <= now() + interval '10 minutes', true)
  or walltrack.ensure(
    coalesce(greatest(
      fetched_at, rugcheck_fetched_at, market_fetched_at, authorities_checked_at,
      lookup_claimed_until, price_at, verdict_at
    ) <= now() + interval '10 minutes', true),
    'token facts are dated by the lookups that fetch them: fetched_at, rugcheck_fetched_at, '
    || 'market_fetched_at, authorities_checked_at, lookup_claimed_until, price_at and '
    || 'verdict_at cannot be ahead of the database clock',
    'Clear the date to have the token looked up again.'
  )
);
