-- tick_fast_path
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

-- The tick's exit query keeps a plain lateral call on its fast path (11_exit_engine.sql).

create or replace function walltrack.exits_due(mints text[], dust_sol numeric, isolated boolean)
returns walltrack.exit_due[]
language plpgsql
set search_path = ''
as $$
-- The open positions in these tokens that call for an exit and have none in flight. Each
-- exit call is made once, in the query (a lateral call). Two queries that differ only in
-- the function called, not a CASE in one: the tick's fast path keeps the plain lateral call.
begin
  if isolated then
    return array(
      select row(p, c)::walltrack.exit_due
      from walltrack.positions as p
      cross join lateral walltrack.exit_call_isolated(p, dust_sol) as c
      where
        p.status = 'open' and p.token_mint = any(mints)
        and not exists (
          select from walltrack.orders as o
          where o.position_id = p.id and o.side = 'sell' and o.status in ('pending', 'submitted')
        )
        and c.reason is not null
      order by p.id
    );
  end if;
  return array(
    select row(p, c)::walltrack.exit_due
    from walltrack.positions as p
    cross join lateral walltrack.exit_call_for(p, dust_sol) as c
    where
      p.status = 'open' and p.token_mint = any(mints)
      and not exists (
        select from walltrack.orders as o
        where o.position_id = p.id and o.side = 'sell' and o.status in ('pending', 'submitted')
      )
      and c.reason is not null
    order by p.id
  );
end;
$$;

-- Messages are built only for what fails (11_exit_engine.sql, 08_orders.sql).

create or replace function walltrack.price_tick_from(item jsonb)
returns walltrack.price_tick
language plpgsql
stable
set search_path = ''
as $$
-- One element of a price batch, checked: a price that is not a positive number, or a time
-- more than five minutes ahead (which would hide every later tick of the token), is refused.
-- Each rule is tested plainly first: its message is built only for a tick that fails.
declare
  tick walltrack.price_tick;
begin
  if not (jsonb_typeof(item) = 'object' and coalesce(jsonb_typeof(item -> 'mint') = 'string', false))
  then
    perform walltrack.ensure(false,
      format('a price tick is an object with a mint, got %s', left(item::text, 200)));
  end if;
  tick := row(item ->> 'mint', (item ->> 'price_sol')::numeric,
    coalesce((item ->> 'observed_at')::timestamptz, now()));
  if not coalesce(tick.price_sol > 0 and tick.price_sol < 'Infinity'::numeric, false) then
    perform walltrack.ensure(false,
      format('the price of %s must be a positive number, got %s', tick.mint, item -> 'price_sol'));
  end if;
  if not (tick.observed_at <= now() + interval '5 minutes' and tick.observed_at > '-infinity')
  then
    perform walltrack.ensure(false,
      format('the price of %s is dated %s, ahead of the database clock', tick.mint,
        tick.observed_at));
  end if;
  return tick;
end;
$$;

create or replace function walltrack.trigger_order_matches_position()
returns trigger
language plpgsql
set search_path = ''
as $$
-- An order trades its position's token in its position's mode: a live order on a paper
-- position would sell tokens never bought, another token would move the wrong money.
declare
  pos walltrack.positions;
begin
  select p.* into pos from walltrack.positions as p where p.id = new.position_id;
  -- Which side of the swap it is on is the orders_direction_matches_side constraint's. The
  -- message is built only for an order that fails.
  if not (pos.mode = new.mode and pos.token_mint in (new.input_mint, new.output_mint)) then
    perform walltrack.ensure(false,
      format('order for position %s must trade its token %s in %s mode, got %s -> %s in %s mode',
        new.position_id, pos.token_mint, pos.mode, new.input_mint, new.output_mint, new.mode));
  end if;
  return new;
end;
$$;
