-- record_confirmations
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

-- A confirm-orders run records everything it learned in one call (issue 15): fills,
-- on-chain failures, unreadable transactions and unknown signatures, each order in its own
-- subtransaction so that one the database refuses becomes a fault and the others stand.

create function walltrack.record_order_outcome(order_id bigint, action text, params jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- One order of a confirm-orders run, in its own subtransaction (this function's exception
-- block): `action` names the call (record_fill, record_failure or expire_unlanded) and
-- `params` holds its arguments. When the database refuses it, nothing of it stays and it
-- becomes a fault the operator sees, its input kept for a replay, so the run's other orders
-- are still recorded. Returns {"<order_id>": status}.
declare
  outcome jsonb;
  error_state text;
  error_message text;
  error_hint text;
begin
  case action
    when 'record_fill' then
      outcome := jsonb_build_object(order_id::text, walltrack.record_fill(order_id,
        params ->> 'tx_signature', (params ->> 'filled_in')::numeric,
        (params ->> 'filled_out')::numeric, (params ->> 'fee_lamports')::bigint) ->> 'status');
    when 'record_failure' then
      outcome := jsonb_build_object(order_id::text, walltrack.record_failure(order_id,
        params ->> 'tx_signature', params ->> 'error_class', params ->> 'detail') ->> 'status');
    when 'expire_unlanded' then
      outcome := walltrack.expire_unlanded(params -> 'unknown',
        (params ->> 'block_height')::bigint);
  end case;
  return outcome;
exception when others then
  get stacked diagnostics error_state = returned_sqlstate, error_message = message_text,
    error_hint = pg_exception_hint;
  perform walltrack.record_fault('confirm_orders', format('order %s', order_id), error_state,
    error_message, nullif(error_hint, ''),
    jsonb_build_object('function', action, 'params', params));
  return jsonb_build_object(order_id::text, 'fault');
end;
$$;
comment on function walltrack.record_order_outcome(bigint, text, jsonb) is
'Records one order''s outcome for confirm-orders (record_fill, record_failure or '
'expire_unlanded with the given arguments); a refused one becomes a fault. Returns statuses.';

create function walltrack.record_confirmations(
  fills jsonb, failures jsonb, faults jsonb, unknown jsonb, block_height bigint
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- A confirm-orders run, recorded in one call: the landed swaps' fills (record_fill's
-- arguments) and the failed ones (record_failure's), the orders whose transaction could not
-- be read ([{order_id, message, input}]: faults) and the signatures the chain does not know
-- ([{order_id, tx_signature}]), expired at `block_height` (expire_unlanded). Each order is
-- recorded on its own (record_order_outcome): one the database refuses becomes a fault and
-- the others are still recorded. Returns each order's status.
declare
  outcomes jsonb := '{}'::jsonb;
  item record;
begin
  if exists (
    select from unnest(array[fills, failures, faults, unknown]) as l (list)
    where jsonb_typeof(l.list) is distinct from 'array'
  ) or exists (
    select from jsonb_array_elements(fills || failures || faults || unknown) as e
    where jsonb_typeof(e.value -> 'order_id') is distinct from 'number'
  ) then
    raise exception using
      message = 'record_confirmations expects JSON arrays (fills, failures, faults, unknown) '
        || 'of objects with a numeric order_id',
      errcode = 'invalid_parameter_value';
  end if;
  for item in select e.value from jsonb_array_elements(faults) as e loop
    perform walltrack.record_fault('confirm_orders', format('order %s', item.value ->> 'order_id'),
      null, item.value ->> 'message', null, item.value -> 'input');
    outcomes := outcomes || jsonb_build_object(item.value ->> 'order_id', 'fault');
  end loop;
  for item in
    select (e.value ->> 'order_id')::bigint as order_id, 'record_fill' as action, e.value as params
    from jsonb_array_elements(fills) as e
    union all
    select (e.value ->> 'order_id')::bigint, 'record_failure', e.value
    from jsonb_array_elements(failures) as e
    union all
    -- One signature at a time: each unknown order is settled on its own too.
    select (e.value ->> 'order_id')::bigint, 'expire_unlanded', jsonb_build_object(
      'unknown', jsonb_build_array(e.value), 'block_height', block_height
    )
    from jsonb_array_elements(unknown) as e
  loop
    outcomes := outcomes || walltrack.record_order_outcome(item.order_id, item.action, item.params);
  end loop;
  return outcomes;
end;
$$;
comment on function walltrack.record_confirmations(jsonb, jsonb, jsonb, jsonb, bigint) is
'Records a confirm-orders run in one call: fills, on-chain failures, unreadable transactions '
'(faults) and unknown signatures to expire at a block height; each order on its own, a '
'refused one becoming a fault. Returns each order''s status.';

grant execute on function walltrack.record_order_outcome(bigint, text, jsonb) to service_role;
grant execute on function walltrack.record_confirmations(jsonb, jsonb, jsonb, jsonb, bigint)
to service_role;

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

-- The per-order entry points stay (execute-orders records its failures one by one); their
-- comments now say who calls them.
comment on function api.record_fault(text, text, text, text, text, jsonb) is
'RPC of walltrack.record_fault, for '
'a function whose run could not do its work for an item or a setting (execute-orders).';
comment on function api.record_fill(bigint, text, numeric, numeric, bigint) is
'RPC of walltrack.record_fill, one order at a time (confirm-orders records a whole run with '
'api.record_confirmations).';
comment on function api.record_failure(bigint, text, text, text) is
'RPC of walltrack.record_failure, for the execute-orders function (confirm-orders records a '
'whole run with api.record_confirmations).';
comment on function api.expire_unlanded(jsonb, bigint) is
'RPC of walltrack.expire_unlanded, on its own (confirm-orders records a whole run with '
'api.record_confirmations).';
