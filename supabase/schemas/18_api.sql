-- The RPC surface (schema `api`, the only one PostgREST exposes; service_role only): one thin
-- entry point per call the functions, the scheduler or an operator make. Each runs the
-- walltrack function of the same name; the rules live there, never here, and nothing inside
-- the database calls an api function. No overloads: PostgREST resolves a call by its
-- argument names.

-- Health

create function api.overview()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select walltrack.overview();
$$;
comment on function api.overview() is
'RPC of walltrack.overview, for health checks and the report.';
grant execute on function api.overview() to service_role;

-- Helius sync (ADR-001): the helius-sync function

create function api.helius_sync_plan(webhook_url text, transaction_types text[])
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select walltrack.helius_sync_plan(webhook_url, transaction_types);
$$;
comment on function api.helius_sync_plan(text, text[]) is
'RPC of walltrack.helius_sync_plan, for the helius-sync function.';
grant execute on function api.helius_sync_plan(text, text[]) to service_role;

create function api.helius_sync_done(webhook_id text, webhook_url text, address_hash text)
returns void
language sql
security invoker
set search_path = ''
as $$
  select walltrack.helius_sync_done(webhook_id, webhook_url, address_hash);
$$;
comment on function api.helius_sync_done(text, text, text) is
'RPC of walltrack.helius_sync_done, for the helius-sync function.';
grant execute on function api.helius_sync_done(text, text, text) to service_role;

-- Tokens: the read-through cache, for the webhook and token-lookup

create function api.store_token_facts(facts jsonb)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.store_token_facts(facts);
$$;
comment on function api.store_token_facts(jsonb) is
'RPC of walltrack.store_token_facts, for '
'an operator storing facts by hand (lookups use api.complete_token_lookup).';
grant execute on function api.store_token_facts(jsonb) to service_role;

create function api.record_fault(
  source text, subject text, sqlstate text, message text, hint text, input jsonb
)
returns void
language sql
security invoker
set search_path = ''
as $$
  select walltrack.record_fault(source, subject, sqlstate, message, hint, input);
$$;
comment on function api.record_fault(text, text, text, text, text, jsonb) is
'RPC of walltrack.record_fault, for '
'a function whose run could not do its work for an item or a setting (execute-orders).';
grant execute on function api.record_fault(text, text, text, text, text, jsonb) to service_role;

create function api.load_token_facts(tokens jsonb)
returns integer
language sql
security invoker
set search_path = ''
as $$
  select walltrack.load_token_facts(tokens);
$$;
comment on function api.load_token_facts(jsonb) is
'RPC of walltrack.load_token_facts, for the what-if replay.';
grant execute on function api.load_token_facts(jsonb) to service_role;

create function api.tokens_to_refresh(
  mints text[] default null, max_tokens integer default 100, claim_seconds numeric default 10
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.tokens_to_refresh(mints, max_tokens, claim_seconds);
$$;
comment on function api.tokens_to_refresh(text[], integer, numeric) is
'RPC of walltrack.tokens_to_refresh, for the token-lookup function.';
grant execute on function api.tokens_to_refresh(text[], integer, numeric) to service_role;

-- Signals and copy decisions: the webhook

create function api.ingest_swaps(
  transactions jsonb, fetch_tokens boolean default false, claim_seconds numeric default 15,
  worker text default null
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.ingest_swaps(transactions, fetch_tokens, claim_seconds, worker);
$$;
comment on function api.ingest_swaps(jsonb, boolean, numeric, text) is
'RPC of walltrack.ingest_swaps, for the helius-webhook function and the replay: what the '
'webhook is delivered (a backfill stores its finds with api.record_backfill_page).';
grant execute on function api.ingest_swaps(jsonb, boolean, numeric, text) to service_role;

create function api.backfill_plan(
  max_wallets integer default 100, every_wallet boolean default false
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.backfill_plan(max_wallets, every_wallet);
$$;
comment on function api.backfill_plan(integer, boolean) is
'RPC of walltrack.backfill_plan, for the helius-backfill function.';
grant execute on function api.backfill_plan(integer, boolean) to service_role;

create function api.record_backfill_page(
  address text, transactions jsonb, newest jsonb, oldest_signature text, complete boolean
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.record_backfill_page(address, transactions, newest, oldest_signature, complete);
$$;
comment on function api.record_backfill_page(text, jsonb, jsonb, text, boolean) is
'RPC of walltrack.record_backfill_page, for the helius-backfill function.';
grant execute on function api.record_backfill_page(text, jsonb, jsonb, text, boolean)
to service_role;

create function api.complete_token_lookup(facts jsonb, worker text default null)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.complete_token_lookup(facts, worker);
$$;
comment on function api.complete_token_lookup(jsonb, text) is
'RPC of walltrack.complete_token_lookup, for the webhook''s and token-lookup''s lookups.';
grant execute on function api.complete_token_lookup(jsonb, text) to service_role;

create function api.decide_waiting()
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.decide_waiting(null);
$$;
comment on function api.decide_waiting() is
'RPC of walltrack.decide_waiting, for operators (pg_cron runs the walltrack function).';
grant execute on function api.decide_waiting() to service_role;

-- Exit engine: price-refresh

create function api.apply_prices(prices jsonb, missing text[] default '{}')
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.apply_prices(prices, missing);
$$;
comment on function api.apply_prices(jsonb, text[]) is
'RPC of walltrack.apply_prices, for the price-refresh function and the replay.';
grant execute on function api.apply_prices(jsonb, text[]) to service_role;

create function api.live_position_mints()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select walltrack.live_position_mints();
$$;
comment on function api.live_position_mints() is
'RPC of walltrack.live_position_mints, for the price-refresh function.';
grant execute on function api.live_position_mints() to service_role;

-- Circuit breaker (ADR-004): the operator and health checks

create function api.breaker_state()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select walltrack.breaker_state();
$$;
comment on function api.breaker_state() is
'RPC of walltrack.breaker_state, for operators, the demo and the report.';
grant execute on function api.breaker_state() to service_role;

create function api.check_circuit_breaker()
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.check_circuit_breaker();
$$;
comment on function api.check_circuit_breaker() is
'RPC of walltrack.check_circuit_breaker, for '
'operators and health checks (pg_cron runs the walltrack function).';
grant execute on function api.check_circuit_breaker() to service_role;

create function api.reset_circuit_breaker(operator text, note text)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.reset_circuit_breaker(operator, note);
$$;
comment on function api.reset_circuit_breaker(text, text) is
'RPC of walltrack.reset_circuit_breaker, for an operator, from the SQL editor.';
grant execute on function api.reset_circuit_breaker(text, text) to service_role;

create function api.resume_leader(wallet text, operator text, note text)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.resume_leader(wallet, operator, note);
$$;
comment on function api.resume_leader(text, text, text) is
'RPC of walltrack.resume_leader, for an operator, from the SQL editor or walltrack.';
grant execute on function api.resume_leader(text, text, text) to service_role;

create function api.restart_equity_curve(operator text, note text)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.restart_equity_curve(operator, note);
$$;
comment on function api.restart_equity_curve(text, text) is
'RPC of walltrack.restart_equity_curve, for the what-if replay and an operator.';
grant execute on function api.restart_equity_curve(text, text) to service_role;

-- Live execution: execute-orders and confirm-orders

create function api.claim_orders(
  worker text, order_ids bigint[] default null, max_orders integer default 10,
  lease_seconds integer default 60
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.claim_orders(worker, order_ids, max_orders, lease_seconds);
$$;
comment on function api.claim_orders(text, bigint[], integer, integer) is
'RPC of walltrack.claim_orders, for the execute-orders function.';
grant execute on function api.claim_orders(text, bigint[], integer, integer) to service_role;

create function api.priority_fee(samples bigint[])
returns bigint
language sql
stable
security invoker
set search_path = ''
as $$
  select walltrack.priority_fee(samples);
$$;
comment on function api.priority_fee(bigint[]) is
'RPC of walltrack.priority_fee, for the execute-orders function: the priority fee (lamports) '
'of an attempt from the recent prioritization fees of the swap''s writable accounts.';
grant execute on function api.priority_fee(bigint[]) to service_role;

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

create function api.record_signed(
  order_id bigint, worker text, tx_signature text, last_valid_block_height bigint,
  quoted_out numeric, min_out numeric, priority_fee_lamports bigint, tip_lamports bigint
)
returns void
language sql
security invoker
set search_path = ''
as $$
  select walltrack.record_signed(
    order_id, worker, tx_signature, last_valid_block_height, quoted_out, min_out,
    priority_fee_lamports, tip_lamports
  );
$$;
comment on function api.record_signed(
  bigint, text, text, bigint, numeric, numeric, bigint, bigint
) is
'RPC of walltrack.record_signed, for the execute-orders function.';
grant execute on function api.record_signed(
  bigint, text, text, bigint, numeric, numeric, bigint, bigint
) to service_role;

create function api.orders_to_confirm(max_orders integer default 256)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select walltrack.orders_to_confirm(max_orders);
$$;
comment on function api.orders_to_confirm(integer) is
'RPC of walltrack.orders_to_confirm, for the confirm-orders function.';
grant execute on function api.orders_to_confirm(integer) to service_role;

create function api.record_fill(
  order_id bigint, tx_signature text, filled_in numeric, filled_out numeric, fee_lamports bigint
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.record_fill(order_id, tx_signature, filled_in, filled_out, fee_lamports);
$$;
comment on function api.record_fill(bigint, text, numeric, numeric, bigint) is
'RPC of walltrack.record_fill, one order at a time (confirm-orders records a whole run with '
'api.record_confirmations).';
grant execute on function api.record_fill(bigint, text, numeric, numeric, bigint) to service_role;

create function api.record_failure(
  order_id bigint, tx_signature text, error_class text, detail text
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.record_failure(order_id, tx_signature, error_class, detail);
$$;
comment on function api.record_failure(bigint, text, text, text) is
'RPC of walltrack.record_failure, for the execute-orders function (confirm-orders records a '
'whole run with api.record_confirmations).';
grant execute on function api.record_failure(bigint, text, text, text) to service_role;

create function api.expire_unlanded(unknown jsonb, block_height bigint)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.expire_unlanded(unknown, block_height);
$$;
comment on function api.expire_unlanded(jsonb, bigint) is
'RPC of walltrack.expire_unlanded, on its own (confirm-orders records a whole run with '
'api.record_confirmations).';
grant execute on function api.expire_unlanded(jsonb, bigint) to service_role;

create function api.record_confirmations(
  fills jsonb, failures jsonb, faults jsonb, unknown jsonb, block_height bigint
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.record_confirmations(fills, failures, faults, unknown, block_height);
$$;
comment on function api.record_confirmations(jsonb, jsonb, jsonb, jsonb, bigint) is
'RPC of walltrack.record_confirmations, for the confirm-orders function (one call per run).';
grant execute on function api.record_confirmations(jsonb, jsonb, jsonb, jsonb, bigint)
to service_role;

-- Chain reconciliation: the reconcile-wallet function and the operator

create function api.chain_read_started()
returns timestamptz
language sql
stable
security invoker
set search_path = ''
as $$
  select walltrack.chain_read_started();
$$;
comment on function api.chain_read_started() is
'RPC of walltrack.chain_read_started, for the reconcile-wallet function (before its read).';
grant execute on function api.chain_read_started() to service_role;

create function api.reconcile_wallet(
  owner text, token_accounts jsonb, sol_lamports bigint, read_at timestamptz
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.reconcile_wallet(owner, token_accounts, sol_lamports, read_at);
$$;
comment on function api.reconcile_wallet(text, jsonb, bigint, timestamptz) is
'RPC of walltrack.reconcile_wallet, for the reconcile-wallet function.';
grant execute on function api.reconcile_wallet(text, jsonb, bigint, timestamptz)
to service_role;

create function api.resolve_chain_finding(finding_id bigint, operator text, note text)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.resolve_chain_finding(finding_id, operator, note);
$$;
comment on function api.resolve_chain_finding(bigint, text, text) is
'RPC of walltrack.resolve_chain_finding, for an operator, from the SQL editor.';
grant execute on function api.resolve_chain_finding(bigint, text, text) to service_role;

-- Performance (ADR-003)

create function api.refresh_performance()
returns timestamptz
language sql
-- Security definer: only the view's owner may refresh it, and the call takes no input.
security definer
set search_path = ''
as $$
  select walltrack.refresh_performance();
$$;
comment on function api.refresh_performance() is
'Refreshes the performance scoreboard now, without blocking readers; returns the refresh time.';
grant execute on function api.refresh_performance() to service_role;

-- Wallet discovery: the wallet-discovery function and operators

create function api.discovery_plan(max_items integer default 100)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select walltrack.discovery_plan(max_items);
$$;
comment on function api.discovery_plan(integer) is
'RPC of walltrack.discovery_plan, for the wallet-discovery function.';
grant execute on function api.discovery_plan(integer) to service_role;

create function api.record_winners(tokens jsonb)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.record_winners(tokens);
$$;
comment on function api.record_winners(jsonb) is
'RPC of walltrack.record_winners, for the wallet-discovery function.';
grant execute on function api.record_winners(jsonb) to service_role;

create function api.record_winner_page(
  mint text, transactions jsonb, oldest_signature text, complete boolean
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.record_winner_page(mint, transactions, oldest_signature, complete);
$$;
comment on function api.record_winner_page(text, jsonb, text, boolean) is
'RPC of walltrack.record_winner_page, for the wallet-discovery function.';
grant execute on function api.record_winner_page(text, jsonb, text, boolean) to service_role;

create function api.record_candidate_page(
  address text, transactions jsonb, oldest_signature text, complete boolean
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.record_candidate_page(address, transactions, oldest_signature, complete);
$$;
comment on function api.record_candidate_page(text, jsonb, text, boolean) is
'RPC of walltrack.record_candidate_page, for the wallet-discovery function.';
grant execute on function api.record_candidate_page(text, jsonb, text, boolean)
to service_role;

create function api.submit_candidates(addresses text[], note text)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.submit_candidates(addresses, note);
$$;
comment on function api.submit_candidates(text[], text) is
'RPC of walltrack.submit_candidates, for the wallet-discovery function (an operator''s '
'addresses to evaluate).';
grant execute on function api.submit_candidates(text[], text) to service_role;

create function api.promote_candidate(candidate_id bigint, operator text)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.promote_candidate(candidate_id, operator);
$$;
comment on function api.promote_candidate(bigint, text) is
'RPC of walltrack.promote_candidate, for an operator (the same as the Studio edit).';
grant execute on function api.promote_candidate(bigint, text) to service_role;

create function api.auto_promote_candidates()
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.auto_promote_candidates();
$$;
comment on function api.auto_promote_candidates() is
'RPC of walltrack.auto_promote_candidates, for the wallet-discovery function after a run.';
grant execute on function api.auto_promote_candidates() to service_role;

-- Alerts (17_alerts.sql): the notify function

create function api.claim_alerts(
  channels walltrack.alert_channel[],
  max_alerts integer default 20,
  lease_seconds integer default 60
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.claim_alerts(channels, max_alerts, lease_seconds);
$$;
comment on function api.claim_alerts(walltrack.alert_channel[], integer, integer) is
'RPC of walltrack.claim_alerts, for the notify function.';
grant execute on function api.claim_alerts(walltrack.alert_channel[], integer, integer)
to service_role;

create function api.record_alert_delivery(
  delivery_id bigint, outcome text, retry_after_seconds numeric default null,
  error text default null
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.record_alert_delivery(delivery_id, outcome, retry_after_seconds, error);
$$;
comment on function api.record_alert_delivery(bigint, text, numeric, text) is
'RPC of walltrack.record_alert_delivery, for the notify function.';
grant execute on function api.record_alert_delivery(bigint, text, numeric, text)
to service_role;

-- The operator's calls (17_operator.sql): the walltrack command

create function api.operator_status()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select walltrack.operator_status();
$$;
comment on function api.operator_status() is
'RPC of walltrack.operator_status, for walltrack status.';
grant execute on function api.operator_status() to service_role;

create function api.wallet_list()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select walltrack.wallet_list();
$$;
comment on function api.wallet_list() is
'RPC of walltrack.wallet_list, for walltrack wallets list.';
grant execute on function api.wallet_list() to service_role;

create function api.add_wallet(
  address text, label text, mode walltrack.trade_mode default 'simulation',
  exit_strategy text default null, position_size_sol numeric default null, notes text default ''
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.add_wallet(address, label, mode, exit_strategy, position_size_sol, notes);
$$;
comment on function api.add_wallet(text, text, walltrack.trade_mode, text, numeric, text) is
'RPC of walltrack.add_wallet, for walltrack wallets add.';
grant execute on function api.add_wallet(text, text, walltrack.trade_mode, text, numeric, text)
to service_role;

create function api.set_wallet_status(wallet text, status walltrack.wallet_status)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select walltrack.set_wallet_status(wallet, status);
$$;
comment on function api.set_wallet_status(text, walltrack.wallet_status) is
'RPC of walltrack.set_wallet_status, for walltrack wallets pause, resume and retire.';
grant execute on function api.set_wallet_status(text, walltrack.wallet_status) to service_role;

create function api.candidate_list(max_rows integer default 20)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select walltrack.candidate_list(max_rows);
$$;
comment on function api.candidate_list(integer) is
'RPC of walltrack.candidate_list, for walltrack candidates.';
grant execute on function api.candidate_list(integer) to service_role;
