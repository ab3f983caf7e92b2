-- one_way_to_claim_token_lookups
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

-- A delivery's lookups are claimed by ingest_swaps itself (claim_token_lookups over its new
-- buys): the separate entry that read the swaps' JSON again is gone.

drop function api.tokens_to_fetch(jsonb, numeric);
drop function walltrack.tokens_to_fetch(jsonb, numeric);
drop function walltrack.tokens_bought(jsonb);
