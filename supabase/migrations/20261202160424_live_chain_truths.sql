-- live_chain_truths
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.


-- Live trading against the real chain (issue 14): failures a real node and Jupiter report
-- that are worth a new attempt, and giving a claimed order back when the run stops for a
-- reason that is not the order's (Jupiter refusing our API key).

create or replace function walltrack.retryable_failure(error_class text)
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
-- The failures after which the same order may be tried again as a new attempt; any other
-- class is final.
begin
  -- node_behind: the node refused before forwarding; simulation_failed: Jupiter or the
  -- preflight saw the swap fail against the state of that moment; program_error: a program
  -- of the route failed in a way we do not know to be final (the state moves on).
  return error_class in (
    'timeout', 'rate_limited', 'upstream_error', 'blockhash_expired', 'slippage_exceeded',
    'node_behind', 'simulation_failed', 'program_error'
  );
end;
$$;
comment on function walltrack.retryable_failure(text) is
'True for failure classes worth a new attempt: timeout, rate_limited, upstream_error, '
'blockhash_expired, slippage_exceeded, node_behind, simulation_failed, program_error. Others '
'(insufficient_funds, no_route, rejected, not_tradable...) are final.';

create function walltrack.release_order(order_id bigint, worker text)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- A claimed order given back untouched, before anything was signed: its attempt is undone,
-- so trouble on our side (Jupiter refusing our API key) never uses up an order's attempts.
declare
  leased walltrack.orders := walltrack.leased_order(order_id, worker);
begin
  update walltrack.orders as o
  set
    attempts = o.attempts - 1,
    attempt_log = o.attempt_log - (-1),
    lease_owner = null,
    lease_until = null,
    updated_at = now()
  where o.id = order_id;
  return jsonb_build_object(
    'order_id', order_id, 'status', leased.status, 'attempts', leased.attempts - 1
  );
end;
$$;
comment on function walltrack.release_order(bigint, text) is
'Gives a claimed, unsigned order back (attempt undone, lease freed): the run stopped for a '
'reason that is not the order''s.';
grant execute on function walltrack.release_order(bigint, text) to service_role;

create function api.release_order(order_id bigint, worker text)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.release_order(order_id, worker);
$$;
comment on function api.release_order(bigint, text) is
'RPC of walltrack.release_order, for the execute-orders function.';
grant execute on function api.release_order(bigint, text) to service_role;
